/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Firmware and machine on the qemu backend: which firmware (SeaBIOS, or
 * OVMF through QEMU's firmware descriptors, with libvirt's
 * qemuFirmwareMatchDomain tests, but never a secure-boot or SMM one: libvirt
 * takes the first even then and turns SMM on; nothing asks for it here), the files QEMU reads by path before it
 * chroots, and the machine keys (boot order, maxvcpus, uuid, RTC, ACPI,
 * sound card, device_model_args). Pure: facts in, choices out.
 *
 * QEMU 7.2 realises every device, and loads every ROM, before it chroots
 * and drops to -runas (os_setup_post comes last), so each file it opens by
 * path is opened as root: the plan lists those (strace of QEMU 7.2 on
 * Debian 12), and refuses device_model_args that would name a path or a
 * descriptor the plan does not own.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void plan_machine_clear(struct plan_machine *m)
{
    free(m->descriptor);
    strv_clear(&m->rom_files);
    free(m->uuid);
    free(m->boot);
    free(m->rtc_base);
    strv_clear(&m->dm_args);
}

/* Where QEMU 7.2 in /usr/bin finds its ROMs (Debian's --firmwarepath,
 * relocated next to the binary: /usr/bin/../share/seabios/...). */
#define ROM_SEABIOS "/usr/share/seabios/"
#define ROM_QEMU    "/usr/share/qemu/"
#define ROM_IPXE    "/usr/lib/ipxe/qemu/"

/* The option ROM QEMU loads for a device model it is given (QEMU 7.2,
 * seen with strace); NULL: none. For the NIC and display parts of the plan. */
const char *plan_rom_for_device(const char *model)
{
    static const struct { const char *model, *rom; } roms[] = {
        { "VGA", ROM_SEABIOS "vgabios-stdvga.bin" },
        { "cirrus-vga", ROM_SEABIOS "vgabios-cirrus.bin" },
        { "virtio-vga", ROM_SEABIOS "vgabios-virtio.bin" },
        { "qxl-vga", ROM_SEABIOS "vgabios-qxl.bin" },
        { "vmware-svga", ROM_SEABIOS "vgabios-vmware.bin" },
        { "e1000", ROM_IPXE "efi-e1000.rom" },
        { "e1000e", ROM_IPXE "efi-e1000e.rom" },
        { "rtl8139", ROM_IPXE "efi-rtl8139.rom" },
        { "virtio-net-pci", ROM_IPXE "efi-virtio.rom" },
        { "ne2k_pci", ROM_IPXE "efi-ne2k_pci.rom" },
        { "pcnet", ROM_IPXE "efi-pcnet.rom" },
        { "vmxnet3", ROM_IPXE "efi-vmxnet3.rom" },
    };
    for (size_t i = 0; i < ELEMENTSOF(roms); i++)
        if (!strcmp(model, roms[i].model))
            return roms[i].rom;
    return NULL;
}

/* ---- OVMF: the descriptor libvirt would pick ---------------------------- */

static bool strv_has(const struct strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (!strcmp(sv->v[i], s))
            return true;
    return false;
}

/* Does a target's machine glob take the planned machine? Descriptors name
 * versioned types ("pc-q35-*"); q35 and pc are aliases of the newest of
 * theirs, so any probed type of the family that matches will do. */
static bool target_takes(const struct libdmr_fw_target *t, const libdmr_plan *p,
                         const struct libdmr_qemu_caps *q)
{
    const char *family = p->machine == LIBDMR_MACHINE_Q35 ? "pc-q35-" : "pc-i440fx-";
    if (!t->architecture || strcmp(t->architecture, "x86_64"))
        return false;
    for (size_t i = 0; i < t->machines.n; i++)
        for (size_t k = 0; k < q->machines.n; k++)
            if (!strncmp(q->machines.v[k], family, strlen(family)) &&
                !fnmatch(t->machines.v[i], q->machines.v[k], 0))
                return true;
    return false;
}

static bool raw_file(const struct libdmr_fw_file *f)
{
    return f->filename && f->present && (!f->format || !strcmp(f->format, "raw"));
}

/* Why a descriptor does not fit, NULL: it does. Secure boot and SMM are
 * never asked for here, so such descriptors are passed over (libvirt only
 * passes them over when the domain refuses them). Raw only: the pflash
 * nodes are raw (libvirt also takes qcow2). */
