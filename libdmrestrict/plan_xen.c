/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The xen backend: libxl, not xl-dmr, starts qemu-xen and picks its user.
 * This stage decides what to put in libxl's domain config so that libxl
 * reaches the identity plan_identity chose, and refuses where it cannot.
 *
 * libxl 4.17 runs the DM as device_model_user whenever it is set, and then
 * kills by uid at destroy; without it, its own search gives root
 * (dm_restrict off), xen-qemuuser-range-base + domid, then
 * xen-qemuuser-shared. So device_model_user is passed only for a user
 * that is this domain's alone; the range, shared and root cases are left
 * to libxl's search, which gives the same answer (checked after create).
 *
 * libxl gives a restricted qemu-xen RLIMIT_FSIZE 256 KiB whatever its
 * disks: its writes past 256 KiB of a writable file-backed image fail
 * ("File too large"). The plan raises it after create, with prlimit, to
 * what the images need (plan_limits.c). Pure.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

void plan_libxl_clear(struct plan_libxl *x)
{
    for (size_t i = 0; i < x->n_disks; i++) {
        free(x->disks[i].vdev);
        free(x->disks[i].target);
    }
    free(x->disks);
    free(x->device_model_user);
    free(x->device_model);
    free(x->serial);
    free(x->boot);
    strv_clear(&x->dm_args);
    plan_dm_devices_clear(x);
    *x = (struct plan_libxl){ 0 };
}

/* The device_model_user libxl must get, or why the identity is out of its reach. */
static int libxl_user(const libdmr_config *c, const libdmr_plan *p, struct plan_libxl *x,
                      struct plan_verdict *v)
{
    const struct plan_identity *id = &p->id;
    switch (id->source) {
    case LIBDMR_SOURCE_DEVICE_MODEL_USER:
        if (!id->kill_by_uid)
            return verdict_refuse(v, LIBDMR_ERROR_REFUSED,
                "device_model_user %s (uid %u) is not a uid the toolstack gives this "
                "domain alone (its range uid or xen-qemuuser-domid%u), and libxl "
                "kills every process of device_model_user's uid at destroy: on the xen "
                "backend use a per-domain user, or leave device_model_user unset",
                id->user, (unsigned)id->uid, p->domid);
        break;
    case LIBDMR_SOURCE_DOMID_USER:
        break;  /* libxl 4.17 does not look for xen-qemuuser-domid$N itself */
    case LIBDMR_SOURCE_SHARED:
        /* Passing it would make libxl kill every shared DM at destroy; and
         * its own search finds the shared user only without a range base. */
        if (c->device_model_user)
            return verdict_refuse(v, LIBDMR_ERROR_REFUSED,
                "device_model_user is the shared user %s: libxl would kill every process "
                "of uid %u at destroy, the other domains' device models among them; leave "
                "device_model_user unset", id->user, (unsigned)id->uid);
        return 0;
    case LIBDMR_SOURCE_RANGE:
    case LIBDMR_SOURCE_ROOT:
        return 0;
    }
    return (x->device_model_user = strdup(id->user)) ? 0 : -ENOMEM;
}

static int libxl_disks(const libdmr_config *c, const libdmr_facts *f, struct plan_libxl *x,
                       struct plan_verdict *v)
{
    if (c->n_disks && !(x->disks = calloc(c->n_disks, sizeof(*x->disks))))
        return -ENOMEM;
    for (size_t i = 0; i < c->n_disks; i++) {
        const struct libdmr_disk *d = &c->disks[i];
        const struct libdmr_image *img = d->target ? facts_image_find(f, d->target) : NULL;
        if (d->target && (!img || !img->present))
            return verdict_refuse(v, LIBDMR_ERROR_NOTFOUND,
                                  "disk %s: %s does not exist (or is not a file or block device)",
                                  d->vdev, d->target);
        struct plan_xen_disk *xd = &x->disks[x->n_disks++];
        *xd = (struct plan_xen_disk){ .format = d->format, .readwrite = d->readwrite,
                                      .cdrom = d->cdrom, .vdev = strdup(d->vdev),
                                      .target = strdup_or_null(d->target) };
        if (!xd->vdev || (d->target && !xd->target))
            return -ENOMEM;
    }
    return 0;
}

