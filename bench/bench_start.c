/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What does xl-dmr add to starting a restricted QEMU? Measured in
 * interleaved pairs, side by side in one run (these machines are shared and
 * noisy); bench/stats.py turns the samples into medians of per-pair ratios
 * with bootstrap intervals and verdicts.
 *
 *   floor   the frozen C minimal launcher (floor_start): what the policy
 *           requires of any restricted start and nothing of xl-dmr's —
 *           the plan's argv, fork, unshare(CLONE_NEWNS | CLONE_NEWIPC), the
 *           plan's rlimits, an empty root-owned chroot directory, the
 *           pre-opened QMP sockets (and the serial socketpair the argv
 *           names), exec; then QMP capabilities and cont;
 *   xl-dmr  `xl-dmr create --domid 1 CFG`;
 *   bare    the floor without -chroot, -runas and -sandbox (reported:
 *           what restriction itself costs);
 *   nic     `xl-dmr create` of CFG_NIC, a guest with a NIC on a bridge and
 *           a VNC display (reported, not judged);
 *   exec    `xl-dmr -h`: executing xl-dmr and loading its libraries, next to
 *           `/bin/true`: what executing any command costs here;
 *   audit   `xl-dmr dm-audit 1` of the running xl-dmr guest, on its own,
 *           and libdmr_dm_audit() of it, a call in the bench's process;
 *   cleanup `xl-dmr destroy 1` of a guest whose QEMU was killed, and whose
 *           keeper, watcher and logger ended, first: what a destroy costs
 *           beyond stopping QEMU.
 *
 * Every start arm ends at "running" as the bench's own query-status sees
 * it, on a connection of its own (end_point). Each arm runs in a cpuacct cgroup
 * of its own (the bench moves into it first: enter), so an arm's CPU is
 * everything it ran, QEMU included, read at that end point. A destroy is timed until it returns;
 * then the bench checks that no process of the DM's uid, no state file and
 * no chroot remain, and stops if any does.
 *
 * Usage: bench_start launch PLAN.json            one floor start, left running
 *        bench_start XL_DMR CFG CFG_NIC RUNS OUT.json
 * (root, in a namespace whose passwd has xen-qemuuser-range-base: bench/run)
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sched.h>

#include <yajl/yajl_tree.h>

#include "benchutil.h"
#include "launch.h"
#include "qmp.h"

#define MAX_RES 16

/* What the floor needs of a plan. */
struct floor_plan {
    char **argv;
    char *chroot;               /* NULL: none (bare) */
    uid_t uid;
    struct { char *kind, *path; int fd; } res[MAX_RES];
    size_t n_res;
    struct { int resource; rlim_t value; } lim[8];
    size_t n_lim;
};

static const char *json_str(yajl_val v, const char *key)
{
    const char *path[] = { key, NULL };
    return YAJL_GET_STRING(yajl_tree_get(v, path, yajl_t_string));
}

static int rlimit_of(const char *name)
{
    static const struct { const char *name; int resource; } names[] = {
        { "FSIZE", RLIMIT_FSIZE }, { "CORE", RLIMIT_CORE }, { "MEMLOCK", RLIMIT_MEMLOCK },
        { "MSGQUEUE", RLIMIT_MSGQUEUE }, { "LOCKS", RLIMIT_LOCKS }, { "NOFILE", RLIMIT_NOFILE },
        { "NPROC", RLIMIT_NPROC }, { "AS", RLIMIT_AS },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(name, names[i].name))
            return names[i].resource;
    return -1;
}

