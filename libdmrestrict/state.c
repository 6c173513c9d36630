/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-domain state: /run/xl-dmr/domains/<domid>.json, replaced whole
 * (write, rename; not fsynced: /run does not outlive a boot) with what
 * destroy and list need, the whole plan beside it (<domid>.plan.json);
 * and the host-wide lock, which is /run/xl-dmr itself.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "json.h"
#include "launch.h"

#define STATE_MAX (1u << 20)

static bool dir_private(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
           !(st.st_mode & 022);
}

/* /run/xl-dmr, made if missing (*made), opened; -ENOENT when the last
 * lock holder removed it in between. */
static int run_dir_open(libdmr_ctx *ctx, bool *made)
{
    *made = mkdir(LIBDMR_RUN_DIR, 0755) == 0;
    if (!*made && errno != EEXIST) {
        LOGE(ERROR, "creating %s", LIBDMR_RUN_DIR);
        return -errno;
    }
    int fd = open(LIBDMR_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return -ENOENT;
    if (fd < 0 && errno != ELOOP && errno != ENOTDIR) {
        LOGE(ERROR, "opening %s", LIBDMR_RUN_DIR);
        return -errno;
    }
    if (fd < 0 || !dir_private(fd)) {
        LOG(ERROR, "%s is not a directory private to root", LIBDMR_RUN_DIR);
        safe_close(fd);
        return -EPERM;
    }
    return fd;
}

/* Take back a run directory this call made but could not lock: removed
 * under the lock, as always (others may be on their way into it). */
static void run_dir_unmake(void)
{
    _cleanup_close_ int fd = open(LIBDMR_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0)
        run_dirs_release();
}

/* Under the lock: the state directory in the run directory held. */
static int state_dir_ensure(libdmr_ctx *ctx, int run_fd)
{
    const char *name = LIBDMR_STATE_DIR + sizeof(LIBDMR_RUN_DIR);
    if (mkdirat(run_fd, name, 0755) < 0 && errno != EEXIST) {
        LOGE(ERROR, "creating %s", LIBDMR_STATE_DIR);
        return -errno;
    }
    _cleanup_close_ int fd = openat(run_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || !dir_private(fd)) {
        LOG(ERROR, "%s is not a directory private to root", LIBDMR_STATE_DIR);
        return -EPERM;
    }
    return 0;
}

/*
 * The lock is the run directory itself, so no lock file outlives the last
 * domain. Directories are removed only under the lock (run_unlock), so
 * the walk down is: make and open the run directory, lock it, and check
 * it is still linked (else it was removed while we waited: make it anew);
 * only then is anything made inside it.
 */
static int lock_run_dir(libdmr_ctx *ctx)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        bool made;
        int fd = run_dir_open(ctx, &made);
        if (fd == -ENOENT)
            continue;
        if (fd < 0) {
            if (made)
                run_dir_unmake();
            return fd;
        }
        int r;
        while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
            ;
        struct stat held;
        if (r < 0 || fstat(fd, &held) < 0) {
            LOGE(ERROR, "locking %s", LIBDMR_RUN_DIR);
            safe_close(fd);
            if (made)
                run_dir_unmake();
            return -EIO;
        }
        if (held.st_nlink == 0) {
            safe_close(fd);
            continue;
        }
        r = state_dir_ensure(ctx, fd);
        if (r) {
            run_dirs_release();
            safe_close(fd);
            return r;
        }
        return fd;
    }
    LOG(ERROR, "%s keeps disappearing", LIBDMR_RUN_DIR);
    return -EAGAIN;
}

int run_lock(libdmr_ctx *ctx, struct held_lock *ret)
{
    *ret = (struct held_lock){ .ctx = ctx, .fd = -EBADF };
    /* A flock is the open file's: a second open by this process would
     * wait for itself forever. */
    if (ctx->holds_lock) {
        LOG(ERROR, "the host-wide lock is already held by this context: a call that "
            "takes it was made from inside one that holds it (a backend's operation?)");
        return -EDEADLK;
    }
    int fd = lock_run_dir(ctx);
    if (fd < 0)
        return fd;
    ret->fd = fd;
    ctx->holds_lock = true;
    return 0;
}

int run_relock(struct held_lock *l)
{
    if (l->fd >= 0)
        return 0;
    struct held_lock again;
    int r = run_lock(l->ctx, &again);
    if (!r)
        *l = again;
    return r;
}

void run_unlock(struct held_lock *l)
{
    if (l->fd < 0)
        return;
    /* Nothing outlives the last domain: whatever the call did or failed
     * to do, empty run directories go (others' records keep them). */
    run_dirs_release();
    l->fd = safe_close(l->fd);
    l->ctx->holds_lock = false;
}

