/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plan for machines (JSON, docs/plan-json.md) and for people (text). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"

static void json_strv(yajl_gen g, const char *key, const struct strv *sv)
{
    json_key(g, key);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < sv->n; i++)
        json_str(g, sv->v[i]);
    yajl_gen_array_close(g);
}

static void json_identity(yajl_gen g, const libdmr_plan *p)
{
    const struct plan_identity *id = &p->id;
    json_key(g, "dm");
    yajl_gen_map_open(g);
    json_kstr(g, "user", id->user);
    json_key(g, "uid");
    if (id->uid_pending)
        yajl_gen_null(g);  /* range-base + a domid not chosen yet */
    else
        yajl_gen_integer(g, id->uid);
    json_kint(g, "gid", id->gid);
    json_kstr(g, "source", plan_source_name(id->source));
    json_kstr(g, "reason", id->reason);
    json_kbool(g, "kill_by_uid", id->kill_by_uid);
    json_kbool(g, "uid_counted", id->uid_counted);
    json_key(g, "reaper_uid");
    if (id->has_reaper)
        yajl_gen_integer(g, id->reaper_uid);
    else
        yajl_gen_null(g);
    json_kbool(g, "restricted", p->restricted);
    json_kstr(g, "chroot", p->chroot);
    yajl_gen_map_close(g);
}

static const char *chroot_kind_name(enum plan_chroot_kind k)
{
    return k == PLAN_CHROOT_TMPFS ? "tmpfs" : k == PLAN_CHROOT_CHARDEV ? "chardev" : "bind-ro";
}

