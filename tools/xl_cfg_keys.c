/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every key of xl.cfg(5) for Xen 4.17 (the keys its tools/xl/xl_parse.c
 * reads, the undocumented ones included) and xl-dmr's own, with what
 * xl-dmr's xen backend does with a key a cfg sets. A key is never dropped
 * quietly:
 *
 *  - CARRIED: xl-dmr reads it and the xen backend passes it to libxl
 *    (tools/xen_backend.c), or the plan honours it or refuses it with why.
 *  - ONLY_0 / ONLY_1: a boolean the backend never passes, honoured only
 *    with the value libxl ends up with anyway: the one the backend sets
 *    (vnc, sdl, nographic) or libxl 4.17's default for an HVM guest
 *    (libxl__domain_build_info_setdefault and its x86 part). The other
 *    value is refused like a REFUSED key. A default that depends on the
 *    host (hap: on where the CPU has HAP) is REFUSED whatever the value.
 *  - ONLY_EMPTY: a list of devices (or of the device model's arguments)
 *    honoured only empty, which asks for nothing (xl makes one device per
 *    entry); any entry is refused.
 *  - IGNORED: means nothing for the HVM guest the xen backend makes: xl
 *    itself reads it only for PV or PVH guests, or reads it and ignores it
 *    with a warning, or it is a qemu-backend key of xl-dmr's. Named in a
 *    notice of the plan; the guest is the one the cfg describes.
 *  - REFUSED: everything else. The xen backend builds libxl's domain
 *    config from the plan alone; the patched `xl create` (Xen's own xl
 *    with the libdmrestrict patches, issue 17) reads every key.
 *
 * libxlutil cannot list the keys a file sets, so each name here is asked
 * for; a key xl does not know (a typing mistake) is not found this way.
 * xl-dmr.cfg(5), "KEYS BY BACKEND", says the same for people: change both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_cfg.h"
#include "xl_cfg_keys.h"

static const struct xl_cfg_key keys[] = {
    { "accel", XEN_KEY_IGNORED },               /* the qemu backend's */
    { "acpi", XEN_KEY_ONLY_1 },
    { "acpi_firmware", XEN_KEY_REFUSED },
    { "acpi_laptop_slate", XEN_KEY_ONLY_0 },
    { "acpi_s3", XEN_KEY_ONLY_1 },
    { "acpi_s4", XEN_KEY_ONLY_1 },
    { "altp2m", XEN_KEY_REFUSED },
    { "altp2mhvm", XEN_KEY_ONLY_0 },
    { "apic", XEN_KEY_ONLY_1 },
    { "bios", XEN_KEY_REFUSED },
    { "bios_path_override", XEN_KEY_REFUSED },
    { "boot", XEN_KEY_CARRIED },
    { "bootloader", XEN_KEY_IGNORED },          /* libxl runs it for PV/PVH only */
    { "bootloader_args", XEN_KEY_IGNORED },     /* libxl runs it for PV/PVH only */
    { "builder", XEN_KEY_CARRIED },             /* "hvm" only */
    { "cap", XEN_KEY_REFUSED },
    { "channel", XEN_KEY_ONLY_EMPTY },
    { "cmdline", XEN_KEY_REFUSED },
    { "cpu_weight", XEN_KEY_REFUSED },
    { "cpuid", XEN_KEY_REFUSED },
    { "cpus", XEN_KEY_REFUSED },
    { "cpus_soft", XEN_KEY_REFUSED },
    { "device_model", XEN_KEY_IGNORED },        /* xl ignores it, with a warning */
    { "device_model_args", XEN_KEY_ONLY_EMPTY },
    { "device_model_args_hvm", XEN_KEY_ONLY_EMPTY },
    { "device_model_args_pv", XEN_KEY_IGNORED },/* a PV guest's */
    { "device_model_override", XEN_KEY_CARRIED },
    { "device_model_stubdomain_override", XEN_KEY_REFUSED },
    { "device_model_stubdomain_seclabel", XEN_KEY_REFUSED },
    { "device_model_user", XEN_KEY_CARRIED },
    { "device_model_version", XEN_KEY_CARRIED },/* "qemu-xen" only */
    { "device_tree", XEN_KEY_REFUSED },
    { "disk", XEN_KEY_CARRIED },
    { "display", XEN_KEY_REFUSED },
    { "dm_backend", XEN_KEY_CARRIED },
    { "dm_restrict", XEN_KEY_CARRIED },
    { "driver_domain", XEN_KEY_ONLY_0 },
    { "dtdev", XEN_KEY_ONLY_EMPTY },
    { "e820_host", XEN_KEY_IGNORED },           /* xl reads it for PV only */
    { "extra", XEN_KEY_REFUSED },
    { "extratime", XEN_KEY_REFUSED },
    { "firmware", XEN_KEY_REFUSED },
    { "firmware_override", XEN_KEY_REFUSED },
    { "gfx_passthru", XEN_KEY_ONLY_0 },
    { "gic_version", XEN_KEY_REFUSED },
    { "hap", XEN_KEY_REFUSED },                 /* libxl's default depends on the host */
    { "hdtype", XEN_KEY_REFUSED },
    { "hpet", XEN_KEY_ONLY_1 },
    { "init_seclabel", XEN_KEY_REFUSED },
    { "iomem", XEN_KEY_REFUSED },
    { "ioports", XEN_KEY_REFUSED },
    { "irqs", XEN_KEY_REFUSED },
    { "kernel", XEN_KEY_REFUSED },              /* refused in the plan too */
    { "keymap", XEN_KEY_REFUSED },
    { "latency", XEN_KEY_REFUSED },
    { "localtime", XEN_KEY_ONLY_0 },
    { "machine", XEN_KEY_IGNORED },             /* the qemu backend's */
    { "max_event_channels", XEN_KEY_REFUSED },
    { "max_grant_frames", XEN_KEY_REFUSED },
    { "max_grant_version", XEN_KEY_REFUSED },
    { "max_maptrack_frames", XEN_KEY_REFUSED },
    { "maxmem", XEN_KEY_REFUSED },
    { "maxvcpus", XEN_KEY_REFUSED },
    { "mca_caps", XEN_KEY_REFUSED },
    { "memory", XEN_KEY_CARRIED },
    { "mmio_hole", XEN_KEY_REFUSED },
    { "ms_vm_genid", XEN_KEY_REFUSED },
    { "msr_relaxed", XEN_KEY_REFUSED },
    { "name", XEN_KEY_CARRIED },
    { "nestedhvm", XEN_KEY_ONLY_0 },
    { "nographic", XEN_KEY_ONLY_1 },            /* the backend sets it */
    { "nomigrate", XEN_KEY_ONLY_0 },
    { "nx", XEN_KEY_ONLY_1 },
    { "on_crash", XEN_KEY_REFUSED },
    { "on_poweroff", XEN_KEY_REFUSED },
    { "on_reboot", XEN_KEY_REFUSED },
    { "on_soft_reset", XEN_KEY_REFUSED },
    { "on_watchdog", XEN_KEY_REFUSED },
    { "oos", XEN_KEY_ONLY_1 },
    { "opengl", XEN_KEY_REFUSED },
    { "p9", XEN_KEY_ONLY_EMPTY },
    { "pae", XEN_KEY_ONLY_1 },
    { "passthrough", XEN_KEY_REFUSED },
    { "pci", XEN_KEY_CARRIED },
    { "pci_guest_unplug", XEN_KEY_CARRIED },
    { "pci_hotplug_ports", XEN_KEY_CARRIED },   /* planned: 0, or refused with why */
    { "pci_msitranslate", XEN_KEY_REFUSED },
    { "pci_permissive", XEN_KEY_REFUSED },
    { "pci_power_mgmt", XEN_KEY_REFUSED },
    { "pci_seize", XEN_KEY_REFUSED },
    { "period", XEN_KEY_REFUSED },
    { "pool", XEN_KEY_REFUSED },
    { "pvcalls", XEN_KEY_ONLY_EMPTY },
    { "pvshim", XEN_KEY_IGNORED },              /* xl reads it for PVH only */
    { "pvshim_cmdline", XEN_KEY_IGNORED },      /* xl reads it for PVH only */
    { "pvshim_extra", XEN_KEY_IGNORED },        /* xl reads it for PVH only */
    { "pvshim_path", XEN_KEY_IGNORED },         /* xl reads it for PVH only */
    { "ramdisk", XEN_KEY_REFUSED },
    { "rdm", XEN_KEY_REFUSED },
    { "rdm_mem_boundary", XEN_KEY_REFUSED },
    { "root", XEN_KEY_REFUSED },
    { "rtc_timeoffset", XEN_KEY_REFUSED },
    { "sdl", XEN_KEY_ONLY_0 },                  /* the backend sets it */
    { "seclabel", XEN_KEY_REFUSED },
    { "serial", XEN_KEY_CARRIED },
    { "shadow_memory", XEN_KEY_REFUSED },
    { "slice", XEN_KEY_REFUSED },
    { "smbios_firmware", XEN_KEY_REFUSED },
    { "soundhw", XEN_KEY_REFUSED },
    { "spice", XEN_KEY_ONLY_0 },
    { "spice_clipboard_sharing", XEN_KEY_REFUSED },
    { "spice_image_compression", XEN_KEY_REFUSED },
    { "spice_streaming_video", XEN_KEY_REFUSED },
    { "spiceagent_mouse", XEN_KEY_REFUSED },
    { "spicedisable_ticketing", XEN_KEY_REFUSED },
    { "spicehost", XEN_KEY_REFUSED },
    { "spicepasswd", XEN_KEY_REFUSED },
    { "spiceport", XEN_KEY_REFUSED },
    { "spicetls_port", XEN_KEY_REFUSED },
    { "spiceusbredirection", XEN_KEY_REFUSED },
    { "spicevdagent", XEN_KEY_REFUSED },
    { "stdvga", XEN_KEY_REFUSED },
    { "stubdomain_cmdline", XEN_KEY_REFUSED },
    { "stubdomain_kernel", XEN_KEY_REFUSED },
    { "stubdomain_memory", XEN_KEY_REFUSED },
    { "stubdomain_ramdisk", XEN_KEY_REFUSED },
    { "tee", XEN_KEY_REFUSED },
    { "timer_mode", XEN_KEY_REFUSED },
    { "tsc_mode", XEN_KEY_REFUSED },
    { "type", XEN_KEY_CARRIED },                /* "hvm" only */
    { "usb", XEN_KEY_ONLY_0 },
    { "usbctrl", XEN_KEY_ONLY_EMPTY },
    { "usbdev", XEN_KEY_ONLY_EMPTY },
    { "usbdevice", XEN_KEY_REFUSED },
    { "usbversion", XEN_KEY_REFUSED },
    { "uuid", XEN_KEY_REFUSED },
    { "vcpus", XEN_KEY_CARRIED },
    { "vdispl", XEN_KEY_ONLY_EMPTY },
    { "vendor_device", XEN_KEY_REFUSED },
    { "vfb", XEN_KEY_ONLY_EMPTY },
    { "vga", XEN_KEY_REFUSED },
    { "videoram", XEN_KEY_REFUSED },
    { "vif", XEN_KEY_ONLY_EMPTY },
    { "vif2", XEN_KEY_IGNORED },                /* xl ignores it, with a warning */
    { "viridian", XEN_KEY_ONLY_0 },
    { "vkb", XEN_KEY_ONLY_EMPTY },
    { "vkb_device", XEN_KEY_ONLY_1 },
    { "vmtrace_buf_kb", XEN_KEY_REFUSED },
    { "vnc", XEN_KEY_ONLY_0 },                  /* the backend sets it */
    { "vncdisplay", XEN_KEY_REFUSED },
    { "vnclisten", XEN_KEY_REFUSED },
    { "vncpasswd", XEN_KEY_REFUSED },
    { "vncunused", XEN_KEY_REFUSED },
    { "vncviewer", XEN_KEY_IGNORED },           /* xl ignores it, with a warning */
    { "vnuma", XEN_KEY_REFUSED },
    { "vpmu", XEN_KEY_ONLY_0 },
    { "vpt_align", XEN_KEY_ONLY_1 },
    { "vsnd", XEN_KEY_ONLY_EMPTY },
    { "vtpm", XEN_KEY_ONLY_EMPTY },
    { "vuart", XEN_KEY_REFUSED },
    { "xauthority", XEN_KEY_REFUSED },
    { "xen_platform_pci", XEN_KEY_ONLY_1 },
    { "xend_suspend_evtchn_compat", XEN_KEY_ONLY_0 },
};

size_t xl_cfg_key_count(void)
{
    return sizeof(keys) / sizeof(keys[0]);
}

const struct xl_cfg_key *xl_cfg_key_at(size_t i)
{
    return i < xl_cfg_key_count() ? &keys[i] : NULL;
}

/* Does the cfg set key, whatever its value (a string or a list)?
 * libxlutil answers ESRCH only for a key that is not set. */
static bool key_is_set(const XLU_Config *xlu, const char *key)
{
    const char *value;
    return xlu_cfg_get_string(xlu, key, &value, 1) != ESRCH;
}

/* A boolean read as xl reads it (any number; not 0 is true), equal to want? */
static bool key_is_bool(const XLU_Config *xlu, const char *key, bool want)
{
    long value;
    return !xlu_cfg_get_long(xlu, key, &value, 1) && (value != 0) == want;
}

/* Is key a list with no entry? */
static bool key_is_empty_list(const XLU_Config *xlu, const char *key)
{
    int entries = -1;
    return !xlu_cfg_get_list(xlu, key, NULL, &entries, 1) && entries == 0;
}

/* How the xen backend takes a key the cfg sets: carried, ignored or refused. */
static enum xen_key_use xen_use_of(const XLU_Config *xlu, const struct xl_cfg_key *k)
{
    bool honoured;
    switch (k->xen) {
    case XEN_KEY_ONLY_0:
    case XEN_KEY_ONLY_1:
        honoured = key_is_bool(xlu, k->name, k->xen == XEN_KEY_ONLY_1);
        break;
    case XEN_KEY_ONLY_EMPTY:
        honoured = key_is_empty_list(xlu, k->name);
        break;
    default:
        return k->xen;
    }
    return honoured ? XEN_KEY_CARRIED : XEN_KEY_REFUSED;
}

/* "a, b, c": the keys the cfg sets that the xen backend takes as use;
 * "" when none. NULL: out of memory. */
static char *keys_used_as(const XLU_Config *xlu, enum xen_key_use use)
{
    char *list = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&list, &len);
    if (!out)
        return NULL;
    bool first = true;
    for (size_t i = 0; i < xl_cfg_key_count(); i++)
        if (key_is_set(xlu, keys[i].name) && xen_use_of(xlu, &keys[i]) == use) {
            fprintf(out, "%s%s", first ? "" : ", ", keys[i].name);
            first = false;
        }
    if (fclose(out)) {
        free(list);
        return NULL;
    }
    return list;
}

