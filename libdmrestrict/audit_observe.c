/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the kernel shows of a running device model, read from /proc and
 * nothing else (plus QEMU's list of fdsets, over QMP): its credentials,
 * its root and what is in it as the DM sees it, its limits, namespaces,
 * descriptors, and the other processes running with its uid. Read-only;
 * audit_judge.c holds it against the plan.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "audit.h"
#include "fdset.h"
#include "json.h"

#define ENTRIES_MAX 256
#define TMPFS_MAGIC_NUMBER 0x01021994

static int read_file(const char *path, char *buf, size_t size)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

/* The value after "\nKEY:" in a status file, or NULL. */
static const char *status_field(const char *status, const char *key)
{
    char needle[32];
    snprintf(needle, sizeof(needle), "\n%s:", key);
    const char *p = strstr(status, needle);
    return p ? p + strlen(needle) : NULL;
}

static void observe_status(pid_t pid, struct audit_observed *obs)
{
    char path[64], status[8192];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    obs->no_new_privs = obs->seccomp = -1;
    if (read_file(path, status, sizeof(status)))
        return;
    const char *uid = status_field(status, "Uid"), *gid = status_field(status, "Gid");
    const char *groups = status_field(status, "Groups");
    const char *eff = status_field(status, "CapEff"), *prm = status_field(status, "CapPrm");
    const char *amb = status_field(status, "CapAmb");
    unsigned u[4], g[4];
    if (!uid || !gid || !groups || !eff || !prm || !amb ||
        sscanf(uid, "%u %u %u %u", &u[0], &u[1], &u[2], &u[3]) != 4 ||
        sscanf(gid, "%u %u %u %u", &g[0], &g[1], &g[2], &g[3]) != 4 ||
        sscanf(eff, "%" SCNx64, &obs->cap_eff) != 1 || sscanf(prm, "%" SCNx64, &obs->cap_prm) != 1 ||
        sscanf(amb, "%" SCNx64, &obs->cap_amb) != 1)
        return;
    for (int i = 0; i < 4; i++) {
        obs->uid[i] = u[i];
        obs->gid[i] = g[i];
    }
    for (const char *p = groups; *p && *p != '\n' && obs->n_groups < ELEMENTSOF(obs->groups);) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p)
            break;
        obs->groups[obs->n_groups++] = v;
        p = end;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    const char *nnp = status_field(status, "NoNewPrivs"), *sc = status_field(status, "Seccomp");
    if (nnp)
        obs->no_new_privs = atoi(nnp);
    if (sc)
        obs->seccomp = atoi(sc);
    obs->status_read = true;
}

