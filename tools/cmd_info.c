/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr info: what xl info's key : value lines say about this host, for
 * device models. */
#include "xl-dmr.h"

int main_info(struct xl_dmr *x, int argc, char **argv)
{
    int status;
    if (opts_operands(x->cmd, argc, argv, &status) < 0)
        return status;
    return EXIT_OK;
}
