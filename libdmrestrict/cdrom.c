/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cdrom changes for a deprivileged QEMU, which can open nothing itself:
 * the toolstack opens the image as root, sends it into a fresh fdset, and
 * asks QEMU to change the medium to /dev/fdset/N; the fdset of the medium
 * it replaces is removed. A block device goes through QEMU's host_cdrom
 * driver (the file driver refuses a /dev/fdset/N that is not a regular
 * file). Any failure half way removes what was added.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "fdset.h"
#include "json.h"

int libdmr_qmp_open(libdmr_ctx *ctx, uint32_t domid, libdmr_qmp **ret_qmp)
{
    if (!ctx || !ret_qmp)
        return LIBDMR_ERROR_INVAL;
    struct dm_state s;
    const struct backend_slot *b;
    int rc = lifecycle_read(ctx, domid, &s, &b);
    if (rc)
        return rc;
    /* Another backend (libxl) may hold the socket, connect for each
     * command and keep its own record of the devices: a connection held
     * beside it would break both. */
    if (!backend_has_qmp(b)) {
        LOGD(ERROR, domid, "the %s backend owns the device model's QMP socket; "
             "operations go through it (pass no connection)", plan_backend_name(s.backend));
        rc = LIBDMR_ERROR_INVAL;
    }
    if (!rc)
        rc = qmp_connect(ctx, domid, s.qmp_path, QMP_OP_TIMEOUT_MS, ret_qmp);
    state_clear(&s);
    return rc;
}

void libdmr_qmp_close(libdmr_qmp *qmp)
{
    qmp_close(qmp);
}

/* The fdset the drive's medium comes from (DRIVE_EMPTY, or
 * DRIVE_NOT_FDSET for a medium given by path), from a query-block answer. */
#define DRIVE_EMPTY (-1)
#define DRIVE_NOT_FDSET (-2)
static int drive_fdset(libdmr_ctx *ctx, yajl_val blocks, uint32_t domid, const char *vdev,
                       int64_t *ret)
{
    *ret = DRIVE_EMPTY;
    bool found = false;
    for (size_t i = 0; YAJL_IS_ARRAY(blocks) && i < YAJL_GET_ARRAY(blocks)->len; i++) {
        yajl_val b = YAJL_GET_ARRAY(blocks)->values[i];
        const char *qdev_path[] = { "qdev", NULL }, *file_path[] = { "inserted", "file", NULL };
        yajl_val qdev = yajl_tree_get(b, qdev_path, yajl_t_string);
        const char *name = qdev ? YAJL_GET_STRING(qdev) : NULL;
        /* QEMU names a -device by its id, or by its QOM path. */
        const char *tail = name ? strrchr(name, '/') : NULL;
        if (!name || (strcmp(name, vdev) && (!tail || strcmp(tail + 1, vdev))))
            continue;
        found = true;
        yajl_val file = yajl_tree_get(b, file_path, yajl_t_string);
        const char *f = file ? YAJL_GET_STRING(file) : NULL;
        unsigned long set;
        const char *prefix = f ? strstr(f, "/dev/fdset/") : NULL;
        if (prefix && !parse_ulong_strict(prefix + strlen("/dev/fdset/"), 0, INT64_MAX, &set))
            *ret = set;
        else if (f)
            *ret = DRIVE_NOT_FDSET;
    }
    if (!found) {
        LOGD(ERROR, domid, "no drive %s in this domain", vdev);
        return LIBDMR_ERROR_NOTFOUND;
    }
    return 0;
}

/* An fdset id no fdset has: adding to an existing set would mix media. */
static int64_t free_fdset_id(yajl_val fdsets)
{
    int64_t max = -1;
    for (size_t i = 0; YAJL_IS_ARRAY(fdsets) && i < YAJL_GET_ARRAY(fdsets)->len; i++) {
        const char *path[] = { "fdset-id", NULL };
        yajl_val id = yajl_tree_get(YAJL_GET_ARRAY(fdsets)->values[i], path, yajl_t_number);
        if (id && YAJL_IS_INTEGER(id) && YAJL_GET_INTEGER(id) > max)
            max = YAJL_GET_INTEGER(id);
    }
    return max + 1;
}

