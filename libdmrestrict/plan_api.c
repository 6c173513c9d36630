/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan, read back by a toolstack: one getter per decision, so that
 * libxl or libvirt take the library's answers into their own structures
 * without parsing the JSON. Each only reads the plan.
 */
#include "internal.h"

size_t libdmr_plan_warning_count(const libdmr_plan *p)
{
    return p->verdict.warnings.n;
}

const char *libdmr_plan_warning(const libdmr_plan *p, size_t i)
{
    return i < p->verdict.warnings.n ? p->verdict.warnings.v[i] : NULL;
}

size_t libdmr_plan_notice_count(const libdmr_plan *p)
{
    return p->verdict.notices.n;
}

const char *libdmr_plan_notice(const libdmr_plan *p, size_t i)
{
    return i < p->verdict.notices.n ? p->verdict.notices.v[i] : NULL;
}

const char *libdmr_plan_name(const libdmr_plan *p)
{
    return p->name;
}

enum libdmr_backend libdmr_plan_backend(const libdmr_plan *p)
{
    return p->backend;
}

long libdmr_plan_memory_mb(const libdmr_plan *p)
{
    return p->memory_mb;
}

long libdmr_plan_vcpus(const libdmr_plan *p)
{
    return p->vcpus;
}

bool libdmr_plan_paused(const libdmr_plan *p)
{
    return p->paused;
}

bool libdmr_plan_restricted(const libdmr_plan *p)
{
    return p->restricted;
}

/* A refused plan chose nobody. */
static bool has_identity(const libdmr_plan *p)
{
    return p->id.user != NULL;
}

int libdmr_plan_dm_user(const libdmr_plan *p, const char **ret_user, const char **ret_source,
                        const char **ret_reason)
{
    if (!p || !has_identity(p))
        return LIBDMR_ERROR_NOTFOUND;
    if (ret_user)
        *ret_user = p->id.user;
    if (ret_source)
        *ret_source = plan_source_name(p->id.source);
    if (ret_reason)
        *ret_reason = p->id.reason;
    return 0;
}

int libdmr_plan_dm_uid(const libdmr_plan *p, uid_t *ret_uid, gid_t *ret_gid)
{
    if (!p || !has_identity(p) || p->id.uid_pending)
        return LIBDMR_ERROR_NOTFOUND;
    if (ret_uid)
        *ret_uid = p->id.uid;
    if (ret_gid)
        *ret_gid = p->id.gid;
    return 0;
}

bool libdmr_plan_uid_exclusive(const libdmr_plan *p)
{
    return has_identity(p) && p->id.uid_exclusive;
}

bool libdmr_plan_kill_by_uid(const libdmr_plan *p)
{
    return has_identity(p) && p->id.kill_by_uid;
}

int libdmr_plan_reaper_uid(const libdmr_plan *p, uid_t *ret_uid)
{
    if (!p || !has_identity(p) || !p->id.kill_by_uid || !p->id.has_reaper)
        return LIBDMR_ERROR_NOTFOUND;
    if (ret_uid)
        *ret_uid = p->id.reaper_uid;
    return 0;
}

const char *libdmr_plan_chroot(const libdmr_plan *p)
{
    return p->chroot;
}

const char *libdmr_plan_sandbox(const libdmr_plan *p)
{
    return p->sandbox;
}

size_t libdmr_plan_rlimit_count(const libdmr_plan *p)
{
    return p->n_rlimits;
}

int libdmr_plan_rlimit(const libdmr_plan *p, size_t i, const char **ret_name, int *ret_resource,
                       uint64_t *ret_value)
{
    if (!p || i >= p->n_rlimits)
        return LIBDMR_ERROR_INVAL;
    if (ret_name)
        *ret_name = p->rlimits[i].name;
    if (ret_resource)
        *ret_resource = p->rlimits[i].resource;
    if (ret_value)
        *ret_value = p->rlimits[i].value;
    return 0;
}

const char *libdmr_plan_libxl_device_model_user(const libdmr_plan *p)
{
    return p->libxl.device_model_user;
}

const char *libdmr_plan_libxl_device_model(const libdmr_plan *p)
{
    return p->libxl.device_model;
}

const char *const *libdmr_plan_libxl_device_model_args(const libdmr_plan *p)
{
    static const char *const empty[] = { NULL };
    return p->libxl.dm_args.v ? (const char *const *)p->libxl.dm_args.v : empty;
}

const char *libdmr_plan_libxl_serial(const libdmr_plan *p)
{
    return p->libxl.serial;
}

const char *libdmr_plan_libxl_boot(const libdmr_plan *p)
{
    return p->libxl.boot;
}

uint64_t libdmr_plan_libxl_fsize(const libdmr_plan *p)
{
    return p->libxl.fsize;
}

size_t libdmr_plan_libxl_disk_count(const libdmr_plan *p)
{
    return p->libxl.n_disks;
}

int libdmr_plan_libxl_disk(const libdmr_plan *p, size_t i, const char **ret_vdev,
                           const char **ret_target, enum libdmr_disk_format *ret_format,
                           unsigned *ret_flags)
{
    if (!p || i >= p->libxl.n_disks)
        return LIBDMR_ERROR_INVAL;
    const struct plan_xen_disk *d = &p->libxl.disks[i];
    if (ret_vdev)
        *ret_vdev = d->vdev;
    if (ret_target)
        *ret_target = d->target;
    if (ret_format)
        *ret_format = d->format;
    if (ret_flags)
        *ret_flags = (d->readwrite ? LIBDMR_DISK_READWRITE : 0) | (d->cdrom ? LIBDMR_DISK_CDROM : 0);
    return 0;
}

size_t libdmr_plan_pci_count(const libdmr_plan *p)
{
    return p->n_pci;
}

int libdmr_plan_pci(const libdmr_plan *p, size_t i, libdmr_pci_addr *ret_dev,
                    unsigned *ret_vslot, bool *ret_guest_unplug)
{
    if (!p || i >= p->n_pci)
        return LIBDMR_ERROR_INVAL;
    const struct plan_pci *d = &p->pci[i];
    if (ret_dev)
        *ret_dev = (libdmr_pci_addr){ .domain = d->domain, .bus = d->bus, .dev = d->dev,
                                      .func = d->func };
    if (ret_vslot)
        *ret_vslot = d->root_slot;
    if (ret_guest_unplug)
        *ret_guest_unplug = d->guest_unplug;
    return 0;
}
