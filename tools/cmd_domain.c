/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr destroy, list, pause, unpause, shutdown, reboot: running
 * domains, by name or domid as in xl. */
#include <stdio.h>
#include <stdlib.h>
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
    int status, i = opts_operands(x->cmd, argc, argv, &status);
    if (i < 0)
        return status;
    uint32_t domid;
    int rc = libdmr_domain_lookup(x->ctx, argv[i], &domid);
    if (!rc)
        rc = libdmr_domain_destroy(x->ctx, domid);
    return rc ? EXIT_ERROR : EXIT_OK;
}

/* xl-dmr pause|unpause|shutdown|reboot [-w] DOMAIN; -w (shutdown,
 * reboot): wait until the domain is gone or back, as xl's -w does. */
const struct cmd_opt opts_wait[] = {
    { 'w', "wait", NULL, "wait until the domain is gone (shutdown) or restarted (reboot)" },
    { 0 },
};

static int control(struct xl_dmr *x, enum libdmr_control what, int argc, char **argv)
{
    bool wait = false;
    struct opts p;
    int c;
    opts_begin(&p, x->cmd, argc, argv);
    while ((c = opts_next(&p)) > 0)
        wait = wait || c == 'w';
    if (c < 0)
        return p.status;
    uint32_t domid;
    int rc = libdmr_domain_lookup(x->ctx, argv[p.first], &domid);
    if (!rc)
        rc = libdmr_domain_control(x->ctx, domid, what);
    if (!rc && wait)
        rc = wait_for_domain(x, domid, what == LIBDMR_CONTROL_REBOOT);
    return rc ? EXIT_ERROR : EXIT_OK;
}

int main_pause(struct xl_dmr *x, int argc, char **argv)
{
    return control(x, LIBDMR_CONTROL_PAUSE, argc, argv);
}

int main_unpause(struct xl_dmr *x, int argc, char **argv)
{
    return control(x, LIBDMR_CONTROL_UNPAUSE, argc, argv);
}

int main_shutdown(struct xl_dmr *x, int argc, char **argv)
{
    return control(x, LIBDMR_CONTROL_SHUTDOWN, argc, argv);
}

int main_reboot(struct xl_dmr *x, int argc, char **argv)
{
    return control(x, LIBDMR_CONTROL_REBOOT, argc, argv);
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

const struct cmd_opt opts_list[] = {
    { 'l', "long", NULL, "each domain's plan and state, as JSON (never a VNC password)" },
    { OPT_LONG_ONLY, "json", NULL, "the table as JSON" },
    { 0 },
};

/* The domains named (each once, in the order given), or all; an unknown
 * name is an error naming it, as xl list's. */
static int list_select(const char *const *names, size_t n_names, libdmr_dominfo *d, size_t *n)
{
    if (!n_names)
        return 0;
    size_t kept = 0;
    for (size_t k = 0; k < n_names; k++) {
        size_t i = 0;
        char *end;
        unsigned long domid = strtoul(names[k], &end, 10);
        bool by_domid = names[k][0] >= '0' && names[k][0] <= '9' && !*end;
        while (i < *n && !(by_domid ? d[i].domid == domid : !strcmp(d[i].name, names[k])))
            i++;
        if (i == *n) {
            fprintf(stderr, "xl-dmr list: no domain %s\n", names[k]);
            return -1;
        }
        if (i >= kept) {  /* not already kept: move it into place */
            libdmr_dominfo t = d[kept];
            d[kept] = d[i];
            d[i] = t;
            kept++;
        }
    }
    *n = kept;
    return 0;
}

/* xl list -l: a JSON array of libdmr_domain_describe's objects. */
static int list_long(struct xl_dmr *x, const libdmr_dominfo *d, size_t n)
{
    printf("[");
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        char *json;
        int rc = libdmr_domain_describe(x->ctx, d[i].domid, &json);
        if (rc == LIBDMR_ERROR_NOTFOUND)
            continue;   /* destroyed since it was listed */
        if (rc) {
            printf("]\n");
            return EXIT_ERROR;
        }
        printf("%s%s", shown++ ? ",\n" : "\n", json);
        free(json);
    }
    printf("%s]\n", shown ? "\n" : "");
    return EXIT_OK;
}

static void list_table(const libdmr_dominfo *d, size_t n)
{
    /* xl list's columns, then who the device model runs as. */
    printf("%-40s %5s %5s %5s %6s %9s  %s\n", "Name", "ID", "Mem", "VCPUs", "State",
           "Time(s)", "DM user (uid:gid)");
    for (size_t i = 0; i < n; i++)
        printf("%-40s %5u %5ld %5ld %6s %9.1f  %s (%u:%u)\n", d[i].name, d[i].domid,
               d[i].memory_mb, d[i].vcpus, state_text(d[i].state),
               d[i].cpu_seconds, d[i].dm_user, (unsigned)d[i].dm_uid, (unsigned)d[i].dm_gid);
}

int main_list(struct xl_dmr *x, int argc, char **argv)
{
    bool json = false, long_form = false;
    struct opts p;
    int c;
    opts_begin(&p, x->cmd, argc, argv);
    while ((c = opts_next(&p)) > 0) {
        json = json || c == OPT_LONG_ONLY;
        long_form = long_form || c == 'l';
    }
    if (c < 0)
        return p.status;
    if (json && long_form) {
        usage_error("list", "-l is JSON already: one of -l and --json");
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
    int status = EXIT_OK;
    if (list_select((const char *const *)argv + p.first, argc - p.first, d, &n))
        status = EXIT_ERROR;
    else if (long_form)
        status = list_long(x, d, n);
    else if (json)
        list_json(d, n);
    else
        list_table(d, n);
    libdmr_dominfo_list_free(d);
    return status;
}
