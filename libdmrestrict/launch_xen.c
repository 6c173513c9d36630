/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Carry a plan out on the xen backend, and undo it. libxl creates the
 * domain (with the domid the plan chose) and starts qemu-xen from the
 * domain config plan_xen.c decided; the domain stays paused while the
 * DM's RLIMIT_FSIZE is raised as planned and the whole audit holds it to
 * the plan. A DM that is not what the plan says has its domain destroyed.
 * Destroy goes through libxl, then makes sure that no device model of
 * the domain and no process of its uid is left, and that the chroot is gone.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <libxl_utils.h>
#include <xenstore.h>

#include "audit.h"
#include "xen.h"

#define DM_EXIT_TIMEOUT_MS 5000

/* libxl reaps only the children it made: the reaper and QEMU probes are ours. */
static const libxl_childproc_hooks selective_reap = {
    .chldowner = libxl_sigchld_owner_libxl_always_selective_reap,
};

int xen_libxl_open(libdmr_ctx *ctx, uint32_t domid, libxl_ctx **ret)
{
    libxl_ctx *lx = NULL;
    if (libxl_ctx_alloc(&lx, LIBXL_VERSION, 0, ctx->lg)) {
        LOGD(ERROR, domid, "cannot open libxl: is this a Xen dom0 with xenstored running?");
        return LIBDMR_ERROR_FAIL;
    }
    libxl_childproc_setmode(lx, &selective_reap, NULL);
    *ret = lx;
    return 0;
}

int xen_disk_to_libxl(const struct plan_xen_disk *d, libxl_device_disk *ret)
{
    libxl_device_disk_init(ret);
    ret->format = d->format == LIBDMR_FORMAT_QCOW2 ? LIBXL_DISK_FORMAT_QCOW2
                : d->format == LIBDMR_FORMAT_EMPTY || !d->target ? LIBXL_DISK_FORMAT_EMPTY
                : LIBXL_DISK_FORMAT_RAW;
    ret->readwrite = d->readwrite;
    ret->is_cdrom = d->cdrom;
    ret->removable = d->cdrom;
    ret->vdev = strdup(d->vdev);
    ret->pdev_path = strdup_or_null(d->target);
    return ret->vdev && (ret->pdev_path || !d->target) ? 0 : -ENOMEM;
}

static int strv_to_libxl(const struct strv *sv, libxl_string_list *ret)
{
    if (!sv->n)
        return 0;
    char **list = calloc(sv->n + 1, sizeof(*list));
    if (!list)
        return -ENOMEM;
    *ret = list;
    for (size_t i = 0; i < sv->n; i++)
        if (!(list[i] = strdup(sv->v[i])))
            return -ENOMEM;
    return 0;
}

