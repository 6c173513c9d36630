/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A domain described by calls: the toolstack-neutral config. Each setter
 * checks its value; decisions are the planner's. A refused value is not
 * logged: its reason goes to the context's last error, so that the caller
 * can say it in its own terms (xl-dmr's cfg reader names the file and
 * line, libxl its domain).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define MEMORY_MB_MAX (16L << 20)
#define VCPUS_MAX 128

int config_refuse(libdmr_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->last_error, sizeof(ctx->last_error), fmt, ap);
    va_end(ap);
    return LIBDMR_ERROR_INVAL;
}

/* A call the caller got wrong: INVAL, said like a refused value. */
#define CHECK_ARGS(ok) \
    do { \
        if (!(ok)) \
            return ctx ? config_refuse(ctx, "%s: invalid argument", __func__) \
                       : LIBDMR_ERROR_INVAL; \
    } while (0)

static bool name_is_valid(const char *name)
{
    size_t n = strlen(name);
    bool all_digits = true;
    if (n == 0 || n > 64 || name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = name[i];
        if (!isalnum(c) && c != '-' && c != '_' && c != '.')
            return false;
        all_digits &= isdigit(c) != 0;
    }
    /* A name that is a number could not be told from a domid. */
    return !all_digits;
}

/* Replace *field with a copy of value (NULL: unset). */
static int set_string(libdmr_ctx *ctx, char **field, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value))) {
        LOG(ERROR, "out of memory");
        return LIBDMR_ERROR_NOMEM;
    }
    free(*field);
    *field = copy;
    return 0;
}

int libdmr_config_new(libdmr_ctx *ctx, const char *name, libdmr_config **ret_config)
{
    CHECK_ARGS(ctx && name && ret_config);
    libdmr_config *c = calloc(1, sizeof(*c));
    if (!c) {
        LOG(ERROR, "out of memory");
        return LIBDMR_ERROR_NOMEM;
    }
    /* xl's defaults. */
    c->memory_mb = 128;
    c->vcpus = 1;
    c->pci_guest_unplug = true;
    c->pci_hotplug_ports = -1;  /* the planner's default */
    int rc = libdmr_config_set_name(ctx, c, name);
    if (rc) {
        libdmr_config_free(c);
        return rc;
    }
    *ret_config = c;
    return 0;
}

/* The VNC password's bytes do not outlive it. */
static void display_password_clear(struct libdmr_display *d)
{
    if (d->vnc_password)
        explicit_bzero(d->vnc_password, strlen(d->vnc_password));
    free(d->vnc_password);
    d->vnc_password = NULL;
}

static void nic_clear(struct libdmr_nic *nic)
{
    free(nic->ifname);
    free(nic->bridge);
    free(nic->model);
}

void libdmr_config_free(libdmr_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_disks; i++) {
        free(c->disks[i].target);
        free(c->disks[i].vdev);
    }
    free(c->disks);
    free(c->pci);
    free(c->source);
    free(c->name);
    free(c->device_model_user);
    free(c->device_model_override);
    free(c->kernel);
    free(c->ramdisk);
    free(c->cmdline);
    free(c->serial);
    free(c->boot);
    for (size_t i = 0; i < ELEMENTSOF(c->backend_refusal); i++) {
        free(c->backend_refusal[i]);
        strv_clear(&c->backend_notices[i]);
    }
    for (size_t i = 0; i < c->n_nics; i++)
        nic_clear(&c->nics[i]);
    free(c->nics);
    free(c->vnc.listen);
    free(c->mach.uuid);
    free(c->mach.soundhw);
    strv_clear(&c->mach.dm_args);
    free(c->display.keymap);
    display_password_clear(&c->display);
    strv_clear(&c->display.usb_devices);
    free(c);
}

int libdmr_config_set_source(libdmr_ctx *ctx, libdmr_config *c, const char *source)
{
    CHECK_ARGS(ctx && c);
    return set_string(ctx, &c->source, source);
}

int libdmr_config_set_name(libdmr_ctx *ctx, libdmr_config *c, const char *name)
{
    CHECK_ARGS(ctx && c && name);
    if (!name_is_valid(name))
        return config_refuse(ctx, "bad domain name \"%s\": use 1-64 letters, "
                             "digits, '-', '_' or '.', not only digits", name);
    return set_string(ctx, &c->name, name);
}

