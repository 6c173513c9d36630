/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qemu backend's NICs (xl's vif). QEMU opens nothing for them: the
 * toolstack makes each tap through /dev/net/tun, names it, puts it on its
 * bridge and up (net_tap.c), and hands QEMU the descriptor
 * (-netdev tap,fd=N), as libvirt's virNetDevTapCreateInBridgePort does.
 * Each tap is a resource of the plan. Decided here, from the config and
 * the facts (facts_net.c: the bridge exists and is one, the tap's name is
 * free, the random MAC xl would pick); pure.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define TAP_NAME_MAX 15    /* IFNAMSIZ - 1 */
#define PLAN_NICS_MAX 16

int plan_tap_name(const struct libdmr_nic *nic, uint32_t domid, size_t index, char ret[16])
{
    /* libxl names a vif's emulated twin "vif<domid>.<devid>-emu"; there
     * is no PV vif here to share a vifname with, so vifname is the tap's. */
    int n = nic->ifname ? snprintf(ret, TAP_NAME_MAX + 1, "%s", nic->ifname)
                        : snprintf(ret, TAP_NAME_MAX + 1, "vif%u.%zu-emu", domid, index);
    return n < 0 || n > TAP_NAME_MAX ? -ENAMETOOLONG : 0;
}

void mac_format(const uint8_t m[6], char ret[18])
{
    snprintf(ret, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* xl's model names and the QEMU device each is; libxl's default first. */
static const struct nic_model {
    const char *name;
    const char *device;
    bool vnet_hdr;         /* virtio-net takes checksum/GSO offloads through it */
} nic_models[] = {
    { "rtl8139", "rtl8139", false },
    { "e1000", "e1000", false },
    { "e1000e", "e1000e", false },
    { "virtio-net", "virtio-net-pci", true },
    { "virtio-net-pci", "virtio-net-pci", true },
};

static const struct nic_model *nic_model_find(const char *name)
{
    for (size_t i = 0; i < ELEMENTSOF(nic_models); i++)
        if (!strcmp(nic_models[i].name, name ? name : nic_models[0].name))
            return &nic_models[i];
    return NULL;
}

void plan_net_clear(libdmr_plan *p)
{
    for (size_t i = 0; i < p->n_taps; i++) {
        free(p->taps[i].ifname);
        free(p->taps[i].bridge);
    }
    free(p->taps);
    p->taps = NULL;
    p->n_taps = 0;
}

/* What the facts say against NIC i, or 0 with the plan's tap made. */
static int plan_one_tap(const struct libdmr_nic *nic, const struct libdmr_nic_facts *nf,
                        size_t i, libdmr_plan *p)
{
    struct plan_verdict *v = &p->verdict;
    const struct nic_model *model = nic_model_find(nic->model);
    if (!model)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "vif %zu: model %s is not one the qemu "
                              "backend emulates (rtl8139, e1000, e1000e, virtio-net)", i,
                              nic->model);
    if (nf->bridge_state == LIBDMR_BRIDGE_ABSENT)
        return verdict_refuse(v, LIBDMR_ERROR_NOTFOUND, "vif %zu: bridge %s does not exist "
                              "(in the toolstack's network namespace)", i, nf->bridge);
    if (nf->bridge_state == LIBDMR_BRIDGE_NOT_A_BRIDGE)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "vif %zu: %s is not a bridge", i,
                              nf->bridge);
    if (nf->ifname_in_use)
        return verdict_refuse(v, LIBDMR_ERROR_BUSY, "vif %zu: an interface named %s exists "
                              "already", i, nf->ifname);
    for (size_t j = 0; j < p->n_taps; j++)
        if (!strcmp(p->taps[j].ifname, nf->ifname))
            return verdict_refuse(v, LIBDMR_ERROR_INVAL, "vif %zu: tap name %s is vif %zu's "
                                  "too", i, nf->ifname, j);
    struct plan_tap *t = &p->taps[p->n_taps];
    *t = (struct plan_tap){ .ifname = strdup(nf->ifname), .bridge = strdup(nf->bridge),
                            .device = model->device, .vnet_hdr = model->vnet_hdr,
                            .resource = -1 };
    memcpy(t->mac, nic->has_mac ? nic->mac : nf->random_mac, 6);
    p->n_taps++;
    return t->ifname && t->bridge ? 0 : -ENOMEM;
}

/* Two cards with one MAC confuse every switch and the guest's own stack. */
static int refuse_mac_twice(libdmr_plan *p)
{
    for (size_t i = 0; i < p->n_taps; i++)
        for (size_t j = 0; j < i; j++)
            if (!memcmp(p->taps[i].mac, p->taps[j].mac, 6)) {
                char mac[18];
                mac_format(p->taps[i].mac, mac);
                return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL, "vif %zu and vif %zu "
                                      "have the same mac %s", j, i, mac);
            }
    return 0;
}

int plan_net(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    if (p->backend != LIBDMR_BACKEND_QEMU || !c->n_nics)
        return 0;
    /* One fact per NIC, of this domid (its taps' default names). */
    if (f->n_nics != c->n_nics || f->domid != p->domid)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL, "the facts have no network "
                              "facts for this config's %zu vif(s) and domid %u: gather them "
                              "again", c->n_nics, p->domid);
    /* A PCI bus has 32 slots; the audit tells taps apart up to 64. */
    if (c->n_nics > PLAN_NICS_MAX)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL, "%zu vifs: the qemu backend "
                              "gives a guest at most %d", c->n_nics, PLAN_NICS_MAX);
    if (!(p->taps = calloc(c->n_nics, sizeof(*p->taps))))
        return -ENOMEM;
    int r = 0;
    for (size_t i = 0; !r && !p->verdict.refusal_rc && i < c->n_nics; i++)
        r = plan_one_tap(&c->nics[i], &f->nics[i], i, p);
    if (!r && !p->verdict.refusal_rc)
        r = refuse_mac_twice(p);
    return r;
}

/* After the disks: each tap's descriptor, passed as fd=N (no fdset). */
int plan_net_resources(libdmr_plan *p)
{
    for (size_t i = 0; i < p->n_taps; i++) {
        p->taps[i].resource = (int)p->n_resources;
        int r = plan_resource_add(p, PLAN_RES_TAP, p->taps[i].ifname, "/dev/net/tun", true,
                                  0, NULL);
        if (r)
            return r;
    }
    return 0;
}
