/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backends: the table of operations each has (libdmr_backend_ops, in the
 * public header), the context's choice of them, and what an operation
 * works on (struct libdmr_dm). The lifecycle both share is lifecycle.c;
 * the library's own backend, plain QEMU, is backend_qemu.c.
 */
#ifndef LIBDMR_BACKEND_H
#define LIBDMR_BACKEND_H

#include "launch.h"

struct libdmr_qmp;

struct libdmr_dm {
    libdmr_ctx *ctx;
    const libdmr_plan *plan;       /* NULL: a domain the library did not plan */
    struct dm_state *s;            /* its record: domid, DM, chroot, ... */
    struct strv media_paths;       /* media(): images in its drives */
    int *media_fds;                /* media(): QEMU's own descriptors of them */
    size_t n_media_fds;
    bool media_known;              /* media() ran */
    /* The library's pci plans for its qemu backend: pci_change(add) carries
     * pci_attach out; pci_change(remove) carries pci_detach out or, without
     * one, takes back pci_attach (which could not be recorded). */
    const struct pci_attach_plan *pci_attach;
    const struct pci_detach_plan *pci_detach;
    void *backend_data;            /* the backend's own, between operations */
    void (*backend_data_free)(void *);
    /* The DM and its logger, held by pidfds from their start (or first
     * look) to the end of the call: waited for and killed without going
     * back to /proc. -EBADF when not held (yet). */
    int dm_pidfd;
    int logger_pidfd;
};

/* The operations of backend (the context's, or the library's own for
 * QEMU), or NULL; backend_get logs that there are none (LIBDMR_ERROR_NI). */
const struct backend_slot *backend_find(libdmr_ctx *ctx, enum libdmr_backend backend);
const struct backend_slot *backend_get(libdmr_ctx *ctx, enum libdmr_backend backend,
                                       uint32_t domid);
/* Does the backend have the operation (and a size that covers it)? */
#define BACKEND_HAS(slot, op) \
    ((slot)->ops->size > offsetof(libdmr_backend_ops, op) && (slot)->ops->op)

void dm_init(struct libdmr_dm *dm, libdmr_ctx *ctx, const libdmr_plan *plan,
             struct dm_state *s);
void dm_clear(struct libdmr_dm *dm);
/* Close the backend's own (its QMP connection), keeping the rest. */
void dm_drop_backend_data(struct libdmr_dm *dm);
/* The DM's pidfd (held for the rest of the call), or -ESRCH when it is gone. */
int dm_hold(struct libdmr_dm *dm);
/* Ask the backend what the DM was handed since it started (audit). */
int dm_observe_media(const struct backend_slot *b, struct libdmr_dm *dm);

/* A domain a backend has and the library has no record of (xl's), quietly. */
int backend_lookup(libdmr_ctx *ctx, const char *name_or_domid, uint32_t *ret_domid,
                   enum libdmr_backend *ret_backend);
/* Who carries it out, for messages ("libxl"). */
const char *backend_name(const struct backend_slot *b);
/* Is the DM's QMP the library's (its qemu backend), for callers that talk to it? */
bool backend_has_qmp(const struct backend_slot *b);

/* pci_hotplug.c: the qemu backend's attach and detach (VFIO, QMP, its namespace). */
int pci_attach_execute_qemu(libdmr_ctx *ctx, struct dm_state *s, const struct pci_attach_plan *ap);
int pci_detach_execute(libdmr_ctx *ctx, struct dm_state *s, const struct pci_detach_plan *dp);
/* Take back an attach that was carried out but could not be recorded. */
int pci_attach_revert_qemu(libdmr_ctx *ctx, struct dm_state *s, const struct pci_attach_plan *ap);

/* backend_qemu.c */
extern const libdmr_backend_ops backend_qemu_ops;
/* cdrom.c: a cdrom change over a qemu-backend DM's QMP. */
int cdrom_insert(libdmr_ctx *ctx, struct libdmr_qmp *q, uint32_t domid, const char *vdev,
                 const char *path);
int cdrom_eject(libdmr_ctx *ctx, struct libdmr_qmp *q, uint32_t domid, const char *vdev);
/* fdset.c: QEMU's descriptors in its fdsets, as media of dm. */
int fdset_media(struct libdmr_qmp *q, struct libdmr_dm *dm);
/* nvram.c: the domain's VARS copy at path (in LIBDMR_NVRAM_DIR), made from
 * template_path if missing; a read-write descriptor, or -errno (logged). */
int nvram_open(libdmr_ctx *ctx, uint32_t domid, const char *path, const char *template_path);

/* lifecycle.c: the host-wide lock (a LIBDMR_ERROR_* code); a recorded
 * domain's record and its backend's operations (with the lock first). */
int lifecycle_lock(libdmr_ctx *ctx, struct held_lock *lock);
int lifecycle_lock_read(libdmr_ctx *ctx, uint32_t domid, struct held_lock *lock,
                        struct dm_state *s, const struct backend_slot **ret_backend);
int lifecycle_read(libdmr_ctx *ctx, uint32_t domid, struct dm_state *s,
                   const struct backend_slot **ret_backend);
/* A DM of a domain being created is known (its pid in dm->s): recorded
 * at once, so a destroy after its creator died finds it. -errno. */
int lifecycle_dm_started(struct libdmr_dm *dm);
/* The audit as create runs it (before the guest's first instruction) and
 * dm-audit: the media from the backend, then every check; failures logged. */
int lifecycle_audit(libdmr_ctx *ctx, const struct backend_slot *b, struct libdmr_dm *dm,
                    struct libdmr_audit **ret);

#endif
