/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBDMR_QMP_H
#define LIBDMR_QMP_H

#include <yajl/yajl_tree.h>

#include "internal.h"

struct qmp;

/* Connect, read the greeting and negotiate capabilities, by the timeout. */
int qmp_connect(libdmr_ctx *ctx, uint32_t domid, const char *path, int timeout_ms,
                struct qmp **ret);
/*
 * Run one command; arguments_json is an object made with yajl, or NULL.
 * *ret_return (may be NULL) gets the reply's "return" value, to free with
 * yajl_tree_free. A QMP error is LIBDMR_ERROR_FAIL; a malformed or
 * mismatched reply is LIBDMR_ERROR_QEMU_API.
 */
int qmp_execute(struct qmp *q, const char *command, const char *arguments_json,
                int timeout_ms, yajl_val *ret_return);
/* Events met so far, by name, oldest first. */
size_t qmp_events(const struct qmp *q, const char *const **ret_names);
void qmp_close(struct qmp *q);

#endif
