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

static int refuse(libdmr_plan *p, int rc, const char *bdf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(libdmr_plan *p, int rc, const char *bdf, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return verdict_refuse(&p->verdict, rc, "pci %s: %s", bdf, why);
}

static bool endpoint_driver_ok(const char *driver)
{
    return driver && (!strcmp(driver, "vfio-pci") || !strcmp(driver, "pci-stub"));
}

/* Is this device's IOMMU group one VFIO will hand out? */
static int check_viable(libdmr_plan *p, const struct libdmr_pci_host *h)
{
    if (!h->present)
        return refuse(p, LIBDMR_ERROR_NOTFOUND, h->bdf, "no such device in sysfs");
    if (!h->has_group)
        return refuse(p, LIBDMR_ERROR_REFUSED, h->bdf, "no IOMMU group: the IOMMU is off "
                      "or absent (intel_iommu=on / amd_iommu=on)");
    if (!h->driver || strcmp(h->driver, "vfio-pci"))
        return refuse(p, LIBDMR_ERROR_REFUSED, h->bdf, "bound to %s, not vfio-pci "
                      "(xl-dmr pci-assignable-add binds it)", h->driver ? h->driver : "no driver");
    for (size_t i = 0; i < h->n_members; i++) {
        const struct libdmr_pci_member *m = &h->members[i];
        if (m->bridge || endpoint_driver_ok(m->driver))
            continue;
        char group[64];
        snprintf(group, sizeof(group), "IOMMU group %u is not viable", h->group);
        return refuse(p, LIBDMR_ERROR_REFUSED, h->bdf,
                      "%s: its member %s is bound to %s; it must be bound to vfio-pci "
                      "or pci-stub", group, m->bdf, m->driver ? m->driver : "no driver");
    }
    if (!h->group_node)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_NOTFOUND, "pci %s: no /dev/vfio/%u",
                              h->bdf, h->group);
    return 0;
}

static int chroot_add(libdmr_plan *p, struct plan_chroot_entry e)
{
    struct plan_chroot_entry *grown =
        realloc(p->chroot_contents, (p->n_chroot_contents + 1) * sizeof(*grown));
    if (!grown) {
        free(e.path);
        free(e.source);
        return -ENOMEM;
    }
    p->chroot_contents = grown;
    grown[p->n_chroot_contents++] = e;
    return e.path && (e.kind != PLAN_CHROOT_BIND_RO || e.source) ? 0 : -ENOMEM;
}

static int chroot_add_fmt(libdmr_plan *p, enum plan_chroot_kind kind, const char *source,
                          unsigned major, unsigned minor, unsigned mode, uid_t uid, gid_t gid,
                          const char *fmt, ...) __attribute__((format(printf, 9, 10)));
static int chroot_add_fmt(libdmr_plan *p, enum plan_chroot_kind kind, const char *source,
                          unsigned major, unsigned minor, unsigned mode, uid_t uid, gid_t gid,
                          const char *fmt, ...)
{
    char path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return chroot_add(p, (struct plan_chroot_entry){
        .kind = kind, .path = strdup(path), .source = strdup_or_null(source),
        .major = major, .minor = minor, .mode = mode, .uid = uid, .gid = gid });
}

/* What the chroot holds for the groups: made in the DM's namespace at spawn. */
static int plan_chroot_contents(const libdmr_facts *f, libdmr_plan *p)
{
    if (!f->vfio_container)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_NOTFOUND,
                              "no /dev/vfio/vfio: is the vfio-pci module loaded?");
    p->chroot_mode = 0755;
    int r = chroot_add_fmt(p, PLAN_CHROOT_TMPFS, NULL, 0, 0, 0755, 0, 0, "%s", "/");
    if (!r)
        r = chroot_add_fmt(p, PLAN_CHROOT_CHARDEV, NULL, f->vfio_major, f->vfio_minor, 0666,
                           0, 0, "%s", "/dev/vfio/vfio");
    for (size_t i = 0; !r && i < f->n_pci; i++) {
        const struct libdmr_pci_host *h = &f->pci[i];
        char group[16];
        snprintf(group, sizeof(group), "%u", h->group);
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= f->pci[j].group == h->group;
        if (!seen)
            r = chroot_add_fmt(p, PLAN_CHROOT_CHARDEV, NULL, h->group_major, h->group_minor,
                               0600, p->id.uid, p->id.gid, "/dev/vfio/%s", group);
        if (!r)
            r = chroot_add_fmt(p, PLAN_CHROOT_BIND_RO, h->sysfs_dir, 0, 0, 0555, 0, 0,
                               "/sys/bus/pci/devices/%s", h->bdf);
    }
    return r;
}

int plan_vfio(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    if (p->backend != LIBDMR_BACKEND_QEMU || !c->n_pci)
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
        int r = check_viable(p, &f->pci[i]);
        if (r || p->verdict.refusal_rc)
            return r;
    }
    return p->restricted ? plan_chroot_contents(f, p) : 0;
}
