/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xen backend's operations, through libxl, handed to libdmrestrict
 * (which links no libxl). libxl creates the domain with the domid the
 * plan chose and starts qemu-xen from the domain config the plan decided
 * (libdmr_plan_libxl_*); the library's lifecycle then raises the DM's
 * limits, audits it, and only then asks for the guest to be unpaused.
 * Stop is libxl's destroy; the library then makes sure nothing of the
 * domain's device models is left. cdrom changes go through
 * libxl_cdrom_insert (which hands the image over by add-fd), PCI through
 * libxl_device_pci_add/remove once the library's policy allowed it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>

#include "xen_backend.h"
#include "xl_cfg.h"

/* libxl reaps only the children it made: the library's reapers and QEMU
 * probes are the library's. */
static const libxl_childproc_hooks selective_reap = {
    .chldowner = libxl_sigchld_owner_libxl_always_selective_reap,
};

static int libxl_open(libdmr_ctx *ctx, xentoollog_logger *lg, uint32_t domid, libxl_ctx **ret)
{
    libxl_ctx *lx = NULL;
    if (libxl_ctx_alloc(&lx, LIBXL_VERSION, 0, lg)) {
        XLOGD(ctx, ERROR, domid, "cannot open libxl: is this a Xen dom0 with xenstored running?");
        return LIBDMR_ERROR_FAIL;
    }
    libxl_childproc_setmode(lx, &selective_reap, NULL);
    *ret = lx;
    return 0;
}

/* op with a libxl context of its own, for the domain dm is. */
typedef int (*libxl_op)(libdmr_ctx *ctx, libxl_ctx *lx, libdmr_dm *dm, uint32_t domid,
                        const void *arg);

static int with_libxl(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm, libxl_op op, const void *arg)
{
    struct xen_backend *xb = opaque;
    uint32_t domid = libdmr_dm_domid(dm);
    libxl_ctx *lx = NULL;
    int rc = libxl_open(ctx, xb->lg, domid, &lx);
    if (!rc)
        rc = op(ctx, lx, dm, domid, arg);
    if (lx)
        libxl_ctx_free(lx);
    return rc;
}

static int disk_to_libxl(const char *vdev, const char *target, enum libdmr_disk_format format,
                         unsigned flags, libxl_device_disk *ret)
{
    libxl_device_disk_init(ret);
    ret->format = format == LIBDMR_FORMAT_QCOW2 ? LIBXL_DISK_FORMAT_QCOW2
                : format == LIBDMR_FORMAT_EMPTY || !target ? LIBXL_DISK_FORMAT_EMPTY
                : LIBXL_DISK_FORMAT_RAW;
    ret->readwrite = (flags & LIBDMR_DISK_READWRITE) != 0;
    ret->is_cdrom = ret->removable = (flags & LIBDMR_DISK_CDROM) != 0;
    ret->vdev = strdup(vdev);
    ret->pdev_path = target ? strdup(target) : NULL;
    return ret->vdev && (ret->pdev_path || !target) ? 0 : -ENOMEM;
}

/* A host device as libxl takes it; vslot 0: libxl places it. */
static void pci_to_libxl(const libdmr_pci_addr *dev, unsigned vslot, libxl_device_pci *ret)
{
    libxl_device_pci_init(ret);
    ret->domain = (int)dev->domain;
    ret->bus = (uint8_t)dev->bus;
    ret->dev = (uint8_t)dev->dev;
    ret->func = (uint8_t)dev->func;
    ret->vdevfn = vslot << 3;
}

static int strv_to_libxl(const char *const *v, libxl_string_list *ret)
{
    size_t n = 0;
    while (v[n])
        n++;
    if (!n)
        return 0;
    char **list = calloc(n + 1, sizeof(*list));
    if (!list)
        return -ENOMEM;
    *ret = list;
    for (size_t i = 0; i < n; i++)
        if (!(list[i] = strdup(v[i])))
            return -ENOMEM;
    return 0;
}

