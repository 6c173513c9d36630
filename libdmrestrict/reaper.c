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
 * any process exists), so /proc is read first: it names the processes for
 * the log, and when there are none there is nothing to kill, and nothing
 * can appear, since only that uid or root can start a process with it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "launch.h"

int reaper_kill_uid(libdmr_ctx *ctx, uint32_t domid, uid_t dm_uid, uid_t reaper_uid,
                    char *pids, size_t pids_size)
{
    if (dm_uid == 0 || reaper_uid == 0 || dm_uid == reaper_uid)
        return -EINVAL;  /* the plan never asks this; refuse to kill root */
    _cleanup_free_ pid_t *found = NULL;
    size_t count;
    int r = proc_pids_of_uid(dm_uid, &found, &count);
    if (r < 0)
        return r;
    pids[0] = '\0';
    for (size_t i = 0, len = 0; i < count && len + 16 < pids_size; i++)
        len += snprintf(pids + len, pids_size - len, "%s%d", i ? " " : "", (int)found[i]);
    if (!count)
        return 0;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        if (setresuid(reaper_uid, dm_uid, 0) < 0)
            _exit(2);
        _exit(kill(-1, SIGKILL) < 0 && errno != ESRCH ? 3 : 0);
    }
    int status;
    if (wait_child(pid, &status) || !WIFEXITED(status) || WEXITSTATUS(status)) {
        LOGD(ERROR, domid, "the reaper for uid %u failed (status %d)", (unsigned)dm_uid, status);
        return -EIO;
    }
    /* SIGKILL is delivered, but the dead may linger a moment as zombies
     * until their parent (or pid 1) reaps them; they can do nothing. */
    return count;
}

int reap_domain_uid(libdmr_ctx *ctx, const struct dm_state *s)
{
    if (!s->kill_by_uid || !s->has_reaper)
        return 0;
    char pids[256];
    int killed = reaper_kill_uid(ctx, s->domid, s->dm_uid, s->reaper_uid, pids, sizeof(pids));
    if (killed > 0)
        LOGD(DEBUG, s->domid, "killed by uid %u: %s", (unsigned)s->dm_uid, pids);
    return killed < 0 ? killed : 0;
}