void run_dirs_release(void)
{
    /* Only empty directories go; a live domain, or a device made
     * assignable (its record in assignable/), keeps them. */
    if (rmdir(LIBDMR_STATE_DIR) == 0 || errno == ENOENT)
        rmdir(LIBDMR_RUN_DIR);
}

static void state_path(uint32_t domid, char *buf, size_t size, const char *suffix)
{
    snprintf(buf, size, "%u.json%s", domid, suffix);
}

static void pci_gen(yajl_gen g, const struct dm_pci *pci)
{
    yajl_gen_map_open(g);
    json_kstr(g, "machine", plan_machine_name(pci->machine));
    json_kbool(g, "restricted", pci->restricted);
    json_kbool(g, "guest_unplug", pci->guest_unplug);
    json_kbool(g, "root_bus_hotplug_off", pci->root_bus_hotplug_off);
    json_kbool(g, "vfio_container", pci->vfio_container);
    json_kbool(g, "qemu_iommufd", pci->qemu_iommufd);
    json_kbool(g, "iommufd_object", pci->iommufd_object);
    json_kint(g, "memlock", pci->memlock == UINT64_MAX ? -1 : (long long)pci->memlock);
    json_key(g, "ports");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < pci->ports.n; i++)
        json_str(g, pci->ports.v[i]);
    yajl_gen_array_close(g);
    json_key(g, "devices");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < pci->n_devs; i++) {
        const struct dm_pci_dev *d = &pci->devs[i];
        yajl_gen_map_open(g);
        json_kstr(g, "bdf", d->bdf);
        json_kstr(g, "id", d->id);
        json_kstr(g, "port", d->port);
        json_kbool(g, "guest_unplug", d->guest_unplug);
        json_kbool(g, "hotplugged", d->hotplugged);
        json_key(g, "group");
        if (d->has_group)
            yajl_gen_integer(g, d->group);
        else
            yajl_gen_null(g);
        json_kstr(g, "standin", d->standin);
        json_kbool(g, "iommufd", d->iommufd);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}

int state_expect_from_plan(struct dm_state *s, const libdmr_plan *p)
{
    s->expect_known = true;
    s->restricted = p->restricted;
    s->sandbox = p->sandbox != NULL;
    s->chroot_tmpfs = p->chroot_contents.n && p->chroot_contents.v[0].kind == PLAN_CHROOT_TMPFS;
    s->n_rlimits = 0;
    for (size_t i = 0; i < p->n_rlimits && i < ELEMENTSOF(s->rlimits); i++)
        s->rlimits[s->n_rlimits++] = (struct plan_rlimit){
            .resource = p->rlimits[i].resource, .value = p->rlimits[i].value };
    s->xen_interfaces = p->audit_xen_interfaces;
    s->serial_pty = p->serial_pty;
    /* What the DM makes itself (qemu-xen's taps, the qemu backend's taps
     * by name, either's VNC socket): the address borrowed, as state_for
     * borrows the plan's strings. The qemu backend narrows the ports to
     * the one QEMU took (query-vnc). */
    s->taps = p->backend == LIBDMR_BACKEND_QEMU ? p->n_taps : p->libxl.n_nics;
    for (size_t i = 0; i < p->n_taps; i++)
        if (strv_push(&s->tap_names, p->taps[i].ifname))
            return -ENOMEM;
    const struct plan_vnc *vnc = plan_vnc_of(p);
    s->vnc_address = vnc ? vnc->listen : NULL;
    s->vnc_port_min = vnc ? vnc->port_min : 0;
    s->vnc_port_max = vnc ? vnc->port_max : 0;
    /* Not a tap (/dev/net/tun: counted, taps, not a path any number may
     * hold), nor the serial's path: that is the logger's console socket,
     * which QEMU never holds; its socketpair end is added at start, by inode. */
    for (size_t i = 0; i < p->n_resources; i++)
        if (p->resources[i].kind != PLAN_RES_QMP_LISTEN && p->resources[i].kind != PLAN_RES_TAP &&
            p->resources[i].kind != PLAN_RES_SERIAL &&
            strv_push(&s->resources, p->resources[i].path))
            return -ENOMEM;
    for (size_t i = 0; i < p->audit_files.n; i++)
        if (strv_push(&s->resources, p->audit_files.v[i]))
            return -ENOMEM;
    return 0;
}

