/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How much does xl-dmr add to starting a restricted QEMU? Measured side by
 * side in one run (these machines are shared and noisy):
 *
 *   A  a minimal launcher: the plan's own argv, chroot and pre-opened QMP
 *      socket, fork/exec, QMP capabilities, cont, until query-status says
 *      running;
 *   B  `xl-dmr create CFG`, which does all that plus reading the config,
 *      looking at the host, planning, the reaper, the logger, the audit
 *      and the state;
 *   C  bare QEMU: the same launcher and argv without -chroot, -runas and
 *      -sandbox, no chroot: what restriction itself costs.
 *
 * Runs alternate A, B, C, A, B, C...; each is destroyed before the next
 * (B by `xl-dmr destroy`, whose own time, reaper included, is measured
 * too). Prints medians, min and max, the ratios and xl-dmr's own CPU time
 * per start (itself and the children it waits for: not QEMU, which it
 * does not parent), and writes them to the JSON file given.
 *
 * Usage: bench_start XL_DMR CFG RUNS OUT.json   (root, in a namespace
 * whose passwd has xen-qemuuser-range-base: see bench/run)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include <yajl/yajl_tree.h>

#include "benchutil.h"
#include "launch.h"
#include "qmp.h"

/* Run argv to completion; its wall time and the CPU of it and its waited children. */
static int run(char *const argv[], double *wall_ms, double *cpu_ms)
{
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        return -1;
    *wall_ms = now_ms() - t0;
    *cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
              (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The plan's argv and QMP path, from `xl-dmr create -n --json`. */
static int load_plan(const char *xl_dmr, const char *cfg, char ***ret_argv, char **ret_qmp,
                     char **ret_chroot)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s create -n --json %s 2>/dev/null", xl_dmr, cfg);
    FILE *p = popen(cmd, "r");
    char *buf = NULL;
    size_t cap = 0;
    if (!p || getdelim(&buf, &cap, '\0', p) < 0)
        return -1;
    pclose(p);
    yajl_val root = yajl_tree_parse(buf, NULL, 0);
    free(buf);
    const char *argv_path[] = { "argv", NULL }, *chroot_path[] = { "dm", "chroot", NULL };
    yajl_val argv = root ? yajl_tree_get(root, argv_path, yajl_t_array) : NULL;
    yajl_val chroot = root ? yajl_tree_get(root, chroot_path, yajl_t_string) : NULL;
    const char *res_path[] = { "resources", NULL };
    yajl_val res = root ? yajl_tree_get(root, res_path, yajl_t_array) : NULL;
    if (!argv || !chroot || !res || !YAJL_GET_ARRAY(res)->len)
        return -1;
    size_t n = YAJL_GET_ARRAY(argv)->len;
    char **v = calloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        const char *a = YAJL_GET_STRING(YAJL_GET_ARRAY(argv)->values[i]);
        v[i] = strdup(a ? a : "");
    }
    const char *qmp_key[] = { "path", NULL };
    const char *qmp = YAJL_GET_STRING(yajl_tree_get(YAJL_GET_ARRAY(res)->values[0], qmp_key, yajl_t_string));
    const char *dir = YAJL_GET_STRING(chroot);
    if (!qmp || !dir)
        return -1;
    *ret_qmp = strdup(qmp);
    *ret_chroot = strdup(dir);
    *ret_argv = v;
    yajl_tree_free(root);
    return 0;
}

/* The plan's argv without what restricts QEMU: -chroot, -runas, -run-with, -sandbox. */
static char **bare_argv(char **argv)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **v = calloc(n + 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (argv[i + 1] && (!strcmp(argv[i], "-chroot") || !strcmp(argv[i], "-runas") ||
                            !strcmp(argv[i], "-run-with") || !strcmp(argv[i], "-sandbox"))) {
            i++;
            continue;
        }
        v[k++] = argv[i];
    }
    return v;
}