int libdmr_config_set_type(libdmr_ctx *ctx, libdmr_config *c, enum libdmr_guest_type type)
{
    CHECK_ARGS(ctx && c);
    if (type != LIBDMR_GUEST_HVM)
        return config_refuse(ctx, "only HVM guests have a device model; "
                             "xl-dmr needs type=\"hvm\"");
    return 0;
}

int libdmr_config_set_backend(libdmr_ctx *ctx, libdmr_config *c, enum libdmr_backend backend)
{
    CHECK_ARGS(ctx && c);
    if (backend != LIBDMR_BACKEND_AUTO && backend != LIBDMR_BACKEND_XEN &&
        backend != LIBDMR_BACKEND_QEMU)
        return config_refuse(ctx, "unknown backend %d", (int)backend);
    c->backend = backend;
    return 0;
}

int libdmr_config_set_dm_restrict(libdmr_ctx *ctx, libdmr_config *c, bool dm_restrict)
{
    CHECK_ARGS(ctx && c);
    c->dm_restrict = dm_restrict;
    return 0;
}

int libdmr_config_set_device_model_user(libdmr_ctx *ctx, libdmr_config *c, const char *user)
{
    CHECK_ARGS(ctx && c);
    if (user && !user[0])
        return config_refuse(ctx, "device_model_user must not be empty");
    return set_string(ctx, &c->device_model_user, user);
}

int libdmr_config_set_device_model(libdmr_ctx *ctx, libdmr_config *c, const char *path)
{
    CHECK_ARGS(ctx && c);
    if (path && path[0] != '/')
        return config_refuse(ctx, "device_model_override must be an absolute path");
    return set_string(ctx, &c->device_model_override, path);
}

int libdmr_config_set_machine(libdmr_ctx *ctx, libdmr_config *c, enum libdmr_machine machine)
{
    CHECK_ARGS(ctx && c);
    if (machine != LIBDMR_MACHINE_DEFAULT && machine != LIBDMR_MACHINE_Q35 &&
        machine != LIBDMR_MACHINE_PC)
        return config_refuse(ctx, "unknown machine %d", (int)machine);
    c->machine = machine;
    return 0;
}

int libdmr_config_set_accel(libdmr_ctx *ctx, libdmr_config *c, enum libdmr_accel accel)
{
    CHECK_ARGS(ctx && c);
    if (accel != LIBDMR_ACCEL_AUTO && accel != LIBDMR_ACCEL_KVM && accel != LIBDMR_ACCEL_TCG)
        return config_refuse(ctx, "unknown accel %d", (int)accel);
    c->accel = accel;
    return 0;
}

int libdmr_config_set_memory_mb(libdmr_ctx *ctx, libdmr_config *c, long memory_mb)
{
    CHECK_ARGS(ctx && c);
    if (memory_mb < 1 || memory_mb > MEMORY_MB_MAX)
        return config_refuse(ctx, "memory must be a number from 1 to %ld", MEMORY_MB_MAX);
    c->memory_mb = memory_mb;
    return 0;
}

int libdmr_config_set_vcpus(libdmr_ctx *ctx, libdmr_config *c, long vcpus)
{
    CHECK_ARGS(ctx && c);
    if (vcpus < 1 || vcpus > VCPUS_MAX)
        return config_refuse(ctx, "vcpus must be a number from 1 to %d", VCPUS_MAX);
    c->vcpus = vcpus;
    return 0;
}

int libdmr_config_set_kernel(libdmr_ctx *ctx, libdmr_config *c, const char *kernel,
                             const char *ramdisk, const char *cmdline)
{
    CHECK_ARGS(ctx && c);
    if ((kernel && kernel[0] != '/') || (ramdisk && ramdisk[0] != '/'))
        return config_refuse(ctx, "kernel and ramdisk must be absolute paths");
    if (ramdisk && !kernel)
        return config_refuse(ctx, "a ramdisk needs a kernel");
    int rc = set_string(ctx, &c->kernel, kernel);
    if (!rc)
        rc = set_string(ctx, &c->ramdisk, ramdisk);
    if (!rc)
        rc = set_string(ctx, &c->cmdline, cmdline);
    return rc;
}

