/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI devices as sysfs shows them, under the sysroot (XL_DMR_SYSROOT, so
 * tests can describe hardware this machine lacks): each assigned device's
 * driver and IOMMU group, every member of that group with its driver and
 * whether it is a bridge, the VFIO device nodes, and what the host allows
 * for locked memory. Read-only; the planner judges.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "internal.h"

#define CAP_SYS_RESOURCE_BIT 24

/* rel ("/sys/...", "/dev/...") under the sysroot. */
static void sys_path(libdmr_ctx *ctx, char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s%s", strcmp(ctx->sysroot, "/") ? ctx->sysroot : "", rel);
}

/* The last component of a symlink's target ("vfio-pci", "12"), or NULL. */
static char *link_basename(const char *path)
{
    char target[4096];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    return strdup(basename(target));
}

static bool is_bridge(const char *dir)
{
    char path[4608], buf[32] = "";
    snprintf(path, sizeof(path), "%s/class", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    safe_close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return (strtoul(buf, NULL, 16) >> 16) == 0x06;
}

static char *driver_of(const char *dir)
{
    char path[4608];
    snprintf(path, sizeof(path), "%s/driver", dir);
    return link_basename(path);
}

static int group_members(libdmr_ctx *ctx, struct libdmr_pci_host *h)
{
    char dir[4096], rel[64];
    snprintf(rel, sizeof(rel), "/sys/kernel/iommu_groups/%u/devices", h->group);
    sys_path(ctx, dir, sizeof(dir), rel);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int r = 0;
    for (struct dirent *de; !r && (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        struct libdmr_pci_member *grown = realloc(h->members, (h->n_members + 1) * sizeof(*grown));
        if (!grown) {
            r = -ENOMEM;
            break;
        }
        h->members = grown;
        char member_dir[4400];
        snprintf(member_dir, sizeof(member_dir), "%s/%s", dir, de->d_name);
        struct libdmr_pci_member *m = &h->members[h->n_members++];
        *m = (struct libdmr_pci_member){ .bdf = strdup(de->d_name), .driver = driver_of(member_dir),
                                         .bridge = is_bridge(member_dir) };
        if (!m->bdf)
            r = -ENOMEM;
    }
    closedir(d);
    /* readdir's order is the file system's: sort, so plans are the same. */
    for (size_t i = 1; i < h->n_members; i++)
        for (size_t j = i; j > 0 && strcmp(h->members[j - 1].bdf, h->members[j].bdf) > 0; j--) {
            struct libdmr_pci_member t = h->members[j];
            h->members[j] = h->members[j - 1];
            h->members[j - 1] = t;
        }
    return r;
}

static bool char_node(const char *path, unsigned *major_r, unsigned *minor_r)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
        return false;
    *major_r = major(st.st_rdev);
    *minor_r = minor(st.st_rdev);
    return true;
}

/* The device's VFIO cdev node (vfio-dev/vfioN in sysfs), if /dev has it. */
static int vfio_cdev_of(libdmr_ctx *ctx, const char *dir, char **ret)
{
    char path[4608];
    snprintf(path, sizeof(path), "%s/vfio-dev", dir);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int r = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (strncmp(de->d_name, "vfio", 4))
            continue;
        char rel[300], node[4096];
        unsigned major, minor;
        snprintf(rel, sizeof(rel), "/dev/vfio/devices/%s", de->d_name);
        sys_path(ctx, node, sizeof(node), rel);
        if (char_node(node, &major, &minor) && !(*ret = strdup(node)))
            r = -ENOMEM;
        break;
    }
    closedir(d);
    return r;
}

