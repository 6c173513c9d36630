/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kill by uid: the one place the toolstack changes uid itself. A forked
 * child sets real uid = the reaper's, effective = the device model's,
 * saved = root, and calls kill(-1, SIGKILL): its effective uid lets it
 * signal every process of the DM's uid, while its real and saved uids are
 * no DM's, so no DM process can signal the reaper first. Reapers share
 * their real uid and could kill each other, so they run one at a time:
 * callers hold the host-wide lock (run_lock).
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "launch.h"

/* The live pids whose real, effective or saved uid is uid, for the log. */
static int pids_of_uid(uid_t uid, char *buf, size_t size, unsigned *ret_count)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -errno;
    unsigned count = 0;
    buf[0] = '\0';
    for (struct dirent *de; (de = readdir(d));) {
        unsigned long pid;
        if (parse_ulong_strict(de->d_name, 1, INT32_MAX, &pid))
            continue;
        char path[64], status[4096];
        snprintf(path, sizeof(path), "/proc/%lu/status", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, status, sizeof(status) - 1);
        safe_close(fd);
        if (n <= 0)
            continue;
        status[n] = '\0';
        const char *u = strstr(status, "\nUid:");
        unsigned ruid, euid, suid;
        if (!u || sscanf(u, "\nUid: %u %u %u", &ruid, &euid, &suid) != 3)
            continue;
        if (ruid != uid && euid != uid && suid != uid)
            continue;
        /* The dead (zombies waiting for a late reaping) harm no one. */
        const char *state = strstr(status, "\nState:");
        if (state && (strstr(state, "\nState:\tZ") == state || strstr(state, "\nState:\tX") == state))
            continue;
        count++;
        size_t len = strlen(buf);
        if (len + 16 < size)
            snprintf(buf + len, size - len, "%s%lu", len ? " " : "", pid);
    }
    closedir(d);
    *ret_count = count;
    return 0;
}

int reaper_kill_uid(libdmr_ctx *ctx, uint32_t domid, uid_t dm_uid, uid_t reaper_uid)
{
    if (dm_uid == 0 || reaper_uid == 0 || dm_uid == reaper_uid)
        return -EINVAL;  /* the plan never asks this; refuse to kill root */
    char pids[512];
    unsigned count = 0;
    if (pids_of_uid(dm_uid, pids, sizeof(pids), &count) == 0 && count)
        LOGD(NOTICE, domid, "killing %u process(es) left with uid %u: %s", count,
             (unsigned)dm_uid, pids);
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
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        LOGD(ERROR, domid, "the reaper for uid %u failed (status %d)", (unsigned)dm_uid, status);
        return -EIO;
    }
    /* SIGKILL is delivered, but the dead may linger a moment as zombies
     * until their parent (or pid 1) reaps them; they can do nothing. */
    return 0;
}
