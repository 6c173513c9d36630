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

int libdmr_config_add_nic(libdmr_ctx *ctx, libdmr_config *c, const char *ifname,
                          const char *bridge, const char *model)
{
    CHECK_ARGS(ctx && c);
    int rc = nic_check(ctx, c, ifname, bridge, model);
    if (rc)
        return rc;
    struct libdmr_nic nic = { .ifname = strdup_or_null(ifname),
                              .bridge = strdup_or_null(bridge),
                              .model = strdup_or_null(model) };
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