int libdmr_config_set_serial(libdmr_ctx *ctx, libdmr_config *c, const char *serial)
{
    CHECK_ARGS(ctx && c);
    return set_string(ctx, &c->serial, serial);
}

int libdmr_config_set_boot(libdmr_ctx *ctx, libdmr_config *c, const char *boot)
{
    CHECK_ARGS(ctx && c);
    if (boot && (!boot[0] || strspn(boot, "acdn") != strlen(boot)))
        return config_refuse(ctx, "bad boot order \"%s\": use the letters a, c, d and n", boot);
    return set_string(ctx, &c->boot, boot);
}

int libdmr_config_set_paused(libdmr_ctx *ctx, libdmr_config *c, bool paused)
{
    CHECK_ARGS(ctx && c);
    c->paused = paused;
    return 0;
}

int libdmr_config_set_action(libdmr_ctx *ctx, libdmr_config *c, enum libdmr_event event,
                             enum libdmr_action action)
{
    CHECK_ARGS(ctx && c);
    if ((unsigned)event >= LIBDMR_EVENT_COUNT || (unsigned)action > LIBDMR_ACTION_SOFT_RESET)
        return config_refuse(ctx, "no such event (%d) or action (%d)", (int)event, (int)action);
    c->actions[event] = action;
    return 0;
}

static bool backend_is_one(enum libdmr_backend backend)
{
    return backend == LIBDMR_BACKEND_XEN || backend == LIBDMR_BACKEND_QEMU;
}

int libdmr_config_set_backend_refusal(libdmr_ctx *ctx, libdmr_config *c,
                                      enum libdmr_backend backend, const char *refusal)
{
    CHECK_ARGS(ctx && c && backend_is_one(backend));
    return set_string(ctx, &c->backend_refusal[backend], refusal);
}

int libdmr_config_add_backend_notice(libdmr_ctx *ctx, libdmr_config *c,
                                     enum libdmr_backend backend, const char *notice)
{
    CHECK_ARGS(ctx && c && notice && backend_is_one(backend));
    if (strv_push(&c->backend_notices[backend], notice)) {
        LOG(ERROR, "out of memory");
        return LIBDMR_ERROR_NOMEM;
    }
    return 0;
}

int libdmr_config_set_domid(libdmr_ctx *ctx, libdmr_config *c, uint32_t domid)
{
    CHECK_ARGS(ctx && c);
    if (domid < LIBDMR_DOMID_MIN || domid > LIBDMR_DOMID_MAX)
        return config_refuse(ctx, "domid %u is out of range %u..%u", domid,
                             LIBDMR_DOMID_MIN, LIBDMR_DOMID_MAX);
    c->requested_domid = domid;
    c->toolstack_domid = false;
    return 0;
}

int libdmr_config_set_toolstack_domid(libdmr_ctx *ctx, libdmr_config *c, uint32_t domid)
{
    CHECK_ARGS(ctx && c);
    if (domid != LIBDMR_DOMID_NONE && (domid < LIBDMR_DOMID_MIN || domid > LIBDMR_DOMID_MAX))
        return config_refuse(ctx, "domid %u is out of range %u..%u", domid,
                             LIBDMR_DOMID_MIN, LIBDMR_DOMID_MAX);
    c->requested_domid = domid;
    c->toolstack_domid = true;
    return 0;
}

int libdmr_config_set_toolstack_limits(libdmr_ctx *ctx, libdmr_config *c, bool at_start)
{
    CHECK_ARGS(ctx && c);
    c->toolstack_limits = at_start;
    return 0;
}

static bool disk_format_known(enum libdmr_disk_format f)
{
    return f == LIBDMR_FORMAT_RAW || f == LIBDMR_FORMAT_QCOW2 || f == LIBDMR_FORMAT_EMPTY;
}

