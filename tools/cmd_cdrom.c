/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr cd-insert / cd-eject, as xl spells them. */
#include <stdio.h>

#include "xl-dmr.h"

static int cdrom(struct xl_dmr *x, const char *dom, const char *vdev, const char *target)
{
    uint32_t domid;
    int rc = libdmr_domain_lookup(x->ctx, dom, &domid);
    if (!rc)
        rc = target ? libdmr_cdrom_insert(x->ctx, NULL, domid, vdev, target)
                    : libdmr_cdrom_eject(x->ctx, NULL, domid, vdev);
    return rc ? EXIT_ERROR : EXIT_OK;
}

int main_cd_insert(struct xl_dmr *x, int argc, char **argv)
{
    if (argc != 4) {
        usage_error("cd-insert", "takes DOMAIN VDEV [raw:]TARGET");
        return EXIT_USAGE;
    }
    return cdrom(x, argv[1], argv[2], argv[3]);
}

int main_cd_eject(struct xl_dmr *x, int argc, char **argv)
{
    if (argc != 3) {
        usage_error("cd-eject", "takes DOMAIN VDEV");
        return EXIT_USAGE;
    }
    return cdrom(x, argv[1], argv[2], NULL);
}
