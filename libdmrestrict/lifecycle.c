/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The lifecycle every backend shares, written once: under the host-wide
 * lock the domid, name and uid are checked free and the domain is
 * reserved; then, without the lock, what an earlier holder of the uid
 * left is looked for (and killed, under the lock again); the backend
 * starts the device model with the guest paused (without the lock); the
 * limits the backend could not give are given; the whole audit holds the
 * DM to its plan before the guest's first instruction; the backend lets
 * the guest run; the domain is recorded. Any failure undoes every step.
 * Destroy has the backend stop the domain, then makes sure no device
 * model of it and (where the plan kills by uid) no process of its uid is
 * left, and that its chroot and record are gone. Nothing is decided here.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "audit.h"
#include "backend.h"
#include "fdset.h"
#include "qmp.h"

#define DM_EXIT_TIMEOUT_MS 5000
/* A watcher ends within a moment of its DM; one waiting for the lock does not. */
#define WATCHER_END_TIMEOUT_MS 1000

/* The records as a create read them, under the lock it still holds. */
struct state_seen {
    struct dm_state *list;
    size_t n;
};

/* The domid, name and an exclusive uid must still be free, under the lock;
 * checked in SEEN, or (NULL) in the records read now. */
static int check_free(libdmr_ctx *ctx, const libdmr_plan *p, const struct state_seen *seen)
{
    struct state_seen now = { 0 };
    if (!seen) {
        int r = state_list(ctx, &now.list, &now.n, NULL, 0);
        if (r)
            return libdmr_error_from_errno(r);
    }
    const struct dm_state *list = seen ? seen->list : now.list;
    size_t n = seen ? seen->n : now.n;
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
    state_list_free(now.list, now.n);
    return rc;
}

/* What the state says, and what the audit holds the DM to (borrowing the
 * plan's strings; s->pci, s->resources and s->tap_names are state_for_clear's). */
static int state_for(const libdmr_plan *p, struct dm_state *s)
{
    *s = (struct dm_state){
        .domid = p->domid, .backend = p->backend, .name = p->name, .qmp_path = p->qmp_path,
        .qmp_events_path = p->qmp_events_path,
        .console_path = p->console_path, .chroot = p->chroot, .log_path = p->log_path,
        .dm_uid = p->id.uid, .dm_gid = p->id.gid, .dm_user = p->id.user,
        .source = (char *)plan_source_name(p->id.source),
        .kill_by_uid = p->id.kill_by_uid, .uid_counted = p->id.uid_counted,
        .has_reaper = p->id.has_reaper,
        .reaper_uid = p->id.reaper_uid, .memory_mb = p->memory_mb, .vcpus = p->vcpus,
    };
    int r = dm_pci_from_plan(p, &s->pci);
    return r ? r : state_expect_from_plan(s, p);
}

static void state_for_clear(struct dm_state *s)
{
    dm_pci_clear(&s->pci);
    strv_clear(&s->resources);
    strv_clear(&s->tap_names);
}

/*
 * Under the lock: the domid, name and uid still free, and the domain
 * reserved by its state file, marked starting. Then the lock is let go,
 * so other creates need not wait for this DM to start.
 */
static int reserve(libdmr_ctx *ctx, const libdmr_plan *p, struct dm_state *s,
                   struct held_lock *lock, const struct state_seen *seen)
{
    int rc = check_free(ctx, p, seen);
    if (rc)
        return rc;
    s->starting = true;
    int r = proc_self(&s->creator);
    if (r)
        LOGEVD(ERROR, -r, p->domid, "reading this process's start time");
    else
        r = state_write(ctx, s, p);
    if (r)
        return libdmr_error_from_errno(r);
    run_unlock(lock);
    return 0;
}

int lifecycle_dm_started(struct libdmr_dm *dm)
{
    /* The reservation is this create's own file: no lock needed to
     * replace it (others only read it, whole, after a rename). */
    if (!dm->plan || !dm->s->starting)
        return 0;
    return state_write(dm->ctx, dm->s, NULL);  /* the plan is written */
}

