/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr destroy and list: running domains, by name or domid as in xl. */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "xl-dmr.h"

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
                   d[i].memory_mb, d[i].vcpus, d[i].dm_pid ? "r-----" : "--d---",
                   d[i].cpu_seconds, d[i].dm_user, (unsigned)d[i].dm_uid, (unsigned)d[i].dm_gid);
    }
    libdmr_dominfo_list_free(d);
    return EXIT_OK;
}
