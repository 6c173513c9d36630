/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the toolstack opens as root and hands to QEMU as descriptors:
 * the pre-opened QMP listening socket, the kernel and ramdisk of a direct
 * boot (read at start, before the chroot, as /proc/self/fd/N: QEMU's x86
 * loader opens a path, not an fdset), and every disk image (through
 * -add-fd fdsets, so the chrooted QEMU opens /dev/fdset/N, never a path).
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
        .id = strdup(id), .path = strdup(path),
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

static int resource_add_disk(const libdmr_facts *f, libdmr_plan *p,
                             const struct libdmr_disk *d, unsigned *fdset)
{
    const struct libdmr_image *img = facts_image_find(f, d->target);
    if (!img || !img->present)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_NOTFOUND,
                              "disk %s: %s does not exist (or is not a file "
                              "or block device)", d->vdev, d->target);
    return resource_add(p, d->cdrom ? PLAN_RES_CDROM : PLAN_RES_DISK, d->vdev,
                        d->target, d->readwrite, (*fdset)++);
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
            r = resource_add_disk(f, p, &c->disks[i], &fdset);
    return r;
}
