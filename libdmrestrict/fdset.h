/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBDMR_FDSET_H
#define LIBDMR_FDSET_H

#include "qmp.h"

#define QMP_OP_TIMEOUT_MS 5000

/* Send *fd to QEMU in a new fdset (closing ours); its id in *ret_fdset. */
int fdset_add(libdmr_ctx *ctx, struct libdmr_qmp *q, uint32_t domid, int *fd,
              const char *opaque, int64_t *ret_fdset);
int fdset_remove(libdmr_ctx *ctx, struct libdmr_qmp *q, uint32_t domid, int64_t fdset);
/* The arguments of add-fd (fdset < 0: QEMU picks the set) and remove-fd,
 * for callers that send them in a batch. */
int fdset_add_args(int64_t fdset, const char *opaque, char **ret);
int fdset_remove_args(int64_t fdset, char **ret);
/* How many fdsets QEMU holds, and descriptors in them. */
int fdset_count(libdmr_ctx *ctx, struct libdmr_qmp *q, uint32_t domid, size_t *ret_sets,
                size_t *ret_fds);

#endif
