/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's judgement: what /proc showed of a device model held against
 * what its plan said, one named check per property, each with a detail
 * that says what was seen. Pure: no system calls.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "audit.h"

static int check_add(struct libdmr_audit *a, const char *name, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int check_add(struct libdmr_audit *a, const char *name, bool ok, const char *fmt, ...)
{
    struct audit_check *grown = realloc(a->checks, (a->n + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    a->checks = grown;
    va_list ap;
    va_start(ap, fmt);
    char *detail;
    int r = vasprintf(&detail, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    grown[a->n++] = (struct audit_check){ .name = name, .ok = ok, .detail = detail };
    return 0;
}

static int judge_ids(const struct audit_expect *e, const struct audit_observed *o,
                     struct libdmr_audit *a)
{
    if (!o->status_read)
        return check_add(a, "credentials", false, "/proc/%d/status unreadable", (int)e->dm_pid);
    bool uid_ok = true, gid_ok = true;
    for (int i = 0; i < 4; i++) {
        uid_ok &= o->uid[i] == e->uid;
        gid_ok &= o->gid[i] == e->gid;
    }
    int r = check_add(a, "uid", uid_ok, "real, effective, saved, fs: %u %u %u %u; planned %u",
                      (unsigned)o->uid[0], (unsigned)o->uid[1], (unsigned)o->uid[2],
                      (unsigned)o->uid[3], (unsigned)e->uid);
    if (!r)
        r = check_add(a, "gid", gid_ok, "real, effective, saved, fs: %u %u %u %u; planned %u",
                      (unsigned)o->gid[0], (unsigned)o->gid[1], (unsigned)o->gid[2],
                      (unsigned)o->gid[3], (unsigned)e->gid);
    if (r)
        return r;
    /* QEMU's -runas uid:gid sets exactly its gid as the only group. */
    bool groups_ok = e->uid == 0 || o->n_groups == 0 ||
                     (o->n_groups == 1 && o->groups[0] == e->gid);
    char list[256] = "";
    for (size_t i = 0, off = 0; i < o->n_groups && off < sizeof(list); i++)
        off += snprintf(list + off, sizeof(list) - off, "%s%u", i ? " " : "", (unsigned)o->groups[i]);
    r = check_add(a, "groups", groups_ok, "supplementary groups: %s%s",
                  o->n_groups ? list : "none",
                  e->uid == 0 ? " (root: not restricted, as planned)"
                              : groups_ok ? "" : "; allowed: none, or only the DM's gid");
    if (r)
        return r;
    bool caps_ok = e->uid == 0 || (!o->cap_eff && !o->cap_prm && !o->cap_amb);
    return check_add(a, "capabilities", caps_ok, "CapEff %016llx CapPrm %016llx CapAmb %016llx%s",
                     (unsigned long long)o->cap_eff, (unsigned long long)o->cap_prm,
                     (unsigned long long)o->cap_amb,
                     e->uid == 0 ? " (root: not restricted, as planned)" : "");
}

static int judge_sandbox(const struct audit_expect *e, const struct audit_observed *o,
                         struct libdmr_audit *a)
{
    if (!e->sandbox) {
        int r = check_add(a, "no_new_privs", true, "NoNewPrivs %d (no sandbox planned)",
                          o->no_new_privs);
        return r ? r : check_add(a, "seccomp", true, "Seccomp %d (no sandbox planned)", o->seccomp);
    }
    int r = check_add(a, "no_new_privs", o->no_new_privs == 1, "NoNewPrivs %d; planned 1",
                      o->no_new_privs);
    return r ? r : check_add(a, "seccomp", o->seccomp == 2, "Seccomp %d; planned 2 (a filter)",
                             o->seccomp);
}

/* What the DM's root should hold: made from its PCI record, as at start. */
struct want_entry {
    char path[160];
    mode_t type;           /* S_IFDIR, S_IFCHR; 0: a mount point */
    uid_t uid;
    mode_t perm;
    bool seen;
};

struct want {
    struct want_entry v[64];
    size_t n;
};

static void want_add(struct want *w, const char *path, mode_t type, uid_t uid, mode_t perm)
{
    /* Its directories first, root's and 0755, each once. */
    char dir[160];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        want_add(w, dir, S_IFDIR, 0, 0755);
        *s = '/';
    }
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->v[i].path, path))
            return;
    if (w->n < ELEMENTSOF(w->v)) {
        struct want_entry *x = &w->v[w->n++];
        *x = (struct want_entry){ .type = type, .uid = uid, .perm = perm };
        snprintf(x->path, sizeof(x->path), "%s", path);
    }
}

static void want_from_pci(const struct audit_expect *e, struct want *w)
{
    const struct dm_pci *pci = e->pci;
    if (!pci)
        return;
    if (pci->vfio_container)
        want_add(w, "/dev/vfio/vfio", S_IFCHR, 0, 0666);
    for (size_t i = 0; i < pci->n_devs; i++) {
        const struct dm_pci_dev *d = &pci->devs[i];
        if (!d->has_group || d->standin || d->iommufd)
            continue;
        char path[160];
        snprintf(path, sizeof(path), "/dev/vfio/%u", d->group);
        want_add(w, path, S_IFCHR, e->uid, 0600);
        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", d->bdf);
        want_add(w, path, 0, 0, 0);
    }
}

/* Append "PATH (why)" to a bounded list. */
static void note(char *buf, size_t size, size_t *count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(char *buf, size_t size, size_t *count, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if ((*count)++ && len + 2 < size) {
        strcat(buf, "; ");
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    if (len < size)
        vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static int judge_root(const struct audit_expect *e, const struct audit_observed *o,
                      struct libdmr_audit *a)
{
    const char *want_root = e->chroot ? e->chroot : "/";
    bool root_ok = o->root && !strcmp(o->root, want_root);
    char shape[96] = "";
    if (root_ok && e->chroot_tmpfs) {
        root_ok = o->root_stat_ok && o->root_tmpfs && o->root_uid == 0 &&
                  (o->root_mode & 07777) == 0755;
        snprintf(shape, sizeof(shape), ", %s, mode %04o, uid %u", o->root_tmpfs ? "a tmpfs"
                 : "not a tmpfs", (unsigned)(o->root_mode & 07777), (unsigned)o->root_uid);
    }
    int r = check_add(a, "root", root_ok, "%s%s; planned %s%s", o->root ? o->root : "(unreadable)",
                      shape, want_root, e->chroot_tmpfs ? " (its own tmpfs, root's, 0755)" : "");
    if (r || !e->chroot)
        return r;
    struct want w = { .n = 0 };
    want_from_pci(e, &w);
    char bad[1024] = "";
    size_t n_bad = 0;
    for (size_t i = 0; i < o->n_entries; i++) {
        const struct audit_entry *x = &o->entries[i];
        struct want_entry *m = NULL;
        for (size_t j = 0; j < w.n && !m; j++)
            if (!strcmp(w.v[j].path, x->path))
                m = &w.v[j];
        if (!m) {
            note(bad, sizeof(bad), &n_bad, "%s is not in the plan", x->path);
            continue;
        }
        m->seen = true;
        bool shape_ok = m->type ? (x->mode & S_IFMT) == m->type && !x->mountpoint &&
                                      x->uid == m->uid && (x->mode & 07777) == m->perm
                                : x->mountpoint;
        if (!shape_ok)
            note(bad, sizeof(bad), &n_bad, "%s: mode %06o, uid %u%s", x->path, (unsigned)x->mode,
                 (unsigned)x->uid, x->mountpoint ? ", a mount" : "");
    }
    for (size_t j = 0; j < w.n; j++)
        if (!w.v[j].seen)
            note(bad, sizeof(bad), &n_bad, "%s is missing", w.v[j].path);
    if (o->entries_truncated)
        note(bad, sizeof(bad), &n_bad, "more entries than were read");
    if (n_bad)
        return check_add(a, "chroot_contents", false, "%s", bad);
    return check_add(a, "chroot_contents", true, "%zu entries, as planned%s", o->n_entries,
                     o->n_entries ? "" : " (empty)");
}

static const char *limit_name(int resource)
{
    switch (resource) {
    case RLIMIT_FSIZE: return "rlimit_fsize";
    case RLIMIT_CORE: return "rlimit_core";
    case RLIMIT_MEMLOCK: return "rlimit_memlock";
    case RLIMIT_MSGQUEUE: return "rlimit_msgqueue";
    case RLIMIT_LOCKS: return "rlimit_locks";
    default: return "rlimit";
    }
}

static void limit_text(char *buf, size_t size, uint64_t v)
{
    if (v == UINT64_MAX)
        snprintf(buf, size, "unlimited");
    else
        snprintf(buf, size, "%llu", (unsigned long long)v);
}

static int judge_limits(const struct audit_expect *e, const struct audit_observed *o,
                        struct libdmr_audit *a)
{
    int r = 0;
    for (size_t i = 0; !r && i < e->n_rlimits && i < o->n_limits; i++) {
        const struct plan_rlimit *want = &e->rlimits[i];
        const struct audit_limit *l = &o->limits[i];
        /* pci-attach raises MEMLOCK: the record has the value now planned. */
        uint64_t value = want->resource == RLIMIT_MEMLOCK && e->pci ? e->pci->memlock : want->value;
        char soft[24], hard[24], planned[24];
        limit_text(soft, sizeof(soft), l->soft);
        limit_text(hard, sizeof(hard), l->hard);
        limit_text(planned, sizeof(planned), value);
        if (!l->ok)
            r = check_add(a, limit_name(want->resource), false, "unreadable in /proc; planned %s",
                          planned);
        else
            r = check_add(a, limit_name(want->resource), l->soft == value && l->hard == value,
                          "soft %s, hard %s; planned %s", soft, hard, planned);
    }
    return r;
}

static int judge_namespaces(const struct audit_expect *e, const struct audit_observed *o,
                            struct libdmr_audit *a)
{
    bool mnt = o->mnt_ns && o->mnt_ns != o->own_mnt_ns, ipc = o->ipc_ns && o->ipc_ns != o->own_ipc_ns;
    int r = check_add(a, "mount_namespace", !e->restricted || mnt,
                      "mnt:[%lu], the toolstack's mnt:[%lu]%s", (unsigned long)o->mnt_ns,
                      (unsigned long)o->own_mnt_ns, e->restricted ? "" : " (none planned)");
    return r ? r : check_add(a, "ipc_namespace", !e->restricted || ipc,
                             "ipc:[%lu], the toolstack's ipc:[%lu]%s", (unsigned long)o->ipc_ns,
                             (unsigned long)o->own_ipc_ns, e->restricted ? "" : " (none planned)");
}

/* QEMU's own kinds of descriptor: it makes them itself, they name no file. */
static const char *own_kind(const char *target)
{
    static const struct { const char *prefix, *label; } kinds[] = {
        { "anon_inode:[eventfd]", "eventfd" }, { "anon_inode:[signalfd]", "signalfd" },
        { "anon_inode:[eventpoll]", "epoll" }, { "anon_inode:[timerfd]", "timerfd" },
        { "anon_inode:[io_uring]", "io_uring" }, { "anon_inode:inotify", "inotify" },
        { "anon_inode:kvm-vm", "kvm-vm" }, { "anon_inode:kvm-vcpu", "kvm-vcpu" },
        { "/dev/kvm", "/dev/kvm" }, { "/dev/null", "/dev/null" }, { "pipe:", "pipe" },
    };
    for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
        if (!strncmp(target, kinds[i].prefix, strlen(kinds[i].prefix)))
            return kinds[i].label;
    return NULL;
}

/* qemu-xen's own: the hypervisor's interfaces it talks to the guest
 * through; unrestricted (no -xen-domid-restrict), also its connection to
 * xenstored, an unnamed socket. */
static const char *xen_kind(const struct audit_expect *e, const struct audit_fd *f)
{
    static const char *const nodes[] = {
        "/dev/xen/privcmd", "/dev/xen/evtchn", "/dev/xen/gntdev", "/dev/xen/gntalloc",
        "/dev/xen/xenbus", "/dev/xen/hypercall",
    };
    for (size_t i = 0; e->xen_interfaces && i < ELEMENTSOF(nodes); i++)
        if (!strcmp(f->target, nodes[i]))
            return nodes[i];
    if (e->xen_interfaces && !e->restricted && !f->socket_path && !f->tcp.found &&
        !strncmp(f->target, "socket:", 7))
        return "socket (unrestricted: xenstore)";
    return NULL;
}

/* Linux's numbers: the pty multiplexer (/dev/ptmx, 5:2) and the Unix98
 * pty terminals it hands out (/dev/pts/N, majors 136-143). */
#define PTMX_MAJOR 5
#define PTMX_MINOR 2
#define PTS_MAJOR_FIRST 136
#define PTS_MAJOR_LAST 143

static bool pts_name(const char *target)
{
    const char *n = target + strlen("/dev/pts/");
    return !strncmp(target, "/dev/pts/", strlen("/dev/pts/")) && *n &&
           strspn(n, "0123456789") == strlen(n);
}

/* The pty QEMU opens for serial="pty" when its plan says so, and only
 * then: the multiplexer it opened (under either of its names) and, if it
 * keeps it open, the terminal it got; each checked to be that device. */
static const char *pty_kind(const struct audit_expect *e, const struct audit_fd *f)
{
    if (!e->serial_pty || !f->stat_ok || !S_ISCHR(f->mode))
        return NULL;
    bool ptmx = (!strcmp(f->target, "/dev/ptmx") || !strcmp(f->target, "/dev/pts/ptmx")) &&
                major(f->rdev) == PTMX_MAJOR && minor(f->rdev) == PTMX_MINOR;
    if (ptmx)
        return "serial pty (/dev/ptmx)";
    bool pts = pts_name(f->target) && major(f->rdev) >= PTS_MAJOR_FIRST &&
               major(f->rdev) <= PTS_MAJOR_LAST;
    return pts ? "serial pty (/dev/pts)" : NULL;
}

#define TUN_MAJOR 10
#define TUN_MINOR 200

/* The tun device (10:200) under its name: a tap the DM made itself. */
static bool tun_device(const struct audit_fd *f)
{
    return !strcmp(f->target, "/dev/net/tun") && f->stat_ok && S_ISCHR(f->mode) &&
           major(f->rdev) == TUN_MAJOR && minor(f->rdev) == TUN_MINOR;
}

/* Its VNC server's socket: TCP, listening, on the planned address (an
 * IPv4 one in either form) at a planned port. */
static bool vnc_listener(const struct audit_expect *e, const struct audit_fd *f)
{
    uint8_t want[16];
    return e->vnc_address && f->tcp.found && f->tcp.state == AUDIT_TCP_LISTEN &&
           !inet_addr_mapped(e->vnc_address, want) && !memcmp(want, f->tcp.addr, sizeof(want)) &&
           f->tcp.port >= e->vnc_port_min && f->tcp.port <= e->vnc_port_max;
}

/* A VNC viewer connected to that server: TCP, not listening, its local
 * end at the planned port and address (any, for a server listening on
 * every address: the local end is then the one the viewer reached). An
 * outgoing connection's local port would be an ephemeral one, above. */
static bool vnc_client(const struct audit_expect *e, const struct audit_fd *f)
{
    static const uint8_t any6[16], any4[16] = { [10] = 0xff, [11] = 0xff };
    uint8_t want[16];
    if (!e->vnc_address || !f->tcp.found || f->tcp.state == AUDIT_TCP_LISTEN ||
        inet_addr_mapped(e->vnc_address, want) ||
        f->tcp.port < e->vnc_port_min || f->tcp.port > e->vnc_port_max)
        return false;
    bool v4_mapped = !memcmp(f->tcp.addr, any4, 12);
    return !memcmp(want, f->tcp.addr, sizeof(want)) || !memcmp(want, any6, sizeof(want)) ||
           (!memcmp(want, any4, sizeof(want)) && v4_mapped);
}

/* What the DM makes itself from the toolstack's config, up to what was
 * planned: a tap per NIC, one VNC socket (and its viewers' connections). */
struct dm_devices_seen {
    size_t taps;
    const struct audit_fd *vnc;
    bool tap_seen[64];             /* tap_names: each planned tap once */
};

/* A planned tap: any, up to the count (qemu-xen names its own); by name
 * when the toolstack made them (qemu backend), each once. */
static bool planned_tap(const struct audit_expect *e, const struct audit_fd *f,
                        struct dm_devices_seen *seen)
{
    if (seen->taps >= e->taps || !tun_device(f))
        return false;
    for (size_t i = 0; e->tap_names && i < e->tap_names->n && i < ELEMENTSOF(seen->tap_seen); i++)
        if (!seen->tap_seen[i] && !strcmp(e->tap_names->v[i], f->tap_name)) {
            seen->tap_seen[i] = true;
            return true;
        }
    return !e->tap_names || !e->tap_names->n;
}

static bool dm_device(const struct audit_expect *e, const struct audit_fd *f,
                      struct dm_devices_seen *seen)
{
    if (planned_tap(e, f, seen)) {
        seen->taps++;
        return true;
    }
    if (!seen->vnc && vnc_listener(e, f)) {
        seen->vnc = f;
        return true;
    }
    return vnc_client(e, f);
}

/* "127.0.0.1:5900 listening"; an address from tcp6 as IPv6 ("[::1]:5900"). */
static void tcp_text(const struct audit_tcp *t, char *buf, size_t size)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    inet_ntop(t->v6 ? AF_INET6 : AF_INET, t->v6 ? t->addr : t->addr + 12, addr, sizeof(addr));
    char state[16];
    snprintf(state, sizeof(state), "state %u", t->state);
    snprintf(buf, size, t->v6 ? "[%s]:%u %s" : "%s:%u %s", addr, t->port,
             t->state == AUDIT_TCP_LISTEN ? "listening" : t->state == 1 ? "connected" : state);
}

static void note_not_planned(const struct audit_expect *e, const struct audit_fd *f, char *bad,
                             size_t size, size_t *n_bad)
{
    char what[128] = "";
    if (f->tcp.found) {
        char tcp[96];
        tcp_text(&f->tcp, tcp, sizeof(tcp));
        snprintf(what, sizeof(what), " (tcp %s)", tcp);
    } else if (tun_device(f) && e->tap_names && e->tap_names->n) {
        snprintf(what, sizeof(what), " (tap %s, not a planned one)",
                 f->tap_name[0] ? f->tap_name : "without an interface");
    } else if (tun_device(f)) {
        snprintf(what, sizeof(what), " (a tap beyond the %zu planned)", e->taps);
    }
    note(bad, size, n_bad, "fd %d -> %s%s%s%s is not in the plan", f->fd, f->target,
         f->socket_path ? " " : "", f->socket_path ? f->socket_path : "", what);
}

/* "; tap 1; vnc 127.0.0.1:5900 listening", for what was planned. */
static void dm_devices_text(const struct audit_expect *e, const struct dm_devices_seen *seen,
                            char *buf, size_t size)
{
    int off = 0;
    buf[0] = '\0';
    if (e->taps)
        off = snprintf(buf, size, seen->taps < e->taps ? "; tap %zu of %zu planned" : "; tap %zu",
                       seen->taps, e->taps);
    if (!e->vnc_address || off < 0 || (size_t)off >= size)
        return;
    char tcp[96], ports[16];
    snprintf(ports, sizeof(ports), e->vnc_port_min == e->vnc_port_max ? "%u" : "%u-%u",
             e->vnc_port_min, e->vnc_port_max);
    if (seen->vnc)
        tcp_text(&seen->vnc->tcp, tcp, sizeof(tcp));
    else
        snprintf(tcp, sizeof(tcp), "on %s port %s planned, not listening", e->vnc_address, ports);
    snprintf(buf + off, size - off, "; vnc %s", tcp);
}

static bool in_fdset(const struct audit_observed *o, const struct audit_fd *f)
{
    for (size_t i = 0; i < o->n_fdset_fds; i++)
        for (size_t j = 0; j < o->n_fds; j++)
            if (o->fds[j].fd == o->fdset_fds[i] && o->fds[j].stat_ok && f->stat_ok &&
                o->fds[j].dev == f->dev && o->fds[j].ino == f->ino)
                return true;
    return false;
}

static bool planned_path(const struct audit_expect *e, const char *target)
{
    for (size_t i = 0; e->resources && i < e->resources->n; i++)
        if (!strcmp(e->resources->v[i], target))
            return true;
    return false;
}

/* A VFIO node of its own chroot (the path as the DM sees it). */
static bool vfio_node(const struct want *w, const struct audit_fd *f)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].type == S_IFCHR && !strcmp(w->v[i].path, f->target))
            return true;
    return false;
}

