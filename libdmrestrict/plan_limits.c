/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resource limits of a restricted device model: libxl's set (libxl_linux.c
 * libxl__local_dm_preexec_restrict), with RLIMIT_FSIZE fitted to the disks.
 * RLIMIT_FSIZE stops every write past that offset in any regular file,
 * however it was opened, so 256 KiB holds only for a DM that writes no
 * file-backed image. Never RLIMIT_NPROC 0: QEMU needs threads.
 */
#include <sys/resource.h>

#include "internal.h"

#define FSIZE_NO_IMAGES LIBDMR_LIBXL_FSIZE
#define UNLIMITED UINT64_MAX

/* The largest write offset a writable file-backed image needs. */
static uint64_t fsize_for_images(const libdmr_config *c, const libdmr_facts *f)
{
    uint64_t limit = FSIZE_NO_IMAGES;
    for (size_t i = 0; i < c->n_disks; i++) {
        const struct libdmr_disk *d = &c->disks[i];
        const struct libdmr_image *img = d->target ? facts_image_find(f, d->target) : NULL;
        if (!d->readwrite || !img || !img->regular)
            continue;
        if (d->format != LIBDMR_FORMAT_RAW)
            return UNLIMITED;  /* qcow2 grows */
        if (img->size > limit)
            limit = img->size;
    }
    return limit;
}

static int limits_set(libdmr_plan *p, const struct plan_rlimit *table, size_t n);

/*
 * libxl applies its own fixed set to a restricted qemu-xen. FSIZE 256 KiB
 * breaks every writable file-backed disk, so the plan raises it after
 * create with prlimit(2), which needs CAP_SYS_RESOURCE for a hard limit.
 */
static int plan_limits_xen(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    uint64_t fsize = fsize_for_images(c, f);
    const struct plan_rlimit libxl_set[] = {
        { RLIMIT_FSIZE, "FSIZE", fsize },
        { RLIMIT_CORE, "CORE", 0 },
        { RLIMIT_MEMLOCK, "MEMLOCK", 0 },
        { RLIMIT_MSGQUEUE, "MSGQUEUE", 0 },
        { RLIMIT_LOCKS, "LOCKS", 0 },
    };
    int r = limits_set(p, libxl_set, ELEMENTSOF(libxl_set));
    if (r || fsize == FSIZE_NO_IMAGES || c->toolstack_limits)
        return r;
    char value[32];
    if (fsize == UNLIMITED)
        snprintf(value, sizeof(value), "unlimited");
    else
        snprintf(value, sizeof(value), "%llu", (unsigned long long)fsize);
    if (!f->cap_sys_resource)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_REFUSED,
            "libxl limits a restricted qemu-xen to 256 KiB files (RLIMIT_FSIZE), so its "
            "writes past 256 KiB of a writable file-backed disk fail; xl-dmr raises it to "
            "%s after create, which needs CAP_SYS_RESOURCE, and has not got it", value);
    p->libxl.fsize = fsize;
    return verdict_notice(&p->verdict,
        "libxl starts qemu-xen with RLIMIT_FSIZE 256 KiB; xl-dmr raises it to %s "
        "(what the writable file-backed disks need) before the guest runs", value);
}

static int limits_set(libdmr_plan *p, const struct plan_rlimit *table, size_t n)
{
    p->rlimits = malloc(n * sizeof(*p->rlimits));
    if (!p->rlimits)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        p->rlimits[i] = table[i];
    p->n_rlimits = n;
    return 0;
}

uint64_t plan_vfio_memlock(long memory_mb)
{
    return ((uint64_t)memory_mb + 1024) << 20;  /* libvirt's rule */
}

int plan_limits(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    if (!p->restricted)
        return 0;  /* as libxl: limits come with dm_restrict */

    if (p->backend == LIBDMR_BACKEND_XEN)
        return plan_limits_xen(c, f, p);

    /* VFIO pins all guest RAM, plus room for QEMU's own DMA maps. A DM
     * that drops its capabilities needs the limit itself; one the host
     * will not grant is a refusal now, not a QEMU failure later. */
    uint64_t memlock = p->n_pci && !f->pci_standin ? plan_vfio_memlock(c->memory_mb) : 0;
    if (memlock > f->memlock_hard && !f->cap_sys_resource)
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_REFUSED,
            "VFIO needs RLIMIT_MEMLOCK of %llu MiB (guest RAM + 1 GiB), but the "
            "hard limit here is %llu KiB and xl-dmr lacks CAP_SYS_RESOURCE to "
            "raise it: raise the hard limit (limits.conf, LimitMEMLOCK=)",
            (unsigned long long)(memlock >> 20), (unsigned long long)(f->memlock_hard >> 10));
    /* OVMF writes its VARS copy (Debian's 4M one is 540,672 bytes). */
    uint64_t fsize = fsize_for_images(c, f), vars = plan_machine_fsize(f, p);
    if (fsize != UNLIMITED && vars > fsize)
        fsize = vars;
    const struct plan_rlimit ours[] = {
        { RLIMIT_FSIZE, "FSIZE", fsize },
        { RLIMIT_CORE, "CORE", 0 },
        { RLIMIT_MEMLOCK, "MEMLOCK", memlock },
        { RLIMIT_MSGQUEUE, "MSGQUEUE", 0 },
        { RLIMIT_LOCKS, "LOCKS", 0 },
    };
    return limits_set(p, ours, ELEMENTSOF(ours));
}
