/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The xen backend's use of libxl, shared by create, destroy and the
 * run-time operations (cdrom, PCI). */
#ifndef LIBDMR_XEN_H
#define LIBDMR_XEN_H

#include <libxl.h>

#include "launch.h"

/* A libxl context that reaps only its own children (ours stay ours). */
int xen_libxl_open(libdmr_ctx *ctx, uint32_t domid, libxl_ctx **ret);

/* A plan's disk as libxl's; dispose it with libxl_device_disk_dispose. */
int xen_disk_to_libxl(const struct plan_xen_disk *d, libxl_device_disk *ret);

#endif
