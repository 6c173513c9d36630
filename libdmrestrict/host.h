/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xl-dmr host check and host setup: what this host offers a restricted
 * device model (host.c gathers it, read-only), what is wrong with it and
 * which base uid the users should get (host_judge.c, pure).
 */
#ifndef LIBDMR_HOST_H
#define LIBDMR_HOST_H

#include "internal.h"

#define HOST_RANGE_SPAN (LIBDMR_DOMID_MAX + 1)   /* base + 0 .. base + 32751 */

/* /etc/login.defs, with useradd's defaults for what it does not say. */
struct login_defs {
    uint64_t uid_min, uid_max;
    uint64_t sub_uid_min, sub_uid_max, sub_gid_min, sub_gid_max;
};

struct host_passwd_entry {
    char *name;
    uid_t uid;
};

struct host_dir {
    const char *path;
    bool present;
    bool ok;               /* a directory, root's, not writable by group or others */
    unsigned mode;
    uid_t uid;
};

struct host_facts {
    libdmr_facts facts;    /* users, subordinate ranges, QEMU, VFIO, limits */
    struct host_passwd_entry *passwd;      /* every entry NSS enumerates */
    size_t n_passwd;
    struct login_defs defs;
    bool subuid_file;      /* useradd hands out ranges only when it exists */
    bool seccomp_filter;   /* the kernel offers seccomp filters */
    bool namespaces;       /* unshare(CLONE_NEWNS | CLONE_NEWIPC) works */
    bool vfio_module;      /* /sys/module/vfio_pci */
    struct host_dir dirs[3];
};

int host_facts_gather(libdmr_ctx *ctx, struct host_facts *h);
void host_facts_clear(struct host_facts *h);

enum host_status { HOST_OK, HOST_WARN, HOST_FAIL };

struct host_item {
    const char *name;
    enum host_status status;
    char *detail;
    const char *fix;       /* NULL when nothing is to be done */
};

struct libdmr_host_report {
    struct host_item *items;
    size_t n;
};

/* The checks, one item each. */
int host_judge(const struct host_facts *h, struct libdmr_host_report *ret);

/* The first base uid whose block base .. base + 32751 meets no passwd entry
 * (but an existing range base at base itself), no subordinate range, no
 * range useradd will hand out, and no regular user's uid; *ret_why says
 * why each earlier candidate was passed over. 0, or -ENOSPC. */
int host_choose_base(const struct host_facts *h, uint64_t *ret_base, char *why, size_t why_size);

#endif
