/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pci-attach, pci-detach and pci-list on a running domain, either backend.
 * plan_pci_attach.c decides; this carries it out under the host-wide lock:
 * the domain's backend plugs the device in or out (pci_change), then the
 * record changes (or the device goes out again). The qemu backend's own
 * attach is here too, each step undone if a later one fails, so a device
 * is never left half attached: the DM's RLIMIT_MEMLOCK raised, the
 * group's node and the device's sysfs directory made in its chroot
 * (inside its own mount namespace), then device_add. Its detach is
 * device_del, then the guest's consent (DEVICE_DELETED), then the chroot
 * entries go. The xen backend's (libxl, a root DM only) is xl-dmr's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "backend.h"
#include "fdset.h"
#include "json.h"

#define PCI_DETACH_TIMEOUT_MS 10000

struct attach_done {
    bool memlock, chroot, device;
    bool iommu_named, object, cdev_named;   /* iommufd */
};

/* object-add's arguments: {"qom-type": TYPE, "id": ID, "fd": ID}, the fd
 * being the one getfd named ID. */
static int json_object_args(const char *type, const char *id, char **ret)
{
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    yajl_gen_map_open(g);
    json_kstr(g, "qom-type", type);
    json_kstr(g, "id", id);
    json_kstr(g, "fd", id);
    yajl_gen_map_close(g);
    return json_finish(g, ret);
}

/* device_add's arguments: vfio-pci, or in tests the stand-in model. */
static int device_add_args(const struct pci_attach_plan *ap, char **ret)
{
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    yajl_gen_map_open(g);
    if (ap->dev.standin) {
        json_kstr(g, "driver", ap->dev.standin);
        json_kstr(g, "romfile", "");  /* a chrooted QEMU cannot read ROM files */
    } else if (ap->dev.iommufd) {
        json_kstr(g, "driver", "vfio-pci");
        json_kstr(g, "iommufd", "iommufd0");
        json_kstr(g, "fd", ap->dev.id);  /* the name getfd gave the cdev */
    } else {
        json_kstr(g, "driver", "vfio-pci");
        json_kstr(g, "host", ap->dev.bdf);
    }
    json_kstr(g, "id", ap->dev.id);
    json_kstr(g, "bus", ap->on_root_bus ? "pci.0" : ap->dev.port);
    char addr[8];
    snprintf(addr, sizeof(addr), "0x%x", ap->root_slot);
    if (!ap->on_root_bus || ap->root_slot)
        json_kstr(g, "addr", addr);
    yajl_gen_map_close(g);
    return json_finish(g, ret);
}

/* {"KEY": "VALUE"}, the arguments of device_del, getfd, closefd, object-del. */
static int one_arg(const char *key, const char *value, char **ret)
{
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    yajl_gen_map_open(g);
    json_kstr(g, key, value);
    yajl_gen_map_close(g);
    return json_finish(g, ret);
}

static int id_args(const char *id, char **ret)
{
    return one_arg("id", id, ret);
}

/* Open a character device as root and give it to QEMU under a name (getfd),
 * for a property that takes a descriptor. */
static int send_named_fd(libdmr_ctx *ctx, uint32_t domid, libdmr_qmp *q, const char *path,
                         const char *name)
{
    _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
        LOGED(ERROR, domid, "opening %s", path);
        return LIBDMR_ERROR_FAIL;
    }
    _cleanup_free_ char *args = NULL;
    int rc = one_arg("fdname", name, &args);
    return rc ? rc : qmp_execute_fd(q, "getfd", args, fd, QMP_OP_TIMEOUT_MS, NULL);
}

/* Best effort, on the way back: a name QEMU may have consumed already. */
static void run_quietly(libdmr_qmp *q, const char *command, const char *key, const char *value)
{
    _cleanup_free_ char *args = NULL;
    if (!one_arg(key, value, &args))
        qmp_execute(q, command, args, QMP_OP_TIMEOUT_MS, NULL);
}

