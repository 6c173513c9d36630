/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting the processes that outlive the call: QEMU and its logger.
 *
 * Each is started through a middle process that exits at once, so it is
 * never the caller's child (the toolstack daemonizes QEMU: its -daemonize
 * is killed by spawn=deny). QEMU's middle process forks a keeper first,
 * which forks QEMU and stays its parent, holding nothing, to reap it the
 * moment it exits (keeper_main). The child then waits for the caller's go: the
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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "launch.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define SCRATCH_FD_MIN 100
/* How long a child told no (or that failed) is waited for after EOF. */
#define SPAWN_EXIT_TIMEOUT_MS 1000

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

/* What the middle process (or the keeper) tells the caller. */
struct spawn_pids {
    pid_t child;
    struct proc_ref keeper;  /* pid 0: none */
};

/*
 * The keeper (spawn_dm): QEMU's parent for its whole life, holding
 * nothing, so that QEMU is reaped the moment it exits. Left to pid 1, its
 * zombie would be counted as a task of its uid until pid 1 got to it (a
 * second or more on some hosts), and the next look for the uid
 * (kernel_counts_no_task) would have to walk /proc.
 */
static void __attribute__((noreturn)) keeper_main(pid_t child, int pid_write, int ctl_child)
{
    safe_close(pid_write);
    safe_close(ctl_child);
    close_range(0, ~0U, 0);
    setsid();
    (void)!chdir("/");
    prctl(PR_SET_NAME, "dmr-keeper", 0, 0, 0);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* The middle process: fork the child (through a keeper that stays its
 * parent, when asked), tell the caller its pid and the keeper's, exit. */
static void __attribute__((noreturn))
middle_main(int pid_write, int ctl_parent, int ctl_child,
            void (*main_fn)(void *arg, int report_fd), void *arg, bool keep)
{
    safe_close(ctl_parent);
    if (keep) {
        pid_t keeper = fork();
        if (keeper != 0)
            _exit(keeper > 0 ? 0 : 1);
        /* A terminal's or a process group's signals are not for the
         * keeper (the child sets its own mask after the go). */
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
    }
    pid_t child = fork();
    if (child == 0) {
        safe_close(pid_write);
        detached_child(ctl_child, main_fn, arg);
    }
    struct spawn_pids told;
    memset(&told, 0, sizeof(told));  /* padding too: it is written whole */
    told.child = child;
    if (keep && proc_self(&told.keeper) < 0)
        told.keeper.pid = 0;
    bool ok = child > 0 && write(pid_write, &told, sizeof(told)) == sizeof(told);
    if (keep && child > 0)
        keeper_main(child, pid_write, ctl_child);
    _exit(ok ? 0 : 1);
}

/* The child's pid and its keeper's identity (pid 0: none) from the
 * middle process or the keeper (EOF: it died before telling; the child
 * holds no copy of the pipe), then the middle process reaped. */
static int read_child_pid(pid_t middle, int pid_read, struct spawn_pids *ret)
{
    struct spawn_pids told;
    ssize_t n;
    while ((n = read(pid_read, &told, sizeof(told))) < 0 && errno == EINTR)
        ;
    int r = n == sizeof(told) && told.child > 0 ? 0 : n < 0 ? -errno : -EAGAIN;
    if (!r)
        *ret = told;
    /* Best effort: a toolstack that reaps every child itself, or ignores
     * SIGCHLD, makes this ECHILD; the pipe has said what matters. */
    int status;
    (void)wait_child(middle, &status);
    return r;
}

/* One detached start: what the caller holds of it. */
struct spawn_run {
    int ctl;               /* the caller's end of the control socket */
    int pidfd;             /* the child, once held */
    struct proc_ref child;
    struct proc_ref *keeper;  /* the child's keeper, when it has one */
    int keeper_pidfd;
    int report[2];         /* {step, errno} from the child */
    bool reported, refused;
};

/* The middle process and, through it, the child (waiting for its go). */
static int start_child(struct spawn_run *s, void (*main_fn)(void *arg, int report_fd),
                       void *arg, struct spawn_pids *ret_pids)
{
    int pid_pipe[2], ctl[2];
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
        middle_main(pid_pipe[1], ctl[0], ctl[1], main_fn, arg, s->keeper != NULL);
    }
    int r = middle < 0 ? -errno : 0;
    safe_close(pid_pipe[1]);
    safe_close(ctl[1]);
    s->ctl = ctl[0];  /* kept on failure too: a child may exist, to be waited for */
    if (!r)
        r = read_child_pid(middle, pid_pipe[0], ret_pids);
    safe_close(pid_pipe[0]);
    return r;
}

