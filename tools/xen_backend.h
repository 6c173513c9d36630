/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The xen backend (libxl), handed to libdmrestrict by xl-dmr. */
#ifndef XEN_BACKEND_H
#define XEN_BACKEND_H

#include <libdmrestrict.h>

struct xen_backend {
    xentoollog_logger *lg;     /* libxl's logger: the frontend's */
};

/* Give ctx the xen backend's operations; xb must outlive ctx. */
int xen_backend_install(libdmr_ctx *ctx, struct xen_backend *xb);

#endif