/* iommufd: /dev/iommu as the object iommufd0 the first time, then the cdev. */
static int iommufd_handover(libdmr_ctx *ctx, uint32_t domid, libdmr_qmp *q,
                            const struct pci_attach_plan *ap, struct attach_done *done)
{
    int rc = 0;
    if (ap->iommu_path) {
        _cleanup_free_ char *object = NULL;
        rc = send_named_fd(ctx, domid, q, ap->iommu_path, "iommufd0");
        done->iommu_named = !rc;
        if (!rc)
            rc = json_object_args("iommufd", "iommufd0", &object);
        if (!rc)
            rc = qmp_execute(q, "object-add", object, QMP_OP_TIMEOUT_MS, NULL);
        done->object = !rc;
    }
    if (!rc)
        rc = send_named_fd(ctx, domid, q, ap->cdev_path, ap->dev.id);
    done->cdev_named = !rc;
    return rc;
}

static int set_memlock(libdmr_ctx *ctx, const struct dm_state *s, uint64_t value)
{
    struct rlimit rl = { .rlim_cur = value, .rlim_max = value };
    if (prlimit(s->dm.pid, RLIMIT_MEMLOCK, &rl, NULL) < 0) {
        LOGED(ERROR, s->domid, "setting the device model's RLIMIT_MEMLOCK to %llu",
              (unsigned long long)value);
        return libdmr_error_from_errno(-errno);
    }
    return 0;
}

/* The record says it is attached (and the DM's new limit), or nothing changes. */
static int record_attached(libdmr_ctx *ctx, struct dm_state *s, const struct pci_attach_plan *ap)
{
    struct dm_pci old = s->pci;
    if (dm_pci_add(&s->pci, &ap->dev))
        return LIBDMR_ERROR_NOMEM;
    if (ap->memlock)
        s->pci.memlock = ap->memlock;
    if (ap->chroot.n)
        s->pci.vfio_container = true;
    if (ap->iommu_path)
        s->pci.iommufd_object = true;
    if (!state_pci_write(ctx, s->domid, &s->pci))
        return 0;
    dm_pci_drop(&s->pci, ap->dev.bdf);
    s->pci.memlock = old.memlock;
    s->pci.vfio_container = old.vfio_container;
    s->pci.iommufd_object = old.iommufd_object;
    return LIBDMR_ERROR_FAIL;
}


static void attach_undo(libdmr_ctx *ctx, struct dm_state *s, int pidfd, libdmr_qmp *q,
                        const struct pci_attach_plan *ap, const struct attach_done *done)
{
    if (done->device) {
        _cleanup_free_ char *del = NULL;
        /* The guest must still consent; say so if it may not. */
        if (id_args(ap->dev.id, &del) || qmp_execute(q, "device_del", del, QMP_OP_TIMEOUT_MS, NULL))
            LOGD(ERROR, s->domid, "pci %s: could not take %s out again; detach it by hand",
                 ap->dev.bdf, ap->dev.id);
    }
    if (done->cdev_named)
        run_quietly(q, "closefd", "fdname", ap->dev.id);
    if (done->object)
        run_quietly(q, "object-del", "id", "iommufd0");
    else if (done->iommu_named)
        run_quietly(q, "closefd", "fdname", "iommufd0");
    if (done->chroot)
        chroot_change_in_dm(ctx, s->domid, pidfd, s->chroot, &ap->chroot, true);
    if (done->memlock)
        set_memlock(ctx, s, s->pci.memlock);
}

int pci_attach_execute(libdmr_ctx *ctx, struct dm_state *s, int pidfd,
                       const struct pci_attach_plan *ap)
{
    struct attach_done done = { 0 };
    libdmr_qmp *q = NULL;
    _cleanup_free_ char *args = NULL;
    int rc = device_add_args(ap, &args);
    if (!rc && ap->memlock) {
        rc = set_memlock(ctx, s, ap->memlock);
        done.memlock = !rc;
    }
    if (!rc && ap->chroot.n) {
        rc = chroot_change_in_dm(ctx, s->domid, pidfd, s->chroot, &ap->chroot, false);
        done.chroot = true;  /* a failure half way leaves the first entries */
    }
    if (!rc)
        rc = libdmr_qmp_open(ctx, s->domid, &q);
    if (!rc && ap->dev.iommufd)
        rc = iommufd_handover(ctx, s->domid, q, ap, &done);
    if (!rc) {
        rc = qmp_execute(q, "device_add", args, QMP_OP_TIMEOUT_MS, NULL);
        done.device = !rc;
    }
    if (rc)
        attach_undo(ctx, s, pidfd, q, ap, &done);
    libdmr_qmp_close(q);
    return rc;
}

