/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pci-attach and pci-detach on a running domain: where a device goes and
 * what its DM must be given first, or why not. Pure, like the planner:
 * the domain's PCI record (dm_pci.c) and sysfs facts in, a decision out.
 *
 * On the xen backend, qemu-xen's xen-pci-passthrough opens /dev/mem and
 * writes the device's config space through sysfs itself: a DM that is not
 * root cannot, so attaching to it is refused before anything changes, and
 * attaching to a root one is allowed with a warning that it is unrestricted.
 * On the qemu backend a hot-plugged device always sits on a hot-pluggable
 * slot (a spare root port on q35, pci.0 on pc): the guest can unplug it, so
 * a guest_unplug=0 device must be given at create instead.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int refuse(struct plan_verdict *v, int rc, const char *bdf, const char *why)
{
    return verdict_refuse(v, rc, "pci %s: %s", bdf, why);
}

/* The first spare root port no device sits behind, or NULL. */
static const char *free_port(const struct dm_pci *pci)
{
    for (size_t i = 0; i < pci->ports.n; i++) {
        bool used = false;
        for (size_t j = 0; j < pci->n_devs; j++)
            used |= pci->devs[j].port && !strcmp(pci->devs[j].port, pci->ports.v[i]);
        if (!used)
            return pci->ports.v[i];
    }
    return NULL;
}

/* "hostdevN" with the lowest N no device of the domain has. */
static int next_id(const struct dm_pci *pci, char **ret)
{
    for (unsigned n = 0;; n++) {
        char id[24];
        snprintf(id, sizeof(id), "hostdev%u", n);
        bool used = false;
        for (size_t i = 0; i < pci->n_devs; i++)
            used |= !strcmp(pci->devs[i].id, id);
        if (!used)
            return (*ret = strdup(id)) ? 0 : -ENOMEM;
    }
}

static int attach_xen(const struct pci_attach_request *req, const char *bdf,
                      struct plan_verdict *v)
{
    char why[640];
    if (req->dm_uid != 0) {
        snprintf(why, sizeof(why), "domain %u's device model runs as %s (uid %u), not root, "
                 "and Xen PCI passthrough in QEMU needs root: it opens /dev/mem and writes "
                 "the device's config space in sysfs, which that user cannot. Nothing was "
                 "changed. To pass a device through on Xen, list it in the cfg's pci= and "
                 "create the domain with dm_restrict=0", req->domid, req->dm_user,
                 (unsigned)req->dm_uid);
        return refuse(v, LIBDMR_ERROR_REFUSED, bdf, why);
    }
    if (!req->dev.guest_unplug)
        return refuse(v, LIBDMR_ERROR_INVAL, bdf, "the xen backend (xenfv, i440fx) cannot stop "
                      "the guest from unplugging a device (guest_unplug=0)");
    return verdict_warn(v, "pci %s: domain %u's device model runs as root and is not "
                        "restricted: a guest that compromises it owns the host, and now "
                        "this device too", bdf, req->domid);
}

/* Where on the qemu backend: a spare root port (q35) or pci.0 (pc). */
static int attach_place(const struct pci_attach_request *req, const char *bdf,
                        struct pci_attach_plan *ret)
{
    const struct dm_pci *pci = req->pci;
    struct plan_verdict *v = &ret->verdict;
    if (!req->dev.guest_unplug)
        return refuse(v, LIBDMR_ERROR_INVAL, bdf, "guest_unplug=0 (asked, or the domain's "
                      "pci_guest_unplug=0), but a device hot-plugged at run time sits on a "
                      "hot-pluggable slot the guest can always empty: list it in the cfg's "
                      "pci= instead, where it is placed out of the guest's reach");
    if (pci->machine == LIBDMR_MACHINE_PC) {
        if (pci->root_bus_hotplug_off)
            return refuse(v, LIBDMR_ERROR_REFUSED, bdf, "ACPI hot-plug of this domain's root "
                          "bus is off (its devices have guest_unplug=0): nothing can be "
                          "hot-plugged into it");
        if (req->dev.has_vslot && (req->dev.vslot < 0x02 || req->dev.vslot > 0x1e))
            return refuse(v, LIBDMR_ERROR_INVAL, bdf, "slot must be 0x02 to 0x1e on pci.0");
        ret->on_root_bus = true;
        ret->root_slot = req->dev.has_vslot ? req->dev.vslot : 0;
        return 0;
    }
    if (req->dev.has_vslot)
        return refuse(v, LIBDMR_ERROR_INVAL, bdf, "@VSLOT: on q35, pcie.0 takes no "
                      "hot-plugged device; leave @VSLOT out and a spare root port is used");
    const char *port = free_port(pci);
    if (!port) {
        char why[256];
        snprintf(why, sizeof(why), "no free hot-plug root port left in domain %u (it has %zu): "
                 "create it with a larger pci_hotplug_ports", req->domid, pci->ports.n);
        return refuse(v, LIBDMR_ERROR_BUSY, bdf, why);
    }
    return (ret->dev.port = strdup(port)) ? 0 : -ENOMEM;
}

/* iommufd: the cdev (and /dev/iommu, the first time) handed over over QMP. */
static int attach_iommufd(const struct dm_pci *pci, const libdmr_facts *f,
                          const struct libdmr_pci_host *h, struct pci_attach_plan *ret)
{
    ret->dev.iommufd = true;
    if (!(ret->cdev_path = strdup(h->vfio_cdev)) ||
        (!pci->iommufd_object && !(ret->iommu_path = strdup(f->iommu_dev))))
        return -ENOMEM;
    return 0;
}