int libdmr_config_add_disk(libdmr_ctx *ctx, libdmr_config *c, const char *vdev,
                           const char *target, enum libdmr_disk_format format, unsigned flags)
{
    CHECK_ARGS(ctx && c && vdev && disk_format_known(format) &&
               !(flags & ~(LIBDMR_DISK_READWRITE | LIBDMR_DISK_CDROM)));
    bool cdrom = flags & LIBDMR_DISK_CDROM;
    bool has_target = target && target[0];
    if (!vdev[0])
        return config_refuse(ctx, "disk: no vdev");
    if (!has_target && !cdrom)
        return config_refuse(ctx, "disk %s: no target (only a cdrom may be empty)", vdev);
    if (has_target && target[0] != '/')
        return config_refuse(ctx, "disk %s: target must be an absolute path", vdev);
    for (size_t i = 0; i < c->n_disks; i++)
        if (!strcmp(c->disks[i].vdev, vdev))
            return config_refuse(ctx, "disk %s: vdev %s is used twice", vdev, vdev);
    struct libdmr_disk d = {
        .format = has_target ? format : LIBDMR_FORMAT_EMPTY, .cdrom = cdrom,
        .readwrite = (flags & LIBDMR_DISK_READWRITE) && !cdrom,
        .vdev = strdup(vdev), .target = has_target ? strdup(target) : NULL };
    struct libdmr_disk *grown = realloc(c->disks, (c->n_disks + 1) * sizeof(*grown));
    if (!d.vdev || (has_target && !d.target) || !grown) {
        free(d.vdev);
        free(d.target);
        if (grown)
            c->disks = grown;
        LOG(ERROR, "out of memory");
        return LIBDMR_ERROR_NOMEM;
    }
    c->disks = grown;
    c->disks[c->n_disks++] = d;
    return 0;
}

int libdmr_config_add_pci(libdmr_ctx *ctx, libdmr_config *c, const libdmr_pci_addr *dev,
                          int vslot, int guest_unplug)
{
    CHECK_ARGS(ctx && c && dev);
    if (dev->domain > 0xffff || dev->bus > 0xff || dev->dev > 0x1f || dev->func > 7)
        return config_refuse(ctx, "pci " LIBDMR_BDF_FMT ": not a PCI address",
                             LIBDMR_BDF_ARGS(dev));
    if (vslot == 0 || vslot < -1 || vslot > 31)
        return config_refuse(ctx, "pci " LIBDMR_BDF_FMT ": @%d is not supported%s",
                             LIBDMR_BDF_ARGS(dev), vslot,
                             vslot == 0 ? " (the host bridge's slot)" : " (slots are 1..31)");
    if (guest_unplug < -1 || guest_unplug > 1)
        return config_refuse(ctx, "pci " LIBDMR_BDF_FMT ": guest_unplug must be 0 or 1",
                             LIBDMR_BDF_ARGS(dev));
    for (size_t i = 0; i < c->n_pci; i++) {
        const struct libdmr_pci_dev *o = &c->pci[i];
        if (o->domain == dev->domain && o->bus == dev->bus && o->dev == dev->dev &&
            o->func == dev->func)
            return config_refuse(ctx, "pci " LIBDMR_BDF_FMT ": device listed twice",
                                 LIBDMR_BDF_ARGS(dev));
    }
    struct libdmr_pci_dev *grown = realloc(c->pci, (c->n_pci + 1) * sizeof(*grown));
    if (!grown) {
        LOG(ERROR, "out of memory");
        return LIBDMR_ERROR_NOMEM;
    }
    c->pci = grown;
    c->pci[c->n_pci++] = (struct libdmr_pci_dev){
        .domain = dev->domain, .bus = dev->bus, .dev = dev->dev, .func = dev->func,
        .has_vslot = vslot > 0, .vslot = vslot > 0 ? (unsigned)vslot : 0,
        .unplug_default = guest_unplug < 0,
        .guest_unplug = guest_unplug < 0 ? c->pci_guest_unplug : guest_unplug == 1 };
    return 0;
}

int libdmr_config_set_pci_guest_unplug(libdmr_ctx *ctx, libdmr_config *c, bool allowed)
{
    CHECK_ARGS(ctx && c);
    c->pci_guest_unplug = allowed;
    /* The devices that asked for nothing follow the domain, whenever it is set. */
    for (size_t i = 0; i < c->n_pci; i++)
        if (c->pci[i].unplug_default)
            c->pci[i].guest_unplug = allowed;
    return 0;
}

int libdmr_config_set_pci_hotplug_ports(libdmr_ctx *ctx, libdmr_config *c, long ports)
{
    CHECK_ARGS(ctx && c);
    if (ports < -1 || ports > LIBDMR_HOTPLUG_PORTS_MAX)
        return config_refuse(ctx, "pci_hotplug_ports must be a number from 0 to %d",
                             LIBDMR_HOTPLUG_PORTS_MAX);
    c->pci_hotplug_ports = ports;
    return 0;
}