static int dm_pidfd(libdmr_ctx *ctx, const struct dm_state *s)
{
    int fd = proc_open(&s->dm);
    if (fd < 0)
        LOGD(ERROR, s->domid, "the device model (pid %d) is not running", (int)s->dm.pid);
    return fd;
}

/* Is a device with this id still in QEMU? (It may have left since.) */
static bool device_present(libdmr_qmp *q, const char *id)
{
    yajl_val list = NULL;
    if (qmp_execute(q, "qom-list", "{\"path\":\"/machine/peripheral\"}", QMP_OP_TIMEOUT_MS, &list))
        return true;  /* cannot tell: assume the worst */
    bool found = false;
    for (size_t i = 0; YAJL_IS_ARRAY(list) && i < YAJL_GET_ARRAY(list)->len; i++) {
        const char *path[] = { "name", NULL };
        yajl_val name = yajl_tree_get(YAJL_GET_ARRAY(list)->values[i], path, yajl_t_string);
        found |= json_str_eq(name, id);
    }
    yajl_tree_free(list);
    return found;
}

/* device_del, then the guest's consent; 0 once QEMU has let it go. */
static int unplug(libdmr_ctx *ctx, uint32_t domid, libdmr_qmp *q, const struct dm_pci_dev *dev)
{
    _cleanup_free_ char *args = NULL;
    int rc = id_args(dev->id, &args);
    if (!rc)
        rc = qmp_execute(q, "device_del", args, QMP_OP_TIMEOUT_MS, NULL);
    if (rc == LIBDMR_ERROR_FAIL && !device_present(q, dev->id))
        return 0;  /* the guest let it go after an earlier pci-detach timed out */
    if (!rc)
        rc = qmp_wait_event(q, "DEVICE_DELETED", dev->id, PCI_DETACH_TIMEOUT_MS);
    if (rc == LIBDMR_ERROR_TIMEDOUT)
        LOGD(ERROR, domid, "pci %s: the guest has not let it go in %d s, so it stays "
             "attached; QEMU removes it when the guest does (run pci-detach again then)",
             dev->bdf, PCI_DETACH_TIMEOUT_MS / 1000);
    return rc;
}

/* The qemu backend's detach: out of QEMU, then what its chroot held for it. */
int pci_detach_execute(libdmr_ctx *ctx, struct dm_state *s, const struct pci_detach_plan *dp)
{
    _cleanup_close_ int pidfd = dm_pidfd(ctx, s);
    int rc = pidfd < 0 ? LIBDMR_ERROR_NOTFOUND : 0;
    libdmr_qmp *q = NULL;
    if (!rc)
        rc = libdmr_qmp_open(ctx, s->domid, &q);
    if (!rc)
        rc = unplug(ctx, s->domid, q, dp->dev);
    libdmr_qmp_close(q);
    if (!rc && dp->chroot.n)
        chroot_change_in_dm(ctx, s->domid, pidfd, s->chroot, &dp->chroot, true);
    return rc;
}

int pci_attach_execute_qemu(libdmr_ctx *ctx, struct dm_state *s, const struct pci_attach_plan *ap)
{
    _cleanup_close_ int pidfd = dm_pidfd(ctx, s);
    return pidfd < 0 ? LIBDMR_ERROR_NOTFOUND : pci_attach_execute(ctx, s, pidfd, ap);
}

