/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-domain watcher (qemu backend): what acts when the guest powers
 * off, reboots or crashes, as on_poweroff, on_reboot, on_crash say.
 *
 * QEMU stops the guest and tells (-action ...=pause, pvpanic), on the
 * second QMP monitor the plan made for this. The watcher is split as
 * OpenSSH splits sshd (monitor.c): a root parent that parses nothing the
 * device model wrote, and a child that parses QMP with no privilege:
 *
 *  - the child connects to the events socket (as root: it is 0600), then
 *    takes the DM's own uid and gid (it gains nothing the DM lacks: the
 *    DM can power its guest off anyway), no_new_privs, not dumpable, no
 *    descriptor but the QMP connection and its socketpair end, and after
 *    the greeting SECCOMP_MODE_STRICT (read, write, exit). Each event it
 *    recognises becomes one byte: W_POWEROFF, W_REBOOT, W_CRASH.
 *  - the parent holds the DM's pidfd and reads one byte at a time from a
 *    fixed table; anything else ends the child ("watching lost"). The DM
 *    exiting (its pidfd readable) ends the watcher: the next command
 *    cleans up (lifecycle_reap_unwatched). It acts through
 *    lifecycle_guest_event (lifecycle.c), under the domain lock.
 *
 * Started before the guest first runs (the lock held), so no event is
 * missed; a restart starts the next watcher through the create path, and
 * this one exits.
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "backend.h"

#define WATCH_LINE_MAX 4096

struct watcher_arg {
    libdmr_ctx *ctx;
    libdmr_plan *plan;     /* in the watcher, its own copy of the creator's */
    struct proc_ref dm;
};

/* ---- the unprivileged child ------------------------------------------ */

static void __attribute__((noreturn)) child_exit(int code)
{
    syscall(SYS_exit, code);  /* exit_group is not in SECCOMP_MODE_STRICT */
    for (;;)
        ;
}

static bool write_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w <= 0)
            return false;
        buf += w;
        n -= (size_t)w;
    }
    return true;
}

/* One QMP line: the event it is, or 0. QEMU writes each message on one
 * line, members in a fixed order ("event": "NAME", "data": {...}). */
static char event_of(const char *line)
{
    if (strstr(line, "\"event\": \"GUEST_PANICKED\""))
        return W_CRASH;
    if (!strstr(line, "\"event\": \"SHUTDOWN\""))
        return 0;
    /* reboot=shutdown: a guest reboot is a shutdown with this reason. */
    if (strstr(line, "\"reason\": \"guest-reset\"") ||
        strstr(line, "\"reason\": \"host-qmp-system-reset\""))  /* xl-dmr reboot */
        return W_REBOOT;
    if (strstr(line, "\"reason\": \"guest-shutdown\""))
        return W_POWEROFF;
    return 0;  /* the host's quit, or another toolstack's request */
}

static void __attribute__((noreturn)) child_loop(int qmp, int out)
{
    static char line[WATCH_LINE_MAX + 1];
    size_t len = 0;
    bool overlong = false;
    for (;;) {
        char c;
        ssize_t n = read(qmp, &c, 1);
        if (n <= 0)
            child_exit(0);  /* QEMU is gone: the parent sees its pidfd */
        if (c != '\n') {
            if (len < WATCH_LINE_MAX)
                line[len++] = c;
            else
                overlong = true;
            continue;
        }
        line[len] = '\0';
        char e = overlong ? 0 : event_of(line);
        if (e && !write_all(out, &e, 1))
            child_exit(1);
        len = 0;
        overlong = false;
    }
}

/* Drop to the DM's ids for good, and check they cannot be regained. */
static bool child_drop(uid_t uid, gid_t gid)
{
    if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
        return false;
    if (uid != 0 && setuid(0) == 0)
        return false;
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
}

static void __attribute__((noreturn)) child_main(int qmp, int out, uid_t uid, gid_t gid)
{
    static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\n";
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (!child_drop(uid, gid))
        child_exit(2);
    /* The greeting, then capabilities: from here on only events come. */
    if (!write_all(qmp, caps, sizeof(caps) - 1))
        child_exit(3);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0)
        child_exit(4);
    char ready = W_READY;
    if (!write_all(out, &ready, 1))
        child_exit(5);
    child_loop(qmp, out);
}

/* ---- the root parent -------------------------------------------------- */

static int connect_events(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int r = -errno;
        safe_close(fd);
        return r;
    }
    return fd;
}

/* One byte from the child; 0 on EOF or anything not in the table. */
static char read_event(int fd)
{
    char c;
    ssize_t n;
    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1)
        return 0;
    return c == W_POWEROFF || c == W_REBOOT || c == W_CRASH || c == W_READY ? c : 0;
}

