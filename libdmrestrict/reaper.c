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
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "launch.h"

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

/* The live pids with uid, as text for the log; their count. */
static int pids_of_uid(uid_t uid, char *buf, size_t size)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -errno;
    int count = 0;
    buf[0] = '\0';
    for (struct dirent *de; (de = readdir(d));) {
        unsigned long pid;
        if (parse_ulong_strict(de->d_name, 1, INT32_MAX, &pid))
            continue;
        char path[64], status[4096];
        snprintf(path, sizeof(path), "%lu/status", pid);
        int fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, status, sizeof(status) - 1);
        safe_close(fd);
        if (n <= 0)
            continue;
        status[n] = '\0';
        if (!status_has_uid(status, uid))
            continue;
        count++;
        size_t len = strlen(buf);
        if (len + 16 < size)
            snprintf(buf + len, size - len, "%s%lu", len ? " " : "", pid);
    }
    closedir(d);
    return count;
}

int reaper_kill_uid(libdmr_ctx *ctx, uint32_t domid, uid_t dm_uid, uid_t reaper_uid,
                    char *pids, size_t pids_size)
{
    if (dm_uid == 0 || reaper_uid == 0 || dm_uid == reaper_uid)
        return -EINVAL;  /* the plan never asks this; refuse to kill root */
    int count = pids_of_uid(dm_uid, pids, pids_size);
    if (count <= 0)
        return count;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        if (setresuid(reaper_uid, dm_uid, 0) < 0)
            _exit(2);
        _exit(kill(-1, SIGKILL) < 0 && errno != ESRCH ? 3 : 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        LOGD(ERROR, domid, "the reaper for uid %u failed (status %d)", (unsigned)dm_uid, status);
        return -EIO;
    }
    /* SIGKILL is delivered, but the dead may linger a moment as zombies
     * until their parent (or pid 1) reaps them; they can do nothing. */
    return count;
}
