/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the fuzz targets: one quiet context for the whole run. */
#ifndef DMR_FUZZ_H
#define DMR_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static inline libdmr_ctx *fuzz_ctx(void)
{
    static libdmr_ctx *ctx;
    if (!ctx) {
        /* Errors are the point of hostile input: not worth printing. */
        xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
        if (!lg || libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg))
            abort();
    }
    return ctx;
}

#endif