/* libxl's domain config for the plan: an HVM guest with no display. */
static int domain_config(libxl_ctx *lx, const libdmr_plan *p, libxl_domain_config *dc)
{
    const struct plan_libxl *x = &p->libxl;
    libxl_domain_create_info *ci = &dc->c_info;
    libxl_domain_build_info *b = &dc->b_info;
    ci->type = LIBXL_DOMAIN_TYPE_HVM;
    ci->domid = p->domid;
    libxl_domain_build_info_init_type(b, LIBXL_DOMAIN_TYPE_HVM);
    b->max_memkb = b->target_memkb = (uint64_t)p->memory_mb * 1024;
    b->max_vcpus = (int)p->vcpus;
    if (libxl_cpu_bitmap_alloc(lx, &b->avail_vcpus, (int)p->vcpus))
        return -ENOMEM;
    libxl_bitmap_set_none(&b->avail_vcpus);
    for (long i = 0; i < p->vcpus; i++)
        libxl_bitmap_set(&b->avail_vcpus, (int)i);
    b->device_model_version = LIBXL_DEVICE_MODEL_VERSION_QEMU_XEN;
    libxl_defbool_set(&b->dm_restrict, p->restricted);
    libxl_defbool_set(&b->u.hvm.vnc.enable, false);
    libxl_defbool_set(&b->u.hvm.sdl.enable, false);
    libxl_defbool_set(&b->u.hvm.nographic, true);
    if (!(ci->name = strdup(p->name)) ||
        (x->device_model_user && !(b->device_model_user = strdup(x->device_model_user))) ||
        (x->device_model && !(b->device_model = strdup(x->device_model))) ||
        (x->serial && !(b->u.hvm.serial = strdup(x->serial))) ||
        (x->boot && !(b->u.hvm.boot = strdup(x->boot))) ||
        strv_to_libxl(&x->dm_args, &b->extra))
        return -ENOMEM;
    if (x->n_disks && !(dc->disks = calloc(x->n_disks, sizeof(*dc->disks))))
        return -ENOMEM;
    for (size_t i = 0; i < x->n_disks; i++) {
        int r = xen_disk_to_libxl(&x->disks[i], &dc->disks[i]);
        dc->num_disks = (int)i + 1;
        if (r)
            return r;
    }
    /* Passthrough (the plan made the DM root for it): libxl places them. */
    if (p->n_pci && !(dc->pcidevs = calloc(p->n_pci, sizeof(*dc->pcidevs))))
        return -ENOMEM;
    for (size_t i = 0; i < p->n_pci; i++) {
        libxl_device_pci *d = &dc->pcidevs[dc->num_pcidevs++];
        libxl_device_pci_init(d);
        d->domain = (int)p->pci[i].domain;
        d->bus = (uint8_t)p->pci[i].bus;
        d->dev = (uint8_t)p->pci[i].dev;
        d->func = (uint8_t)p->pci[i].func;
        d->vdevfn = p->pci[i].root_slot << 3;  /* @VSLOT; 0: libxl picks */
    }
    return 0;
}

/* libxl records the DM's pid in xenstore; held by its start time from now on. */
static int dm_from_xenstore(libdmr_ctx *ctx, uint32_t domid, struct proc_ref *ret)
{
    struct xs_handle *xs = xs_open(0);
    if (!xs) {
        LOGED(ERROR, domid, "opening xenstore");
        return -EIO;
    }
    char path[80];
    snprintf(path, sizeof(path), "/local/domain/%u/image/device-model-pid", domid);
    unsigned len = 0;
    _cleanup_free_ char *value = xs_read(xs, XBT_NULL, path, &len);
    xs_close(xs);
    unsigned long pid;
    if (!value || parse_ulong_strict(value, 1, INT32_MAX, &pid)) {
        LOGD(ERROR, domid, "libxl recorded no device model pid (%s)", path);
        return -ESRCH;
    }
    ret->pid = (pid_t)pid;
    int r = proc_start_time(ret->pid, &ret->start);
    if (r)
        LOGD(ERROR, domid, "the device model (pid %lu) is gone", pid);
    return r;
}

/* libxl's FSIZE is 256 KiB whatever the disks: give the DM what they need. */
static int raise_fsize(libdmr_ctx *ctx, const libdmr_plan *p, pid_t pid)
{
    if (!p->libxl.fsize)
        return 0;
    rlim_t v = p->libxl.fsize == UINT64_MAX ? RLIM_INFINITY : (rlim_t)p->libxl.fsize;
    struct rlimit lim = { .rlim_cur = v, .rlim_max = v };
    if (prlimit(pid, RLIMIT_FSIZE, &lim, NULL) < 0) {
        LOGED(ERROR, p->domid, "raising the device model's RLIMIT_FSIZE");
        return -errno;
    }
    return 0;
}

/* No QMP: the socket is libxl's, and the planned disks are all it was given. */
static int audit_dm(libdmr_ctx *ctx, const struct dm_state *s)
{
    struct libdmr_audit *a = NULL;
    int rc = audit_state(ctx, s, NULL, &a);
    if (!rc && audit_log_failures(ctx, s->domid, a)) {
        LOGD(ERROR, s->domid, "the device model is not restricted as planned; "
             "the domain is destroyed");
        rc = LIBDMR_ERROR_PERM;
    }
    libdmr_audit_free(a);
    return rc;
}