static int judge_fds(const struct audit_expect *e, const struct audit_observed *o,
                     struct libdmr_audit *a)
{
    size_t qmp = 0, fdset = 0, planned = 0, vfio = 0, n_bad = 0;
    char own[512] = "", bad[1024] = "";
    size_t own_counts[16] = { 0 };
    const char *own_names[16] = { 0 };
    size_t n_own = 0;
    struct want w = { .n = 0 };
    struct dm_devices_seen seen = { 0 };
    want_from_pci(e, &w);
    for (size_t i = 0; i < o->n_fds; i++) {
        const struct audit_fd *f = &o->fds[i];
        const char *kind = own_kind(f->target);
        if (!kind)
            kind = xen_kind(e, f);
        if (!kind)
            kind = pty_kind(e, f);
        if (f->socket_path && e->qmp_path && !strcmp(f->socket_path, e->qmp_path))
            qmp++;
        else if (in_fdset(o, f))
            fdset++;
        else if (planned_path(e, f->target) || (f->socket_path && planned_path(e, f->socket_path)))
            planned++;
        else if (vfio_node(&w, f))
            vfio++;
        else if (dm_device(e, f, &seen))
            continue;   /* counted in seen */
        else if (kind) {
            size_t k = 0;
            while (k < n_own && strcmp(own_names[k], kind))
                k++;
            if (k == n_own && n_own < ELEMENTSOF(own_names))
                own_names[n_own++] = kind;
            if (k < ELEMENTSOF(own_counts))
                own_counts[k]++;
        } else {
            note_not_planned(e, f, bad, sizeof(bad), &n_bad);
        }
    }
    for (size_t k = 0, off = 0; k < n_own && off < sizeof(own); k++)
        off += snprintf(own + off, sizeof(own) - off, "%s%s %zu", k ? ", " : "", own_names[k],
                        own_counts[k]);
    if (n_bad)
        return check_add(a, "descriptors", false, "%s", bad);
    const char *fdsets_note = o->fdsets_read ? "" : e->xen_interfaces ? " (libxl's media are resources)"
                                                           : " (not asked)";
    char devices[192];
    dm_devices_text(e, &seen, devices, sizeof(devices));
    return check_add(a, "descriptors", true, "%zu: QMP %zu, fdsets %zu%s, resources %zu, vfio %zu; "
                     "QEMU's own: %s%s", o->n_fds, qmp, fdset, fdsets_note, planned, vfio,
                     n_own ? own : "none", devices);
}

