/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Thin helpers over yajl_gen, so callers read as the JSON they write. */
#ifndef LIBDMR_JSON_H
#define LIBDMR_JSON_H

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "internal.h"

static inline void json_str(yajl_gen g, const char *s)
{
    if (s)
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
    else
        yajl_gen_null(g);
}
static inline void json_key(yajl_gen g, const char *k) { json_str(g, k); }
static inline void json_kstr(yajl_gen g, const char *k, const char *v) { json_key(g, k); json_str(g, v); }
static inline void json_kint(yajl_gen g, const char *k, long long v) { json_key(g, k); yajl_gen_integer(g, v); }
static inline void json_kbool(yajl_gen g, const char *k, bool v) { json_key(g, k); yajl_gen_bool(g, v); }

/* v is a string equal to s. */
static inline bool json_str_eq(yajl_val v, const char *s)
{
    const char *str = v ? YAJL_GET_STRING(v) : NULL;
    return str && !strcmp(str, s);
}

/* json.c: a compact generator, and its text (NUL-terminated) taken as it
 * is freed. */
yajl_gen json_begin(void);
int json_finish(yajl_gen g, char **ret);

/* The plan as one JSON object, into g (plan_json.c). */
void plan_json_gen(yajl_gen g, const libdmr_plan *p);

/* The "qemu" member of facts (facts_json.c), shared with the probe cache. */
void facts_json_qemu(yajl_gen g, const struct libdmr_qemu_caps *q);
int facts_json_read_qemu(libdmr_ctx *ctx, yajl_val root, struct libdmr_qemu_caps *q);
/* The "accel_probe" member (facts_json.c), shared with the accelerator cache. */
void facts_json_accel(yajl_gen g, const libdmr_facts *f);
int facts_json_read_accel(libdmr_ctx *ctx, yajl_val root, libdmr_facts *f);

/* A firmware descriptor in QEMU's JSON form (facts_firmware.c), with the
 * facts' "path" and each file's "present" and "size". */
int fw_descriptor_parse(yajl_val root, struct libdmr_fw_descriptor *d);
void fw_descriptor_gen(yajl_gen g, const struct libdmr_fw_descriptor *d);

#endif
