/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pci-assignable-add/-remove/-list: hand a host device to the driver that
 * lets a guest have it (vfio-pci; xen-pciback on a Xen dom0), and give it
 * back. Done through sysfs under the sysroot: driver_override names the
 * new driver, unbind lets go of the old one, drivers_probe binds; the old
 * driver's name is kept in /run/xl-dmr/assignable/<bdf> for -remove.
 * Whatever fails half way is undone: no device is left half-assigned.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "launch.h"

#define ASSIGNABLE_DIR LIBDMR_RUN_DIR "/assignable"

static void sysfs(libdmr_ctx *ctx, char *buf, size_t size, const char *rel, const char *bdf)
{
    snprintf(buf, size, "%s/sys/bus/pci/%s%s%s", strcmp(ctx->sysroot, "/") ? ctx->sysroot : "",
             bdf ? "devices/" : "", bdf ? bdf : "", rel);
}

/* As `echo TEXT > PATH` does it: a sysfs attribute takes the whole write. */
static int write_file(const char *path, const char *text)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len)
        return -errno;
    return 0;
}

static char *driver_now(libdmr_ctx *ctx, const char *bdf)
{
    char path[4096], target[4096];
    sysfs(ctx, path, sizeof(path), "/driver", bdf);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    return strdup(basename(target));
}

/* The device's sysfs name, "0000:01:00.0". */
static int bdf_name(libdmr_ctx *ctx, const libdmr_pci_addr *dev, char *out, size_t size)
{
    if (dev->domain > 0xffff || dev->bus > 0xff || dev->dev > 0x1f || dev->func > 7) {
        LOG(ERROR, "pci " LIBDMR_BDF_FMT ": not a PCI address", LIBDMR_BDF_ARGS(dev));
        return LIBDMR_ERROR_INVAL;
    }
    snprintf(out, size, LIBDMR_BDF_FMT, LIBDMR_BDF_ARGS(dev));
    return 0;
}

/* Bind bdf through driver_override (driver NULL: clear it) and drivers_probe. */
static int rebind(libdmr_ctx *ctx, const char *bdf, const char *driver)
{
    char path[4096];
    _cleanup_free_ char *current = driver_now(ctx, bdf);
    sysfs(ctx, path, sizeof(path), "/driver_override", bdf);
    int r = write_file(path, driver ? driver : "\n");
    if (!r && current) {
        sysfs(ctx, path, sizeof(path), "/driver/unbind", bdf);
        r = write_file(path, bdf);
    }
    if (!r) {
        sysfs(ctx, path, sizeof(path), "drivers_probe", NULL);
        r = write_file(path, bdf);
    }
    return r;
}

static const char *assign_driver(void)
{
    /* On a Xen dom0 passthrough goes through xen-pciback. */
    return host_is_xen_dom0() ? "pciback" : "vfio-pci";
}

int libdmr_pci_assignable_add(libdmr_ctx *ctx, const libdmr_pci_addr *dev)
{
    char bdf[16], dir[4096];
    if (!ctx || !dev)
        return LIBDMR_ERROR_INVAL;
    int rc = bdf_name(ctx, dev, bdf, sizeof(bdf));
    if (rc)
        return rc;
    sysfs(ctx, dir, sizeof(dir), "", bdf);
    if (access(dir, F_OK) < 0) {
        LOG(ERROR, "pci %s: no such device", bdf);
        return LIBDMR_ERROR_NOTFOUND;
    }
    const char *want = assign_driver();
    _cleanup_free_ char *old = driver_now(ctx, bdf), *now = NULL;
    if (old && !strcmp(old, want))
        return 0;  /* already assignable */
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    int locked = run_lock(ctx, &lock);
    if (locked)
        return libdmr_error_from_errno(locked);
    if (mkdir(ASSIGNABLE_DIR, 0755) < 0 && errno != EEXIST) {
        LOGE(ERROR, "creating %s", ASSIGNABLE_DIR);
        return LIBDMR_ERROR_FAIL;
    }
    char record[256];
    snprintf(record, sizeof(record), ASSIGNABLE_DIR "/%s", bdf);
    _cleanup_close_ int fd = open(record, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || (old && write(fd, old, strlen(old)) != (ssize_t)strlen(old))) {
        LOGE(ERROR, "recording the driver of %s", bdf);
        rc = LIBDMR_ERROR_FAIL;
        goto undo;
    }
    int r = rebind(ctx, bdf, want);
    now = driver_now(ctx, bdf);
    if (!r && now && !strcmp(now, want))
        return 0;
    if (r)
        LOGEV(ERROR, -r, "pci %s: binding to %s", bdf, want);
    else
        LOG(ERROR, "pci %s: did not bind to %s (is its module loaded?); given back to %s",
            bdf, want, old ? old : "no driver");
    rc = LIBDMR_ERROR_FAIL;
undo:
    rebind(ctx, bdf, NULL);  /* clear the override: the old driver probes it again */
    unlink(record);
    rmdir(ASSIGNABLE_DIR);
    return rc;
}

int libdmr_pci_assignable_remove(libdmr_ctx *ctx, const libdmr_pci_addr *dev)
{
    char bdf[16], record[256], old[128] = "";
    if (!ctx || !dev)
        return LIBDMR_ERROR_INVAL;
    int rc = bdf_name(ctx, dev, bdf, sizeof(bdf));
    if (rc)
        return rc;
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    int locked = run_lock(ctx, &lock);
    if (locked)
        return libdmr_error_from_errno(locked);
    snprintf(record, sizeof(record), ASSIGNABLE_DIR "/%s", bdf);
    _cleanup_close_ int fd = open(record, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        LOG(ERROR, "pci %s was not made assignable by xl-dmr", bdf);
        run_dirs_release();
        return LIBDMR_ERROR_NOTFOUND;
    }
    ssize_t n = read(fd, old, sizeof(old) - 1);
    old[n > 0 ? n : 0] = '\0';
    int r = rebind(ctx, bdf, NULL);
    if (r) {
        LOGEV(ERROR, -r, "pci %s: giving it back to %s", bdf, old[0] ? old : "no driver");
        return LIBDMR_ERROR_FAIL;
    }
    unlink(record);
    rmdir(ASSIGNABLE_DIR);
    run_dirs_release();
    return 0;
}

int libdmr_pci_assignable_list(libdmr_ctx *ctx, char ***ret_bdfs, size_t *ret_n)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/sys/bus/pci/drivers/%s",
             strcmp(ctx->sysroot, "/") ? ctx->sysroot : "", assign_driver());
    struct strv list = { 0 };
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        unsigned a, b, c, e;
        char end;
        if (sscanf(de->d_name, "%x:%x:%x.%x%c", &a, &b, &c, &e, &end) == 4 &&
            strv_push(&list, de->d_name)) {
            closedir(d);
            strv_clear(&list);
            return LIBDMR_ERROR_NOMEM;
        }
    }
    if (d)
        closedir(d);
    for (size_t i = 1; i < list.n; i++)
        for (size_t j = i; j > 0 && strcmp(list.v[j - 1], list.v[j]) > 0; j--) {
            char *t = list.v[j];
            list.v[j] = list.v[j - 1];
            list.v[j - 1] = t;
        }
    *ret_bdfs = list.v;
    *ret_n = list.n;
    return 0;
}
