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
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

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
        int r = errno ? -errno : -EIO;
        LOGEVD(ERROR, -r, domid, "setting up %s", path);
        /* Made by this call, empty: not left behind. */
        unlinkat(parent, name, AT_REMOVEDIR);
        return r;
    }
    return 0;
}

/* mkdir -p under root (a path inside the chroot), every level 0755. */
static int mkdir_under(const char *root, const char *path)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "%s%s", root, path);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -ENAMETOOLONG;
    for (char *s = buf + strlen(root) + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int populate_one(const char *root, const struct plan_chroot_entry *e)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s%s", root, strcmp(e->path, "/") ? e->path : "");
    switch (e->kind) {
    case PLAN_CHROOT_TMPFS: {
        char opts[64];
        snprintf(opts, sizeof(opts), "mode=%04o,size=1m,nr_inodes=256", e->mode);
        return mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NOEXEC, opts) < 0 ? -errno : 0;
    }
    case PLAN_CHROOT_CHARDEV: {
        /* A node of our own in the DM's tmpfs: owning it changes nothing of the host's. */
        _cleanup_free_ char *dir = strdup(e->path);
        if (!dir)
            return -ENOMEM;
        *strrchr(dir, '/') = '\0';
        int r = dir[0] ? mkdir_under(root, dir) : 0;
        if (r)
            return r;
        if (mknod(path, S_IFCHR | e->mode, makedev(e->major, e->minor)) < 0 ||
            chown(path, e->uid, e->gid) < 0 || chmod(path, e->mode) < 0)
            return -errno;
        return 0;
    }
    case PLAN_CHROOT_BIND_RO: {
        int r = mkdir_under(root, e->path);
        if (r)
            return r;
        if (mount(e->source, path, NULL, MS_BIND, NULL) < 0 ||
            mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV |
                                    MS_NOEXEC, NULL) < 0)
            return -errno;
        return 0;
    }
    }
    return -EINVAL;
}

int chroot_populate(const char *root, const struct plan_chroot *ch, const char **ret_failed)
{
    for (size_t i = 0; i < ch->n; i++) {
        int r = populate_one(root, &ch->v[i]);
        if (r) {
            *ret_failed = ch->v[i].path;
            return r;
        }
    }
    return 0;
}

/* The directories made for path go when nothing else is in them. */
static void rmdir_empty_parents(const char *root, char *path)
{
    size_t keep = strlen(root);
    for (char *slash = strrchr(path, '/'); slash && (size_t)(slash - path) > keep;
         slash = strrchr(path, '/')) {
        *slash = '\0';
        if (rmdir(path) < 0)
            return;
    }
}

int chroot_depopulate(const char *root, const struct plan_chroot *ch)
{
    int first = 0;
    /* Newest first: what an entry was made on goes after it. */
    for (size_t i = ch->n; i-- > 0;) {
        const struct plan_chroot_entry *e = &ch->v[i];
        char path[4096];
        snprintf(path, sizeof(path), "%s%s", root, e->path);
        int r = 0;
        if (e->kind == PLAN_CHROOT_CHARDEV)
            r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        else if (e->kind == PLAN_CHROOT_BIND_RO)
            r = umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT ? -errno
                : rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
        if (!r)
            rmdir_empty_parents(root, path);
        if (r && !first)
            first = r;
    }
    return first;
}

/*
 * Change a running DM's chroot from inside its private mount namespace
 * (setns on its pidfd, which cannot name another process): the tmpfs it
 * was given at start is only there. A child does it, so the caller's own
 * namespace never changes. Paths are safe to use there: the tmpfs and
 * every directory made in it are root's, so the DM can plant nothing.
 */
int chroot_change_in_dm(libdmr_ctx *ctx, uint32_t domid, int dm_pidfd, const char *root,
                        const struct plan_chroot *ch, bool undo)
{
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        safe_close(status_pipe[0]);
        safe_close(status_pipe[1]);
        return -e;
    }
    if (pid == 0) {
        struct { int err; int index; } result = { 0, -1 };
        const char *failed = NULL;
        if (setns(dm_pidfd, CLONE_NEWNS) < 0)
            result.err = errno;
        else if (undo)
            result.err = -chroot_depopulate(root, ch);
        else if ((result.err = -chroot_populate(root, ch, &failed)))
            for (size_t i = 0; i < ch->n; i++)
                if (ch->v[i].path == failed)
                    result.index = i;
        (void)!write(status_pipe[1], &result, sizeof(result));
        _exit(result.err ? 1 : 0);
    }
    safe_close(status_pipe[1]);
    struct { int err; int index; } result = { EPIPE, -1 };
    ssize_t n = read(status_pipe[0], &result, sizeof(result));
    safe_close(status_pipe[0]);
    int status;
    wait_child(pid, &status);  /* its answer came through the pipe */
    if (n != sizeof(result))
        result.err = ECHILD;
    if (result.err)
        LOGEVD(ERROR, result.err, domid, "%s the device model's chroot%s%s",
               undo ? "clearing up" : "filling", result.index >= 0 ? ": " : "",
               result.index >= 0 ? ch->v[result.index].path : "");
    return -result.err;
}
