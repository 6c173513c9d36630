/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where the qemu backend puts each disk: on IDE (ICH9 AHCI on q35, PIIX
 * on pc), at the position its vdev names, hda/xvda/sda..hdd. A vdev
 * outside those, or two vdevs naming one position, is refused. On the
 * xen backend libxl places the disks (plan_xen.c hands them over).
 * Pure: the config and the plan's resources in, positions out.
 */
#include <string.h>

#include "internal.h"

/* hda/xvda/sda..hdd: the IDE position; -1 for anything else. */
static int disk_ide_index(const char *vdev)
{
    const char *prefixes[] = { "hd", "xvd", "sd" };
    for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (!strncmp(vdev, prefixes[i], n) && vdev[n] >= 'a' && vdev[n] <= 'd' &&
            !vdev[n + 1])
            return vdev[n] - 'a';
    }
    return -1;
}

/* The descriptor of the disk's image, by its id; -1: none (an empty drive). */
static int disk_resource(const libdmr_plan *p, const struct libdmr_disk *d)
{
    for (size_t i = 0; d->target && i < p->n_resources; i++)
        if ((p->resources[i].kind == PLAN_RES_DISK || p->resources[i].kind == PLAN_RES_CDROM) &&
            !strcmp(p->resources[i].id, d->vdev))
            return (int)i;
    return -1;
}

/* Refuses disk i when its vdev names no IDE position, or one taken before it. */
static int disk_check(const libdmr_config *c, size_t i, struct plan_verdict *v)
{
    const char *vdev = c->disks[i].vdev;
    int index = disk_ide_index(vdev);
    for (size_t j = 0; index >= 0 && j < i; j++)
        if (disk_ide_index(c->disks[j].vdev) == index)
            return verdict_refuse(v, LIBDMR_ERROR_INVAL,
                                  "disks %s and %s would share one IDE position",
                                  c->disks[j].vdev, vdev);
    if (index < 0)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL,
                              "disk vdev %s: the qemu backend has IDE disks "
                              "hda-hdd (or xvda-xvdd, sda-sdd)", vdev);
    return 0;
}

static int disk_place(const libdmr_plan *p, const struct libdmr_disk *d,
                      struct plan_disk *out)
{
    int index = disk_ide_index(d->vdev);
    /* ICH9 AHCI has one unit per bus; PIIX has two buses of two units. */
    bool q35 = p->machine == LIBDMR_MACHINE_Q35;
    *out = (struct plan_disk){
        .vdev = strdup(d->vdev), .format = d->format, .cdrom = d->cdrom,
        .bus = q35 ? (unsigned)index : (unsigned)index / 2,
        .unit = q35 ? -1 : index % 2,
        .resource = disk_resource(p, d),
    };
    return out->vdev ? 0 : -ENOMEM;
}

int plan_disks(const libdmr_config *c, libdmr_plan *p)
{
    if (p->backend != LIBDMR_BACKEND_QEMU || !c->n_disks)
        return 0;
    int r = 0;
    for (size_t i = 0; !r && !p->verdict.refusal_rc && i < c->n_disks; i++)
        r = disk_check(c, i, &p->verdict);
    if (r || p->verdict.refusal_rc)
        return r;
    if (!(p->disks = calloc(c->n_disks, sizeof(*p->disks))))
        return -ENOMEM;
    for (; !r && p->n_disks < c->n_disks; p->n_disks++)
        r = disk_place(p, &c->disks[p->n_disks], &p->disks[p->n_disks]);
    return r;
}

void plan_disks_clear(libdmr_plan *p)
{
    for (size_t i = 0; i < p->n_disks; i++)
        free(p->disks[i].vdev);
    free(p->disks);
    p->disks = NULL;
    p->n_disks = 0;
}
