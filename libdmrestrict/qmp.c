/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small, strict QMP client. QEMU is treated as hostile: every read has a
 * deadline, a line longer than QMP_LINE_MAX is an error (not a realloc
 * loop), every message must parse as a JSON object, a reply must carry the
 * id of the command it answers, and events met while waiting are queued,
 * not lost. One client per connection; libxl's pattern of connecting for
 * each operation is followed, so no connection is held open.
 */
#include <poll.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "json.h"
#include "qmp.h"

#define QMP_LINE_MAX (1u << 20)
#define QMP_EVENTS_MAX 256
#define QMP_DEPTH_MAX 64

struct libdmr_qmp {
    libdmr_ctx *ctx;
    uint32_t domid;
    int fd;
    char *buf;             /* bytes read and not yet consumed */
    size_t len, cap;
    unsigned next_id;
    unsigned first_id;     /* replies below it answer an earlier connection */
    bool broken;           /* a protocol error: nothing more is trusted */
    char *path;            /* the socket, when connected by path */
    struct strv events;    /* unread event names, oldest first */
    unsigned long events_dropped;
    unsigned events_this_command;
};

/* One line (without its newline) into *ret, by the deadline; a timeout
 * is logged unless the caller says what it was waiting for itself. */
static int qmp_read_line(struct libdmr_qmp *q, long deadline, bool log_timeout, char **ret)
{
    libdmr_ctx *ctx = q->ctx;
    for (;;) {
        char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
        if (nl) {
            size_t n = nl - q->buf;
            /* A NUL would cut the line short and hide what follows it. */
            if (memchr(q->buf, '\0', n)) {
                LOGD(ERROR, q->domid, "QMP: a NUL byte inside a message");
                return LIBDMR_ERROR_QEMU_API;
            }
            char *line = strndup(q->buf, n);
            if (!line)
                return LIBDMR_ERROR_NOMEM;
            memmove(q->buf, nl + 1, q->len - n - 1);
            q->len -= n + 1;
            *ret = line;
            return 0;
        }
        if (q->len >= QMP_LINE_MAX) {
            LOGD(ERROR, q->domid, "QMP: a line longer than %u bytes", QMP_LINE_MAX);
            return LIBDMR_ERROR_QEMU_API;
        }
        long left = deadline - monotonic_ms();
        struct pollfd p = { .fd = q->fd, .events = POLLIN };
        int r = left > 0 ? poll(&p, 1, left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            if (log_timeout)
                LOGD(ERROR, q->domid, "QMP: no answer from QEMU in time");
            return LIBDMR_ERROR_TIMEDOUT;
        }
        if (r < 0) {
            /* Not QEMU's answer (FAIL is kept for its error replies). */
            LOGED(ERROR, q->domid, "QMP: waiting for QEMU");
            return LIBDMR_ERROR_QEMU_API;
        }
        if (q->cap - q->len < 4096) {
            size_t cap = q->cap ? q->cap * 2 : 8192;
            if (cap > QMP_LINE_MAX + 4096)
                cap = QMP_LINE_MAX + 4096;
            char *grown = realloc(q->buf, cap);
            if (!grown)
                return LIBDMR_ERROR_NOMEM;
            q->buf = grown;
            q->cap = cap;
        }
        ssize_t n = read(q->fd, q->buf + q->len, q->cap - q->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            LOGD(ERROR, q->domid, "QMP: QEMU closed the connection");
            return LIBDMR_ERROR_QEMU_API;
        }
        q->len += n;
    }
}

/*
 * yajl parses and frees a tree recursively: a hostile line of a million
 * '[' would exhaust the stack. QMP never nests deeply; refuse before parsing.
 */
static bool json_too_deep(const char *s, int max)
{
    int depth = 0;
    bool in_string = false;
    for (; *s; s++) {
        if (in_string) {
            if (*s == '\\' && s[1])
                s++;
            else if (*s == '"')
                in_string = false;
        } else if (*s == '"') {
            in_string = true;
        } else if (*s == '[' || *s == '{') {
            if (++depth > max)
                return true;
        } else if (*s == ']' || *s == '}') {
            depth--;
        }
    }
    return false;
}