static void json_chroot_contents(yajl_gen g, const libdmr_plan *p)
{
    json_key(g, "chroot_contents");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < p->chroot_contents.n; i++) {
        const struct plan_chroot_entry *e = &p->chroot_contents.v[i];
        char mode[8];
        snprintf(mode, sizeof(mode), "%04o", e->mode);
        yajl_gen_map_open(g);
        json_kstr(g, "kind", chroot_kind_name(e->kind));
        json_kstr(g, "path", e->path);
        if (e->kind == PLAN_CHROOT_BIND_RO)
            json_kstr(g, "source", e->source);
        if (e->kind == PLAN_CHROOT_CHARDEV) {
            json_kint(g, "major", e->major);
            json_kint(g, "minor", e->minor);
            json_kint(g, "uid", e->uid);
            json_kint(g, "gid", e->gid);
        }
        json_kstr(g, "mode", mode);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

static void json_confinement(yajl_gen g, const libdmr_plan *p)
{
    char mode[8];
    snprintf(mode, sizeof(mode), "%04o", p->chroot_mode);
    json_kstr(g, "chroot_mode", p->chroot ? mode : NULL);
    json_chroot_contents(g, p);
    json_key(g, "namespaces");
    yajl_gen_array_open(g);
    if (p->unshare_mnt_ipc) {
        json_str(g, "mnt");
        json_str(g, "ipc");
    }
    yajl_gen_array_close(g);
    json_key(g, "rlimits");
    yajl_gen_map_open(g);
    for (size_t i = 0; i < p->n_rlimits; i++) {
        json_key(g, p->rlimits[i].name);
        if (p->rlimits[i].value == UINT64_MAX)
            json_str(g, "unlimited");
        else
            yajl_gen_integer(g, (long long)p->rlimits[i].value);
    }
    yajl_gen_map_close(g);
    json_kstr(g, "sandbox", p->sandbox);
    json_kstr(g, "log", p->log_path);
}

static const char *disk_format_name(enum libdmr_disk_format f)
{
    return f == LIBDMR_FORMAT_QCOW2 ? "qcow2" : f == LIBDMR_FORMAT_EMPTY ? "empty" : "raw";
}

static const char *vga_name(enum libdmr_vga vga)
{
    return vga == LIBDMR_VGA_STD ? "stdvga" : vga == LIBDMR_VGA_NONE ? "none" : "cirrus";
}

static void json_vnc(yajl_gen g, const struct plan_vnc *vnc)
{
    yajl_gen_map_open(g);
    json_kstr(g, "listen", vnc->listen);
    json_kint(g, "display", vnc->display);
    json_kbool(g, "find_unused", vnc->find_unused);
    json_key(g, "ports");
    yajl_gen_array_open(g);
    yajl_gen_integer(g, vnc->port_min);
    yajl_gen_integer(g, vnc->port_max);
    yajl_gen_array_close(g);
}

/* xen backend: what qemu-xen makes itself, the audit accepting exactly that. */
static void json_dm_devices(yajl_gen g, const struct plan_libxl *x)
{
    json_key(g, "nics");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < x->n_nics; i++) {
        yajl_gen_map_open(g);
        json_kstr(g, "ifname", x->nics[i].ifname);
        json_kstr(g, "bridge", x->nics[i].bridge);
        json_kstr(g, "model", x->nics[i].model);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    json_key(g, "vnc");
    if (!x->vnc.listen) {
        yajl_gen_null(g);
        return;
    }
    json_vnc(g, &x->vnc);
    yajl_gen_map_close(g);
}

/* qemu backend: the guest's display (null on the xen backend). Whether
 * there is a VNC password, never what it is. */
static void json_display(yajl_gen g, const libdmr_plan *p)
{
    const struct plan_display *d = &p->display;
    json_key(g, "display");
    if (p->backend != LIBDMR_BACKEND_QEMU) {
        yajl_gen_null(g);
        return;
    }
    yajl_gen_map_open(g);
    json_kstr(g, "vga", vga_name(d->vga));
    json_kint(g, "videoram_mb", d->videoram_mb);
    json_kstr(g, "keymap", d->keymap);
    json_kstr(g, "usb_controller", d->usb_controller);
    json_strv(g, "usb_devices", &d->usb_devices);
    json_key(g, "vnc");
    if (d->vnc.listen) {
        json_vnc(g, &d->vnc);
        json_kbool(g, "password", d->vnc_password);
        yajl_gen_map_close(g);
    } else {
        yajl_gen_null(g);
    }
    yajl_gen_map_close(g);
}

/* xen backend: what libxl is given (null on the qemu backend). */
static void json_libxl(yajl_gen g, const libdmr_plan *p)
{
    const struct plan_libxl *x = &p->libxl;
    json_key(g, "libxl");
    if (p->backend != LIBDMR_BACKEND_XEN) {
        yajl_gen_null(g);
        return;
    }
    yajl_gen_map_open(g);
    json_kstr(g, "device_model_user", x->device_model_user);
    json_kstr(g, "device_model", x->device_model);
    json_strv(g, "device_model_args", &x->dm_args);
    json_key(g, "disks");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < x->n_disks; i++) {
        yajl_gen_map_open(g);
        json_kstr(g, "vdev", x->disks[i].vdev);
        json_kstr(g, "target", x->disks[i].target);
        json_kstr(g, "format", disk_format_name(x->disks[i].format));
        json_kbool(g, "readwrite", x->disks[i].readwrite);
        json_kbool(g, "cdrom", x->disks[i].cdrom);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    json_dm_devices(g, x);
    json_kstr(g, "serial", x->serial);
    json_kstr(g, "boot", x->boot);
    json_key(g, "raise_fsize");
    if (!x->fsize)
        yajl_gen_null(g);
    else if (x->fsize == UINT64_MAX)
        json_str(g, "unlimited");
    else
        yajl_gen_integer(g, (long long)x->fsize);
    yajl_gen_map_close(g);
}

static const char *resource_kind_name(enum plan_resource_kind k)
{
    static const char *const names[] = {
        [PLAN_RES_QMP_LISTEN] = "qmp-listen", [PLAN_RES_DISK] = "disk",
        [PLAN_RES_CDROM] = "cdrom", [PLAN_RES_KERNEL] = "kernel", [PLAN_RES_RAMDISK] = "ramdisk",
        [PLAN_RES_IOMMUFD] = "iommufd", [PLAN_RES_VFIO_DEVICE] = "vfio-device",
        [PLAN_RES_BACKING] = "backing",
        [PLAN_RES_FIRMWARE] = "firmware", [PLAN_RES_NVRAM] = "nvram",
        [PLAN_RES_TAP] = "tap",
        [PLAN_RES_SERIAL] = "serial",
        [PLAN_RES_QMP_EVENTS] = "qmp-events",
    };
    return names[k];
}

/* qemu backend: what the watcher does on each guest event; null elsewhere. */
static void json_lifecycle(yajl_gen g, const libdmr_plan *p)
{
    json_key(g, "lifecycle");
    if (p->backend != LIBDMR_BACKEND_QEMU) {
        yajl_gen_null(g);
        return;
    }
    yajl_gen_map_open(g);
    json_kstr(g, "on_poweroff", plan_action_name(p->on_poweroff));
    json_kstr(g, "on_reboot", plan_action_name(p->on_reboot));
    json_kstr(g, "on_crash", plan_action_name(p->on_crash));
    json_kbool(g, "pvpanic", p->pvpanic);
    json_kstr(g, "events", p->qmp_events_path);
    yajl_gen_map_close(g);
}

static bool resource_is_image(const struct plan_resource *r)
{
    return r->kind == PLAN_RES_DISK || r->kind == PLAN_RES_CDROM || r->kind == PLAN_RES_BACKING;
}

static void json_resources(yajl_gen g, const libdmr_plan *p)
{
    json_key(g, "resources");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < p->n_resources; i++) {
        const struct plan_resource *r = &p->resources[i];
        yajl_gen_map_open(g);
        json_kstr(g, "id", r->id);
        json_kstr(g, "kind", resource_kind_name(r->kind));
        json_kstr(g, "path", r->path);
        json_kbool(g, "writable", r->writable);
        json_kint(g, "fd", r->child_fd);
        json_key(g, "fdset");
        if (r->fdset)
            yajl_gen_integer(g, r->fdset);
        else
            yajl_gen_null(g);
        if (resource_is_image(r)) {
            json_kstr(g, "format", r->format == LIBDMR_FORMAT_QCOW2 ? "qcow2" : "raw");
            json_kstr(g, "backing", r->backing >= 0 ? p->resources[r->backing].id : NULL);
        }
        if (r->template_path)
            json_kstr(g, "template", r->template_path);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

/* qemu backend: each NIC's tap, made by the toolstack (a resource);
 * absent without NICs. */
static void json_taps(yajl_gen g, const libdmr_plan *p)
{
    if (!p->n_taps)
        return;
    json_key(g, "taps");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < p->n_taps; i++) {
        const struct plan_tap *t = &p->taps[i];
        char mac[18];
        mac_format(t->mac, mac);
        yajl_gen_map_open(g);
        json_kstr(g, "ifname", t->ifname);
        json_kstr(g, "bridge", t->bridge);
        json_kstr(g, "device", t->device);
        json_kstr(g, "mac", mac);
        json_kbool(g, "vnet_hdr", t->vnet_hdr);
        json_kint(g, "fd", t->resource >= 0 ? p->resources[t->resource].child_fd : -1);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

/* qemu backend: the firmware, what QEMU reads as root, the machine keys. */
static void json_machine(yajl_gen g, const libdmr_plan *p)
{
    const struct plan_machine *m = &p->mach;
    json_key(g, "firmware");
    if (p->backend != LIBDMR_BACKEND_QEMU) {
        yajl_gen_null(g);
        json_key(g, "machine_options");
        yajl_gen_null(g);
        return;
    }
    yajl_gen_map_open(g);
    json_kstr(g, "type", m->firmware == LIBDMR_FIRMWARE_OVMF ? "ovmf" : "seabios");
    json_kstr(g, "descriptor", m->descriptor);
    json_strv(g, "read_before_chroot", &m->rom_files);
    yajl_gen_map_close(g);
    json_key(g, "machine_options");
    yajl_gen_map_open(g);
    json_key(g, "maxvcpus");
    if (m->maxvcpus)
        yajl_gen_integer(g, m->maxvcpus);
    else
        yajl_gen_null(g);
    json_kstr(g, "uuid", m->uuid);
    json_kstr(g, "boot", m->boot);
    json_kstr(g, "rtc_base", m->rtc_base);
    json_kbool(g, "acpi", !m->acpi_off);
    json_kstr(g, "sound", m->sound_model);
    json_strv(g, "device_model_args", &m->dm_args);
    yajl_gen_map_close(g);
}

static void json_pci(yajl_gen g, const libdmr_plan *p)
{
    json_key(g, "pci");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < p->n_pci; i++) {
        const struct plan_pci *d = &p->pci[i];
        char host[16];
        snprintf(host, sizeof(host), LIBDMR_BDF_FMT, LIBDMR_BDF_ARGS(d));
        yajl_gen_map_open(g);
        json_kstr(g, "host", host);
        json_kstr(g, "id", d->id);
        json_kbool(g, "guest_unplug", d->guest_unplug);
        json_kstr(g, "root_port", d->port);
        json_key(g, "root_slot");
        if (d->root_slot)
            yajl_gen_integer(g, d->root_slot);
        else
            yajl_gen_null(g);
        /* On the xen backend libxl places the device: not ours to say. */
        json_key(g, "hotplug");
        if (p->backend != LIBDMR_BACKEND_QEMU)
            yajl_gen_null(g);
        else
            yajl_gen_bool(g, d->port ? d->port_hotplug
                                     : p->machine == LIBDMR_MACHINE_PC && !p->root_bus_hotplug_off);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

/* What pci-attach may do later: the spare root ports, and the default. */
static void json_pci_hotplug(yajl_gen g, const libdmr_plan *p)
{
    json_key(g, "pci_hotplug");
    yajl_gen_map_open(g);
    json_kbool(g, "guest_unplug", p->pci_guest_unplug);
    json_key(g, "ports");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < p->n_hotplug_ports; i++) {
        yajl_gen_map_open(g);
        json_kstr(g, "id", p->hotplug_ports[i].id);
        json_kint(g, "chassis", p->hotplug_ports[i].chassis);
        json_kint(g, "root_slot", p->hotplug_ports[i].root_slot);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}

void plan_json_gen(yajl_gen g, const libdmr_plan *p)
{
    yajl_gen_map_open(g);
    if (p->verdict.refusal_rc) {
        json_key(g, "error");
        yajl_gen_map_open(g);
        json_kstr(g, "code", libdmr_error_name(p->verdict.refusal_rc));
        json_kstr(g, "message", p->verdict.refusal);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        return;
    }
    json_kint(g, "domid", p->domid);
    json_kstr(g, "name", p->name);
    json_kstr(g, "backend", plan_backend_name(p->backend));
    bool qemu = p->backend == LIBDMR_BACKEND_QEMU;
    json_kstr(g, "machine", qemu ? plan_machine_name(p->machine) : NULL);
    json_kstr(g, "accel", qemu ? plan_accel_name(p->accel) : NULL);
    json_kbool(g, "paused", p->paused);
    json_identity(g, p);
    json_confinement(g, p);
    json_resources(g, p);
    json_kstr(g, "console", p->console_path);
    json_machine(g, p);
    json_taps(g, p);
    json_kbool(g, "serial_pty", p->serial_pty);
    json_lifecycle(g, p);
    json_pci(g, p);
    json_pci_hotplug(g, p);
    json_display(g, p);
    json_libxl(g, p);
    json_strv(g, "notices", &p->verdict.notices);
    json_strv(g, "warnings", &p->verdict.warnings);
    json_strv(g, "argv", &p->argv);
    yajl_gen_map_close(g);
}

static void text_lifecycle(FILE *out, const libdmr_plan *p)
{
    if (p->backend != LIBDMR_BACKEND_QEMU)
        return;
    fprintf(out, "On poweroff: %s, on reboot: %s, on crash: %s%s; QEMU only stops the guest "
            "(-action), the watcher acts on its events (%s)\n",
            plan_action_name(p->on_poweroff), plan_action_name(p->on_reboot),
            plan_action_name(p->on_crash), p->pvpanic ? " (pvpanic)" : " (not seen: no pvpanic)",
            p->qmp_events_path);
}

int libdmr_plan_to_json(libdmr_ctx *ctx, const libdmr_plan *p, char **ret_json)
{
    if (!ctx || !p || !ret_json)
        return LIBDMR_ERROR_INVAL;
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    plan_json_gen(g, p);
    return json_finish(g, ret_json);
}

/* xen backend: what qemu-xen opens itself, and dm-audit accepts. */
static void text_dm_devices(FILE *out, const struct plan_libxl *x)
{
    for (size_t i = 0; i < x->n_nics; i++) {
        const struct plan_nic *n = &x->nics[i];
        fprintf(out, "libxl: vif %s (bridge %s, model %s): qemu-xen opens a tap, "
                "/dev/net/tun\n", n->ifname ? n->ifname : "named by libxl",
                n->bridge ? n->bridge : "libxl's default", n->model ? n->model : "the default");
    }
    if (!x->vnc.listen)
        return;
    bool v6 = strchr(x->vnc.listen, ':') != NULL;
    fprintf(out, "libxl: vnc: qemu-xen listens on %s%s%s port %u", v6 ? "[" : "",
            x->vnc.listen, v6 ? "]" : "", x->vnc.port_min);
    if (x->vnc.port_max != x->vnc.port_min)
        fprintf(out, "-%u (the first free one)", x->vnc.port_max);
    fprintf(out, ", display %u\n", x->vnc.display);
}

/* qemu backend: the display, and the VNC socket QEMU binds itself. */
static void text_display(FILE *out, const struct plan_display *d)
{
    fprintf(out, "Display: %s", vga_name(d->vga));
    if (d->vga != LIBDMR_VGA_NONE)
        fprintf(out, ", %u MiB video memory", d->videoram_mb);
    if (d->keymap)
        fprintf(out, ", keymap %s (QEMU reads it at init, before it chroots)", d->keymap);
    fputc('\n', out);
    if (d->usb_controller) {
        fprintf(out, "USB: %s", d->usb_controller);
        for (size_t i = 0; i < d->usb_devices.n; i++)
            fprintf(out, "%s%s", i ? ", " : " with ", d->usb_devices.v[i]);
        fputc('\n', out);
    }
    const struct plan_vnc *vnc = &d->vnc;
    if (!vnc->listen)
        return;
    bool v6 = strchr(vnc->listen, ':') != NULL;
    fprintf(out, "VNC: QEMU binds %s%s%s port %u", v6 ? "[" : "", vnc->listen, v6 ? "]" : "",
            vnc->port_min);
    if (vnc->port_max != vnc->port_min)
        fprintf(out, "-%u (the first free one; create says which)", vnc->port_max);
    fprintf(out, " at init, before it chroots; display %u; password: %s\n", vnc->display,
            d->vnc_password ? "set" : "none");
}

static void text_libxl(FILE *out, const struct plan_libxl *x)
{
    fprintf(out, "libxl: device_model_user %s\n",
            x->device_model_user ? x->device_model_user : "unset (libxl's own search)");
    for (size_t i = 0; i < x->n_disks; i++)
        fprintf(out, "libxl: disk %s %s (%s, %s%s)\n", x->disks[i].vdev,
                x->disks[i].target ? x->disks[i].target : "(empty)",
                disk_format_name(x->disks[i].format), x->disks[i].readwrite ? "read-write" : "read-only",
                x->disks[i].cdrom ? ", cdrom" : "");
    text_dm_devices(out, x);
}

static void text_identity(FILE *out, const struct plan_identity *id)
{
    char uid[32] = "uid pending";  /* range-base + a domid not chosen yet */
    if (!id->uid_pending)
        snprintf(uid, sizeof(uid), "uid %u", (unsigned)id->uid);
    fprintf(out, "Device model user: %s (%s, gid %u), %s\n", id->user, uid,
            (unsigned)id->gid, id->reason);
    if (id->kill_by_uid)
        fprintf(out, "Kill by uid: yes: at create and destroy, every process of uid %u, "
                "from reaper uid %u (%s)\n", (unsigned)id->uid, (unsigned)id->reaper_uid,
                id->reaper_user);
    else
        fprintf(out, "Kill by uid: no: only the device model itself is killed, through "
                "its pidfd\n");
    /* "Uid N" as printed above, capitalised. */
    uid[0] = 'U';
    if (id->uid_exclusive)
        fprintf(out, "%s: this domain's alone (create refuses it while another "
                "domain's device model has it)\n", uid);
    else
        fprintf(out, "%s: may be shared with other domains' device models\n", uid);
}

/* qemu backend: where plan_disks put each drive. */
static void text_disks(FILE *out, const libdmr_plan *p)
{
    for (size_t i = 0; i < p->n_disks; i++) {
        const struct plan_disk *d = &p->disks[i];
        fprintf(out, "Drive %s: %s on ide.%u", d->vdev, d->cdrom ? "cdrom" : "disk", d->bus);
        if (d->unit >= 0)
            fprintf(out, " unit %d", d->unit);
        fprintf(out, "%s", d->resource < 0 ? ", empty" : "");
        /* Its image and the layers below, top first. */
        for (int r = d->resource; r >= 0; r = p->resources[r].backing)
            fprintf(out, "%s%s (%s)", r == d->resource ? ", image " : " over ",
                    p->resources[r].id,
                    p->resources[r].format == LIBDMR_FORMAT_QCOW2 ? "qcow2" : "raw");
        fputc('\n', out);
    }
}

static void text_argv(FILE *out, const libdmr_plan *p)
{
    fprintf(out, "%s:\n ", p->backend == LIBDMR_BACKEND_QEMU
                 ? "Device model command line"
                 : "What libxl passes to qemu-xen for its identity, and xl-dmr's arguments");
    for (size_t i = 0; i < p->argv.n; i++) {
        const char *a = p->argv.v[i];
        bool option = a[0] == '-';
        /* Shell-quoted where a word has blanks, so the line can be pasted. */
        bool quote = strpbrk(a, " \t\"'$\\") != NULL;
        fprintf(out, "%s%s%s%s", option && i ? " \\\n    " : " ", quote ? "'" : "", a,
                quote ? "'" : "");
    }
    fputc('\n', out);
}

static void text_machine(FILE *out, const libdmr_plan *p)
{
    const struct plan_machine *m = &p->mach;
    if (p->backend != LIBDMR_BACKEND_QEMU)
        return;
    if (m->firmware == LIBDMR_FIRMWARE_OVMF)
        fprintf(out, "Firmware: OVMF (%s); its VARS copy persists after destroy\n", m->descriptor);
    else
        fprintf(out, "Firmware: SeaBIOS\n");
    for (size_t i = 0; i < m->rom_files.n; i++)
        fprintf(out, "%s%s", i ? ", " : "QEMU reads as root, before it chroots: ",
                m->rom_files.v[i]);
    if (m->rom_files.n)
        fputc('\n', out);
}

int libdmr_plan_to_text(libdmr_ctx *ctx, const libdmr_plan *p, char **ret_text)
{
    if (!ctx || !p || !ret_text)
        return LIBDMR_ERROR_INVAL;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return LIBDMR_ERROR_NOMEM;
    if (p->verdict.refusal_rc) {
        fprintf(out, "Refused (%s): %s\n", libdmr_error_name(p->verdict.refusal_rc),
                p->verdict.refusal);
        goto done;
    }
    fprintf(out, "Domain %u \"%s\", backend %s", p->domid, p->name, plan_backend_name(p->backend));
    if (p->backend == LIBDMR_BACKEND_QEMU)
        fprintf(out, ", machine %s, accel %s", plan_machine_name(p->machine), plan_accel_name(p->accel));
    fputc('\n', out);
    text_identity(out, &p->id);
    fprintf(out, "Restricted: %s\n", p->restricted ? "yes" : "no");
    if (p->chroot)
        fprintf(out, "Chroot: %s (mode %04o%s)\nNamespaces: mnt ipc\n", p->chroot, p->chroot_mode,
                p->chroot_contents.n ? "" : ", empty");
    for (size_t i = 0; i < p->chroot_contents.n; i++) {
        const struct plan_chroot_entry *e = &p->chroot_contents.v[i];
        fprintf(out, "  in its namespace: %s %s", chroot_kind_name(e->kind), e->path);
        if (e->kind == PLAN_CHROOT_CHARDEV)
            fprintf(out, " (%u:%u, mode %04o, uid %u)", e->major, e->minor, e->mode, (unsigned)e->uid);
        if (e->kind == PLAN_CHROOT_BIND_RO)
            fprintf(out, " <- %s", e->source);
        fputc('\n', out);
    }
    if (p->sandbox)
        fprintf(out, "Sandbox: %s\n", p->sandbox);
    fprintf(out, "Log: %s\n", p->log_path);
    if (p->backend == LIBDMR_BACKEND_XEN)
        text_libxl(out, &p->libxl);
    else
        text_display(out, &p->display);
    for (size_t i = 0; i < p->n_rlimits; i++) {
        fprintf(out, "%s%s=", i ? " " : "Limits: ", p->rlimits[i].name);
        if (p->rlimits[i].value == UINT64_MAX)
            fprintf(out, "unlimited");
        else
            fprintf(out, "%llu", (unsigned long long)p->rlimits[i].value);
    }
    if (p->n_rlimits)
        fputc('\n', out);
    for (size_t i = 0; i < p->n_resources; i++) {
        const struct plan_resource *r = &p->resources[i];
        if (r->kind == PLAN_RES_SERIAL)
            fprintf(out, "Passes fd %d: serial (one end of a socketpair; the logger holds the "
                    "other, logs the guest's console and serves xl-dmr console on %s)\n",
                    r->child_fd, r->path);
        else
            fprintf(out, "Passes fd %d: %s %s (%s, %s%s%s)\n", r->child_fd,
                    resource_kind_name(r->kind), r->id, r->path,
                    r->writable ? "read-write" : "read-only",
                    r->template_path ? "; made from " : "",
                    r->template_path ? r->template_path : "");
    }
    if (p->backend == LIBDMR_BACKEND_QEMU && !p->console_path)
        fprintf(out, "Serial: none (serial = \"none\")\n");
    text_machine(out, p);
    for (size_t i = 0; i < p->n_taps; i++) {
        const struct plan_tap *t = &p->taps[i];
        char mac[18];
        mac_format(t->mac, mac);
        fprintf(out, "Network: vif %zu is tap %s on bridge %s, %s mac %s%s: the toolstack "
                "makes it, QEMU gets fd %d and opens nothing\n", i, t->ifname, t->bridge,
                t->device, mac, t->vnet_hdr ? " (vnet_hdr)" : "",
                p->resources[t->resource].child_fd);
    }
    if (p->serial_pty)
        fprintf(out, "Serial: a pty QEMU opens itself (/dev/ptmx, and the /dev/pts/N it "
                "gives; dm-audit accepts them)\n");
    text_disks(out, p);
    text_lifecycle(out, p);
    for (size_t i = 0; i < p->n_pci; i++) {
        const struct plan_pci *d = &p->pci[i];
        fprintf(out, "PCI " LIBDMR_BDF_FMT ": guest %s unplug it\n", LIBDMR_BDF_ARGS(d),
                d->guest_unplug ? "may" : "may not");
    }
    for (size_t i = 0; i < p->n_hotplug_ports; i++)
        fprintf(out, "%s%s (slot 0x%x)%s", i ? ", " : "PCI hot-plug ports: ", p->hotplug_ports[i].id,
                p->hotplug_ports[i].root_slot, i + 1 == p->n_hotplug_ports ? "\n" : "");
    if (!p->pci_guest_unplug)
        fprintf(out, "PCI: the guest may not unplug its devices (pci_guest_unplug=0)\n");
    for (size_t i = 0; i < p->verdict.notices.n; i++)
        fprintf(out, "Notice: %s\n", p->verdict.notices.v[i]);
    for (size_t i = 0; i < p->verdict.warnings.n; i++)
        fprintf(out, "Warning: %s\n", p->verdict.warnings.v[i]);
    text_argv(out, p);
done:
    if (fclose(out)) {
        free(buf);
        return LIBDMR_ERROR_NOMEM;
    }
    *ret_text = buf;
    return 0;
}
