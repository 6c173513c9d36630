/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library context and its logging through xentoollog. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int libdmr_ctx_alloc(libdmr_ctx **ret_ctx, int version, unsigned flags,
                     xentoollog_logger *lg)
{
    if (!ret_ctx || !lg)
        return LIBDMR_ERROR_INVAL;
    /* Every failure is logged here, once, so a caller need not repeat it. */
    if (version != LIBDMR_VERSION || flags) {
        xtl_log(lg, XTL_ERROR, -1, "libdmr", "libdmrestrict has API version %d "
                "and no flags; the caller asked for version %d, flags %#x",
                LIBDMR_VERSION, version, flags);
        return version != LIBDMR_VERSION ? LIBDMR_ERROR_VERSION : LIBDMR_ERROR_INVAL;
    }
    const char *env = secure_getenv("XL_DMR_SYSROOT");
    if (env && *env && env[0] != '/') {
        xtl_log(lg, XTL_ERROR, -1, "libdmr", "XL_DMR_SYSROOT must be an "
                "absolute path, not \"%s\"", env);
        return LIBDMR_ERROR_INVAL;
    }
    libdmr_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx) {
        ctx->version = version;
        ctx->lg = lg;
        const char *cache = secure_getenv("XL_DMR_CACHE_DIR");
        snprintf(ctx->cache_dir, sizeof(ctx->cache_dir), "%s",
                 cache ? cache : LIBDMR_CACHE_DIR);
    }
    if (!ctx || libdmr_ctx_set_sysroot(ctx, env && *env ? env : "/")) {
        xtl_log(lg, XTL_ERROR, ENOMEM, "libdmr", "cannot allocate a context");
        libdmr_ctx_free(ctx);
        return LIBDMR_ERROR_NOMEM;
    }
    *ret_ctx = ctx;
    return 0;
}

void libdmr_ctx_free(libdmr_ctx *ctx)
{
    if (!ctx)
        return;
    free(ctx->sysroot);
    free(ctx);
}

int libdmr_ctx_set_sysroot(libdmr_ctx *ctx, const char *sysroot)
{
    if (!ctx || !sysroot || sysroot[0] != '/') {
        if (ctx)
            LOG(ERROR, "sysroot must be an absolute path, not \"%s\"",
                sysroot ? sysroot : "(null)");
        return LIBDMR_ERROR_INVAL;
    }
    char *copy = strdup(sysroot);
    if (!copy)
        return LIBDMR_ERROR_NOMEM;
    /* "/a/b/" and "/a/b" name one root; joining adds the slash back. */
    for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
        copy[n - 1] = '\0';
    free(ctx->sysroot);
    ctx->sysroot = copy;
    return 0;
}

const char *libdmr_ctx_get_sysroot(const libdmr_ctx *ctx)
{
    return ctx ? ctx->sysroot : NULL;
}

const char *libdmr_ctx_last_error(const libdmr_ctx *ctx)
{
    return ctx && ctx->last_error[0] ? ctx->last_error : NULL;
}

/* Keeps errno, as libxl's LOG does: callers log a failure and then return
 * -errno, and the logger (stdio, strerror) may change it meanwhile. */
void libdmr_ctx_log(libdmr_ctx *ctx, xentoollog_level level, int errnoval,
                    uint32_t domid, const char *fmt, ...)
{
    int saved_errno = errno;
    char msg[sizeof(ctx->last_error) - 64];  /* room for ": strerror" */
    int off = 0;
    if (domid != LIBDMR_NO_DOMID)
        off = snprintf(msg, sizeof(msg), "Domain %u: ", domid);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + off, sizeof(msg) - off, fmt, ap);
    va_end(ap);

    if (level >= XTL_ERROR) {
        if (errnoval > 0)
            snprintf(ctx->last_error, sizeof(ctx->last_error), "%s: %s", msg,
                     strerror(errnoval));
        else
            snprintf(ctx->last_error, sizeof(ctx->last_error), "%s", msg);
    }
    xtl_log(ctx->lg, level, errnoval > 0 ? errnoval : -1, "libdmr", "%s", msg);
    errno = saved_errno;
}
