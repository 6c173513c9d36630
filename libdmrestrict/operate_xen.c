/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run-time operations on the xen backend, through libxl (which owns
 * qemu-xen's QMP socket and its own record of the domain's devices):
 * cdrom changes with libxl_cdrom_insert, which hands the image over by
 * add-fd; PCI with libxl_device_pci_add/remove, once pci-attach's plan
 * has allowed it (a root DM only). After a medium leaves, the DM must
 * hold no descriptor of it: checked through /proc.
 */
#include <stdio.h>
#include <string.h>

#include "xen.h"

struct naming {
    const char *path;
    int n;
};

static int count_naming(int fd, const char *target, int dirfd, const char *name, void *arg)
{
    (void)fd, (void)dirfd, (void)name;
    struct naming *c = arg;
    c->n += !strcmp(target, c->path);
    return 0;
}

/* The image in drive vdev now, as libxl records it (NULL: empty). */
static int medium_of(libdmr_ctx *ctx, libxl_ctx *lx, uint32_t domid, const char *vdev,
                     char **ret)
{
    int n = 0;
    libxl_device_disk *disks = libxl_device_disk_list(lx, domid, &n);
    int rc = LIBDMR_ERROR_NOTFOUND;
    *ret = NULL;
    for (int i = 0; i < n; i++) {
        if (!disks[i].vdev || strcmp(disks[i].vdev, vdev))
            continue;
        rc = disks[i].is_cdrom ? 0 : LIBDMR_ERROR_INVAL;
        if (!rc && disks[i].pdev_path && disks[i].pdev_path[0] &&
            !(*ret = strdup(disks[i].pdev_path)))
            rc = LIBDMR_ERROR_NOMEM;
    }
    libxl_device_disk_list_free(disks, n);
    if (rc == LIBDMR_ERROR_NOTFOUND)
        LOGD(ERROR, domid, "cdrom: domain %u has no drive %s", domid, vdev);
    else if (rc == LIBDMR_ERROR_INVAL)
        LOGD(ERROR, domid, "cdrom: %s is not a cdrom drive", vdev);
    return rc;
}

/* The medium that left: the DM must have let go of every descriptor of it. */
static int check_let_go(libdmr_ctx *ctx, const struct dm_state *s, const char *old)
{
    struct naming c = { .path = old };
    int r = old ? proc_fds_each(s->dm.pid, count_naming, &c) : 0;
    int n = c.n;
    if (r) {
        LOGEVD(ERROR, -r, s->domid, "cdrom: reading the device model's descriptors");
        return LIBDMR_ERROR_FAIL;
    }
    if (n) {
        LOGD(ERROR, s->domid, "cdrom: the device model still holds %d descriptor(s) of the "
             "ejected %s", n, old);
        return LIBDMR_ERROR_FAIL;
    }
    return 0;
}

int xen_cdrom_change(libdmr_ctx *ctx, const struct dm_state *s, const char *vdev, const char *path)
{
    libxl_ctx *lx = NULL;
    int rc = xen_libxl_open(ctx, s->domid, &lx);
    _cleanup_free_ char *old = NULL;
    if (!rc)
        rc = medium_of(ctx, lx, s->domid, vdev, &old);
    libxl_device_disk disk;
    /* As xl's cd-insert/cd-eject: an empty target is an empty drive. */
    struct plan_xen_disk d = { .vdev = (char *)vdev, .target = (char *)(path ? path : ""),
                               .format = path ? LIBDMR_FORMAT_RAW : LIBDMR_FORMAT_EMPTY,
                               .cdrom = true };
    bool made = false;
    if (!rc) {
        rc = xen_disk_to_libxl(&d, &disk) ? LIBDMR_ERROR_NOMEM : 0;
        made = true;
    }
    if (!rc && libxl_cdrom_insert(lx, s->domid, &disk, NULL)) {
        LOGD(ERROR, s->domid, "cdrom: libxl could not change the medium in %s", vdev);
        rc = LIBDMR_ERROR_FAIL;
    }
    if (made)
        libxl_device_disk_dispose(&disk);
    if (!rc && old && (!path || strcmp(old, path)))
        rc = check_let_go(ctx, s, old);
    if (lx)
        libxl_ctx_free(lx);
    return rc;
}

int xen_media(libdmr_ctx *ctx, uint32_t domid, struct strv *out)
{
    libxl_ctx *lx = NULL;
    int rc = xen_libxl_open(ctx, domid, &lx);
    if (rc)
        return rc;
    int n = 0;
    libxl_device_disk *disks = libxl_device_disk_list(lx, domid, &n);
    for (int i = 0; !rc && i < n; i++)
        if (disks[i].pdev_path && disks[i].pdev_path[0] && strv_push(out, disks[i].pdev_path))
            rc = LIBDMR_ERROR_NOMEM;
    libxl_device_disk_list_free(disks, n);
    libxl_ctx_free(lx);
    return rc;
}

static void pci_from_bdf(const struct libdmr_pci_dev *d, libxl_device_pci *ret)
{
    libxl_device_pci_init(ret);
    ret->domain = (int)d->domain;
    ret->bus = (uint8_t)d->bus;
    ret->dev = (uint8_t)d->dev;
    ret->func = (uint8_t)d->func;
    if (d->has_vslot)
        ret->vdevfn = d->vslot << 3;
}

int xen_pci_change(libdmr_ctx *ctx, uint32_t domid, const struct libdmr_pci_dev *d, bool add)
{
    libxl_ctx *lx = NULL;
    int rc = xen_libxl_open(ctx, domid, &lx);
    if (rc)
        return rc;
    libxl_device_pci pci;
    pci_from_bdf(d, &pci);
    if ((add ? libxl_device_pci_add(lx, domid, &pci, NULL)
             : libxl_device_pci_remove(lx, domid, &pci, NULL))) {
        LOGD(ERROR, domid, "pci %04x:%02x:%02x.%u: libxl could not %s it (see its messages above)",
             d->domain, d->bus, d->dev, d->func, add ? "attach" : "detach");
        rc = LIBDMR_ERROR_FAIL;
    }
    libxl_device_pci_dispose(&pci);
    libxl_ctx_free(lx);
    return rc;
}