/* The lock again, to say the domain is there. */
static int record(libdmr_ctx *ctx, const libdmr_plan *p, struct dm_state *s,
                  struct held_lock *lock)
{
    int r = run_relock(lock);
    if (r)
        return libdmr_error_from_errno(r);
    s->starting = false;
    r = state_write(ctx, s, NULL);  /* its plan was written with the reservation */
    /* Left paused (create -p): list shows it as pause would leave it. */
    if (!r && p->paused)
        r = state_run_write(ctx, p->domid, 'p');
    return r ? libdmr_error_from_errno(r) : 0;
}

/* The limits the backend could not give at start (libxl fixes qemu-xen's
 * FSIZE at 256 KiB, whatever its disks need). */
static int raise_limits(libdmr_ctx *ctx, const libdmr_plan *p, struct libdmr_dm *dm)
{
    if (!p->libxl.fsize)
        return 0;
    /* Only xen-backend plans ask this (libxl's DM). prlimit takes a pid:
     * held by its pidfd, the DM can only lose it to a reuse after its
     * reaping, which needs the whole pid space to wrap meanwhile. */
    const struct dm_state *s = dm->s;
    int pidfd = dm_hold(dm);
    rlim_t v = p->libxl.fsize == UINT64_MAX ? RLIM_INFINITY : (rlim_t)p->libxl.fsize;
    struct rlimit lim = { .rlim_cur = v, .rlim_max = v };
    if (pidfd < 0 || prlimit(s->dm.pid, RLIMIT_FSIZE, &lim, NULL) < 0) {
        LOGED(ERROR, p->domid, "raising the device model's RLIMIT_FSIZE");
        return LIBDMR_ERROR_FAIL;
    }
    return 0;
}

int lifecycle_audit(libdmr_ctx *ctx, const struct backend_slot *b, struct libdmr_dm *dm,
                    struct libdmr_audit **ret)
{
    if (b && dm_observe_media(b, dm) == LIBDMR_ERROR_NOMEM)
        return LIBDMR_ERROR_NOMEM;
    return audit_state(ctx, dm->s, dm, ret);
}

/*
 * Verify before trusting: once the backend says the DM is up (QEMU has
 * answered QMP from its main loop, after it chrooted and dropped its
 * user), the whole audit runs; only a DM that passes every check gets its
 * guest started.
 */
static int audit_before_start(libdmr_ctx *ctx, const struct backend_slot *b,
                              struct libdmr_dm *dm)
{
    struct libdmr_audit *a = NULL;
    int rc = lifecycle_audit(ctx, b, dm, &a);
    if (!rc && audit_log_failures(ctx, dm->s->domid, a)) {
        LOGD(ERROR, dm->s->domid, "the device model is not restricted as planned; "
             "the domain is destroyed");
        rc = LIBDMR_ERROR_PERM;
    }
    libdmr_audit_free(a);
    return rc;
}

/*
 * Whatever is left of the domain's device models after its backend
 * stopped it: a DM that survives (a PV domain's root xenpv QEMU was seen
 * to outlive libxl's destroy on 4.17) is killed and named. 0, or -errno.
 */
static int kill_domain_dms(libdmr_ctx *ctx, const struct backend_slot *b, uint32_t domid)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    int r = proc_pids_of_xen_domid(domid, &pids, &n);
    for (size_t i = 0; !r && i < n; i++) {
        struct proc_ref dm = { .pid = pids[i] };
        uid_t uid;
        if (proc_start_time(dm.pid, &dm.start) || proc_uid(dm.pid, &uid))
            continue;
        LOGD(WARN, domid, "a device model of domain %u (pid %d, uid %u%s) survived %s's "
             "destroy: killed", domid, (int)dm.pid, (unsigned)uid,
             uid == 0 ? ": root, NOT restricted" : "", backend_name(b));
        if (proc_wait_exit(ctx, &dm, 0, true))
            r = -ETIMEDOUT;
    }
    return r;
}

/* The taps the toolstack made (qemu backend) end with the DM, their last
 * holder: one that is still there is held by some other process. Looked
 * for in this network namespace, the one create made them in. */
static bool taps_survive(libdmr_ctx *ctx, const struct dm_state *s)
{
    bool survive = false;
    for (size_t i = 0; i < s->tap_names.n; i++)
        if (net_tap_exists(s->tap_names.v[i])) {
            LOGD(ERROR, s->domid, "tap %s survives its device model: another process holds "
                 "a descriptor of it", s->tap_names.v[i]);
            survive = true;
        }
    return survive;
}

