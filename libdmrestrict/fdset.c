/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fd broker: descriptors reach QEMU through its fdsets. add-fd carries
 * the descriptor by SCM_RIGHTS on the command's own bytes; "opaque" says
 * "<format>:<path>" for whoever audits the fdsets; every fdset that is no
 * longer needed is removed (QEMU only drops unused fdsets of a monitor
 * connection when it closes, and a toolstack may keep its connection).
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "fdset.h"
#include "json.h"

int fdset_add_args(int64_t fdset, const char *opaque, char **ret)
{
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    yajl_gen_map_open(g);
    if (fdset >= 0)
        json_kint(g, "fdset-id", fdset);
    json_kstr(g, "opaque", opaque);
    yajl_gen_map_close(g);
    return json_finish(g, ret);
}

int fdset_remove_args(int64_t fdset, char **ret)
{
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    yajl_gen_map_open(g);
    json_kint(g, "fdset-id", fdset);
    yajl_gen_map_close(g);
    return json_finish(g, ret);
}

static long long member_int(yajl_val obj, const char *key, bool *ok)
{
    const char *path[] = { key, NULL };
    yajl_val v = obj ? yajl_tree_get(obj, path, yajl_t_number) : NULL;
    if (!v || !YAJL_IS_INTEGER(v)) {
        *ok = false;
        return -1;
    }
    return YAJL_GET_INTEGER(v);
}

int fdset_add(libdmr_ctx *ctx, struct libdmr_qmp *q, uint32_t domid, int *fd,
              const char *opaque, int64_t *ret_fdset)
{
    _cleanup_free_ char *args = NULL;
    int rc = fdset_add_args(-1, opaque, &args);
    yajl_val ret = NULL;
    if (!rc)
        rc = qmp_execute_fd(q, "add-fd", args, *fd, QMP_OP_TIMEOUT_MS, &ret);
    /* QEMU keeps its own duplicate; ours is done either way. */
    *fd = safe_close(*fd);
    if (rc)
        return rc;
    bool ok = true;
    long long set = member_int(ret, "fdset-id", &ok);
    member_int(ret, "fd", &ok);
    yajl_tree_free(ret);
    if (!ok || set < 0) {
        LOGD(ERROR, domid, "QMP: add-fd answered without fdset-id and fd");
        return LIBDMR_ERROR_QEMU_API;
    }
    *ret_fdset = set;
    return 0;
}

int fdset_remove(libdmr_ctx *ctx, struct libdmr_qmp *q, uint32_t domid, int64_t fdset)
{
    (void)ctx;
    (void)domid;
    _cleanup_free_ char *args = NULL;
    int rc = fdset_remove_args(fdset, &args);
    return rc ? rc : qmp_execute(q, "remove-fd", args, QMP_OP_TIMEOUT_MS, NULL);
}

int fdset_count(libdmr_ctx *ctx, struct libdmr_qmp *q, uint32_t domid, size_t *ret_sets, size_t *ret_fds)
{
    yajl_val ret = NULL;
    int rc = qmp_execute(q, "query-fdsets", NULL, QMP_OP_TIMEOUT_MS, &ret);
    if (rc)
        return rc;
    if (!YAJL_IS_ARRAY(ret)) {
        yajl_tree_free(ret);
        LOGD(ERROR, domid, "QMP: query-fdsets did not answer a list");
        return LIBDMR_ERROR_QEMU_API;
    }
    size_t fds = 0;
    for (size_t i = 0; i < YAJL_GET_ARRAY(ret)->len; i++) {
        const char *path[] = { "fds", NULL };
        yajl_val list = yajl_tree_get(YAJL_GET_ARRAY(ret)->values[i], path, yajl_t_array);
        fds += list ? YAJL_GET_ARRAY(list)->len : 0;
    }
    *ret_sets = YAJL_GET_ARRAY(ret)->len;
    *ret_fds = fds;
    yajl_tree_free(ret);
    return 0;
}

int fdset_media(struct libdmr_qmp *q, struct libdmr_dm *dm)
{
    yajl_val sets = NULL;
    int rc = qmp_execute(q, "query-fdsets", NULL, QMP_OP_TIMEOUT_MS, &sets);
    for (size_t i = 0; !rc && YAJL_IS_ARRAY(sets) && i < YAJL_GET_ARRAY(sets)->len; i++) {
        const char *fds_path[] = { "fds", NULL };
        yajl_val fds = yajl_tree_get(YAJL_GET_ARRAY(sets)->values[i], fds_path, yajl_t_array);
        for (size_t j = 0; !rc && fds && j < YAJL_GET_ARRAY(fds)->len; j++) {
            const char *fd_path[] = { "fd", NULL };
            yajl_val fd = yajl_tree_get(YAJL_GET_ARRAY(fds)->values[j], fd_path, yajl_t_number);
            if (fd && YAJL_IS_INTEGER(fd))
                rc = libdmr_dm_add_medium_fd(dm, (int)YAJL_GET_INTEGER(fd));
        }
    }
    yajl_tree_free(sets);
    return rc;
}
