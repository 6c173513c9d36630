/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Golden plans: tests/unit/plans/<case>.cfg + <case>.facts (JSON) give
 * <case>.argv (one argument a line) and <case>.json (the whole plan).
 * DMR_REGENERATE=1 rewrites the golden files; read the diff before
 * committing. Every case also checks determinism: the same input, twice,
 * gives the same bytes.
 */
#include <dirent.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "testutil.h"
#include "xl_cfg.h"

struct plan_case {
    char name[128];
    char dir[4096];
};

static char *argv_lines(const libdmr_plan *plan)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (const char *const *a = libdmr_plan_argv(plan); *a; a++)
        fprintf(f, "%s\n", *a);
    fclose(f);
    return buf;
}

static void check_golden(const struct plan_case *c, const char *ext, const char *got)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/%s.%s", c->dir, c->name, ext);
    if (getenv("DMR_REGENERATE")) {
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(got, f);
        fclose(f);
        return;
    }
    char *want = test_slurp(path);
    if (!want)
        fail_msg("%s is missing (run with DMR_REGENERATE=1 and review it)", path);
    if (strcmp(want, got))
        print_message("%s differs; got:\n%s", path, got);
    assert_string_equal(want, got);
    free(want);
}

static libdmr_plan *compute(libdmr_ctx *ctx, const struct plan_case *c, char **ret_json)
{
    char cfg[4300], facts_path[4300];
    snprintf(cfg, sizeof(cfg), "%s/%s.cfg", c->dir, c->name);
    snprintf(facts_path, sizeof(facts_path), "%s/%s.facts", c->dir, c->name);
    char *facts_json = test_slurp(facts_path);
    assert_non_null(facts_json);
    libdmr_config *config = NULL;
    libdmr_facts *facts = NULL;
    libdmr_plan *plan = NULL;
    assert_int_equal(xl_config_load(ctx, cfg, NULL, 0, &config), 0);
    assert_int_equal(libdmr_facts_from_json(ctx, facts_json, &facts), 0);
    assert_int_equal(libdmr_plan_compute(ctx, config, facts, &plan), 0);
    assert_int_equal(libdmr_plan_to_json(ctx, plan, ret_json), 0);

    /* Facts survive a round trip unchanged, byte for byte. */
    char *again = NULL;
    libdmr_facts *reread = NULL;
    assert_int_equal(libdmr_facts_to_json(ctx, facts, &again), 0);
    assert_int_equal(libdmr_facts_from_json(ctx, again, &reread), 0);
    char *twice = NULL;
    assert_int_equal(libdmr_facts_to_json(ctx, reread, &twice), 0);
    assert_string_equal(again, twice);
    free(again);
    free(twice);
    libdmr_facts_free(reread);

    libdmr_facts_free(facts);
    libdmr_config_free(config);
    free(facts_json);
    return plan;
}

static void run_case(void **state)
{
    const struct plan_case *c = *state;
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    char *json1 = NULL, *json2 = NULL;
    libdmr_plan *plan = compute(ctx, c, &json1);
    libdmr_plan *plan2 = compute(ctx, c, &json2);
    assert_string_equal(json1, json2);   /* deterministic */

    char *argv = argv_lines(plan);
    size_t n = strlen(json1);
    char *json_nl = malloc(n + 2);
    memcpy(json_nl, json1, n);
    strcpy(json_nl + n, "\n");
    check_golden(c, "argv", argv);
    check_golden(c, "json", json_nl);
    free(json_nl);
    free(argv);
    free(json1);
    free(json2);
    libdmr_plan_free(plan);
    libdmr_plan_free(plan2);
    test_ctx_free(ctx, lg);
}

/*
 * "The planner makes no syscalls" checked by the kernel: in a child, a
 * seccomp filter allows only what malloc needs (brk, mmap, munmap,
 * mremap, madvise) and exiting; any other syscall (open, stat, write,
 * getpwnam's socket...) kills the child with SIGSYS.
 */
static void enter_malloc_only_sandbox(void)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
                  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
        ALLOW(__NR_brk), ALLOW(__NR_mmap), ALLOW(__NR_munmap), ALLOW(__NR_mremap),
        ALLOW(__NR_madvise), ALLOW(__NR_exit_group), ALLOW(__NR_exit),
#undef ALLOW
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    struct sock_fprog prog = { .len = ELEMENTSOF(filter), .filter = filter };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
        _exit(99);
}

static void run_case_pure(void **state)
{
    const struct plan_case *c = *state;
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    char cfg[4300], facts_path[4300];
    snprintf(cfg, sizeof(cfg), "%s/%s.cfg", c->dir, c->name);
    snprintf(facts_path, sizeof(facts_path), "%s/%s.facts", c->dir, c->name);
    char *facts_json = test_slurp(facts_path);
    libdmr_config *config = NULL;
    libdmr_facts *facts = NULL;
    assert_int_equal(xl_config_load(ctx, cfg, NULL, 0, &config), 0);
    assert_int_equal(libdmr_facts_from_json(ctx, facts_json, &facts), 0);

    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        enter_malloc_only_sandbox();
        libdmr_plan *plan = NULL;
        char *json = NULL;
        int rc = libdmr_plan_compute(ctx, config, facts, &plan);
        if (!rc)
            rc = libdmr_plan_to_json(ctx, plan, &json);
        libdmr_plan_free(plan);
        free(json);
        syscall(__NR_exit_group, rc ? 1 : 0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        print_message("planner made a syscall outside malloc: killed by signal %d\n",
                      WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    libdmr_facts_free(facts);
    libdmr_config_free(config);
    free(facts_json);
    test_ctx_free(ctx, lg);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct CMUnitTest *)a)->name, ((const struct CMUnitTest *)b)->name);
}

int main(int argc, char **argv)
{
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    static struct plan_case cases[64];
    static struct CMUnitTest tests[128];
    static char pure_names[64][160];
    size_t n = 0;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/tests/unit/plans", srcdir);
    /* The cases are read from their directory by relative names: a plan's
     * notices name the cfg as given, and the golden files must not hold
     * where the tree happens to be (make distcheck builds elsewhere). */
    DIR *d = chdir(dir) == 0 ? opendir(".") : NULL;
    if (!d) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 1;
    }
    for (struct dirent *de; (de = readdir(d)) && n < ELEMENTSOF(cases);) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".cfg"))
            continue;
        snprintf(cases[n].name, sizeof(cases[n].name), "%.*s", (int)(len - 4), de->d_name);
        snprintf(cases[n].dir, sizeof(cases[n].dir), ".");
        n++;
    }
    closedir(d);
    size_t n_tests = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(pure_names[i], sizeof(pure_names[i]), "%.100s-planner-makes-no-syscalls", cases[i].name);
        tests[n_tests++] = (struct CMUnitTest){ .name = cases[i].name, .test_func = run_case,
                                                .initial_state = &cases[i] };
        tests[n_tests++] = (struct CMUnitTest){ .name = pure_names[i], .test_func = run_case_pure,
                                                .initial_state = &cases[i] };
    }
    qsort(tests, n_tests, sizeof(tests[0]), by_name);
    return _cmocka_run_group_tests("golden plans", tests, n_tests, NULL, NULL);
}
