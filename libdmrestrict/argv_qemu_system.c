/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan in plain QEMU's dialect (qemu-system-x86_64, TCG or KVM).
 * Formats only: every choice was made by the stages before. Values that
 * reach QEMU's option parser contain no commas (names are checked in
 * config.c, paths are ours).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define PUSH(...) do { int _r = strv_pushf(&p->argv, __VA_ARGS__); if (_r) return _r; } while (0)

/* QEMU's option syntax: a comma inside a value is written twice. */
static char *qemu_opt_escape(const char *s)
{
    char *out = malloc(strlen(s) * 2 + 1), *o = out;
    for (; out && *s; s++) {
        *o++ = *s;
        if (*s == ',')
            *o++ = ',';
    }
    if (out)
        *o = '\0';
    return out;
}

/* One layer of a disk's image as nodes: "NODE-file" (the fdset) and NODE
 * (its format), after the layers below it, which it names as its
 * backing. A qcow2 layer always says backing: "backing=" (empty, QEMU's
 * null) for none, so QEMU never opens a file its header names. */
static int argv_layer(libdmr_plan *p, int index, const char *node)
{
    const struct plan_resource *res = &p->resources[index];
    const struct plan_resource *below = res->backing >= 0 ? &p->resources[res->backing] : NULL;
    int r = below ? argv_layer(p, res->backing, below->id) : 0;
    if (r)
        return r;
    const char *ro = res->writable ? "off" : "on";
    bool qcow2 = res->format == LIBDMR_FORMAT_QCOW2;
    _cleanup_free_ char *path = qemu_opt_escape(res->path);
    if (!path)
        return -ENOMEM;
    /* opaque says what the descriptor is, for whoever audits the fdsets. */
    PUSH("-add-fd");
    PUSH("fd=%d,set=%u,opaque=%s:%s", res->child_fd, res->fdset, qcow2 ? "qcow2" : "raw", path);
    PUSH("-blockdev");
    PUSH("driver=file,node-name=%s-file,filename=/dev/fdset/%u,read-only=%s",
         node, res->fdset, ro);
    PUSH("-blockdev");
    PUSH("driver=%s,node-name=%s,file=%s-file,read-only=%s%s%s", qcow2 ? "qcow2" : "raw",
         node, node, ro, qcow2 ? ",backing=" : "", qcow2 && below ? below->id : "");
    return 0;
}

/* A cdrom's medium is one image (plan_resources.c refuses one with a
 * backing file). A drive owns its medium, so a later change frees this
 * one (and lets its fdset go); a -blockdev node would outlive the change. */
static int argv_cdrom(libdmr_plan *p, const struct plan_disk *d, const char *bus)
{
    const struct plan_resource *res = &p->resources[d->resource];
    const char *format = d->format == LIBDMR_FORMAT_QCOW2 ? "qcow2" : "raw";
    _cleanup_free_ char *path = qemu_opt_escape(res->path);
    if (!path)
        return -ENOMEM;
    PUSH("-add-fd");
    PUSH("fd=%d,set=%u,opaque=%s:%s", res->child_fd, res->fdset, format, path);
    PUSH("-drive");
    PUSH("if=none,id=drive-%s,file=/dev/fdset/%u,format=%s,readonly=on,media=cdrom",
         d->vdev, res->fdset, format);
    PUSH("-device");
    PUSH("ide-cd,bus=%s,drive=drive-%s,id=%s", bus, d->vdev, d->vdev);
    return 0;
}

static int argv_disk(libdmr_plan *p, const struct plan_disk *d)
{
    char bus[32];
    if (d->unit < 0)
        snprintf(bus, sizeof(bus), "ide.%u", d->bus);
    else
        snprintf(bus, sizeof(bus), "ide.%u,unit=%d", d->bus, d->unit);
    const char *model = d->cdrom ? "ide-cd" : "ide-hd";
    if (d->resource < 0) {  /* an empty cdrom drive */
        PUSH("-device");
        PUSH("%s,bus=%s,id=%s", model, bus, d->vdev);
        return 0;
    }
    if (d->cdrom)
        return argv_cdrom(p, d, bus);
    int r = argv_layer(p, d->resource, d->vdev);
    if (r)
        return r;
    PUSH("-device");
    PUSH("%s,bus=%s,drive=%s,id=%s", model, bus, d->vdev, d->vdev);
    return 0;
}

