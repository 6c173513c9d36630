/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pci_attach_vfio DOMID BDF populate|clear|attach [iommufd], with XL_DMR_SYSROOT a
 * fake sysfs tree: the VFIO attach path of pci-attach run for real on a
 * running restricted DM, up to where this machine stops it. Facts come
 * from the fake tree; the attach plan is the planner's own, except that
 * this machine cannot raise another process's RLIMIT_MEMLOCK (no
 * CAP_SYS_RESOURCE), so that one step is planned as if it could and then
 * left out, and said so on stderr.
 *   populate: only make the plan's chroot entries in the DM's namespace
 *   clear:    only take them out again
 *   attach:   the whole executor (namespace, device_add, undo on failure)
 * With "iommufd" the domain's record says its QEMU takes VFIO descriptors
 * (QEMU 9.0+), which QEMU 7.2 does not: the attach then goes as far as
 * handing /dev/iommu over and asking for the iommufd object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"
#include "../lib/pci_spec.h"

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "iommufd")))
        return 2;
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libdmr_ctx *ctx;
    struct dm_state s;
    if (libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg) ||
        state_read(ctx, atoi(argv[1]), &s))
        return 1;
    struct libdmr_pci_dev dev;
    libdmr_facts f = { 0 };
    struct pci_attach_plan ap = { 0 };
    libdmr_config one = { .pci = &dev, .n_pci = 1 };
    int rc = test_pci_spec(ctx, argv[2], true, &dev) || facts_pci_gather(ctx, &one, &f);
    struct pci_attach_request req = {
        .domid = s.domid, .backend = s.backend, .memory_mb = s.memory_mb, .dm_uid = s.dm_uid, .dm_gid = s.dm_gid,
        .dm_user = s.dm_user, .pci = &s.pci, .dev = dev };
    f.cap_sys_resource = true;
    if (argc == 5)
        s.pci.qemu_iommufd = true;
    if (!rc)
        rc = plan_pci_attach(&req, &f, &ap) || verdict_log(ctx, s.domid, &ap.verdict);
    if (!rc && ap.memlock)
        fprintf(stderr, "planned: RLIMIT_MEMLOCK %llu MiB; left out: this machine lacks "
                "CAP_SYS_RESOURCE\n", (unsigned long long)(ap.memlock >> 20));
    ap.memlock = 0;
    int pidfd = rc ? -1 : proc_open(&s.dm);
    if (!rc && pidfd < 0)
        rc = 1;
    if (!rc && !strcmp(argv[3], "populate"))
        rc = chroot_change_in_dm(ctx, s.domid, pidfd, s.chroot, &ap.chroot, false);
    else if (!rc && !strcmp(argv[3], "clear"))
        rc = chroot_change_in_dm(ctx, s.domid, pidfd, s.chroot, &ap.chroot, true);
    else if (!rc)
        rc = pci_attach_execute(ctx, &s, pidfd, &ap);
    safe_close(pidfd);
    pci_attach_plan_clear(&ap);
    facts_pci_clear(&f);
    state_clear(&s);
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return rc ? 1 : 0;
}