static void expect_gen(yajl_gen g, const struct dm_state *s)
{
    json_key(g, "audit");
    yajl_gen_map_open(g);
    json_kbool(g, "restricted", s->restricted);
    json_kbool(g, "sandbox", s->sandbox);
    json_kbool(g, "chroot_tmpfs", s->chroot_tmpfs);
    json_kbool(g, "xen_interfaces", s->xen_interfaces);
    json_kbool(g, "serial_pty", s->serial_pty);
    json_kint(g, "taps", (long long)s->taps);
    json_key(g, "tap_names");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < s->tap_names.n; i++)
        json_str(g, s->tap_names.v[i]);
    yajl_gen_array_close(g);
    json_key(g, "vnc");
    if (s->vnc_address) {
        yajl_gen_map_open(g);
        json_kstr(g, "address", s->vnc_address);
        json_key(g, "ports");
        yajl_gen_array_open(g);
        yajl_gen_integer(g, s->vnc_port_min);
        yajl_gen_integer(g, s->vnc_port_max);
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    } else {
        yajl_gen_null(g);
    }
    json_key(g, "rlimits");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < s->n_rlimits; i++) {
        yajl_gen_array_open(g);
        yajl_gen_integer(g, s->rlimits[i].resource);
        yajl_gen_integer(g, s->rlimits[i].value == UINT64_MAX ? -1 : (long long)s->rlimits[i].value);
        yajl_gen_array_close(g);
    }
    yajl_gen_array_close(g);
    json_key(g, "resources");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < s->resources.n; i++)
        json_str(g, s->resources.v[i]);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}

/* name in the state directory, replaced whole: write, rename. */
static int write_atomic(libdmr_ctx *ctx, uint32_t domid, const char *name, const char *text)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int fd = dirfd < 0 ? -1 :
        openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    size_t len = strlen(text);
    /* No fsync: /run does not outlive a boot, and the rename alone shows
     * readers a whole file, the old or the new. */
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || renameat(dirfd, tmp, dirfd, name) < 0) {
        LOGED(ERROR, domid, "writing the state file %s/%s", LIBDMR_STATE_DIR, name);
        if (dirfd >= 0)
            unlinkat(dirfd, tmp, 0);
        return -EIO;
    }
    return 0;
}

/* What G generated (G is freed), as <domid>SUFFIX, replaced whole. */
static int json_write_atomic(libdmr_ctx *ctx, uint32_t domid, const char *suffix, yajl_gen g)
{
    _cleanup_free_ char *text = NULL;
    if (json_finish(g, &text))
        return -ENOMEM;
    char name[32];
    snprintf(name, sizeof(name), "%u%s", domid, suffix);
    return write_atomic(ctx, domid, name, text);
}

/*
 * The plan is a file of its own beside the record (only `list -l` reads
 * it): every create and destroy reads every record, and parsing each
 * domain's whole plan there was the largest part of a create with 64
 * domains running (docs/benchmarks.md).
 */
static int plan_write(libdmr_ctx *ctx, uint32_t domid, const libdmr_plan *plan)
{
    yajl_gen g = json_begin();
    if (!g)
        return -ENOMEM;
    plan_json_gen(g, plan);
    return json_write_atomic(ctx, domid, ".plan.json", g);
}

static void record_remove(uint32_t domid)
{
    char name[32];
    state_path(domid, name, sizeof(name), "");
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd >= 0)
        unlinkat(dirfd, name, 0);
}