static const char *descriptor_misfit(const struct libdmr_fw_descriptor *d, const libdmr_plan *p,
                                     const struct libdmr_qemu_caps *q)
{
    static const char *const unwanted[] = { "secure-boot", "enrolled-keys", "requires-smm" };
    if (!strv_has(&d->interfaces, "uefi"))
        return "not UEFI";
    if (strcmp(d->device, "flash") || (d->mode && strcmp(d->mode, "split")))
        return "not split flash";
    if (!raw_file(&d->executable) || !raw_file(&d->nvram_template))
        return "its files are missing or not raw";
    for (size_t i = 0; i < ELEMENTSOF(unwanted); i++)
        if (strv_has(&d->features, unwanted[i]))
            return unwanted[i];
    for (size_t i = 0; i < d->n_targets; i++)
        if (target_takes(&d->targets[i], p, q))
            return NULL;
    return "not for this machine";
}

static int plan_ovmf(const libdmr_facts *f, libdmr_plan *p)
{
    const struct libdmr_fw_facts *fw = &f->fw;
    for (size_t i = 0; i < fw->n_descriptors; i++) {
        const struct libdmr_fw_descriptor *d = &fw->descriptors[i];
        if (!descriptor_misfit(d, p, &f->qemu))
            return (p->mach.descriptor = strdup(d->path)) ? 0 : -ENOMEM;
    }
    return verdict_refuse(&p->verdict, LIBDMR_ERROR_NOTFOUND,
        "bios=\"ovmf\": no firmware descriptor in /etc/qemu/firmware or "
        "/usr/share/qemu/firmware offers UEFI without secure boot for x86_64 %s "
        "(install the ovmf package)", plan_machine_name(p->machine));
}

static const struct libdmr_fw_descriptor *chosen(const libdmr_facts *f, const libdmr_plan *p)
{
    for (size_t i = 0; p->mach.descriptor && i < f->fw.n_descriptors; i++)
        if (!strcmp(f->fw.descriptors[i].path, p->mach.descriptor))
            return &f->fw.descriptors[i];
    return NULL;
}

static unsigned next_fdset(const libdmr_plan *p)
{
    unsigned next = 1;
    for (size_t i = 0; i < p->n_resources; i++)
        if (p->resources[i].fdset >= next)
            next = p->resources[i].fdset + 1;
    return next;
}

/* OVMF's CODE (read-only) and the domain's VARS copy (read-write), as
 * fdsets for pflash blockdevs: -bios takes a path, not /dev/fdset/N. */
int plan_machine_resources(const libdmr_facts *f, libdmr_plan *p)
{
    p->mach.code_res = p->mach.vars_res = -1;
    const struct libdmr_fw_descriptor *d = chosen(f, p);
    if (!d)
        return 0;
    if (!f->fw.nvram.filename)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL,
                              "bios=\"ovmf\": the facts do not say where the VARS copy is");
    unsigned fdset = next_fdset(p);
    int r = plan_resource_add(p, PLAN_RES_FIRMWARE, "ovmf-code", d->executable.filename,
                              false, fdset, NULL);
    p->mach.code_res = (int)p->n_resources - 1;
    if (!r)
        r = plan_resource_add(p, PLAN_RES_NVRAM, "ovmf-vars", f->fw.nvram.filename, true,
                              fdset + 1, NULL);
    p->mach.vars_res = (int)p->n_resources - 1;
    if (!r && !(p->resources[p->mach.vars_res].template_path =
                    strdup(d->nvram_template.filename)))
        r = -ENOMEM;
    return r;
}

/* The largest write offset of the VARS copy: it, or the template it is made from. */
uint64_t plan_machine_fsize(const libdmr_facts *f, const libdmr_plan *p)
{
    const struct libdmr_fw_descriptor *d = chosen(f, p);
    if (!d)
        return 0;
    return f->fw.nvram.present ? f->fw.nvram.size : d->nvram_template.size;
}

/* ---- the ROMs QEMU reads as root --------------------------------------- */

static int plan_roms(const libdmr_config *c, libdmr_plan *p)
{
    struct strv *roms = &p->mach.rom_files;
    int r = 0;
    if (p->mach.firmware == LIBDMR_FIRMWARE_SEABIOS)
        r = strv_push(roms, ROM_SEABIOS "bios-256k.bin");
    if (!r)
        r = strv_push(roms, ROM_QEMU "kvmvapic.bin");
    if (!r && c->kernel)
        r = strv_push(roms, ROM_QEMU "linuxboot_dma.bin");
    const struct plan_display *d = &p->display;
    const char *vga_rom = d->vga == LIBDMR_VGA_NONE ? NULL
                        : plan_rom_for_device(d->vga == LIBDMR_VGA_STD ? "VGA" : "cirrus-vga");
    if (!r && vga_rom)
        r = strv_push(roms, vga_rom);
    for (size_t i = 0; !r && i < p->n_taps; i++) {
        const char *nic_rom = plan_rom_for_device(p->taps[i].device);
        bool listed = false;
        for (size_t j = 0; nic_rom && j < roms->n; j++)
            listed |= !strcmp(roms->v[j], nic_rom);
        if (nic_rom && !listed)
            r = strv_push(roms, nic_rom);
    }
    /* -k: QEMU reads the keymap's file at start, before it chroots. */
    if (!r && d->keymap)
        r = strv_pushf(roms, ROM_QEMU "keymaps/%s", d->keymap);
    return r;
}

