/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VFIO passthrough that stays unprivileged (qemu backend), as libvirt's
 * session mode does it. A device can be given only when its whole IOMMU
 * group is viable: every endpoint bound to vfio-pci or pci-stub (bridges
 * need no driver; no ACS probe, VFIO itself enforces isolation), the
 * device itself to vfio-pci. QEMU 7.2's vfio-pci opens /dev/vfio/vfio,
 * /dev/vfio/<group> and the device's sysfs directory by path, so a
 * restricted DM's chroot holds exactly those: in its private mount
 * namespace a tmpfs over the chroot, the two nodes made there by mknod
 * (the group's owned by the DM; a bind mount would share the host's inode,
 * and a chown would change it), and the sysfs directory bound read-only.
 * Pure: sysfs was read by facts_pci.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int refuse(struct plan_verdict *v, int rc, const char *bdf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(struct plan_verdict *v, int rc, const char *bdf, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return verdict_refuse(v, rc, "pci %s: %s", bdf, why);
}

static bool endpoint_driver_ok(const char *driver)
{
    return driver && (!strcmp(driver, "vfio-pci") || !strcmp(driver, "pci-stub"));
}

int plan_vfio_viable(struct plan_verdict *v, const struct libdmr_pci_host *h)
{
    if (!h->present)
        return refuse(v, LIBDMR_ERROR_NOTFOUND, h->bdf, "no such device in sysfs");
    if (!h->has_group)
        return refuse(v, LIBDMR_ERROR_REFUSED, h->bdf, "no IOMMU group: the IOMMU is off "
                      "or absent (intel_iommu=on / amd_iommu=on)");
    if (!h->driver || strcmp(h->driver, "vfio-pci"))
        return refuse(v, LIBDMR_ERROR_REFUSED, h->bdf, "bound to %s, not vfio-pci "
                      "(xl-dmr pci-assignable-add binds it)", h->driver ? h->driver : "no driver");
    for (size_t i = 0; i < h->n_members; i++) {
        const struct libdmr_pci_member *m = &h->members[i];
        if (m->bridge || endpoint_driver_ok(m->driver))
            continue;
        char group[64];
        snprintf(group, sizeof(group), "IOMMU group %u is not viable", h->group);
        return refuse(v, LIBDMR_ERROR_REFUSED, h->bdf,
                      "%s: its member %s is bound to %s; it must be bound to vfio-pci "
                      "or pci-stub", group, m->bdf, m->driver ? m->driver : "no driver");
    }
    if (!h->group_node)
        return refuse(v, LIBDMR_ERROR_NOTFOUND, h->bdf, "no /dev/vfio/%u", h->group);
    return 0;
}

void plan_chroot_clear(struct plan_chroot *ch)
{
    for (size_t i = 0; i < ch->n; i++) {
        free(ch->v[i].path);
        free(ch->v[i].source);
    }
    free(ch->v);
    *ch = (struct plan_chroot){ 0 };
}

static int chroot_add(struct plan_chroot *ch, struct plan_chroot_entry e, bool has_source)
{
    struct plan_chroot_entry *grown = realloc(ch->v, (ch->n + 1) * sizeof(*grown));
    if (!grown) {
        free(e.path);
        free(e.source);
        return -ENOMEM;
    }
    ch->v = grown;
    grown[ch->n++] = e;
    return e.path && (!has_source || e.source) ? 0 : -ENOMEM;
}

static int chroot_add_fmt(struct plan_chroot *ch, enum plan_chroot_kind kind,
                          const char *source, unsigned major, unsigned minor, unsigned mode,
                          uid_t uid, gid_t gid, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));
static int chroot_add_fmt(struct plan_chroot *ch, enum plan_chroot_kind kind,
                          const char *source, unsigned major, unsigned minor, unsigned mode,
                          uid_t uid, gid_t gid, const char *fmt, ...)
{
    char path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return chroot_add(ch, (struct plan_chroot_entry){
        .kind = kind, .path = strdup(path), .source = strdup_or_null(source),
        .major = major, .minor = minor, .mode = mode, .uid = uid, .gid = gid }, source);
}

int plan_vfio_device_entries(const struct libdmr_pci_host *h,
                             bool group_present, uid_t uid, gid_t gid, struct plan_chroot *ch)
{
    int r = 0;
    if (!group_present)
        r = chroot_add_fmt(ch, PLAN_CHROOT_CHARDEV, NULL, h->group_major, h->group_minor,
                           0600, uid, gid, "/dev/vfio/%u", h->group);
    if (!r)
        r = chroot_add_fmt(ch, PLAN_CHROOT_BIND_RO, h->sysfs_dir, 0, 0, 0555, 0, 0,
                           "/sys/bus/pci/devices/%s", h->bdf);
    return r;
}