/* Held by a pidfd and its start time: it is blocked before main, alive
 * and nobody's to reap (but its keeper's, which waits for it), so a
 * failure here is ours, not its death. The keeper, named by itself, is
 * recorded before it is held: a failure to hold it still leaves the
 * caller what to wait for. */
static int hold_child(struct spawn_run *s, const struct spawn_pids *pids)
{
    if (s->keeper)
        *s->keeper = pids->keeper;
    int fd = proc_open_pid(pids->child, &s->child);
    if (fd < 0)
        return fd == -ESRCH ? -EAGAIN : fd;
    s->pidfd = fd;
    if (!s->keeper)
        return 0;
    fd = pids->keeper.pid > 0 ? proc_open(s->keeper) : -ESRCH;
    if (fd < 0)
        return -EAGAIN;
    s->keeper_pidfd = fd;
    return 0;
}

static int let_go(struct spawn_run *s, const struct spawn_go *go)
{
    int r = go && go->before ? go->before(go->arg, &s->child) : 0;
    if (r) {
        s->refused = true;
        return r;
    }
    return send(s->ctl, "g", 1, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

/*
 * After a failure (no go: the child exits before main), or to see it exec:
 * the socket read to EOF (the child exec'd, or exited), then, after a
 * failure, the held child waited for too (EOF comes as it closes its
 * files, a moment before it has exited).
 */
static int await_child(struct spawn_run *s, int r, bool until_exec)
{
    if (s->ctl < 0 || (!r && !until_exec))
        return r;
    if (r)
        shutdown(s->ctl, SHUT_WR);
    drain_until_closed(s->ctl, s->report, &s->reported);
    if (!r && s->reported)
        r = s->report[1] ? -s->report[1] : -EIO;
    if (r && s->pidfd >= 0)
        proc_held_exited(s->pidfd, SPAWN_EXIT_TIMEOUT_MS);
    /* Its keeper ends once it has reaped it. */
    if (r && s->keeper_pidfd >= 0)
        proc_held_exited(s->keeper_pidfd, SPAWN_EXIT_TIMEOUT_MS);
    else if (r && s->keeper && s->keeper->pid > 0)
        proc_exited(s->keeper, SPAWN_EXIT_TIMEOUT_MS);
    return r;
}

static int spawn_start(void (*main_fn)(void *arg, int report_fd), void *arg, bool until_exec,
                       const struct spawn_go *go, struct proc_ref *ret, int *ret_pidfd,
                       struct proc_ref *ret_keeper, int report[2])
{
    struct spawn_run s = { .ctl = -EBADF, .pidfd = -EBADF, .keeper = ret_keeper,
                           .keeper_pidfd = -EBADF };
    struct spawn_pids pids = { .child = -1 };
    if (ret_keeper)
        *ret_keeper = (struct proc_ref){ 0 };
    int r = start_child(&s, main_fn, arg, &pids);
    if (!r)
        r = hold_child(&s, &pids);
    if (!r)
        r = let_go(&s, go);
    r = await_child(&s, r, until_exec);
    safe_close(s.ctl);
    safe_close(s.keeper_pidfd);
    report[0] = s.refused ? SPAWN_REFUSED : s.reported ? s.report[0] : 0;
    report[1] = s.report[1];
    if (r) {
        safe_close(s.pidfd);
        return r;
    }
    *ret = s.child;
    *ret_pidfd = s.pidfd;
    return 0;
}

int spawn_detached(void (*main_fn)(void *arg, int report_fd), void *arg, bool until_exec,
                   const struct spawn_go *go, struct proc_ref *ret, int *ret_pidfd,
                   int report[2])
{
    return spawn_start(main_fn, arg, until_exec, go, ret, ret_pidfd, NULL, report);
}

int spawn_dm(libdmr_ctx *ctx, const libdmr_plan *plan, const int *resource_fds,
             int out_fd, const struct spawn_go *go, struct proc_ref *ret, int *ret_pidfd,
             struct proc_ref *ret_keeper)
{
    struct dm_child c = { plan, resource_fds, out_fd };
    int report[2];
    int r = spawn_start(child_exec, &c, true, go, ret, ret_pidfd, ret_keeper, report);
    if (r && report[0] == SPAWN_REFUSED)
        return r;  /* go->before said why */
    if (r && report[0])
        LOGEVD(ERROR, -r, plan->domid, "device model child: %s failed", step_name(report[0]));
    else if (r)
        LOGEVD(ERROR, -r, plan->domid, "starting the device model");
    /* Exec'd and died at once (or died without a word): the caller says
     * so, with the log's tail. */
    return !r && proc_held_exited(*ret_pidfd, 0) ? -ESRCH : r;
}
