/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's display on the qemu backend, from xl's keys: its card (vga,
 * stdvga, videoram), USB input (usb, usbdevice), keymap and VNC server
 * (vnc, vnclisten, vncdisplay, vncunused, vncpasswd). Pure.
 *
 * The VNC socket: QEMU 7.2's -vnc takes no listening descriptor (its
 * address is "host:display" or "unix:path"; no fd=). QEMU binds it itself
 * while it sets up its displays, as root, before it chroots and drops to
 * -runas (os_setup_post comes after qemu_init_displays), inside the
 * seccomp filter, which allows socket/bind/listen. A TCP socket needs no
 * path, so the empty chroot costs it nothing. With vncunused QEMU picks
 * the first display it can bind from vncdisplay to 99 (libxl's "to=99"):
 * one bind per port, no window between a probe and the bind; the backend
 * asks QEMU (query-vnc) which one, and the audit holds the DM to it.
 *
 * The password never enters the argv (password=on only), the plan's JSON
 * or text ("password: set"), the state or a log: QMP set_password gives it
 * before the guest's first instruction.
 */
#include <string.h>

#include "internal.h"

void plan_display_clear(struct plan_display *d)
{
    free(d->keymap);
    strv_clear(&d->usb_devices);
    free(d->vnc.listen);
    if (d->vnc_secret)
        explicit_bzero(d->vnc_secret, strlen(d->vnc_secret));
    free(d->vnc_secret);
    *d = (struct plan_display){ 0 };
}

const struct plan_vnc *plan_vnc_of(const libdmr_plan *p)
{
    const struct plan_vnc *vnc = p->backend == LIBDMR_BACKEND_QEMU ? &p->display.vnc
                                                                   : &p->libxl.vnc;
    return vnc->listen ? vnc : NULL;
}

/* libxl has qemu-xen make them from xl's keys, which xl-dmr's xen backend
 * does not pass: a library caller asking for them there is told so. */
static int refuse_on_xen(const libdmr_config *c, struct plan_verdict *v)
{
    const struct libdmr_display *d = &c->display;
    const char *what = d->vga != LIBDMR_VGA_DEFAULT ? "vga"
                     : d->keymap                    ? "keymap"
                     : d->vnc_password              ? "vncpasswd"
                     : d->usb || d->usb_devices.n   ? "usb" : NULL;
    if (!what)
        return 0;
    return verdict_refuse(v, LIBDMR_ERROR_NI, "%s: not carried by the xen backend (xl create "
                          "with the libdmrestrict patches carries it)", what);
}

/* libxl's card and memory for an HVM guest on qemu-xen: cirrus, 8 MiB;
 * stdvga 16 MiB (the setter checked the floors). */
static void plan_card(const struct libdmr_display *in, struct plan_display *d)
{
    d->vga = in->vga == LIBDMR_VGA_DEFAULT ? LIBDMR_VGA_CIRRUS : in->vga;
    if (d->vga == LIBDMR_VGA_NONE)
        d->videoram_mb = 0;
    else if (in->videoram_mb)
        d->videoram_mb = in->videoram_mb;
    else
        d->videoram_mb = d->vga == LIBDMR_VGA_STD ? LIBDMR_VIDEORAM_STD_MB
                                                   : LIBDMR_VIDEORAM_CIRRUS_MB;
}

/* xl's usb=1 gives QEMU -usb: the machine's own controller, UHCI on pc.
 * On q35 an xHCI one (every USB speed, one PCI function). */
static int plan_usb(const struct libdmr_display *in, libdmr_plan *p)
{
    struct plan_display *d = &p->display;
    if (!in->usb && !in->usb_devices.n)
        return 0;
    d->usb_controller = p->machine == LIBDMR_MACHINE_PC ? "piix3-usb-uhci" : "qemu-xhci";
    for (size_t i = 0; i < in->usb_devices.n; i++) {
        int r = strv_pushf(&d->usb_devices, "usb-%s", in->usb_devices.v[i]);
        if (r)
            return r;
    }
    return 0;
}

static int plan_password(const struct libdmr_display *in, libdmr_plan *p)
{
    struct plan_display *d = &p->display;
    if (!in->vnc_password)
        return 0;
    if (!d->vnc.listen)
        return verdict_notice(&p->verdict, "vncpasswd: ignored, there is no VNC server "
                              "(vnc=1 is not set)");
    if (!(d->vnc_secret = strdup(in->vnc_password)))
        return -ENOMEM;
    d->vnc_password = true;
    /* RFB's DES challenge keys on 8 bytes: "12345678-anything" passes. */
    d->vnc_password_truncated = strlen(in->vnc_password) > LIBDMR_VNC_PASSWORD_USED;
    if (!d->vnc_password_truncated)
        return 0;
    return verdict_warn(&p->verdict, "vncpasswd is longer than %d characters: VNC "
                        "authentication uses only its first %d", LIBDMR_VNC_PASSWORD_USED,
                        LIBDMR_VNC_PASSWORD_USED);
}

int plan_display(const libdmr_config *c, libdmr_plan *p)
{
    if (p->backend != LIBDMR_BACKEND_QEMU)
        return refuse_on_xen(c, &p->verdict);
    const struct libdmr_display *in = &c->display;
    struct plan_display *d = &p->display;
    plan_card(in, d);
    if (in->keymap && !(d->keymap = strdup(in->keymap)))
        return -ENOMEM;
    int r = plan_usb(in, p);
    if (!r)
        r = plan_vnc_fill(c, &d->vnc, &p->verdict);
    if (!r && d->vnc.listen && d->vga == LIBDMR_VGA_NONE)
        r = verdict_notice(&p->verdict, "vnc with vga=\"none\": the VNC server has no "
                           "display card to show");
    if (!r)
        r = plan_password(in, p);
    return r;
}
