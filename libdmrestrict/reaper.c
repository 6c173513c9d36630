/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kill by uid: the one place the toolstack changes uid itself. A forked
 * child sets real uid = the reaper's, effective = the device model's,
 * saved = root, and calls kill(-1, SIGKILL): its effective uid lets it
 * signal every process of the DM's uid, while its real and saved uids are
 * no DM's, so no DM process can signal the reaper first. Reapers share
 * their real uid and could kill each other, so they run one at a time:
 * callers hold the host-wide lock (run_lock).
 *
 * kill(-1) says nothing about whether it reached anyone (it returns 0 when
 * any process exists, even one it may not signal: design.md, "Reaping:
 * what kill(-1) does not tell"), so the kernel's count of the uid's tasks
 * is asked first (kernel_counts_no_task), and when it counts some /proc
 * is read: it names the processes for the log, and when there are none
 * there is nothing to kill, and nothing can appear, since only that uid
 * or root can start a process with it.
 * Those found are held by pidfds and waited for: SIGKILL is delivered at
 * once, but a process takes a moment to die (QEMU unmaps its guest), and
 * the caller's next step (a new DM with the uid, "nothing left") must not
 * meet it. A zombie is dead enough: it holds nothing, and the walk does
 * not count it (the kernel's count does, until it is reaped).
 */
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

#define REAPER_ROUNDS 5
#define REAPER_WAIT_MS 5000    /* for all rounds together */

/* Hold each of pids that still has uid (a pid reused meanwhile is not). */
static size_t hold_all(const pid_t *pids, size_t n, uid_t uid, int *fds)
{
    size_t held = 0;
    for (size_t i = 0; i < n; i++) {
        struct proc_ref p;
        int fd = proc_open_pid(pids[i], &p);
        if (fd >= 0 && proc_has_uid(pids[i], uid))
            fds[held++] = fd;
        else
            safe_close(fd);
    }
    return held;
}

/* Wait until every held process has exited, by the deadline. */
static bool all_exited(int *fds, size_t n, long deadline)
{
    for (size_t i = 0; i < n; i++) {
        long left = deadline - monotonic_ms();
        if (!proc_held_exited(fds[i], left > 0 ? (int)left : 0))
            return false;
    }
    return true;
}

static int kill_all_of_uid(uid_t dm_uid, uid_t reaper_uid)
{
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        if (setresuid(reaper_uid, dm_uid, 0) < 0)
            _exit(2);
        _exit(kill(-1, SIGKILL) < 0 && errno != ESRCH ? 3 : 0);
    }
    int status;
    if (wait_child(pid, &status) || !WIFEXITED(status) || WEXITSTATUS(status))
        return -EIO;
    return 0;
}

/* 0 when a fork is allowed (its child exits at once), else -errno. */
static int try_fork(void)
{
    pid_t pid = vfork();
    if (pid == 0)
        _exit(0);
    if (pid < 0)
        return -errno;
    int status;
    return wait_child(pid, &status);
}

enum { PROBE_NONE, PROBE_SOME, PROBE_UNTOLD };

/* The kernel lets a task with CAP_SYS_RESOURCE or CAP_SYS_ADMIN fork past
 * RLIMIT_NPROC. Either one still effective after the change of uid (a
 * caller with SECBIT_NO_SETUID_FIXUP, say) means the limit cannot tell;
 * the EAGAIN check below would catch it too, unless a pids cgroup's own
 * EAGAIN came in its place. */
static bool may_pass_nproc(void)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &hdr, data) < 0)
        return true;
    return data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective & CAP_TO_MASK(CAP_SYS_RESOURCE) ||
           data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN);
}

/* In a forked child, as root: the child takes the uid and forks, allowed
 * only while the uid's tasks, the child and its new one included, are at
 * most 2 + slack. */
static int probe_as(uid_t uid, size_t slack)
{
    rlim_t most = 2 + slack;
    signal(SIGCHLD, SIG_DFL);  /* the caller's handler is not for this copy */
    /* Soft 1 under hard `most`: set as root, raised later without. */
    if (setrlimit(RLIMIT_NPROC, &(struct rlimit){ 1, most }) < 0 ||
        setresuid(uid, uid, uid) < 0 || may_pass_nproc())
        return PROBE_UNTOLD;
    /* The child and its new one are 2, over 1: a fork allowed here means
     * the limit does not bind this child (a capability survived). */
    if (try_fork() != -EAGAIN)
        return PROBE_UNTOLD;
    if (setrlimit(RLIMIT_NPROC, &(struct rlimit){ most, most }) < 0)
        return PROBE_UNTOLD;
    int r = try_fork();
    return r == 0 ? PROBE_NONE : r == -EAGAIN ? PROBE_SOME : PROBE_UNTOLD;
}

/* The child has the uid for a moment: a process of the uid may signal
 * it (SIGSTOP), and the caller may hold the host-wide lock. Waited for
 * this long, then killed, and the walk decides. */