/* After the backend's stop: the DM, the domain's other DMs, its uid's
 * processes, its logger and its chroot, all gone. Under the lock. */
static int remove_leftovers(libdmr_ctx *ctx, const struct backend_slot *b, struct libdmr_dm *dm)
{
    const struct dm_state *s = dm->s;
    int rc = 0;
    int pidfd = dm_hold(dm);
    if (pidfd >= 0 && proc_held_wait_exit(ctx, s->dm.pid, pidfd, DM_EXIT_TIMEOUT_MS, true)) {
        LOGD(ERROR, s->domid, "the device model (pid %d) does not die", (int)s->dm.pid);
        rc = LIBDMR_ERROR_FAIL;
    }
    /* Its keeper reaps it and exits (qemu backend). */
    if (!rc && s->keeper.pid > 0)
        proc_wait_exit(ctx, &s->keeper, KEEPER_END_TIMEOUT_MS, true);
    /* Its watcher (unless this is it) ends with the DM, once it has
     * reaped its parser (a zombie of the DM's uid left to pid 1 would make
     * the reaper's count walk /proc). One acting on a guest's event waits
     * for the lock this holds: killed. It must not outlive the domain. */
    if (s->watcher.pid > 0 && s->watcher.pid != getpid())
        proc_wait_exit(ctx, &s->watcher, WATCHER_END_TIMEOUT_MS, true);
    /* Only libxl starts DMs by domid (-xen-domid); the qemu backend's one
     * DM was held by its pidfd above, and reading every process's
     * command line for others would only cost the destroy time. */
    if (s->backend == LIBDMR_BACKEND_XEN && kill_domain_dms(ctx, b, s->domid))
        rc = LIBDMR_ERROR_FAIL;
    if (!rc && reap_domain_uid(ctx, s))
        rc = LIBDMR_ERROR_FAIL;
    /* The logger ends at EOF, after the last line the DM wrote. */
    int logger = s->logger.pid > 0 ? proc_hold(&s->logger, &dm->logger_pidfd) : -ESRCH;
    if (logger >= 0)
        proc_held_wait_exit(ctx, s->logger.pid, logger, LOGGER_DRAIN_TIMEOUT_MS, true);
    if (!rc && s->chroot && chroot_remove(ctx, s->chroot))
        rc = LIBDMR_ERROR_FAIL;
    if (!rc && taps_survive(ctx, s))
        rc = LIBDMR_ERROR_FAIL;
    return rc;
}

static int stop_and_remove(libdmr_ctx *ctx, const struct backend_slot *b, struct libdmr_dm *dm)
{
    int rc = b->ops->stop(b->opaque, ctx, dm);
    int r = remove_leftovers(ctx, b, dm);
    return rc ? rc : r;
}

/*
 * A process an earlier domain left with the uid must never meet the new
 * DM. Looked for without the lock: the uid is this reservation's alone,
 * and only root or the uid itself can start a process with it, so none
 * appears once a look finds none; creates at once then do not queue
 * behind each other. The kernel's count first; when it counts some (an
 * earlier DM's zombie its parent has not reaped yet is one), /proc names
 * the live ones. Those are killed under the lock (reapers must not
 * overlap), which is let go again.
 */
static int clear_uid(libdmr_ctx *ctx, const libdmr_plan *p, struct held_lock *lock)
{
    if (!p->id.kill_by_uid || !p->id.has_reaper ||
        (p->id.uid_counted && kernel_counts_no_task(p->id.uid, NULL, 0)))
        return 0;
    _cleanup_free_ pid_t *found = NULL;
    size_t n;
    int r = proc_pids_of_uid(p->id.uid, &found, &n);
    if (r) {
        LOGEVD(ERROR, -r, p->domid, "listing the processes of uid %u", (unsigned)p->id.uid);
        return LIBDMR_ERROR_FAIL;
    }
    if (!n)
        return 0;
    if ((r = run_relock(lock)))
        return libdmr_error_from_errno(r);
    char pids[256];
    int killed = reaper_kill_uid(ctx, p->domid, p->id.uid, p->id.reaper_uid, pids, sizeof(pids));
    run_unlock(lock);
    if (killed < 0)
        return LIBDMR_ERROR_FAIL;
    if (killed)
        LOGD(NOTICE, p->domid, "killed %d process(es) left with uid %u before "
             "starting the device model: %s", killed, (unsigned)p->id.uid, pids);
    return 0;
}

