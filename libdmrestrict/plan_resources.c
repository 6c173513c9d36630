/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the toolstack opens as root and hands to QEMU as descriptors:
 * the pre-opened QMP listening socket, the kernel and ramdisk of a direct
 * boot (read at start, before the chroot, as /proc/self/fd/N: QEMU's x86
 * loader opens a path, not an fdset), every disk image (through -add-fd
 * fdsets, so the chrooted QEMU opens /dev/fdset/N, never a path), with
 * every layer of a qcow2 disk's backing chain (read-only below the top),
 * and the guest's serial port: one end of a socketpair whose other end
 * the per-domain logger holds (it logs the console and serves it).
 * On the xen backend libxl passes qemu-xen its resources itself.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define CHILD_FD_QMP 3

int plan_resource_add(libdmr_plan *p, enum plan_resource_kind kind, const char *id,
                      const char *path, bool writable, unsigned fdset, int *ret_fd)
{
    struct plan_resource *grown =
        realloc(p->resources, (p->n_resources + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    p->resources = grown;
    struct plan_resource *res = &grown[p->n_resources];
    *res = (struct plan_resource){
        .kind = kind, .writable = writable, .fdset = fdset,
        .child_fd = CHILD_FD_QMP + (int)p->n_resources,
        .id = strdup(id), .path = strdup(path), .backing = -1,
    };
    p->n_resources++;
    if (ret_fd)
        *ret_fd = res->child_fd;
    return res->id && res->path ? 0 : -ENOMEM;
}

static int resource_add(libdmr_plan *p, enum plan_resource_kind kind, const char *id,
                        const char *path, bool writable, unsigned fdset)
{
    return plan_resource_add(p, kind, id, path, writable, fdset, NULL);
}

/* What layer img (qcow2 or raw, as the layer above says) names below it:
 * its path in *ret_path and format in *ret_fmt, NULL at the chain's end;
 * or the refusal. A raw layer ends the chain. */
static int layer_below(const struct libdmr_disk *d, const struct libdmr_image *img,
                       bool qcow2, struct plan_verdict *v, char **ret_path,
                       const char **ret_fmt)
{
    const struct libdmr_qcow2_header *h = &img->qcow2;
    const char *what = d->cdrom ? "cdrom" : "disk";
    *ret_path = NULL;
    if (!qcow2)
        return 0;
    if (!img->header_read)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "%s %s: the qcow2 header of %s "
                              "could not be read", what, d->vdev, img->path);
    if (!h->magic)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "%s %s: %s is not a qcow2 image "
                              "(version 2 or 3); formats are never probed", what, d->vdev,
                              img->path);
    if (h->encrypted || h->data_file)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "%s %s: %s %s, which the qemu "
                              "backend does not support", what, d->vdev, img->path,
                              h->encrypted ? "is an encrypted qcow2 image"
                                           : "has an external data file (data-file)");
    if (!h->backing_file)
        return 0;
    if (d->cdrom)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "cdrom %s: %s has a backing file (%s); "
                              "a cdrom's medium is one image (qemu-img convert makes one)",
                              d->vdev, img->path, h->backing_file);
    if (!h->backing_fmt)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "disk %s: %s names its backing file %s "
                              "without its format (backing_fmt), and formats are never "
                              "probed: qemu-img rebase -u -b %s -F raw|qcow2 %s", d->vdev,
                              img->path, h->backing_file, h->backing_file, img->path);
    if (image_name_is_protocol(h->backing_file))
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "disk %s: %s names backing file %s, "
                              "which QEMU reads as a protocol, not a file", d->vdev,
                              img->path, h->backing_file);
    if (strcmp(h->backing_fmt, "raw") && strcmp(h->backing_fmt, "qcow2"))
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "disk %s: %s names backing file %s "
                              "of format %s; the qemu backend takes raw and qcow2 layers",
                              d->vdev, img->path, h->backing_file, h->backing_fmt);
    *ret_fmt = h->backing_fmt;
    return (*ret_path = image_backing_path(img->path, h->backing_file)) ? 0 : -ENOMEM;
}

/* Refuses layer path of disk d (named by the layer above) when it is a
 * loop, missing, too deep or another disk's writable image (then
 * *ret_img is NULL); else its image in *ret_img. */
static int layer_check(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p,
                       size_t top, const struct libdmr_disk *d, const char *path,
                       unsigned depth, const struct libdmr_image **ret_img)
{
    const char *above = p->resources[p->n_resources - 1].path;
    struct plan_verdict *v = &p->verdict;
    const struct libdmr_image *img = facts_image_find(f, path);
    *ret_img = NULL;
    for (size_t i = top; i < p->n_resources; i++)
        if (!strcmp(p->resources[i].path, path))
            return verdict_refuse(v, LIBDMR_ERROR_INVAL, "disk %s: the backing chain loops: "
                                  "%s names %s, which is above it", d->vdev, above, path);
    if (depth >= LIBDMR_CHAIN_MAX)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "disk %s: the backing chain is deeper "
                              "than %u layers (%s names %s)", d->vdev, LIBDMR_CHAIN_MAX,
                              above, path);
    if (!img || !img->present)
        return verdict_refuse(v, LIBDMR_ERROR_NOTFOUND, "disk %s: backing layer %s (named "
                              "by %s) does not exist (or is not a file or block device)",
                              d->vdev, path, above);
    for (size_t i = 0; i < c->n_disks; i++)
        if (c->disks[i].readwrite && c->disks[i].target && !strcmp(c->disks[i].target, path))
            return verdict_refuse(v, LIBDMR_ERROR_INVAL, "disk %s: backing layer %s is disk "
                                  "%s's writable image", d->vdev, path, c->disks[i].vdev);
    *ret_img = img;
    return 0;
}