#define PROBE_TIMEOUT_MS 500

static int probe(uid_t uid, size_t slack)
{
    pid_t pid = fork();
    if (pid < 0)
        return PROBE_UNTOLD;
    if (pid == 0)
        _exit(probe_as(uid, slack));
    struct proc_ref child;
    int pidfd = proc_open_pid(pid, &child);
    bool ended = pidfd >= 0 && proc_held_exited(pidfd, PROBE_TIMEOUT_MS);
    safe_close(pidfd);
    if (!ended)
        kill(pid, SIGKILL);  /* ours, not reaped: the pid is still its */
    int status;
    if (wait_child(pid, &status) || !ended || !WIFEXITED(status))
        return PROBE_UNTOLD;
    return WEXITSTATUS(status);
}

static size_t zombies_among(const struct proc_ref *procs, size_t n, uid_t uid)
{
    size_t z = 0;
    for (size_t i = 0; i < n; i++)
        z += proc_is_zombie_of(&procs[i], uid);
    return z;
}

/*
 * The kernel counts every task by its real uid, zombies until reaped, and
 * refuses a fork (EAGAIN) past RLIMIT_NPROC. A DM that just exited is a
 * zombie until its parent reaps it (its keeper at once; pid 1 when it has
 * none), so the zombies of the uid among exited are allowed for: none else was counted if the fork went through and
 * every one of them is still a zombie after it (a zombie never comes
 * back, so they were all counted). If one was reaped meanwhile, its room
 * might have hidden another task: asked again with less room.
 */
bool kernel_counts_no_task(uid_t uid, const struct proc_ref *exited, size_t n_exited)
{
    if (uid == 0)
        return false;
    size_t z = zombies_among(exited, n_exited, uid);
    for (;;) {
        if (probe(uid, z) != PROBE_NONE)
            return false;
        size_t after = zombies_among(exited, n_exited, uid);
        if (after == z)
            return true;
        z = after;
    }
}

int reaper_kill_uid(libdmr_ctx *ctx, uint32_t domid, uid_t dm_uid, uid_t reaper_uid,
                    char *pids, size_t pids_size)
{
    if (dm_uid == 0 || reaper_uid == 0 || dm_uid == reaper_uid)
        return -EINVAL;  /* the plan never asks this; refuse to kill root */
    pids[0] = '\0';
    int killed = 0;
    size_t len = 0;
    long deadline = monotonic_ms() + REAPER_WAIT_MS;
    /* Until a look finds none: what a round killed is waited for (the
     * caller's next step must not meet it), then looked for again; the
     * last round only looks. */
    for (int round = 0; round <= REAPER_ROUNDS; round++) {
        _cleanup_free_ pid_t *found = NULL;
        size_t count;
        int r = proc_pids_of_uid(dm_uid, &found, &count);
        if (r < 0) {
            LOGEVD(ERROR, -r, domid, "listing the processes of uid %u", (unsigned)dm_uid);
            return r;
        }
        if (!count)
            return killed;
        if (round == REAPER_ROUNDS)
            break;
        _cleanup_free_ int *fds = calloc(count, sizeof(*fds));
        if (!fds)
            return -ENOMEM;
        size_t held = hold_all(found, count, dm_uid, fds);
        for (size_t i = 0; i < count && len + 16 < pids_size; i++)
            len += snprintf(pids + len, pids_size - len, "%s%d", len ? " " : "", (int)found[i]);
        r = kill_all_of_uid(dm_uid, reaper_uid);
        bool gone = !r && all_exited(fds, held, deadline);
        for (size_t i = 0; i < held; i++)
            safe_close(fds[i]);
        if (r) {
            LOGD(ERROR, domid, "the reaper for uid %u failed", (unsigned)dm_uid);
            return r;
        }
        if (!gone) {
            LOGD(ERROR, domid, "processes of uid %u do not die: %s", (unsigned)dm_uid, pids);
            return -ETIMEDOUT;
        }
        killed += count;
    }
    LOGD(ERROR, domid, "processes of uid %u keep appearing: %s", (unsigned)dm_uid, pids);
    return -EBUSY;
}

int reap_domain_uid(libdmr_ctx *ctx, const struct dm_state *s)
{
    /* The DM, held and waited for by a destroy, may not be reaped yet. */
    if (!s->kill_by_uid || !s->has_reaper ||
        (s->uid_counted && kernel_counts_no_task(s->dm_uid, &s->dm, s->dm.pid > 0)))
        return 0;
    char pids[256];
    int killed = reaper_kill_uid(ctx, s->domid, s->dm_uid, s->reaper_uid, pids, sizeof(pids));
    if (killed > 0)
        LOGD(DEBUG, s->domid, "killed by uid %u: %s", (unsigned)s->dm_uid, pids);
    return killed < 0 ? killed : 0;
}
