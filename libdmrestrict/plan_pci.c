/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI topology for the qemu backend (vfio-pci on q35), and whether the
 * guest may unplug each device. A guest can only unplug what sits on a
 * hot-pluggable slot: on q35 a device either gets a pcie-root-port of its
 * own (hotplug on or off), or sits on pcie.0 as an integrated endpoint,
 * which no guest can unplug. On pc (i440fx) every slot of pci.0 is
 * hot-pluggable through ACPI; it can only be turned off for the whole bus.
 * A user-given slot (@VSLOT) that contradicts the wish is an error, not a
 * hint. On the xen backend libxl places the devices.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ROOT_SLOT_FIRST 0x02   /* 00.0 is the host bridge */
#define ROOT_SLOT_LAST  0x1e   /* 1f.x is the ICH9 LPC/SATA/SMBus */

struct slot_map {
    bool used[ROOT_SLOT_LAST + 1];
};

static int slot_take_free(struct slot_map *m)
{
    for (int s = ROOT_SLOT_FIRST; s <= ROOT_SLOT_LAST; s++)
        if (!m->used[s]) {
            m->used[s] = true;
            return s;
        }
    return -1;
}

static int pci_refuse(libdmr_plan *p, const struct libdmr_pci_dev *d,
                      const char *why)
{
    char slot[8] = "";
    if (d->has_vslot)
        snprintf(slot, sizeof(slot), "@%x", d->vslot);
    return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL,
                          "pci " LIBDMR_BDF_FMT "%s: %s", LIBDMR_BDF_ARGS(d), slot, why);
}

/* User-given slots first, so automatic ones go around them. */
static int reserve_user_slots(const libdmr_config *c, libdmr_plan *p,
                              struct slot_map *m)
{
    for (size_t i = 0; i < c->n_pci; i++) {
        const struct libdmr_pci_dev *d = &c->pci[i];
        if (!d->has_vslot)
            continue;
        if (d->vslot < ROOT_SLOT_FIRST || d->vslot > ROOT_SLOT_LAST)
            return pci_refuse(p, d, p->machine == LIBDMR_MACHINE_Q35
                                        ? "slot must be 0x02 to 0x1e on pcie.0"
                                        : "slot must be 0x02 to 0x1e on pci.0");
        if (m->used[d->vslot])
            return pci_refuse(p, d, "slot already taken by another device");
        if (p->machine == LIBDMR_MACHINE_Q35 && d->guest_unplug)
            return pci_refuse(p, d, "a device at a slot of pcie.0 is an "
                              "integrated endpoint the guest cannot unplug, "
                              "but guest_unplug=1; drop @VSLOT or set guest_unplug=0");
        m->used[d->vslot] = true;
    }
    return 0;
}

static int place_q35(const struct libdmr_pci_dev *d, const libdmr_facts *f,
                     struct slot_map *m, struct plan_pci *out, unsigned *chassis)
{
    if (d->has_vslot) {
        out->root_slot = d->vslot;
        return 0;
    }
    int slot = slot_take_free(m);
    if (slot < 0)
        return -ENOSPC;
    out->root_slot = slot;
    /* Without a hotplug=off port, pcie.0 is the only slot a guest can't empty. */
    if (!d->guest_unplug && !f->qemu.root_port_hotplug)
        return 0;
    out->chassis = (*chassis)++;
    out->port_hotplug = d->guest_unplug;
    return asprintf(&out->port, "rp%u", out->chassis) < 0 ? (out->port = NULL, -ENOMEM) : 0;
}

static int place_pc(const struct libdmr_pci_dev *d, struct plan_pci *out)
{
    out->root_slot = d->has_vslot ? d->vslot : 0;  /* 0: QEMU picks */
    return 0;
}

/*
 * On pc, ACPI hot-plug can only be turned off for the whole root bus
 * (PIIX4_PM.acpi-root-pci-hotplug=off): all devices or none.
 */
static int plan_pc_hotplug(const libdmr_config *c, libdmr_plan *p)
{
    size_t denied = 0;
    for (size_t i = 0; i < c->n_pci; i++)
        denied += !c->pci[i].guest_unplug;
    if (!denied)
        return 0;
    if (denied < c->n_pci)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL,
            "machine pc can stop guest unplug only for the whole root bus, and "
            "some devices here allow it (guest_unplug=1): use machine=\"q35\", "
            "or the same guest_unplug for all");
    p->root_bus_hotplug_off = true;
    return verdict_warn(&p->verdict, "machine pc: ACPI hot-plug of the whole root bus "
                        "is off, so the guest cannot unplug its devices, and nothing "
                        "can be hot-plugged into it either");
}

