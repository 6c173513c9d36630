/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lifecycle_rules: the rules a toolstack's backend lives by, through the
 * public API only, with a backend of this program's own whose "device
 * model" is a sleeping child. Prints TAP. Run as root in a private mount
 * namespace with a tmpfs over /run (test_lifecycle_rules.sh).
 *
 * - Without xen operations, a xen-backend create is refused (NI), and
 *   nothing is left.
 * - An operation that calls a lock-taking function while its caller
 *   holds the lock (stop) gets BUSY at once instead of waiting for itself;
 *   one that runs with the lock let go (start) may call it.
 * - create runs start, the audit, unpause, and records the domain;
 *   destroy runs stop and removes the record; the child is gone.
 * - A recorded foreign domain is never destroyed by the library, and a
 *   second domain with its domid is refused; forget drops it.
 * - libdmr_domain_made_by_library, as a toolstack the backend calls into
 *   (libxl under xl-dmr) asks it from a context of its own: yes in start
 *   (by name) and in stop (by domid); no for a foreign recorded domain,
 *   for an unknown name, and by name once the create has finished.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libdmrestrict.h>

/* The host as a toolstack that chose domid %u describes it. */
static const char facts_json[] =
    "{\"domid\":%u,\"xen_dom0\":true,\"kvm_usable\":false,\"domids_in_use\":[],"
    "\"users\":{},\"subuid\":[],\"subgid\":[],"
    "\"qemu\":{\"path\":\"/usr/libexec/xen-qemu-system-i386\",\"present\":true,\"runas\":true,"
    "\"chroot\":true,\"run_with_user\":false,\"run_with_chroot\":false,\"sandbox\":true,"
    "\"root_port_hotplug\":true,\"machines\":[\"xenfv\"]},\"cap_sys_resource\":true,"
    "\"images\":[]}";

static int n_tests, n_failed;

static void check(bool ok, const char *what)
{
    printf("%sok %d - %s\n", ok ? "" : "not ", ++n_tests, what);
    n_failed += !ok;
}

/* What the pretend backend was asked, and what its nested calls got. */
struct pretend {
    pid_t child;
    int started, unpaused, stopped;
    int nested_in_start, nested_in_stop;   /* return codes */
    /* What a toolstack the backend calls into (libxl) is told, from a
     * context of its own: by name in start, by domid in stop. */
    bool made_in_start, made_in_stop;
    double nested_seconds;                 /* the longest nested call */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A lock-taking call from inside an operation: timed, its code kept. */
static int nested(struct pretend *pr, int (*call)(libdmr_ctx *, uint32_t), libdmr_ctx *ctx)
{
    double t0 = now();
    int rc = call(ctx, 99);
    double took = now() - t0;
    if (took > pr->nested_seconds)
        pr->nested_seconds = took;
    return rc;
}

/* Asked from a context of its own, as libxl would. */
static bool made_by_library_from_elsewhere(const char *name, uint32_t domid)
{
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libdmr_ctx *ctx = NULL;
    bool made = lg && !libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg) &&
                libdmr_domain_made_by_library(ctx, name, domid);
    libdmr_ctx_free(ctx);
    if (lg)
        xtl_logger_destroy((xentoollog_logger *)lg);
    return made;
}

/* sleep 60 with /dev/null for its stdio; returns once it has exec'd (the
 * pipe closes on exec), so the audit sees the sleep, not the fork. */
static pid_t spawn_sleeper(void)
{
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        /* Nothing else: make's jobserver pipes are not the "DM"'s. */
        close_range(3, ~0U, 0);
        /* The C locale: under C.UTF-8, sleep's setlocale opens locale
         * files, which the audit may catch open (seen: LC_MEASUREMENT). */
        char *const argv[] = { "sleep", "60", NULL };
        char *const envp[] = { "LC_ALL=C", NULL };
        execvpe("sleep", argv, envp);
        _exit(127);
    }
    close(ready[1]);
    char c;
    while (pid > 0 && read(ready[0], &c, 1) < 0 && errno == EINTR)
        ;
    close(ready[0]);
    return pid;
}

