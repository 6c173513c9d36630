/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* For tests that plan a pci-attach: xl's spec as the planner's device, its
 * guest_unplug defaulting to the domain's, as libdmr_pci_attach does. */
#ifndef DMR_TEST_PCI_SPEC_H
#define DMR_TEST_PCI_SPEC_H

#include "internal.h"
#include "xl_cfg.h"

static inline int test_pci_spec(libdmr_ctx *ctx, const char *spec, bool domain_default,
                                struct libdmr_pci_dev *ret)
{
    libdmr_pci_addr a;
    int vslot, unplug;
    int rc = xl_pci_spec_parse(ctx, spec, &a, &vslot, &unplug);
    if (!rc)
        *ret = (struct libdmr_pci_dev){
            .domain = a.domain, .bus = a.bus, .dev = a.dev, .func = a.func,
            .has_vslot = vslot > 0, .vslot = vslot > 0 ? (unsigned)vslot : 0,
            .guest_unplug = unplug < 0 ? domain_default : unplug == 1 };
    return rc;
}

#endif