static int create_steps(libdmr_ctx *ctx, const struct backend_slot *b, struct libdmr_dm *dm,
                        struct held_lock *lock)
{
    const libdmr_plan *p = dm->plan;
    int rc = clear_uid(ctx, p, lock);
    if (rc)
        return rc;
    rc = b->ops->start(b->opaque, ctx, dm);
    if (rc) {
        /* The backend took back what it made; a DM it started may have
         * left processes of its uid. */
        if (dm->s->dm.pid > 0 && !run_relock(lock))
            reap_domain_uid(ctx, dm->s);
        return rc;
    }
    if (dm->s->dm.pid <= 0) {
        LOGD(ERROR, p->domid, "the backend started no device model that it told of");
        rc = LIBDMR_ERROR_FAIL;
    }
    if (!rc)
        rc = raise_limits(ctx, p, dm);
    if (!rc)
        rc = audit_before_start(ctx, b, dm);
    /* The watcher has the events before the guest's first instruction,
     * and acts only once the domain is recorded: the lock is held on. */
    if (!rc && p->qmp_events_path && !(rc = libdmr_error_from_errno(run_relock(lock))))
        rc = libdmr_error_from_errno(watcher_start(ctx, p, dm->s));
    if (!rc && !p->paused)
        rc = b->ops->unpause(b->opaque, ctx, dm);
    if (!rc)
        rc = record(ctx, p, dm->s, lock);
    if (rc) {
        /* The reaper and the state directory are the lock's: without it,
         * the backend stops what it started and the rest waits for destroy. */
        if (run_relock(lock))
            b->ops->stop(b->opaque, ctx, dm);
        else
            stop_and_remove(ctx, b, dm);
    }
    return rc;
}

/* Carry a plan out; the caller holds the lock, which is let go while the
 * DM starts and held again when this returns (unless it could not be
 * taken again). SEEN: the records as the caller read them under it. */
static int create_locked(libdmr_ctx *ctx, const libdmr_plan *p, struct held_lock *lock,
                         const struct state_seen *seen)
{
    if (p->verdict.refusal_rc) {
        LOGD(ERROR, p->domid, "%s", p->verdict.refusal);
        return p->verdict.refusal_rc;
    }
    if (p->domid == LIBDMR_DOMID_NONE) {
        LOG(ERROR, "the plan has no domid yet: plan again once the domid is chosen");
        return LIBDMR_ERROR_INVAL;
    }
    const struct backend_slot *b = backend_get(ctx, p->backend, p->domid);
    if (!b)
        return LIBDMR_ERROR_NI;
    struct dm_state s;
    struct libdmr_dm dm;
    int r = state_for(p, &s);
    int rc = r ? libdmr_error_from_errno(r) : reserve(ctx, p, &s, lock, seen);
    bool reserved = !rc;
    dm_init(&dm, ctx, p, &s);
    if (!rc)
        rc = create_steps(ctx, b, &dm, lock);
    if (rc && reserved && !run_relock(lock))
        state_remove(ctx, p->domid);
    dm_clear(&dm);
    state_for_clear(&s);
    return rc;
}

int libdmr_domain_create(libdmr_ctx *ctx, const libdmr_plan *plan)
{
    if (!ctx || !plan)
        return LIBDMR_ERROR_INVAL;
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    int rc = lifecycle_lock(ctx, &lock);
    if (!rc)
        rc = create_locked(ctx, plan, &lock, NULL);
    return rc;
}

static size_t reap_unwatched_in(libdmr_ctx *ctx, struct dm_state *list, size_t n, int *rc);

