/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl syntax, read with libxlutil, into libdmrestrict's toolstack-neutral
 * calls: an xl.cfg (with xl create's KEY=VALUE overrides), a pci-attach
 * spec, a BDF. The library itself never sees xl syntax.
 */
#ifndef XL_CFG_H
#define XL_CFG_H

#include <libdmrestrict.h>

/* Log through the context (its last error too), as the library does. */
#define XLOG(ctx, level, fmt, ...) \
    libdmr_ctx_log(ctx, XTL_##level, -1, LIBDMR_NO_DOMID, fmt, ##__VA_ARGS__)
#define XLOGE(ctx, level, fmt, ...) \
    libdmr_ctx_log(ctx, XTL_##level, errno, LIBDMR_NO_DOMID, fmt, ##__VA_ARGS__)
#define XLOGD(ctx, level, domid, fmt, ...) \
    libdmr_ctx_log(ctx, XTL_##level, -1, domid, fmt, ##__VA_ARGS__)
#define XLOGED(ctx, level, domid, fmt, ...) \
    libdmr_ctx_log(ctx, XTL_##level, errno, domid, fmt, ##__VA_ARGS__)

/*
 * Read an xl.cfg file. overrides are xl create's trailing KEY=VALUE
 * strings (xl syntax: name="x"); each is applied after the file, so the
 * last setting wins, as in xl. Every error is one logged line naming the
 * file and line (or the override).
 */
int xl_config_load(libdmr_ctx *ctx, const char *path, const char *const *overrides,
                   size_t n_overrides, libdmr_config **ret_config);

/* One "BDF[@VSLOT][,guest_unplug=0|1][,...]" spec, as pci-attach gets it:
 * the device, its vslot (-1: none) and guest_unplug (-1: not given). */
int xl_pci_spec_parse(libdmr_ctx *ctx, const char *spec, libdmr_pci_addr *ret_dev,
                      int *ret_vslot, int *ret_guest_unplug);

/* "[DDDD:]BB:DD.F" and nothing else (pci-detach, pci-assignable-*). */
int xl_bdf_parse(libdmr_ctx *ctx, const char *bdf, libdmr_pci_addr *ret_dev);

#endif
