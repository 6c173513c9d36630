/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uid_count UID [PID...]: what kernel_counts_no_task says of UID, the
 * PIDs given as processes of the uid that exited ("none" or "some"), and
 * what the reaper's walk of /proc finds (its live processes' pids).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "launch.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: uid_count UID [EXITED-PID...]\n");
        return 2;
    }
    unsigned long number;
    if (parse_ulong_strict(argv[1], 0, 4294967294ul, &number)) {
        fprintf(stderr, "uid_count: not a uid: %s\n", argv[1]);
        return 2;
    }
    uid_t uid = (uid_t)number;
    size_t n = (size_t)argc - 2;
    struct proc_ref *exited = calloc(n + 1, sizeof(*exited));
    for (size_t i = 0; exited && i < n; i++) {
        if (parse_ulong_strict(argv[i + 2], 1, INT32_MAX, &number) ||
            proc_start_time((pid_t)number, &exited[i].start)) {
            fprintf(stderr, "uid_count: no process %s\n", argv[i + 2]);
            return 2;
        }
        exited[i].pid = (pid_t)number;
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