static int entry_add(struct audit_observed *obs, const char *path, const struct stat *st,
                     bool mountpoint)
{
    if (obs->n_entries >= ENTRIES_MAX) {
        obs->entries_truncated = true;
        return 0;
    }
    struct audit_entry *grown = realloc(obs->entries, (obs->n_entries + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    obs->entries = grown;
    grown[obs->n_entries] = (struct audit_entry){
        .path = strdup(path), .mode = st->st_mode, .uid = st->st_uid, .rdev = st->st_rdev,
        .mountpoint = mountpoint };
    return grown[obs->n_entries++].path ? 0 : -ENOMEM;
}

/* Everything under dirfd, staying on the root's file system. */
static int walk(int dirfd, const char *prefix, dev_t root_dev, struct audit_observed *obs,
                int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        safe_close(dirfd);
        return -errno;
    }
    int r = 0;
    for (struct dirent *de; !r && (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", prefix, de->d_name);
        bool mountpoint = st.st_dev != root_dev;
        r = entry_add(obs, path, &st, mountpoint);
        if (!r && S_ISDIR(st.st_mode) && !mountpoint && depth < 16) {
            int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                r = walk(sub, path, root_dev, obs, depth + 1);
        }
    }
    closedir(d);
    return r;
}

static int observe_root(pid_t pid, struct audit_observed *obs)
{
    char path[64], target[4096];
    snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    if (!(obs->root = strdup(target)))
        return -ENOMEM;
    /* The magic link leads into the DM's own namespace: its root as it sees it. */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    struct statfs sfs;
    if (fd < 0 || fstat(fd, &st) < 0) {
        safe_close(fd);
        return 0;
    }
    obs->root_stat_ok = true;
    obs->root_mode = st.st_mode;
    obs->root_uid = st.st_uid;
    obs->root_tmpfs = fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC_NUMBER;
    /* The host's own root is not listed: a DM without a chroot has nothing to compare. */
    if (!strcmp(target, "/")) {
        safe_close(fd);
        return 0;
    }
    return walk(fd, "", st.st_dev, obs, 0);
}

/* The row of /proc/PID/limits for a resource (reading another process's
 * limits with prlimit takes CAP_SYS_RESOURCE or its uid; /proc does not). */
static const char *limits_row(int resource)
{
    switch (resource) {
    case RLIMIT_FSIZE: return "Max file size";
    case RLIMIT_CORE: return "Max core file size";
    case RLIMIT_MEMLOCK: return "Max locked memory";
    case RLIMIT_MSGQUEUE: return "Max msgqueue size";
    case RLIMIT_LOCKS: return "Max file locks";
    case RLIMIT_NPROC: return "Max processes";
    case RLIMIT_NOFILE: return "Max open files";
    default: return NULL;
    }
}

static bool limit_value(const char *word, uint64_t *ret)
{
    if (!strncmp(word, "unlimited", 9)) {
        *ret = UINT64_MAX;
        return true;
    }
    char *end;
    unsigned long long v = strtoull(word, &end, 10);
    *ret = v;
    return end != word;
}

static void observe_limits(pid_t pid, const struct audit_expect *exp, struct audit_observed *obs)
{
    char path[64], text[4096];
    snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
    bool read_ok = read_file(path, text, sizeof(text)) == 0;
    for (size_t i = 0; i < exp->n_rlimits && obs->n_limits < ELEMENTSOF(obs->limits); i++) {
        struct audit_limit *l = &obs->limits[obs->n_limits++];
        *l = (struct audit_limit){ .resource = exp->rlimits[i].resource };
        const char *row = limits_row(l->resource);
        char *line = read_ok && row ? strstr(text, row) : NULL;
        if (!line)
            continue;
        /* "Max file size   1048576   1048576   bytes": values start at column 26. */
        char soft[32], hard[32];
        if (strlen(line) > 26 && sscanf(line + 26, "%31s %31s", soft, hard) == 2)
            l->ok = limit_value(soft, &l->soft) && limit_value(hard, &l->hard);
    }
}

static ino_t ns_inode(const char *pid, const char *ns)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns);
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void observe_namespaces(pid_t pid, struct audit_observed *obs)
{
    char p[16];
    snprintf(p, sizeof(p), "%d", (int)pid);
    obs->mnt_ns = ns_inode(p, "mnt");
    obs->ipc_ns = ns_inode(p, "ipc");
    obs->own_mnt_ns = ns_inode("self", "mnt");
    obs->own_ipc_ns = ns_inode("self", "ipc");
}

/* The bound paths of the DM's Unix sockets, from its /proc/PID/net/unix
 * (Num RefCount Protocol Flags Type St Inode [Path]), read line by line:
 * a host with many sockets has a long table. Every Unix socket is there,
 * bound or not (a socketpair's ends too): those are marked, so that the
 * TCP tables are read only for a socket the table did not name. */
static int socket_paths(pid_t pid, struct audit_observed *obs)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/net/unix", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;  /* then no socket is known to be the QMP one: the check says so */
    char *line = NULL;
    size_t cap = 0;
    int r = 0;
    while (!r && getline(&line, &cap, f) > 0) {
        unsigned long inode;
        int path_at = 0;
        if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %n", &inode, &path_at) < 1 || !path_at)
            continue;
        for (size_t i = 0; i < obs->n_fds; i++) {
            struct audit_fd *fd = &obs->fds[i];
            unsigned long ino;
            if (fd->socket_path || sscanf(fd->target, "socket:[%lu]", &ino) != 1 || ino != inode)
                continue;
            fd->unix_socket = true;
            size_t len = strcspn(line + path_at, "\n");
            if (len && !(fd->socket_path = strndup(line + path_at, len)))
                r = -ENOMEM;
        }
    }
    free(line);
    fclose(f);
    return r;
}

/* An unnamed socket's inode (socket:[N]), or 0. */
static unsigned long unnamed_socket_inode(const struct audit_fd *fd)
{
    unsigned long ino;
    if (fd->socket_path || sscanf(fd->target, "socket:[%lu]", &ino) != 1)
        return 0;
    return ino;
}

/* The kernel prints an address as its 32-bit words, each as a number in
 * the machine's byte order: copied back, they are the address's bytes. */
