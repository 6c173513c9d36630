/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Network facts for the qemu backend's NICs, in the toolstack's own
 * network namespace (where create makes the taps): does each NIC's
 * bridge exist and is it a bridge, is its tap's name free, and the random
 * MAC xl would give a NIC without one. Asked through ioctls on a socket
 * (SIOCGIFINDEX; SIOCETHTOOL's driver name, "bridge" for a Linux
 * bridge), not through /sys/class/net, which shows the namespace sysfs
 * was mounted in. The MAC is drawn here, the only impure input, so the
 * plan stays a function of config and facts (xl draws it in libxl's
 * setdefault: 00:16:3e and 23 random bits). Read-only.
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "internal.h"

/* ifr_name of ifname (at most IFNAMSIZ - 1, checked by the config). */
static void ifreq_named(struct ifreq *ifr, const char *ifname)
{
    memset(ifr, 0, sizeof(*ifr));
    snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
}

/* 1: an interface of that name exists; 0: none; -errno. */
static int interface_exists(int sock, const char *ifname)
{
    struct ifreq ifr;
    ifreq_named(&ifr, ifname);
    if (ioctl(sock, SIOCGIFINDEX, &ifr) == 0)
        return 1;
    return errno == ENODEV ? 0 : -errno;
}

static int bridge_state(int sock, const char *bridge, enum libdmr_bridge_state *ret)
{
    int r = interface_exists(sock, bridge);
    if (r <= 0) {
        *ret = LIBDMR_BRIDGE_ABSENT;
        return r;
    }
    struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
    struct ifreq ifr;
    ifreq_named(&ifr, bridge);
    ifr.ifr_data = (void *)&info;
    /* A device without ethtool operations (lo) is no bridge either. */
    bool is_bridge = ioctl(sock, SIOCETHTOOL, &ifr) == 0 && !strcmp(info.driver, "bridge");
    *ret = is_bridge ? LIBDMR_BRIDGE_OK : LIBDMR_BRIDGE_NOT_A_BRIDGE;
    return 0;
}

static int random_mac(uint8_t mac[6])
{
    uint8_t r[3];
    if (getrandom(r, sizeof(r), 0) != sizeof(r))
        return -EIO;
    const uint8_t m[6] = { 0x00, 0x16, 0x3e, r[0] & 0x7f, r[1], r[2] };
    memcpy(mac, m, 6);
    return 0;
}

static int nic_facts(libdmr_ctx *ctx, int sock, const struct libdmr_nic *nic, uint32_t domid,
                     size_t index, struct libdmr_nic_facts *nf)
{
    char ifname[16];
    if (plan_tap_name(nic, domid, index, ifname))
        return -ENAMETOOLONG;
    nf->bridge = strdup(nic->bridge ? nic->bridge : LIBDMR_BRIDGE_DEFAULT);
    nf->ifname = strdup(ifname);
    if (!nf->bridge || !nf->ifname)
        return -ENOMEM;
    int r = bridge_state(sock, nf->bridge, &nf->bridge_state);
    int in_use = r ? r : interface_exists(sock, nf->ifname);
    if (in_use < 0) {
        LOGEV(ERROR, -in_use, "looking for the network interfaces of vif %zu", index);
        return in_use;
    }
    nf->ifname_in_use = in_use;
    if (random_mac(nf->random_mac)) {
        LOGE(ERROR, "drawing a random mac for vif %zu", index);
        return -EIO;
    }
    return 0;
}

int facts_net_gather(libdmr_ctx *ctx, const libdmr_config *c, libdmr_facts *f)
{
    if (!c->n_nics || plan_backend_choose(c, f->xen_dom0) != LIBDMR_BACKEND_QEMU)
        return 0;
    _cleanup_close_ int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        LOGE(ERROR, "a socket to ask the network interfaces");
        return libdmr_error_from_errno(-errno);
    }
    if (!(f->nics = calloc(c->n_nics, sizeof(*f->nics))))
        return LIBDMR_ERROR_NOMEM;
    for (size_t i = 0; i < c->n_nics; i++) {
        int r = nic_facts(ctx, sock, &c->nics[i], f->domid, i, &f->nics[f->n_nics++]);
        if (r == -ENAMETOOLONG) {
            LOG(ERROR, "vif %zu: the tap's name vif%u.%zu-emu would be longer than 15 "
                "characters: give it a vifname", i, f->domid, i);
            return LIBDMR_ERROR_INVAL;
        }
        if (r)
            return libdmr_error_from_errno(r);
    }
    return 0;
}

void facts_net_clear(libdmr_facts *f)
{
    for (size_t i = 0; i < f->n_nics; i++) {
        free(f->nics[i].bridge);
        free(f->nics[i].ifname);
    }
    free(f->nics);
    f->nics = NULL;
    f->n_nics = 0;
}
