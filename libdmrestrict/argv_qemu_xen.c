/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The xen backend: libxl builds qemu-xen's argv. The plan shows the
 * identity arguments libxl 4.17 will pass for this identity, so the Xen
 * tests can hold them against the running device model: -runas is
 * "uid:gid" in the range case and the user's name otherwise.
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
    if (p->id.source == LIBDMR_SOURCE_ROOT)
        return 0;
    PUSH("-runas");
    if (p->id.source == LIBDMR_SOURCE_RANGE)
        PUSH("%u:%u", (unsigned)p->id.uid, (unsigned)p->id.gid);
    else
        PUSH("%s", p->id.user);
    return 0;
}
