/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr pci-assignable-add / -remove / -list, as xl spells them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl-dmr.h"

int main_pci_assignable_add(struct xl_dmr *x, int argc, char **argv)
{
    if (argc != 2) {
        usage_error("pci-assignable-add", "takes one BDF");
        return EXIT_USAGE;
    }
    return libdmr_pci_assignable_add(x->ctx, argv[1]) ? EXIT_ERROR : EXIT_OK;
}

int main_pci_assignable_remove(struct xl_dmr *x, int argc, char **argv)
{
    if (argc != 2) {
        usage_error("pci-assignable-remove", "takes one BDF");
        return EXIT_USAGE;
    }
    return libdmr_pci_assignable_remove(x->ctx, argv[1]) ? EXIT_ERROR : EXIT_OK;
}

int main_pci_assignable_list(struct xl_dmr *x, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        usage_error("pci-assignable-list", "takes no arguments");
        return EXIT_USAGE;
    }
    char **bdfs;
    size_t n;
    if (libdmr_pci_assignable_list(x->ctx, &bdfs, &n))
        return EXIT_ERROR;
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", bdfs[i]);
        free(bdfs[i]);
    }
    free(bdfs);
    return EXIT_OK;
}
