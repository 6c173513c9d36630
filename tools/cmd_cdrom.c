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
    int status, i = opts_operands(x->cmd, argc, argv, &status);
    return i < 0 ? status : cdrom(x, argv[i], argv[i + 1], argv[i + 2]);
}

int main_cd_eject(struct xl_dmr *x, int argc, char **argv)
{
    int status, i = opts_operands(x->cmd, argc, argv, &status);
    return i < 0 ? status : cdrom(x, argv[i], argv[i + 1], NULL);
}