/* A and C: the least a launcher must do for the same QEMU (C: no chroot). */
static int minimal_start(libdmr_ctx *ctx, char **argv, const char *qmp_path,
                         const char *chroot, double *wall_ms, pid_t *ret_pid)
{
    double t0 = now_ms();
    mkdir("/run/xl-dmr", 0755);
    if (chroot)
        mkdir(chroot, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strcpy(sa.sun_path, qmp_path);
    unlink(qmp_path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (s == 3)
            fcntl(3, F_SETFD, 0);  /* dup2 onto itself would keep CLOEXEC */
        else
            dup2(s, 3);
        execv(argv[0], argv);
        _exit(127);
    }
    close(s);
    struct libdmr_qmp *q = NULL;
    yajl_val status = NULL;
    int rc = qmp_connect(ctx, 0, qmp_path, 10000, &q);
    if (!rc)
        rc = qmp_execute(q, "cont", NULL, 5000, NULL);
    if (!rc)
        rc = qmp_execute(q, "query-status", NULL, 5000, &status);
    *wall_ms = now_ms() - t0;
    if (!rc) {
        qmp_execute(q, "quit", NULL, 5000, NULL);
    }
    yajl_tree_free(status);
    qmp_close(q);
    *ret_pid = pid;
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_start XL_DMR CFG RUNS OUT.json\n");
        return 2;
    }
    const char *xl_dmr = argv[1], *cfg = argv[2], *out = argv[4];
    int runs = atoi(argv[3]);
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libdmr_ctx *ctx;
    if (libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg))
        return 1;
    char **dm_argv, *qmp_path, *chroot;
    if (load_plan(xl_dmr, cfg, &dm_argv, &qmp_path, &chroot)) {
        fprintf(stderr, "cannot get the plan from %s create -n --json %s\n", xl_dmr, cfg);
        return 1;
    }
    char **plain = bare_argv(dm_argv);
    double *a = calloc(runs, sizeof(double)), *b = calloc(runs, sizeof(double));
    double *c = calloc(runs, sizeof(double)), *cpu = calloc(runs, sizeof(double));
    double *destroy_ms = calloc(runs, sizeof(double));
    for (int i = 0; i < runs; i++) {
        pid_t pid;
        if (minimal_start(ctx, dm_argv, qmp_path, chroot, &a[i], &pid)) {
            fprintf(stderr, "minimal launcher failed\n");
            return 1;
        }
        waitpid(pid, NULL, 0);
        unlink(qmp_path);
        rmdir(chroot);

        char *create[] = { (char *)xl_dmr, "create", (char *)cfg, NULL };
        char *destroy[] = { (char *)xl_dmr, "destroy", "1", NULL };
        double unused;
        if (run(create, &b[i], &cpu[i]) || run(destroy, &destroy_ms[i], &unused)) {
            fprintf(stderr, "xl-dmr create/destroy failed\n");
            return 1;
        }

        if (minimal_start(ctx, plain, qmp_path, NULL, &c[i], &pid)) {
            fprintf(stderr, "bare QEMU failed\n");
            return 1;
        }
        waitpid(pid, NULL, 0);
        unlink(qmp_path);
        rmdir("/run/xl-dmr");
    }
    struct stats sa = stats_of(a, runs), sb = stats_of(b, runs), sc = stats_of(c, runs);
    struct stats scpu = stats_of(cpu, runs), sd = stats_of(destroy_ms, runs);
    printf("starts until running, n=%d, median (min-max): bare QEMU %.1f (%.1f-%.1f) ms, "
           "minimal restricted launcher %.1f (%.1f-%.1f) ms, xl-dmr create %.1f (%.1f-%.1f) ms\n",
           runs, sc.median, sc.min, sc.max, sa.median, sa.min, sa.max, sb.median, sb.min, sb.max);
    printf("ratio xl-dmr / minimal restricted: %.3f (goal <= 1.05); / bare QEMU: %.3f\n",
           sb.median / sa.median, sb.median / sc.median);
    printf("xl-dmr CPU per start: %.2f ms (%.2f-%.2f) (goal <= 2 ms)\n", scpu.median, scpu.min,
           scpu.max);
    printf("xl-dmr destroy, reaper included: median %.1f ms, max %.1f ms (goal <= 10 ms)\n",
           sd.median, sd.max);
    FILE *f = fopen(out, "w");
    if (f) {
#define ST(x) "{\"median\": %.3f, \"min\": %.3f, \"max\": %.3f}"
        fprintf(f, "{\"runs\": %d, \"bare_ms\": " ST() ", \"minimal_ms\": " ST()
                   ", \"xl_dmr_ms\": " ST() ", \"ratio\": %.4f, \"ratio_bare\": %.4f, "
                   "\"xl_dmr_cpu_ms\": " ST() ", \"destroy_ms\": " ST() ", "
                   "\"goals\": {\"ratio\": 1.05, \"xl_dmr_cpu_ms\": 2, \"destroy_ms\": 10}}\n",
                runs, sc.median, sc.min, sc.max, sa.median, sa.min, sa.max, sb.median, sb.min,
                sb.max, sb.median / sa.median, sb.median / sc.median, scpu.median, scpu.min,
                scpu.max, sd.median, sd.min, sd.max);
#undef ST
        fclose(f);
    }
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return 0;
}
