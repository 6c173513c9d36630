/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of xl.cfg keys (every key Xen 4.17's xl reads, and xl-dmr's
 * own) and what each backend does with a key a cfg sets; and the judge
 * that holds a cfg's keys (found by the scanner, xl_cfg_scan.h) against
 * it, so that no key is dropped quietly on either backend.
 */
#ifndef XL_CFG_KEYS_H
#define XL_CFG_KEYS_H

#include <stdio.h>

#include <libdmrestrict.h>
#include <libxlutil.h>

#include "xl_cfg_scan.h"

/* What a backend does with a key a cfg sets. */
enum key_use {
    KEY_REFUSED,     /* the plan on that backend is refused, naming it (and why) */
    KEY_HONOURED,    /* read by xl-dmr and carried out: planned, or passed to libxl */
    KEY_ONLY_0,      /* a boolean honoured as 0 only: what the guest gets anyway */
    KEY_ONLY_1,      /* ... as 1 only */
    KEY_ONLY_EMPTY,  /* a list honoured empty only (it asks for nothing) */
    KEY_NOTICE,      /* meaningless there: named in a notice of the plan */
    KEY_NOT_YET,     /* refused: "not carried by the qemu backend yet" */
};

/* Why the qemu backend refuses a key (or a value) or ignores it with a
 * notice, beyond its default words (WHY_DEFAULT). */
enum key_why {
    WHY_DEFAULT,
    WHY_NOT_YET,         /* refusals */
    WHY_PV_DEVICE,
    WHY_HOST_RESOURCES,
    WHY_ONE_SERIAL,
    WHY_XEN,             /* notices */
    WHY_XEN_SCHEDULER,
    WHY_PV_ONLY,
    WHY_XL_IGNORES,
    WHY_ARM,
    WHY_SDL,
    WHY_SDL_WINDOW,     /* sdl=1 */
    WHY_SPICE,
    WHY_STUBDOM,
    WHY_MIGRATION,
    WHY_HVMLOADER,
    WHY_BIOS_PATH,      /* bios_path_override */
    WHY_SOFT_RESET,     /* on_soft_reset */
    WHY_COUNT,
};

struct xl_cfg_key {
    const char *name;
    enum key_use xen;
    enum key_use qemu;
    enum key_why why;   /* the qemu backend's, for a notice or a refusal */
};

/* The table, in name order: i < xl_cfg_key_count(). */
size_t xl_cfg_key_count(void);
const struct xl_cfg_key *xl_cfg_key_at(size_t i);
const struct xl_cfg_key *xl_cfg_key_find(const char *name);

/* The words a refusal or a notice puts after the keys it names, for a
 * key's why on backend (XEN or QEMU) and use (KEY_REFUSED or KEY_NOTICE). */
const char *xl_cfg_key_why_text(enum libdmr_backend backend, enum key_use use,
                                enum key_why why);

/* kernel= naming hvmloader, which xl ignores with a warning for an HVM guest. */
bool xl_cfg_kernel_is_hvmloader(const char *kernel);

/*
 * Tell the config what each backend cannot carry out of the cfg xlu (read
 * from path with its overrides; scan: the keys they set): the keys a
 * backend refuses (a plan on it is then refused, naming every one, in one
 * line), those that mean nothing there (notices), and each key no table
 * row knows (a notice on both backends, naming it and where it is set).
 */
int xl_cfg_keys_judge(libdmr_ctx *ctx, const XLU_Config *xlu, const struct cfg_scan *scan,
                      const char *path, const char *const *overrides,
                      libdmr_config *config);

/* xl-dmr.cfg(5)'s generated part of KEYS BY BACKEND (xl_cfg_keys_man.c). */
void xl_cfg_keys_print_man(FILE *out);

#endif
