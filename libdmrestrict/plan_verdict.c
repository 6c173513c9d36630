/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A plan's verdict: the notices, warnings and the first refusal every
 * stage records (plan_pci_attach.c's too), and how it is logged once.
 */
#include <stdio.h>

#include "internal.h"

static __attribute__((format(printf, 2, 0)))
int verdict_vpush(struct strv *sv, const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        return -ENOMEM;
    int r = strv_push(sv, s);
    free(s);
    return r;
}

int verdict_warn(struct plan_verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = verdict_vpush(&v->warnings, fmt, ap);
    va_end(ap);
    return r;
}

int verdict_notice(struct plan_verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = verdict_vpush(&v->notices, fmt, ap);
    va_end(ap);
    return r;
}

void verdict_clear(struct plan_verdict *v)
{
    strv_clear(&v->notices);
    strv_clear(&v->warnings);
    free(v->refusal);
    *v = (struct plan_verdict){ 0 };
}

int verdict_refuse(struct plan_verdict *v, int rc, const char *fmt, ...)
{
    if (v->refusal_rc)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&v->refusal, fmt, ap);
    va_end(ap);
    if (r < 0) {
        v->refusal = NULL;
        return -ENOMEM;
    }
    v->refusal_rc = rc;
    return 0;
}

int verdict_log(libdmr_ctx *ctx, uint32_t domid, const struct plan_verdict *v)
{
    /* A refused plan is not carried out: its refusal is all there is to say. */
    if (v->refusal_rc) {
        LOGD(ERROR, domid, "%s", v->refusal);
        return v->refusal_rc;
    }
    for (size_t i = 0; i < v->notices.n; i++)
        LOGD(NOTICE, domid, "%s", v->notices.v[i]);
    for (size_t i = 0; i < v->warnings.n; i++)
        LOGD(WARN, domid, "%s", v->warnings.v[i]);
    return 0;
}
