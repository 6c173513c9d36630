/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xl's pause, unpause, shutdown and reboot of a recorded domain: through
 * its backend, under the lock (so never while the watcher acts), and the
 * run state beside the record ('p' while paused) for list.
 */
#include "backend.h"

static const char *control_name(enum libdmr_control what)
{
    static const char *const names[] = {
        [LIBDMR_CONTROL_PAUSE] = "pause", [LIBDMR_CONTROL_UNPAUSE] = "unpause",
        [LIBDMR_CONTROL_SHUTDOWN] = "shutdown", [LIBDMR_CONTROL_REBOOT] = "reboot" };
    return names[what];
}

/* What the guest's state allows: a preserved guest only goes (destroy). */
static int control_allowed(libdmr_ctx *ctx, const struct dm_state *s, enum libdmr_control what)
{
    if (s->starting || s->foreign) {
        LOGD(ERROR, s->domid, "domain %u is %s: %s it through its toolstack", s->domid,
             s->starting ? "still being created" : "another toolstack's", control_name(what));
        return LIBDMR_ERROR_BUSY;
    }
    if (s->run == 's' || s->run == 'c') {
        LOGD(ERROR, s->domid, "domain %u has %s and is kept for inspection: destroy it",
             s->domid, s->run == 's' ? "shut down" : "crashed");
        return LIBDMR_ERROR_INVAL;
    }
    if (proc_exited(&s->dm, 0)) {
        LOGD(ERROR, s->domid, "the device model of domain %u is gone: destroy it", s->domid);
        return LIBDMR_ERROR_FAIL;
    }
    return 0;
}

int libdmr_domain_control(libdmr_ctx *ctx, uint32_t domid, enum libdmr_control what)
{
    if (!ctx || (unsigned)what > LIBDMR_CONTROL_REBOOT)
        return LIBDMR_ERROR_INVAL;
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    struct dm_state s;
    const struct backend_slot *b;
    int rc = lifecycle_lock_read(ctx, domid, &lock, &s, &b);
    if (rc)
        return rc;
    rc = control_allowed(ctx, &s, what);
    if (!rc && !BACKEND_HAS(b, control)) {
        LOGD(ERROR, domid, "the %s backend cannot %s a domain", plan_backend_name(s.backend),
             control_name(what));
        rc = LIBDMR_ERROR_NI;
    }
    struct libdmr_dm dm;
    dm_init(&dm, ctx, NULL, &s);
    if (!rc)
        rc = b->ops->control(b->opaque, ctx, &dm, what);
    int r = 0;
    if (!rc && what == LIBDMR_CONTROL_PAUSE)
        r = state_run_write(ctx, domid, 'p');
    else if (!rc && what == LIBDMR_CONTROL_UNPAUSE)
        r = state_run_write(ctx, domid, 0);
    if (r) {
        LOGEVD(ERROR, -r, domid, "recording the domain's run state");
        rc = libdmr_error_from_errno(r);
    }
    dm_clear(&dm);
    state_clear(&s);
    return rc;
}