static int argv_pci(libdmr_plan *p, const struct plan_pci *d)
{
    /* "vfio-pci,host=B"; in tests an emulated stand-in, whose option ROM a
     * chrooted QEMU could not read (romfile= says it has none). */
    char host[64];
    if (d->standin)
        snprintf(host, sizeof(host), "%s,romfile=", d->standin);
    else if (d->cdev_fd)
        snprintf(host, sizeof(host), "vfio-pci,iommufd=iommufd0,fd=%d", d->cdev_fd);
    else
        snprintf(host, sizeof(host), "vfio-pci,host=" LIBDMR_BDF_FMT, LIBDMR_BDF_ARGS(d));
    if (d->port) {
        PUSH("-device");
        PUSH("pcie-root-port,id=%s,bus=pcie.0,chassis=%u,addr=0x%x%s", d->port,
             d->chassis, d->root_slot, d->port_hotplug ? "" : ",hotplug=off");
        PUSH("-device");
        PUSH("%s,id=%s,bus=%s,addr=0x0", host, d->id, d->port);
        return 0;
    }
    const char *root = p->machine == LIBDMR_MACHINE_Q35 ? "pcie.0" : "pci.0";
    PUSH("-device");
    if (d->root_slot)
        PUSH("%s,id=%s,bus=%s,addr=0x%x", host, d->id, root, d->root_slot);
    else
        PUSH("%s,id=%s,bus=%s", host, d->id, root);
    return 0;
}

static int argv_boot(libdmr_plan *p, const libdmr_config *c)
{
    for (size_t i = 0; i < p->n_resources; i++) {
        const struct plan_resource *res = &p->resources[i];
        if (res->kind != PLAN_RES_KERNEL && res->kind != PLAN_RES_RAMDISK)
            continue;
        PUSH(res->kind == PLAN_RES_KERNEL ? "-kernel" : "-initrd");
        PUSH("/proc/self/fd/%d", res->child_fd);
    }
    if (c->kernel && c->cmdline) {
        PUSH("-append");
        PUSH("%s", c->cmdline);
    }
    return 0;
}

/* The serial port on its socketpair end (a connected socket: QEMU's
 * client side uses the descriptor as it is); the logger has the other. */
static int argv_serial(libdmr_plan *p)
{
    for (size_t i = 0; i < p->n_resources; i++) {
        if (p->resources[i].kind != PLAN_RES_SERIAL)
            continue;
        PUSH("-chardev");
        PUSH("socket,id=console,fd=%d", p->resources[i].child_fd);
        PUSH("-serial");
        PUSH("chardev:console");
    }
    return 0;
}

/* OVMF's CODE and VARS as pflash blockdevs over their fdsets. */
static int argv_pflash(libdmr_plan *p, int res_index)
{
    const struct plan_resource *res = &p->resources[res_index];
    const char *ro = res->writable ? "off" : "on";
    _cleanup_free_ char *path = qemu_opt_escape(res->path);
    if (!path)
        return -ENOMEM;
    PUSH("-add-fd");
    PUSH("fd=%d,set=%u,opaque=raw:%s", res->child_fd, res->fdset, path);
    PUSH("-blockdev");
    PUSH("driver=file,node-name=%s-file,filename=/dev/fdset/%u,read-only=%s",
         res->id, res->fdset, ro);
    PUSH("-blockdev");
    PUSH("driver=raw,node-name=%s,file=%s-file,read-only=%s", res->id, res->id, ro);
    return 0;
}