/* The next message, which must be a JSON object. */
static int qmp_read_message(struct libdmr_qmp *q, long deadline, bool log_timeout, yajl_val *ret)
{
    libdmr_ctx *ctx = q->ctx;
    _cleanup_free_ char *line = NULL;
    int rc = qmp_read_line(q, deadline, log_timeout, &line);
    if (rc)
        return rc;
    if (json_too_deep(line, QMP_DEPTH_MAX)) {
        LOGD(ERROR, q->domid, "QMP: a message nested deeper than %d", QMP_DEPTH_MAX);
        return LIBDMR_ERROR_QEMU_API;
    }
    yajl_val v = yajl_tree_parse(line, NULL, 0);
    if (!v || !YAJL_IS_OBJECT(v)) {
        yajl_tree_free(v);
        LOGD(ERROR, q->domid, "QMP: not a JSON object: %.80s", line);
        return LIBDMR_ERROR_QEMU_API;
    }
    *ret = v;
    return 0;
}

static yajl_val member(yajl_val obj, const char *key, yajl_type type)
{
    const char *path[] = { key, NULL };
    return yajl_tree_get(obj, path, type);
}

/* "NAME", or "NAME:DEVICE" for an event about a device (DEVICE_DELETED):
 * QEMU's ids hold no ':', so the two cannot be confused. */
static char *event_key(yajl_val msg)
{
    yajl_val name = member(msg, "event", yajl_t_string);
    yajl_val data = member(msg, "data", yajl_t_object);
    yajl_val device = data ? member(data, "device", yajl_t_string) : NULL;
    char *key;
    if (asprintf(&key, "%s%s%s", YAJL_GET_STRING(name), device ? ":" : "",
                 device ? YAJL_GET_STRING(device) : "") < 0)
        return NULL;
    return key;
}

/* An event met while waiting for a reply: keep its key, bounded. */
static int qmp_queue_event(struct libdmr_qmp *q, yajl_val msg)
{
    libdmr_ctx *ctx = q->ctx;
    /* A flood while one reply is awaited is an attack or a bug. */
    if (++q->events_this_command > QMP_EVENTS_MAX) {
        LOGD(ERROR, q->domid, "QMP: more than %u events before a reply", QMP_EVENTS_MAX);
        return LIBDMR_ERROR_QEMU_API;
    }
    _cleanup_free_ char *key = event_key(msg);
    if (!key)
        return LIBDMR_ERROR_NOMEM;
    LOGD(DEBUG, q->domid, "QMP event %s", key);
    /* Over a long-kept connection nobody reads, keep only the newest. */
    if (q->events.n >= QMP_EVENTS_MAX) {
        free(q->events.v[0]);
        memmove(q->events.v, q->events.v + 1, q->events.n * sizeof(char *));
        q->events.n--;
        q->events_dropped++;
    }
    return strv_push(&q->events, key) ? LIBDMR_ERROR_NOMEM : 0;
}

/* Take key out of the queue if it is there. */
static bool event_take_queued(struct libdmr_qmp *q, const char *key)
{
    for (size_t i = 0; i < q->events.n; i++)
        if (!strcmp(q->events.v[i], key)) {
            free(q->events.v[i]);
            memmove(&q->events.v[i], &q->events.v[i + 1], (q->events.n - i) * sizeof(char *));
            q->events.n--;
            return true;
        }
    return false;
}

int qmp_wait_event(struct libdmr_qmp *q, const char *name, const char *device, int timeout_ms)
{
    libdmr_ctx *ctx = q->ctx;
    char key[256];
    snprintf(key, sizeof(key), "%s%s%s", name, device ? ":" : "", device ? device : "");
    if (q->broken)
        return LIBDMR_ERROR_QEMU_API;
    if (event_take_queued(q, key))
        return 0;
    long deadline = monotonic_ms() + timeout_ms;
    q->events_this_command = 0;
    for (;;) {
        yajl_val msg = NULL;
        int rc = qmp_read_message(q, deadline, false, &msg);
        if (!rc && !member(msg, "event", yajl_t_string)) {
            /* No command is outstanding: a reply now is out of step. */
            LOGD(ERROR, q->domid, "QMP: a reply while waiting for %s", key);
            rc = LIBDMR_ERROR_QEMU_API;
        }
        if (!rc)
            rc = qmp_queue_event(q, msg);
        yajl_tree_free(msg);
        if (rc) {
            if (rc != LIBDMR_ERROR_TIMEDOUT)
                q->broken = true;
            return rc;
        }
        if (event_take_queued(q, key))
            return 0;
    }
}

/* The command's bytes; with fd >= 0, the descriptor rides on the first
 * sendmsg (SCM_RIGHTS), as QEMU expects it with the command that uses it. */
