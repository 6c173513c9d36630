/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting the processes that outlive the call: QEMU and its logger.
 *
 * Each is started through a middle process that exits at once, so it is
 * never the caller's child (the toolstack daemonizes QEMU: its -daemonize
 * is killed by spawn=deny). The child then waits for the caller's go: the
 * caller learns its pid from the middle process and holds it by a pidfd
 * with its start time before it runs anything, so the caller can always
 * kill what it started and wait for it. A caller that cannot hold it says
 * no (EOF) and the child exits; a failed start returns only once the
 * child has (its end of the control socket closed).
 *
 * QEMU's child, before exec: a new session, unshare(CLONE_NEWNS |
 * CLONE_NEWIPC) with its mounts made private, the plan's rlimits, stdin
 * /dev/null, stdout and stderr the logger's pipe, resource i at the plan's
 * descriptor number, and every other descriptor closed. QEMU itself then
 * chroots and drops its user (-chroot/-runas or -run-with).
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "launch.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define SCRATCH_FD_MIN 100

/* In the child: report the step and errno on the control socket and die. */
static void __attribute__((noreturn)) child_fail(int report_fd, int step)
{
    int report[2] = { step, errno };
    (void)!write(report_fd, report, sizeof(report));
    _exit(127);
}

enum { STEP_GO = 1, STEP_SETSID, STEP_UNSHARE, STEP_MOUNT, STEP_CHROOT, STEP_RLIMIT, STEP_FDS,
       STEP_EXEC };

static const char *step_name(int step)
{
    static const char *const names[] = { "?", "waiting for its start", "setsid", "unshare",
                                         "making mounts private",
                                         "making its chroot (tmpfs, VFIO nodes)", "setrlimit",
                                         "arranging descriptors", "exec" };
    return step > 0 && step <= STEP_EXEC ? names[step] : names[0];
}

struct dm_child {
    const libdmr_plan *plan;
    const int *resource_fds;
    int out_fd;
};

