/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of xl.cfg keys (every key Xen 4.17's xl reads, and xl-dmr's
 * own) and what each backend does with a key a cfg sets. Today it has the
 * xen backend's column; the qemu backend's comes with issue 18.
 */
#ifndef XL_CFG_KEYS_H
#define XL_CFG_KEYS_H

#include <libdmrestrict.h>
#include <libxlutil.h>

/* What xl-dmr's xen backend does with a key a cfg sets. */
enum xen_key_use {
    XEN_KEY_REFUSED,     /* not carried to libxl: the plan is refused, naming it */
    XEN_KEY_CARRIED,     /* read by xl-dmr and carried to libxl (or planned) */
    XEN_KEY_ONLY_0,      /* a boolean honoured as 0 only: what libxl gets anyway */
    XEN_KEY_ONLY_1,      /* ... as 1 only */
    XEN_KEY_ONLY_EMPTY,  /* a list of devices (or arguments) honoured empty only */
    XEN_KEY_IGNORED,     /* means nothing for an HVM guest there: a notice */
};

struct xl_cfg_key {
    const char *name;
    enum xen_key_use xen;
};

/* The table, in name order: i < xl_cfg_key_count(). */
size_t xl_cfg_key_count(void);
const struct xl_cfg_key *xl_cfg_key_at(size_t i);

/*
 * Tell the config what the xen backend cannot carry out of the cfg xlu
 * (read from path, with its overrides): the keys it sets that the backend
 * does not pass to libxl (a plan on the xen backend is then refused,
 * naming every one), and those that mean nothing there (a notice). Only a
 * plan on the xen backend is affected.
 */
int xl_cfg_keys_judge(libdmr_ctx *ctx, const XLU_Config *xlu, const char *path,
                      libdmr_config *config);

#endif