static bool fdset_listed(yajl_val fdsets, int64_t set)
{
    for (size_t i = 0; YAJL_IS_ARRAY(fdsets) && i < YAJL_GET_ARRAY(fdsets)->len; i++) {
        const char *path[] = { "fdset-id", NULL };
        yajl_val id = yajl_tree_get(YAJL_GET_ARRAY(fdsets)->values[i], path, yajl_t_number);
        if (id && YAJL_IS_INTEGER(id) && YAJL_GET_INTEGER(id) == set)
            return true;
    }
    return false;
}

/* One round trip: the drive's current fdset, and a free fdset id. */
static int drive_survey(libdmr_ctx *ctx, libdmr_qmp *q, uint32_t domid, const char *vdev,
                        int64_t *ret_old, int64_t *ret_free, yajl_val *ret_fdsets)
{
    yajl_val blocks = NULL, fdsets = NULL;
    struct qmp_cmd cmds[] = {
        { .command = "query-block", .ret = &blocks },
        { .command = "query-fdsets", .ret = &fdsets },
    };
    int rc = qmp_execute_batch(q, cmds, ELEMENTSOF(cmds), -1, QMP_OP_TIMEOUT_MS);
    if (!rc)
        rc = drive_fdset(ctx, blocks, domid, vdev, ret_old);
    if (!rc)
        *ret_free = free_fdset_id(fdsets);
    yajl_tree_free(blocks);
    if (!rc && ret_fdsets)
        *ret_fdsets = fdsets;
    else
        yajl_tree_free(fdsets);
    return rc;
}

/*
 * The connection failed with a change sent, so what QEMU did is not
 * known: it is found out over a new connection and made whole. A change
 * that happened (the drive's medium is fdset set, or DRIVE_EMPTY) is finished
 * (the old medium's fdset removed) and counts; one that did not leaves no
 * fdset of its own behind.
 */
static int settle_change(libdmr_ctx *ctx, libdmr_qmp *q, uint32_t domid, const char *vdev,
                         int64_t set, int64_t old, int rc)
{
    libdmr_qmp *fresh = NULL;
    int64_t now, unused;
    yajl_val fdsets = NULL;
    if (qmp_reconnect(q, QMP_OP_TIMEOUT_MS, &fresh) ||
        drive_survey(ctx, fresh, domid, vdev, &now, &unused, &fdsets)) {
        LOGD(ERROR, domid, "cdrom: the change of %s may or may not have happened, and QEMU "
             "cannot be asked: see query-block and query-fdsets", vdev);
        qmp_close(fresh);
        return rc;
    }
    bool done = now == set;
    int64_t stale = done ? old : set;
    if (stale >= 0 && fdset_listed(fdsets, stale))
        fdset_remove(ctx, fresh, domid, stale);
    if (done)
        LOGD(NOTICE, domid, "cdrom: QEMU did change %s (asked again over a new connection)", vdev);
    yajl_tree_free(fdsets);
    qmp_close(fresh);
    return done ? 0 : rc;
}

/* "[raw:]PATH" -> the format and the path. */
static int parse_target(libdmr_ctx *ctx, uint32_t domid, const char *target,
                        const char **ret_path)
{
    const char *colon = strchr(target, ':');
    if (colon && strncmp(target, "raw:", 4)) {
        LOGD(ERROR, domid, "cdrom target %s: only raw images (raw:PATH or PATH)", target);
        return LIBDMR_ERROR_INVAL;
    }
    *ret_path = colon ? colon + 1 : target;
    if ((*ret_path)[0] != '/') {
        LOGD(ERROR, domid, "cdrom target %s: the path must be absolute", *ret_path);
        return LIBDMR_ERROR_INVAL;
    }
    return 0;
}