/* VFIO: the group viable, memory lockable, and the DM's chroot given it. */
static int attach_vfio(const struct pci_attach_request *req, const libdmr_facts *f,
                       struct pci_attach_plan *ret)
{
    const struct dm_pci *pci = req->pci;
    struct plan_verdict *v = &ret->verdict;
    if (f->n_pci != 1)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "the facts describe %zu PCI devices, not 1",
                              f->n_pci);
    const struct libdmr_pci_host *h = &f->pci[0];
    int r = plan_vfio_viable(v, h);
    if (r || v->refusal_rc)
        return r;
    ret->dev.has_group = true;
    ret->dev.group = h->group;
    /* Raising another process's hard limit takes CAP_SYS_RESOURCE. */
    uint64_t need = plan_vfio_memlock(req->memory_mb);
    if (need > pci->memlock) {
        if (!f->cap_sys_resource)
            return verdict_refuse(v, LIBDMR_ERROR_REFUSED, "pci %s: VFIO needs RLIMIT_MEMLOCK "
                "of %llu MiB (guest RAM + 1 GiB) for domain %u's device model, which has "
                "%llu KiB, and raising its hard limit needs CAP_SYS_RESOURCE, which xl-dmr "
                "lacks: run xl-dmr with it, or list the device in the cfg's pci=",
                h->bdf, (unsigned long long)(need >> 20), req->domid,
                (unsigned long long)(pci->memlock >> 10));
        ret->memlock = need;
    }
    if (plan_vfio_iommufd_usable(pci->qemu_iommufd, f, h, 1))
        return attach_iommufd(pci, f, h, ret);
    if (!pci->restricted)
        return 0;
    if (!f->vfio_container)
        return verdict_refuse(v, LIBDMR_ERROR_NOTFOUND,
                              "no /dev/vfio/vfio: is the vfio-pci module loaded?");
    bool group_present = false;
    for (size_t i = 0; i < pci->n_devs; i++)
        group_present |= pci->devs[i].has_group && pci->devs[i].group == h->group;
    r = pci->vfio_container ? 0 : plan_vfio_container_entry(f, &ret->chroot);
    return r ? r : plan_vfio_device_entries(h, group_present, req->dm_uid, req->dm_gid,
                                            &ret->chroot);
}

static int attach_fill(const struct pci_attach_request *req, const libdmr_facts *f,
                       struct pci_attach_plan *ret)
{
    const struct libdmr_pci_dev *d = &req->dev;
    struct plan_verdict *v = &ret->verdict;
    char bdf[16];
    snprintf(bdf, sizeof(bdf), LIBDMR_BDF_FMT, LIBDMR_BDF_ARGS(d));
    ret->dev.guest_unplug = d->guest_unplug;
    ret->dev.hotplugged = true;
    int r;
    if (!(ret->dev.bdf = strdup(bdf)) || (r = next_id(req->pci, &ret->dev.id)))
        return -ENOMEM;
    if (dm_pci_find(req->pci, bdf))
        return refuse(v, LIBDMR_ERROR_BUSY, bdf, "already attached to this domain");
    if (req->backend == LIBDMR_BACKEND_XEN) {
        /* libxl places it, at @VSLOT when one was given. */
        ret->root_slot = req->dev.has_vslot ? req->dev.vslot : 0;
        return attach_xen(req, bdf, v);
    }
    r = attach_place(req, bdf, ret);
    if (r || v->refusal_rc)
        return r;
    if (f->pci_standin) {
        if (!(ret->dev.standin = strdup(f->pci_standin)))
            return -ENOMEM;
        return verdict_warn(v, "test mode: an emulated %s stands in for %s, nothing is "
                            "passed through", f->pci_standin, bdf);
    }
    return attach_vfio(req, f, ret);
}

int plan_pci_attach(const struct pci_attach_request *req, const libdmr_facts *f,
                    struct pci_attach_plan *ret)
{
    *ret = (struct pci_attach_plan){ 0 };
    return attach_fill(req, f, ret);
}

void pci_attach_plan_clear(struct pci_attach_plan *p)
{
    verdict_clear(&p->verdict);
    free(p->dev.bdf);
    free(p->dev.id);
    free(p->dev.port);
    free(p->dev.standin);
    plan_chroot_clear(&p->chroot);
    free(p->cdev_path);
    free(p->iommu_path);
    *p = (struct pci_attach_plan){ 0 };
}

int plan_pci_detach(const struct dm_pci *pci, const char *bdf, struct pci_detach_plan *ret)
{
    *ret = (struct pci_detach_plan){ 0 };
    struct plan_verdict *v = &ret->verdict;
    const struct dm_pci_dev *dev = dm_pci_find(pci, bdf);
    if (!dev)
        return refuse(v, LIBDMR_ERROR_NOTFOUND, bdf, "not attached to this domain");
    if (!dev->guest_unplug)
        return refuse(v, LIBDMR_ERROR_REFUSED, bdf, "placed where nothing can unplug it "
                      "(guest_unplug=0: behind a hotplug=off root port, on pcie.0, or on a "
                      "root bus with ACPI hot-plug off); it goes when the domain does");
    ret->dev = dev;
    if (!pci->restricted || !dev->has_group || dev->standin || dev->iommufd)
        return 0;
    bool group_stays = false;
    for (size_t i = 0; i < pci->n_devs; i++)
        group_stays |= &pci->devs[i] != dev && pci->devs[i].has_group &&
                       pci->devs[i].group == dev->group;
    return plan_vfio_device_removal(dev->bdf, dev->group, group_stays, &ret->chroot);
}

void pci_detach_plan_clear(struct pci_detach_plan *p)
{
    verdict_clear(&p->verdict);
    plan_chroot_clear(&p->chroot);
    *p = (struct pci_detach_plan){ 0 };
}