/* The plan JSON of `xl-dmr create -n --json` (text) as a floor_plan. */
static int floor_plan_parse(const char *text, struct floor_plan *fp)
{
    yajl_val root = yajl_tree_parse(text, NULL, 0);
    const char *argv_path[] = { "argv", NULL }, *res_path[] = { "resources", NULL };
    const char *lim_path[] = { "rlimits", NULL }, *dm_path[] = { "dm", NULL };
    const char *uid_path[] = { "uid", NULL };
    yajl_val argv = root ? yajl_tree_get(root, argv_path, yajl_t_array) : NULL;
    yajl_val res = root ? yajl_tree_get(root, res_path, yajl_t_array) : NULL;
    yajl_val lim = root ? yajl_tree_get(root, lim_path, yajl_t_object) : NULL;
    yajl_val dm = root ? yajl_tree_get(root, dm_path, yajl_t_object) : NULL;
    yajl_val uid = dm ? yajl_tree_get(dm, uid_path, yajl_t_number) : NULL;
    const char *chroot = dm ? json_str(dm, "chroot") : NULL;
    if (!argv || !res || !lim || !uid || !chroot || YAJL_GET_ARRAY(res)->len > MAX_RES ||
        YAJL_GET_OBJECT(lim)->len > 8) {
        yajl_tree_free(root);
        return -1;
    }
    size_t n = YAJL_GET_ARRAY(argv)->len;
    fp->argv = calloc(n + 1, sizeof(*fp->argv));
    for (size_t i = 0; i < n; i++)
        fp->argv[i] = strdup(YAJL_GET_STRING(YAJL_GET_ARRAY(argv)->values[i]) ?: "");
    for (size_t i = 0; i < YAJL_GET_ARRAY(res)->len; i++) {
        yajl_val r = YAJL_GET_ARRAY(res)->values[i];
        const char *fd_path[] = { "fd", NULL };
        fp->res[i].kind = strdup(json_str(r, "kind") ?: "");
        fp->res[i].path = strdup(json_str(r, "path") ?: "");
        fp->res[i].fd = (int)YAJL_GET_INTEGER(yajl_tree_get(r, fd_path, yajl_t_number));
    }
    fp->n_res = YAJL_GET_ARRAY(res)->len;
    for (size_t i = 0; i < YAJL_GET_OBJECT(lim)->len; i++) {
        fp->lim[fp->n_lim].resource = rlimit_of(YAJL_GET_OBJECT(lim)->keys[i]);
        fp->lim[fp->n_lim++].value = YAJL_GET_INTEGER(YAJL_GET_OBJECT(lim)->values[i]);
    }
    fp->chroot = strdup(chroot);
    fp->uid = (uid_t)YAJL_GET_INTEGER(uid);
    yajl_tree_free(root);
    return 0;
}

static char *read_all(FILE *f)
{
    char *buf = NULL;
    size_t cap = 0;
    if (getdelim(&buf, &cap, '\0', f) < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int floor_plan_load(const char *xl_dmr, const char *cfg, struct floor_plan *fp)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s create -n --json --domid 1 %s 2>/dev/null", xl_dmr, cfg);
    FILE *p = popen(cmd, "r");
    char *text = p ? read_all(p) : NULL;
    if (p)
        pclose(p);
    int r = text ? floor_plan_parse(text, fp) : -1;
    free(text);
    return r;
}

/* The floor's argv without what restricts QEMU (bare). */
static struct floor_plan bare_of(const struct floor_plan *fp)
{
    struct floor_plan b = *fp;
    size_t n = 0;
    while (fp->argv[n])
        n++;
    b.argv = calloc(n + 1, sizeof(*b.argv));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (fp->argv[i + 1] && (!strcmp(fp->argv[i], "-chroot") || !strcmp(fp->argv[i], "-runas") ||
                                !strcmp(fp->argv[i], "-run-with") || !strcmp(fp->argv[i], "-sandbox"))) {
            i++;
            continue;
        }
        b.argv[k++] = fp->argv[i];
    }
    b.chroot = NULL;
    b.n_lim = 0;
    return b;
}

