/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Processes the toolstack started but does not parent (QEMU, whose keeper
 * reaps it at once, and the logger, which belongs to pid 1 once the CLI
 * exits and may be reaped late): their exit is watched through a pidfd
 * (readable at exit, before the reaping) and a pid is trusted only with
 * the start time it had.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "launch.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int proc_stat_read(pid_t pid, struct proc_stat *ret)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ESRCH : -errno;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n < 0)
        return errno == ESRCH ? -ESRCH : -errno;
    if (n == 0)
        return -ESRCH;
    buf[n] = '\0';
    /* comm may hold spaces and parentheses: count from the last ')'. */
    char *p = strrchr(buf, ')');
    unsigned long long utime, stime, start;
    char state;
    /* After ") ": state is field 3, utime 14, stime 15, starttime 22. */
    if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
                            "%*d %*d %*d %*d %*d %*d %llu", &state, &utime, &stime, &start) != 4)
        return -EIO;
    *ret = (struct proc_stat){ .state = state, .utime = utime, .stime = stime, .start = start };
    return 0;
}

/* /proc/<pid>/status, NUL-terminated; -ESRCH when it is gone. */
static int status_read(pid_t pid, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t len = fd < 0 ? -1 : read(fd, buf, size - 1);
    if (len <= 0)
        return -ESRCH;
    buf[len] = '\0';
    return 0;
}

/*
 * Z only: a task shown X is being released, and the kernel may have
 * stopped counting it already. Its real uid from status, where State is
 * read again: a pid reaped and reused in between is not a zombie.
 */
bool proc_is_zombie_of(const struct proc_ref *p, uid_t uid)
{
    struct proc_stat st;
    char status[4096];
    unsigned ruid;
    if (proc_stat_read(p->pid, &st) || st.start != p->start || st.state != 'Z' ||
        status_read(p->pid, status, sizeof(status)))
        return false;
    const char *state = strstr(status, "\nState:");
    const char *u = strstr(status, "\nUid:");
    return state && state[8] == 'Z' && u && sscanf(u, "\nUid: %u", &ruid) == 1 && ruid == uid;
}

int proc_start_time(pid_t pid, uint64_t *ret)
{
    struct proc_stat st;
    int r = proc_stat_read(pid, &st);
    if (!r)
        *ret = st.start;
    return r;
}

/* Is this /proc/<pid>/status a live process with uid as real, effective or saved uid? */
static bool status_has_uid(const char *status, uid_t uid)
{
    unsigned ruid, euid, suid;
    const char *u = strstr(status, "\nUid:");
    const char *state = strstr(status, "\nState:");
    if (!u || sscanf(u, "\nUid: %u %u %u", &ruid, &euid, &suid) != 3)
        return false;
    /* The dead (zombies waiting for a late reaping) harm no one. */
    if (state && (state[8] == 'Z' || state[8] == 'X'))
        return false;
    return ruid == uid || euid == uid || suid == uid;
}

/*
 * Every process whose /proc/<pid>/<file> matches, read whole (up to 8 KiB);
 * a process that is gone meanwhile, or reads empty, does not.
 */
static int proc_scan(const char *file, bool (*match)(const char *text, size_t len, const void *arg),
                     const void *arg, pid_t **ret, size_t *ret_n)
{
    *ret = NULL;
    *ret_n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return -errno;
    int r = 0;
    for (struct dirent *de; !r && (de = readdir(d));) {
        unsigned long pid;
        if (parse_ulong_strict(de->d_name, 1, INT32_MAX, &pid))
            continue;
        char path[64], text[8192];
        snprintf(path, sizeof(path), "%lu/%s", pid, file);
        int fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
        safe_close(fd);
        if (n <= 0)
            continue;
        text[n] = '\0';
        if (!match(text, (size_t)n, arg))
            continue;
        pid_t *grown = realloc(*ret, (*ret_n + 1) * sizeof(*grown));
        if (!grown)
            r = -ENOMEM;
        else
            (*ret = grown)[(*ret_n)++] = pid;
    }
    closedir(d);
    if (r) {
        free(*ret);
        *ret = NULL;
        *ret_n = 0;
    }
    return r;
}

static bool status_matches_uid(const char *status, size_t len, const void *uid)
{
    (void)len;
    return status_has_uid(status, *(const uid_t *)uid);
}

int proc_pids_of_uid(uid_t uid, pid_t **ret, size_t *ret_n)
{
    return proc_scan("status", status_matches_uid, &uid, ret, ret_n);
}