static int domain_start(libdmr_ctx *ctx, libxl_ctx *lx, const libdmr_plan *p, struct dm_state *s,
                        bool *made)
{
    libxl_domain_config dc;
    libxl_domain_config_init(&dc);
    int r = domain_config(lx, p, &dc);
    uint32_t domid = p->domid;
    int rc = r ? libdmr_error_from_errno(r) : 0;
    if (!rc && libxl_domain_create_new(lx, &dc, &domid, NULL, NULL)) {
        LOGD(ERROR, p->domid, "libxl could not create the domain (see its messages above)");
        rc = LIBDMR_ERROR_FAIL;
    }
    libxl_domain_config_dispose(&dc);
    if (!rc && domid != p->domid) {
        /* Not the domain the plan (and the uid) is for: it goes at once. */
        LOGD(ERROR, p->domid, "libxl created domain %u, not the planned %u", domid, p->domid);
        libxl_domain_destroy(lx, domid, NULL);
        return LIBDMR_ERROR_FAIL;
    }
    *made = !rc;
    if (!rc && (r = dm_from_xenstore(ctx, p->domid, &s->dm)))
        rc = libdmr_error_from_errno(r);
    /* Held by its pidfd, the pid stays the DM's while prlimit runs. */
    _cleanup_close_ int pidfd = rc ? -EBADF : proc_open(&s->dm);
    if (!rc && pidfd < 0)
        rc = LIBDMR_ERROR_FAIL;
    if (!rc && (r = raise_fsize(ctx, p, s->dm.pid)))
        rc = libdmr_error_from_errno(r);
    if (!rc)
        rc = audit_dm(ctx, s);
    if (!rc && !p->paused && libxl_domain_unpause(lx, p->domid, NULL)) {
        LOGD(ERROR, p->domid, "libxl could not unpause the domain");
        rc = LIBDMR_ERROR_FAIL;
    }
    return rc;
}

/*
 * Whatever libxl left of the domain's device models: a DM that survives
 * libxl's destroy (a PV domain's root xenpv QEMU was seen to on 4.17) is
 * killed and named. 0, or how many had to be killed.
 */
static int kill_domain_dms(libdmr_ctx *ctx, uint32_t domid)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    int r = proc_pids_of_xen_domid(domid, &pids, &n);
    if (r)
        return r;
    for (size_t i = 0; i < n; i++) {
        struct proc_ref dm = { .pid = pids[i] };
        uid_t uid;
        if (proc_start_time(dm.pid, &dm.start) || proc_uid(dm.pid, &uid))
            continue;
        LOGD(WARN, domid, "a device model of domain %u (pid %d, uid %u%s) survived libxl's "
             "destroy: killed", domid, (int)dm.pid, (unsigned)uid,
             uid == 0 ? ": root, NOT restricted" : "");
        if (proc_wait_exit(ctx, &dm, 0, true))
            return -ETIMEDOUT;
    }
    return (int)n;
}

/* The domain, its DMs, its uid's processes and its chroot: all gone. */
static int domain_remove(libdmr_ctx *ctx, libxl_ctx *lx, const struct dm_state *s)
{
    int rc = 0;
    int r = libxl_domain_destroy(lx, s->domid, NULL);
    if (r && r != ERROR_DOMAIN_NOTFOUND) {
        LOGD(ERROR, s->domid, "libxl could not destroy the domain");
        rc = LIBDMR_ERROR_FAIL;
    }
    if (s->dm.pid > 0 && proc_wait_exit(ctx, &s->dm, DM_EXIT_TIMEOUT_MS, true)) {
        LOGD(ERROR, s->domid, "the device model (pid %d) does not die", (int)s->dm.pid);
        rc = LIBDMR_ERROR_FAIL;
    }
    if (kill_domain_dms(ctx, s->domid) < 0)
        rc = LIBDMR_ERROR_FAIL;
    if (reap_domain_uid(ctx, s))
        rc = LIBDMR_ERROR_FAIL;
    /* libxl makes the chroot and, on 4.17, leaves it. */
    if (s->chroot && chroot_remove(ctx, s->chroot))
        rc = LIBDMR_ERROR_FAIL;
    return rc;
}