static int qmp_send(struct libdmr_qmp *q, const char *text, int fd)
{
    size_t len = strlen(text), off = 0;
    if (fd >= 0) {
        char control[CMSG_SPACE(sizeof(int))] = { 0 };
        struct iovec iov = { .iov_base = (void *)text, .iov_len = len };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = control, .msg_controllen = sizeof(control) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        ssize_t n;
        while ((n = sendmsg(q->fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
            ;
        if (n <= 0)
            return n < 0 && (errno == EPIPE || errno == ECONNRESET) ? LIBDMR_ERROR_QEMU_API
                                                                   : LIBDMR_ERROR_FAIL;
        off = n;
    }
    while (off < len) {
        ssize_t n = send(q->fd, text + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EPIPE || errno == ECONNRESET ? LIBDMR_ERROR_QEMU_API
                                                         : LIBDMR_ERROR_FAIL;
        off += n;
    }
    return 0;
}

static int qmp_run(struct libdmr_qmp *q, const char *command, const char *arguments_json,
                   int fd, int timeout_ms, yajl_val *ret_return);

int qmp_execute(struct libdmr_qmp *q, const char *command, const char *arguments_json,
                int timeout_ms, yajl_val *ret_return)
{
    return qmp_execute_fd(q, command, arguments_json, -1, timeout_ms, ret_return);
}

int qmp_execute_fd(struct libdmr_qmp *q, const char *command, const char *arguments_json,
                   int fd, int timeout_ms, yajl_val *ret_return)
{
    if (q->broken) {
        libdmr_ctx *ctx = q->ctx;
        LOGD(ERROR, q->domid, "QMP: %s: the connection is unusable after an earlier error", command);
        return LIBDMR_ERROR_QEMU_API;
    }
    q->events_this_command = 0;
    int rc = qmp_run(q, command, arguments_json, fd, timeout_ms, ret_return);
    /* After anything but QEMU's own error reply the stream cannot be trusted. */
    if (rc && rc != LIBDMR_ERROR_FAIL)
        q->broken = true;
    return rc;
}

static char *command_text(struct libdmr_qmp *q, const char *command, const char *arguments_json,
                          unsigned *ret_id)
{
    char *text;
    *ret_id = q->next_id++;
    if (asprintf(&text, "{\"execute\":\"%s\"%s%s,\"id\":%u}\n", command,
                 arguments_json ? ",\"arguments\":" : "",
                 arguments_json ? arguments_json : "", *ret_id) < 0)
        return NULL;
    return text;
}

static int send_logged(struct libdmr_qmp *q, const char *text, int fd, const char *command)
{
    libdmr_ctx *ctx = q->ctx;
    int rc = qmp_send(q, text, fd);
    if (rc == LIBDMR_ERROR_QEMU_API)
        LOGD(ERROR, q->domid, "QMP: QEMU closed the connection (sending %s)", command);
    else if (rc)
        LOGED(ERROR, q->domid, "QMP: sending %s", command);
    return rc;
}

/* QEMU answers whoever is connected now: after a reconnect, the replies
 * to the earlier connection's last commands may come here, even before
 * the greeting. They carry ids below this connection's first. */
static bool stale_reply(const struct libdmr_qmp *q, yajl_val msg)
{
    yajl_val got_id = member(msg, "id", yajl_t_number);
    return !member(msg, "event", yajl_t_string) && got_id && YAJL_IS_INTEGER(got_id) &&
           YAJL_GET_INTEGER(got_id) >= 1 && YAJL_GET_INTEGER(got_id) < q->first_id;
}

/* Read up to the reply to command id, queueing events met on the way. */
static int await_reply(struct libdmr_qmp *q, const char *command, unsigned id, long deadline,
                       yajl_val *ret_return)
{
    libdmr_ctx *ctx = q->ctx;
    for (unsigned stale = 0;;) {
        yajl_val msg;
        int rc = qmp_read_message(q, deadline, true, &msg);
        if (rc)
            return rc;
        yajl_val event = member(msg, "event", yajl_t_string);
        yajl_val got_id = member(msg, "id", yajl_t_number);
        if (stale_reply(q, msg) && ++stale <= QMP_EVENTS_MAX) {
            yajl_tree_free(msg);
            continue;
        }
        if (event) {
            rc = qmp_queue_event(q, msg);
            yajl_tree_free(msg);
            if (rc)
                return rc;
            continue;
        }
        yajl_val ret = member(msg, "return", yajl_t_any);
        yajl_val err = member(msg, "error", yajl_t_object);
        if (!got_id || !YAJL_IS_INTEGER(got_id) || YAJL_GET_INTEGER(got_id) != id ||
            (!ret == !err)) {
            LOGD(ERROR, q->domid, "QMP: %s: a reply without its id, or with "
                 "neither or both of return and error", command);
            yajl_tree_free(msg);
            return LIBDMR_ERROR_QEMU_API;
        }
        if (err) {
            yajl_val desc = member(err, "desc", yajl_t_string);
            LOGD(ERROR, q->domid, "QMP: %s failed: %s", command,
                 desc ? YAJL_GET_STRING(desc) : "(no description)");
            yajl_tree_free(msg);
            return LIBDMR_ERROR_FAIL;
        }
        if (ret_return) {
            /* Detach the value from the message so the caller owns it. */
            for (size_t i = 0; i < msg->u.object.len; i++)
                if (!strcmp(msg->u.object.keys[i], "return")) {
                    *ret_return = msg->u.object.values[i];
                    msg->u.object.values[i] = NULL;
                }
        }
        yajl_tree_free(msg);
        return 0;
    }
}

static int qmp_run(struct libdmr_qmp *q, const char *command, const char *arguments_json,
                   int fd, int timeout_ms, yajl_val *ret_return)
{
    unsigned id;
    _cleanup_free_ char *text = command_text(q, command, arguments_json, &id);
    if (!text)
        return LIBDMR_ERROR_NOMEM;
    int rc = send_logged(q, text, fd, command);
    return rc ? rc : await_reply(q, command, id, monotonic_ms() + timeout_ms, ret_return);
}

int qmp_execute_batch(struct libdmr_qmp *q, struct qmp_cmd *cmds, size_t n, int fd,
                      int timeout_ms)
{
    libdmr_ctx *ctx = q->ctx;
    if (q->broken) {
        LOGD(ERROR, q->domid, "QMP: the connection is unusable after an earlier error");
        return LIBDMR_ERROR_QEMU_API;
    }
    /* One write for all: QEMU answers in order, each by its id. */
    char *all = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&all, &len);
    unsigned first_id = q->next_id;
    for (size_t i = 0; f && i < n; i++) {
        unsigned id;
        _cleanup_free_ char *text = command_text(q, cmds[i].command, cmds[i].arguments, &id);
        if (!text)
            break;
        fputs(text, f);
    }
    if (!f || fclose(f) || q->next_id - first_id != n) {
        free(all);
        return LIBDMR_ERROR_NOMEM;
    }
    q->events_this_command = 0;
    int rc = send_logged(q, all, fd, cmds[0].command);
    free(all);
    long deadline = monotonic_ms() + timeout_ms;
    int first_error = rc;
    for (size_t i = 0; i < n; i++)
        cmds[i] = (struct qmp_cmd){ .command = cmds[i].command, .arguments = cmds[i].arguments,
                                    .ret = cmds[i].ret, .rc = rc ? rc : LIBDMR_ERROR_QEMU_API };
    for (size_t i = 0; !rc && i < n; i++) {
        cmds[i].rc = await_reply(q, cmds[i].command, first_id + i, deadline, cmds[i].ret);
        cmds[i].answered = !cmds[i].rc || cmds[i].rc == LIBDMR_ERROR_FAIL;
        if (cmds[i].rc && !first_error)
            first_error = cmds[i].rc;
        /* QEMU's own error replies keep the stream in step; nothing else does. */
        if (cmds[i].rc && cmds[i].rc != LIBDMR_ERROR_FAIL)
            rc = cmds[i].rc;
    }
    if (rc)
        q->broken = true;
    return first_error;
}

/* A connection on fd whose command ids start at first_id. */
static int qmp_open_fd_from(libdmr_ctx *ctx, uint32_t domid, int *fd, int timeout_ms,
                            unsigned first_id, struct libdmr_qmp **ret)
{
    struct libdmr_qmp *q = calloc(1, sizeof(*q));
    if (!q)
        return LIBDMR_ERROR_NOMEM;
    *q = (struct libdmr_qmp){ .ctx = ctx, .domid = domid, .next_id = first_id,
                              .first_id = first_id, .fd = TAKE_FD(*fd) };
    /* The greeting may come before QEMU has chrooted and dropped its
     * user; the answer to qmp_capabilities comes from its main loop, after. */
    yajl_val greeting;
    long deadline = monotonic_ms() + timeout_ms;
    int rc = qmp_read_message(q, deadline, true, &greeting);
    for (unsigned stale = 0; !rc && stale_reply(q, greeting) && ++stale <= QMP_EVENTS_MAX;) {
        yajl_tree_free(greeting);
        rc = qmp_read_message(q, deadline, true, &greeting);
    }
    if (!rc) {
        if (!member(greeting, "QMP", yajl_t_object)) {
            LOGD(ERROR, domid, "QMP: the first message is not a greeting");
            rc = LIBDMR_ERROR_QEMU_API;
        }
        yajl_tree_free(greeting);
    }
    if (!rc)
        rc = qmp_execute(q, "qmp_capabilities", NULL, timeout_ms, NULL);
    if (rc) {
        qmp_close(q);
        return rc;
    }
    *ret = q;
    return 0;
}

int qmp_open_fd(libdmr_ctx *ctx, uint32_t domid, int *fd, int timeout_ms, struct libdmr_qmp **ret)
{
    return qmp_open_fd_from(ctx, domid, fd, timeout_ms, 1, ret);
}

/*
 * A socket connected to path: its descriptor, or a LIBDMR_ERROR (logged).
 * A connect waits while QEMU's backlog is full (a wedged monitor, clients
 * that gave up): for timeout_ms at most (SO_SNDTIMEO bounds a Unix
 * connect), then it is dropped again for what follows.
 */
static int connect_to(libdmr_ctx *ctx, uint32_t domid, const char *path, int timeout_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return LIBDMR_ERROR_INVAL;
    strcpy(sa.sun_path, path);
    struct timeval bound = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 }, none = { 0, 0 };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof(bound)) < 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none)) < 0) {
        LOGED(ERROR, domid, "QMP: connecting to %s", path);
        safe_close(fd);
        return LIBDMR_ERROR_FAIL;
    }
    return fd;
}