int state_write(libdmr_ctx *ctx, const struct dm_state *s, const libdmr_plan *plan)
{
    yajl_gen g = json_begin();
    if (!g)
        return -ENOMEM;
    yajl_gen_map_open(g);
    json_kint(g, "domid", s->domid);
    json_kstr(g, "backend", plan_backend_name(s->backend));
    json_kbool(g, "foreign", s->foreign);
    json_kstr(g, "name", s->name);
    json_kint(g, "memory", s->memory_mb);
    json_kint(g, "vcpus", s->vcpus);
    json_kint(g, "dm_pid", s->dm.pid);
    json_kint(g, "dm_start", (long long)s->dm.start);
    json_kint(g, "logger_pid", s->logger.pid);
    json_kint(g, "logger_start", (long long)s->logger.start);
    json_kint(g, "watcher_pid", s->watcher.pid);
    json_kint(g, "watcher_start", (long long)s->watcher.start);
    json_kint(g, "keeper_pid", s->keeper.pid);
    json_kint(g, "keeper_start", (long long)s->keeper.start);
    json_kstr(g, "qmp", s->qmp_path);
    json_kstr(g, "console", s->console_path);
    json_kstr(g, "qmp_events", s->qmp_events_path);
    json_kstr(g, "chroot", s->chroot);
    json_kstr(g, "log", s->log_path);
    json_kint(g, "dm_uid", s->dm_uid);
    json_kint(g, "dm_gid", s->dm_gid);
    json_kstr(g, "dm_user", s->dm_user);
    json_kstr(g, "source", s->source);
    json_kbool(g, "kill_by_uid", s->kill_by_uid);
    json_kbool(g, "uid_counted", s->uid_counted);
    json_kbool(g, "starting", s->starting);
    json_kint(g, "creator_pid", s->creator.pid);
    json_kint(g, "creator_start", (long long)s->creator.start);
    json_key(g, "reaper_uid");
    if (s->has_reaper)
        yajl_gen_integer(g, s->reaper_uid);
    else
        yajl_gen_null(g);
    json_key(g, "pci");
    pci_gen(g, &s->pci);
    expect_gen(g, s);
    yajl_gen_map_close(g);
    /* The record first, then its plan: a plan file is never without its
     * record (the record is the domain; destroy removes the plan before
     * it), so nothing that died in between leaves a file no destroy
     * finds. Given a plan, this is the record's first write: a plan that
     * could not be written takes the new record back. */
    int r = json_write_atomic(ctx, s->domid, ".json", g);
    if (!r && plan && (r = plan_write(ctx, s->domid, plan)))
        record_remove(s->domid);
    return r;
}

int state_pci_write(libdmr_ctx *ctx, uint32_t domid, const struct dm_pci *pci)
{
    yajl_gen g = json_begin();
    if (!g)
        return -ENOMEM;
    pci_gen(g, pci);
    return json_write_atomic(ctx, domid, ".pci.json", g);
}

/* <domid>.run: what the guest is now when not running ('p', 's', 'c'),
 * one byte; none while it runs. Replaced whole, like the state. */
int state_run_write(libdmr_ctx *ctx, uint32_t domid, char run)
{
    char name[32];
    snprintf(name, sizeof(name), "%u.run", domid);
    if (!run) {
        _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dirfd < 0 || (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT))
            return -errno;
        return 0;
    }
    char text[2] = { run, '\0' };
    return write_atomic(ctx, domid, name, text);
}

static char state_run_read(uint32_t domid)
{
    char name[32], c = 0;
    snprintf(name, sizeof(name), "%u.run", domid);
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int fd = dirfd < 0 ? -EBADF : openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || read(fd, &c, 1) != 1)
        return 0;
    return c == 'p' || c == 's' || c == 'c' ? c : 0;
}

static char *get_str(yajl_val root, const char *key)
{
    const char *path[] = { key, NULL };
    yajl_val v = yajl_tree_get(root, path, yajl_t_string);
    const char *str = v ? YAJL_GET_STRING(v) : NULL;
    return str ? strdup(str) : NULL;
}

static long long get_int(yajl_val root, const char *key, bool *ok)
{
    const char *path[] = { key, NULL };
    yajl_val v = yajl_tree_get(root, path, yajl_t_number);
    if (!v || !YAJL_IS_INTEGER(v)) {
        *ok = false;
        return 0;
    }
    return YAJL_GET_INTEGER(v);
}

static bool get_bool(yajl_val root, const char *key)
{
    const char *path[] = { key, NULL };
    return YAJL_IS_TRUE(yajl_tree_get(root, path, yajl_t_true));
}

static int pci_dev_parse(yajl_val v, struct dm_pci *pci)
{
    if (!YAJL_IS_OBJECT(v))
        return -EINVAL;
    bool has_group = true;
    long long group = get_int(v, "group", &has_group);
    _cleanup_free_ char *bdf = get_str(v, "bdf"), *id = get_str(v, "id");
    _cleanup_free_ char *port = get_str(v, "port"), *standin = get_str(v, "standin");
    if (!bdf || !id || group < 0 || group > UINT32_MAX)
        return -EINVAL;
    return dm_pci_add(pci, &(struct dm_pci_dev){
        .bdf = bdf, .id = id, .port = port, .standin = standin,
        .guest_unplug = get_bool(v, "guest_unplug"), .hotplugged = get_bool(v, "hotplugged"),
        .has_group = has_group, .group = group, .iommufd = get_bool(v, "iommufd") });
}