#define IFNAME_MAX 15      /* IFNAMSIZ - 1 */
#define NIC_MODEL_MAX 31

/* 1..max letters, digits, '.', '-' or '_', not "." or "..": a name the
 * kernel takes for an interface, and a word without the commas and '='
 * that would add options to QEMU's. */
static bool word_is_valid(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

static int nic_check(libdmr_ctx *ctx, const libdmr_config *c, const char *ifname,
                     const char *bridge, const char *model)
{
    if (ifname && !word_is_valid(ifname, IFNAME_MAX))
        return config_refuse(ctx, "vif: bad vifname \"%s\": use 1-%d letters, digits, "
                             "'.', '-' or '_'", ifname, IFNAME_MAX);
    if (bridge && !word_is_valid(bridge, IFNAME_MAX))
        return config_refuse(ctx, "vif: bad bridge \"%s\": use 1-%d letters, digits, "
                             "'.', '-' or '_'", bridge, IFNAME_MAX);
    if (model && !word_is_valid(model, NIC_MODEL_MAX))
        return config_refuse(ctx, "vif: bad model \"%s\": use 1-%d letters, digits, "
                             "'.', '-' or '_'", model, NIC_MODEL_MAX);
    for (size_t i = 0; ifname && i < c->n_nics; i++)
        if (c->nics[i].ifname && !strcmp(c->nics[i].ifname, ifname))
            return config_refuse(ctx, "vif: vifname %s is used twice", ifname);
    return 0;
}

/* Six two-digit hex bytes separated by ':', nothing else; a unicast
 * address (a multicast one is no card's), not all zeros. */
static int mac_parse(libdmr_ctx *ctx, const char *text, uint8_t ret[6])
{
    unsigned b[6];
    int end = -1;
    bool shaped = strlen(text) == 17 &&
                  sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
                         &b[4], &b[5], &end) == 6 && end == 17;
    for (size_t i = 0; shaped && i < 17; i++)
        shaped = i % 3 == 2 ? text[i] == ':' : isxdigit((unsigned char)text[i]);
    if (!shaped)
        return config_refuse(ctx, "vif: bad mac \"%s\" (expected six hex bytes as "
                             "00:16:3e:12:34:56)", text);
    if (b[0] & 1)
        return config_refuse(ctx, "vif: mac %s is a multicast address (its first byte "
                             "is odd): no card has it", text);
    if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
        return config_refuse(ctx, "vif: mac %s is all zeros", text);
    for (size_t i = 0; i < 6; i++)
        ret[i] = b[i];
    return 0;
}

int libdmr_config_add_nic_mac(libdmr_ctx *ctx, libdmr_config *c, const char *ifname,
                              const char *bridge, const char *model, const char *mac)
{
    CHECK_ARGS(ctx && c);
    struct libdmr_nic nic = { .has_mac = mac != NULL };
    int rc = nic_check(ctx, c, ifname, bridge, model);
    if (!rc && mac)
        rc = mac_parse(ctx, mac, nic.mac);
    for (size_t i = 0; !rc && mac && i < c->n_nics; i++)
        if (c->nics[i].has_mac && !memcmp(c->nics[i].mac, nic.mac, 6))
            rc = config_refuse(ctx, "vif: mac %s is used twice", mac);
    if (rc)
        return rc;
    nic.ifname = strdup_or_null(ifname);
    nic.bridge = strdup_or_null(bridge);
    nic.model = strdup_or_null(model);
    struct libdmr_nic *grown = realloc(c->nics, (c->n_nics + 1) * sizeof(*grown));
    if (grown)
        c->nics = grown;
    if (!grown || (ifname && !nic.ifname) || (bridge && !nic.bridge) || (model && !nic.model)) {
        nic_clear(&nic);
        LOG(ERROR, "out of memory");
        return LIBDMR_ERROR_NOMEM;
    }
    c->nics[c->n_nics++] = nic;
    return 0;
}

int libdmr_config_add_nic(libdmr_ctx *ctx, libdmr_config *c, const char *ifname,
                          const char *bridge, const char *model)
{
    return libdmr_config_add_nic_mac(ctx, c, ifname, bridge, model, NULL);
}