/* A connection to path, numbering its commands from first_id. */
static int qmp_connect_from(libdmr_ctx *ctx, uint32_t domid, const char *path, int timeout_ms,
                            unsigned first_id, struct libdmr_qmp **ret)
{
    _cleanup_close_ int fd = connect_to(ctx, domid, path, timeout_ms);
    if (fd < 0)
        return fd;
    int rc = qmp_open_fd_from(ctx, domid, &fd, timeout_ms, first_id, ret);
    if (!rc && !((*ret)->path = strdup(path))) {
        qmp_close(*ret);
        *ret = NULL;
        rc = LIBDMR_ERROR_NOMEM;
    }
    return rc;
}

int qmp_connect(libdmr_ctx *ctx, uint32_t domid, const char *path, int timeout_ms,
                struct libdmr_qmp **ret)
{
    return qmp_connect_from(ctx, domid, path, timeout_ms, 1, ret);
}

/*
 * quit, in one write on a new connection, with qmp_capabilities before
 * it: QEMU runs what a client queued in order, quit once capabilities
 * has switched the monitor to commands, so neither the greeting nor an
 * answer is waited for. Then read (and drop) until QEMU closes the
 * connection as it exits, or the deadline: QEMU drops what a client
 * queued if the client goes first.
 */
int qmp_quit(libdmr_ctx *ctx, uint32_t domid, const char *path, int timeout_ms)
{
    static const char cmds[] = "{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"quit\"}\n";
    _cleanup_close_ int fd = connect_to(ctx, domid, path, timeout_ms);
    if (fd < 0)
        return fd;
    if (send(fd, cmds, sizeof(cmds) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(cmds) - 1) {
        LOGED(ERROR, domid, "QMP: sending quit");
        return LIBDMR_ERROR_FAIL;
    }
    long deadline = monotonic_ms() + timeout_ms;
    char drop[4096];
    for (;;) {
        long left = deadline - monotonic_ms();
        struct pollfd pf = { fd, POLLIN, 0 };
        int n = left > 0 ? poll(&pf, 1, (int)left) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            LOGD(ERROR, domid, "QMP: QEMU did not close the connection after quit");
            return LIBDMR_ERROR_TIMEDOUT;
        }
        ssize_t r = read(fd, drop, sizeof(drop));
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
            return 0;  /* closed (a reset, too): it is exiting */
    }
}

bool qmp_usable(const struct libdmr_qmp *q)
{
    return q && !q->broken;
}

int qmp_reconnect(struct libdmr_qmp *q, int timeout_ms, struct libdmr_qmp **ret)
{
    if (!q->path)
        return LIBDMR_ERROR_INVAL;
    /* QEMU serves one client at a time: q's connection goes first. */
    q->fd = safe_close(q->fd);
    q->broken = true;
    return qmp_connect_from(q->ctx, q->domid, q->path, timeout_ms, q->next_id, ret);
}

size_t qmp_events_take(struct libdmr_qmp *q, struct strv *ret)
{
    *ret = q->events;
    q->events = (struct strv){ 0 };
    return ret->n;
}

void qmp_close(struct libdmr_qmp *q)
{
    if (!q)
        return;
    safe_close(q->fd);
    free(q->path);
    free(q->buf);
    strv_clear(&q->events);
    free(q);
}