static void tcp_words_to_bytes(const char *hex, size_t n_words, uint8_t *bytes)
{
    for (size_t i = 0; i < n_words; i++) {
        char word[9];
        memcpy(word, hex + 8 * i, 8);
        word[8] = '\0';
        uint32_t w = strtoul(word, NULL, 16);
        memcpy(bytes + 4 * i, &w, 4);
    }
}

int audit_tcp_row_parse(const char *line, bool v6, struct audit_tcp *ret, unsigned long *ret_inode)
{
    /* "sl local_address rem_address st tx_queue:rx_queue tr:tm->when
     *  retrnsmt uid timeout inode ...", e.g.
     * "   0: 0100007F:170C 00000000:0000 0A 00000000:00000000 00:00000000
     *  00000000     0        0 4711 1 ..." */
    char local[33];
    unsigned port, state;
    unsigned long inode;
    if (sscanf(line, " %*d: %32[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*x:%*x %*x:%*x %*x %*u %*d %lu",
               local, &port, &state, &inode) != 4 ||
        strlen(local) != (v6 ? 32 : 8) || port > 0xffff || state > 0xff)
        return -EINVAL;
    struct audit_tcp t = { .found = true, .v6 = v6, .port = port, .state = state };
    if (v6) {
        tcp_words_to_bytes(local, 4, t.addr);
    } else {
        t.addr[10] = t.addr[11] = 0xff;   /* IPv4-mapped, as inet_addr_mapped */
        tcp_words_to_bytes(local, 1, t.addr + 12);
    }
    *ret = t;
    *ret_inode = inode;
    return 0;
}

/*
 * Which of the DM's unnamed sockets are TCP's, with their local address,
 * port and state: its network namespace's table (its /proc/PID/net/tcp,
 * or tcp6), matched by inode. A socket that closes between the two reads
 * is not found, and stays an unnamed socket (not in the plan).
 */
static int tcp_sockets(pid_t pid, bool v6, struct audit_observed *obs)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, v6 ? "tcp6" : "tcp");
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -errno;   /* no IPv6: no such socket */
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        struct audit_tcp row;
        unsigned long inode;
        if (audit_tcp_row_parse(line, v6, &row, &inode) || !inode)
            continue;   /* the header; a TIME_WAIT row, no socket's */
        for (size_t i = 0; i < obs->n_fds; i++)
            if (unnamed_socket_inode(&obs->fds[i]) == inode)
                obs->fds[i].tcp = row;
    }
    free(line);
    fclose(f);
    return 0;
}

/* A socket that is no Unix one: reading the tcp tables walks every
 * bucket of the kernel's TCP hash (0.75 ms each here), so only then. */
static bool has_unnamed_socket(const struct audit_observed *obs)
{
    for (size_t i = 0; i < obs->n_fds; i++)
        if (unnamed_socket_inode(&obs->fds[i]) && !obs->fds[i].unix_socket)
            return true;
    return false;
}

/* A tun descriptor's interface, from its fdinfo's "iff:" line (the
 * kernel's tun_chr_show_fdinfo); "" when it has none (yet). dirfd is
 * /proc/PID/fd. */
static void tap_name_of(int dirfd, const char *name, char ret[16])
{
    char path[64], line[128];
    snprintf(path, sizeof(path), "../fdinfo/%s", name);
    ret[0] = '\0';
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
    if (!f) {
        safe_close(fd);
        return;
    }
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "iff: %15s", ret) == 1)
            break;
    fclose(f);
}