static int change_args(const char *vdev, int64_t fdset, bool block_device, char **ret)
{
    char filename[64];
    snprintf(filename, sizeof(filename), "%s/dev/fdset/%lld",
             block_device ? "host_cdrom:" : "", (long long)fdset);
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    yajl_gen_map_open(g);
    json_kstr(g, "id", vdev);
    json_kstr(g, "filename", filename);
    json_kstr(g, "format", "raw");
    json_kstr(g, "read-only-mode", "read-only");
    yajl_gen_map_close(g);
    return json_finish(g, ret);
}

int cdrom_insert(libdmr_ctx *ctx, libdmr_qmp *q, uint32_t domid, const char *vdev,
                 const char *path)
{
    int rc;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        LOGED(ERROR, domid, "cdrom: opening %s", path);
        return libdmr_error_from_errno(-errno);
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        LOGD(ERROR, domid, "cdrom: %s is not a regular file or a block device", path);
        return LIBDMR_ERROR_INVAL;
    }
    /*
     * Two round trips in all: a survey, then add-fd (the descriptor riding
     * on its bytes), the change and the old fdset's removal in one write.
     * Were the change refused, the old medium stays in; its fdset, marked
     * removed while in use, goes when QEMU lets that medium go.
     */
    int64_t old, set;
    if ((rc = drive_survey(ctx, q, domid, vdev, &old, &set, NULL)))
        return rc;
    char opaque[4200];
    snprintf(opaque, sizeof(opaque), "raw:%s", path);
    _cleanup_free_ char *add = NULL, *change = NULL, *remove = NULL;
    if ((rc = fdset_add_args(set, opaque, &add)) ||
        (rc = change_args(vdev, set, S_ISBLK(st.st_mode), &change)) ||
        (old >= 0 && (rc = fdset_remove_args(old, &remove))))
        return rc;
    struct qmp_cmd cmds[] = {
        { .command = "add-fd", .arguments = add },
        { .command = "blockdev-change-medium", .arguments = change },
        { .command = "remove-fd", .arguments = remove },
    };
    size_t n = old >= 0 ? 3 : 2;
    rc = qmp_execute_batch(q, cmds, n, fd, QMP_OP_TIMEOUT_MS);
    fd = safe_close(fd);  /* QEMU holds its own copy now */
    if (!cmds[0].answered || !cmds[1].answered || !cmds[n - 1].answered)
        return settle_change(ctx, q, domid, vdev, set, old, rc);
    if (cmds[0].rc == 0 && cmds[1].rc)
        fdset_remove(ctx, q, domid, set);  /* roll back what was added */
    if (cmds[0].rc || cmds[1].rc)
        return cmds[0].rc ? cmds[0].rc : cmds[1].rc;
    /* The new medium is in; QEMU refusing to drop a stale old fdset is not
     * worth failing for (it was logged). */
    return 0;
}

int cdrom_eject(libdmr_ctx *ctx, libdmr_qmp *q, uint32_t domid, const char *vdev)
{
    int64_t old, unused;
    int rc = drive_survey(ctx, q, domid, vdev, &old, &unused, NULL);
    if (rc)
        return rc;
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    yajl_gen_map_open(g);
    json_kstr(g, "id", vdev);
    json_kbool(g, "force", true);
    yajl_gen_map_close(g);
    _cleanup_free_ char *args = NULL, *remove = NULL;
    if ((rc = json_finish(g, &args)) || (old >= 0 && (rc = fdset_remove_args(old, &remove))))
        return rc;
    /* The medium's fdset goes only once QEMU has let the medium go: a
     * refused eject leaves both. */
    struct qmp_cmd eject = { .command = "eject", .arguments = args };
    struct qmp_cmd drop = { .command = "remove-fd", .arguments = remove };
    rc = qmp_execute_batch(q, &eject, 1, -1, QMP_OP_TIMEOUT_MS);
    if (!eject.answered)
        return settle_change(ctx, q, domid, vdev, DRIVE_EMPTY, old, rc);
    if (rc || old < 0)
        return rc;
    rc = qmp_execute_batch(q, &drop, 1, -1, QMP_OP_TIMEOUT_MS);
    return drop.answered ? rc : settle_change(ctx, q, domid, vdev, DRIVE_EMPTY, old, rc);
}

