/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-domain logger. QEMU's stdout and stderr go through a pipe to
 * it, never straight to a file: QEMU's RLIMIT_FSIZE would then kill it at
 * the limit, and an undrained pipe would block it. It also holds the
 * guest's serial port: the other end of the socketpair QEMU was given
 * as its serial chardev. Both go to one log, the domain's
 * /var/log/xl-dmr/qemu-dm-NAME.log, as they always did (a DM that dies
 * at start is reported with the guest's last words too). The log is
 * capped at LOG_MAX_BYTES with one rotated copy (.1); each start of a
 * domain begins a fresh log.
 *
 * It serves the console (`xl-dmr console`) on a Unix socket the
 * toolstack bound, mode 0600 and root's: one client at a time (another
 * is told "busy" and closed). Every descriptor is polled, none blocks:
 * the guest's output is logged whether anyone is attached or not, a
 * client that reads slower than the guest writes loses output (the log
 * keeps it), and what a client types waits in a small buffer until the
 * guest's UART takes it, the client being read no faster.
 *
 * It ends once QEMU's output and the serial port have both closed (QEMU
 * has exited), so the last lines are kept; a client attached then sees
 * EOF.
 */
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "launch.h"

#define LOG_MAX_BYTES (1u << 20)
#define CONSOLE_BUF 65536

/* The log, rotated in place: the same name, a fresh file. */
struct log {
    int dirfd, fd;
    const char *name;
    char old[256];         /* name.1 */
    off_t size;
};

static int log_open(int dirfd, const char *name, off_t *ret_size)
{
    int fd = openat(dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        *ret_size = st.st_size;
        return fd;
    }
    safe_close(fd);
    return -1;
}

/* Append; rotate first when it would pass the cap. Without a log (it
 * could not be opened) the bytes are dropped: QEMU is never blocked. */
static void log_append(struct log *l, const char *buf, size_t n)
{
    if (l->fd < 0)
        return;
    if (l->size + (off_t)n > LOG_MAX_BYTES) {
        /* The full log becomes .1, a fresh one takes its place. */
        renameat(l->dirfd, l->name, l->dirfd, l->old);
        safe_close(l->fd);
        l->fd = log_open(l->dirfd, l->name, &l->size);
        if (l->fd < 0)
            return;
    }
    if (write(l->fd, buf, n) == (ssize_t)n)
        l->size += n;
}

/* Bytes waiting for a non-blocking descriptor. */
struct pending {
    char buf[CONSOLE_BUF];
    size_t len;
};

/* As much as fits; the rest is dropped (a slow client's loss, not the guest's). */
static void pending_add(struct pending *p, const char *buf, size_t n)
{
    size_t room = sizeof(p->buf) - p->len;
    if (n > room)
        n = room;
    memcpy(p->buf + p->len, buf, n);
    p->len += n;
}