static int pci_host_gather(libdmr_ctx *ctx, const struct libdmr_pci_dev *d, struct libdmr_pci_host *h)
{
    char bdf[16], rel[64], dir[4096], real[PATH_MAX];
    snprintf(bdf, sizeof(bdf), LIBDMR_BDF_FMT, LIBDMR_BDF_ARGS(d));
    if (!(h->bdf = strdup(bdf)))
        return -ENOMEM;
    snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s", bdf);
    sys_path(ctx, dir, sizeof(dir), rel);
    if (!realpath(dir, real))
        return 0;  /* absent: the planner says so */
    h->present = true;
    h->sysfs_dir = strdup(real);
    h->driver = driver_of(real);
    char link[PATH_MAX + 16];
    snprintf(link, sizeof(link), "%s/iommu_group", real);
    _cleanup_free_ char *group = link_basename(link);
    unsigned long g;
    if (!h->sysfs_dir || vfio_cdev_of(ctx, real, &h->vfio_cdev))
        return -ENOMEM;
    if (!group || parse_ulong_strict(group, 0, UINT32_MAX, &g))
        return 0;
    h->has_group = true;
    h->group = g;
    char node[4096];
    snprintf(rel, sizeof(rel), "/dev/vfio/%lu", g);
    sys_path(ctx, node, sizeof(node), rel);
    h->group_node = char_node(node, &h->group_major, &h->group_minor);
    return group_members(ctx, h);
}

static bool have_cap_sys_resource(void)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    safe_close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *cap = strstr(buf, "\nCapEff:");
    unsigned long long v;
    return cap && sscanf(cap, "\nCapEff: %llx", &v) == 1 && (v >> CAP_SYS_RESOURCE_BIT) & 1;
}

int facts_pci_gather(libdmr_ctx *ctx, const libdmr_config *config, libdmr_facts *facts)
{
    struct rlimit rl;
    facts->memlock_hard = getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_max != RLIM_INFINITY
                              ? rl.rlim_max : UINT64_MAX;
    facts->cap_sys_resource = have_cap_sys_resource();
    const char *standin = secure_getenv("XL_DMR_TEST_PCI_STANDIN");
    if (standin && *standin) {
        /* Only a device model name: it ends up in QEMU's -device. */
        for (const char *c = standin; *c; c++)
            if (!(*c >= 'a' && *c <= 'z') && !(*c >= '0' && *c <= '9') && *c != '-')
                return LIBDMR_ERROR_INVAL;
        if (!(facts->pci_standin = strdup(standin)))
            return LIBDMR_ERROR_NOMEM;
    }
    char node[4096];
    sys_path(ctx, node, sizeof(node), "/dev/vfio/vfio");
    facts->vfio_container = char_node(node, &facts->vfio_major, &facts->vfio_minor);
    unsigned major, minor;
    sys_path(ctx, node, sizeof(node), "/dev/iommu");
    if (char_node(node, &major, &minor) && !(facts->iommu_dev = strdup(node)))
        return LIBDMR_ERROR_NOMEM;
    if (!config->n_pci)
        return 0;
    facts->pci = calloc(config->n_pci, sizeof(*facts->pci));
    if (!facts->pci)
        return LIBDMR_ERROR_NOMEM;
    for (size_t i = 0; i < config->n_pci; i++, facts->n_pci++) {
        int r = pci_host_gather(ctx, &config->pci[i], &facts->pci[i]);
        if (r)
            return libdmr_error_from_errno(r);
    }
    return 0;
}

void facts_pci_clear(libdmr_facts *facts)
{
    for (size_t i = 0; i < facts->n_pci; i++) {
        struct libdmr_pci_host *h = &facts->pci[i];
        free(h->bdf);
        free(h->sysfs_dir);
        free(h->driver);
        free(h->vfio_cdev);
        for (size_t j = 0; j < h->n_members; j++) {
            free(h->members[j].bdf);
            free(h->members[j].driver);
        }
        free(h->members);
    }
    free(facts->pci);
    free(facts->pci_standin);
    free(facts->iommu_dev);
    facts->pci_standin = NULL;
    facts->iommu_dev = NULL;
    facts->pci = NULL;
    facts->n_pci = 0;
}