/* An IPv4 or IPv6 address in numbers. A host name may stand for several
 * addresses, and QEMU would listen on each of them. */
static bool address_is_numeric(const char *s)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1;
}

int libdmr_config_set_vnc(libdmr_ctx *ctx, libdmr_config *c, const char *listen, int display,
                          bool find_unused)
{
    CHECK_ARGS(ctx && c);
    if (listen && !address_is_numeric(listen))
        return config_refuse(ctx, "vnclisten \"%s\" is not an IPv4 or IPv6 address (a host "
                             "name may stand for several)", listen);
    if (display < 0 || display > LIBDMR_VNC_DISPLAY_MAX)
        return config_refuse(ctx, "vncdisplay must be a number from 0 to %d",
                             LIBDMR_VNC_DISPLAY_MAX);
    if (find_unused && display > LIBDMR_VNC_UNUSED_LAST)
        return config_refuse(ctx, "vncunused tries displays up to %d, vncdisplay %d is past "
                             "them", LIBDMR_VNC_UNUSED_LAST, display);
    char *copy = NULL;
    int rc = set_string(ctx, &copy, listen);
    if (rc)
        return rc;
    free(c->vnc.listen);
    c->vnc = (struct libdmr_vnc){ .enabled = true, .listen = copy, .display = display,
                                  .find_unused = find_unused };
    return 0;
}

/* ---- firmware and machine keys (plan_machine.c decides) ---------------- */

#define RTC_OFFSET_MAX (10L * 366 * 24 * 3600)

int libdmr_config_set_firmware(libdmr_ctx *ctx, libdmr_config *c, enum libdmr_firmware fw)
{
    CHECK_ARGS(ctx && c);
    if (fw != LIBDMR_FIRMWARE_DEFAULT && fw != LIBDMR_FIRMWARE_SEABIOS &&
        fw != LIBDMR_FIRMWARE_OVMF)
        return config_refuse(ctx, "unknown firmware %d", (int)fw);
    c->mach.firmware = fw;
    return 0;
}

int libdmr_config_set_maxvcpus(libdmr_ctx *ctx, libdmr_config *c, long maxvcpus)
{
    CHECK_ARGS(ctx && c);
    if (maxvcpus < 0 || maxvcpus > VCPUS_MAX)
        return config_refuse(ctx, "maxvcpus %ld is out of range 1..%d", maxvcpus, VCPUS_MAX);
    c->mach.maxvcpus = maxvcpus;
    return 0;
}