static int argv_machine(libdmr_plan *p, const libdmr_config *c)
{
    const struct plan_machine *m = &p->mach;
    char pflash[128] = "";
    if (m->code_res >= 0)
        snprintf(pflash, sizeof(pflash), ",pflash0=%s,pflash1=%s",
                 p->resources[m->code_res].id, p->resources[m->vars_res].id);
    PUSH("-machine");
    PUSH("%s%s%s", plan_machine_name(p->machine), pflash, m->acpi_off ? ",acpi=off" : "");
    PUSH("-accel");
    PUSH("%s", plan_accel_name(p->accel));
    PUSH("-m");
    PUSH("%ldM", c->memory_mb);
    PUSH("-smp");
    if (m->maxvcpus)
        PUSH("%ld,maxcpus=%ld", c->vcpus, m->maxvcpus);
    else
        PUSH("%ld", c->vcpus);
    if (m->uuid) {
        PUSH("-uuid");
        PUSH("%s", m->uuid);
    }
    return 0;
}

/* Boot order, clock, sound card: after the devices. */
static int argv_machine_devices(libdmr_plan *p)
{
    const struct plan_machine *m = &p->mach;
    int r = 0;
    for (int i = 0; !r && i < 2; i++)
        r = (i ? m->vars_res : m->code_res) >= 0 ? argv_pflash(p, i ? m->vars_res : m->code_res) : 0;
    if (r)
        return r;
    if (m->boot) {
        PUSH("-boot");
        PUSH("order=%s", m->boot);
    }
    if (m->rtc_base) {
        PUSH("-rtc");
        PUSH("base=%s", m->rtc_base);
    }
    if (!m->sound_model)
        return 0;
    PUSH("-audiodev");
    PUSH("none,id=audio0");
    PUSH("-device");
    if (strcmp(m->sound_model, "intel-hda")) {
        PUSH("%s,id=sound0,audiodev=audio0", m->sound_model);
        return 0;
    }
    PUSH("intel-hda,id=sound0");
    PUSH("-device");
    PUSH("hda-duplex,id=sound0-codec0,bus=sound0.0,cad=0,audiodev=audio0");
    return 0;
}

/* The display card, USB input, keymap and VNC server. After every device
 * with a fixed PCI address, so that QEMU's own placement (the first free
 * slot) never takes one of theirs. The VNC password is not here:
 * password=on, and QMP set_password gives it. */
static int argv_display(libdmr_plan *p)
{
    const struct plan_display *d = &p->display;
    if (d->vga != LIBDMR_VGA_NONE) {
        PUSH("-device");
        PUSH("%s,id=video0,vgamem_mb=%u", d->vga == LIBDMR_VGA_STD ? "VGA" : "cirrus-vga",
             d->videoram_mb);
    }
    if (d->usb_controller) {
        PUSH("-device");
        PUSH("%s,id=usb", d->usb_controller);
    }
    for (size_t i = 0; i < d->usb_devices.n; i++) {
        PUSH("-device");
        PUSH("%s,id=input%zu,bus=usb.0", d->usb_devices.v[i], i);
    }
    if (d->keymap) {
        PUSH("-k");
        PUSH("%s", d->keymap);
    }
    if (!d->vnc.listen)
        return 0;
    bool v6 = strchr(d->vnc.listen, ':') != NULL;
    PUSH("-vnc");
    /* to=: QEMU tries displays up to it, one bind each, and keeps the first. */
    PUSH("%s%s%s:%u%s%s", v6 ? "[" : "", d->vnc.listen, v6 ? "]" : "", d->vnc.display,
         d->vnc_password ? ",password=on" : "", d->vnc.find_unused ? ",to=99" : "");
    return 0;
}

/* A NIC on the tap the toolstack made: QEMU gets its descriptor, never
 * /dev/net/tun's path, and runs no script (fd= allows none). After the
 * devices with fixed slots, so that QEMU gives it a free one. */
static int argv_tap(libdmr_plan *p, size_t i)
{
    const struct plan_tap *t = &p->taps[i];
    char mac[18];
    mac_format(t->mac, mac);
    PUSH("-netdev");
    /* QEMU 7.2 refuses vnet_hdr= with fd=: it asks the tap (TUNGETIFF)
     * whether it was made with IFF_VNET_HDR. */
    PUSH("tap,id=net%zu,fd=%d", i, p->resources[t->resource].child_fd);
    PUSH("-device");
    PUSH("%s,id=nic%zu,netdev=net%zu,mac=%s", t->device, i, i, mac);
    return 0;
}

