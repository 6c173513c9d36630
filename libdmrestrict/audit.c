/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dm-audit: a running device model held against its plan. The expectation
 * comes from the state (the plan as saved at create, and the PCI record
 * pci-attach keeps), the observation from /proc (audit_observe.c), the
 * verdict from audit_judge.c. create runs the same audit before the guest
 * runs its first instruction (lifecycle.c), with the media its backend
 * says it handed over (the backend's media operation).
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "backend.h"
#include "fdset.h"
#include "json.h"

int audit_run(libdmr_ctx *ctx, const struct audit_expect *exp, struct libdmr_audit **ret)
{
    struct libdmr_audit *a = calloc(1, sizeof(*a));
    if (!a)
        return LIBDMR_ERROR_NOMEM;
    struct audit_observed obs;
    int r = audit_observe(exp, &obs);
    if (!r)
        r = audit_judge(exp, &obs, a);
    audit_observed_clear(&obs);
    if (r) {
        LOGEVD(ERROR, -r, exp->domid, "auditing the device model (pid %d)", (int)exp->dm_pid);
        libdmr_audit_free(a);
        return libdmr_error_from_errno(r);
    }
    *ret = a;
    return 0;
}

size_t audit_log_failures(libdmr_ctx *ctx, uint32_t domid, const struct libdmr_audit *a)
{
    size_t failed = 0;
    for (size_t i = 0; i < a->n; i++)
        if (!a->checks[i].ok) {
            LOGD(ERROR, domid, "audit: %s: %s", a->checks[i].name, a->checks[i].detail);
            failed++;
        }
    return failed;
}

/* The other domains' DMs, and their watchers (whose parsers take the DM's
 * uid): with a shared user, they run with this uid too. */
static int other_dms(libdmr_ctx *ctx, const struct dm_state *s, pid_t **ret, size_t *ret_n,
                     pid_t *watchers, size_t *n_watchers)
{
    struct dm_state *list;
    size_t n;
    *ret = NULL;
    *ret_n = 0;
    int r = state_list(ctx, &list, &n, NULL, 0);
    if (r)
        return r;
    pid_t *pids = calloc(n + 1, sizeof(*pids));
    for (size_t i = 0; pids && i < n; i++)
        if (list[i].domid != s->domid && list[i].dm_uid == s->dm_uid) {
            pids[(*ret_n)++] = list[i].dm.pid;
            if (list[i].watcher.pid > 0 && *n_watchers < AUDIT_WATCHERS_MAX)
                watchers[(*n_watchers)++] = list[i].watcher.pid;
        }
    state_list_free(list, n);
    if (!pids)
        return -ENOMEM;
    *ret = pids;
    return 0;
}

int audit_state(libdmr_ctx *ctx, const struct dm_state *s, const struct libdmr_dm *dm,
                struct libdmr_audit **ret)
{
    _cleanup_free_ pid_t *others = NULL;
    size_t n_others = 0;
    pid_t watchers[AUDIT_WATCHERS_MAX] = { s->watcher.pid };
    size_t n_watchers = s->watcher.pid > 0;
    /* Only a shared user's DMs may share the uid; the others' are not looked up. */
    if (!s->kill_by_uid && other_dms(ctx, s, &others, &n_others, watchers, &n_watchers))
        return LIBDMR_ERROR_NOMEM;
    /* What the DM may hold by path: what it was given, and the media its
     * backend handed over since. */
    struct strv resources = { 0 };
    int r = strv_push_all(&resources, &s->resources);
    if (!r)
        r = strv_push_all(&resources, &dm->media_paths);
    if (r) {
        strv_clear(&resources);
        return LIBDMR_ERROR_NOMEM;
    }
    /* /proc shows paths resolved: /var/run/xen/qemu-root-N is /run/xen/... */
    _cleanup_free_ char *chroot = s->chroot ? realpath(s->chroot, NULL) : NULL;
    struct audit_expect exp = {
        .domid = s->domid, .dm_pid = s->dm.pid,
        .watchers = watchers, .n_watchers = n_watchers, .uid = s->dm_uid, .gid = s->dm_gid,
        .restricted = s->restricted, .sandbox = s->sandbox,
        .chroot = chroot ? chroot : s->chroot, .xen_interfaces = s->xen_interfaces,
        .serial_pty = s->serial_pty,
        .taps = s->taps, .tap_names = &s->tap_names, .vnc_address = s->vnc_address,
        .vnc_port_min = s->vnc_port_min, .vnc_port_max = s->vnc_port_max,
        .chroot_tmpfs = s->chroot_tmpfs, .qmp_path = s->qmp_path, .rlimits = s->rlimits,
        .n_rlimits = s->n_rlimits, .pci = &s->pci, .resources = &resources,
        .other_dms = others, .n_other_dms = n_others,
        .media_fds = dm->media_fds, .n_media_fds = dm->n_media_fds,
        .media_fds_known = dm->media_known && !dm->media_paths.n };
    int rc = audit_run(ctx, &exp, ret);
    strv_clear(&resources);
    return rc;
}

int libdmr_dm_audit(libdmr_ctx *ctx, uint32_t domid, libdmr_audit **ret)
{
    if (!ctx || !ret)
        return LIBDMR_ERROR_INVAL;
    struct dm_state s;
    int r = state_read(ctx, domid, &s);
    if (r)
        return libdmr_error_from_errno(r);
    /* Held by its pidfd, the pid cannot be another process's meanwhile. */
    _cleanup_close_ int pidfd = proc_open(&s.dm);
    struct libdmr_dm dm;
    dm_init(&dm, ctx, NULL, &s);
    int rc = 0;
    if (!s.expect_known) {
        LOGD(ERROR, domid, "its state file predates the audit: nothing to hold it against");
        rc = LIBDMR_ERROR_NI;
    } else if (pidfd < 0 || proc_exited(&s.dm, 0)) {
        LOGD(ERROR, domid, "no device model is running (pid %d is gone)", (int)s.dm.pid);
        rc = LIBDMR_ERROR_NOTFOUND;
    }
    /* Without its backend's operations only the planned media count. */
    const struct backend_slot *b = rc ? NULL : backend_find(ctx, s.backend);
    if (!rc)
        rc = lifecycle_audit(ctx, b, &dm, ret);
    dm_clear(&dm);
    state_clear(&s);
    return rc;
}

bool libdmr_audit_passed(const libdmr_audit *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (!a->checks[i].ok)
            return false;
    return true;
}

size_t libdmr_audit_count(const libdmr_audit *a)
{
    return a->n;
}

int libdmr_audit_check(const libdmr_audit *a, size_t i, const char **ret_name, bool *ret_ok,
                       const char **ret_detail)
{
    if (!a || i >= a->n)
        return LIBDMR_ERROR_INVAL;
    if (ret_name)
        *ret_name = a->checks[i].name;
    if (ret_ok)
        *ret_ok = a->checks[i].ok;
    if (ret_detail)
        *ret_detail = a->checks[i].detail;
    return 0;
}

int libdmr_audit_to_json(libdmr_ctx *ctx, const libdmr_audit *a, char **ret_json)
{
    if (!ctx || !a || !ret_json)
        return LIBDMR_ERROR_INVAL;
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    yajl_gen_map_open(g);
    json_key(g, "checks");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < a->n; i++) {
        yajl_gen_map_open(g);
        json_kstr(g, "name", a->checks[i].name);
        json_kbool(g, "ok", a->checks[i].ok);
        json_kstr(g, "detail", a->checks[i].detail);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    return json_finish(g, ret_json);
}

void libdmr_audit_free(libdmr_audit *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->checks[i].detail);
    free(a->checks);
    free(a);
}