/* "PATH: KEYS: WHAT" in *ret, or NULL when no key is named. */
static int keys_sentence(const char *path, const char *names, const char *what, char **ret)
{
    *ret = NULL;
    if (names[0] && asprintf(ret, "%s: %s: %s", path, names, what) < 0) {
        *ret = NULL;
        return -ENOMEM;
    }
    return 0;
}

int xl_cfg_keys_judge(libdmr_ctx *ctx, const XLU_Config *xlu, const char *path,
                      libdmr_config *c)
{
    char *refused = keys_used_as(xlu, XEN_KEY_REFUSED);
    char *ignored = keys_used_as(xlu, XEN_KEY_IGNORED);
    char *refusal = NULL, *notice = NULL;
    int rc = 0;
    if (!refused || !ignored ||
        keys_sentence(path, refused, "not carried by xl-dmr's xen backend; use xl create "
                      "(with the libdmrestrict patches) for this config", &refusal) ||
        keys_sentence(path, ignored, "ignored, meaningless for an HVM guest on xl-dmr's "
                      "xen backend", &notice)) {
        XLOG(ctx, ERROR, "%s: out of memory", path);
        rc = LIBDMR_ERROR_NOMEM;
    }
    if (!rc && refusal)
        rc = libdmr_config_set_backend_refusal(ctx, c, LIBDMR_BACKEND_XEN, refusal);
    if (!rc && notice)
        rc = libdmr_config_add_backend_notice(ctx, c, LIBDMR_BACKEND_XEN, notice);
    free(refused);
    free(ignored);
    free(refusal);
    free(notice);
    return rc;
}
