/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every key of xl.cfg(5) for Xen 4.17 (the keys its tools/xl/xl_parse.c
 * reads, the undocumented ones included: 158) and xl-dmr's own (accel,
 * dm_backend, machine, pci_guest_unplug, pci_hotplug_ports), with what
 * each backend does with a key a cfg sets. A key is never dropped
 * quietly; each backend's column says:
 *
 *  - HONOURED: xl-dmr reads it (xl_cfg.c) and the plan carries it out,
 *    or refuses the value with why; the xen backend passes it to libxl.
 *  - ONLY_0 / ONLY_1: a boolean honoured only with the value the guest
 *    gets anyway; the other value is refused. On xen: the value the
 *    backend sets (vnc, sdl, nographic) or libxl 4.17's default for an
 *    HVM guest (libxl__domain_build_info_setdefault and its x86 part); a
 *    default that depends on the host (hap) is REFUSED whatever the value.
 *    On qemu: what QEMU 7.2 gives a guest with -nodefaults, -display none
 *    and its default CPU (qemu64): ACPI S3/S4, APIC, HPET, PAE and NX on;
 *    no PMU, Hyper-V enlightenments, SDL, SPICE or graphics passthrough.
 *  - ONLY_EMPTY: a list of devices (or of arguments) honoured only empty,
 *    which asks for nothing; any entry is refused.
 *  - NOTICE: means nothing for the guest this backend makes (a Xen
 *    hypervisor setting on qemu, a PV-only key, a key xl itself ignores):
 *    named in a notice of the plan.
 *  - REFUSED: the plan is refused, naming the key and why, before
 *    anything is made. The xen backend builds libxl's domain config from
 *    the plan alone; the patched `xl create` (issue 17) reads every key.
 *  - NOT_YET: refused on the qemu backend for now ("not carried by the
 *    qemu backend yet"); a key becomes HONOURED there when xl_cfg.c reads
 *    it and the plan carries it out (issue 18).
 *
 * The scanner (xl_cfg_scan.c) lists the keys a cfg sets; a key no row
 * knows (a typing mistake: memmory) gets a notice naming it. xl-dmr.cfg(5)
 * shows this table, generated from it (make man-keys); test_xen_keys
 * holds the two together.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_cfg.h"
#include "xl_cfg_keys.h"

static const struct xl_cfg_key keys[] = {
    /* name                                xen             qemu            why (qemu) */
    { "accel",                             KEY_NOTICE,     KEY_HONOURED,   WHY_DEFAULT },
    { "acpi",                              KEY_ONLY_1,     KEY_HONOURED,   WHY_DEFAULT },
    { "acpi_firmware",                     KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "acpi_laptop_slate",                 KEY_ONLY_0,     KEY_ONLY_0,     WHY_DEFAULT },
    { "acpi_s3",                           KEY_ONLY_1,     KEY_ONLY_1,     WHY_DEFAULT },
    { "acpi_s4",                           KEY_ONLY_1,     KEY_ONLY_1,     WHY_DEFAULT },
    { "altp2m",                            KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "altp2mhvm",                         KEY_ONLY_0,     KEY_NOTICE,     WHY_XEN },
    { "apic",                              KEY_ONLY_1,     KEY_ONLY_1,     WHY_DEFAULT },
    { "bios",                              KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "bios_path_override",                KEY_REFUSED,    KEY_REFUSED,    WHY_BIOS_PATH },
    { "boot",                              KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "bootloader",                        KEY_NOTICE,     KEY_NOTICE,     WHY_PV_ONLY },
    { "bootloader_args",                   KEY_NOTICE,     KEY_NOTICE,     WHY_PV_ONLY },
    { "builder",                           KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "cap",                               KEY_REFUSED,    KEY_NOTICE,     WHY_XEN_SCHEDULER },
    { "channel",                           KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_PV_DEVICE },
    { "cmdline",                           KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "cpu_weight",                        KEY_REFUSED,    KEY_NOTICE,     WHY_XEN_SCHEDULER },
    { "cpuid",                             KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "cpus",                              KEY_REFUSED,    KEY_NOTICE,     WHY_XEN_SCHEDULER },
    { "cpus_soft",                         KEY_REFUSED,    KEY_NOTICE,     WHY_XEN_SCHEDULER },
    { "device_model",                      KEY_NOTICE,     KEY_NOTICE,     WHY_XL_IGNORES },
    { "device_model_args",                 KEY_ONLY_EMPTY, KEY_HONOURED,   WHY_DEFAULT },
    { "device_model_args_hvm",             KEY_ONLY_EMPTY, KEY_HONOURED,   WHY_DEFAULT },
    { "device_model_args_pv",              KEY_NOTICE,     KEY_NOTICE,     WHY_PV_ONLY },
    { "device_model_override",             KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "device_model_stubdomain_override",  KEY_REFUSED,    KEY_ONLY_0,     WHY_DEFAULT },
    { "device_model_stubdomain_seclabel",  KEY_REFUSED,    KEY_NOTICE,     WHY_STUBDOM },
    { "device_model_user",                 KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "device_model_version",              KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "device_tree",                       KEY_REFUSED,    KEY_NOTICE,     WHY_ARM },
    { "disk",                              KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "display",                           KEY_REFUSED,    KEY_NOTICE,     WHY_SDL },
    { "dm_backend",                        KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "dm_restrict",                       KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "driver_domain",                     KEY_ONLY_0,     KEY_NOTICE,     WHY_XEN },
    { "dtdev",                             KEY_ONLY_EMPTY, KEY_NOTICE,     WHY_ARM },
    { "e820_host",                         KEY_NOTICE,     KEY_NOTICE,     WHY_PV_ONLY },
    { "extra",                             KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "extratime",                         KEY_REFUSED,    KEY_NOTICE,     WHY_XEN_SCHEDULER },
    { "firmware",                          KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "firmware_override",                 KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "gfx_passthru",                      KEY_ONLY_0,     KEY_ONLY_0,     WHY_DEFAULT },
    { "gic_version",                       KEY_REFUSED,    KEY_NOTICE,     WHY_ARM },
    { "hap",                               KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "hdtype",                            KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "hpet",                              KEY_ONLY_1,     KEY_ONLY_1,     WHY_DEFAULT },
    { "init_seclabel",                     KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "iomem",                             KEY_REFUSED,    KEY_ONLY_EMPTY, WHY_HOST_RESOURCES },
    { "ioports",                           KEY_REFUSED,    KEY_ONLY_EMPTY, WHY_HOST_RESOURCES },
    { "irqs",                              KEY_REFUSED,    KEY_ONLY_EMPTY, WHY_HOST_RESOURCES },
    { "kernel",                            KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "keymap",                            KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "latency",                           KEY_REFUSED,    KEY_NOTICE,     WHY_XEN_SCHEDULER },
    { "localtime",                         KEY_ONLY_0,     KEY_HONOURED,   WHY_DEFAULT },
    { "machine",                           KEY_NOTICE,     KEY_HONOURED,   WHY_DEFAULT },
    { "max_event_channels",                KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "max_grant_frames",                  KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "max_grant_version",                 KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "max_maptrack_frames",               KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "maxmem",                            KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "maxvcpus",                          KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "mca_caps",                          KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "memory",                            KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "mmio_hole",                         KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "ms_vm_genid",                       KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "msr_relaxed",                       KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "name",                              KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "nestedhvm",                         KEY_ONLY_0,     KEY_REFUSED,    WHY_DEFAULT },
    { "nographic",                         KEY_ONLY_1,     KEY_HONOURED,   WHY_DEFAULT },
    { "nomigrate",                         KEY_ONLY_0,     KEY_NOTICE,     WHY_MIGRATION },
    { "nx",                                KEY_ONLY_1,     KEY_ONLY_1,     WHY_DEFAULT },
    { "on_crash",                          KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "on_poweroff",                       KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "on_reboot",                         KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "on_soft_reset",                     KEY_REFUSED,    KEY_NOTICE,     WHY_SOFT_RESET },
    { "on_watchdog",                       KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "oos",                               KEY_ONLY_1,     KEY_NOTICE,     WHY_XEN },
    { "opengl",                            KEY_REFUSED,    KEY_NOTICE,     WHY_SDL },
    { "p9",                                KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_PV_DEVICE },
    { "pae",                               KEY_ONLY_1,     KEY_ONLY_1,     WHY_DEFAULT },
    { "passthrough",                       KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "pci",                               KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "pci_guest_unplug",                  KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "pci_hotplug_ports",                 KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "pci_msitranslate",                  KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "pci_permissive",                    KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "pci_power_mgmt",                    KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "pci_seize",                         KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "period",                            KEY_REFUSED,    KEY_NOTICE,     WHY_XEN_SCHEDULER },
    { "pool",                              KEY_REFUSED,    KEY_NOTICE,     WHY_XEN_SCHEDULER },
    { "pvcalls",                           KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_PV_DEVICE },
    { "pvshim",                            KEY_NOTICE,     KEY_NOTICE,     WHY_PV_ONLY },
    { "pvshim_cmdline",                    KEY_NOTICE,     KEY_NOTICE,     WHY_PV_ONLY },
    { "pvshim_extra",                      KEY_NOTICE,     KEY_NOTICE,     WHY_PV_ONLY },
    { "pvshim_path",                       KEY_NOTICE,     KEY_NOTICE,     WHY_PV_ONLY },
    { "ramdisk",                           KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "rdm",                               KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "rdm_mem_boundary",                  KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "root",                              KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "rtc_timeoffset",                    KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "sdl",                               KEY_ONLY_0,     KEY_ONLY_0,     WHY_SDL_WINDOW },
    { "seclabel",                          KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "serial",                            KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "shadow_memory",                     KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "slice",                             KEY_REFUSED,    KEY_NOTICE,     WHY_XEN_SCHEDULER },
    { "smbios_firmware",                   KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "soundhw",                           KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "spice",                             KEY_ONLY_0,     KEY_ONLY_0,     WHY_DEFAULT },
    { "spice_clipboard_sharing",           KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spice_image_compression",           KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spice_streaming_video",             KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spiceagent_mouse",                  KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spicedisable_ticketing",            KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spicehost",                         KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spicepasswd",                       KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spiceport",                         KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spicetls_port",                     KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spiceusbredirection",               KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "spicevdagent",                      KEY_REFUSED,    KEY_NOTICE,     WHY_SPICE },
    { "stdvga",                            KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "stubdomain_cmdline",                KEY_REFUSED,    KEY_NOTICE,     WHY_STUBDOM },
    { "stubdomain_kernel",                 KEY_REFUSED,    KEY_NOTICE,     WHY_STUBDOM },
    { "stubdomain_memory",                 KEY_REFUSED,    KEY_NOTICE,     WHY_STUBDOM },
    { "stubdomain_ramdisk",                KEY_REFUSED,    KEY_NOTICE,     WHY_STUBDOM },
    { "tee",                               KEY_REFUSED,    KEY_NOTICE,     WHY_ARM },
    { "timer_mode",                        KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "tsc_mode",                          KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "type",                              KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "usb",                               KEY_ONLY_0,     KEY_HONOURED,   WHY_DEFAULT },
    { "usbctrl",                           KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_DEFAULT },
    { "usbdev",                            KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_DEFAULT },
    { "usbdevice",                         KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "usbversion",                        KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "uuid",                              KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "vcpus",                             KEY_HONOURED,   KEY_HONOURED,   WHY_DEFAULT },
    { "vdispl",                            KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_PV_DEVICE },
    { "vendor_device",                     KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "vfb",                               KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_PV_DEVICE },
    { "vga",                               KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "videoram",                          KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "vif",                               KEY_ONLY_EMPTY, KEY_HONOURED,   WHY_DEFAULT },
    { "vif2",                              KEY_NOTICE,     KEY_NOTICE,     WHY_XL_IGNORES },
    { "viridian",                          KEY_ONLY_0,     KEY_ONLY_0,     WHY_DEFAULT },
    { "vkb",                               KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_PV_DEVICE },
    { "vkb_device",                        KEY_ONLY_1,     KEY_NOTICE,     WHY_XEN },
    { "vmtrace_buf_kb",                    KEY_REFUSED,    KEY_NOTICE,     WHY_XEN },
    { "vnc",                               KEY_ONLY_0,     KEY_HONOURED,   WHY_DEFAULT },
    { "vncdisplay",                        KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "vnclisten",                         KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "vncpasswd",                         KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "vncunused",                         KEY_REFUSED,    KEY_HONOURED,   WHY_DEFAULT },
    { "vncviewer",                         KEY_NOTICE,     KEY_NOTICE,     WHY_XL_IGNORES },
    { "vnuma",                             KEY_REFUSED,    KEY_REFUSED,    WHY_DEFAULT },
    { "vpmu",                              KEY_ONLY_0,     KEY_ONLY_0,     WHY_DEFAULT },
    { "vpt_align",                         KEY_ONLY_1,     KEY_NOTICE,     WHY_XEN },
    { "vsnd",                              KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_PV_DEVICE },
    { "vtpm",                              KEY_ONLY_EMPTY, KEY_ONLY_EMPTY, WHY_PV_DEVICE },
    { "vuart",                             KEY_REFUSED,    KEY_NOTICE,     WHY_ARM },
    { "xauthority",                        KEY_REFUSED,    KEY_NOTICE,     WHY_SDL },
    { "xen_platform_pci",                  KEY_ONLY_1,     KEY_NOTICE,     WHY_XEN },
    { "xend_suspend_evtchn_compat",        KEY_ONLY_0,     KEY_NOTICE,     WHY_XEN },
};

size_t xl_cfg_key_count(void)
{
    return sizeof(keys) / sizeof(keys[0]);
}

const struct xl_cfg_key *xl_cfg_key_at(size_t i)
{
    return i < xl_cfg_key_count() ? &keys[i] : NULL;
}

static int key_compare(const void *name, const void *key)
{
    return strcmp(name, ((const struct xl_cfg_key *)key)->name);
}

const struct xl_cfg_key *xl_cfg_key_find(const char *name)
{
    return bsearch(name, keys, xl_cfg_key_count(), sizeof(keys[0]), key_compare);
}

/* The qemu backend's words for each why; WHY_DEFAULT is the backend's own. */
static const char *const why_texts[WHY_COUNT] = {
    [WHY_NOT_YET] = "not carried by the qemu backend yet",
    [WHY_PV_DEVICE] = "not supported by the qemu backend (Xen PV devices need Xen)",
    [WHY_HOST_RESOURCES] = "not supported by the qemu backend (Xen passes host resources "
                           "through, here only PCI devices with pci=)",
    [WHY_ONE_SERIAL] = "more than one serial port is not supported",
    [WHY_XEN] = "ignored on the qemu backend (a setting of the Xen hypervisor)",
    [WHY_XEN_SCHEDULER] = "ignored on the qemu backend (Xen's scheduler and CPU placement)",
    [WHY_PV_ONLY] = "ignored, meaningless for an HVM guest (xl reads it for PV and PVH "
                    "guests only)",
    [WHY_XL_IGNORES] = "ignored, as xl ignores it",
    [WHY_ARM] = "ignored, meaningless for an x86 guest (Arm only)",
    [WHY_SDL] = "ignored on the qemu backend (SDL settings, and sdl=1 is refused)",
    [WHY_SDL_WINDOW] = "not supported by the qemu backend (a window on an X display needs the "
                       "X server's socket, which a restricted device model cannot reach: use vnc=1)",
    [WHY_SPICE] = "ignored on the qemu backend (SPICE settings, and spice=1 is refused)",
    [WHY_STUBDOM] = "ignored on the qemu backend (stub domain settings, and the device model "
                    "runs in no stub domain)",
    [WHY_MIGRATION] = "ignored on the qemu backend (xl-dmr does not migrate guests)",
    [WHY_BIOS_PATH] = "not supported by the qemu backend (the firmware comes from QEMU's "
                      "firmware descriptors, bios=\"seabios\" or \"ovmf\", opened by the toolstack: "
                      "a path would be read by QEMU as root, before it chroots)",
    [WHY_SOFT_RESET] = "ignored on the qemu backend (a soft reset is Xen's: QEMU never reports one)",
    [WHY_HVMLOADER] = "ignored, as xl does: it names hvmloader, Xen's HVM firmware, not a "
                      "kernel to boot (firmware_override is xl's key for another firmware)",
};

const char *xl_cfg_key_why_text(enum libdmr_backend backend, enum key_use use, enum key_why why)
{
    if (why > WHY_DEFAULT && why < WHY_COUNT && why_texts[why])
        return why_texts[why];
    if (backend == LIBDMR_BACKEND_XEN)
        return use == KEY_NOTICE ? "ignored, meaningless for an HVM guest on xl-dmr's xen backend"
                                 : "not carried by xl-dmr's xen backend; use xl create (with the "
                                   "libdmrestrict patches) for this config";
    return use == KEY_NOTICE ? "ignored, meaningless on the qemu backend"
                             : "not supported by the qemu backend";
}

bool xl_cfg_kernel_is_hvmloader(const char *kernel)
{
    const char *base = kernel ? strrchr(kernel, '/') : NULL;
    return kernel && !strcmp(base ? base + 1 : kernel, "hvmloader");
}

/* A boolean read as xl reads it (any number; not 0 is true), equal to want? */
static bool key_is_bool(const XLU_Config *xlu, const char *key, bool want)
{
    long value;
    return !xlu_cfg_get_long(xlu, key, &value, 1) && (value != 0) == want;
}

/* How many entries the list key has; -1 if it is not a list. */
static int key_list_length(const XLU_Config *xlu, const char *key)
{
    int entries = -1;
    return xlu_cfg_get_list(xlu, key, NULL, &entries, 1) ? -1 : entries;
}

/* What a backend does with a key the cfg sets: HONOURED, NOTICE or
 * REFUSED, and why. */
struct key_verdict {
    enum key_use use;
    enum key_why why;
};

/* The values xl itself treats apart, whatever the column says. */
static bool key_special(const XLU_Config *xlu, const struct xl_cfg_key *k,
                        struct key_verdict *ret)
{
    const char *kernel;
    if (!strcmp(k->name, "kernel") && !xlu_cfg_get_string(xlu, "kernel", &kernel, 1) &&
        xl_cfg_kernel_is_hvmloader(kernel)) {
        *ret = (struct key_verdict){ KEY_NOTICE, WHY_HVMLOADER };
        return true;
    }
    if (!strcmp(k->name, "serial") && key_list_length(xlu, "serial") > 1) {
        *ret = (struct key_verdict){ KEY_REFUSED, WHY_ONE_SERIAL };
        return true;
    }
    return false;
}

static struct key_verdict key_verdict(const XLU_Config *xlu, const struct xl_cfg_key *k,
                                      enum libdmr_backend backend)
{
    struct key_verdict v;
    if (key_special(xlu, k, &v))
        return v;
    enum key_use use = backend == LIBDMR_BACKEND_XEN ? k->xen : k->qemu;
    enum key_why why = backend == LIBDMR_BACKEND_XEN ? WHY_DEFAULT : k->why;
    bool honoured;
    switch (use) {
    case KEY_ONLY_0:
    case KEY_ONLY_1:
        honoured = key_is_bool(xlu, k->name, use == KEY_ONLY_1);
        break;
    case KEY_ONLY_EMPTY:
        honoured = key_list_length(xlu, k->name) == 0;
        break;
    case KEY_NOT_YET:
        return (struct key_verdict){ KEY_REFUSED, WHY_NOT_YET };
    default:
        return (struct key_verdict){ use, why };
    }
    return honoured ? (struct key_verdict){ KEY_HONOURED, WHY_DEFAULT }
                    : (struct key_verdict){ KEY_REFUSED, why };
}

/* A key the cfg sets, as one backend takes it. */
struct judged {
    const char *name;
    enum key_use use;   /* HONOURED, NOTICE or REFUSED */
    const char *why;    /* the words after its name */
};

/* The verdicts on the table's keys the cfg sets, in table order; how many. */
static size_t judge_all(const XLU_Config *xlu, const struct cfg_scan *scan,
                        enum libdmr_backend backend, struct judged *out)
{
    size_t n = 0;
    for (size_t i = 0; i < xl_cfg_key_count(); i++)
        if (xl_cfg_scan_find(scan, keys[i].name)) {
            struct key_verdict v = key_verdict(xlu, &keys[i], backend);
            out[n++] = (struct judged){ keys[i].name, v.use,
                                        xl_cfg_key_why_text(backend, v.use, v.why) };
        }
    return n;
}

/* Is j[i] the first of its group (its use and why)? */
static bool group_starts_at(const struct judged *j, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (j[k].use == j[i].use && j[k].why == j[i].why)
            return false;
    return true;
}

/* "a, b: WHY": the keys of j[i]'s group. */
static void print_group(FILE *out, const struct judged *j, size_t n, size_t i)
{
    for (size_t k = i; k < n; k++)
        if (j[k].use == j[i].use && j[k].why == j[i].why)
            fprintf(out, "%s%s", k == i ? "" : ", ", j[k].name);
    fprintf(out, ": %s", j[i].why);
}

/* One line "PATH: a, b: WHY1; c: WHY2" of the groups of use (for a
 * notice, only j[only]'s group); NULL with no such key, or out of memory
 * (*nomem). */
static char *groups_sentence(const char *path, const struct judged *j, size_t n,
                             enum key_use use, ssize_t only, bool *nomem)
{
    char *text = NULL;
    size_t len = 0, groups = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        *nomem = true;
        return NULL;
    }
    fprintf(out, "%s: ", path);
    for (size_t i = 0; i < n; i++)
        if (only >= 0 ? i == (size_t)only : j[i].use == use && group_starts_at(j, i)) {
            fprintf(out, "%s", groups++ ? "; " : "");
            print_group(out, j, n, i);
        }
    int r = fclose(out);
    if (r || !groups) {
        *nomem |= r != 0;
        free(text);
        return NULL;
    }
    return text;
}

/* A backend's refusal (every refused key, one line) and notices (one per
 * why) for the cfg's keys. */
static int judge_backend(libdmr_ctx *ctx, const XLU_Config *xlu, const struct cfg_scan *scan,
                         const char *path, enum libdmr_backend backend, libdmr_config *c)
{
    struct judged j[sizeof(keys) / sizeof(keys[0])];
    size_t n = judge_all(xlu, scan, backend, j);
    bool nomem = false;
    char *refusal = groups_sentence(path, j, n, KEY_REFUSED, -1, &nomem);
    int rc = refusal ? libdmr_config_set_backend_refusal(ctx, c, backend, refusal) : 0;
    free(refusal);
    for (size_t i = 0; !rc && !nomem && i < n; i++) {
        if (j[i].use != KEY_NOTICE || !group_starts_at(j, i))
            continue;
        char *notice = groups_sentence(path, j, n, KEY_NOTICE, (ssize_t)i, &nomem);
        if (notice)
            rc = libdmr_config_add_backend_notice(ctx, c, backend, notice);
        free(notice);
    }
    if (!rc && nomem) {
        XLOG(ctx, ERROR, "%s: out of memory", path);
        rc = LIBDMR_ERROR_NOMEM;
    }
    return rc;
}

/* The optimal string alignment distance of a and b (an edit is an
 * insertion, a deletion, a change or two letters swapped). */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAX = 48 };
    size_t la = strlen(a), lb = strlen(b), d[MAX + 1][MAX + 1];
    if (la > MAX || lb > MAX)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t k = 0; k <= lb; k++)
        d[0][k] = k;
    for (size_t i = 1; i <= la; i++)
        for (size_t k = 1; k <= lb; k++) {
            size_t best = d[i - 1][k - 1] + (a[i - 1] != b[k - 1]);
            if (d[i - 1][k] + 1 < best)
                best = d[i - 1][k] + 1;
            if (d[i][k - 1] + 1 < best)
                best = d[i][k - 1] + 1;
            if (i > 1 && k > 1 && a[i - 1] == b[k - 2] && a[i - 2] == b[k - 1] &&
                d[i - 2][k - 2] + 1 < best)
                best = d[i - 2][k - 2] + 1;
            d[i][k] = best;
        }
    return d[la][lb];
}

