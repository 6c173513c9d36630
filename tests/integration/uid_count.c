/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uid_count UID [PID...]: what kernel_counts_no_task says of UID, the
 * PIDs given as processes of the uid that exited ("none" or "some"), and
 * what the reaper's walk of /proc finds (its live processes' pids).
 */
#include <stdio.h>
#include <stdlib.h>

#include "launch.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: uid_count UID [EXITED-PID...]\n");
        return 2;
    }
    uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
    size_t n = (size_t)argc - 2;
    struct proc_ref *exited = calloc(n + 1, sizeof(*exited));
    for (size_t i = 0; exited && i < n; i++) {
        exited[i].pid = atoi(argv[i + 2]);
        if (proc_start_time(exited[i].pid, &exited[i].start)) {
            fprintf(stderr, "uid_count: no process %s\n", argv[i + 2]);
            return 2;
        }
    }
    pid_t *live = NULL;
    size_t n_live = 0;
    if (!exited || proc_pids_of_uid(uid, &live, &n_live)) {
        fprintf(stderr, "uid_count: cannot list the processes of uid %u\n", (unsigned)uid);
        return 2;
    }
    printf("%s", kernel_counts_no_task(uid, exited, n) ? "none" : "some");
    for (size_t i = 0; i < n_live; i++)
        printf(" %d", (int)live[i]);
    printf("\n");
    free(live);
    free(exited);
    return 0;
}