static int domain_config_disks(const libdmr_plan *p, libxl_domain_config *dc)
{
    size_t n = libdmr_plan_libxl_disk_count(p);
    if (n && !(dc->disks = calloc(n, sizeof(*dc->disks))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *vdev, *target;
        enum libdmr_disk_format format;
        unsigned flags;
        libdmr_plan_libxl_disk(p, i, &vdev, &target, &format, &flags);
        int r = disk_to_libxl(vdev, target, format, flags, &dc->disks[i]);
        dc->num_disks = (int)i + 1;
        if (r)
            return r;
    }
    /* Passthrough (the plan made the DM root for it): libxl places them. */
    n = libdmr_plan_pci_count(p);
    if (n && !(dc->pcidevs = calloc(n, sizeof(*dc->pcidevs))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        libdmr_pci_addr dev;
        unsigned vslot;
        libdmr_plan_pci(p, i, &dev, &vslot, NULL);
        pci_to_libxl(&dev, vslot, &dc->pcidevs[dc->num_pcidevs++]);
    }
    return 0;
}

static int strdup_to(char **field, const char *value)
{
    return value && !(*field = strdup(value)) ? -ENOMEM : 0;
}

/* libxl's domain config for the plan: an HVM guest with no display. */
static int domain_config(libxl_ctx *lx, const libdmr_plan *p, libxl_domain_config *dc)
{
    libxl_domain_create_info *ci = &dc->c_info;
    libxl_domain_build_info *b = &dc->b_info;
    long vcpus = libdmr_plan_vcpus(p);
    ci->type = LIBXL_DOMAIN_TYPE_HVM;
    ci->domid = libdmr_plan_domid(p);
    libxl_domain_build_info_init_type(b, LIBXL_DOMAIN_TYPE_HVM);
    b->max_memkb = b->target_memkb = (uint64_t)libdmr_plan_memory_mb(p) * 1024;
    b->max_vcpus = (int)vcpus;
    if (libxl_cpu_bitmap_alloc(lx, &b->avail_vcpus, (int)vcpus))
        return -ENOMEM;
    libxl_bitmap_set_none(&b->avail_vcpus);
    for (long i = 0; i < vcpus; i++)
        libxl_bitmap_set(&b->avail_vcpus, (int)i);
    b->device_model_version = LIBXL_DEVICE_MODEL_VERSION_QEMU_XEN;
    libxl_defbool_set(&b->dm_restrict, libdmr_plan_restricted(p));
    libxl_defbool_set(&b->u.hvm.vnc.enable, false);
    libxl_defbool_set(&b->u.hvm.sdl.enable, false);
    libxl_defbool_set(&b->u.hvm.nographic, true);
    int r;
    if ((r = strdup_to(&ci->name, libdmr_plan_name(p))) ||
        (r = strdup_to(&b->device_model_user, libdmr_plan_libxl_device_model_user(p))) ||
        (r = strdup_to(&b->device_model, libdmr_plan_libxl_device_model(p))) ||
        (r = strdup_to(&b->u.hvm.serial, libdmr_plan_libxl_serial(p))) ||
        (r = strdup_to(&b->u.hvm.boot, libdmr_plan_libxl_boot(p))) ||
        (r = strv_to_libxl(libdmr_plan_libxl_device_model_args(p), &b->extra)))
        return r;
    return domain_config_disks(p, dc);
}

/* libxl records the DM's pid in xenstore. */
static int dm_pid_from_xenstore(libdmr_ctx *ctx, uint32_t domid, pid_t *ret)
{
    struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
    if (!xs) {
        XLOGED(ctx, ERROR, domid, "opening xenstore");
        return LIBDMR_ERROR_FAIL;
    }
    char path[80];
    snprintf(path, sizeof(path), "/local/domain/%u/image/device-model-pid", domid);
    unsigned len = 0;
    char *value = xs_read(xs, XBT_NULL, path, &len);
    xs_close(xs);
    char *end = NULL;
    long pid = value ? strtol(value, &end, 10) : 0;
    bool ok = value && end != value && !*end && pid > 0 && pid <= INT32_MAX;
    free(value);
    if (!ok) {
        XLOGD(ctx, ERROR, domid, "libxl recorded no device model pid (%s)", path);
        return LIBDMR_ERROR_NOTFOUND;
    }
    *ret = (pid_t)pid;
    return 0;
}

static int create_domain(libdmr_ctx *ctx, libxl_ctx *lx, const libdmr_plan *p)
{
    uint32_t planned = libdmr_plan_domid(p), domid = planned;
    libxl_domain_config dc;
    libxl_domain_config_init(&dc);
    int rc = domain_config(lx, p, &dc) ? LIBDMR_ERROR_NOMEM : 0;
    if (!rc && libxl_domain_create_new(lx, &dc, &domid, NULL, NULL)) {
        XLOGD(ctx, ERROR, planned, "libxl could not create the domain (see its messages above)");
        rc = LIBDMR_ERROR_FAIL;
    }
    libxl_domain_config_dispose(&dc);
    if (!rc && domid != planned) {
        /* Not the domain the plan (and the uid) is for: it goes at once. */
        XLOGD(ctx, ERROR, planned, "libxl created domain %u, not the planned %u", domid, planned);
        libxl_domain_destroy(lx, domid, NULL);
        rc = LIBDMR_ERROR_FAIL;
    }
    return rc;
}

static int start_with(libdmr_ctx *ctx, libxl_ctx *lx, libdmr_dm *dm, uint32_t domid,
                      const void *arg)
{
    pid_t pid = 0;
    int rc = create_domain(ctx, lx, libdmr_dm_plan(dm));
    bool made = !rc;
    if (!rc)
        rc = dm_pid_from_xenstore(ctx, domid, &pid);
    if (!rc)
        rc = libdmr_dm_set_pid(dm, pid);
    /* A domain without the DM the library can hold is not left behind. */
    if (rc && made)
        libxl_domain_destroy(lx, domid, NULL);
    return rc;
}

static int unpause_with(libdmr_ctx *ctx, libxl_ctx *lx, libdmr_dm *dm, uint32_t domid,
                        const void *arg)
{
    if (!libxl_domain_unpause(lx, domid, NULL))
        return 0;
    XLOGD(ctx, ERROR, domid, "libxl could not unpause the domain");
    return LIBDMR_ERROR_FAIL;
}

static int stop_with(libdmr_ctx *ctx, libxl_ctx *lx, libdmr_dm *dm, uint32_t domid,
                     const void *arg)
{
    int r = libxl_domain_destroy(lx, domid, NULL);
    if (!r || r == ERROR_DOMAIN_NOTFOUND)
        return 0;
    XLOGD(ctx, ERROR, domid, "libxl could not destroy the domain");
    return LIBDMR_ERROR_FAIL;
}

/* Is vdev a cdrom drive of the domain, as libxl records it? */
static int check_cdrom_drive(libdmr_ctx *ctx, libxl_ctx *lx, uint32_t domid, const char *vdev)
{
    int n = 0;
    libxl_device_disk *disks = libxl_device_disk_list(lx, domid, &n);
    int rc = LIBDMR_ERROR_NOTFOUND;
    for (int i = 0; i < n; i++)
        if (disks[i].vdev && !strcmp(disks[i].vdev, vdev))
            rc = disks[i].is_cdrom ? 0 : LIBDMR_ERROR_INVAL;
    libxl_device_disk_list_free(disks, n);
    if (rc == LIBDMR_ERROR_NOTFOUND)
        XLOGD(ctx, ERROR, domid, "cdrom: domain %u has no drive %s", domid, vdev);
    else if (rc == LIBDMR_ERROR_INVAL)
        XLOGD(ctx, ERROR, domid, "cdrom: %s is not a cdrom drive", vdev);
    return rc;
}

struct medium {
    const char *vdev, *path;   /* path NULL: eject */
};

/* A clear message before libxl opens it itself (libxl's open is the use). */
static int check_medium(libdmr_ctx *ctx, uint32_t domid, const char *path)
{
    struct stat st;
    if (path && stat(path, &st) < 0) {
        XLOGED(ctx, ERROR, domid, "cdrom: %s", path);
        return errno == ENOENT ? LIBDMR_ERROR_NOTFOUND : LIBDMR_ERROR_FAIL;
    }
    if (path && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        XLOGD(ctx, ERROR, domid, "cdrom: %s is not a regular file or a block device", path);
        return LIBDMR_ERROR_INVAL;
    }
    return 0;
}

static int cdrom_with(libdmr_ctx *ctx, libxl_ctx *lx, libdmr_dm *dm, uint32_t domid,
                      const void *arg)
{
    const struct medium *m = arg;
    int rc = check_medium(ctx, domid, m->path);
    if (!rc)
        rc = check_cdrom_drive(ctx, lx, domid, m->vdev);
    if (rc)
        return rc;
    /* As xl's cd-insert/cd-eject: an empty target is an empty drive. */
    libxl_device_disk disk;
    if (disk_to_libxl(m->vdev, m->path ? m->path : "",
                      m->path ? LIBDMR_FORMAT_RAW : LIBDMR_FORMAT_EMPTY, LIBDMR_DISK_CDROM, &disk))
        rc = LIBDMR_ERROR_NOMEM;
    if (!rc && libxl_cdrom_insert(lx, domid, &disk, NULL)) {
        XLOGD(ctx, ERROR, domid, "cdrom: libxl could not change the medium in %s", m->vdev);
        rc = LIBDMR_ERROR_FAIL;
    }
    libxl_device_disk_dispose(&disk);
    return rc;
}

struct pci_change {
    const libdmr_pci_addr *dev;
    unsigned vslot;
    bool add;
};

static int pci_with(libdmr_ctx *ctx, libxl_ctx *lx, libdmr_dm *dm, uint32_t domid,
                    const void *arg)
{
    const struct pci_change *c = arg;
    libxl_device_pci pci;
    pci_to_libxl(c->dev, c->vslot, &pci);
    int rc = 0;
    if ((c->add ? libxl_device_pci_add(lx, domid, &pci, NULL)
                : libxl_device_pci_remove(lx, domid, &pci, NULL))) {
        XLOGD(ctx, ERROR, domid, "pci " LIBDMR_BDF_FMT ": libxl could not %s it (see its "
              "messages above)", LIBDMR_BDF_ARGS(c->dev), c->add ? "attach" : "detach");
        rc = LIBDMR_ERROR_FAIL;
    }
    libxl_device_pci_dispose(&pci);
    return rc;
}

/* libxl owns qemu-xen's QMP: it knows which media it handed over. */
static int media_with(libdmr_ctx *ctx, libxl_ctx *lx, libdmr_dm *dm, uint32_t domid,
                      const void *arg)
{
    int n = 0, rc = 0;
    libxl_device_disk *disks = libxl_device_disk_list(lx, domid, &n);
    for (int i = 0; !rc && i < n; i++)
        if (disks[i].pdev_path && disks[i].pdev_path[0])
            rc = libdmr_dm_add_medium_path(dm, disks[i].pdev_path);
    libxl_device_disk_list_free(disks, n);
    return rc;
}

static int xen_start(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    return with_libxl(opaque, ctx, dm, start_with, NULL);
}

static int xen_unpause(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    return with_libxl(opaque, ctx, dm, unpause_with, NULL);
}

static int xen_stop(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    return with_libxl(opaque, ctx, dm, stop_with, NULL);
}

static int xen_cdrom_change(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm, const char *vdev,
                            const char *path)
{
    return with_libxl(opaque, ctx, dm, cdrom_with, &(struct medium){ vdev, path });
}

static int xen_pci_change(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm,
                          const libdmr_pci_addr *dev, unsigned vslot, bool add)
{
    return with_libxl(opaque, ctx, dm, pci_with, &(struct pci_change){ dev, vslot, add });
}

static int xen_media(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    return with_libxl(opaque, ctx, dm, media_with, NULL);
}

/* A domain another toolstack (xl) made: libxl knows it; never dom0. */
static int xen_lookup(void *opaque, libdmr_ctx *ctx, const char *name_or_domid,
                      uint32_t *ret_domid)
{
    (void)opaque;
    /* Quietly: off a dom0 there is no libxl to ask, and nothing to find. */
    xentoollog_logger_stdiostream *quiet = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
    libxl_ctx *lx = NULL;
    bool opened = quiet && !libxl_ctx_alloc(&lx, LIBXL_VERSION, 0, (xentoollog_logger *)quiet);
    if (opened)
        libxl_childproc_setmode(lx, &selective_reap, NULL);
    if (!opened) {
        if (quiet)
            xtl_logger_destroy((xentoollog_logger *)quiet);
        return LIBDMR_ERROR_NOTFOUND;
    }
    char *end = NULL;
    unsigned long n = strtoul(name_or_domid, &end, 10);
    uint32_t domid = 0;
    if (name_or_domid[0] >= '0' && name_or_domid[0] <= '9' && !*end && n <= UINT32_MAX)
        domid = (uint32_t)n;
    else if (libxl_name_to_domid(lx, name_or_domid, &domid))
        domid = 0;
    libxl_dominfo info;
    libxl_dominfo_init(&info);
    int rc = domid >= 1 && domid < 32752 && !libxl_domain_info(lx, &info, domid)
                 ? 0 : LIBDMR_ERROR_NOTFOUND;
    libxl_dominfo_dispose(&info);
    libxl_ctx_free(lx);
    xtl_logger_destroy((xentoollog_logger *)quiet);
    if (!rc)
        *ret_domid = domid;
    return rc;
}

static const libdmr_backend_ops xen_ops = {
    .size = sizeof(libdmr_backend_ops),
    .name = "libxl",
    .start = xen_start,
    .unpause = xen_unpause,
    .stop = xen_stop,
    .cdrom_change = xen_cdrom_change,
    .pci_change = xen_pci_change,
    .media = xen_media,
    .lookup = xen_lookup,
};

int xen_backend_install(libdmr_ctx *ctx, struct xen_backend *xb)
{
    return libdmr_ctx_set_backend(ctx, LIBDMR_BACKEND_XEN, &xen_ops, xb);
}