static int pci_parse(yajl_val v, struct dm_pci *ret)
{
    if (!YAJL_IS_OBJECT(v))
        return -EINVAL;
    struct dm_pci pci = { .restricted = get_bool(v, "restricted"),
                          .guest_unplug = get_bool(v, "guest_unplug"),
                          .root_bus_hotplug_off = get_bool(v, "root_bus_hotplug_off"),
                          .vfio_container = get_bool(v, "vfio_container"),
                          .qemu_iommufd = get_bool(v, "qemu_iommufd"),
                          .iommufd_object = get_bool(v, "iommufd_object") };
    _cleanup_free_ char *machine = get_str(v, "machine");
    bool ok = true;
    long long memlock = get_int(v, "memlock", &ok);
    pci.memlock = memlock < 0 ? UINT64_MAX : (uint64_t)memlock;
    pci.machine = machine && !strcmp(machine, plan_machine_name(LIBDMR_MACHINE_PC))
                      ? LIBDMR_MACHINE_PC : LIBDMR_MACHINE_Q35;
    const char *ports_path[] = { "ports", NULL }, *devs_path[] = { "devices", NULL };
    yajl_val ports = yajl_tree_get(v, ports_path, yajl_t_array);
    yajl_val devs = yajl_tree_get(v, devs_path, yajl_t_array);
    int r = ok && machine && ports && devs ? 0 : -EINVAL;
    for (size_t i = 0; !r && i < YAJL_GET_ARRAY(ports)->len; i++) {
        const char *port = YAJL_GET_STRING(YAJL_GET_ARRAY(ports)->values[i]);
        r = port ? strv_push(&pci.ports, port) : -EINVAL;
    }
    for (size_t i = 0; !r && i < YAJL_GET_ARRAY(devs)->len; i++)
        r = pci_dev_parse(YAJL_GET_ARRAY(devs)->values[i], &pci);
    if (r) {
        dm_pci_clear(&pci);
        return r;
    }
    *ret = pci;
    return 0;
}

#define TAPS_MAX 4096

/* A TCP port range [min, max] as the state writes it. */
static int ports_parse(yajl_val v, unsigned *ret_min, unsigned *ret_max)
{
    const char *path[] = { "ports", NULL };
    yajl_val ports = yajl_tree_get(v, path, yajl_t_array);
    if (!ports || YAJL_GET_ARRAY(ports)->len != 2 ||
        !YAJL_IS_INTEGER(YAJL_GET_ARRAY(ports)->values[0]) ||
        !YAJL_IS_INTEGER(YAJL_GET_ARRAY(ports)->values[1]))
        return -EINVAL;
    long long min = YAJL_GET_INTEGER(YAJL_GET_ARRAY(ports)->values[0]);
    long long max = YAJL_GET_INTEGER(YAJL_GET_ARRAY(ports)->values[1]);
    if (min < 1 || max > 65535 || min > max)
        return -EINVAL;
    *ret_min = min;
    *ret_max = max;
    return 0;
}

/* What qemu-xen makes itself: its taps and its VNC socket. Absent from an
 * older state file, made when a DM with either failed the audit at create. */
static int dm_devices_parse(yajl_val v, struct dm_state *s)
{
    const char *taps_path[] = { "taps", NULL }, *vnc_path[] = { "vnc", NULL };
    yajl_val taps = yajl_tree_get(v, taps_path, yajl_t_any);
    yajl_val vnc = yajl_tree_get(v, vnc_path, yajl_t_any);
    if (taps && (!YAJL_IS_INTEGER(taps) || YAJL_GET_INTEGER(taps) < 0 ||
                 YAJL_GET_INTEGER(taps) > TAPS_MAX))
        return -EINVAL;
    s->taps = taps ? (size_t)YAJL_GET_INTEGER(taps) : 0;
    /* qemu backend: the taps the toolstack made; absent from older files. */
    const char *names_path[] = { "tap_names", NULL };
    yajl_val names = yajl_tree_get(v, names_path, yajl_t_any);
    if (names && !YAJL_IS_ARRAY(names))
        return -EINVAL;
    for (size_t i = 0; names && i < YAJL_GET_ARRAY(names)->len; i++) {
        const char *name = YAJL_GET_STRING(YAJL_GET_ARRAY(names)->values[i]);
        if (!name || strlen(name) > 15 || strv_push(&s->tap_names, name))
            return -EINVAL;
    }
    if (!vnc || YAJL_IS_NULL(vnc))
        return 0;
    uint8_t addr[16];
    char *address = YAJL_IS_OBJECT(vnc) ? get_str(vnc, "address") : NULL;
    if (!address || inet_addr_mapped(address, addr) ||
        ports_parse(vnc, &s->vnc_port_min, &s->vnc_port_max)) {
        free(address);
        return -EINVAL;
    }
    s->vnc_address = address;
    return 0;
}