int pci_attach_revert_qemu(libdmr_ctx *ctx, struct dm_state *s, const struct pci_attach_plan *ap)
{
    _cleanup_close_ int pidfd = dm_pidfd(ctx, s);
    libdmr_qmp *q = NULL;
    if (pidfd < 0 || libdmr_qmp_open(ctx, s->domid, &q)) {
        LOGD(ERROR, s->domid, "pci %s: could not take %s out again; detach it by hand",
             ap->dev.bdf, ap->dev.id);
        return LIBDMR_ERROR_FAIL;
    }
    /* Everything the attach did, as its own undo would take it back. */
    struct attach_done all = {
        .memlock = ap->memlock != 0, .chroot = ap->chroot.n > 0, .device = true,
        .iommu_named = ap->iommu_path != NULL, .object = ap->iommu_path != NULL,
        .cdev_named = ap->dev.iommufd };
    attach_undo(ctx, s, pidfd, q, ap, &all);
    libdmr_qmp_close(q);
    return 0;
}

/* What plan_pci_attach says of dev on the running domain s. */
static int attach_plan_for(libdmr_ctx *ctx, const struct dm_state *s, const libdmr_pci_addr *dev,
                           int vslot, int guest_unplug, libdmr_facts *facts,
                           struct pci_attach_plan *ap)
{
    if (vslot == 0 || vslot < -1 || vslot > 31 || guest_unplug < -1 || guest_unplug > 1) {
        LOGD(ERROR, s->domid, "pci " LIBDMR_BDF_FMT ": vslot must be 1..31 (or -1) and "
             "guest_unplug 0 or 1 (or -1)", LIBDMR_BDF_ARGS(dev));
        return LIBDMR_ERROR_INVAL;
    }
    struct libdmr_pci_dev d = {
        .domain = dev->domain, .bus = dev->bus, .dev = dev->dev, .func = dev->func,
        .has_vslot = vslot > 0, .vslot = vslot > 0 ? (unsigned)vslot : 0,
        .guest_unplug = guest_unplug < 0 ? s->pci.guest_unplug : guest_unplug == 1 };
    libdmr_config one = { .pci = &d, .n_pci = 1 };
    struct pci_attach_request req = {
        .domid = s->domid, .backend = s->backend, .memory_mb = s->memory_mb,
        .dm_uid = s->dm_uid, .dm_gid = s->dm_gid, .dm_user = s->dm_user, .pci = &s->pci,
        .dev = d };
    int rc = facts_pci_gather(ctx, &one, facts);
    if (!rc)
        rc = plan_pci_attach(&req, facts, ap) ? LIBDMR_ERROR_NOMEM : 0;
    return rc;
}

static int backend_pci_change(const struct backend_slot *b, struct libdmr_dm *dm,
                              const libdmr_pci_addr *dev, unsigned vslot, bool add)
{
    libdmr_ctx *ctx = dm->ctx;
    if (!BACKEND_HAS(b, pci_change)) {
        LOGD(ERROR, dm->s->domid, "the %s backend cannot hot-plug PCI devices",
             plan_backend_name(dm->s->backend));
        return LIBDMR_ERROR_NI;
    }
    return b->ops->pci_change(b->opaque, ctx, dm, dev, vslot, add);
}

/* Under the lock: the record says what the DM has, before and after. */
static int attach_locked(libdmr_ctx *ctx, const struct backend_slot *b, struct dm_state *s,
                         const libdmr_pci_addr *dev, int vslot, int guest_unplug)
{
    libdmr_facts facts = { 0 };
    struct pci_attach_plan ap = { 0 };
    int rc = attach_plan_for(ctx, s, dev, vslot, guest_unplug, &facts, &ap);
    if (!rc)
        rc = verdict_log(ctx, s->domid, &ap.verdict);
    struct libdmr_dm dm;
    dm_init(&dm, ctx, NULL, s);
    dm.pci_attach = &ap;
    if (!rc)
        rc = backend_pci_change(b, &dm, dev, ap.root_slot, true);
    /* Attached: recorded, or taken out again (the backend is told which
     * attach to take back: dm.pci_attach, no pci_detach). */
    if (!rc && (rc = record_attached(ctx, s, &ap)))
        backend_pci_change(b, &dm, dev, ap.root_slot, false);
    dm_clear(&dm);
    pci_attach_plan_clear(&ap);
    facts_pci_clear(&facts);
    return rc;
}

