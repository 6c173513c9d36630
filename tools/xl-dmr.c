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

static const struct command {
    const char *name;
    int (*main)(struct xl_dmr *x, int argc, char **argv);
    const char *summary;
} commands[] = {
    { "create", main_create, "create [-n] [-p] [--json] [--domid N] [--facts FILE] CFG [KEY=VALUE...]" },
    { "destroy", main_destroy, "destroy NAME|DOMID" },
    { "list", main_list, "list [--json]" },
    { "console", main_console, "console [-t serial] [-n 0] NAME|DOMID" },
    { "pause", main_pause, "pause DOMAIN" },
    { "unpause", main_unpause, "unpause DOMAIN" },
    { "shutdown", main_shutdown, "shutdown [-w] DOMAIN" },
    { "reboot", main_reboot, "reboot [-w] DOMAIN" },
    { "cd-insert", main_cd_insert, "cd-insert DOMAIN VDEV [raw:]TARGET" },
    { "cd-eject", main_cd_eject, "cd-eject DOMAIN VDEV" },
    { "pci-assignable-add", main_pci_assignable_add, "pci-assignable-add BDF" },
    { "pci-assignable-remove", main_pci_assignable_remove, "pci-assignable-remove BDF" },
    { "pci-assignable-list", main_pci_assignable_list, "pci-assignable-list" },
    { "pci-attach", main_pci_attach, "pci-attach DOMAIN BDF[@VSLOT][,guest_unplug=0|1]" },
    { "pci-detach", main_pci_detach, "pci-detach DOMAIN BDF" },
    { "pci-list", main_pci_list, "pci-list DOMAIN" },
    { "dm-audit", main_dm_audit, "dm-audit [--json] DOMAIN" },
    { "host", main_host, "host check | host setup [--dry-run]" },
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: xl-dmr [-v] SUBCOMMAND [ARGS]\n\nSubcommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %s\n", commands[i].summary);
    fprintf(out, "\nExit status: 0 success, 1 error or refusal, 2 usage, "
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
    fprintf(stderr, " (see xl-dmr --help)\n");
    va_end(ap);
}

int main(int argc, char **argv)
{
    xentoollog_level level = XTL_NOTICE;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-v"))
            level = level > XTL_DEBUG ? level - 1 : XTL_DEBUG;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return EXIT_OK;
        } else {
            usage_error(NULL, "unknown option %s", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage_error(NULL, "no subcommand given");
        return EXIT_USAGE;
    }
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
    struct xl_dmr x = { .progname = "xl-dmr" };
    /* The library carries xen-backend domains out through libxl, which it
     * does not link: xl-dmr hands it the operations. */
    struct xen_backend xen = { .lg = (xentoollog_logger *)lg };
    int rc = libdmr_ctx_alloc(&x.ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg);
    if (!rc)
        rc = xen_backend_install(x.ctx, &xen);
    int status;
    if (rc) {
        status = EXIT_ERROR;  /* libdmr_ctx_alloc logged why */
    } else {
        status = cmd->main(&x, argc - i, argv + i);
    }
    libdmr_ctx_free(x.ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return status;
}