static int listen_at(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    unlink(path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    return s;
}

/* A floor start in progress: what its stop takes back. */
struct floor_run {
    pid_t pid;
    int keep[MAX_RES];          /* the bench's ends (the serial socketpair's) */
};

/* In the child: exactly what the policy requires, then exec. */
static void __attribute__((noreturn))
floor_child(const struct floor_plan *fp, const int *fds)
{
    if (fp->chroot && unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0)
        _exit(126);
    for (size_t i = 0; i < fp->n_lim; i++) {
        struct rlimit rl = { fp->lim[i].value, fp->lim[i].value };
        if (setrlimit(fp->lim[i].resource, &rl) < 0)
            _exit(126);
    }
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    int lifted[MAX_RES];
    for (size_t i = 0; i < fp->n_res; i++)
        lifted[i] = fcntl(fds[i], F_DUPFD, 100);
    for (size_t i = 0; i < fp->n_res; i++)
        dup2(lifted[i], fp->res[i].fd);
    syscall(SYS_close_range, 3 + fp->n_res, ~0U, 0);
    execv(fp->argv[0], fp->argv);
    _exit(127);
}

/* Fork and exec QEMU as the floor does; QMP capabilities and, unless
 * paused, cont. */
static int floor_start(libdmr_ctx *ctx, const struct floor_plan *fp, bool cont,
                       struct floor_run *run)
{
    int fds[MAX_RES];
    mkdir("/run/xl-dmr", 0755);
    if (fp->chroot && mkdir(fp->chroot, 0755) < 0 && errno != EEXIST)
        return -1;
    for (size_t i = 0; i < fp->n_res; i++) {
        run->keep[i] = -1;
        if (!strcmp(fp->res[i].kind, "serial")) {
            int pair[2];
            if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return -1;
            fds[i] = pair[0];
            run->keep[i] = pair[1];
        } else if ((fds[i] = listen_at(fp->res[i].path)) < 0) {
            return -1;
        }
    }
    run->pid = fork();
    if (run->pid == 0)
        floor_child(fp, fds);
    for (size_t i = 0; i < fp->n_res; i++)
        close(fds[i]);
    struct libdmr_qmp *q = NULL;
    int r = run->pid < 0 ? -1 : qmp_connect(ctx, 1, fp->res[0].path, 10000, &q);
    if (!r && cont)
        r = qmp_execute(q, "cont", NULL, 5000, NULL);
    qmp_close(q);
    return r;
}

/* Quit through QMP, reap, and remove what floor_start made. */
static void floor_stop(libdmr_ctx *ctx, const struct floor_plan *fp, struct floor_run *run)
{
    struct libdmr_qmp *q = NULL;
    if (!qmp_connect(ctx, 1, fp->res[0].path, 5000, &q))
        qmp_execute(q, "quit", NULL, 5000, NULL);
    qmp_close(q);
    waitpid(run->pid, NULL, 0);
    for (size_t i = 0; i < fp->n_res; i++) {
        if (run->keep[i] >= 0)
            close(run->keep[i]);
        else
            unlink(fp->res[i].path);
    }
    if (fp->chroot)
        rmdir(fp->chroot);
}

/* The end point of every arm: the bench's own query-status says running. */
static int end_point(libdmr_ctx *ctx, const char *qmp_path)
{
    struct libdmr_qmp *q = NULL;
    yajl_val status = NULL;
    int r = qmp_connect(ctx, 1, qmp_path, 10000, &q);
    if (!r)
        r = qmp_execute(q, "query-status", NULL, 5000, &status);
    const char *path[] = { "status", NULL };
    const char *s = status ? YAJL_GET_STRING(yajl_tree_get(status, path, yajl_t_string)) : NULL;
    if (!r && (!s || strcmp(s, "running")))
        r = -1;
    yajl_tree_free(status);
    qmp_close(q);
    return r;
}

/* Run argv to completion; its wall time. */
static int run_in(char *const argv[], double *wall_ms)
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
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    *wall_ms = now_ms() - t0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Does any live process have uid as real, effective or saved uid? */
static bool uid_has_processes(uid_t uid)
{
    pid_t *pids = NULL;
    size_t n = 0;
    int r = proc_pids_of_uid(uid, &pids, &n);
    free(pids);
    return r || n;
}

/* After a destroy: nothing of domain 1 may be left. */
static const char *left_after_destroy(const struct floor_plan *fp)
{
    struct stat sb;
    if (uid_has_processes(fp->uid))
        return "a process of the DM's uid";
    if (stat("/run/xl-dmr/domains/1.json", &sb) == 0)
        return "the state file";
    if (stat(fp->chroot, &sb) == 0)
        return "the chroot";
    return NULL;
}

enum { S_FLOOR, S_XL, S_BARE, S_NIC, S_FLOOR_CPU, S_XL_CPU, S_DESTROY, S_EXEC, S_EXEC_CPU,
       S_TRUE, S_TRUE_CPU, S_AUDIT, S_AUDIT_CPU, S_FLOOR_STOP,
       S_PLAN, S_PLAN_CPU, S_CLEANUP, S_AUDIT_CALL, S_AUDIT_CALL_CPU, S_N };

struct arms {
    libdmr_ctx *ctx;
    const char *xl_dmr, *cfg, *cfg_nic;
    struct floor_plan restricted, bare;
    char cg_floor[256], cg_xl[256], cg_other[256];
    struct series s[S_N];
};

/*
 * The bench itself moves into an arm's cgroup before the arm, and its
 * children are born there: moving a task waits for an RCU grace period
 * (10-15 ms here), the bench's cost, not the arm's. The floor's launcher
 * is the bench itself, whose work for the start (sockets, fork, QMP) so
 * counts; the end point's query is in both arms' CPU alike.
 */
static int enter(const char *cgroup)
{
    if (cgroup_join(cgroup))
        return fprintf(stderr, "cannot move into %s\n", cgroup), -1;
    return 0;
}

static int pair_floor(struct arms *a)
{
    struct floor_run run;
    if (enter(a->cg_floor))
        return -1;
    double cpu0 = cgroup_cpu_ms(a->cg_floor), t0 = now_ms();
    if (floor_start(a->ctx, &a->restricted, true, &run) ||
        end_point(a->ctx, a->restricted.res[0].path))
        return fprintf(stderr, "the floor's start failed\n"), -1;
    series_add(&a->s[S_FLOOR], now_ms() - t0);
    series_add(&a->s[S_FLOOR_CPU], cgroup_cpu_ms(a->cg_floor) - cpu0);
    /* What any stop costs: QMP quit, QEMU's own exit, its files removed. */
    t0 = now_ms();
    floor_stop(a->ctx, &a->restricted, &run);
    series_add(&a->s[S_FLOOR_STOP], now_ms() - t0);
    return 0;
}

static int pair_bare(struct arms *a)
{
    struct floor_run run;
    if (enter(a->cg_other))
        return -1;
    double t0 = now_ms();
    if (floor_start(a->ctx, &a->bare, true, &run) ||
        end_point(a->ctx, a->bare.res[0].path))
        return fprintf(stderr, "bare QEMU failed\n"), -1;
    series_add(&a->s[S_BARE], now_ms() - t0);
    floor_stop(a->ctx, &a->bare, &run);
    return 0;
}

/* xl-dmr: create, end point, then (while it runs) the audit alone, then destroy. */
static int pair_xl(struct arms *a, const char *cfg, int wall, bool audit)
{
    char *create[] = { (char *)a->xl_dmr, "create", "--domid", "1", (char *)cfg, NULL };
    char *dm_audit[] = { (char *)a->xl_dmr, "dm-audit", "1", NULL };
    char *destroy[] = { (char *)a->xl_dmr, "destroy", "1", NULL };
    const char *cg = wall == S_XL ? a->cg_xl : a->cg_other;
    if (enter(cg))
        return -1;
    double cpu0 = cgroup_cpu_ms(cg), t0 = now_ms(), ms;
    if (run_in(create, &ms) || end_point(a->ctx, a->restricted.res[0].path))
        return fprintf(stderr, "xl-dmr create %s failed\n", cfg), -1;
    series_add(&a->s[wall], now_ms() - t0);
    if (wall == S_XL)
        series_add(&a->s[S_XL_CPU], cgroup_cpu_ms(cg) - cpu0);
    if (audit) {
        if (enter(a->cg_other))
            return -1;
        cpu0 = cgroup_cpu_ms(a->cg_other);
        if (run_in(dm_audit, &ms))
            return fprintf(stderr, "xl-dmr dm-audit failed\n"), -1;
        series_add(&a->s[S_AUDIT], ms);
        series_add(&a->s[S_AUDIT_CPU], cgroup_cpu_ms(a->cg_other) - cpu0);
        /* The audit alone, a library call in this process: what create's
         * own audit costs, but for the record's read and a new QMP
         * connection (create keeps the one it waited on). */
        libdmr_audit *au = NULL;
        cpu0 = cgroup_cpu_ms(a->cg_other);
        t0 = now_ms();
        int rc = libdmr_dm_audit(a->ctx, 1, &au);
        ms = now_ms() - t0;
        bool passed = !rc && libdmr_audit_passed(au);
        libdmr_audit_free(au);
        if (!passed)
            return fprintf(stderr, "libdmr_dm_audit of domain 1 failed\n"), -1;
        series_add(&a->s[S_AUDIT_CALL], ms);
        series_add(&a->s[S_AUDIT_CALL_CPU], cgroup_cpu_ms(a->cg_other) - cpu0);
    }
    if (run_in(destroy, &ms))
        return fprintf(stderr, "xl-dmr destroy failed\n"), -1;
    const char *left = left_after_destroy(&a->restricted);
    if (left)
        return fprintf(stderr, "xl-dmr destroy returned with %s left\n", left), -1;
    if (wall == S_XL)
        series_add(&a->s[S_DESTROY], ms);
    return 0;
}

/* Until the held process is gone, 2 s at most; the pidfd closed. */
static int wait_gone(int pidfd)
{
    if (pidfd < 0)
        return 0;
    struct pollfd pf = { pidfd, POLLIN, 0 };
    int n = poll(&pf, 1, 2000);
    close(pidfd);
    return n == 1 ? 0 : -1;
}

/*
 * What a destroy costs beyond stopping QEMU: the DM of a running guest is
 * killed, and its keeper, watcher and logger have ended, before
 * `xl-dmr destroy` is timed. What is left to it is executing xl-dmr, the
 * lock and the records, the kernel's count of the uid's tasks, the
 * chroot, the taps' check and the state files.
 */
static int pair_cleanup(struct arms *a)
{
    char *create[] = { (char *)a->xl_dmr, "create", "--domid", "1", (char *)a->cfg, NULL };
    char *destroy[] = { (char *)a->xl_dmr, "destroy", "1", NULL };
    double ms;
    if (enter(a->cg_other) || run_in(create, &ms))
        return fprintf(stderr, "xl-dmr create for the cleanup arm failed\n"), -1;
    /* Each held, by its recorded pid and start time, before the kill:
     * none of their pids can be reused meanwhile. */
    struct dm_state st;
    if (state_read(a->ctx, 1, &st))
        return fprintf(stderr, "cannot read domain 1's record\n"), -1;
    int dm = proc_open(&st.dm), keeper = proc_open(&st.keeper),
        watcher = proc_open(&st.watcher), logger = proc_open(&st.logger);
    state_clear(&st);
    bool killed = dm >= 0 && syscall(SYS_pidfd_send_signal, dm, SIGKILL, NULL, 0) == 0;
    int gone = wait_gone(dm) | wait_gone(keeper) | wait_gone(watcher) | wait_gone(logger);
    if (!killed || gone || uid_has_processes(a->restricted.uid)) {
        run_in(destroy, &ms);
        return fprintf(stderr, "the cleanup arm's DM or its helpers did not end\n"), -1;
    }
    if (run_in(destroy, &ms))
        return fprintf(stderr, "xl-dmr destroy of a domain whose DM was killed failed\n"), -1;
    const char *left = left_after_destroy(&a->restricted);
    if (left)
        return fprintf(stderr, "xl-dmr destroy returned with %s left\n", left), -1;
    series_add(&a->s[S_CLEANUP], ms);
    return 0;
}

static int exec_arm(struct arms *a, char *const argv[], int wall)
{
    if (enter(a->cg_other))
        return -1;
    double cpu0 = cgroup_cpu_ms(a->cg_other), ms;
    if (run_in(argv, &ms))
        return -1;
    series_add(&a->s[wall], ms);
    series_add(&a->s[wall + 1], cgroup_cpu_ms(a->cg_other) - cpu0);
    return 0;
}

static int pair_exec(struct arms *a)
{
    char *help[] = { (char *)a->xl_dmr, "-h", NULL }, *true_[] = { "/bin/true", NULL };
    /* The start's work before the launch: users, facts, the plan. */
    char *plan[] = { (char *)a->xl_dmr, "create", "-n", (char *)a->cfg, NULL };
    return exec_arm(a, help, S_EXEC) || exec_arm(a, true_, S_TRUE) || exec_arm(a, plan, S_PLAN);
}

/* One pair: the floor and xl-dmr, in alternating order, then the reported arms. */
static int one_pair(struct arms *a, int i)
{
    int r = i % 2 ? pair_xl(a, a->cfg, S_XL, true) || pair_floor(a)
                  : pair_floor(a) || pair_xl(a, a->cfg, S_XL, true);
    if (!r)
        r = pair_bare(a) || pair_exec(a) || pair_cleanup(a);
    if (!r && a->cfg_nic)
        r = pair_xl(a, a->cfg_nic, S_NIC, false);
    return r;
}

/* bench_start launch PLAN.json: one floor start of a paused guest, left
 * running (the scale benchmark's by-hand arm); prints QEMU's pid. */
static int launch_main(libdmr_ctx *ctx, const char *plan_file)
{
    FILE *f = fopen(plan_file, "r");
    char *text = f ? read_all(f) : NULL;
    if (f)
        fclose(f);
    struct floor_plan fp = { 0 };
    struct floor_run run;
    if (!text || floor_plan_parse(text, &fp) || floor_start(ctx, &fp, false, &run))
        return 1;
    printf("%d\n", (int)run.pid);
    return 0;
}

/*
 * bench_start looks REPEATS: the looks whose cost grows with what runs,
 * timed as the library makes them: a walk of every process's status for a
 * uid (the audit's for other holders of the DM's uid; the reaper's before
 * a start and after a destroy only when the kernel counts a task of the
 * uid), the kernel's count of a uid's tasks (the reaper's first look) and
 * a read of every domain's state (what create and destroy make of the
 * domains there are). Prints JSON: the processes and domains there were,
 * and each look's times (ms).
 */
static int looks_main(libdmr_ctx *ctx, int repeats)
{
    double walk[repeats], count[repeats], list[repeats];
    size_t procs, domains = 0;
    for (int i = 0; i < repeats; i++) {
        pid_t *pids;
        struct dm_state *states;
        double t = now_ms();
        if (proc_pids_of_uid(4294967294u, &pids, &procs))
            return 1;
        walk[i] = now_ms() - t;
        free(pids);
        t = now_ms();
        if (!kernel_counts_no_task(4294967294u, NULL, 0))
            return 1;
        count[i] = now_ms() - t;
        t = now_ms();
        if (state_list(ctx, &states, &domains, NULL, 0))
            return 1;
        list[i] = now_ms() - t;
        state_list_free(states, domains);
    }
    size_t n = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *de; d && (de = readdir(d));)
        n += de->d_name[0] >= '1' && de->d_name[0] <= '9';
    if (d)
        closedir(d);
    const struct { const char *name; const double *v; } series[] = {
        { "walk_ms", walk }, { "count_ms", count }, { "state_list_ms", list },
    };
    printf("{\"processes\": %zu, \"domains\": %zu", n, domains);
    for (size_t k = 0; k < ELEMENTSOF(series); k++) {
        printf(", \"%s\": [", series[k].name);
        for (int i = 0; i < repeats; i++)
            printf("%s%.3f", i ? ", " : "", series[k].v[i]);
        printf("]");
    }
    printf("}\n");
    return 0;
}