static int detach_locked(libdmr_ctx *ctx, const struct backend_slot *b, struct dm_state *s,
                         const libdmr_pci_addr *dev)
{
    char bdf[16];
    snprintf(bdf, sizeof(bdf), LIBDMR_BDF_FMT, LIBDMR_BDF_ARGS(dev));
    struct pci_detach_plan dp;
    int rc = plan_pci_detach(&s->pci, bdf, &dp) ? LIBDMR_ERROR_NOMEM : 0;
    if (!rc)
        rc = verdict_log(ctx, s->domid, &dp.verdict);
    struct libdmr_dm dm;
    dm_init(&dm, ctx, NULL, s);
    dm.pci_detach = &dp;
    if (!rc)
        rc = backend_pci_change(b, &dm, dev, 0, false);
    /* Gone from the DM: then from the record. */
    if (!rc) {
        dm_pci_drop(&s->pci, bdf);
        rc = state_pci_write(ctx, s->domid, &s->pci) ? LIBDMR_ERROR_FAIL : 0;
    }
    dm_clear(&dm);
    pci_detach_plan_clear(&dp);
    return rc;
}

int libdmr_pci_attach(libdmr_ctx *ctx, uint32_t domid, const libdmr_pci_addr *dev,
                      int vslot, int guest_unplug)
{
    if (!ctx || !dev)
        return LIBDMR_ERROR_INVAL;
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    struct dm_state s;
    const struct backend_slot *b;
    int rc = lifecycle_lock_read(ctx, domid, &lock, &s, &b);
    if (rc)
        return rc;
    rc = attach_locked(ctx, b, &s, dev, vslot, guest_unplug);
    state_clear(&s);
    return rc;
}

int libdmr_pci_detach(libdmr_ctx *ctx, uint32_t domid, const libdmr_pci_addr *dev)
{
    if (!ctx || !dev)
        return LIBDMR_ERROR_INVAL;
    _cleanup_unlock_ struct held_lock lock = { ctx, -EBADF };
    struct dm_state s;
    const struct backend_slot *b;
    int rc = lifecycle_lock_read(ctx, domid, &lock, &s, &b);
    if (rc)
        return rc;
    rc = detach_locked(ctx, b, &s, dev);
    state_clear(&s);
    return rc;
}

/* The refusal, or the warnings joined, as one line (NULL: nothing to say). */
static int decision_message(const struct plan_verdict *v, char **ret)
{
    *ret = NULL;
    if (v->refusal_rc)
        return (*ret = strdup(v->refusal)) ? 0 : LIBDMR_ERROR_NOMEM;
    size_t len = 0;
    for (size_t i = 0; i < v->warnings.n; i++)
        len += strlen(v->warnings.v[i]) + 2;
    if (!len)
        return 0;
    char *msg = calloc(1, len + 1);
    for (size_t i = 0; msg && i < v->warnings.n; i++)
        strcat(strcat(msg, i ? "; " : ""), v->warnings.v[i]);
    *ret = msg;
    return msg ? 0 : LIBDMR_ERROR_NOMEM;
}

int libdmr_pci_attach_decide(libdmr_ctx *ctx, uint32_t domid, const libdmr_pci_addr *dev,
                             int vslot, int guest_unplug,
                             enum libdmr_pci_decision *ret_decision, char **ret_message)
{
    if (!ctx || !dev || !ret_decision)
        return LIBDMR_ERROR_INVAL;
    struct dm_state s;
    int r = state_read(ctx, domid, &s);
    if (r)
        return libdmr_error_from_errno(r);
    libdmr_facts facts = { 0 };
    struct pci_attach_plan ap = { 0 };
    char *msg = NULL;
    int rc = attach_plan_for(ctx, &s, dev, vslot, guest_unplug, &facts, &ap);
    if (!rc)
        rc = decision_message(&ap.verdict, &msg);
    if (!rc) {
        *ret_decision = ap.verdict.refusal_rc ? LIBDMR_PCI_REFUSE
                      : ap.verdict.warnings.n ? LIBDMR_PCI_WARN : LIBDMR_PCI_ALLOW;
        if (ret_message)
            *ret_message = msg;
        else
            free(msg);
    }
    pci_attach_plan_clear(&ap);
    facts_pci_clear(&facts);
    state_clear(&s);
    return rc;
}