/* start runs with the lock let go: a lock-taking call works from here. */
static int pretend_start(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    struct pretend *pr = opaque;
    pr->started++;
    pr->nested_in_start = nested(pr, libdmr_domain_forget, ctx);
    pr->made_in_start = made_by_library_from_elsewhere("rules", 0);
    pr->child = spawn_sleeper();
    return pr->child > 0 ? libdmr_dm_set_pid(dm, pr->child) : LIBDMR_ERROR_FAIL;
}

static int pretend_unpause(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    ((struct pretend *)opaque)->unpaused++;
    return 0;
}

static int pretend_stop(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    struct pretend *pr = opaque;
    pr->stopped++;
    pr->nested_in_stop = nested(pr, libdmr_domain_destroy, ctx);
    pr->made_in_stop = made_by_library_from_elsewhere(NULL, libdmr_dm_domid(dm));
    if (pr->child > 0) {
        kill(pr->child, SIGKILL);
        waitpid(pr->child, NULL, 0);
        pr->child = 0;
    }
    return 0;
}

static int pretend_lookup(void *opaque, libdmr_ctx *ctx, const char *name, uint32_t *ret)
{
    return LIBDMR_ERROR_NOTFOUND;
}

static const libdmr_backend_ops pretend_ops = {
    .size = sizeof(libdmr_backend_ops),
    .name = "the pretend backend",
    .start = pretend_start,
    .unpause = pretend_unpause,
    .stop = pretend_stop,
    .lookup = pretend_lookup,
};

/* Facts are of one domid (some of them are per domid): made for each plan. */
static libdmr_plan *plan_for(libdmr_ctx *ctx, const char *name, uint32_t domid)
{
    char json[sizeof(facts_json) + 16];
    snprintf(json, sizeof(json), facts_json, domid);
    libdmr_facts *f = NULL;
    libdmr_config *c = NULL;
    libdmr_plan *p = NULL;
    if (libdmr_facts_from_json(ctx, json, &f) ||
        libdmr_config_new(ctx, name, &c) ||
        libdmr_config_set_backend(ctx, c, LIBDMR_BACKEND_XEN) ||
        libdmr_config_set_toolstack_domid(ctx, c, domid) ||
        libdmr_plan_compute(ctx, c, f, &p))
        p = NULL;
    libdmr_config_free(c);
    libdmr_facts_free(f);
    return p;
}

/* Facts gathered for one domid, a plan for another: refused, not misread. */
static bool facts_of_another_domid_refused(libdmr_ctx *ctx)
{
    char json[sizeof(facts_json) + 16];
    snprintf(json, sizeof(json), facts_json, 7u);
    libdmr_facts *f = NULL;
    libdmr_config *c = NULL;
    libdmr_plan *p = NULL;
    const char *why = NULL;
    bool refused = !libdmr_facts_from_json(ctx, json, &f) &&
                   !libdmr_config_new(ctx, "mismatch", &c) &&
                   !libdmr_config_set_toolstack_domid(ctx, c, 8) &&
                   !libdmr_plan_compute(ctx, c, f, &p) &&
                   libdmr_plan_refusal(p, &why) == LIBDMR_ERROR_INVAL &&
                   strstr(why, "gathered for domid 7, not 8");
    libdmr_plan_free(p);
    libdmr_config_free(c);
    libdmr_facts_free(f);
    return refused;
}

static bool run_dir_gone(void)
{
    struct stat st;
    return stat("/run/xl-dmr", &st) < 0 && errno == ENOENT;
}

