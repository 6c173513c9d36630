/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU's stdout and stderr go through a pipe to a per-domain logger
 * process, never straight to a file: QEMU's RLIMIT_FSIZE would then kill
 * it at the limit, and an undrained pipe would block it. The logger runs
 * as root, holds only the pipe and the log, caps the log at
 * LOG_MAX_BYTES and keeps one rotated copy (.1); each start of a domain
 * begins a fresh log. It ends at EOF, when the
 * last holder of the pipe's write end (QEMU) has exited, so the last
 * lines are kept.
 */
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "launch.h"

#define LOG_MAX_BYTES (1u << 20)

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

static void __attribute__((noreturn)) logger_loop(int in, int dirfd, const char *name, int log)
{
    off_t size = 0;
    struct stat st;
    if (fstat(log, &st) == 0)
        size = st.st_size;
    /* The descriptor number of the log stays put across rotations. */
    char buf[8192], old[256];
    snprintf(old, sizeof(old), "%s.1", name);
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(0);
        if (size + n > LOG_MAX_BYTES) {
            /* Rotate: the full log becomes .1, a fresh one takes its place. */
            renameat(dirfd, name, dirfd, old);
            safe_close(log);
            log = log_open(dirfd, name, &size);
            if (log < 0)
                _exit(1);
        }
        if (write(log, buf, n) == n)
            size += n;
    }
}

/* In the logger: start a fresh log (the last one kept as .1, as libxl
 * does) and drain the pipe into it. Done here, off the create's critical
 * path, since a rename on a slow /var/log can take tens of milliseconds;
 * the pipe holds QEMU's first lines meanwhile. */
static void __attribute__((noreturn)) logger_main(int in, int dirfd, const char *name)
{
    char old[256];
    snprintf(old, sizeof(old), "%s.1", name);
    renameat(dirfd, name, dirfd, old);
    off_t size;
    int log = log_open(dirfd, name, &size);
    if (log < 0) {
        /* Never block QEMU on a full pipe: drain it, keep nothing. */
        char buf[8192];
        while (read(in, buf, sizeof(buf)) > 0 || errno == EINTR)
            ;
        _exit(1);
    }
    logger_loop(in, dirfd, name, log);
}

struct logger_child {
    int in, dirfd;
    const char *name;
};

static void __attribute__((noreturn)) logger_child_main(void *arg, int report_fd)
{
    const struct logger_child *c = arg;
    (void)report_fd;  /* closed below, with everything else */
    setsid();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    /* Keep only the pipe's read end (3) and the log's directory (4);
     * lift them first so no dup2 clobbers one. */
    int in = fcntl(c->in, F_DUPFD_CLOEXEC, 100);
    int d = fcntl(c->dirfd, F_DUPFD_CLOEXEC, 100);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (in < 0 || d < 0 || devnull < 0 ||
        dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0 ||
        dup2(in, 3) < 0 || dup2(d, 4) < 0 ||
        syscall(SYS_close_range, 5, ~0U, 0) < 0)
        _exit(1);
    logger_main(3, 4, c->name);
}

int logger_start(libdmr_ctx *ctx, uint32_t domid, const char *log_path,
                 int *ret_write_fd, struct proc_ref *ret, int *ret_pidfd)
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
    struct logger_child c = { pipefd[0], dirfd, name };
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