/* ---- machine keys ------------------------------------------------------ */

static int plan_rtc(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    const struct libdmr_machine_opts *m = &c->mach;
    if (!m->rtc_timeoffset)
        return m->localtime && !(p->mach.rtc_base = strdup("localtime")) ? -ENOMEM : 0;
    /* QEMU takes no offset, only a start date the RTC then runs from:
     * the facts' time plus the offset (and the host's zone for localtime). */
    if (!f->fw.clock_known)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL,
                              "rtc_timeoffset: the facts have no clock to add it to");
    time_t start = (time_t)(f->fw.now + m->rtc_timeoffset + (m->localtime ? f->fw.local_offset : 0));
    struct tm tm;
    char date[32];
    if (!gmtime_r(&start, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_INVAL,
                              "rtc_timeoffset %ld: no such date", m->rtc_timeoffset);
    p->mach.rtc_base = strdup(date);
    return p->mach.rtc_base ? verdict_notice(&p->verdict,
        "rtc_timeoffset=%ld: the guest's RTC starts at %s (%s%+ld s) and runs with the host's",
        m->rtc_timeoffset, date, m->localtime ? "local time" : "UTC", m->rtc_timeoffset) : -ENOMEM;
}

static const char *sound_model(const char *soundhw)
{
    static const struct { const char *xl, *qemu; } models[] = {
        { "hda", "intel-hda" }, { "ac97", "AC97" }, { "es1370", "ES1370" }, { "sb16", "sb16" },
    };
    for (size_t i = 0; soundhw && i < ELEMENTSOF(models); i++)
        if (!strcmp(soundhw, models[i].xl))
            return models[i].qemu;
    return NULL;
}

static int plan_keys(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    const struct libdmr_machine_opts *m = &c->mach;
    struct plan_machine *pm = &p->mach;
    struct plan_verdict *v = &p->verdict;
    if (m->maxvcpus && m->maxvcpus < c->vcpus)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "maxvcpus (%ld) is below vcpus (%ld)",
                              m->maxvcpus, c->vcpus);
    pm->maxvcpus = m->maxvcpus > c->vcpus ? m->maxvcpus : 0;
    pm->acpi_off = m->acpi_off;
    if ((m->uuid && !(pm->uuid = strdup(m->uuid))) || (c->boot && !(pm->boot = strdup(c->boot))))
        return -ENOMEM;
    int r = 0;
    if (c->boot && c->kernel)
        r = verdict_notice(v, "boot=\"%s\": the guest boots the kernel= given, not from "
                           "its disks", c->boot);
    else if (c->boot && pm->firmware == LIBDMR_FIRMWARE_OVMF)
        r = verdict_notice(v, "boot=\"%s\": OVMF keeps its own boot options (in its VARS); "
                           "-boot order is SeaBIOS's", c->boot);
    if (!r && (pm->sound_model = sound_model(m->soundhw)))
        r = verdict_notice(v, "soundhw=\"%s\": the guest has the card (%s) but no audio "
                           "output (-audiodev none)", m->soundhw, pm->sound_model);
    return r ? r : plan_rtc(c, f, p);
}

/* ---- device_model_args ------------------------------------------------- */

/* Options the plan owns: identity and confinement, descriptors and paths
 * QEMU would open as root, the monitor and console, and what the machine
 * keys set. Either spelling (-x, --x). Docs: xl-dmr.cfg(5). */
static const char *const owned_options[] = {
    "sandbox", "chroot", "runas", "run-with", "daemonize", "pidfile",
    "add-fd", "drive", "blockdev", "hda", "hdb", "hdc", "hdd", "cdrom", "fda", "fdb",
    "mtdblock", "sd", "pflash", "bios", "L", "kernel", "initrd", "append", "dtb",
    "option-rom", "fw_cfg", "readconfig", "writeconfig", "incoming", "loadvm", "D",
    "trace", "plugin", "virtfs", "fsdev", "mem-path",
    "chardev", "netdev", "net", "nic", "serial", "parallel", "monitor", "qmp", "qmp-pretty",
    "mon", "debugcon", "gdb", "s",
    "machine", "M", "accel", "enable-kvm", "m", "smp", "name", "uuid", "boot", "rtc", "S",
    "nodefaults", "no-user-config", "nodefconfig", "audiodev", "audio", "display", "vnc",
    "spice", "sdl", "curses", "nographic", "vga", "msg", "k",
    /* the watcher's: QEMU never resets or exits on its own (plan_actions.c) */
    "action", "no-shutdown", "no-reboot", "watchdog-action",
};

