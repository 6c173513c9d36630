/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qemu backend's taps, made as root in the toolstack's network
 * namespace, as libvirt's virNetDevTapCreateInBridgePort does: open
 * /dev/net/tun, TUNSETIFF (IFF_TAP | IFF_NO_PI, IFF_VNET_HDR for
 * virtio-net, IFF_TUN_EXCL so that an existing tap of that name is never
 * taken over), the tap's own MAC (the guest's with 0xfe first, so the
 * bridge never takes the guest's address for its own), the bridge's MTU,
 * SIOCBRADDIF, up. The tap is not persistent: it goes away with the last
 * descriptor of it, so once create has handed it to QEMU and closed its
 * own, QEMU alone holds it, and the tap ends with QEMU (or with the
 * failed start that closes the toolstack's copy).
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "launch.h"

static void ifreq_named(struct ifreq *ifr, const char *ifname)
{
    memset(ifr, 0, sizeof(*ifr));
    snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
}

/* The tap's MAC, MTU and bridge port, then up; -errno and what failed. */
static int tap_join_bridge(int sock, const struct plan_tap *t, const char **ret_step)
{
    struct ifreq ifr;
    ifreq_named(&ifr, t->ifname);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(ifr.ifr_hwaddr.sa_data, t->mac, 6);
    ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
    *ret_step = "setting its mac";
    if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
        return -errno;
    struct ifreq br;
    ifreq_named(&br, t->bridge);
    *ret_step = "giving it the bridge's mtu";
    if (ioctl(sock, SIOCGIFMTU, &br) < 0)
        return -errno;
    ifr.ifr_mtu = br.ifr_mtu;
    if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
        return -errno;
    *ret_step = "finding it";
    if (ioctl(sock, SIOCGIFINDEX, &ifr) < 0)
        return -errno;
    br.ifr_ifindex = ifr.ifr_ifindex;
    *ret_step = "adding it to the bridge";
    if (ioctl(sock, SIOCBRADDIF, &br) < 0)
        return -errno;
    *ret_step = "bringing it up";
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return -errno;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(sock, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

int net_tap_create(libdmr_ctx *ctx, uint32_t domid, const struct plan_tap *t)
{
    _cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NOCTTY);
    _cleanup_close_ int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sock < 0) {
        LOGED(ERROR, domid, "tap %s: opening /dev/net/tun", t->ifname);
        return -errno;
    }
    struct ifreq ifr;
    ifreq_named(&ifr, t->ifname);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL | (t->vnet_hdr ? IFF_VNET_HDR : 0);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        LOGEVD(ERROR, e, domid, "tap %s: creating it%s", t->ifname,
               e == EBUSY ? " (an interface of that name exists)" : "");
        return -e;
    }
    const char *step = "";
    int r = tap_join_bridge(sock, t, &step);
    if (r) {
        /* Closing fd removes the tap, and with it its bridge port. */
        LOGEVD(ERROR, -r, domid, "tap %s on bridge %s: %s", t->ifname, t->bridge, step);
        return r;
    }
    return TAKE_FD(fd);
}

bool net_tap_exists(const char *ifname)
{
    return if_nametoindex(ifname) != 0;
}