/* The table's key a typing mistake most likely meant, or NULL: one edit
 * away (two for a name of six letters or more). */
static const char *key_suggestion(const char *name)
{
    size_t len = strlen(name), limit = len >= 6 ? 2 : len >= 3 ? 1 : 0;
    const char *best = NULL;
    size_t best_distance = limit + 1;
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        size_t distance = edit_distance(name, keys[i].name);
        if (distance < best_distance) {
            best = keys[i].name;
            best_distance = distance;
        }
    }
    return best;
}

/* "PATH:LINE: KEY: not an xl.cfg key, ignored", or the override instead
 * of the file; a notice on both backends. */
static int unknown_key_notice(libdmr_ctx *ctx, const char *path, const char *const *overrides,
                              const struct cfg_key_set *k, libdmr_config *c)
{
    const char *hint = key_suggestion(k->name);
    char *where, *notice;
    int r = k->override >= 0 ? asprintf(&where, "override '%s'", overrides[k->override])
                             : asprintf(&where, "%s:%d", path, k->line);
    if (r >= 0) {
        r = asprintf(&notice, "%s: %s: not an xl.cfg key, ignored%s%s%s", where, k->name,
                     hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
        free(where);
    }
    if (r < 0) {
        XLOG(ctx, ERROR, "%s: out of memory", path);
        return LIBDMR_ERROR_NOMEM;
    }
    int rc = libdmr_config_add_backend_notice(ctx, c, LIBDMR_BACKEND_XEN, notice);
    if (!rc)
        rc = libdmr_config_add_backend_notice(ctx, c, LIBDMR_BACKEND_QEMU, notice);
    free(notice);
    return rc;
}

int xl_cfg_keys_judge(libdmr_ctx *ctx, const XLU_Config *xlu, const struct cfg_scan *scan,
                      const char *path, const char *const *overrides, libdmr_config *c)
{
    int rc = judge_backend(ctx, xlu, scan, path, LIBDMR_BACKEND_XEN, c);
    if (!rc)
        rc = judge_backend(ctx, xlu, scan, path, LIBDMR_BACKEND_QEMU, c);
    for (size_t i = 0; !rc && i < scan->n; i++)
        if (!xl_cfg_key_find(scan->keys[i].name))
            rc = unknown_key_notice(ctx, path, overrides, &scan->keys[i], c);
    return rc;
}
