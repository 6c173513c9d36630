/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A running domain's PCI record: what its plan placed at create, then what
 * pci-attach and pci-detach changed. It is what those two plan against
 * (plan_pci_attach.c) and what pci-list shows; state.c saves it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "internal.h"

static void dev_clear(struct dm_pci_dev *d)
{
    free(d->bdf);
    free(d->id);
    free(d->port);
    free(d->standin);
}

void dm_pci_clear(struct dm_pci *pci)
{
    for (size_t i = 0; i < pci->n_devs; i++)
        dev_clear(&pci->devs[i]);
    free(pci->devs);
    strv_clear(&pci->ports);
    *pci = (struct dm_pci){ 0 };
}

int dm_pci_add(struct dm_pci *pci, const struct dm_pci_dev *dev)
{
    struct dm_pci_dev *grown = realloc(pci->devs, (pci->n_devs + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    pci->devs = grown;
    struct dm_pci_dev *d = &grown[pci->n_devs];
    *d = *dev;
    d->bdf = strdup_or_null(dev->bdf);
    d->id = strdup_or_null(dev->id);
    d->port = strdup_or_null(dev->port);
    d->standin = strdup_or_null(dev->standin);
    if (!d->bdf || !d->id || (dev->port && !d->port) || (dev->standin && !d->standin)) {
        dev_clear(d);
        return -ENOMEM;
    }
    pci->n_devs++;
    return 0;
}

const struct dm_pci_dev *dm_pci_find(const struct dm_pci *pci, const char *bdf)
{
    for (size_t i = 0; i < pci->n_devs; i++)
        if (!strcmp(pci->devs[i].bdf, bdf))
            return &pci->devs[i];
    return NULL;
}

void dm_pci_drop(struct dm_pci *pci, const char *bdf)
{
    for (size_t i = 0; i < pci->n_devs; i++)
        if (!strcmp(pci->devs[i].bdf, bdf)) {
            dev_clear(&pci->devs[i]);
            memmove(&pci->devs[i], &pci->devs[i + 1],
                    (pci->n_devs - i - 1) * sizeof(*pci->devs));
            pci->n_devs--;
            return;
        }
}

int dm_pci_from_plan(const libdmr_plan *p, struct dm_pci *ret)
{
    struct dm_pci pci = {
        .machine = p->machine, .restricted = p->restricted,
        .guest_unplug = p->pci_guest_unplug, .root_bus_hotplug_off = p->root_bus_hotplug_off,
        .qemu_iommufd = p->qemu_iommufd, .iommufd_object = p->iommufd_fd != 0,
    };
    for (size_t i = 0; i < p->chroot_contents.n; i++)
        pci.vfio_container |= !strcmp(p->chroot_contents.v[i].path, "/dev/vfio/vfio");
    for (size_t i = 0; i < p->n_rlimits; i++)
        if (p->rlimits[i].resource == RLIMIT_MEMLOCK)
            pci.memlock = p->rlimits[i].value;
    int r = 0;
    for (size_t i = 0; !r && i < p->n_hotplug_ports; i++)
        r = strv_push(&pci.ports, p->hotplug_ports[i].id);
    for (size_t i = 0; !r && i < p->n_pci; i++) {
        const struct plan_pci *d = &p->pci[i];
        char bdf[16];
        snprintf(bdf, sizeof(bdf), LIBDMR_BDF_FMT, LIBDMR_BDF_ARGS(d));
        r = dm_pci_add(&pci, &(struct dm_pci_dev){
            .bdf = bdf, .id = d->id, .port = d->port, .guest_unplug = d->guest_unplug,
            .has_group = d->has_group, .group = d->group, .standin = (char *)d->standin,
            .iommufd = d->cdev_fd != 0 });
    }
    if (r) {
        dm_pci_clear(&pci);
        return r;
    }
    *ret = pci;
    return 0;
}
