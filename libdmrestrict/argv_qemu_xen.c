/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The xen backend: libxl builds qemu-xen's argv. The plan shows the
 * identity arguments libxl 4.17 will pass for this identity, so the Xen
 * tests can hold them against the running device model: -runas is
 * "uid:gid" in the range case and the user's name otherwise; then the
 * device_model_args xl-dmr gives libxl, which libxl appends.
 */
#include <stdio.h>

#include "internal.h"

#define PUSH(...) do { int _r = strv_pushf(&p->argv, __VA_ARGS__); if (_r) return _r; } while (0)

int argv_qemu_xen(libdmr_plan *p)
{
    PUSH("-xen-domid");
    PUSH("%u", p->domid);
    if (p->restricted) {
        PUSH("-xen-domid-restrict");
        PUSH("-chroot");
        PUSH("%s", p->chroot);
    }
    if (p->id.source != LIBDMR_SOURCE_ROOT) {
        PUSH("-runas");
        if (p->id.source == LIBDMR_SOURCE_RANGE)
            PUSH("%u:%u", (unsigned)p->id.uid, (unsigned)p->id.gid);
        else
            PUSH("%s", p->id.user);
    }
    for (size_t i = 0; i < p->libxl.dm_args.n; i++)
        PUSH("%s", p->libxl.dm_args.v[i]);
    return 0;
}