int main(int argc, char **argv)
{
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libdmr_ctx *ctx;
    if (libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg))
        return 1;
    if (argc == 3 && !strcmp(argv[1], "launch"))
        return launch_main(ctx, argv[2]);
    if (argc == 3 && !strcmp(argv[1], "looks"))
        return looks_main(ctx, atoi(argv[2]) > 0 ? atoi(argv[2]) : 1);
    if (argc != 6) {
        fprintf(stderr, "usage: bench_start XL_DMR CFG CFG_NIC RUNS OUT.json\n"
                        "       bench_start launch PLAN.json\n"
                        "       bench_start looks REPEATS\n");
        return 2;
    }
    struct arms a = { .ctx = ctx, .xl_dmr = argv[1], .cfg = argv[2], .cfg_nic = argv[3] };
    int runs = atoi(argv[4]);
    if (!*a.cfg_nic)
        a.cfg_nic = NULL;
    if (floor_plan_load(a.xl_dmr, a.cfg, &a.restricted)) {
        fprintf(stderr, "cannot get the plan from %s create -n --json %s\n", a.xl_dmr, a.cfg);
        return 1;
    }
    a.bare = bare_of(&a.restricted);
    static const char *names[S_N] = { "floor_ms", "xl_dmr_ms", "bare_ms", "nic_display_ms",
                                      "floor_cpu_ms", "xl_dmr_cpu_ms", "destroy_ms", "exec_ms",
                                      "exec_cpu_ms", "true_ms", "true_cpu_ms", "audit_ms",
                                      "audit_cpu_ms", "floor_stop_ms", "plan_ms",
                                      "plan_cpu_ms", "destroy_cleanup_ms", "audit_call_ms",
                                      "audit_call_cpu_ms" };
    for (int k = 0; k < S_N; k++)
        a.s[k] = (struct series){ names[k], calloc(runs, sizeof(double)), 0 };
    if (cgroup_make("dmr-bench-floor", a.cg_floor, sizeof(a.cg_floor)) ||
        cgroup_make("dmr-bench-xl-dmr", a.cg_xl, sizeof(a.cg_xl)) ||
        cgroup_make("dmr-bench-other", a.cg_other, sizeof(a.cg_other))) {
        fprintf(stderr, "cannot make cpuacct cgroups under " CPUACCT_ROOT "\n");
        return 1;
    }
    char home[512];
    if (cgroup_of_self(home, sizeof(home))) {
        fprintf(stderr, "cannot read this process's cpuacct cgroup\n");
        return 1;
    }
    int r = 0;
    for (int i = 0; !r && i < runs; i++)
        r = one_pair(&a, i);
    /* Back home; the arms' cgroups are empty by now. */
    cgroup_join(home);
    rmdir(a.cg_floor);
    rmdir(a.cg_xl);
    rmdir(a.cg_other);
    if (!r && series_write(argv[5], a.s, S_N, "runs", runs))
        r = -1;
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return r ? 1 : 0;
}
