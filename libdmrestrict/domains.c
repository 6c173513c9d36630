/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running domains as xl shows them: by name or domid, and as a list. */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "json.h"

int libdmr_domain_lookup(libdmr_ctx *ctx, const char *name_or_domid, uint32_t *ret_domid)
{
    if (!ctx || !name_or_domid || !ret_domid)
        return LIBDMR_ERROR_INVAL;
    struct dm_state *list;
    size_t n;
    char skipped[512];
    int r = state_list(ctx, &list, &n, skipped, sizeof(skipped));
    if (r)
        return libdmr_error_from_errno(r);
    unsigned long domid = 0;
    bool by_domid = !parse_ulong_strict(name_or_domid, 0, UINT32_MAX, &domid);
    int rc = LIBDMR_ERROR_NOTFOUND;
    for (size_t i = 0; i < n && rc; i++)
        if (by_domid ? list[i].domid == domid : !strcmp(list[i].name, name_or_domid)) {
            *ret_domid = list[i].domid;
            rc = 0;
        }
    state_list_free(list, n);
    /* Another toolstack's domains, where a backend knows them (xl's, on a
     * dom0: libxl does), are destroyable too. */
    enum libdmr_backend backend;
    if (rc)
        rc = backend_lookup(ctx, name_or_domid, ret_domid, &backend);
    if (rc == LIBDMR_ERROR_NOTFOUND && skipped[0])
        LOG(ERROR, "no domain %s among those whose state could be read (not %s)",
            name_or_domid, skipped);
    else if (rc == LIBDMR_ERROR_NOTFOUND)
        LOG(ERROR, "no domain %s", name_or_domid);
    return rc;
}

/* utime + stime of a live process, in seconds; 0 when it is gone. */
static double proc_cpu_seconds(pid_t pid)
{
    struct proc_stat st;
    if (proc_stat_read(pid, &st))
        return 0;
    return (double)(st.utime + st.stime) / sysconf(_SC_CLK_TCK);
}

/* A DM that has exited but is not reaped yet is not running. */
static bool dm_running(const struct dm_state *s)
{
    return !proc_exited(&s->dm, 0);
}

/* xl list's state letter (libdmr_dominfo.state). */
static char dominfo_state(const struct dm_state *s)
{
    return !dm_running(s) ? 'd' : s->run ? s->run : 'r';
}

