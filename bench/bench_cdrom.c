/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The price of handing a cdrom over as a descriptor, side by side in one run:
 *
 *   A  a path-based change in an unrestricted QEMU: one
 *      blockdev-change-medium naming the file (QEMU opens it itself);
 *   B  libdmr_cdrom_insert in a restricted guest: open as root, add-fd
 *      with SCM_RIGHTS, change to /dev/fdset/N, remove the old fdset.
 *
 * Both on a kept QMP connection, alternating A and B, with a null command
 * (query-status: one round trip, what QEMU takes per command) after each
 * pair; after every change the bench checks the old medium's fdset is
 * gone. The samples go to the JSON file given (bench/stats.py judges).
 * Usage: bench_cdrom DOMID_RESTRICTED QMP_SOCKET_UNRESTRICTED IMAGE_A IMAGE_B RUNS OUT.json
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fdset.h"
#include "json.h"
#include "benchutil.h"
#include "launch.h"

static int change_by_path(struct libdmr_qmp *q, const char *image)
{
    char args[4300];
    snprintf(args, sizeof(args), "{\"id\": \"hdc\", \"filename\": \"%s\", \"format\": \"raw\", "
             "\"read-only-mode\": \"read-only\"}", image);
    return qmp_execute(q, "blockdev-change-medium", args, 5000, NULL);
}

/* One command alone on the kept connection: what QEMU takes per command. */
static double one_command(struct libdmr_qmp *q, const char *command)
{
    double t0 = now_ms();
    if (qmp_execute(q, command, NULL, 5000, NULL))
        return -1;
    return now_ms() - t0;
}

/* No fdset but the drive's own may be left once a change has returned. */
static int fdsets_now(struct libdmr_qmp *q)
{
    yajl_val sets = NULL;
    int n = qmp_execute(q, "query-fdsets", NULL, 5000, &sets) || !YAJL_IS_ARRAY(sets)
                ? -1 : (int)YAJL_GET_ARRAY(sets)->len;
    yajl_tree_free(sets);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: bench_cdrom DOMID QMP_SOCKET IMAGE_A IMAGE_B RUNS OUT.json\n");
        return 2;
    }
    uint32_t domid = atoi(argv[1]);
    const char *images[2] = { argv[3], argv[4] };
    int runs = atoi(argv[5]);
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libdmr_ctx *ctx;
    struct libdmr_qmp *restricted, *plain;
    if (libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg) ||
        libdmr_qmp_open(ctx, domid, &restricted) ||
        qmp_connect(ctx, 0, argv[2], 5000, &plain))
        return 1;
    struct series s[] = {
        { "path_ms", calloc(runs, sizeof(double)), 0 },
        { "fd_ms", calloc(runs, sizeof(double)), 0 },
        { "round_trip_ms", calloc(runs, sizeof(double)), 0 },
    };
    int before = fdsets_now(restricted);
    for (int i = 0; i < runs; i++) {
        const char *image = images[i % 2];
        double t0 = now_ms();
        if (change_by_path(plain, image))
            return 1;
        double t1 = now_ms();
        if (libdmr_cdrom_insert(ctx, restricted, domid, "hdc", image))
            return 1;
        double t2 = now_ms();
        series_add(&s[0], t1 - t0);
        series_add(&s[1], t2 - t1);
        series_add(&s[2], one_command(restricted, "query-status"));
        /* The old medium's fdset is gone when the call returns. */
        int now = fdsets_now(restricted);
        if (now != (before < 1 ? 1 : before)) {
            fprintf(stderr, "cdrom change %d returned with %d fdsets (%d before)\n", i, now, before);
            return 1;
        }
    }
    int r = series_write(argv[6], s, 3, "runs", runs) ? 1 : 0;
    qmp_close(plain);
    libdmr_qmp_close(restricted);
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return r;
}