/*
 * qemu-xen's seccomp filter, which upstream libxl never asks for: given
 * through device_model_args when the binary has -sandbox. The policy is
 * the qemu backend's (elevateprivileges=allow: -runas comes after it).
 */
static int libxl_sandbox(const libdmr_facts *f, libdmr_plan *p)
{
    struct plan_libxl *x = &p->libxl;
    if (!p->restricted)
        return 0;
    if (!f->qemu.present || !f->qemu.sandbox)
        return verdict_warn(&p->verdict,
            "%s has no -sandbox (or was not found): qemu-xen runs without a seccomp "
            "filter, as upstream libxl runs it", f->qemu.path ? f->qemu.path : LIBDMR_QEMU_XEN_DEFAULT);
    int r = strv_push(&x->dm_args, "-sandbox");
    if (!r) r = strv_push(&x->dm_args, LIBDMR_SANDBOX_POLICY);
    if (!r && !(p->sandbox = strdup(LIBDMR_SANDBOX_POLICY)))
        r = -ENOMEM;
    return r;
}

int plan_xen(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    struct plan_libxl *x = &p->libxl;
    struct plan_verdict *v = &p->verdict;
    int r = libxl_user(c, p, x, v);
    if (!r && !v->refusal_rc)
        r = libxl_disks(c, f, x, v);
    if (r || v->refusal_rc)
        return r;
    if ((c->device_model_override && !(x->device_model = strdup(c->device_model_override))) ||
        (c->serial && !(x->serial = strdup(c->serial))) ||
        (c->boot && !(x->boot = strdup(c->boot))))
        return -ENOMEM;
    if (!(p->qemu_path = strdup(f->qemu.path ? f->qemu.path : LIBDMR_QEMU_XEN_DEFAULT)) ||
        (p->domid && asprintf(&p->qmp_path, LIBDMR_XEN_RUN_DIR "/qmp-libxl-%u", p->domid) < 0))
        return -ENOMEM;
    if (c->kernel)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "direct kernel boot (kernel=) is for "
                              "the qemu backend; an HVM guest on Xen boots from its disks");
    _cleanup_free_ char *machine_keys = NULL;
    if ((r = plan_machine_xen_unsupported(c, &machine_keys)))
        return r;
    if (machine_keys)
        return verdict_refuse(v, LIBDMR_ERROR_NI, "%s: the qemu backend's; the xen backend "
                              "does not carry them to libxl", machine_keys);
    return libxl_sandbox(f, p);
}

/* What libxl has qemu-xen open by path: its disks, its log, a serial
 * file, libxenstat's QMP socket; and Xen's own device nodes. With
 * serial="pty" qemu-xen opens a pty of its own (/dev/ptmx, before it
 * chroots) whose name libxl reads over QMP for `xl console`. */
int plan_xen_audit(libdmr_plan *p)
{
    const struct plan_libxl *x = &p->libxl;
    struct strv *files = &p->audit_files;
    int r = 0;
    p->audit_xen_interfaces = true;
    p->serial_pty = x->serial && !strcmp(x->serial, "pty");
    for (size_t i = 0; !r && i < x->n_disks; i++)
        if (x->disks[i].target)
            r = strv_push(files, x->disks[i].target);
    if (!r && x->serial && !strncmp(x->serial, "file:", 5))
        r = strv_push(files, x->serial + 5);
    if (!r)
        r = strv_push(files, p->log_path);
    if (!r)
        r = strv_pushf(files, LIBDMR_XEN_RUN_DIR "/qmp-libxenstat-%u", p->domid);
    return r;
}