static int expect_parse(yajl_val v, struct dm_state *s)
{
    if (!YAJL_IS_OBJECT(v))
        return -EINVAL;
    s->restricted = get_bool(v, "restricted");
    s->sandbox = get_bool(v, "sandbox");
    s->chroot_tmpfs = get_bool(v, "chroot_tmpfs");
    /* An older state file's xen-backend DM is qemu-xen all the same. */
    const char *xi_path[] = { "xen_interfaces", NULL };
    s->xen_interfaces = yajl_tree_get(v, xi_path, yajl_t_any)
                            ? get_bool(v, "xen_interfaces") : s->backend == LIBDMR_BACKEND_XEN;
    /* Absent from an older state file, made when a DM with a pty of its own
     * failed the audit at create. */
    s->serial_pty = get_bool(v, "serial_pty");
    int r = dm_devices_parse(v, s);
    if (r)
        return r;
    const char *limits_path[] = { "rlimits", NULL }, *res_path[] = { "resources", NULL };
    yajl_val limits = yajl_tree_get(v, limits_path, yajl_t_array);
    yajl_val res = yajl_tree_get(v, res_path, yajl_t_array);
    if (!limits || !res)
        return -EINVAL;
    for (size_t i = 0; i < YAJL_GET_ARRAY(limits)->len && i < ELEMENTSOF(s->rlimits); i++) {
        yajl_val pair = YAJL_GET_ARRAY(limits)->values[i];
        if (!YAJL_IS_ARRAY(pair) || YAJL_GET_ARRAY(pair)->len != 2 ||
            !YAJL_IS_INTEGER(YAJL_GET_ARRAY(pair)->values[0]) ||
            !YAJL_IS_INTEGER(YAJL_GET_ARRAY(pair)->values[1]))
            return -EINVAL;
        long long value = YAJL_GET_INTEGER(YAJL_GET_ARRAY(pair)->values[1]);
        s->rlimits[s->n_rlimits++] = (struct plan_rlimit){
            .resource = YAJL_GET_INTEGER(YAJL_GET_ARRAY(pair)->values[0]),
            .value = value < 0 ? UINT64_MAX : (uint64_t)value };
    }
    for (size_t i = 0; i < YAJL_GET_ARRAY(res)->len; i++) {
        const char *path = YAJL_GET_STRING(YAJL_GET_ARRAY(res)->values[i]);
        if (!path || strv_push(&s->resources, path))
            return -EINVAL;
    }
    return 0;
}

static int state_parse(const char *text, struct dm_state *s)
{
    yajl_val root = yajl_tree_parse(text, NULL, 0);
    if (!root || !YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        return -EINVAL;
    }
    bool ok = true;
    s->domid = get_int(root, "domid", &ok);
    s->memory_mb = get_int(root, "memory", &ok);
    s->vcpus = get_int(root, "vcpus", &ok);
    s->dm.pid = get_int(root, "dm_pid", &ok);
    s->dm.start = get_int(root, "dm_start", &ok);
    s->logger.pid = get_int(root, "logger_pid", &ok);
    s->logger.start = get_int(root, "logger_start", &ok);
    s->dm_uid = get_int(root, "dm_uid", &ok);
    s->dm_gid = get_int(root, "dm_gid", &ok);
    bool has_reaper = true;
    s->reaper_uid = get_int(root, "reaper_uid", &has_reaper);
    s->has_reaper = has_reaper;
    const char *kpath[] = { "kill_by_uid", NULL };
    s->kill_by_uid = YAJL_IS_TRUE(yajl_tree_get(root, kpath, yajl_t_true));
    s->uid_counted = get_bool(root, "uid_counted");  /* older records: walk */
    s->starting = get_bool(root, "starting");
    bool has_creator = true;
    s->creator.pid = get_int(root, "creator_pid", &has_creator);
    s->creator.start = get_int(root, "creator_start", &has_creator);
    s->name = get_str(root, "name");
    s->foreign = get_bool(root, "foreign");
    /* Before the backend was the state's own, it was the PCI record's. */
    const char *pci_backend_path[] = { "pci", "backend", NULL };
    yajl_val old = yajl_tree_get(root, pci_backend_path, yajl_t_string);
    const char *old_backend = old ? YAJL_GET_STRING(old) : NULL;
    _cleanup_free_ char *backend = get_str(root, "backend");
    if (!backend && old_backend)
        backend = strdup(old_backend);
    s->backend = backend && !strcmp(backend, "xen")    ? LIBDMR_BACKEND_XEN
               : !backend || !strcmp(backend, "qemu") ? LIBDMR_BACKEND_QEMU
                                                      : LIBDMR_BACKEND_AUTO;
    s->qmp_path = get_str(root, "qmp");
    s->console_path = get_str(root, "console");   /* NULL: none, or an older file */
    s->qmp_events_path = get_str(root, "qmp_events");
    bool has_watcher = true;
    s->watcher.pid = get_int(root, "watcher_pid", &has_watcher);
    s->watcher.start = get_int(root, "watcher_start", &has_watcher);
    bool has_keeper = true;  /* older records have none: 0 */
    s->keeper.pid = get_int(root, "keeper_pid", &has_keeper);
    s->keeper.start = get_int(root, "keeper_start", &has_keeper);
    s->chroot = get_str(root, "chroot");
    s->log_path = get_str(root, "log");
    s->dm_user = get_str(root, "dm_user");
    s->source = get_str(root, "source");
    const char *pci_path[] = { "pci", NULL }, *audit_path[] = { "audit", NULL };
    /* A state file from before the PCI record or the audit existed is still
     * a domain: it can be listed and destroyed, not attached to or audited. */
    yajl_val pci = yajl_tree_get(root, pci_path, yajl_t_any);
    yajl_val expect = yajl_tree_get(root, audit_path, yajl_t_any);
    int r = pci ? pci_parse(pci, &s->pci) : 0;
    if (!r && expect)
        r = expect_parse(expect, s);
    s->expect_known = expect != NULL;
    yajl_tree_free(root);
    return !r && ok && s->name && s->qmp_path && s->log_path &&
           s->backend != LIBDMR_BACKEND_AUTO ? 0 : -EINVAL;
}

