/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A domain's persistent OVMF VARS copy (/var/lib/xl-dmr/nvram/NAME_VARS.fd),
 * opened by the toolstack as root and handed to QEMU as a descriptor: QEMU
 * never makes or opens it by path. A missing copy is made from the
 * firmware's template under a temporary name and renamed into place, so a
 * start that dies half-way leaves no half-written VARS. Every step goes
 * through directory descriptors with O_NOFOLLOW (a symlink planted in the
 * directory is refused, never followed), and the copy is mode 0600.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"

/* dir under parent, made with mode if missing; it must be root's and
 * writable by nobody else. */
static int dir_open(int parent, const char *name, mode_t mode)
{
    if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
        return -errno;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
        safe_close(fd);
        return -EPERM;
    }
    return fd;
}

static int nvram_dir_open(void)
{
    _cleanup_close_ int var_lib = open("/var/lib", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (var_lib < 0)
        return -errno;
    _cleanup_close_ int ours = dir_open(var_lib, "xl-dmr", 0755);
    if (ours < 0)
        return ours;
    return dir_open(ours, "nvram", 0700);
}

static int copy_all(int from, int to)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(from, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : 0;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(to, buf + done, n - done);
            if (w < 0 && errno != EINTR)
                return -errno;
            done += w > 0 ? w : 0;
        }
    }
}

/* Make name in dirfd from template: a temporary copy, synced, renamed. */
static int nvram_make(int dirfd, const char *name, const char *template_path)
{
    char tmp[300];
    snprintf(tmp, sizeof(tmp), ".%s.new", name);
    unlinkat(dirfd, tmp, 0);  /* a start that died while copying */
    _cleanup_close_ int from = open(template_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (from < 0 || fstat(from, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    _cleanup_close_ int to = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                                O_CLOEXEC, 0600);
    if (to < 0)
        return -errno;
    int r = copy_all(from, to);
    if (!r && (fchmod(to, 0600) < 0 || fsync(to) < 0))
        r = -errno;
    if (!r && renameat(dirfd, tmp, dirfd, name) < 0)
        r = -errno;
    if (r)
        unlinkat(dirfd, tmp, 0);
    return r;
}

int nvram_open(libdmr_ctx *ctx, uint32_t domid, const char *path, const char *template_path)
{
    size_t dlen = strlen(LIBDMR_NVRAM_DIR);
    const char *name = path + dlen + 1;
    if (strncmp(path, LIBDMR_NVRAM_DIR "/", dlen + 1) || strchr(name, '/') || !name[0]) {
        LOGD(ERROR, domid, "VARS copy %s: not in " LIBDMR_NVRAM_DIR, path);
        return -EINVAL;
    }
    _cleanup_close_ int dirfd = nvram_dir_open();
    if (dirfd < 0) {
        LOGEVD(ERROR, -dirfd, domid, LIBDMR_NVRAM_DIR ": cannot use it (root's, mode 0700)");
        return dirfd;
    }
    int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    int r = fd < 0 ? -errno : 0;
    if (r == -ENOENT) {
        r = nvram_make(dirfd, name, template_path);
        if (r) {
            LOGEVD(ERROR, -r, domid, "making the VARS copy %s from %s", path, template_path);
            return r;
        }
        LOGD(INFO, domid, "made the VARS copy %s from %s", path, template_path);
        fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        r = fd < 0 ? -errno : 0;
    }
    struct stat st;
    if (!r && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)))
        r = -EINVAL;
    if (!r && (st.st_mode & 077) && fchmod(fd, 0600) < 0)
        r = -errno;
    if (r) {
        LOGEVD(ERROR, -r, domid, "opening the VARS copy %s", path);
        safe_close(fd);
        return r;
    }
    return fd;
}