/* Write what the descriptor takes now; -1 when it is gone. */
static int pending_flush(struct pending *p, int fd)
{
    ssize_t n = send(fd, p->buf, p->len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    memmove(p->buf, p->buf + n, p->len - n);
    p->len -= n;
    return 0;
}

struct logger {
    struct log log;
    int out;               /* QEMU's stdout and stderr (a pipe); -1 at EOF */
    int serial;            /* the guest's serial port; -1: none, or closed */
    int listener;          /* the console socket; -1: none */
    int client;            /* the attached console client; -1: none */
    struct pending to_client, to_guest;
};

/* A client for the console: root only (the socket's mode says so
 * already), one at a time. The first byte it reads says which. */
static void console_accept(struct logger *lg)
{
    int fd = accept4(lg->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    bool root = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == 0;
    if (!root || lg->client >= 0 || lg->serial < 0) {
        char no = !root ? LOGGER_CONSOLE_DENIED : lg->serial < 0 ? LOGGER_CONSOLE_GONE
                                                                 : LOGGER_CONSOLE_BUSY;
        (void)!send(fd, &no, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        safe_close(fd);
        return;
    }
    char yes = LOGGER_CONSOLE_ATTACHED;
    if (send(fd, &yes, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
        safe_close(fd);
        return;
    }
    lg->client = fd;
    lg->to_client.len = 0;
}

static void console_detach(struct logger *lg)
{
    lg->client = safe_close(lg->client);
    lg->to_client.len = lg->to_guest.len = 0;
}

/* The guest wrote: to the log, and to the client if one is attached. */
static void serial_readable(struct logger *lg)
{
    char buf[8192];
    ssize_t n = recv(lg->serial, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        lg->serial = safe_close(lg->serial);
        return;
    }
    log_append(&lg->log, buf, n);
    if (lg->client >= 0)
        pending_add(&lg->to_client, buf, n);
}

static void out_readable(struct logger *lg)
{
    char buf[8192];
    ssize_t n = read(lg->out, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
        return;
    if (n <= 0) {
        lg->out = safe_close(lg->out);
        return;
    }
    log_append(&lg->log, buf, n);
}

/* The client typed: kept for the guest, read again once that is taken. */
static void client_readable(struct logger *lg)
{
    char buf[4096];
    ssize_t n = recv(lg->client, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        console_detach(lg);
        return;
    }
    pending_add(&lg->to_guest, buf, n);
}

enum { P_OUT, P_SERIAL, P_LISTENER, P_CLIENT, P_N };

/* One round of the console-serving loop: poll every descriptor, serve
 * what is ready. A closed descriptor is -1, which poll skips. */
static void logger_round(struct logger *lg)
{
    bool serial_open = lg->serial >= 0;
    struct pollfd pfd[P_N] = {
        [P_OUT] = { lg->out, POLLIN, 0 },
        [P_SERIAL] = { lg->serial, POLLIN | (lg->to_guest.len ? POLLOUT : 0), 0 },
        [P_LISTENER] = { lg->listener, POLLIN, 0 },
        /* Typing waits while the guest has not taken the last of it. */
        [P_CLIENT] = { lg->client, (lg->to_guest.len ? 0 : POLLIN) |
                                   (lg->to_client.len ? POLLOUT : 0), 0 },
    };
    if (poll(pfd, P_N, -1) < 0)
        return;  /* EINTR */
    if (pfd[P_OUT].revents)
        out_readable(lg);
    if (pfd[P_SERIAL].revents & (POLLIN | POLLHUP | POLLERR))
        serial_readable(lg);
    if (lg->serial >= 0 && (pfd[P_SERIAL].revents & POLLOUT) &&
        pending_flush(&lg->to_guest, lg->serial) < 0)
        lg->serial = safe_close(lg->serial);
    if (pfd[P_LISTENER].revents & POLLIN)
        console_accept(lg);
    if (lg->client >= 0 && pfd[P_CLIENT].revents & (POLLIN | POLLHUP | POLLERR))
        client_readable(lg);
    if (lg->client >= 0 && (pfd[P_CLIENT].revents & POLLOUT) &&
        pending_flush(&lg->to_client, lg->client) < 0)
        console_detach(lg);
    /* The guest's port is gone with QEMU: so is the console. */
    if (serial_open && lg->serial < 0)
        console_detach(lg);
}

static void __attribute__((noreturn)) logger_loop(struct logger *lg)
{
    while (lg->out >= 0 || lg->serial >= 0)
        logger_round(lg);
    _exit(0);
}

/* In the logger: start a fresh log (the last one kept as .1, as libxl
 * does) and serve until QEMU is gone. Done here, off the create's
 * critical path, since a rename on a slow /var/log can take tens of
 * milliseconds; the pipe and the socket hold QEMU's first lines meanwhile. */
static void __attribute__((noreturn)) logger_main(struct logger *lg)
{
    struct log *l = &lg->log;
    snprintf(l->old, sizeof(l->old), "%s.1", l->name);
    renameat(l->dirfd, l->name, l->dirfd, l->old);
    /* No log: the loop still drains everything, keeping nothing. */
    l->fd = log_open(l->dirfd, l->name, &l->size);
    if (lg->serial >= 0)
        fcntl(lg->serial, F_SETFL, O_NONBLOCK);
    logger_loop(lg);
}

struct logger_child {
    int in, dirfd, serial, listener;
    const char *name;
};

/* fd lifted above every target descriptor (-2: failed); -1 stays -1. */
static int lift_fd(int fd)
{
    if (fd < 0)
        return -1;
    int lifted = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    return lifted < 0 ? -2 : lifted;
}

static void __attribute__((noreturn)) logger_child_main(void *arg, int report_fd)
{
    const struct logger_child *c = arg;
    (void)report_fd;  /* closed below, with everything else */
    setsid();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    /* Keep only the pipe's read end (3), the log's directory (4), the
     * serial port (5) and the console socket (6); lift them first so no
     * dup2 clobbers one. */
    int src[4] = { lift_fd(c->in), lift_fd(c->dirfd), lift_fd(c->serial),
                   lift_fd(c->listener) };
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
        _exit(1);
    if (src[0] < 0 || src[1] < 0)
        _exit(1);
    /* A slot with nothing for it is closed: it may hold an inherited
     * descriptor (a disk image the toolstack opened for QEMU). */
    for (int i = 0; i < 4; i++)
        if (src[i] == -2 || (src[i] >= 0 ? dup2(src[i], 3 + i) < 0
                                         : close(3 + i) < 0 && errno != EBADF))
            _exit(1);
    if (syscall(SYS_close_range, 7, ~0U, 0) < 0)
        _exit(1);
    struct logger lg = {
        .log = { .dirfd = 4, .fd = -1, .name = c->name },
        .out = 3, .serial = src[2] >= 0 ? 5 : -1, .listener = src[3] >= 0 ? 6 : -1,
        .client = -1,
    };
    logger_main(&lg);
}

int logger_start(libdmr_ctx *ctx, uint32_t domid, const char *log_path,
                 const struct logger_console *console, int *ret_write_fd,
                 struct proc_ref *ret, int *ret_pidfd)
{
    _cleanup_free_ char *dir_copy = strdup(log_path), *name_copy = strdup(log_path);
    if (!dir_copy || !name_copy)
        return -ENOMEM;
    const char *dir = dirname(dir_copy), *name = basename(name_copy);
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
        LOGED(ERROR, domid, "creating %s", dir);
        return -errno;
    }
    _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (dirfd < 0 || fstat(dirfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
        LOGD(ERROR, domid, "%s is not a directory private to root", dir);
        return -EPERM;
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        LOGED(ERROR, domid, "starting the log process: a pipe");
        return -errno;
    }
    struct logger_child c = { pipefd[0], dirfd, console ? console->serial : -1,
                              console ? console->listener : -1, name };
    int report[2], pidfd = -EBADF;
    int r = spawn_detached(logger_child_main, &c, false, NULL, ret, &pidfd, report);
    safe_close(pipefd[0]);
    if (r) {
        safe_close(pipefd[1]);
        LOGEVD(ERROR, -r, domid, "starting the log process");
        return r;
    }
    *ret_pidfd = pidfd;
    *ret_write_fd = pipefd[1];
    return 0;
}

int log_tail(const char *log_path, size_t max_bytes, char **ret)
{
    _cleanup_close_ int fd = open(log_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    off_t from = st.st_size > (off_t)max_bytes ? st.st_size - (off_t)max_bytes : 0;
    char *buf = calloc(1, max_bytes + 1);
    if (!buf)
        return -ENOMEM;
    ssize_t n = pread(fd, buf, max_bytes, from);
    if (n < 0) {
        free(buf);
        return -errno;
    }
    buf[n] = '\0';
    /* One line for an error message: newlines become " | ". */
    char *line = buf;
    if (from > 0 && (line = strchr(buf, '\n')))
        line++;
    else
        line = buf;
    size_t len = strlen(line);
    while (len && line[len - 1] == '\n')
        line[--len] = '\0';
    char *out = calloc(1, len * 3 + 1), *o = out;
    if (!out) {
        free(buf);
        return -ENOMEM;
    }
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\n') {
            memcpy(o, " | ", 3);
            o += 3;
        } else if ((unsigned char)line[i] >= 0x20) {
            *o++ = line[i];
        }
    }
    free(buf);
    *ret = out;
    return 0;
}