/* The guest's address of QEMU device id ("01:00.0"), from query-pci. */
static bool find_vdev(yajl_val devices, const char *id, char *buf, size_t size)
{
    for (size_t i = 0; YAJL_IS_ARRAY(devices) && i < YAJL_GET_ARRAY(devices)->len; i++) {
        yajl_val d = YAJL_GET_ARRAY(devices)->values[i];
        const char *qdev[] = { "qdev_id", NULL }, *bus[] = { "bus", NULL },
                   *slot[] = { "slot", NULL }, *fn[] = { "function", NULL },
                   *below[] = { "pci_bridge", "devices", NULL };
        yajl_val q = yajl_tree_get(d, qdev, yajl_t_string);
        yajl_val b = yajl_tree_get(d, bus, yajl_t_number), s = yajl_tree_get(d, slot, yajl_t_number),
                 f = yajl_tree_get(d, fn, yajl_t_number);
        if (json_str_eq(q, id) && b && s && f) {
            snprintf(buf, size, "%02llx:%02llx.%llx", (long long)YAJL_GET_INTEGER(b),
                     (long long)YAJL_GET_INTEGER(s), (long long)YAJL_GET_INTEGER(f));
            return true;
        }
        if (find_vdev(yajl_tree_get(d, below, yajl_t_array), id, buf, size))
            return true;
    }
    return false;
}

static void fill_vdevs(libdmr_ctx *ctx, uint32_t domid, libdmr_pci_info *list, size_t n)
{
    libdmr_qmp *q = NULL;
    yajl_val buses = NULL;
    if (libdmr_qmp_open(ctx, domid, &q) || qmp_execute(q, "query-pci", NULL, QMP_OP_TIMEOUT_MS, &buses))
        LOGD(WARN, domid, "no guest addresses: QEMU did not answer query-pci");
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t b = 0; !found && YAJL_IS_ARRAY(buses) && b < YAJL_GET_ARRAY(buses)->len; b++) {
            const char *devs[] = { "devices", NULL };
            found = find_vdev(yajl_tree_get(YAJL_GET_ARRAY(buses)->values[b], devs, yajl_t_array),
                              list[i].id, list[i].vdev, sizeof(list[i].vdev));
        }
        if (!found)
            snprintf(list[i].vdev, sizeof(list[i].vdev), "-");
    }
    yajl_tree_free(buses);
    libdmr_qmp_close(q);
}

int libdmr_pci_list(libdmr_ctx *ctx, uint32_t domid, libdmr_pci_info **ret_list, size_t *ret_n)
{
    if (!ctx || !ret_list || !ret_n)
        return LIBDMR_ERROR_INVAL;
    struct dm_state s;
    int r = state_read(ctx, domid, &s);
    if (r)
        return libdmr_error_from_errno(r);
    libdmr_pci_info *list = calloc(s.pci.n_devs + 1, sizeof(*list));
    if (!list) {
        state_clear(&s);
        return LIBDMR_ERROR_NOMEM;
    }
    for (size_t i = 0; i < s.pci.n_devs; i++) {
        const struct dm_pci_dev *d = &s.pci.devs[i];
        libdmr_pci_info *info = &list[i];
        snprintf(info->bdf, sizeof(info->bdf), "%s", d->bdf);
        snprintf(info->id, sizeof(info->id), "%s", d->id);
        snprintf(info->bus, sizeof(info->bus), "%s", d->port ? d->port
                 : s.pci.machine == LIBDMR_MACHINE_PC ? "pci.0" : "pcie.0");
        info->guest_unplug = d->guest_unplug;
        info->hotplugged = d->hotplugged;
    }
    /* The guest's addresses are QEMU's to tell, where QMP is ours. */
    if (s.pci.n_devs && backend_has_qmp(backend_find(ctx, s.backend)))
        fill_vdevs(ctx, domid, list, s.pci.n_devs);
    *ret_list = list;
    *ret_n = s.pci.n_devs;
    state_clear(&s);
    return 0;
}