/* A root-owned regular file of the state directory, whole. */
static int read_text_at(int dirfd, const char *name, char **ret)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATE_MAX)
        return -EINVAL;
    char *text = malloc(st.st_size + 1);
    if (!text)
        return -ENOMEM;
    if (read(fd, text, st.st_size) != st.st_size) {
        free(text);
        return -EIO;
    }
    text[st.st_size] = '\0';
    *ret = text;
    return 0;
}

/* What pci-attach/-detach changed since create, when they changed anything. */
static int pci_read_at(int dirfd, uint32_t domid, struct dm_pci *pci)
{
    char name[32];
    snprintf(name, sizeof(name), "%u.pci.json", domid);
    _cleanup_free_ char *text = NULL;
    int r = read_text_at(dirfd, name, &text);
    if (r)
        return r == -ENOENT ? 0 : r;
    yajl_val root = yajl_tree_parse(text, NULL, 0);
    struct dm_pci changed;
    r = root ? pci_parse(root, &changed) : -EINVAL;
    yajl_tree_free(root);
    if (r)
        return r;
    dm_pci_clear(pci);
    *pci = changed;
    return 0;
}

static int state_read_at(int dirfd, const char *name, struct dm_state *ret)
{
    _cleanup_free_ char *text = NULL;
    int r = read_text_at(dirfd, name, &text);
    if (r)
        return r;
    struct dm_state s = { 0 };
    r = state_parse(text, &s);
    if (!r)
        r = pci_read_at(dirfd, s.domid, &s.pci);
    if (!r)
        s.run = state_run_read(s.domid);
    if (r) {
        state_clear(&s);
        return r;
    }
    *ret = s;
    return 0;
}

int state_read(libdmr_ctx *ctx, uint32_t domid, struct dm_state *ret)
{
    char name[32];
    state_path(domid, name, sizeof(name), "");
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int r = dirfd < 0 ? -ENOENT : state_read_at(dirfd, name, ret);
    if (r == -ENOENT)
        LOGD(ERROR, domid, "no such domain");
    else if (r)
        LOGEVD(ERROR, -r, domid, "reading the state file %s/%s", LIBDMR_STATE_DIR, name);
    return r;
}

int state_text_read(libdmr_ctx *ctx, uint32_t domid, char **ret_text)
{
    char name[32];
    state_path(domid, name, sizeof(name), "");
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int r = dirfd < 0 ? -ENOENT : read_text_at(dirfd, name, ret_text);
    if (r)
        LOGEVD(ERROR, -r, domid, "reading the state file %s/%s", LIBDMR_STATE_DIR, name);
    return r;
}

int state_plan_text_read(libdmr_ctx *ctx, uint32_t domid, char **ret_text)
{
    char name[32];
    snprintf(name, sizeof(name), "%u.plan.json", domid);
    *ret_text = NULL;
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int r = dirfd < 0 ? -ENOENT : read_text_at(dirfd, name, ret_text);
    if (r == -ENOENT)
        return 0;
    if (r)
        LOGEVD(ERROR, -r, domid, "reading the plan file %s/%s", LIBDMR_STATE_DIR, name);
    return r;
}