static int place_devices(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p,
                         struct slot_map *slots, unsigned *chassis)
{
    p->pci = c->n_pci ? calloc(c->n_pci, sizeof(*p->pci)) : NULL;
    if (c->n_pci && !p->pci)
        return -ENOMEM;
    int r = p->backend == LIBDMR_BACKEND_QEMU ? reserve_user_slots(c, p, slots) : 0;
    if (!r && !p->verdict.refusal_rc && p->backend == LIBDMR_BACKEND_QEMU &&
        p->machine == LIBDMR_MACHINE_PC)
        r = plan_pc_hotplug(c, p);
    for (size_t i = 0; !r && !p->verdict.refusal_rc && i < c->n_pci; i++) {
        const struct libdmr_pci_dev *d = &c->pci[i];
        struct plan_pci *out = &p->pci[p->n_pci++];
        *out = (struct plan_pci){ .domain = d->domain, .bus = d->bus, .dev = d->dev,
                                  .func = d->func, .guest_unplug = d->guest_unplug };
        if (asprintf(&out->id, "hostdev%zu", i) < 0) {
            out->id = NULL;
            return -ENOMEM;
        }
        if (p->backend != LIBDMR_BACKEND_QEMU) {
            /* libxl puts passthrough on xenfv's i440fx bus (at @VSLOT, if
             * given): all hot-pluggable. */
            out->root_slot = d->has_vslot ? d->vslot : 0;
            if (!d->guest_unplug)
                r = pci_refuse(p, d, "the xen backend (xenfv, i440fx) cannot stop "
                               "the guest from unplugging a device; use "
                               "dm_backend=\"qemu\" with machine=\"q35\"");
            continue;
        }
        r = p->machine == LIBDMR_MACHINE_Q35 ? place_q35(d, f, slots, out, chassis)
                                             : place_pc(d, out);
        if (r == -ENOSPC)
            r = pci_refuse(p, d, "no free slot left on pcie.0");
    }
    return r;
}

/*
 * pcie.0 takes no hot-plugged device, so pci-attach on q35 needs empty
 * hot-pluggable root ports, made at start (as libvirt adds spare ones).
 * On pc, devices are hot-plugged into pci.0 itself; on the xen backend
 * libxl places them: there an explicit count is an error, not ignored.
 */
static int plan_hotplug_ports(const libdmr_config *c, libdmr_plan *p, struct slot_map *slots,
                              unsigned *chassis)
{
    bool q35 = p->backend == LIBDMR_BACKEND_QEMU && p->machine == LIBDMR_MACHINE_Q35;
    long n = c->pci_hotplug_ports < 0 ? (q35 ? LIBDMR_HOTPLUG_PORTS_DEFAULT : 0)
                                      : c->pci_hotplug_ports;
    if (n > 0 && !q35)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL,
            "pci_hotplug_ports applies to machine=\"q35\" on the qemu backend; %s",
            p->backend != LIBDMR_BACKEND_QEMU ? "on the xen backend libxl places "
            "hot-plugged devices" : "on pc they are hot-plugged into pci.0 itself");
    if (n <= 0)
        return 0;
    p->hotplug_ports = calloc(n, sizeof(*p->hotplug_ports));
    if (!p->hotplug_ports)
        return -ENOMEM;
    for (long i = 0; i < n; i++) {
        int slot = slot_take_free(slots);
        if (slot < 0)
            return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL,
                "pci_hotplug_ports=%ld: only %ld slots of pcie.0 are left for them", n, i);
        struct plan_port *port = &p->hotplug_ports[p->n_hotplug_ports++];
        *port = (struct plan_port){ .chassis = (*chassis)++, .root_slot = slot };
        if (asprintf(&port->id, "hp%ld", i + 1) < 0) {
            port->id = NULL;
            return -ENOMEM;
        }
    }
    return 0;
}

int plan_pci(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    struct slot_map slots = { 0 };
    unsigned chassis = 1;
    p->pci_guest_unplug = c->pci_guest_unplug;
    int r = place_devices(c, f, p, &slots, &chassis);
    if (!r && !p->verdict.refusal_rc)
        r = plan_hotplug_ports(c, p, &slots, &chassis);
    return r;
}
