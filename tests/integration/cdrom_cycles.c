/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cdrom_cycles DOMID VDEV IMAGE_A IMAGE_B N: with one QMP connection kept
 * open throughout, insert A, eject, insert B, eject, N times; print the
 * device model's open descriptors and QEMU's fdsets before and after, as
 * "fds BEFORE AFTER fdsets BEFORE AFTER".
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdset.h"
#include "launch.h"

static int count_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return d ? n : -1;
}

int main(int argc, char **argv)
{
    if (argc != 6)
        return 2;
    uint32_t domid = atoi(argv[1]);
    int n = atoi(argv[5]);
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libdmr_ctx *ctx;
    libdmr_qmp *q;
    struct dm_state s;
    if (libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg) ||
        state_read(ctx, domid, &s) || libdmr_qmp_open(ctx, domid, &q))
        return 1;
    size_t sets0, fds0, sets1, fds1;
    int dm_fds0 = count_fds(s.dm.pid);
    if (fdset_count(ctx, q, domid, &sets0, &fds0))
        return 1;
    for (int i = 0; i < n; i++)
        if (libdmr_cdrom_insert(ctx, q, domid, argv[2], argv[3]) ||
            libdmr_cdrom_eject(ctx, q, domid, argv[2]) ||
            libdmr_cdrom_insert(ctx, q, domid, argv[2], argv[4]) ||
            libdmr_cdrom_eject(ctx, q, domid, argv[2])) {
            fprintf(stderr, "cycle %d failed\n", i);
            return 1;
        }
    if (fdset_count(ctx, q, domid, &sets1, &fds1))
        return 1;
    printf("fds %d %d fdsets %zu %zu\n", dm_fds0, count_fds(s.dm.pid), sets0, sets1);
    libdmr_qmp_close(q);
    state_clear(&s);
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return 0;
}
