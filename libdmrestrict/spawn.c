/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Start QEMU with exactly the descriptors the plan lists. The child, before
 * exec: a new session, unshare(CLONE_NEWNS|CLONE_NEWIPC) with its mounts
 * made private, the plan's rlimits, stdin /dev/null, stdout and stderr the
 * logger's pipe, resource i at the plan's descriptor number, and every
 * other descriptor closed. QEMU itself then chroots and drops its user
 * (-chroot/-runas or -run-with). It is started through an intermediate
 * process that exits at once, so QEMU is never the caller's child: the
 * toolstack daemonizes it (QEMU's -daemonize is killed by spawn=deny).
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "launch.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define SCRATCH_FD_MIN 100

/* In the child: report errno on the exec-status pipe and die. */
static void __attribute__((noreturn)) child_fail(int status_fd, int step)
{
    int report[2] = { step, errno };
    (void)!write(status_fd, report, sizeof(report));
    _exit(127);
}

enum { STEP_SETSID = 1, STEP_UNSHARE, STEP_MOUNT, STEP_CHROOT, STEP_RLIMIT, STEP_FDS, STEP_EXEC };

static const char *step_name(int step)
{
    static const char *const names[] = { "?", "setsid", "unshare", "making mounts private",
                                         "making its chroot (tmpfs, VFIO nodes)", "setrlimit",
                                         "arranging descriptors", "exec" };
    return step > 0 && step <= STEP_EXEC ? names[step] : names[0];
}

static void __attribute__((noreturn))
child_exec(const libdmr_plan *plan, const int *resource_fds, int out_fd, int status_fd)
{
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

int spawn_dm(libdmr_ctx *ctx, const libdmr_plan *plan, const int *resource_fds,
             int out_fd, struct proc_ref *ret)
{
    int pid_pipe[2], status_pipe[2];
    if (pipe2(pid_pipe, O_CLOEXEC) < 0) {
        LOGED(ERROR, plan->domid, "starting the device model: a pipe");
        return -errno;
    }
    if (pipe2(status_pipe, O_CLOEXEC) < 0) {
        LOGED(ERROR, plan->domid, "starting the device model: a pipe");
        safe_close(pid_pipe[0]);
        safe_close(pid_pipe[1]);
        return -errno;
    }
    pid_t middle = fork();
    if (middle == 0) {
        safe_close(pid_pipe[0]);
        safe_close(status_pipe[0]);
        pid_t dm = fork();
        if (dm == 0) {
            safe_close(pid_pipe[1]);
            child_exec(plan, resource_fds, out_fd, status_pipe[1]);
        }
        (void)!write(pid_pipe[1], &dm, sizeof(dm));
        _exit(dm < 0 ? 1 : 0);
    }
    safe_close(pid_pipe[1]);
    safe_close(status_pipe[1]);
    int r = middle < 0 ? -errno : 0;
    pid_t dm = -1;
    if (!r) {
        while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
            ;
        if (read(pid_pipe[0], &dm, sizeof(dm)) != sizeof(dm) || dm < 0)
            r = -EAGAIN;
    }
    /* EOF means exec happened; a report means a step before it failed. */
    int report[2];
    ssize_t n = r ? 0 : read(status_pipe[0], report, sizeof(report));
    safe_close(pid_pipe[0]);
    safe_close(status_pipe[0]);
    if (r) {
        LOGEV(ERROR, -r, "Domain %u: starting the device model", plan->domid);
        return r;
    }
    if (n == sizeof(report)) {
        LOGEVD(ERROR, report[1], plan->domid, "device model child: %s failed",
               step_name(report[0]));
        return -report[1];
    }
    ret->pid = dm;
    /* Taken now, while QEMU cannot have been reaped: it is not our child,
     * but it is alive until it reads its first instructions. */
    if (proc_start_time(dm, &ret->start) < 0) {
        LOGD(ERROR, plan->domid, "the device model (pid %d) exited at once", (int)dm);
        return -ESRCH;
    }
    return 0;
}