static int observe_fd(int fd, const char *target, int dirfd, const char *name, void *arg)
{
    struct audit_observed *obs = arg;
    struct audit_fd *grown = realloc(obs->fds, (obs->n_fds + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    obs->fds = grown;
    struct audit_fd *f = &grown[obs->n_fds++];
    struct stat st;
    *f = (struct audit_fd){ .fd = fd, .target = strdup(target) };
    if (fstatat(dirfd, name, &st, 0) == 0)
        *f = (struct audit_fd){ .fd = fd, .target = f->target, .stat_ok = true,
                                .mode = st.st_mode, .dev = st.st_dev, .ino = st.st_ino,
                                .rdev = st.st_rdev };
    if (!strcmp(target, "/dev/net/tun"))
        tap_name_of(dirfd, name, f->tap_name);
    return f->target ? 0 : -ENOMEM;
}

static int observe_fds(pid_t pid, struct audit_observed *obs)
{
    int r = proc_fds_each(pid, observe_fd, obs);
    if (!r)
        r = socket_paths(pid, obs);
    bool unnamed = !r && has_unnamed_socket(obs);
    if (unnamed)
        r = tcp_sockets(pid, false, obs);
    if (unnamed && !r)
        r = tcp_sockets(pid, true, obs);
    /* In fd order, for a report that reads like ls. */
    for (size_t i = 1; i < obs->n_fds; i++)
        for (size_t j = i; j > 0 && obs->fds[j - 1].fd > obs->fds[j].fd; j--) {
            struct audit_fd t = obs->fds[j];
            obs->fds[j] = obs->fds[j - 1];
            obs->fds[j - 1] = t;
        }
    return r;
}

/* QEMU's own descriptors in its fdsets, as its backend told them. */
static int observe_fdsets(const struct audit_expect *exp, struct audit_observed *obs)
{
    obs->fdsets_read = exp->media_fds_known;
    if (!exp->n_media_fds)
        return 0;
    obs->fdset_fds = malloc(exp->n_media_fds * sizeof(*obs->fdset_fds));
    if (!obs->fdset_fds)
        return -ENOMEM;
    memcpy(obs->fdset_fds, exp->media_fds, exp->n_media_fds * sizeof(*obs->fdset_fds));
    obs->n_fdset_fds = exp->n_media_fds;
    return 0;
}

/* Is pid a child of parent (/proc/PID/stat's fourth field)? */
static bool child_of(pid_t pid, pid_t parent)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *end = strrchr(buf, ')');  /* the name may hold anything */
    int ppid;
    return end && sscanf(end + 1, " %*c %d", &ppid) == 1 && ppid == parent;
}

static bool watchers_child(const struct audit_expect *exp, pid_t pid)
{
    for (size_t i = 0; i < exp->n_watchers; i++)
        if (child_of(pid, exp->watchers[i]))
            return true;
    return false;
}

/* Every live process with the DM's uid but the DM and its watcher's
 * parser (which takes the DM's uid on purpose, watcher.c). */
static int observe_others(const struct audit_expect *exp, struct audit_observed *obs)
{
    int r = proc_pids_of_uid(exp->uid, &obs->others, &obs->n_others);
    size_t kept = 0;
    for (size_t i = 0; !r && i < obs->n_others; i++)
        if (obs->others[i] != exp->dm_pid && !watchers_child(exp, obs->others[i]))
            obs->others[kept++] = obs->others[i];
    obs->n_others = kept;
    return r;
}

/* xen: any other device model of this domain (libxl may start more than one). */
static int observe_domain_dms(const struct audit_expect *exp, struct audit_observed *obs)
{
    pid_t *pids = NULL;
    size_t n = 0;
    int r = proc_pids_of_xen_domid(exp->domid, &pids, &n);
    uid_t *uids = r ? NULL : calloc(n + 1, sizeof(*uids));
    size_t kept = 0;
    for (size_t i = 0; uids && i < n; i++) {
        if (pids[i] == exp->dm_pid)
            continue;
        uid_t uid;
        if (proc_uid(pids[i], &uid))
            continue;  /* gone meanwhile */
        pids[kept] = pids[i];
        uids[kept++] = uid;
    }
    if (!r && !uids)
        r = -ENOMEM;
    if (r) {
        free(pids);
        return r;
    }
    obs->domain_dms = pids;
    obs->domain_dm_uids = uids;
    obs->n_domain_dms = kept;
    return 0;
}

int audit_observe(const struct audit_expect *exp, struct audit_observed *obs)
{
    *obs = (struct audit_observed){ 0 };
    observe_status(exp->dm_pid, obs);
    int r = observe_root(exp->dm_pid, obs);
    observe_limits(exp->dm_pid, exp, obs);
    observe_namespaces(exp->dm_pid, obs);
    if (!r)
        r = observe_fds(exp->dm_pid, obs);
    if (!r)
        r = observe_fdsets(exp, obs);
    /* Root's processes are everyone's business: only a DM uid is looked for. */
    if (!r && exp->uid != 0)
        r = observe_others(exp, obs);
    if (!r && exp->xen_interfaces)
        r = observe_domain_dms(exp, obs);
    return r;
}

void audit_observed_clear(struct audit_observed *obs)
{
    free(obs->root);
    for (size_t i = 0; i < obs->n_entries; i++)
        free(obs->entries[i].path);
    free(obs->entries);
    for (size_t i = 0; i < obs->n_fds; i++) {
        free(obs->fds[i].target);
        free(obs->fds[i].socket_path);
    }
    free(obs->fds);
    free(obs->fdset_fds);
    free(obs->others);
    free(obs->domain_dms);
    free(obs->domain_dm_uids);
    *obs = (struct audit_observed){ 0 };
}
