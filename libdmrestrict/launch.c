/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Carry a plan out on the qemu backend, and undo it. Everything here
 * follows the plan; nothing is decided. A create that fails at any step
 * undoes every step before it, and a device model that dies at start is
 * reported with the tail of its log.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "audit.h"
#include "qmp.h"

#define QMP_START_TIMEOUT_MS 10000
#define QMP_TIMEOUT_MS 5000
#define DM_QUIT_TIMEOUT_MS 5000
#define LOGGER_DRAIN_TIMEOUT_MS 2000

/* What a create has made so far: exactly what a rollback undoes. */
struct launch {
    libdmr_ctx *ctx;
    const libdmr_plan *plan;
    int *fds;                  /* one per plan resource, -1 until opened */
    bool chroot_made, qmp_bound, state_written;
    int log_write;
    struct proc_ref logger, dm;
    int *lock;             /* the host-wide lock, let go while QEMU starts */
};

static int open_qmp_listener(struct launch *l, const struct plan_resource *res)
{
    libdmr_ctx *ctx = l->ctx;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(res->path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, res->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* A stale socket of a domid that is free now is ours to replace. */
    if (fd < 0 || (unlink(res->path) < 0 && errno != ENOENT)) {
        LOGED(ERROR, l->plan->domid, "creating the QMP socket %s", res->path);
        safe_close(fd);
        return -errno;
    }
    mode_t old = umask(0177);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    l->qmp_bound = r == 0;  /* the file is there from now on, listening or not */
    if (r < 0 || listen(fd, 1) < 0) {
        LOGED(ERROR, l->plan->domid, "creating the QMP socket %s", res->path);
        safe_close(fd);
        return -errno;
    }
    return fd;
}

static int open_image(struct launch *l, const struct plan_resource *res)
{
    libdmr_ctx *ctx = l->ctx;
    int fd = open(res->path, (res->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
        LOGED(ERROR, l->plan->domid, "opening %s for %s", res->path, res->id);
        safe_close(fd);
        return -EIO;
    }
    return fd;
}

/* /dev/iommu or a VFIO cdev (iommufd): a character device, read-write. */
static int open_char_device(struct launch *l, const struct plan_resource *res)
{
    libdmr_ctx *ctx = l->ctx;
    int fd = open(res->path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
        LOGED(ERROR, l->plan->domid, "opening %s for %s", res->path, res->id);
        safe_close(fd);
        return -EIO;
    }
    return fd;
}

static int open_resources(struct launch *l)
{
    for (size_t i = 0; i < l->plan->n_resources; i++) {
        const struct plan_resource *res = &l->plan->resources[i];
        l->fds[i] = res->kind == PLAN_RES_QMP_LISTEN ? open_qmp_listener(l, res)
                  : res->kind == PLAN_RES_IOMMUFD || res->kind == PLAN_RES_VFIO_DEVICE
                      ? open_char_device(l, res)
                      : open_image(l, res);
        if (l->fds[i] < 0)
            return l->fds[i];
    }
    return 0;
}

static void close_resources(struct launch *l)
{
    for (size_t i = 0; l->fds && i < l->plan->n_resources; i++)
        l->fds[i] = safe_close(l->fds[i]);
    l->log_write = safe_close(l->log_write);
}

/*
 * Verify before trusting: once QEMU answers qmp_capabilities from its main
 * loop (after it chrooted and dropped its user; the greeting may come
 * before), the whole audit runs, and only a DM that passes every check
 * gets its guest started.
 */
static int audit_before_cont(struct launch *l, const struct dm_state *s, struct libdmr_qmp *q)
{
    libdmr_ctx *ctx = l->ctx;
    struct libdmr_audit *a = NULL;
    int rc = audit_state(ctx, s, q, &a);
    if (!rc && audit_log_failures(ctx, s->domid, a)) {
        LOGD(ERROR, s->domid, "the device model is not restricted as planned; it is destroyed");
        rc = LIBDMR_ERROR_PERM;
    }
    libdmr_audit_free(a);
    return rc;
}

static int start_guest(struct launch *l, const struct dm_state *s)
{
    libdmr_ctx *ctx = l->ctx;
    struct libdmr_qmp *q = NULL;
    int rc = qmp_connect(ctx, l->plan->domid, l->plan->resources[0].path,
                         QMP_START_TIMEOUT_MS, &q);
    if (!rc)
        rc = audit_before_cont(l, s, q);
    yajl_val status = NULL;
    bool paused = l->plan->paused;
    if (!rc && !paused)
        rc = qmp_execute(q, "cont", NULL, QMP_TIMEOUT_MS, NULL);
    if (!rc)
        rc = qmp_execute(q, "query-status", NULL, QMP_TIMEOUT_MS, &status);
    if (!rc) {
        const char *path[] = { "status", NULL };
        yajl_val value = yajl_tree_get(status, path, yajl_t_string);
        const char *state = value ? YAJL_GET_STRING(value) : NULL;
        /* -S leaves a guest that never ran in "prelaunch". */
        bool as_planned = state && (paused ? !strcmp(state, "prelaunch") || !strcmp(state, "paused")
                                           : !strcmp(state, "running"));
        if (!as_planned) {
            LOGD(ERROR, l->plan->domid, "the guest is %s, not %s", state ? state : "in no state",
                 paused ? "paused" : "running after cont");
            rc = LIBDMR_ERROR_QEMU_API;
        }
    }
    yajl_tree_free(status);
    qmp_close(q);
    return rc;
}

/* After a failed start: say why, with what QEMU said last. */
static void report_dm_death(struct launch *l)
{
    libdmr_ctx *ctx = l->ctx;
    if (l->dm.pid > 0 && !proc_exited(&l->dm, 200))
        return;  /* still alive: the failure was reported where it happened */
    /* The logger ends when QEMU's output does: then the log is complete. */
    proc_wait_exit(ctx, &l->logger, LOGGER_DRAIN_TIMEOUT_MS, false);
    _cleanup_free_ char *tail = NULL;
    if (log_tail(l->plan->log_path, 600, &tail) == 0 && tail[0])
        LOGD(ERROR, l->plan->domid, "the device model exited at start; its log (%s) ends: %s",
             l->plan->log_path, tail);
    else
        LOGD(ERROR, l->plan->domid, "the device model exited at start (log: %s)", l->plan->log_path);
}

static void rollback(struct launch *l)
{
    libdmr_ctx *ctx = l->ctx;
    const libdmr_plan *p = l->plan;
    close_resources(l);
    /* The reaper and the state directory are the lock's. */
    if (*l->lock < 0)
        *l->lock = run_lock(ctx);
    if (l->dm.pid > 0)
        proc_wait_exit(ctx, &l->dm, 0, true);
    if (l->logger.pid > 0)
        proc_wait_exit(ctx, &l->logger, LOGGER_DRAIN_TIMEOUT_MS, true);
    char pids[256];
    if (p->id.kill_by_uid && p->id.has_reaper && l->dm.pid > 0)
        reaper_kill_uid(ctx, p->domid, p->id.uid, p->id.reaper_uid, pids, sizeof(pids));
    if (l->qmp_bound)
        unlink(p->resources[0].path);
    if (l->chroot_made)
        chroot_remove(ctx, p->chroot);
    if (l->state_written)
        state_remove(ctx, p->domid);
}

/* The domid, name and device_model_user must still be free, under the lock. */
static int check_free(libdmr_ctx *ctx, const libdmr_plan *p)
{
    struct dm_state *list;
    size_t n;
    int r = state_list(ctx, &list, &n);
    if (r)
        return libdmr_error_from_errno(r);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        if (list[i].domid == p->domid) {
            LOGD(ERROR, p->domid, "domid %u is in use", p->domid);
            rc = LIBDMR_ERROR_BUSY;
        } else if (!strcmp(list[i].name, p->name)) {
            LOGD(ERROR, p->domid, "a domain named \"%s\" exists (domid %u)", p->name, list[i].domid);
            rc = LIBDMR_ERROR_BUSY;
        } else if (p->id.uid_exclusive && list[i].dm_uid == p->id.uid) {
            LOGD(ERROR, p->domid, "uid %u (%s) already runs the device model of domain %u; "
                 "each domain needs its own user", (unsigned)p->id.uid, p->id.user, list[i].domid);
            rc = LIBDMR_ERROR_BUSY;
        }
    }
    state_list_free(list, n);
    return rc;
}

/* What the state says, and what the audit holds the DM to (borrowing the
 * plan's strings; s->pci and s->resources are launch_state_clear's). */
int launch_state_for(const libdmr_plan *p, struct dm_state *s)
{
    *s = (struct dm_state){
        .domid = p->domid, .name = p->name, .qmp_path = p->qmp_path, .chroot = p->chroot,
        .log_path = p->log_path, .dm_uid = p->id.uid, .dm_gid = p->id.gid,
        .dm_user = p->id.user, .source = (char *)plan_source_name(p->id.source),
        .kill_by_uid = p->id.kill_by_uid, .has_reaper = p->id.has_reaper,
        .reaper_uid = p->id.reaper_uid, .memory_mb = p->memory_mb, .vcpus = p->vcpus,
    };
    int r = dm_pci_from_plan(p, &s->pci);
    return r ? r : state_expect_from_plan(s, p);
}

void launch_state_clear(struct dm_state *s)
{
    dm_pci_clear(&s->pci);
    strv_clear(&s->resources);
}

/*
 * Under the lock: the domid, name and uid still free, the uid's leftovers
 * killed (reapers must not overlap), and the domain reserved by its state
 * file, marked starting. Then the lock is let go, so other creates need
 * not wait for this QEMU to start.
 */
int launch_reserve(libdmr_ctx *ctx, const libdmr_plan *p, struct dm_state *s, int *lock)
{
    int rc = check_free(ctx, p);
    if (rc)
        return rc;
    /* A process an earlier domain left with this uid must never meet the new DM. */
    if (p->id.kill_by_uid && p->id.has_reaper) {
        char pids[256];
        int killed = reaper_kill_uid(ctx, p->domid, p->id.uid, p->id.reaper_uid,
                                     pids, sizeof(pids));
        if (killed < 0)
            return LIBDMR_ERROR_FAIL;
        if (killed)
            LOGD(NOTICE, p->domid, "killed %d process(es) left with uid %u before "
                 "starting the device model: %s", killed, (unsigned)p->id.uid, pids);
    }
    s->starting = true;
    int r = proc_self(&s->creator);
    if (!r)
        r = state_write(ctx, s, p);
    if (r)
        return libdmr_error_from_errno(r);
    *lock = safe_close(*lock);
    return 0;
}

/* The lock again, to say the domain is there. */
int launch_record(libdmr_ctx *ctx, const libdmr_plan *p, struct dm_state *s, int *lock)
{
    if (*lock < 0 && (*lock = run_lock(ctx)) < 0)
        return libdmr_error_from_errno(*lock);
    s->starting = false;
    int r = state_write(ctx, s, p);
    return r ? libdmr_error_from_errno(r) : 0;
}

static int launch_steps(struct launch *l)
{
    libdmr_ctx *ctx = l->ctx;
    const libdmr_plan *p = l->plan;
    struct dm_state s;
    int r = launch_state_for(p, &s);
    int rc = r ? libdmr_error_from_errno(r) : launch_reserve(ctx, p, &s, l->lock);
    l->state_written = !rc;
    if (!rc && p->chroot) {
        r = chroot_prepare(ctx, p->domid, p->chroot, p->chroot_mode);
        if (r)
            rc = libdmr_error_from_errno(r);
        l->chroot_made = !r;
    }
    if (!rc) {
        r = open_resources(l);
        if (!r)
            r = logger_start(ctx, p->domid, l->plan->log_path, &l->log_write, &l->logger);
        if (!r)
            r = spawn_dm(ctx, p, l->fds, l->log_write, &l->dm);
        /* QEMU holds its own copies now (or failed to start). */
        close_resources(l);
        if (r == -ESRCH)
            report_dm_death(l);
        if (r)
            rc = r == -ESRCH ? LIBDMR_ERROR_FAIL /* it died: not a missing thing */
                             : libdmr_error_from_errno(r);
    }
    if (!rc) {
        s.dm = l->dm;
        s.logger = l->logger;
        rc = start_guest(l, &s);
        if (rc)
            report_dm_death(l);
    }
    if (!rc)
        rc = launch_record(ctx, p, &s, l->lock);
    launch_state_clear(&s);
    return rc;
}

/* Carry a plan out; the caller holds run_lock in *lock, which is let go
 * while QEMU starts and held again when this returns (unless it could not
 * be taken again: then *lock is negative). */
static int create_locked(libdmr_ctx *ctx, const libdmr_plan *plan, int *lock)
{
    if (plan->verdict.refusal_rc) {
        LOGD(ERROR, plan->domid, "%s", plan->verdict.refusal);
        return plan->verdict.refusal_rc;
    }
    if (plan->backend == LIBDMR_BACKEND_XEN)
        return launch_xen_create(ctx, plan, lock);
    struct launch l = { .ctx = ctx, .plan = plan, .log_write = -1, .lock = lock };
    l.fds = malloc(plan->n_resources * sizeof(*l.fds));
    if (!l.fds)
        return LIBDMR_ERROR_NOMEM;
    for (size_t i = 0; i < plan->n_resources; i++)
        l.fds[i] = -1;
    int rc = launch_steps(&l);
    if (rc)
        rollback(&l);
    free(l.fds);
    return rc;
}

int libdmr_domain_create(libdmr_ctx *ctx, const libdmr_plan *plan)
{
    if (!ctx || !plan)
        return LIBDMR_ERROR_INVAL;
    _cleanup_close_ int lock = run_lock(ctx);
    if (lock < 0)
        return libdmr_error_from_errno(lock);
    int rc = create_locked(ctx, plan, &lock);
    if (rc && lock >= 0)
        run_dirs_release();
    return rc;
}

int libdmr_domain_create_config(libdmr_ctx *ctx, const libdmr_config *config,
                                libdmr_plan **ret_plan)
{
    if (!ctx || !config)
        return LIBDMR_ERROR_INVAL;
    /* Facts, plan and reservation under the lock: the lowest free domid
     * the facts find is still free when the domain takes it. */
    ctx->last_error[0] = '\0';
    _cleanup_close_ int lock = run_lock(ctx);
    if (lock < 0)
        return libdmr_error_from_errno(lock);
    libdmr_facts *facts = NULL;
    libdmr_plan *plan = NULL;
    int rc = libdmr_facts_gather(ctx, config, &facts);
    if (!rc)
        rc = libdmr_plan_compute(ctx, config, facts, &plan);
    if (!rc)
        rc = libdmr_plan_check(ctx, plan);  /* notices and warnings, or the refusal */
    if (!rc)
        rc = create_locked(ctx, plan, &lock);
    if (rc && lock >= 0)
        run_dirs_release();
    /* Every failure says why; one that said nothing is still one line. */
    if (rc && !ctx->last_error[0])
        LOG(ERROR, "creating the domain failed: %s", libdmr_strerror(rc));
    libdmr_facts_free(facts);
    if (ret_plan && !rc)
        *ret_plan = plan;
    else
        libdmr_plan_free(plan);
    return rc;
}

/* quit, SIGKILL, kill by uid; then its socket and chroot. */
static int destroy_dm(libdmr_ctx *ctx, const struct dm_state *s)
{
    uint32_t domid = s->domid;
    /* Ask first (QEMU may close the connection instead of answering);
     * a DM that already died has nothing to be asked. */
    struct libdmr_qmp *q = NULL;
    if (!proc_exited(&s->dm, 0) && qmp_connect(ctx, domid, s->qmp_path, QMP_TIMEOUT_MS, &q) == 0)
        qmp_execute(q, "quit", NULL, QMP_TIMEOUT_MS, NULL);
    qmp_close(q);
    int rc = 0;
    if (proc_wait_exit(ctx, &s->dm, DM_QUIT_TIMEOUT_MS, true)) {
        LOGD(ERROR, domid, "the device model (pid %d) does not die", (int)s->dm.pid);
        rc = LIBDMR_ERROR_FAIL;
    }
    if (!rc && reap_domain_uid(ctx, s))
        rc = LIBDMR_ERROR_FAIL;
    /* The logger ends at EOF, after the last line QEMU wrote. */
    proc_wait_exit(ctx, &s->logger, LOGGER_DRAIN_TIMEOUT_MS, true);
    if (!rc) {
        unlink(s->qmp_path);
        if (s->chroot && chroot_remove(ctx, s->chroot))
            rc = LIBDMR_ERROR_FAIL;
    }
    return rc;
}

int libdmr_domain_destroy(libdmr_ctx *ctx, uint32_t domid)
{
    if (!ctx)
        return LIBDMR_ERROR_INVAL;
    _cleanup_close_ int lock = run_lock(ctx);
    if (lock < 0)
        return libdmr_error_from_errno(lock);
    if (host_is_xen_dom0() && !state_exists(domid)) {
        int rc = launch_xen_destroy_unrecorded(ctx, domid);
        if (!rc)
            run_dirs_release();
        return rc;
    }
    struct dm_state s;
    int r = state_read(ctx, domid, &s);
    if (r)
        return libdmr_error_from_errno(r);
    /* A create still starting it owns it; one that died left a reservation
     * (and maybe a DM it never recorded: killed by uid below). */
    _cleanup_close_ int creator = s.starting ? proc_open(&s.creator) : -EBADF;
    if (creator >= 0 && !proc_exited(&s.creator, 0)) {
        LOGD(ERROR, domid, "domain %u is being created (by pid %d); destroy it once it runs",
             domid, (int)s.creator.pid);
        state_clear(&s);
        return LIBDMR_ERROR_BUSY;
    }
    int rc = s.pci.backend == LIBDMR_BACKEND_XEN ? launch_xen_destroy(ctx, &s) : destroy_dm(ctx, &s);
    if (!rc && state_remove(ctx, domid))
        rc = LIBDMR_ERROR_FAIL;
    if (!rc)
        run_dirs_release();
    state_clear(&s);
    return rc;
}
