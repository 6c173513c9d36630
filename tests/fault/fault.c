/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An LD_PRELOAD shim for fault injection: XL_DMR_FAULT="open:3" makes the
 * 3rd call of open() in each process of xl-dmr fail (EIO; ENOMEM for
 * fork), once. XL_DMR_FAULT_COUNT=FILE appends, at exit, how many times
 * the main process called each wrapped function, as "NAME COUNT" lines,
 * so a test can enumerate every call as a fault point. Only xl-dmr and
 * the processes it forks carry it: QEMU is exec'd with a clean
 * environment.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sched.h>
#include <unistd.h>

enum { F_OPEN, F_OPENAT, F_SOCKET, F_BIND, F_LISTEN, F_CONNECT, F_MKDIR, F_MKDIRAT, F_PIPE2,
       F_FORK, F_WRITE, F_RENAMEAT, F_FLOCK, F_UNSHARE, F_MOUNT, F_SEND, F_SENDMSG, F_READ,
       F_SOCKETPAIR, F_N };
static const char *const names[F_N] = {
    "open", "openat", "socket", "bind", "listen", "connect", "mkdir", "mkdirat", "pipe2",
    "fork", "write", "renameat", "flock", "unshare", "mount", "send", "sendmsg", "read",
    "socketpair" };
static unsigned long counts[F_N];
static int fault_fn = -1;
static unsigned long fault_at;
static pid_t main_pid;

__attribute__((constructor)) static void fault_init(void)
{
    main_pid = getpid();
    const char *spec = getenv("XL_DMR_FAULT");
    const char *colon = spec ? strchr(spec, ':') : NULL;
    if (!colon)
        return;
    for (int i = 0; i < F_N; i++)
        if (strlen(names[i]) == (size_t)(colon - spec) && !strncmp(spec, names[i], colon - spec))
            fault_fn = i;
    fault_at = strtoul(colon + 1, NULL, 10);
}

__attribute__((destructor)) static void fault_report(void)
{
    const char *path = getenv("XL_DMR_FAULT_COUNT");
    if (!path || getpid() != main_pid)
        return;
    FILE *f = fopen(path, "a");
    for (int i = 0; f && i < F_N; i++)
        fprintf(f, "%s %lu\n", names[i], counts[i]);
    if (f)
        fclose(f);
}

/* Count this call; true when it is the one to fail. */
static int hit(int fn)
{
    return ++counts[fn] == fault_at && fn == fault_fn;
}

/* XL_DMR_FAULT_LOG=FILE: what the failed call was given, for a test's
 * report ("open #9: /etc/passwd"). */
static void note(const char *what)
{
    const char *path = getenv("XL_DMR_FAULT_LOG");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        fprintf(f, "%s #%lu in pid %d: %s\n", names[fault_fn], fault_at, (int)getpid(), what);
        fclose(f);
    }
}

#define REAL(name, ret, ...) \
    static ret (*real_##name)(__VA_ARGS__); \
    if (!real_##name) real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

int open(const char *path, int flags, ...)
{
    REAL(open, int, const char *, int, ...);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (hit(F_OPEN))
        return note(path), errno = EIO, -1;
    return real_open(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    REAL(openat, int, int, const char *, int, ...);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (hit(F_OPENAT))
        return note(path), errno = EIO, -1;
    return real_openat(dirfd, path, flags, mode);
}

int socket(int domain, int type, int protocol)
{
    REAL(socket, int, int, int, int);
    return hit(F_SOCKET) ? (errno = EMFILE, -1) : real_socket(domain, type, protocol);
}

int socketpair(int domain, int type, int protocol, int sv[2])
{
    REAL(socketpair, int, int, int, int, int *);
    return hit(F_SOCKETPAIR) ? (errno = EMFILE, -1) : real_socketpair(domain, type, protocol, sv);
}

int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    REAL(bind, int, int, const struct sockaddr *, socklen_t);
    return hit(F_BIND) ? (errno = EADDRINUSE, -1) : real_bind(fd, sa, len);
}

int listen(int fd, int backlog)
{
    REAL(listen, int, int, int);
    return hit(F_LISTEN) ? (errno = EIO, -1) : real_listen(fd, backlog);
}

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    REAL(connect, int, int, const struct sockaddr *, socklen_t);
    return hit(F_CONNECT) ? (errno = ECONNREFUSED, -1) : real_connect(fd, sa, len);
}

int mkdir(const char *path, mode_t mode)
{
    REAL(mkdir, int, const char *, mode_t);
    return hit(F_MKDIR) ? (note(path), errno = EIO, -1) : real_mkdir(path, mode);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
    REAL(mkdirat, int, int, const char *, mode_t);
    return hit(F_MKDIRAT) ? (note(path), errno = EIO, -1) : real_mkdirat(dirfd, path, mode);
}

int pipe2(int fds[2], int flags)
{
    REAL(pipe2, int, int *, int);
    return hit(F_PIPE2) ? (errno = EMFILE, -1) : real_pipe2(fds, flags);
}

pid_t fork(void)
{
    REAL(fork, pid_t, void);
    return hit(F_FORK) ? (errno = ENOMEM, -1) : real_fork();
}

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(write, ssize_t, int, const void *, size_t);
    return hit(F_WRITE) ? (errno = EIO, -1) : real_write(fd, buf, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
    REAL(read, ssize_t, int, void *, size_t);
    return hit(F_READ) ? (errno = EIO, -1) : real_read(fd, buf, n);
}

int renameat(int olddir, const char *old, int newdir, const char *new)
{
    REAL(renameat, int, int, const char *, int, const char *);
    return hit(F_RENAMEAT) ? (errno = EIO, -1) : real_renameat(olddir, old, newdir, new);
}

int flock(int fd, int op)
{
    REAL(flock, int, int, int);
    return hit(F_FLOCK) ? (errno = ENOLCK, -1) : real_flock(fd, op);
}

int unshare(int flags)
{
    REAL(unshare, int, int);
    return hit(F_UNSHARE) ? (errno = ENOMEM, -1) : real_unshare(flags);
}

int mount(const char *src, const char *target, const char *type, unsigned long flags,
          const void *data)
{
    REAL(mount, int, const char *, const char *, const char *, unsigned long, const void *);
    return hit(F_MOUNT) ? (errno = ENOMEM, -1) : real_mount(src, target, type, flags, data);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    REAL(send, ssize_t, int, const void *, size_t, int);
    return hit(F_SEND) ? (errno = EIO, -1) : real_send(fd, buf, n, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    REAL(sendmsg, ssize_t, int, const struct msghdr *, int);
    return hit(F_SENDMSG) ? (errno = EIO, -1) : real_sendmsg(fd, msg, flags);
}
