/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl-dmr: xl's syntax, libdmrestrict underneath. One table of
 * subcommands; each lives in its own cmd_*.c.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "xen_backend.h"
#include "xl-dmr.h"

static const struct command commands[] = {
    { "create", main_create, "CFG [KEY=VALUE...]", 1, -1, opts_create, false,
      "plan a restricted device model for CFG and start the guest (-n: print the plan)" },
    { "destroy", main_destroy, "DOMAIN", 1, 1, NULL, true,
      "stop the domain and its device model" },
    { "list", main_list, "[DOMAIN...]", 0, -1, opts_list, false,
      "list domains (all, or those named); -l: each one's plan and state as JSON" },
    { "info", main_info, "", 0, 0, NULL, false,
      "versions, backend, QEMU's probed capabilities and the device model users" },
    { "console", main_console, "DOMAIN", 1, 1, opts_console, true,
      "attach to the guest's serial console (Ctrl-] leaves)" },
    { "pause", main_pause, "DOMAIN", 1, 1, NULL, true, "pause the guest" },
    { "unpause", main_unpause, "DOMAIN", 1, 1, NULL, true, "unpause the guest" },
    { "shutdown", main_shutdown, "DOMAIN", 1, 1, opts_wait, true,
      "ask the guest to shut down (ACPI power button)" },
    { "reboot", main_reboot, "DOMAIN", 1, 1, opts_wait, true, "ask the guest to reboot" },
    { "cd-insert", main_cd_insert, "DOMAIN VDEV [raw:]TARGET", 3, 3, NULL, true,
      "insert a medium into the guest's CD-ROM drive VDEV" },
    { "cd-eject", main_cd_eject, "DOMAIN VDEV", 2, 2, NULL, true,
      "eject the medium of the guest's CD-ROM drive VDEV" },
    { "pci-assignable-add", main_pci_assignable_add, "BDF", 1, 1, NULL, true,
      "make a host PCI device assignable (bind it to vfio-pci)" },
    { "pci-assignable-remove", main_pci_assignable_remove, "BDF", 1, 1, NULL, true,
      "give an assignable PCI device back to its driver" },
    { "pci-assignable-list", main_pci_assignable_list, "", 0, 0, NULL, false,
      "list the assignable PCI devices" },
    { "pci-attach", main_pci_attach, "DOMAIN BDF[@VSLOT][,guest_unplug=0|1]", 2, 2, NULL, true,
      "hot-plug an assignable PCI device into the guest" },
    { "pci-detach", main_pci_detach, "DOMAIN BDF", 2, 2, NULL, true,
      "hot-unplug a PCI device from the guest" },
    { "pci-list", main_pci_list, "DOMAIN", 1, 1, NULL, true,
      "list the guest's PCI devices" },
    { "dm-audit", main_dm_audit, "DOMAIN", 1, 1, opts_dm_audit, true,
      "check that the running device model is restricted as planned" },
    { "host", main_host, "check|setup", 1, 1, opts_host, false,
      "check this host, or create the device model users" },
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: xl-dmr [-v] SUBCOMMAND [OPTIONS] [ARGS]\n\nSubcommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-22s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nxl-dmr SUBCOMMAND --help shows its options, which go anywhere after it "
            "(-- ends them).\nExit status: 0 success, 1 error or refusal, 2 usage, "
            "3 a check found a failure. See xl-dmr(1).\n");
}

/* {"error":{"code":"INVAL","message":"..."}} on stdout, for --json callers. */
void print_json_error(int rc, const char *message)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return;
    const char *code = libdmr_error_name(rc);
    const char *msg = message ? message : libdmr_strerror(rc);
    yajl_gen_map_open(g);
    yajl_gen_string(g, (const unsigned char *)"error", 5);
    yajl_gen_map_open(g);
    yajl_gen_string(g, (const unsigned char *)"code", 4);
    yajl_gen_string(g, (const unsigned char *)code, strlen(code));
    yajl_gen_string(g, (const unsigned char *)"message", 7);
    yajl_gen_string(g, (const unsigned char *)msg, strlen(msg));
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    const unsigned char *buf;
    size_t len;
    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
        printf("%.*s\n", (int)len, buf);
    yajl_gen_free(g);
}

void usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xl-dmr%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see xl-dmr%s%s --help)\n", cmd ? " " : "", cmd ? cmd : "");
    va_end(ap);
}

/* The global options, up to the subcommand ('+': xl's own "+hv").
 * Returns the subcommand's index, or 0 with the exit status set. */
static int global_options(int argc, char **argv, xentoollog_level *level, int *ret_status)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+hv", longopts, NULL)) != -1) {
        switch (c) {
        case 'v':
            *level = *level > XTL_DEBUG ? *level - 1 : XTL_DEBUG;
            break;
        case 'h':
            usage(stdout);
            *ret_status = EXIT_OK;
            return 0;
        default:
            /* Inside a cluster (-xv) optind has not moved past the letter. */
            if (optopt > ' ' && optopt < 127)
                usage_error(NULL, "unknown option -%c", optopt);
            else
                usage_error(NULL, "unknown option %s", argv[optind - 1]);
            *ret_status = EXIT_USAGE;
            return 0;
        }
    }
    if (optind >= argc) {
        usage_error(NULL, "no subcommand given");
        *ret_status = EXIT_USAGE;
        return 0;
    }
    return optind;
}

int main(int argc, char **argv)
{
    xentoollog_level level = XTL_NOTICE;
    int status = EXIT_USAGE;
    int i = global_options(argc, argv, &level, &status);
    if (!i)
        return status;
    const struct command *cmd = NULL;
    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
        if (!strcmp(argv[i], commands[c].name))
            cmd = &commands[c];
    if (!cmd) {
        usage_error(NULL, "unknown subcommand \"%s\"", argv[i]);
        return EXIT_USAGE;
    }

    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, level, 0);
    if (!lg) {
        fprintf(stderr, "xl-dmr: cannot create a logger\n");
        return EXIT_ERROR;
    }
    struct xl_dmr x = { .progname = "xl-dmr", .cmd = cmd };
    /* The library carries xen-backend domains out through libxl, which it
     * does not link: xl-dmr hands it the operations. */
    struct xen_backend xen = { .lg = (xentoollog_logger *)lg };
    int rc = libdmr_ctx_alloc(&x.ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg);
    if (!rc)
        rc = xen_backend_install(x.ctx, &xen);
    if (rc) {
        status = EXIT_ERROR;  /* libdmr_ctx_alloc logged why */
    } else {
        status = cmd->main(&x, argc - i, argv + i);
    }
    libdmr_ctx_free(x.ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return status;
}