/* -chroot/-runas or -run-with, as the binary was probed to accept. */
static int argv_identity(libdmr_plan *p, const struct libdmr_qemu_caps *q)
{
    char user[32];
    snprintf(user, sizeof(user), "%u:%u", (unsigned)p->id.uid, (unsigned)p->id.gid);
    bool runas = p->id.source != LIBDMR_SOURCE_ROOT;
    if (p->sandbox) {
        PUSH("-sandbox");
        PUSH("%s", p->sandbox);
    }
    bool run_with_chroot = p->chroot && !q->chroot;
    bool run_with_user = runas && !q->runas;
    if (p->chroot && !run_with_chroot) {
        PUSH("-chroot");
        PUSH("%s", p->chroot);
    }
    if (runas && !run_with_user) {
        PUSH("-runas");
        PUSH("%s", user);
    }
    if (run_with_chroot || run_with_user) {
        PUSH("-run-with");
        PUSH("%s%s%s%s%s", run_with_chroot ? "chroot=" : "",
             run_with_chroot ? p->chroot : "", run_with_chroot && run_with_user ? "," : "",
             run_with_user ? "user=" : "", run_with_user ? user : "");
    }
    return 0;
}

int argv_qemu_system(const libdmr_config *c, libdmr_plan *p, const libdmr_facts *f)
{
    PUSH("%s", p->qemu_path);
    PUSH("-name");
    PUSH("guest=%s", p->name);
    int r = argv_machine(p, c);
    if (r)
        return r;
    PUSH("-nodefaults");
    PUSH("-no-user-config");
    PUSH("-display");
    PUSH("none");
    PUSH("-msg");
    PUSH("timestamp=on");
    PUSH("-S");
    PUSH("-chardev");
    PUSH("socket,id=qmp,fd=%d,server=on,wait=off", p->resources[0].child_fd);
    PUSH("-mon");
    PUSH("chardev=qmp,mode=control");
    /* The watcher's: QEMU serves one client per monitor. */
    PUSH("-chardev");
    PUSH("socket,id=qmp-events,fd=%d,server=on,wait=off", p->resources[1].child_fd);
    PUSH("-mon");
    PUSH("chardev=qmp-events,mode=control");
    /* QEMU never resets or exits on its own: it stops the guest and tells
     * the watcher, which acts as on_reboot, on_poweroff, on_crash say. */
    PUSH("-action");
    PUSH("reboot=shutdown,shutdown=pause,panic=pause");
    if (p->pvpanic) {
        PUSH("-device");
        PUSH("pvpanic");
    }
    r = argv_serial(p);
    if (!r)
        r = argv_boot(p, c);
    if (r)
        return r;
    for (size_t i = 0; i < p->n_disks; i++) {
        r = argv_disk(p, &p->disks[i]);
        if (r)
            return r;
    }
    if (p->root_bus_hotplug_off) {
        PUSH("-global");
        PUSH("PIIX4_PM.acpi-root-pci-hotplug=off");
    }
    if (p->iommufd_fd) {
        PUSH("-object");
        PUSH("iommufd,id=iommufd0,fd=%d", p->iommufd_fd);
    }
    for (size_t i = 0; i < p->n_pci; i++) {
        r = argv_pci(p, &p->pci[i]);
        if (r)
            return r;
    }
    for (size_t i = 0; i < p->n_hotplug_ports; i++) {
        const struct plan_port *port = &p->hotplug_ports[i];
        PUSH("-device");
        PUSH("pcie-root-port,id=%s,bus=pcie.0,chassis=%u,addr=0x%x", port->id,
             port->chassis, port->root_slot);
    }
    for (size_t i = 0; !r && i < p->n_taps; i++)
        r = argv_tap(p, i);
    if (!r)
        r = argv_display(p);
    if (!r)
        r = argv_machine_devices(p);
    if (!r)
        r = argv_identity(p, &f->qemu);
    /* device_model_args last, as given (plan_machine.c checked them). */
    for (size_t i = 0; !r && i < p->mach.dm_args.n; i++)
        r = strv_push(&p->argv, p->mach.dm_args.v[i]);
    return r;
}
