/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the unit tests: cmocka, a quiet context, fact builders. */
#ifndef DMR_TESTUTIL_H
#define DMR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

/* A context whose logger drops DEBUG..INFO; errors still show in test logs. */
static inline libdmr_ctx *test_ctx(xentoollog_logger_stdiostream **ret_lg)
{
    *ret_lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    assert_non_null(*ret_lg);
    libdmr_ctx *ctx = NULL;
    assert_int_equal(libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0,
                                      (xentoollog_logger *)*ret_lg), 0);
    return ctx;
}

static inline void test_ctx_free(libdmr_ctx *ctx, xentoollog_logger_stdiostream *lg)
{
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
}

static inline bool strv_contains(const struct strv *sv, const char *needle)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strstr(sv->v[i], needle))
            return true;
    return false;
}

/* Read a whole file into a NUL-terminated buffer; NULL if it is absent. */
static inline char *test_slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&buf, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(buf);
        return strdup("");
    }
    return buf;
}

#endif
