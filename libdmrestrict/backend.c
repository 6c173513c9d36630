/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which operations carry out a backend's plans, and what they work on. */
#include <stddef.h>
#include <string.h>

#include "backend.h"

static const struct backend_slot qemu_default = { .ops = &backend_qemu_ops };

int libdmr_ctx_set_backend(libdmr_ctx *ctx, enum libdmr_backend backend,
                           const libdmr_backend_ops *ops, void *opaque)
{
    if (!ctx || (backend != LIBDMR_BACKEND_XEN && backend != LIBDMR_BACKEND_QEMU))
        return LIBDMR_ERROR_INVAL;
    /* start, stop and unpause are what every backend must have. */
    if (ops && (ops->size < offsetof(libdmr_backend_ops, cdrom_change) ||
                !ops->start || !ops->unpause || !ops->stop)) {
        LOG(ERROR, "a backend's operations need size, start, unpause and stop");
        return LIBDMR_ERROR_INVAL;
    }
    ctx->backends[backend] = (struct backend_slot){ .ops = ops, .opaque = ops ? opaque : NULL };
    return 0;
}

const struct backend_slot *backend_find(libdmr_ctx *ctx, enum libdmr_backend backend)
{
    if (backend != LIBDMR_BACKEND_XEN && backend != LIBDMR_BACKEND_QEMU)
        return NULL;
    if (ctx->backends[backend].ops)
        return &ctx->backends[backend];
    return backend == LIBDMR_BACKEND_QEMU ? &qemu_default : NULL;
}

const struct backend_slot *backend_get(libdmr_ctx *ctx, enum libdmr_backend backend,
                                       uint32_t domid)
{
    const struct backend_slot *b = backend_find(ctx, backend);
    if (b)
        return b;
    LOGD(ERROR, domid, "no operations for the %s backend: a toolstack hands them to "
         "the library (libdmr_ctx_set_backend; xl-dmr does, on a Xen dom0)",
         plan_backend_name(backend));
    return NULL;
}

void dm_init(struct libdmr_dm *dm, libdmr_ctx *ctx, const libdmr_plan *plan,
             struct dm_state *s)
{
    *dm = (struct libdmr_dm){ .ctx = ctx, .plan = plan, .s = s, .dm_pidfd = -EBADF,
                              .logger_pidfd = -EBADF };
}

void dm_drop_backend_data(struct libdmr_dm *dm)
{
    if (dm->backend_data_free)
        dm->backend_data_free(dm->backend_data);
    dm->backend_data = NULL;
    dm->backend_data_free = NULL;
}

void dm_clear(struct libdmr_dm *dm)
{
    dm_drop_backend_data(dm);
    dm->dm_pidfd = safe_close(dm->dm_pidfd);
    dm->logger_pidfd = safe_close(dm->logger_pidfd);
    strv_clear(&dm->media_paths);
    free(dm->media_fds);
    dm->media_fds = NULL;
    dm->n_media_fds = 0;
    dm->media_known = false;
}

int dm_observe_media(const struct backend_slot *b, struct libdmr_dm *dm)
{
    if (!BACKEND_HAS(b, media))
        return 0;
    int rc = b->ops->media(b->opaque, dm->ctx, dm);
    dm->media_known = !rc;
    return rc;
}

uint32_t libdmr_dm_domid(const libdmr_dm *dm)
{
    return dm->s->domid;
}

const libdmr_plan *libdmr_dm_plan(const libdmr_dm *dm)
{
    return dm->plan;
}

pid_t libdmr_dm_pid(const libdmr_dm *dm)
{
    return dm->s->dm.pid;
}

int libdmr_dm_set_pid(libdmr_dm *dm, pid_t pid)
{
    if (!dm || pid <= 0)
        return LIBDMR_ERROR_INVAL;
    struct proc_ref p;
    libdmr_ctx *ctx = dm->ctx;
    int pidfd = proc_open_pid(pid, &p);
    if (pidfd < 0) {
        LOGD(ERROR, dm->s->domid, "the device model (pid %d) is gone", (int)pid);
        return LIBDMR_ERROR_NOTFOUND;
    }
    safe_close(dm->dm_pidfd);
    dm->dm_pidfd = pidfd;
    dm->s->dm = p;
    return lifecycle_dm_started(dm) ? LIBDMR_ERROR_FAIL : 0;
}

int dm_hold(struct libdmr_dm *dm)
{
    return dm->s->dm.pid > 0 ? proc_hold(&dm->s->dm, &dm->dm_pidfd) : -ESRCH;
}

int libdmr_dm_add_medium_path(libdmr_dm *dm, const char *path)
{
    if (!dm || !path)
        return LIBDMR_ERROR_INVAL;
    return strv_push(&dm->media_paths, path) ? LIBDMR_ERROR_NOMEM : 0;
}

int libdmr_dm_add_medium_fd(libdmr_dm *dm, int dm_fd)
{
    if (!dm || dm_fd < 0)
        return LIBDMR_ERROR_INVAL;
    int *grown = realloc(dm->media_fds, (dm->n_media_fds + 1) * sizeof(*grown));
    if (!grown)
        return LIBDMR_ERROR_NOMEM;
    dm->media_fds = grown;
    dm->media_fds[dm->n_media_fds++] = dm_fd;
    return 0;
}

bool backend_has_qmp(const struct backend_slot *b)
{
    return b && b->ops == &backend_qemu_ops;
}

const char *backend_name(const struct backend_slot *b)
{
    return b->ops->size > offsetof(libdmr_backend_ops, name) && b->ops->name ? b->ops->name
                                                                              : "its backend";
}

int backend_lookup(libdmr_ctx *ctx, const char *name_or_domid, uint32_t *ret_domid,
                   enum libdmr_backend *ret_backend)
{
    for (enum libdmr_backend k = LIBDMR_BACKEND_XEN; k <= LIBDMR_BACKEND_QEMU; k++) {
        const struct backend_slot *b = &ctx->backends[k];
        if (b->ops && BACKEND_HAS(b, lookup) &&
            !b->ops->lookup(b->opaque, ctx, name_or_domid, ret_domid)) {
            *ret_backend = k;
            return 0;
        }
    }
    return LIBDMR_ERROR_NOTFOUND;
}
