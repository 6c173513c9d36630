/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A domain's serial console, from the client's side: the logger's socket
 * (logger.c) connected, and its first byte read, which says whether this
 * client is the one attached. The terminal is the caller's business.
 */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "launch.h"

/* How long the logger may take to answer a new client. */
#define CONSOLE_ANSWER_TIMEOUT_MS 5000

static int console_connect(libdmr_ctx *ctx, uint32_t domid, const char *path, int *ret_fd)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return LIBDMR_ERROR_INVAL;
    strcpy(sa.sun_path, path);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        LOGED(ERROR, domid, "a socket for the console");
        return LIBDMR_ERROR_FAIL;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        if (e == ENOENT || e == ECONNREFUSED) {
            LOGD(ERROR, domid, "its console is gone (%s): the device model has exited", path);
            return LIBDMR_ERROR_NOTFOUND;
        }
        LOGEVD(ERROR, e, domid, "connecting to its console %s", path);
        return e == EACCES || e == EPERM ? LIBDMR_ERROR_PERM : LIBDMR_ERROR_FAIL;
    }
    *ret_fd = fd;
    fd = -EBADF;
    return 0;
}

/* The logger's first byte: attached, or why not. */
static int console_answer(libdmr_ctx *ctx, uint32_t domid, int fd)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
    char answer = 0;
    int r;
    while ((r = poll(&pfd, 1, CONSOLE_ANSWER_TIMEOUT_MS)) < 0 && errno == EINTR)
        ;
    ssize_t n = r > 0 ? recv(fd, &answer, 1, 0) : 0;
    switch (n == 1 ? answer : 0) {
    case LOGGER_CONSOLE_ATTACHED:
        return 0;
    case LOGGER_CONSOLE_BUSY:
        LOGD(ERROR, domid, "its console is in use: another client is attached (one at a time)");
        return LIBDMR_ERROR_BUSY;
    case LOGGER_CONSOLE_GONE:
        LOGD(ERROR, domid, "its console is gone: the device model is exiting");
        return LIBDMR_ERROR_NOTFOUND;
    case LOGGER_CONSOLE_DENIED:
        LOGD(ERROR, domid, "its console is root's only");
        return LIBDMR_ERROR_PERM;
    default:
        LOGD(ERROR, domid, "its console's logger did not answer%s",
             r == 0 ? " in time" : "");
        return r == 0 ? LIBDMR_ERROR_TIMEDOUT : LIBDMR_ERROR_FAIL;
    }
}

int libdmr_domain_console_open(libdmr_ctx *ctx, uint32_t domid, int *ret_fd)
{
    if (!ctx || !ret_fd)
        return LIBDMR_ERROR_INVAL;
    struct dm_state s = { 0 };
    int r = state_read(ctx, domid, &s);
    if (r) {
        state_clear(&s);
        return libdmr_error_from_errno(r);
    }
    int rc = 0, fd = -EBADF;
    if (s.backend != LIBDMR_BACKEND_QEMU) {
        LOGD(ERROR, domid, "%s is on the %s backend: its console is xl console's", s.name,
             plan_backend_name(s.backend));
        rc = LIBDMR_ERROR_NOTFOUND;
    } else if (!s.console_path) {
        LOGD(ERROR, domid, "%s has no serial console (serial = \"none\")", s.name);
        rc = LIBDMR_ERROR_NOTFOUND;
    } else if (s.starting) {
        LOGD(ERROR, domid, "%s is still starting", s.name);
        rc = LIBDMR_ERROR_BUSY;
    }
    if (!rc)
        rc = console_connect(ctx, domid, s.console_path, &fd);
    if (!rc)
        rc = console_answer(ctx, domid, fd);
    state_clear(&s);
    if (rc) {
        safe_close(fd);
        return rc;
    }
    *ret_fd = fd;
    return 0;
}
