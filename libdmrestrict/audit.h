/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit of a running device model: what /proc shows of it
 * (audit_observe.c, read-only), what its plan says it should be
 * (struct audit_expect), and the judgement, one named check each
 * (audit_judge.c, pure).
 */
#ifndef LIBDMR_AUDIT_H
#define LIBDMR_AUDIT_H

#include <sys/stat.h>

#include "launch.h"

/* Watchers whose parser may share a DM's uid (a shared user's domains). */
#define AUDIT_WATCHERS_MAX 64

/* What the DM should be: from the plan at create, from the state later. */
struct audit_expect {
    uint32_t domid;
    pid_t dm_pid;
    const pid_t *watchers;        /* its watcher and (shared uid) the others': their */
    size_t n_watchers;            /* parsers take the DM's uid (watcher.c) */
    uid_t uid;
    gid_t gid;
    bool restricted;               /* chroot, namespaces, no capabilities */
    bool sandbox;                  /* seccomp filter and NoNewPrivs */
    const char *chroot;            /* NULL: none */
    bool chroot_tmpfs;             /* an empty tmpfs of its own, root's, 0755 */
    const char *qmp_path;
    const struct plan_rlimit *rlimits;
    size_t n_rlimits;
    const struct dm_pci *pci;      /* what its chroot holds for VFIO */
    const struct strv *resources;  /* paths of the descriptors it was given */
    const pid_t *other_dms;        /* other domains' DMs (a shared user) */
    size_t n_other_dms;
    bool xen_interfaces;           /* qemu-xen: Xen's device nodes are its own, and
                                    * other device models of the domain are looked for */
    bool serial_pty;               /* its own pty for the guest's serial (xen: serial="pty") */
    size_t taps;                   /* /dev/net/tun it may hold: one per planned NIC */
    const struct strv *tap_names;  /* qemu backend: exactly these taps (NULL: any taps) */
    const char *vnc_address;       /* where its VNC server may listen; NULL: none */
    unsigned vnc_port_min, vnc_port_max;
    const int *media_fds;          /* QEMU's descriptors of the media in its fdsets */
    size_t n_media_fds;
    bool media_fds_known;          /* its backend told them */
};

/* A TCP socket as its network namespace's /proc/net/tcp or tcp6 shows it. */
struct audit_tcp {
    bool found;
    bool v6;                       /* in tcp6 */
    uint8_t addr[16];              /* local address, an IPv4 one as ::ffff:a.b.c.d */
    unsigned port;                 /* local port */
    unsigned state;                /* the kernel's TCP_* number */
};
#define AUDIT_TCP_LISTEN 0x0a      /* TCP_LISTEN */

/* One row of /proc/PID/net/tcp (v6: tcp6), and its socket's inode;
 * -EINVAL for the header or a row that does not parse. */
int audit_tcp_row_parse(const char *line, bool v6, struct audit_tcp *ret,
                        unsigned long *ret_inode);

/* One descriptor of the DM, as /proc/PID/fd shows it. */
struct audit_fd {
    int fd;
    char *target;                  /* readlink: "/dev/null", "socket:[123]", ... */
    char *socket_path;             /* a Unix socket's bound path, if any */
    bool unix_socket;              /* in the Unix table (bound or not): no TCP row to look for */
    bool stat_ok;
    mode_t mode;
    dev_t dev;
    ino_t ino;
    dev_t rdev;                    /* a device node's own number */
    struct audit_tcp tcp;          /* an unnamed socket that is TCP's */
    char tap_name[16];             /* /dev/net/tun: its fdinfo's iff ("" if none) */
};

/* A file in the DM's root, as it sees it (path relative to that root). */
struct audit_entry {
    char *path;                    /* "/dev/vfio/12" */
    mode_t mode;
    uid_t uid;
    dev_t rdev;
    bool mountpoint;               /* another file system (not descended into) */
};

struct audit_limit {
    int resource;
    bool ok;                       /* read */
    uint64_t soft, hard;           /* UINT64_MAX: unlimited */
};

/* What /proc shows of the DM. */
struct audit_observed {
    bool status_read;
    uid_t uid[4];
    gid_t gid[4];
    gid_t groups[64];
    size_t n_groups;
    uint64_t cap_eff, cap_prm, cap_amb;
    int no_new_privs, seccomp;     /* -1: not shown */
    char *root;                    /* readlink /proc/PID/root */
    bool root_stat_ok;
    mode_t root_mode;
    uid_t root_uid;
    bool root_tmpfs;
    struct audit_entry *entries;
    size_t n_entries;
    bool entries_truncated;
    struct audit_limit limits[8];
    size_t n_limits;
    ino_t mnt_ns, ipc_ns, own_mnt_ns, own_ipc_ns;
    struct audit_fd *fds;
    size_t n_fds;
    bool fdsets_read;              /* QEMU answered query-fdsets */
    int *fdset_fds;                /* QEMU's descriptors held in fdsets */
    size_t n_fdset_fds;
    pid_t *others;                 /* other processes with the DM's uid */
    size_t n_others;
    pid_t *domain_dms;             /* xen: other processes given -xen-domid N */
    uid_t *domain_dm_uids;
    size_t n_domain_dms;
};

/* Read the DM exp->dm_pid into *obs (its fdsets as its backend told them);
 * the caller holds its pidfd, so the pid is the DM's. */
int audit_observe(const struct audit_expect *exp, struct audit_observed *obs);
void audit_observed_clear(struct audit_observed *obs);

struct audit_check {
    const char *name;
    bool ok;
    char *detail;
};

struct libdmr_audit {
    struct audit_check *checks;
    size_t n;
};

/* Hold the observation against the expectation: one check per property. */
int audit_judge(const struct audit_expect *exp, const struct audit_observed *obs,
                struct libdmr_audit *ret);

/* Observe and judge a DM (lifecycle.c at create, libdmr_dm_audit later). */
int audit_run(libdmr_ctx *ctx, const struct audit_expect *exp, struct libdmr_audit **ret);
/* The same, expecting what the state says (create holds one not yet
 * written) and the media its backend told of (dm). */
int audit_state(libdmr_ctx *ctx, const struct dm_state *s, const struct libdmr_dm *dm,
                struct libdmr_audit **ret);
/* Log each failing check (ERROR) and return how many failed. */
size_t audit_log_failures(libdmr_ctx *ctx, uint32_t domid, const struct libdmr_audit *a);

#endif
