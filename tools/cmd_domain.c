/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr destroy, list, pause, unpause, shutdown, reboot: running
 * domains, by name or domid as in xl. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "xl-dmr.h"

/* Until the domain is gone (shutdown), or runs a new device model
 * (reboot: restarted by its watcher), or 60 s have passed. */
static int wait_for_domain(struct xl_dmr *x, uint32_t domid, bool reboot)
{
    pid_t before = 0;
    for (int i = 0; i < 600; i++) {
        libdmr_dominfo *d;
        size_t n;
        if (libdmr_domain_list(x->ctx, &d, &n))
            return LIBDMR_ERROR_FAIL;
        const libdmr_dominfo *mine = NULL;
        for (size_t k = 0; k < n; k++)
            if (d[k].domid == domid)
                mine = &d[k];
        pid_t pid = mine ? mine->dm_pid : 0;
        bool stopped = mine && (mine->state == 's' || mine->state == 'c');
        libdmr_dominfo_list_free(d);
        if (i == 0)
            before = pid;
        else if (!mine || stopped || (reboot && pid && pid != before))
            return 0;
        nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
    }
    fprintf(stderr, "xl-dmr: domain %u did not %s within 60 s\n", domid,
            reboot ? "restart" : "shut down");
    return LIBDMR_ERROR_FAIL;
}

int main_destroy(struct xl_dmr *x, int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        usage_error("destroy", "takes one domain, by name or domid");
        return EXIT_USAGE;
    }
    uint32_t domid;
    int rc = libdmr_domain_lookup(x->ctx, argv[1], &domid);
    if (!rc)
        rc = libdmr_domain_destroy(x->ctx, domid);
    return rc ? EXIT_ERROR : EXIT_OK;
}

/* xl-dmr pause|unpause|shutdown|reboot [-w] DOMAIN; -w (shutdown,
 * reboot): wait until the domain is gone or back, as xl's -w does. */
static int control(struct xl_dmr *x, const char *cmd, enum libdmr_control what, int argc,
                   char **argv)
{
    bool can_wait = what == LIBDMR_CONTROL_SHUTDOWN || what == LIBDMR_CONTROL_REBOOT;
    bool wait = can_wait && argc == 3 && !strcmp(argv[1], "-w");
    if (argc != 2 + wait || argv[argc - 1][0] == '-') {
        usage_error(cmd, can_wait ? "takes [-w] and one domain, by name or domid"
                                  : "takes one domain, by name or domid");
        return EXIT_USAGE;
    }
    uint32_t domid;
    int rc = libdmr_domain_lookup(x->ctx, argv[argc - 1], &domid);
    if (!rc)
        rc = libdmr_domain_control(x->ctx, domid, what);
    if (!rc && wait)
        rc = wait_for_domain(x, domid, what == LIBDMR_CONTROL_REBOOT);
    return rc ? EXIT_ERROR : EXIT_OK;
}

int main_pause(struct xl_dmr *x, int argc, char **argv)
{
    return control(x, "pause", LIBDMR_CONTROL_PAUSE, argc, argv);
}

int main_unpause(struct xl_dmr *x, int argc, char **argv)
{
    return control(x, "unpause", LIBDMR_CONTROL_UNPAUSE, argc, argv);
}

int main_shutdown(struct xl_dmr *x, int argc, char **argv)
{
    return control(x, "shutdown", LIBDMR_CONTROL_SHUTDOWN, argc, argv);
}

int main_reboot(struct xl_dmr *x, int argc, char **argv)
{
    return control(x, "reboot", LIBDMR_CONTROL_REBOOT, argc, argv);
}

/* xl list's state column: r b p s c d, each in its place. */
static const char *state_text(char state)
{
    switch (state) {
    case 'r': return "r-----";
    case 'p': return "--p---";
    case 's': return "---s--";
    case 'c': return "----c-";
    default:  return "-----d";
    }
}

static void list_json(const libdmr_dominfo *d, size_t n)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return;
#define KEY(k) yajl_gen_string(g, (const unsigned char *)(k), strlen(k))
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++) {
        yajl_gen_map_open(g);
        KEY("domid"); yajl_gen_integer(g, d[i].domid);
        KEY("name"); yajl_gen_string(g, (const unsigned char *)d[i].name, strlen(d[i].name));
        KEY("memory"); yajl_gen_integer(g, d[i].memory_mb);
        KEY("vcpus"); yajl_gen_integer(g, d[i].vcpus);
        KEY("dm_pid");
        if (d[i].dm_pid)
            yajl_gen_integer(g, d[i].dm_pid);
        else
            yajl_gen_null(g);
        KEY("dm_uid"); yajl_gen_integer(g, d[i].dm_uid);
        KEY("dm_gid"); yajl_gen_integer(g, d[i].dm_gid);
        KEY("dm_user"); yajl_gen_string(g, (const unsigned char *)d[i].dm_user, strlen(d[i].dm_user));
        KEY("cpu_seconds"); yajl_gen_double(g, d[i].cpu_seconds);
        KEY("state"); yajl_gen_string(g, (const unsigned char *)&d[i].state, 1);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
#undef KEY
    const unsigned char *buf;
    size_t len;
    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
        printf("%.*s\n", (int)len, buf);
    yajl_gen_free(g);
}

int main_list(struct xl_dmr *x, int argc, char **argv)
{
    bool json = argc == 2 && !strcmp(argv[1], "--json");
    if (argc > 2 || (argc == 2 && !json)) {
        usage_error("list", "takes only --json");
        return EXIT_USAGE;
    }
    libdmr_dominfo *d;
    size_t n;
    /* What a dead watcher left goes first, as it would have (root's
     * domains only, and only when there are any). */
    if (geteuid() == 0 && access("/run/xl-dmr/domains", F_OK) == 0)
        libdmr_domain_reap(x->ctx);
    if (libdmr_domain_list(x->ctx, &d, &n))
        return EXIT_ERROR;
    if (json) {
        list_json(d, n);
    } else {
        /* xl list's columns, then who the device model runs as. */
        printf("%-40s %5s %5s %5s %6s %9s  %s\n", "Name", "ID", "Mem", "VCPUs", "State",
               "Time(s)", "DM user (uid:gid)");
        for (size_t i = 0; i < n; i++)
            printf("%-40s %5u %5ld %5ld %6s %9.1f  %s (%u:%u)\n", d[i].name, d[i].domid,
                   d[i].memory_mb, d[i].vcpus, state_text(d[i].state),
                   d[i].cpu_seconds, d[i].dm_user, (unsigned)d[i].dm_uid, (unsigned)d[i].dm_gid);
    }
    libdmr_dominfo_list_free(d);
    return EXIT_OK;
}