static void rules(libdmr_ctx *ctx)
{
    struct pretend pr = { 0 };
    libdmr_plan *p = plan_for(ctx, "rules", 7);
    check(p && !libdmr_plan_refusal(p, NULL), "an unrestricted xen-backend plan for domid 7");
    if (!p)
        return;

    check(facts_of_another_domid_refused(ctx),
          "a toolstack's domid 8 with facts gathered for domid 7: refused (INVAL)");
    check(libdmr_domain_create(ctx, p) == LIBDMR_ERROR_NI && run_dir_gone(),
          "without xen operations: create refused (NI), nothing left");

    libdmr_ctx_set_backend(ctx, LIBDMR_BACKEND_XEN, &pretend_ops, &pr);
    int rc = libdmr_domain_create(ctx, p);
    check(rc == 0 && pr.started == 1 && pr.unpaused == 1,
          "create: start, then (audit passed) unpause, exit 0");
    check(pr.nested_in_start == LIBDMR_ERROR_NOTFOUND && pr.nested_seconds < 2,
          "a lock-taking call from inside start (which runs without the lock): it runs");
    libdmr_dominfo *list = NULL;
    size_t n = 0;
    check(!libdmr_domain_list(ctx, &list, &n) && n == 1 && list[0].domid == 7 &&
          list[0].dm_pid == pr.child, "listed, with the backend's device model");
    libdmr_dominfo_list_free(list);
    check(pr.made_in_start && !made_by_library_from_elsewhere("rules", 0) &&
          !made_by_library_from_elsewhere("nosuch", 0) && made_by_library_from_elsewhere(NULL, 7),
          "made by the library: yes by name while it starts, not once created, not an unknown "
          "name; yes by domid");

    check(libdmr_domain_forget(ctx, 7) == LIBDMR_ERROR_INVAL && !kill(pr.child, 0),
          "forget of a domain the library made: refused (INVAL), its DM untouched");

    libdmr_plan *other = plan_for(ctx, "other", 7);
    check(other && libdmr_domain_record(ctx, other, getpid()) == LIBDMR_ERROR_BUSY,
          "recording another domain with a domid in use: BUSY");
    libdmr_plan_free(other);

    pid_t child = pr.child;
    rc = libdmr_domain_destroy(ctx, 7);
    check(rc == 0 && pr.stopped == 1 && kill(child, 0) < 0 && run_dir_gone(),
          "destroy: stop, the device model gone, no record, no /run/xl-dmr");
    check(pr.made_in_stop, "made by the library: yes by domid while it stops it");
    check(pr.nested_in_stop == LIBDMR_ERROR_BUSY && pr.nested_seconds < 2,
          "a lock-taking call from inside stop (under the lock): BUSY at once, not a wait "
          "for itself");

    libdmr_plan *foreign = plan_for(ctx, "foreign", 8);
    check(foreign && !libdmr_domain_record(ctx, foreign, getpid()),
          "a foreign domain recorded (its DM: this process)");
    check(!made_by_library_from_elsewhere(NULL, 8) && !made_by_library_from_elsewhere("foreign", 0),
          "made by the library: no for a foreign recorded domain");
    check(libdmr_domain_destroy(ctx, 8) == LIBDMR_ERROR_BUSY && pr.stopped == 1,
          "destroy of a recorded foreign domain: refused (BUSY), its backend not asked");
    check(!libdmr_domain_forget(ctx, 8) && run_dir_gone(), "forgotten: nothing left");
    check(libdmr_domain_forget(ctx, 8) == LIBDMR_ERROR_NOTFOUND,
          "forgetting it again: NOTFOUND");
    libdmr_plan_free(foreign);
    libdmr_ctx_set_backend(ctx, LIBDMR_BACKEND_XEN, NULL, NULL);
    libdmr_plan_free(p);
}

int main(void)
{
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libdmr_ctx *ctx = NULL;
    if (!lg || libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg)) {
        printf("not ok 1 - set up a context\n");
        return 1;
    }
    rules(ctx);
    printf("1..%d\n", n_tests);
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return n_failed ? 1 : 0;
}