bool proc_has_uid(pid_t pid, uid_t uid)
{
    char status[4096];
    return status_read(pid, status, sizeof(status)) == 0 && status_has_uid(status, uid);
}

int proc_uid(pid_t pid, uid_t *ret)
{
    char status[4096];
    if (status_read(pid, status, sizeof(status)))
        return -ESRCH;
    const char *u = strstr(status, "\nUid:");
    unsigned uid;
    if (!u || sscanf(u, "\nUid: %*u %u", &uid) != 1)
        return -EIO;
    *ret = uid;
    return 0;
}

int proc_fds_each(pid_t pid, int (*each)(int fd, const char *target, int dirfd,
                                          const char *name, void *arg), void *arg)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    int r = 0;
    for (struct dirent *de; !r && (de = readdir(d));) {
        unsigned long fd;
        char target[4096];
        if (parse_ulong_strict(de->d_name, 0, INT32_MAX, &fd))
            continue;
        ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
        if (n < 0)
            continue;  /* closed meanwhile */
        target[n] = '\0';
        r = each((int)fd, target, dirfd(d), de->d_name, arg);
    }
    closedir(d);
    return r;
}

int proc_self(struct proc_ref *ret)
{
    ret->pid = getpid();
    return proc_start_time(ret->pid, &ret->start);
}

int proc_open_pid(pid_t pid, struct proc_ref *ret)
{
    if (pid <= 0)
        return -ESRCH;
    int fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return -errno;
    /* Held by the pidfd now: signals and waits through it reach this
     * process or none (once reaped, its pid may be reused; the pidfd
     * still names the one it was opened for). */
    int r = proc_start_time(pid, &ret->start);
    if (r < 0) {
        safe_close(fd);
        return r;
    }
    ret->pid = pid;
    return fd;
}

int proc_open(const struct proc_ref *p)
{
    struct proc_ref now;
    int fd = proc_open_pid(p->pid, &now);
    if (fd >= 0 && now.start != p->start)
        fd = safe_close(fd);
    return fd < 0 ? -ESRCH : fd;
}

int proc_hold(const struct proc_ref *p, int *held)
{
    if (*held < 0) {
        int fd = proc_open(p);
        if (fd < 0)
            return fd;
        *held = fd;
    }
    return *held;
}

bool proc_held_exited(int pidfd, int timeout_ms)
{
    struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
    int r;
    while ((r = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    return r > 0;
}

bool proc_exited(const struct proc_ref *p, int timeout_ms)
{
    _cleanup_close_ int pidfd = proc_open(p);
    return pidfd < 0 || proc_held_exited(pidfd, timeout_ms);
}

int proc_held_wait_exit(libdmr_ctx *ctx, pid_t pid, int pidfd, int timeout_ms, bool kill_after)
{
    if (proc_held_exited(pidfd, timeout_ms)) {
        LOG(DEBUG, "process %d exited", (int)pid);
        return 0;
    }
    if (!kill_after)
        return -ETIMEDOUT;
    LOG(DEBUG, "process %d did not exit in %d ms: SIGKILL", (int)pid, timeout_ms);
    if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
        return -errno;
    return proc_held_exited(pidfd, 5000) ? 0 : -ETIMEDOUT;
}

int proc_wait_exit(libdmr_ctx *ctx, const struct proc_ref *p, int timeout_ms,
                   bool kill_after)
{
    _cleanup_close_ int pidfd = proc_open(p);
    if (pidfd < 0) {
        LOG(DEBUG, "process %d: already gone (%s)", (int)p->pid, strerror(-pidfd));
        return 0;
    }
    return proc_held_wait_exit(ctx, p->pid, pidfd, timeout_ms, kill_after);
}

/* Does this argv (NUL-separated) hold "-xen-domid" followed by domid?
 * (A zombie's cmdline reads empty: the dead never match.) */
static bool cmdline_names_domid(const char *argv, size_t len, const void *domid)
{
    for (const char *a = argv; a < argv + len; a += strlen(a) + 1) {
        const char *next = a + strlen(a) + 1;
        if (!strcmp(a, "-xen-domid") && next < argv + len && !strcmp(next, domid))
            return true;
    }
    return false;
}

int proc_pids_of_xen_domid(uint32_t domid, pid_t **ret, size_t *ret_n)
{
    char want[16];
    snprintf(want, sizeof(want), "%u", domid);
    return proc_scan("cmdline", cmdline_names_domid, want, ret, ret_n);
}
