/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-domain chroot, made as root from the plan only. Everything is
 * done relative to an opened parent directory, never by re-resolving a
 * path: a symlink or a non-directory in the chroot's place is refused, and
 * what is opened is what is checked (fstat), so there is no window between
 * a check and its use.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

#include "launch.h"

/* Remove name (a file, or a directory and what it holds) under dirfd,
 * staying on dirfd's file system and never following a symlink. */
static int rm_rf_at(int parent, const char *name, dev_t dev)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOTDIR || errno == ELOOP)
            return unlinkat(parent, name, 0) < 0 ? -errno : 0;
        return errno == ENOENT ? 0 : -errno;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_dev != dev) {
        safe_close(fd);
        return -EXDEV;  /* a mount point: not ours to empty */
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        safe_close(fd);
        return -errno;
    }
    int r = 0;
    for (struct dirent *de; !r && (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            r = rm_rf_at(dirfd(d), de->d_name, dev);
    closedir(d);
    if (!r && unlinkat(parent, name, AT_REMOVEDIR) < 0)
        r = -errno;
    return r;
}

/* Open the parent of path (which must exist), and name its last part. */
static int open_parent(const char *path, char **ret_name)
{
    _cleanup_free_ char *copy = strdup(path), *copy2 = strdup(path);
    if (!copy || !copy2)
        return -ENOMEM;
    char *name = strdup(basename(copy2));
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !name) {
        free(name);
        safe_close(fd);
        return fd < 0 ? -errno : -ENOMEM;
    }
    *ret_name = name;
    return fd;
}

int chroot_remove(libdmr_ctx *ctx, const char *path)
{
    _cleanup_free_ char *name = NULL;
    _cleanup_close_ int parent = open_parent(path, &name);
    if (parent < 0)
        return parent == -ENOENT ? 0 : parent;
    struct stat st;
    if (fstat(parent, &st) < 0)
        return -errno;
    int r = rm_rf_at(parent, name, st.st_dev);
    if (r)
        LOGEV(ERROR, -r, "removing %s", path);
    return r;
}

int chroot_prepare(libdmr_ctx *ctx, uint32_t domid, const char *path, mode_t mode)
{
    _cleanup_free_ char *name = NULL;
    _cleanup_close_ int parent = open_parent(path, &name);
    if (parent < 0) {
        LOGEVD(ERROR, -parent, domid, "opening the parent of %s", path);
        return parent;
    }
    /* What is in its place now: a directory of ours is removed; a
     * symlink or anything else means someone else's doing: refuse. */
    _cleanup_close_ int old = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (old < 0 && errno != ENOENT) {
        LOGD(ERROR, domid, "%s exists and is a symlink or not a directory: refusing to use it",
             path);
        return -EEXIST;
    }
    if (old >= 0) {
        struct stat st;
        if (fstat(old, &st) < 0 || st.st_uid != 0) {
            LOGD(ERROR, domid, "%s exists and is not root's: refusing to use it", path);
            return -EEXIST;
        }
        old = safe_close(old);
        int r = rm_rf_at(parent, name, st.st_dev);
        if (r) {
            LOGEVD(ERROR, -r, domid, "removing the old %s", path);
            return r;
        }
    }
    if (mkdirat(parent, name, 0700) < 0) {
        LOGED(ERROR, domid, "creating %s", path);
        return -errno;
    }
    _cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != 0 || fchmod(fd, mode) < 0) {
        LOGED(ERROR, domid, "setting up %s", path);
        return errno ? -errno : -EIO;
    }
    return 0;
}