/* 8-4-4-4-12 hex digits, as libuuid's uuid_parse takes them. */
static bool uuid_is_valid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (strlen(s) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

int libdmr_config_set_uuid(libdmr_ctx *ctx, libdmr_config *c, const char *uuid)
{
    CHECK_ARGS(ctx && c);
    if (uuid && !uuid_is_valid(uuid))
        return config_refuse(ctx, "bad uuid \"%s\" (expected "
                             "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits)", uuid);
    int rc = set_string(ctx, &c->mach.uuid, uuid);
    for (char *p = c->mach.uuid; !rc && p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return rc;
}

int libdmr_config_set_rtc(libdmr_ctx *ctx, libdmr_config *c, bool localtime, long timeoffset)
{
    CHECK_ARGS(ctx && c);
    if (timeoffset < -RTC_OFFSET_MAX || timeoffset > RTC_OFFSET_MAX)
        return config_refuse(ctx, "rtc_timeoffset %ld is out of range -%ld..%ld seconds",
                             timeoffset, RTC_OFFSET_MAX, RTC_OFFSET_MAX);
    c->mach.localtime = localtime;
    c->mach.rtc_timeoffset = timeoffset;
    return 0;
}

int libdmr_config_set_acpi(libdmr_ctx *ctx, libdmr_config *c, bool acpi)
{
    CHECK_ARGS(ctx && c);
    c->mach.acpi_off = !acpi;
    return 0;
}

int libdmr_config_set_soundhw(libdmr_ctx *ctx, libdmr_config *c, const char *model)
{
    static const char *const models[] = { "hda", "ac97", "es1370", "sb16" };
    CHECK_ARGS(ctx && c);
    bool known = !model;
    for (size_t i = 0; !known && i < ELEMENTSOF(models); i++)
        known = !strcmp(model, models[i]);
    if (!known)
        return config_refuse(ctx, "unknown soundhw \"%s\" (hda, ac97, es1370 or sb16)", model);
    return set_string(ctx, &c->mach.soundhw, model);
}

int libdmr_config_add_device_model_arg(libdmr_ctx *ctx, libdmr_config *c, const char *arg)
{
    CHECK_ARGS(ctx && c && arg);
    if (strv_push(&c->mach.dm_args, arg)) {
        LOG(ERROR, "out of memory");
        return LIBDMR_ERROR_NOMEM;
    }
    return 0;
}

/* A keymap's name: QEMU opens /usr/share/qemu/keymaps/NAME with it. */
#define KEYMAP_MAX 31
/* VNC passwords longer than this are no typing mistake but a wrong guess at
 * what VNC keeps (8). */
#define VNC_PASSWORD_MAX 64

int libdmr_config_set_vga(libdmr_ctx *ctx, libdmr_config *c, enum libdmr_vga vga,
                          long videoram_mb)
{
    CHECK_ARGS(ctx && c && (unsigned)vga <= LIBDMR_VGA_NONE);
    if (vga == LIBDMR_VGA_NONE && videoram_mb)
        return config_refuse(ctx, "videoram %ld with vga=\"none\": no card to give it to",
                             videoram_mb);
    bool std = vga == LIBDMR_VGA_STD;
    long least = std ? LIBDMR_VIDEORAM_STD_MB : LIBDMR_VIDEORAM_CIRRUS_MB;
    /* libxl's floors for qemu-xen (libxl__domain_build_info_setdefault). */
    if (videoram_mb && (videoram_mb < least || videoram_mb > LIBDMR_VIDEORAM_MAX_MB))
        return config_refuse(ctx, "videoram must be %ld to %d MB for %s", least,
                             LIBDMR_VIDEORAM_MAX_MB, std ? "stdvga" : "cirrus");
    c->display.vga = vga;
    c->display.videoram_mb = videoram_mb;
    return 0;
}

int libdmr_config_set_keymap(libdmr_ctx *ctx, libdmr_config *c, const char *keymap)
{
    CHECK_ARGS(ctx && c);
    if (keymap && (!word_is_valid(keymap, KEYMAP_MAX) || strchr(keymap, '.')))
        return config_refuse(ctx, "bad keymap \"%s\": use 1-%d letters, digits, '-' or '_' "
                             "(a name like de or en-gb)", keymap, KEYMAP_MAX);
    return set_string(ctx, &c->display.keymap, keymap);
}

int libdmr_config_set_vnc_password(libdmr_ctx *ctx, libdmr_config *c, const char *password)
{
    CHECK_ARGS(ctx && c);
    size_t n = password ? strlen(password) : 0;
    /* Never the value in a message: it is a secret. */
    if (n > VNC_PASSWORD_MAX)
        return config_refuse(ctx, "vncpasswd is longer than %d characters (VNC uses 8)",
                             VNC_PASSWORD_MAX);
    for (size_t i = 0; i < n; i++)
        if (password[i] < 0x20 || password[i] > 0x7e)
            return config_refuse(ctx, "vncpasswd has a character that is not printable ASCII");
    display_password_clear(&c->display);
    /* "": none, as libxl (it adds password=on only for a non-empty one). */
    return n ? set_string(ctx, &c->display.vnc_password, password) : 0;
}

int libdmr_config_set_usb(libdmr_ctx *ctx, libdmr_config *c, bool controller)
{
    CHECK_ARGS(ctx && c);
    c->display.usb = controller;
    return 0;
}

int libdmr_config_add_usb_device(libdmr_ctx *ctx, libdmr_config *c, const char *device)
{
    CHECK_ARGS(ctx && c && device);
    if (strcmp(device, "tablet") && strcmp(device, "mouse"))
        return config_refuse(ctx, "usbdevice \"%s\": only tablet and mouse are emulated "
                             "(a host device or disk would be opened by QEMU itself)", device);
    int r = strv_push(&c->display.usb_devices, device);
    if (r) {
        LOG(ERROR, "out of memory");
        return LIBDMR_ERROR_NOMEM;
    }
    return 0;
}