int launch_xen_create(libdmr_ctx *ctx, const libdmr_plan *p, int *lock)
{
    struct dm_state s;
    int r = launch_state_for(p, &s);
    int rc = r ? libdmr_error_from_errno(r) : launch_reserve(ctx, p, &s, lock);
    bool reserved = !rc, made = false;
    libxl_ctx *lx = NULL;
    if (!rc)
        rc = xen_libxl_open(ctx, p->domid, &lx);
    if (!rc)
        rc = domain_start(ctx, lx, p, &s, &made);
    if (!rc)
        rc = launch_record(ctx, p, &s, lock);
    if (rc && reserved) {
        /* The reaper and the state directory are the lock's. */
        if (*lock < 0)
            *lock = run_lock(ctx);
        if (lx && made)
            domain_remove(ctx, lx, &s);
        state_remove(ctx, p->domid);
    }
    if (lx)
        libxl_ctx_free(lx);
    launch_state_clear(&s);
    return rc;
}

int launch_xen_destroy(libdmr_ctx *ctx, struct dm_state *s)
{
    libxl_ctx *lx = NULL;
    int rc = xen_libxl_open(ctx, s->domid, &lx);
    if (rc)
        return rc;
    rc = domain_remove(ctx, lx, s);
    libxl_ctx_free(lx);
    return rc;
}

int xen_domain_lookup(libdmr_ctx *ctx, const char *name_or_domid, uint32_t *ret_domid)
{
    libxl_ctx *lx = NULL;
    int rc = xen_libxl_open(ctx, LIBDMR_NO_DOMID, &lx);
    if (rc)
        return rc;
    unsigned long n;
    uint32_t domid = 0;
    if (!parse_ulong_strict(name_or_domid, 0, UINT32_MAX, &n))
        domid = (uint32_t)n;
    else if (libxl_name_to_domid(lx, name_or_domid, &domid))
        domid = 0;
    libxl_dominfo info;
    libxl_dominfo_init(&info);
    /* Never dom0, and only a domain libxl has. */
    rc = domid >= LIBDMR_DOMID_MIN && domid <= LIBDMR_DOMID_MAX &&
         !libxl_domain_info(lx, &info, domid) ? 0 : LIBDMR_ERROR_NOTFOUND;
    libxl_dominfo_dispose(&info);
    libxl_ctx_free(lx);
    if (!rc)
        *ret_domid = domid;
    return rc;
}

/*
 * xl's domains too: libxl destroys the domain, then no device model of it
 * may stay (a PV guest's root xenpv QEMU was seen to) and its chroot goes.
 */
int launch_xen_destroy_unrecorded(libdmr_ctx *ctx, uint32_t domid)
{
    libxl_ctx *lx = NULL;
    int rc = xen_libxl_open(ctx, domid, &lx);
    if (rc)
        return rc;
    LOGD(NOTICE, domid, "not made by xl-dmr: destroyed through libxl, then checked for "
         "device models left");
    /* What xl-dmr knows of it: its domid and libxl's chroot (libxl kills by uid itself). */
    char chroot[64];
    snprintf(chroot, sizeof(chroot), LIBDMR_XEN_RUN_DIR "/qemu-root-%u", domid);
    struct dm_state s = { .domid = domid, .chroot = chroot };
    rc = domain_remove(ctx, lx, &s);
    libxl_ctx_free(lx);
    return rc;
}