/* The layers below a disk's image, each a read-only resource (an fdset)
 * linked from the one above: QEMU gets the chain as nodes and opens
 * nothing by name. */
static int resource_add_chain(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p,
                              const struct libdmr_disk *d, const struct libdmr_image *img,
                              unsigned *fdset)
{
    size_t top = p->n_resources - 1;
    bool qcow2 = d->format == LIBDMR_FORMAT_QCOW2;
    int r = 0;
    for (unsigned depth = 1; !r && !p->verdict.refusal_rc; depth++) {
        _cleanup_free_ char *path = NULL;
        const char *fmt = NULL;
        r = layer_below(d, img, qcow2, &p->verdict, &path, &fmt);
        if (!r && path)
            r = layer_check(c, f, p, top, d, path, depth, &img);
        if (r || !path || !img)
            return r;
        char id[64];
        snprintf(id, sizeof(id), "%s-backing%u", d->vdev, depth);
        qcow2 = !strcmp(fmt, "qcow2");
        r = resource_add(p, PLAN_RES_BACKING, id, path, false, (*fdset)++);
        if (!r) {
            p->resources[p->n_resources - 2].backing = (int)p->n_resources - 1;
            p->resources[p->n_resources - 1].format = qcow2 ? LIBDMR_FORMAT_QCOW2
                                                            : LIBDMR_FORMAT_RAW;
        }
    }
    return r;
}

static int resource_add_disk(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p,
                             const struct libdmr_disk *d, unsigned *fdset)
{
    const struct libdmr_image *img = facts_image_find(f, d->target);
    if (!img || !img->present)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_NOTFOUND,
                              "disk %s: %s does not exist (or is not a file "
                              "or block device)", d->vdev, d->target);
    int r = resource_add(p, d->cdrom ? PLAN_RES_CDROM : PLAN_RES_DISK, d->vdev,
                         d->target, d->readwrite, (*fdset)++);
    if (r)
        return r;
    p->resources[p->n_resources - 1].format = d->format;
    return resource_add_chain(c, f, p, d, img, fdset);
}

/* A kernel or ramdisk: read once by QEMU at start, as /proc/self/fd/N. */
static int resource_add_boot(const libdmr_facts *f, libdmr_plan *p,
                             enum plan_resource_kind kind, const char *path)
{
    const struct libdmr_image *img = path ? facts_image_find(f, path) : NULL;
    if (!path)
        return 0;
    if (!img || !img->present || !img->regular)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_NOTFOUND,
                              "%s %s does not exist (or is not a file)",
                              kind == PLAN_RES_KERNEL ? "kernel" : "ramdisk", path);
    return resource_add(p, kind, kind == PLAN_RES_KERNEL ? "kernel" : "ramdisk",
                        path, false, 0);
}

/*
 * The guest's serial port: QEMU gets one end of a connected socketpair
 * (a pty alone would drop output nobody reads, a logfile= would hit
 * RLIMIT_FSIZE); the logger holds the other, logs what the guest writes
 * and serves `xl-dmr console` on console_path. xl's serial = "pty" means
 * that console, and so does no serial key: every guest gets one, as it
 * always had its serial in the log. "none": no serial port.
 */
static int resource_add_serial(const libdmr_config *c, libdmr_plan *p)
{
    if (c->serial && !strcmp(c->serial, "none"))
        return 0;
    if (c->serial && strcmp(c->serial, "pty"))
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_NI,
                              "serial = \"%s\" is not carried on the qemu backend: only "
                              "\"pty\" (the console xl-dmr console attaches to, also logged) "
                              "or \"none\"", c->serial);
    char console[128];
    snprintf(console, sizeof(console), LIBDMR_RUN_DIR "/console-%u.sock", p->domid);
    if (!(p->console_path = strdup(console)))
        return -ENOMEM;
    return resource_add(p, PLAN_RES_SERIAL, "serial", console, true, 0);
}

int plan_resources(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    if (p->backend != LIBDMR_BACKEND_QEMU)
        return 0;
    char qmp[128];
    snprintf(qmp, sizeof(qmp), LIBDMR_RUN_DIR "/qmp-%u.sock", p->domid);
    if (!(p->qmp_path = strdup(qmp)))
        return -ENOMEM;
    int r = resource_add(p, PLAN_RES_QMP_LISTEN, "qmp", qmp, true, 0);
    /* QEMU serves one client per monitor: the watcher's events come on a
     * second one, made the same way. */
    snprintf(qmp, sizeof(qmp), LIBDMR_RUN_DIR "/qmp-events-%u.sock", p->domid);
    if (!r && !(p->qmp_events_path = strdup(qmp)))
        return -ENOMEM;
    if (!r)
        r = resource_add(p, PLAN_RES_QMP_EVENTS, "qmp-events", qmp, true, 0);
    if (!r)
        r = resource_add_boot(f, p, PLAN_RES_KERNEL, c->kernel);
    if (!r && c->cmdline && !c->kernel)
        r = verdict_warn(&p->verdict, "cmdline is ignored without a kernel");
    if (!r && !p->verdict.refusal_rc)
        r = resource_add_boot(f, p, PLAN_RES_RAMDISK, c->ramdisk);
    unsigned fdset = 1;
    for (size_t i = 0; !r && !p->verdict.refusal_rc && i < c->n_disks; i++)
        if (c->disks[i].target)
            r = resource_add_disk(c, f, p, &c->disks[i], &fdset);
    /* After the disks, so that their descriptor numbers stay put. */
    if (!r && !p->verdict.refusal_rc)
        r = resource_add_serial(c, p);
    return r;
}
