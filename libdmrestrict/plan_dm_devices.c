/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devices the device model makes for itself from the toolstack's config.
 * On the xen backend libxl has qemu-xen open them: a tap through
 * /dev/net/tun for each HVM vif (-netdev tap,ifname=,br=,script=no), and a
 * listening TCP socket for vnc (-vnc ADDR:DISPLAY[,to=99]). The toolstack
 * opens nothing for them, so they are no resources; they are in the plan
 * so that the audit accepts exactly their descriptors and nothing more of
 * the kind. The qemu backend makes each NIC's tap itself and hands it
 * over (plan_net.c); its VNC server is planned with the display
 * (plan_display.c), from the same keys. Pure.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int inet_addr_mapped(const char *text, uint8_t ret[16])
{
    uint8_t v4[4];
    if (inet_pton(AF_INET, text, v4) == 1) {
        static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
        memcpy(ret, mapped, sizeof(mapped));
        memcpy(ret + 12, v4, sizeof(v4));
        return 0;
    }
    return inet_pton(AF_INET6, text, ret) == 1 ? 0 : -EINVAL;
}

void plan_dm_devices_clear(struct plan_libxl *x)
{
    for (size_t i = 0; i < x->n_nics; i++) {
        free(x->nics[i].ifname);
        free(x->nics[i].bridge);
        free(x->nics[i].model);
    }
    free(x->nics);
    x->nics = NULL;
    x->n_nics = 0;
    free(x->vnc.listen);
    x->vnc = (struct plan_vnc){ 0 };
}

static int plan_nics(const libdmr_config *c, struct plan_libxl *x)
{
    if (c->n_nics && !(x->nics = calloc(c->n_nics, sizeof(*x->nics))))
        return -ENOMEM;
    for (size_t i = 0; i < c->n_nics; i++) {
        const struct libdmr_nic *in = &c->nics[i];
        struct plan_nic *out = &x->nics[x->n_nics++];
        *out = (struct plan_nic){ .ifname = strdup_or_null(in->ifname),
                                  .bridge = strdup_or_null(in->bridge),
                                  .model = strdup_or_null(in->model) };
        if ((in->ifname && !out->ifname) || (in->bridge && !out->bridge) ||
            (in->model && !out->model))
            return -ENOMEM;
    }
    return 0;
}

/* Every address of the host (0.0.0.0, ::, ::ffff:0.0.0.0)? */
static bool address_is_wildcard(const uint8_t addr[16])
{
    static const uint8_t any6[16], any4[16] = { [10] = 0xff, [11] = 0xff };
    return !memcmp(addr, any6, 16) || !memcmp(addr, any4, 16);
}

int plan_vnc_fill(const libdmr_config *c, struct plan_vnc *vnc, struct plan_verdict *v)
{
    const char *listen = c->vnc.listen ? c->vnc.listen : "127.0.0.1";
    uint8_t addr[16];
    if (!c->vnc.enabled)
        return 0;
    /* The setter took only addresses in numbers. */
    if (inet_addr_mapped(listen, addr))
        return verdict_refuse(v, LIBDMR_ERROR_INVAL,
                              "vnclisten \"%s\" is not an IPv4 or IPv6 address", listen);
    /* libxl's "to=99": QEMU tries displays up to 99 (the setter kept
     * display at most that with find_unused). */
    int last = c->vnc.find_unused && c->vnc.display < LIBDMR_VNC_UNUSED_LAST
                   ? LIBDMR_VNC_UNUSED_LAST : c->vnc.display;
    *vnc = (struct plan_vnc){
        .listen = strdup(listen), .display = c->vnc.display, .find_unused = c->vnc.find_unused,
        .port_min = LIBDMR_VNC_PORT_BASE + c->vnc.display, .port_max = LIBDMR_VNC_PORT_BASE + last };
    if (!vnc->listen)
        return -ENOMEM;
    if (!address_is_wildcard(addr))
        return 0;
    return verdict_warn(v, "vnc listens on every address of the host (%s): "
                        "whoever reaches the host reaches the guest's display", listen);
}

int plan_dm_devices(const libdmr_config *c, libdmr_plan *p)
{
    int r = plan_display(c, p);
    /* The qemu backend's NICs are plan_net.c's. */
    if (r || p->verdict.refusal_rc || p->backend == LIBDMR_BACKEND_QEMU)
        return r;
    /* libxl picks the MAC of the NICs it has qemu-xen make: a chosen one
     * would be dropped, so it is refused. */
    for (size_t i = 0; i < c->n_nics; i++)
        if (c->nics[i].has_mac)
            return verdict_refuse(&p->verdict, LIBDMR_ERROR_NI, "vif %zu: mac is not carried "
                                  "to libxl by the xen backend's plan (libxl picks it)", i);
    r = plan_nics(c, &p->libxl);
    return r ? r : plan_vnc_fill(c, &p->libxl.vnc, &p->verdict);
}