struct naming {
    const char *path;
    int n;
};

static int count_naming(int fd, const char *target, int dirfd, const char *name, void *arg)
{
    (void)fd, (void)dirfd, (void)name;
    struct naming *c = arg;
    c->n += !strcmp(target, c->path);
    return 0;
}

static bool strv_has(const struct strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (!strcmp(sv->v[i], s))
            return true;
    return false;
}

/* A medium that left (in before, not in after): the DM must hold no
 * descriptor of it any more. */
static int check_let_go(libdmr_ctx *ctx, const struct dm_state *s, const struct strv *before,
                        const struct strv *after)
{
    for (size_t i = 0; i < before->n; i++) {
        if (strv_has(after, before->v[i]))
            continue;
        struct naming c = { .path = before->v[i] };
        int r = proc_fds_each(s->dm.pid, count_naming, &c);
        if (r) {
            LOGEVD(ERROR, -r, s->domid, "cdrom: reading the device model's descriptors");
            return LIBDMR_ERROR_FAIL;
        }
        if (c.n) {
            LOGD(ERROR, s->domid, "cdrom: the device model still holds %d descriptor(s) of "
                 "the ejected %s", c.n, before->v[i]);
            return LIBDMR_ERROR_FAIL;
        }
    }
    return 0;
}

/* Through the domain's backend: the change, then the medium that left must be let go. */
static int change_by_backend(libdmr_ctx *ctx, uint32_t domid, const char *vdev, const char *path)
{
    struct dm_state s;
    const struct backend_slot *b;
    int rc = lifecycle_read(ctx, domid, &s, &b);
    if (rc)
        return rc;
    struct libdmr_dm dm;
    dm_init(&dm, ctx, NULL, &s);
    struct strv before = { 0 };
    if (!BACKEND_HAS(b, cdrom_change)) {
        LOGD(ERROR, domid, "the %s backend cannot change a cdrom", plan_backend_name(s.backend));
        rc = LIBDMR_ERROR_NI;
    }
    /* The images in its drives before, from a backend that tells them by
     * path. The library's own QEMU needs no check after: remove-fd of the
     * old medium's fdset is part of its change. */
    bool check = !backend_has_qmp(b);
    if (!rc && check && dm_observe_media(b, &dm) == 0)
        before = dm.media_paths, dm.media_paths = (struct strv){ 0 };
    if (!rc)
        rc = b->ops->cdrom_change(b->opaque, ctx, &dm, vdev, path);
    strv_clear(&dm.media_paths);
    if (!rc && before.n && dm_observe_media(b, &dm) == 0)
        rc = check_let_go(ctx, &s, &before, &dm.media_paths);
    strv_clear(&before);
    dm_clear(&dm);
    state_clear(&s);
    return rc;
}

static int cdrom_change(libdmr_ctx *ctx, libdmr_qmp *q, uint32_t domid, const char *vdev,
                        const char *target)
{
    const char *path = NULL;
    int rc = target ? parse_target(ctx, domid, target, &path) : 0;
    if (rc)
        return rc;
    /* The caller's own connection: a qemu-backend DM, by libdmr_qmp_open. */
    if (q)
        return path ? cdrom_insert(ctx, q, domid, vdev, path) : cdrom_eject(ctx, q, domid, vdev);
    return change_by_backend(ctx, domid, vdev, path);
}

int libdmr_cdrom_insert(libdmr_ctx *ctx, libdmr_qmp *qmp, uint32_t domid,
                        const char *vdev, const char *target)
{
    if (!ctx || !vdev || !target)
        return LIBDMR_ERROR_INVAL;
    return cdrom_change(ctx, qmp, domid, vdev, target);
}

int libdmr_cdrom_eject(libdmr_ctx *ctx, libdmr_qmp *qmp, uint32_t domid, const char *vdev)
{
    if (!ctx || !vdev)
        return LIBDMR_ERROR_INVAL;
    return cdrom_change(ctx, qmp, domid, vdev, NULL);
}