int plan_vfio_device_removal(const char *bdf, unsigned group, bool group_stays,
                             struct plan_chroot *ch)
{
    /* Only paths matter to chroot_depopulate. */
    int r = chroot_add_fmt(ch, PLAN_CHROOT_BIND_RO, NULL, 0, 0, 0555, 0, 0,
                           "/sys/bus/pci/devices/%s", bdf);
    if (!r && !group_stays)
        r = chroot_add_fmt(ch, PLAN_CHROOT_CHARDEV, NULL, 0, 0, 0600, 0, 0, "/dev/vfio/%u", group);
    return r;
}

int plan_vfio_container_entry(const libdmr_facts *f, struct plan_chroot *ch)
{
    return chroot_add_fmt(ch, PLAN_CHROOT_CHARDEV, NULL, f->vfio_major, f->vfio_minor, 0666,
                          0, 0, "%s", "/dev/vfio/vfio");
}

/* What the chroot holds for the groups: made in the DM's namespace at spawn. */
static int plan_chroot_groups(const libdmr_facts *f, libdmr_plan *p)
{
    if (!f->vfio_container)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_NOTFOUND,
                              "no /dev/vfio/vfio: is the vfio-pci module loaded?");
    int r = plan_vfio_container_entry(f, &p->chroot_contents);
    for (size_t i = 0; !r && i < f->n_pci; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= f->pci[j].group == f->pci[i].group;
        r = plan_vfio_device_entries(&f->pci[i], seen, p->id.uid, p->id.gid, &p->chroot_contents);
    }
    return r;
}

bool plan_vfio_iommufd_usable(bool qemu_iommufd, const libdmr_facts *f,
                              const struct libdmr_pci_host *h, size_t n)
{
    if (!qemu_iommufd || !f->iommu_dev)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!h[i].vfio_cdev)
            return false;
    return true;
}

/*
 * VFIO through iommufd (QEMU 9.0+, kernel 6.6+): /dev/iommu and each
 * device's cdev are opened here and handed over, so the DM opens nothing
 * of VFIO's by path and its chroot stays empty. Viability still matters:
 * the kernel binds a cdev only when its group is viable.
 */
static int plan_iommufd(const libdmr_facts *f, libdmr_plan *p)
{
    int r = plan_resource_add(p, PLAN_RES_IOMMUFD, "iommufd0", f->iommu_dev, true, 0,
                              &p->iommufd_fd);
    for (size_t i = 0; !r && i < p->n_pci; i++)
        r = plan_resource_add(p, PLAN_RES_VFIO_DEVICE, p->pci[i].id, f->pci[i].vfio_cdev,
                              true, 0, &p->pci[i].cdev_fd);
    return r ? r : verdict_notice(&p->verdict, "VFIO through iommufd: /dev/iommu and each "
                                  "device's VFIO node are handed over as descriptors; the "
                                  "chroot holds nothing of VFIO's");
}

/*
 * A restricted DM's chroot is an empty tmpfs of its own, root's, made in
 * its mount namespace: the host's directory stays empty, and pci-attach
 * can later add a device's nodes to it from inside that namespace.
 */
int plan_vfio(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    if (p->backend != LIBDMR_BACKEND_QEMU)
        return 0;
    p->qemu_iommufd = f->qemu.vfio_iommufd;
    if (p->restricted) {
        p->chroot_mode = 0755;
        int r = chroot_add_fmt(&p->chroot_contents, PLAN_CHROOT_TMPFS, NULL, 0, 0, 0755, 0, 0, "%s", "/");
        if (r)
            return r;
    }
    if (!c->n_pci)
        return 0;
    if (f->pci_standin) {
        for (size_t i = 0; i < p->n_pci; i++)
            p->pci[i].standin = f->pci_standin;
        return verdict_warn(&p->verdict, "test mode: each PCI device is an emulated %s "
                            "standing in for it, nothing is passed through", f->pci_standin);
    }
    if (f->n_pci != c->n_pci)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL,
                              "the facts describe %zu PCI devices, the config %zu",
                              f->n_pci, c->n_pci);
    for (size_t i = 0; i < f->n_pci; i++) {
        int r = plan_vfio_viable(&p->verdict, &f->pci[i]);
        if (r || p->verdict.refusal_rc)
            return r;
        p->pci[i].has_group = true;
        p->pci[i].group = f->pci[i].group;
    }
    if (plan_vfio_iommufd_usable(f->qemu.vfio_iommufd, f, f->pci, f->n_pci))
        return plan_iommufd(f, p);
    return p->restricted ? plan_chroot_groups(f, p) : 0;
}