static void __attribute__((noreturn)) child_exec(void *arg, int status_fd)
{
    const struct dm_child *c = arg;
    const libdmr_plan *plan = c->plan;
    const int *resource_fds = c->resource_fds;
    int out_fd = c->out_fd;
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    if (setsid() < 0)
        child_fail(status_fd, STEP_SETSID);
    if (plan->unshare_mnt_ipc) {
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0)
            child_fail(status_fd, STEP_UNSHARE);
        /* Nothing mounted in the DM's namespace may reach the host's. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            child_fail(status_fd, STEP_MOUNT);
        const char *failed;
        int r = chroot_populate(plan->chroot, &plan->chroot_contents, &failed);
        if (r) {
            errno = -r;
            child_fail(status_fd, STEP_CHROOT);
        }
    }
    for (size_t i = 0; i < plan->n_rlimits; i++) {
        const struct plan_rlimit *l = &plan->rlimits[i];
        struct rlimit rl = { .rlim_cur = l->value == UINT64_MAX ? RLIM_INFINITY : l->value,
                             .rlim_max = l->value == UINT64_MAX ? RLIM_INFINITY : l->value };
        if (setrlimit(l->resource, &rl) < 0)
            child_fail(status_fd, STEP_RLIMIT);
    }

    /* Lift every source above the targets first, so no dup2 clobbers one. */
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    int out = fcntl(out_fd, F_DUPFD_CLOEXEC, SCRATCH_FD_MIN);
    int null = fcntl(devnull, F_DUPFD_CLOEXEC, SCRATCH_FD_MIN);
    status_fd = fcntl(status_fd, F_DUPFD_CLOEXEC, SCRATCH_FD_MIN);
    if (devnull < 0 || out < 0 || null < 0 || status_fd < 0)
        _exit(127);
    int lifted[64];
    if (plan->n_resources > ELEMENTSOF(lifted))
        child_fail(status_fd, STEP_FDS);
    for (size_t i = 0; i < plan->n_resources; i++)
        if ((lifted[i] = fcntl(resource_fds[i], F_DUPFD_CLOEXEC, SCRATCH_FD_MIN)) < 0)
            child_fail(status_fd, STEP_FDS);
    int last = 2;
    if (dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        child_fail(status_fd, STEP_FDS);
    for (size_t i = 0; i < plan->n_resources; i++) {
        if (dup2(lifted[i], plan->resources[i].child_fd) < 0)
            child_fail(status_fd, STEP_FDS);
        if (plan->resources[i].child_fd > last)
            last = plan->resources[i].child_fd;
    }
    /* Everything above the planned descriptors goes at exec. */
    if (syscall(SYS_close_range, last + 1, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        child_fail(status_fd, STEP_FDS);

    char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
    execve(plan->qemu_path, plan->argv.v, env);
    child_fail(status_fd, STEP_EXEC);
}

/* Before main: wait for the caller's go (it holds us by a pidfd then). */
static void __attribute__((noreturn))
detached_child(int ctl, void (*main_fn)(void *arg, int report_fd), void *arg)
{
    char go;
    ssize_t n;
    while ((n = read(ctl, &go, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1) {
        /* EOF is the caller's "no": it could not hold us. */
        if (n < 0)
            child_fail(ctl, STEP_GO);
        _exit(127);
    }
    main_fn(arg, ctl);
    _exit(127);
}

/* Read ctl until EOF: every holder of the child's end (the child, which
 * closes it at exec or at exit) is gone. A report read meanwhile is kept.
 * A read error is retried a few times (it says nothing about the child). */
static void drain_until_closed(int ctl, int report[2], bool *reported)
{
    int buf[2], errors = 0;
    ssize_t n;
    while ((n = read(ctl, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno != EINTR && ++errors > 3)
            return;
        if (n == sizeof(buf) && !*reported) {
            report[0] = buf[0];
            report[1] = buf[1];
            *reported = true;
        }
    }
}

/* The middle process: fork the child, tell the caller its pid, exit. */
static void __attribute__((noreturn))
middle_main(int pid_write, int ctl_parent, int ctl_child,
            void (*main_fn)(void *arg, int report_fd), void *arg)
{
    safe_close(ctl_parent);
    pid_t child = fork();
    if (child == 0) {
        safe_close(pid_write);
        detached_child(ctl_child, main_fn, arg);
    }
    _exit(child > 0 && write(pid_write, &child, sizeof(child)) == sizeof(child) ? 0 : 1);
}

/* Its pid from the middle process, once that has exited. */
static int read_child_pid(pid_t middle, int pid_read, pid_t *ret)
{
    int status;
    int r = wait_child(middle, &status);
    if (r)
        return r;
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        return -EAGAIN;
    ssize_t n = read(pid_read, ret, sizeof(*ret));
    return n == sizeof(*ret) && *ret > 0 ? 0 : n < 0 ? -errno : -EAGAIN;
}

/* Hold the child by a pidfd and its start time (it is blocked before
 * main: alive, and not anyone's to reap yet), tell before_go, then let it
 * go on. */
static int hold_and_go(pid_t child, int ctl, const struct spawn_go *go, struct proc_ref *ret,
                       int *ret_pidfd, int report[2])
{
    struct proc_ref held;
    int pidfd = proc_open_pid(child, &held);
    if (pidfd < 0)
        return pidfd;
    int r = go && go->before ? go->before(go->arg, &held) : 0;
    if (r)
        report[0] = SPAWN_REFUSED;
    if (!r && send(ctl, "g", 1, MSG_NOSIGNAL) != 1)
        r = -errno;
    if (r) {
        safe_close(pidfd);
        return r;
    }
    *ret = held;
    *ret_pidfd = pidfd;
    return 0;
}

int spawn_detached(void (*main_fn)(void *arg, int report_fd), void *arg, bool until_exec,
                   const struct spawn_go *go, struct proc_ref *ret, int *ret_pidfd,
                   int report[2])
{
    int pid_pipe[2], ctl[2];
    report[0] = report[1] = 0;
    if (pipe2(pid_pipe, O_CLOEXEC) < 0)
        return -errno;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0) {
        int r = -errno;
        safe_close(pid_pipe[0]);
        safe_close(pid_pipe[1]);
        return r;
    }
    pid_t middle = fork();
    if (middle == 0) {
        safe_close(pid_pipe[0]);
        middle_main(pid_pipe[1], ctl[0], ctl[1], main_fn, arg);
    }
    int r = middle < 0 ? -errno : 0;
    safe_close(pid_pipe[1]);
    safe_close(ctl[1]);
    pid_t child = -1;
    if (!r)
        r = read_child_pid(middle, pid_pipe[0], &child);
    safe_close(pid_pipe[0]);
    if (!r)
        r = hold_and_go(child, ctl[0], go, ret, ret_pidfd, report);
    bool reported = false;
    if (r)
        shutdown(ctl[0], SHUT_WR);  /* no go: the child exits before main */
    if (r || until_exec)
        drain_until_closed(ctl[0], report, &reported);
    safe_close(ctl[0]);
    if (!r && reported) {
        r = report[1] ? -report[1] : -EIO;
        *ret_pidfd = safe_close(*ret_pidfd);  /* it is gone: EOF came after its report */
    }
    if (!reported && report[0] != SPAWN_REFUSED)
        report[0] = 0;
    return r;
}

int spawn_dm(libdmr_ctx *ctx, const libdmr_plan *plan, const int *resource_fds,
             int out_fd, const struct spawn_go *go, struct proc_ref *ret, int *ret_pidfd)
{
    struct dm_child c = { plan, resource_fds, out_fd };
    int report[2];
    int r = spawn_detached(child_exec, &c, true, go, ret, ret_pidfd, report);
    if (r && report[0] == SPAWN_REFUSED)
        return r;  /* go->before said why */
    if (r && report[0])
        LOGEVD(ERROR, -r, plan->domid, "device model child: %s failed", step_name(report[0]));
    else if (r)
        LOGEVD(ERROR, -r, plan->domid, "starting the device model");
    else if (proc_held_exited(*ret_pidfd, 0)) {
        /* It exec'd and died at once (or died without a word). */
        LOGD(ERROR, plan->domid, "the device model (pid %d) exited at once", (int)ret->pid);
        return -ESRCH;
    }
    return r;
}