static int judge_others(const struct audit_expect *e, const struct audit_observed *o,
                        struct libdmr_audit *a)
{
    if (e->uid == 0)
        return check_add(a, "processes", true, "runs as root: other root processes are not its");
    char bad[512] = "";
    size_t n_bad = 0, n_dms = 0;
    for (size_t i = 0; i < o->n_others; i++) {
        bool dm = false;
        for (size_t j = 0; j < e->n_other_dms; j++)
            dm |= e->other_dms[j] == o->others[i];
        if (dm)
            n_dms++;
        else
            note(bad, sizeof(bad), &n_bad, "pid %d", (int)o->others[i]);
    }
    if (n_bad)
        return check_add(a, "processes", false, "other processes run as uid %u: %s",
                         (unsigned)e->uid, bad);
    return check_add(a, "processes", true, "no other process runs as uid %u%s", (unsigned)e->uid,
                     n_dms ? " but other domains' device models (a shared user)" : "");
}

/* xen: libxl may start other QEMUs for a domain (a PV guest's xenpv one, as
 * root): any that is not the audited DM is named, with its uid. */
static int judge_domain_dms(const struct audit_expect *e, const struct audit_observed *o,
                            struct libdmr_audit *a)
{
    if (!e->xen_interfaces)
        return 0;
    char bad[512] = "";
    size_t n_bad = 0;
    for (size_t i = 0; i < o->n_domain_dms; i++)
        note(bad, sizeof(bad), &n_bad, "pid %d as uid %u%s", (int)o->domain_dms[i],
             (unsigned)o->domain_dm_uids[i], o->domain_dm_uids[i] == 0 ? " (root: NOT restricted)" : "");
    if (n_bad)
        return check_add(a, "device_models", false, "other device models of domain %u run: %s",
                         e->domid, bad);
    return check_add(a, "device_models", true, "pid %d is domain %u's only device model",
                     (int)e->dm_pid, e->domid);
}

int audit_judge(const struct audit_expect *e, const struct audit_observed *o,
                struct libdmr_audit *a)
{
    *a = (struct libdmr_audit){ 0 };
    int r = judge_ids(e, o, a);
    if (!r) r = judge_sandbox(e, o, a);
    if (!r) r = judge_root(e, o, a);
    if (!r) r = judge_limits(e, o, a);
    if (!r) r = judge_namespaces(e, o, a);
    if (!r) r = judge_fds(e, o, a);
    if (!r) r = judge_others(e, o, a);
    if (!r) r = judge_domain_dms(e, o, a);
    return r;
}
