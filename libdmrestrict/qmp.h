/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBDMR_QMP_H
#define LIBDMR_QMP_H

#include <yajl/yajl_tree.h>

#include "internal.h"

struct libdmr_qmp;

/* Connect, read the greeting and negotiate capabilities, by the timeout. */
int qmp_connect(libdmr_ctx *ctx, uint32_t domid, const char *path, int timeout_ms,
                struct libdmr_qmp **ret);
/* A new connection to the socket q was connected to, in place of q's,
 * which is closed (QEMU serves one client at a time; q stays to be
 * freed). INVAL: q was made from a descriptor. */
int qmp_reconnect(struct libdmr_qmp *q, int timeout_ms, struct libdmr_qmp **ret);
/* False once an error has left the stream out of step: use a new connection. */
bool qmp_usable(const struct libdmr_qmp *q);
/* The same on a connected socket; takes *fd (sets it to -1). */
int qmp_open_fd(libdmr_ctx *ctx, uint32_t domid, int *fd, int timeout_ms, struct libdmr_qmp **ret);
/*
 * Run one command; arguments_json is an object made with yajl, or NULL.
 * *ret_return (may be NULL) gets the reply's "return" value, to free with
 * yajl_tree_free. A QMP error is LIBDMR_ERROR_FAIL; a malformed or
 * mismatched reply is LIBDMR_ERROR_QEMU_API.
 */
int qmp_execute(struct libdmr_qmp *q, const char *command, const char *arguments_json,
                int timeout_ms, yajl_val *ret_return);
/* The same, sending fd (which stays the caller's) with the command. */
int qmp_execute_fd(struct libdmr_qmp *q, const char *command, const char *arguments_json,
                   int fd, int timeout_ms, yajl_val *ret_return);
/* Commands sent in one write and answered in order (pipelined). */
struct qmp_cmd {
    const char *command;
    const char *arguments;     /* JSON object or NULL */
    yajl_val *ret;             /* may be NULL */
    int rc;                    /* out: this command's result */
    bool answered;             /* out: QEMU's reply (rc 0, or FAIL for its error) came */
};
/* fd (or -1) rides with the batch, for its add-fd. Returns the first
 * command's error, if any; every reply is read either way. A command
 * not answered (the connection failed) may or may not have been run. */
int qmp_execute_batch(struct libdmr_qmp *q, struct qmp_cmd *cmds, size_t n, int fd,
                      int timeout_ms);

/* Wait for event name (about device, unless NULL: DEVICE_DELETED's
 * data.device) by the timeout, taking it from the unread ones if it came
 * already; others met are kept. LIBDMR_ERROR_TIMEDOUT leaves q usable. */
int qmp_wait_event(struct libdmr_qmp *q, const char *name, const char *device, int timeout_ms);
/* The unread events, as "NAME" or "NAME:DEVICE", oldest first (at most the newest 256);
 * the caller owns *ret and the queue starts empty. */
size_t qmp_events_take(struct libdmr_qmp *q, struct strv *ret);
void qmp_close(struct libdmr_qmp *q);
/* Ask the QEMU at path to quit on a connection of its own, and return
 * once QEMU has closed it (it is exiting) or timeout_ms has passed. */
int qmp_quit(libdmr_ctx *ctx, uint32_t domid, const char *path, int timeout_ms);

#endif