int libdmr_domain_create_config(libdmr_ctx *ctx, const libdmr_config *config,
                                libdmr_plan **ret_plan)
{
    if (!ctx || !config)
        return LIBDMR_ERROR_INVAL;
    /* Facts, plan and reservation under the lock: the lowest free domid
     * the facts find is still free when the domain takes it. What a dead
     * watcher left goes first, under the same lock: it may hold the name
     * or domid. Not from inside a call that holds the lock (a backend's). */
    bool nested = ctx->holds_lock;
    ctx->last_error[0] = '\0';
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    int rc = lifecycle_lock(ctx, &lock);
    if (rc)
        return rc;
    /* The records are read once: for the reaping, and (when it destroyed
     * none) for what the new domain must not take. An unreadable one is
     * skipped unsaid: its domid is taken all the same (facts), and the
     * plan's refusal is the one line the create prints. */
    struct state_seen seen = { 0 };
    bool seen_valid = false;
    char skipped[1];
    if (!nested && !state_list(ctx, &seen.list, &seen.n, skipped, sizeof(skipped))) {
        int reaped_rc;
        seen_valid = reap_unwatched_in(ctx, seen.list, seen.n, &reaped_rc) == 0;
    }
    libdmr_facts *facts = NULL;
    libdmr_plan *plan = NULL;
    rc = libdmr_facts_gather(ctx, config, &facts);
    if (!rc)
        rc = libdmr_plan_compute(ctx, config, facts, &plan);
    if (!rc)
        rc = libdmr_plan_check(ctx, plan);  /* notices and warnings, or the refusal */
    if (!rc)
        rc = create_locked(ctx, plan, &lock, seen_valid ? &seen : NULL);
    state_list_free(seen.list, seen.n);
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

int lifecycle_lock(libdmr_ctx *ctx, struct held_lock *lock)
{
    int r = run_lock(ctx, lock);
    return r ? libdmr_error_from_errno(r) : 0;
}

int lifecycle_lock_read(libdmr_ctx *ctx, uint32_t domid, struct held_lock *lock,
                        struct dm_state *s, const struct backend_slot **ret_backend)
{
    int rc = lifecycle_lock(ctx, lock);
    return rc ? rc : lifecycle_read(ctx, domid, s, ret_backend);
}

int lifecycle_read(libdmr_ctx *ctx, uint32_t domid, struct dm_state *s,
                   const struct backend_slot **ret_backend)
{
    int r = state_read(ctx, domid, s);
    if (r)
        return libdmr_error_from_errno(r);
    const struct backend_slot *b = backend_get(ctx, s->backend, domid);
    if (!b) {
        state_clear(s);
        return LIBDMR_ERROR_NI;
    }
    *ret_backend = b;
    return 0;
}

/* A domain the backends have and the library has no record of (xl's):
 * the backend stops it; no DM of it and no chroot may stay. */
static int destroy_unrecorded(libdmr_ctx *ctx, uint32_t domid_asked)
{
    char text[16];
    uint32_t domid;
    enum libdmr_backend k;
    snprintf(text, sizeof(text), "%u", domid_asked);
    if (backend_lookup(ctx, text, &domid, &k)) {
        LOGD(ERROR, domid_asked, "no such domain");
        return LIBDMR_ERROR_NOTFOUND;
    }
    const struct backend_slot *b = &ctx->backends[k];
    LOGD(NOTICE, domid, "not made by xl-dmr: destroyed through %s, then checked for "
         "device models left", backend_name(b));
    /* What the library knows of it: its domid and its backend's chroot
     * (the backend kills by uid itself, if it chose a user). */
    struct dm_state s = { .domid = domid, .backend = k };
    struct libdmr_dm dm;
    if (plan_chroot_path(k, domid, &s.chroot))
        return LIBDMR_ERROR_NOMEM;
    dm_init(&dm, ctx, NULL, &s);
    int rc = stop_and_remove(ctx, b, &dm);
    dm_clear(&dm);
    free(s.chroot);
    return rc;
}

/* A create still starting it owns it; one that died left a reservation
 * (and maybe a DM it never recorded: killed by uid). */
static int check_not_starting(libdmr_ctx *ctx, const struct dm_state *s)
{
    _cleanup_close_ int creator = s->starting ? proc_open(&s->creator) : -EBADF;
    if (creator >= 0 && !proc_exited(&s->creator, 0)) {
        LOGD(ERROR, s->domid, "domain %u is being created (by pid %d); destroy it once it runs",
             s->domid, (int)s->creator.pid);
        return LIBDMR_ERROR_BUSY;
    }
    if (s->foreign) {
        LOGD(ERROR, s->domid, "domain %u was recorded for the toolstack that made it: that "
             "toolstack destroys it, then forgets it here", s->domid);
        return LIBDMR_ERROR_BUSY;
    }
    return 0;
}

static int destroy_recorded(libdmr_ctx *ctx, const struct backend_slot *b, struct dm_state *s)
{
    struct libdmr_dm dm;
    dm_init(&dm, ctx, NULL, s);
    int rc = stop_and_remove(ctx, b, &dm);
    dm_clear(&dm);
    if (!rc && state_remove(ctx, s->domid))
        rc = LIBDMR_ERROR_FAIL;
    return rc;
}

static const char *event_text(char event)
{
    switch (event) {
    case W_POWEROFF: return "powered off";
    case W_REBOOT:   return "rebooted";
    default:         return "crashed";
    }
}

int lifecycle_guest_event(libdmr_ctx *ctx, const libdmr_plan *p, const struct proc_ref *dm,
                          char event)
{
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    struct dm_state s;
    const struct backend_slot *b;
    if (lifecycle_lock(ctx, &lock) || !state_exists(p->domid) ||
        lifecycle_read(ctx, p->domid, &s, &b))
        return 1;
    /* Destroyed and made again meanwhile: not this watcher's domain. */
    if (s.dm.pid != dm->pid || s.dm.start != dm->start) {
        state_clear(&s);
        return 1;
    }
    enum plan_action a = event == W_POWEROFF ? p->on_poweroff
                       : event == W_REBOOT   ? p->on_reboot
                                             : p->on_crash;
    LOGD(NOTICE, p->domid, "the guest %s: %s", event_text(event), plan_action_name(a));
    int done = 1;
    if (a == PLAN_ACTION_PRESERVE) {
        /* Kept stopped as it is, until destroy; list shows it. */
        if (state_run_write(ctx, p->domid, event == W_CRASH ? 'c' : 's'))
            LOGD(ERROR, p->domid, "recording the preserved domain failed");
        done = 0;
    } else if (destroy_recorded(ctx, b, &s) == 0 && a == PLAN_ACTION_RESTART) {
        /* A fresh DM through the create path, with the plan it was made
         * with: same name, domid, uid, and every planned resource. */
        if (create_locked(ctx, p, &lock, NULL))
            LOGD(ERROR, p->domid, "restarting the domain failed: it is destroyed");
    }
    state_clear(&s);
    return done;
}

/* Has the guest stopped for good (-action left it shut down or panicked)? */
static bool guest_stopped(libdmr_ctx *ctx, const struct dm_state *s)
{
    struct libdmr_qmp *q = NULL;
    yajl_val status = NULL;
    bool stopped = false;
    if (!qmp_connect(ctx, s->domid, s->qmp_path, QMP_OP_TIMEOUT_MS, &q) &&
        !qmp_execute(q, "query-status", NULL, QMP_OP_TIMEOUT_MS, &status)) {
        const char *path[] = { "status", NULL };
        yajl_val v = yajl_tree_get(status, path, yajl_t_string);
        const char *state = v ? YAJL_GET_STRING(v) : "";
        stopped = !strcmp(state, "shutdown") || !strcmp(state, "guest-panicked");
    }
    yajl_tree_free(status);
    qmp_close(q);
    return stopped;
}

/* A domain whose watcher died: nothing acts on its guest's events any
 * more, so once its DM is gone or its guest has stopped, it is destroyed
 * (a restart needs the watcher's plan; preserve is kept). */
static bool unwatched_and_over(libdmr_ctx *ctx, const struct dm_state *s)
{
    if (s->starting || s->foreign || s->watcher.pid <= 0 || s->run == 's' || s->run == 'c' ||
        !proc_exited(&s->watcher, 0))
        return false;
    return proc_exited(&s->dm, 0) || guest_stopped(ctx, s);
}

/* Destroys those of LIST that are unwatched and over: how many. */
static size_t reap_unwatched_in(libdmr_ctx *ctx, struct dm_state *list, size_t n, int *rc)
{
    size_t destroyed = 0;
    *rc = 0;
    for (size_t i = 0; i < n; i++) {
        const struct backend_slot *b = backend_get(ctx, list[i].backend, list[i].domid);
        if (!b || !unwatched_and_over(ctx, &list[i]))
            continue;
        LOGD(NOTICE, list[i].domid, "domain %u lost its watcher and its guest has stopped: "
             "destroyed", list[i].domid);
        if (destroy_recorded(ctx, b, &list[i]))
            *rc = LIBDMR_ERROR_FAIL;
        destroyed++;
    }
    return destroyed;
}

static int reap_unwatched_locked(libdmr_ctx *ctx)
{
    struct dm_state *list;
    size_t n;
    int rc;
    /* An unreadable state file is not the reaper's to report: the command
     * it runs before (list) says what it makes of one. */
    char skipped[1];
    int r = state_list(ctx, &list, &n, skipped, sizeof(skipped));
    if (r)
        return libdmr_error_from_errno(r);
    reap_unwatched_in(ctx, list, n, &rc);
    state_list_free(list, n);
    return rc;
}

int lifecycle_reap_unwatched(libdmr_ctx *ctx)
{
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    int rc = lifecycle_lock(ctx, &lock);
    return rc ? rc : reap_unwatched_locked(ctx);
}

int libdmr_domain_reap(libdmr_ctx *ctx)
{
    return ctx ? lifecycle_reap_unwatched(ctx) : LIBDMR_ERROR_INVAL;
}

int libdmr_domain_destroy(libdmr_ctx *ctx, uint32_t domid)
{
    if (!ctx)
        return LIBDMR_ERROR_INVAL;
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    int rc = lifecycle_lock(ctx, &lock);
    if (rc)
        return rc;
    if (!state_exists(domid)) {
        rc = destroy_unrecorded(ctx, domid);
    } else {
        struct dm_state s;
        const struct backend_slot *b;
        rc = lifecycle_read(ctx, domid, &s, &b);
        if (!rc) {
            rc = check_not_starting(ctx, &s);
            if (!rc)
                rc = destroy_recorded(ctx, b, &s);
            state_clear(&s);
        }
    }
    return rc;
}

int libdmr_domain_record(libdmr_ctx *ctx, const libdmr_plan *p, pid_t dm_pid)
{
    if (!ctx || !p || dm_pid <= 0)
        return LIBDMR_ERROR_INVAL;
    if (p->verdict.refusal_rc || p->domid == LIBDMR_DOMID_NONE) {
        LOG(ERROR, "only a plan that was not refused and has a domid can be recorded");
        return LIBDMR_ERROR_INVAL;
    }
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    int rc = lifecycle_lock(ctx, &lock);
    if (rc)
        return rc;
    struct dm_state s;
    struct libdmr_dm dm;
    int r = state_for(p, &s);
    rc = r ? libdmr_error_from_errno(r) : check_free(ctx, p, NULL);
    s.foreign = true;
    dm_init(&dm, ctx, p, &s);
    if (!rc)
        rc = libdmr_dm_set_pid(&dm, dm_pid);
    if (!rc && (r = state_write(ctx, &s, p)))
        rc = libdmr_error_from_errno(r);
    dm_clear(&dm);
    state_for_clear(&s);
    return rc;
}

int libdmr_domain_forget(libdmr_ctx *ctx, uint32_t domid)
{
    if (!ctx)
        return LIBDMR_ERROR_INVAL;
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    int rc = lifecycle_lock(ctx, &lock);
    if (rc)
        return rc;
    struct dm_state s;
    int r = state_read(ctx, domid, &s);
    if (r)
        return libdmr_error_from_errno(r);
    /* Only another toolstack's: the library's own are destroyed, not
     * forgotten (their DM would run on unknown, its uid given again). */
    if (!s.foreign) {
        LOGD(ERROR, domid, "domain %u was made here, not recorded for another toolstack: "
             "destroy it instead", domid);
        rc = LIBDMR_ERROR_INVAL;
    } else if (!proc_exited(&s.dm, 0)) {
        LOGD(WARN, domid, "its device model (pid %d) still runs: forgotten all the same",
             (int)s.dm.pid);
    }
    if (!rc && state_remove(ctx, domid))
        rc = LIBDMR_ERROR_FAIL;
    state_clear(&s);
    return rc;
}