bool state_exists(uint32_t domid)
{
    char name[32];
    state_path(domid, name, sizeof(name), "");
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return dirfd >= 0 && faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int state_remove(libdmr_ctx *ctx, uint32_t domid)
{
    char name[32];
    state_path(domid, name, sizeof(name), "");
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    char pci_name[32], run_name[32], plan_name[32];
    snprintf(pci_name, sizeof(pci_name), "%u.pci.json", domid);
    snprintf(run_name, sizeof(run_name), "%u.run", domid);
    snprintf(plan_name, sizeof(plan_name), "%u.plan.json", domid);
    if (dirfd >= 0 && ((unlinkat(dirfd, run_name, 0) < 0 && errno != ENOENT) ||
                       (unlinkat(dirfd, plan_name, 0) < 0 && errno != ENOENT))) {
        LOGED(ERROR, domid, "removing the run state or plan file");
        return -errno;
    }
    /* The PCI record first: a state file alone is still a whole domain. */
    if (dirfd >= 0 && ((unlinkat(dirfd, pci_name, 0) < 0 && errno != ENOENT) ||
                       (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT))) {
        LOGED(ERROR, domid, "removing the state file");
        return -errno;
    }
    return 0;
}

/* "<domid>.json", a domain's state file: its domid; -EINVAL for other names. */
static int state_name_domid(const char *name, uint32_t *ret)
{
    char digits[16];
    unsigned long domid;
    size_t len = strlen(name);
    if (len < 6 || len - 5 >= sizeof(digits) || strcmp(name + len - 5, ".json"))
        return -EINVAL;
    snprintf(digits, sizeof(digits), "%.*s", (int)(len - 5), name);
    if (parse_ulong_strict(digits, LIBDMR_DOMID_MIN, LIBDMR_DOMID_MAX, &domid))
        return -EINVAL;
    *ret = domid;
    return 0;
}

int state_dir_scan(int (*each)(uint32_t domid, int dirfd, const char *name, void *arg),
                   void *arg)
{
    DIR *d = opendir(LIBDMR_STATE_DIR);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    int r = 0;
    for (struct dirent *de; !r && (de = readdir(d));) {
        uint32_t domid;
        if (!state_name_domid(de->d_name, &domid))
            r = each(domid, dirfd(d), de->d_name, arg);
    }
    closedir(d);
    return r;
}

struct state_list_acc {
    libdmr_ctx *ctx;
    struct dm_state *list;
    size_t n;
    char *skipped;         /* the first unreadable one, instead of a warning */
    size_t skipped_size;
};

static int state_list_add(uint32_t domid, int dirfd, const char *name, void *arg)
{
    struct state_list_acc *acc = arg;
    libdmr_ctx *ctx = acc->ctx;
    (void)domid;
    struct dm_state *grown = realloc(acc->list, (acc->n + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    acc->list = grown;
    int r = state_read_at(dirfd, name, &acc->list[acc->n]);
    if (!r)
        acc->n++;
    else if (r == -ENOENT)
        ;  /* removed since the directory was read: a destroy, not a fault */
    else if (!acc->skipped)
        LOG(WARN, "%s/%s: unreadable state file, skipped", LIBDMR_STATE_DIR, name);
    else if (!acc->skipped[0])
        snprintf(acc->skipped, acc->skipped_size, "%s/%s: %s", LIBDMR_STATE_DIR, name,
                 strerror(-r));
    return 0;
}

int state_list(libdmr_ctx *ctx, struct dm_state **ret, size_t *ret_n, char *skipped,
               size_t skipped_size)
{
    *ret = NULL;
    *ret_n = 0;
    struct state_list_acc acc = { .ctx = ctx, .skipped = skipped, .skipped_size = skipped_size };
    if (skipped)
        skipped[0] = '\0';
    int r = state_dir_scan(state_list_add, &acc);
    if (r) {
        state_list_free(acc.list, acc.n);
        return r;
    }
    *ret = acc.list;
    *ret_n = acc.n;
    return 0;
}

void state_clear(struct dm_state *s)
{
    free(s->name);
    free(s->qmp_path);
    free(s->console_path);
    free(s->qmp_events_path);
    free(s->chroot);
    free(s->log_path);
    free(s->dm_user);
    free(s->source);
    free(s->vnc_address);
    dm_pci_clear(&s->pci);
    strv_clear(&s->resources);
    strv_clear(&s->tap_names);
    memset(s, 0, sizeof(*s));
}

void state_list_free(struct dm_state *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        state_clear(&s[i]);
    free(s);
}
