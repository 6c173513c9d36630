/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The qemu backend: plain QEMU (qemu-system), started by the library
 * itself. Start makes the chroot, opens every planned resource as root
 * (each NIC's tap made on its bridge: net_tap.c), starts the per-domain
 * logger (with the guest's serial port and its console socket) and QEMU
 * with exactly those descriptors
 * (spawn.c), and waits for QMP; the guest stays paused (-S) until the
 * lifecycle has audited the DM and asks for cont. A start that fails
 * undoes what it made and reports a DM that died with its log's tail.
 * Nothing is decided here: everything follows the plan.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "backend.h"
#include "fdset.h"
#include "qmp.h"

#define QMP_START_TIMEOUT_MS 10000

/* What a start has made so far: exactly what its undo takes back. */
struct qemu_start {
    libdmr_ctx *ctx;
    const libdmr_plan *plan;
    struct libdmr_dm *dm;
    struct dm_state *s;
    int *fds;                  /* one per plan resource, -1 until opened */
    bool chroot_made, qmp_bound, qmp_events_bound, console_bound;
    int log_write;
    struct logger_console console;  /* the logger's: its serial end, the console socket */
};

/* A root-only listening socket at path (what: for messages); *bound once
 * the file exists. */
static int open_listener(struct qemu_start *st, const char *path, const char *what, bool *bound)
{
    libdmr_ctx *ctx = st->ctx;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* A stale socket of a domid that is free now is ours to replace. */
    if (fd < 0 || (unlink(path) < 0 && errno != ENOENT)) {
        LOGED(ERROR, st->plan->domid, "creating the %s socket %s", what, path);
        safe_close(fd);
        return -errno;
    }
    mode_t old = umask(0177);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    *bound = r == 0;  /* the file is there from now on, listening or not */
    if (r < 0 || listen(fd, 1) < 0) {
        LOGED(ERROR, st->plan->domid, "creating the %s socket %s", what, path);
        safe_close(fd);
        return -errno;
    }
    return fd;
}

/* The guest's serial port: a socketpair, QEMU's end returned, the other
 * kept for the logger with the console socket (res->path) it serves.
 * The audit knows QEMU's end by its inode. */
static int open_serial(struct qemu_start *st, const struct plan_resource *res)
{
    libdmr_ctx *ctx = st->ctx;
    int pair[2];
    struct stat sb;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
        LOGED(ERROR, st->plan->domid, "making the serial port's socketpair");
        return -errno;
    }
    st->console.serial = pair[1];
    int r = fstat(pair[0], &sb) < 0 ? -errno
          : strv_pushf(&st->s->resources, "socket:[%lu]", (unsigned long)sb.st_ino);
    if (!r) {
        st->console.listener = open_listener(st, res->path, "console", &st->console_bound);
        r = st->console.listener < 0 ? st->console.listener : 0;
    }
    if (r) {
        safe_close(pair[0]);
        return r;
    }
    return pair[0];
}

/* An image (a file or a block device), or with chardev a character
 * device (/dev/iommu, a VFIO cdev) read-write. */
static int open_file(struct qemu_start *st, const struct plan_resource *res, bool chardev)
{
    libdmr_ctx *ctx = st->ctx;
    int flags = chardev ? O_RDWR | O_NOFOLLOW : res->writable ? O_RDWR : O_RDONLY;
    int fd = open(res->path, flags | O_CLOEXEC | O_NOCTTY);
    struct stat st_;
    bool kind_ok = fd >= 0 && fstat(fd, &st_) == 0 &&
                   (chardev ? S_ISCHR(st_.st_mode) : S_ISREG(st_.st_mode) || S_ISBLK(st_.st_mode));
    if (!kind_ok) {
        LOGED(ERROR, st->plan->domid, "opening %s for %s", res->path, res->id);
        safe_close(fd);
        return -EIO;
    }
    return fd;
}

/* The planned tap whose resource is i. */
static int open_tap(struct qemu_start *st, size_t i)
{
    const libdmr_plan *p = st->plan;
    for (size_t t = 0; t < p->n_taps; t++)
        if (p->taps[t].resource == (int)i)
            return net_tap_create(st->ctx, p->domid, &p->taps[t]);
    return -EINVAL;
}

static int open_resources(struct qemu_start *st)
{
    for (size_t i = 0; i < st->plan->n_resources; i++) {
        const struct plan_resource *res = &st->plan->resources[i];
        st->fds[i] = res->kind == PLAN_RES_QMP_LISTEN
                       ? open_listener(st, res->path, "QMP", &st->qmp_bound)
                   : res->kind == PLAN_RES_QMP_EVENTS
                       ? open_listener(st, res->path, "QMP events", &st->qmp_events_bound)
                   : res->kind == PLAN_RES_SERIAL ? open_serial(st, res)
                   : res->kind == PLAN_RES_NVRAM
                       ? nvram_open(st->ctx, st->plan->domid, res->path, res->template_path)
                   : res->kind == PLAN_RES_TAP ? open_tap(st, i)
                   : open_file(st, res, res->kind == PLAN_RES_IOMMUFD ||
                                        res->kind == PLAN_RES_VFIO_DEVICE);
        if (st->fds[i] < 0)
            return st->fds[i];
    }
    return 0;
}

static void close_resources(struct qemu_start *st)
{
    for (size_t i = 0; st->fds && i < st->plan->n_resources; i++)
        st->fds[i] = safe_close(st->fds[i]);
    st->log_write = safe_close(st->log_write);
    st->console.serial = safe_close(st->console.serial);
    st->console.listener = safe_close(st->console.listener);
}

/* After a failed start: say why, with what QEMU said last. */
static void report_dm_death(struct qemu_start *st)
{
    libdmr_ctx *ctx = st->ctx;
    const libdmr_plan *p = st->plan;
    const struct libdmr_dm *dm = st->dm;
    if (dm->dm_pidfd >= 0 && !proc_held_exited(dm->dm_pidfd, 200))
        return;  /* still alive: the failure was reported where it happened */
    /* The logger ends when QEMU's output does: then the log is complete. */
    if (dm->logger_pidfd >= 0)
        proc_held_wait_exit(ctx, st->s->logger.pid, dm->logger_pidfd,
                            LOGGER_DRAIN_TIMEOUT_MS, false);
    _cleanup_free_ char *tail = NULL;
    if (log_tail(p->log_path, 600, &tail) == 0 && tail[0])
        LOGD(ERROR, p->domid, "the device model exited at start; its log (%s) ends: %s",
             p->log_path, tail);
    else
        LOGD(ERROR, p->domid, "the device model exited at start (log: %s)", p->log_path);
}

/* A start that failed takes back what it made, and returns once the DM
 * and its logger (held since their start) and its keeper (by its pid and
 * start time) are dead; the lifecycle kills by uid. */
static void start_undo(struct qemu_start *st)
{
    libdmr_ctx *ctx = st->ctx;
    const struct libdmr_dm *dm = st->dm;
    close_resources(st);
    if (dm->dm_pidfd >= 0)
        proc_held_wait_exit(ctx, st->s->dm.pid, dm->dm_pidfd, 0, true);
    if (st->s->keeper.pid > 0)
        proc_wait_exit(ctx, &st->s->keeper, KEEPER_END_TIMEOUT_MS, true);
    if (dm->logger_pidfd >= 0)
        proc_held_wait_exit(ctx, st->s->logger.pid, dm->logger_pidfd,
                            LOGGER_DRAIN_TIMEOUT_MS, true);
    if (st->qmp_bound)
        unlink(st->plan->resources[0].path);
    if (st->qmp_events_bound && st->plan->qmp_events_path)
        unlink(st->plan->qmp_events_path);
    if (st->console_bound)
        unlink(st->plan->console_path);
    if (st->chroot_made)
        chroot_remove(ctx, st->plan->chroot);
    /* Its taps went with the last descriptor (ours closed, QEMU dead). */
    for (size_t i = 0; i < st->plan->n_taps; i++)
        if (net_tap_exists(st->plan->taps[i].ifname))
            LOGD(ERROR, st->plan->domid, "tap %s survives the failed start: another process "
                 "holds it", st->plan->taps[i].ifname);
}

/* Before QEMU runs anything: its pid in the domain's record (so a destroy
 * after this create was killed finds it, whatever its user). */
static int dm_spawned(void *arg, const struct proc_ref *child)
{
    struct qemu_start *st = arg;
    st->s->dm = *child;
    return lifecycle_dm_started(st->dm);
}

/* {"protocol":"vnc","password":"..."} in buf: printable ASCII (the
 * setter checked), '"' and '\\' escaped. */
static int password_args(const char *secret, char *buf, size_t size)
{
    static const char head[] = "{\"protocol\":\"vnc\",\"password\":\"";
    size_t n = strlen(head);
    if (n >= size)
        return -ENOSPC;
    memcpy(buf, head, n);
    for (; *secret; secret++) {
        if (n + 4 >= size)
            return -ENOSPC;
        if (*secret == '"' || *secret == '\\')
            buf[n++] = '\\';
        buf[n++] = *secret;
    }
    memcpy(buf + n, "\"}", 3);
    return 0;
}

/* The VNC server QEMU bound at init: the port it took (with vncunused the
 * first it could bind of the plan's), narrowed in the state so that the
 * audit accepts exactly that listener; then its password, over QMP,
 * before the guest's first instruction. The secret is in no message. */
static int vnc_start(struct qemu_start *st, struct libdmr_qmp *q)
{
    libdmr_ctx *ctx = st->ctx;
    const struct plan_display *d = &st->plan->display;
    uint32_t domid = st->plan->domid;
    if (!d->vnc.listen)
        return 0;
    yajl_val info = NULL;
    int rc = qmp_execute(q, "query-vnc", NULL, QMP_OP_TIMEOUT_MS, &info);
    const char *path[] = { "service", NULL };
    yajl_val service = rc ? NULL : yajl_tree_get(info, path, yajl_t_string);
    unsigned long port = 0;
    if (!rc && (!service || parse_ulong_strict(YAJL_GET_STRING(service), d->vnc.port_min,
                                               d->vnc.port_max, &port))) {
        LOGD(ERROR, domid, "QEMU's VNC server is not on a planned port (%u-%u)",
             d->vnc.port_min, d->vnc.port_max);
        rc = LIBDMR_ERROR_QEMU_API;
    }
    yajl_tree_free(info);
    if (rc)
        return rc;
    st->s->vnc_port_min = st->s->vnc_port_max = port;
    bool v6 = strchr(d->vnc.listen, ':') != NULL;
    LOGD(NOTICE, domid, "vnc: listening on %s%s%s port %lu (display %lu)", v6 ? "[" : "",
         d->vnc.listen, v6 ? "]" : "", port, port - LIBDMR_VNC_PORT_BASE);
    if (!d->vnc_password)
        return 0;
    char args[256];
    rc = password_args(d->vnc_secret, args, sizeof(args)) ? LIBDMR_ERROR_INVAL
       : qmp_execute(q, "set_password", args, QMP_OP_TIMEOUT_MS, NULL);
    explicit_bzero(args, sizeof(args));
    if (rc)
        LOGD(ERROR, domid, "setting the VNC password over QMP failed");
    return rc;
}

static int start_steps(struct qemu_start *st, struct libdmr_qmp **ret_qmp)
{
    libdmr_ctx *ctx = st->ctx;
    const libdmr_plan *p = st->plan;
    int r = 0;
    if (p->chroot) {
        r = chroot_prepare(ctx, p->domid, p->chroot, p->chroot_mode);
        st->chroot_made = !r;
    }
    if (!r)
        r = open_resources(st);
    if (!r)
        r = logger_start(ctx, p->domid, p->log_path, p->console_path ? &st->console : NULL,
                         &st->log_write, &st->s->logger, &st->dm->logger_pidfd);
    struct spawn_go go = { dm_spawned, st };
    if (!r)
        r = spawn_dm(ctx, p, st->fds, st->log_write, &go, &st->s->dm, &st->dm->dm_pidfd,
                     &st->s->keeper);
    /* QEMU holds its own copies now (or failed to start). */
    close_resources(st);
    if (r == -ESRCH) {
        report_dm_death(st);
        return LIBDMR_ERROR_FAIL;  /* it died: not a missing thing */
    }
    if (r)
        return libdmr_error_from_errno(r);
    /* It answers qmp_capabilities from its main loop: chrooted and
     * deprivileged by then, ready for the audit. */
    int rc = qmp_connect(ctx, p->domid, p->resources[0].path, QMP_START_TIMEOUT_MS, ret_qmp);
    if (rc)
        report_dm_death(st);
    else
        rc = vnc_start(st, *ret_qmp);
    return rc;
}

static void qmp_free(void *q)
{
    qmp_close(q);
}

static int qemu_start(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    const libdmr_plan *p = dm->plan;
    struct qemu_start st = { .ctx = ctx, .plan = p, .dm = dm, .s = dm->s, .log_write = -1,
                             .console = { -1, -1 } };
    st.fds = malloc((p->n_resources + 1) * sizeof(*st.fds));
    if (!st.fds)
        return LIBDMR_ERROR_NOMEM;
    for (size_t i = 0; i < p->n_resources; i++)
        st.fds[i] = -1;
    struct libdmr_qmp *q = NULL;
    int rc = start_steps(&st, &q);
    if (rc)
        start_undo(&st);
    free(st.fds);
    /* The connection stays for the audit's query-fdsets and for cont. */
    dm->backend_data = q;
    dm->backend_data_free = qmp_free;
    return rc;
}

/* The domain's QMP: the one start left open, or a new connection (also
 * when an error, such as a failed cont, left the kept one out of step). */
static int dm_qmp(libdmr_ctx *ctx, libdmr_dm *dm, struct libdmr_qmp **ret)
{
    if (dm->backend_data && !qmp_usable(dm->backend_data))
        dm_drop_backend_data(dm);
    if (!dm->backend_data) {
        int rc = qmp_connect(ctx, dm->s->domid, dm->s->qmp_path, QMP_OP_TIMEOUT_MS, ret);
        if (rc)
            return rc;
        dm->backend_data = *ret;
        dm->backend_data_free = qmp_free;
    }
    *ret = dm->backend_data;
    return 0;
}

static int qemu_unpause(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    struct libdmr_qmp *q;
    int rc = dm_qmp(ctx, dm, &q);
    yajl_val status = NULL;
    /* One round trip: QEMU answers in order, so the status read is cont's result. */
    struct qmp_cmd cmds[] = {
        { .command = "cont" },
        { .command = "query-status", .ret = &status },
    };
    if (!rc)
        rc = qmp_execute_batch(q, cmds, ELEMENTSOF(cmds), -1, QMP_OP_TIMEOUT_MS);
    if (!rc) {
        const char *path[] = { "status", NULL };
        yajl_val value = yajl_tree_get(status, path, yajl_t_string);
        const char *state = value ? YAJL_GET_STRING(value) : NULL;
        if (!state || strcmp(state, "running")) {
            LOGD(ERROR, dm->s->domid, "the guest is %s, not running after cont",
                 state ? state : "in no state");
            rc = LIBDMR_ERROR_QEMU_API;
        }
    }
    yajl_tree_free(status);
    return rc;
}

/* quit (QEMU may close the connection instead of answering), on the
 * connection a start kept, else in one write on a new one; the lifecycle
 * then waits for it, and kills it if it does not go. */
static int qemu_stop(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    const struct dm_state *s = dm->s;
    int pidfd = dm_hold(dm);
    if (pidfd >= 0 && !proc_held_exited(pidfd, 0)) {
        if (qmp_usable(dm->backend_data)) {
            qmp_execute(dm->backend_data, "quit", NULL, QMP_OP_TIMEOUT_MS, NULL);
        } else {
            dm_drop_backend_data(dm);  /* QEMU serves one client at a time */
            if (s->qmp_path)
                qmp_quit(ctx, s->domid, s->qmp_path, QMP_OP_TIMEOUT_MS);
        }
    }
    dm_drop_backend_data(dm);
    if (s->qmp_path)
        unlink(s->qmp_path);
    /* A client still attached is served until the logger ends with QEMU. */
    if (s->console_path)
        unlink(s->console_path);
    if (s->qmp_events_path)
        unlink(s->qmp_events_path);
    return 0;
}

static int qemu_cdrom_change(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm, const char *vdev,
                             const char *path)
{
    struct libdmr_qmp *q;
    int rc = dm_qmp(ctx, dm, &q);
    if (!rc)
        rc = path ? cdrom_insert(ctx, q, dm->s->domid, vdev, path)
                  : cdrom_eject(ctx, q, dm->s->domid, vdev);
    return rc;
}

/* QEMU's own descriptors in its fdsets: the media it was handed. */
static int qemu_media(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    struct libdmr_qmp *q;
    if (dm_qmp(ctx, dm, &q)) {
        LOGD(WARN, dm->s->domid, "audit: QMP does not answer; its fdsets are not asked for");
        return LIBDMR_ERROR_QEMU_API;
    }
    return fdset_media(q, dm);
}

/* VFIO: the plan pci_hotplug.c made, carried out through QMP and the DM's namespace. */
static int qemu_pci_change(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm,
                           const libdmr_pci_addr *dev, unsigned vslot, bool add)
{
    /* Its own connections: the one a start left is closed by now. */
    dm_drop_backend_data(dm);
    if (add)
        return pci_attach_execute_qemu(ctx, dm->s, dm->pci_attach);
    /* A detach, or the undo of the attach that could not be recorded. */
    return dm->pci_detach ? pci_detach_execute(ctx, dm->s, dm->pci_detach)
                          : pci_attach_revert_qemu(ctx, dm->s, dm->pci_attach);
}

/* QMP: stop and cont; the ACPI power button; a reset, which -action
 * reboot=shutdown turns into a SHUTDOWN event the watcher acts on. */
static int qemu_control(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm, enum libdmr_control what)
{
    static const char *const commands[] = {
        [LIBDMR_CONTROL_PAUSE] = "stop", [LIBDMR_CONTROL_UNPAUSE] = "cont",
        [LIBDMR_CONTROL_SHUTDOWN] = "system_powerdown", [LIBDMR_CONTROL_REBOOT] = "system_reset" };
    struct libdmr_qmp *q;
    int rc = dm_qmp(ctx, dm, &q);
    return rc ? rc : qmp_execute(q, commands[what], NULL, QMP_OP_TIMEOUT_MS, NULL);
}

const libdmr_backend_ops backend_qemu_ops = {
    .size = sizeof(libdmr_backend_ops),
    .name = "xl-dmr",
    .start = qemu_start,
    .unpause = qemu_unpause,
    .stop = qemu_stop,
    .cdrom_change = qemu_cdrom_change,
    .pci_change = qemu_pci_change,
    .media = qemu_media,
    .control = qemu_control,
};