/* The parser is reaped here: a zombie of the DM's uid, left to pid 1,
 * would be counted as the uid's by the next look (kernel_counts_no_task). */
static void end_parser(pid_t child)
{
    int status;
    if (child > 0 && kill(child, SIGKILL) == 0)
        wait_child(child, &status);
}

/* Until the DM exits, or the watching is lost: each event acted on. */
static void __attribute__((noreturn)) parent_loop(const struct watcher_arg *a, int pidfd,
                                                  int events, pid_t child)
{
    libdmr_ctx *ctx = a->ctx;
    for (;;) {
        struct pollfd pf[2] = { { pidfd, POLLIN, 0 }, { events, POLLIN, 0 } };
        if (poll(pf, events >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        /* The DM died without a word (killed, crashed): not the guest's
         * doing. The domain is left as it is, listed dead; the next
         * command that finds its watcher gone too cleans it up. */
        if (pf[0].revents) {
            end_parser(child);
            _exit(0);
        }
        char e = 0;
        if (pf[1].revents && !(e = read_event(events))) {
            /* The child ended (QEMU closed the monitor) or spoke out of
             * turn: stop listening, keep waiting for the DM. */
            end_parser(child);
            child = 0;
            events = safe_close(events);
            continue;
        }
        if (e == W_READY)
            continue;
        /* One event per guest run: the parser's work is over. */
        end_parser(child);
        child = 0;
        events = safe_close(events);
        /* 1: this watcher is done (the domain is gone or restarted). */
        if (lifecycle_guest_event(ctx, a->plan, &a->dm, e) != 0)
            _exit(0);
    }
}

/* Our descriptors only: /dev/null in, out, and err to the domain's log. */
static int watcher_fds(const char *log_path, int keep)
{
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    int log = open(log_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    int k = fcntl(keep, F_DUPFD_CLOEXEC, 100);
    if (devnull < 0 || k < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
        dup2(log >= 0 ? log : devnull, 2) < 0)
        return -EIO;
    close_range(3, 99, 0);
    close_range(101, ~0u, 0);
    if (k != 100 && (dup2(k, 100) < 0 || close(k) < 0))
        return -EIO;
    return 100;
}

static void __attribute__((noreturn)) watcher_main(void *arg, int report_fd)
{
    const struct watcher_arg *a = arg;
    const libdmr_plan *p = a->plan;
    int report[2] = { 1, 0 };
    setsid();
    /* A copy of the creator's memory: its lock descriptor is closed below,
     * and a restart runs the guest as xl's does, whatever create -p said. */
    a->ctx->holds_lock = false;
    a->plan->paused = false;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    report_fd = watcher_fds(p->log_path, report_fd);
    struct proc_ref dm = a->dm;
    int pidfd = report_fd >= 0 ? proc_open(&dm) : -EIO;
    int qmp = pidfd >= 0 ? connect_events(p->qmp_events_path) : pidfd;
    int sp[2] = { -1, -1 };
    if (qmp < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
        report[1] = qmp < 0 ? -qmp : errno;
        (void)!write(report_fd, report, sizeof(report));  /* about to exit: nothing to do if it fails */
        _exit(1);
    }
    pid_t child = fork();
    if (child == 0) {
        safe_close(pidfd);
        safe_close(sp[0]);
        safe_close(report_fd);
        child_main(qmp, sp[1], p->id.uid, p->id.gid);
    }
    safe_close(qmp);
    safe_close(sp[1]);
    /* Ready once the child has the events: only then may the guest run. */
    if (child < 0 || read_event(sp[0]) != W_READY) {
        report[1] = child < 0 ? errno : EPROTO;
        (void)!write(report_fd, report, sizeof(report));  /* about to exit: nothing to do if it fails */
        _exit(1);
    }
    safe_close(report_fd);
    parent_loop(a, pidfd, sp[0], child);
}

int watcher_start(libdmr_ctx *ctx, const libdmr_plan *p, struct dm_state *s)
{
    if (!p->qmp_events_path)
        return 0;
    /* The child writes only to its own copy of the plan (fork). */
    struct watcher_arg a = { ctx, (libdmr_plan *)p, s->dm };
    int report[2], pidfd = -EBADF;
    int r = spawn_detached(watcher_main, &a, true, NULL, &s->watcher, &pidfd, report);
    safe_close(pidfd);
    if (r) {
        LOGEVD(ERROR, -r, p->domid, "starting the domain's watcher");
        s->watcher = (struct proc_ref){ 0 };
    }
    return r;
}