int libdmr_domain_list(libdmr_ctx *ctx, libdmr_dominfo **ret_list, size_t *ret_n)
{
    if (!ctx || !ret_list || !ret_n)
        return LIBDMR_ERROR_INVAL;
    struct dm_state *list;
    size_t n;
    int r = state_list(ctx, &list, &n, NULL, 0);
    if (r)
        return libdmr_error_from_errno(r);
    libdmr_dominfo *out = calloc(n ? n : 1, sizeof(*out));
    if (!out) {
        state_list_free(list, n);
        return LIBDMR_ERROR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct dm_state *s = &list[i];
        bool running = dm_running(s);
        out[i] = (libdmr_dominfo){ .domid = s->domid, .memory_mb = s->memory_mb,
                                   .vcpus = s->vcpus, .dm_uid = s->dm_uid, .dm_gid = s->dm_gid,
                                   .dm_pid = running ? s->dm.pid : 0,
                                   .cpu_seconds = running ? proc_cpu_seconds(s->dm.pid) : 0 };
        out[i].state = dominfo_state(s);
        snprintf(out[i].name, sizeof(out[i].name), "%s", s->name);
        snprintf(out[i].dm_user, sizeof(out[i].dm_user), "%s", s->dm_user ? s->dm_user : "");
    }
    /* Sorted by domid, as xl list shows them. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && out[j - 1].domid > out[j].domid; j--) {
            libdmr_dominfo t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    state_list_free(list, n);
    *ret_list = out;
    *ret_n = n;
    return 0;
}

void libdmr_dominfo_list_free(libdmr_dominfo *list)
{
    free(list);
}

/* A create of the library's, still starting, in this very process. */
static bool starting_here(const struct dm_state *s, const struct proc_ref *self)
{
    return s->starting && s->creator.pid == self->pid && s->creator.start == self->start;
}

bool libdmr_domain_made_by_library(libdmr_ctx *ctx, const char *name, uint32_t domid)
{
    struct dm_state *list;
    size_t n;
    struct proc_ref self;
    if (!ctx || proc_self(&self) || state_list(ctx, &list, &n, NULL, 0))
        return false;
    bool made = false;
    for (size_t i = 0; i < n && !made; i++) {
        const struct dm_state *s = &list[i];
        if (s->foreign)
            continue;
        made = name ? !strcmp(s->name, name) && starting_here(s, &self) : s->domid == domid;
    }
    state_list_free(list, n);
    return made;
}

/* A parsed value back into g as it was (numbers in their own digits). */
static void json_copy(yajl_gen g, yajl_val v)
{
    if (YAJL_IS_OBJECT(v)) {
        yajl_gen_map_open(g);
        for (size_t i = 0; i < v->u.object.len; i++) {
            json_key(g, v->u.object.keys[i]);
            json_copy(g, v->u.object.values[i]);
        }
        yajl_gen_map_close(g);
    } else if (YAJL_IS_ARRAY(v)) {
        yajl_gen_array_open(g);
        for (size_t i = 0; i < v->u.array.len; i++)
            json_copy(g, v->u.array.values[i]);
        yajl_gen_array_close(g);
    } else if (YAJL_IS_STRING(v)) {
        json_str(g, YAJL_GET_STRING(v));
    } else if (YAJL_IS_NUMBER(v)) {
        yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
        yajl_gen_bool(g, YAJL_IS_TRUE(v));
    } else {
        yajl_gen_null(g);
    }
}

/* {"domid","name","state","record","plan"}: the record is the state file,
 * the plan the file beside it, or, in a record from before it had a file
 * of its own, its member "plan" (left out of the record then); null when
 * there is neither (a record being made or destroyed). Neither holds a
 * VNC password (the plan says only that there is one). */
static void describe_gen(yajl_gen g, const struct dm_state *s, yajl_val record, yajl_val plan)
{
    char state[2] = { dominfo_state(s), '\0' };
    yajl_gen_map_open(g);
    json_kint(g, "domid", s->domid);
    json_kstr(g, "name", s->name);
    json_kstr(g, "state", state);
    json_key(g, "record");
    yajl_gen_map_open(g);
    for (size_t i = 0; i < record->u.object.len; i++) {
        if (!strcmp(record->u.object.keys[i], "plan")) {
            plan = plan ? plan : record->u.object.values[i];
            continue;
        }
        json_key(g, record->u.object.keys[i]);
        json_copy(g, record->u.object.values[i]);
    }
    yajl_gen_map_close(g);
    json_key(g, "plan");
    if (plan)
        json_copy(g, plan);
    else
        yajl_gen_null(g);
    yajl_gen_map_close(g);
}

int libdmr_domain_describe(libdmr_ctx *ctx, uint32_t domid, char **ret_json)
{
    if (!ctx || !ret_json)
        return LIBDMR_ERROR_INVAL;
    struct dm_state s;
    int r = state_read(ctx, domid, &s);
    if (r)
        return libdmr_error_from_errno(r);
    _cleanup_free_ char *text = NULL, *plan_text = NULL;
    r = state_text_read(ctx, domid, &text);
    if (!r)
        r = state_plan_text_read(ctx, domid, &plan_text);
    yajl_val record = r ? NULL : yajl_tree_parse(text, NULL, 0);
    yajl_val plan = plan_text ? yajl_tree_parse(plan_text, NULL, 0) : NULL;
    bool object = record && YAJL_IS_OBJECT(record) && (!plan_text || plan);
    yajl_gen g = object ? json_begin() : NULL;
    int rc = r ? libdmr_error_from_errno(r) : !object ? LIBDMR_ERROR_INVAL
             : !g ? LIBDMR_ERROR_NOMEM : 0;
    if (!rc) {
        describe_gen(g, &s, record, plan);
        rc = json_finish(g, ret_json);
    } else if (g) {
        yajl_gen_free(g);
    }
    yajl_tree_free(record);
    yajl_tree_free(plan);
    state_clear(&s);
    return rc;
}
