/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The price of handing a cdrom over as a descriptor, side by side in one run:
 *
 *   A  a path-based change in an unrestricted QEMU: one
 *      blockdev-change-medium naming the file (QEMU opens it itself);
 *   B  libdmr_cdrom_insert in a restricted guest: open as root, add-fd
 *      with SCM_RIGHTS, change to /dev/fdset/N, remove the old fdset.
 *
 * Both on a kept QMP connection, alternating A and B; medians, their
 * ratio, appended to the JSON file given.
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
    double *a = calloc(runs, sizeof(double)), *b = calloc(runs, sizeof(double));
    for (int i = 0; i < runs; i++) {
        const char *image = images[i % 2];
        double t0 = now_ms();
        if (change_by_path(plain, image))
            return 1;
        double t1 = now_ms();
        if (libdmr_cdrom_insert(ctx, restricted, domid, "hdc", image))
            return 1;
        double t2 = now_ms();
        a[i] = t1 - t0;
        b[i] = t2 - t1;
    }
    double ma = median(a, runs), mb = median(b, runs);
    printf("cdrom change, medians of %d: by path (unrestricted) %.3f ms, by descriptor "
           "(restricted) %.3f ms\n", runs, ma, mb);
    printf("ratio descriptor / path: %.2f (goal <= 1.5; floor with separate round trips 1.6-1.9)\n",
           mb / ma);
    FILE *f = fopen(argv[6], "w");
    if (f) {
        fprintf(f, "{\"runs\": %d, \"path_ms\": %.4f, \"fd_ms\": %.4f, \"ratio\": %.3f, "
                   "\"goal_ratio\": 1.5}\n", runs, ma, mb, mb / ma);
        fclose(f);
    }
    qmp_close(plain);
    libdmr_qmp_close(restricted);
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return 0;
}