/* Properties (-device x,KEY=..., -object ...) naming a host path or a
 * descriptor: QEMU would open it as root, before it chroots. */
static bool owned_property(const char *key, size_t n)
{
    static const char *const exact[] = { "fd", "fds", "vhostfd", "vhostfds", "sock", "socket",
                                         "host", "sysfsdev", "script", "downscript", "helper",
                                         "filename", "iommufd" };
    static const char *const suffix[] = { "file", "path", "dir" };
    for (size_t i = 0; i < ELEMENTSOF(exact); i++)
        if (strlen(exact[i]) == n && !strncmp(key, exact[i], n))
            return true;
    for (size_t i = 0; i < ELEMENTSOF(suffix); i++) {
        size_t s = strlen(suffix[i]);
        if (n >= s && !strncmp(key + n - s, suffix[i], s))
            return true;
    }
    return false;
}

/* What in one argument the plan owns ("-chroot", "romfile="), or NULL. */
static const char *arg_owned(const char *arg, char *buf, size_t size)
{
    if (arg[0] == '-') {
        const char *name = arg + 1 + (arg[1] == '-');
        for (size_t i = 0; i < ELEMENTSOF(owned_options); i++)
            if (!strcmp(name, owned_options[i])) {
                snprintf(buf, size, "-%s", name);
                return buf;
            }
        return NULL;
    }
    /* KEY=VALUE items, comma-separated (",," is a comma inside a value). */
    for (const char *item = arg; *item;) {
        size_t n = strcspn(item, "=,");
        if (item[n] == '=' && owned_property(item, n)) {
            snprintf(buf, size, "%.*s=", (int)n, item);
            return buf;
        }
        const char *next = item + n;
        while (*next && !(next[0] == ',' && next[1] != ','))
            next += next[0] == ',' ? 2 : 1;
        item = *next ? next + 1 : next;
    }
    return NULL;
}

static int plan_dm_args(const libdmr_config *c, libdmr_plan *p)
{
    const struct strv *args = &c->mach.dm_args;
    char owned[64];
    for (size_t i = 0; i < args->n; i++)
        if (arg_owned(args->v[i], owned, sizeof(owned)))
            return verdict_refuse(&p->verdict, LIBDMR_ERROR_REFUSED,
                "device_model_args \"%s\": %s is the plan's own (identity, confinement, "
                "descriptors, or a path QEMU would open as root before it chroots)",
                args->v[i], owned);
    if (!args->n)
        return 0;
    int r = strv_push_all(&p->mach.dm_args, args);
    return r ? r : verdict_warn(&p->verdict, "device_model_args: %zu argument%s passed to QEMU "
                                "as given, after the plan's own; dm-audit still holds the DM "
                                "to the plan", args->n, args->n == 1 ? "" : "s");
}

int plan_machine(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    if (p->backend != LIBDMR_BACKEND_QEMU)
        return 0;
    p->mach.code_res = p->mach.vars_res = -1;
    p->mach.firmware = c->mach.firmware == LIBDMR_FIRMWARE_OVMF ? LIBDMR_FIRMWARE_OVMF
                                                                : LIBDMR_FIRMWARE_SEABIOS;
    int r = p->mach.firmware == LIBDMR_FIRMWARE_OVMF ? plan_ovmf(f, p) : 0;
    if (!r && !p->verdict.refusal_rc) r = plan_roms(c, p);
    if (!r && !p->verdict.refusal_rc) r = plan_keys(c, f, p);
    if (!r && !p->verdict.refusal_rc) r = plan_dm_args(c, p);
    return r;
}

int plan_machine_xen_unsupported(const libdmr_config *c, char **ret)
{
    const struct libdmr_machine_opts *m = &c->mach;
    char list[256] = "";
    const struct { bool set; const char *key; } keys[] = {
        { m->firmware != LIBDMR_FIRMWARE_DEFAULT, "bios" }, { m->maxvcpus != 0, "maxvcpus" },
        { m->uuid != NULL, "uuid" }, { m->localtime, "localtime" },
        { m->rtc_timeoffset != 0, "rtc_timeoffset" }, { m->acpi_off, "acpi" },
        { m->soundhw != NULL, "soundhw" }, { m->dm_args.n != 0, "device_model_args" },
    };
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        if (keys[i].set)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                     list[0] ? ", " : "", keys[i].key);
    *ret = NULL;
    return list[0] && !(*ret = strdup(list)) ? -ENOMEM : 0;
}
