/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr pci-assignable-add / -remove / -list, as xl spells them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl-dmr.h"
#include "xl_cfg.h"

int main_pci_assignable_add(struct xl_dmr *x, int argc, char **argv)
{
    int status, i = opts_operands(x->cmd, argc, argv, &status);
    if (i < 0)
        return status;
    libdmr_pci_addr dev;
    return xl_bdf_parse(x->ctx, argv[i], &dev) || libdmr_pci_assignable_add(x->ctx, &dev)
               ? EXIT_ERROR : EXIT_OK;
}

int main_pci_assignable_remove(struct xl_dmr *x, int argc, char **argv)
{
    int status, i = opts_operands(x->cmd, argc, argv, &status);
    if (i < 0)
        return status;
    libdmr_pci_addr dev;
    return xl_bdf_parse(x->ctx, argv[i], &dev) || libdmr_pci_assignable_remove(x->ctx, &dev)
               ? EXIT_ERROR : EXIT_OK;
}

int main_pci_assignable_list(struct xl_dmr *x, int argc, char **argv)
{
    int status;
    if (opts_operands(x->cmd, argc, argv, &status) < 0)
        return status;
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

static int pci_hotplug(struct xl_dmr *x, const char *cmd, int argc, char **argv)
{
    int status, i = opts_operands(x->cmd, argc, argv, &status);
    if (i < 0)
        return status;
    argv += i - 1;  /* the operands at argv[1], argv[2] */
    uint32_t domid;
    libdmr_pci_addr dev;
    int vslot = -1, guest_unplug = -1;
    bool attach = !strcmp(cmd, "pci-attach");
    int rc = libdmr_domain_lookup(x->ctx, argv[1], &domid);
    /* As xl: both take a pci spec; detach goes by its address alone. */
    if (!rc)
        rc = xl_pci_spec_parse(x->ctx, argv[2], &dev, &vslot, &guest_unplug);
    if (!rc)
        rc = attach ? libdmr_pci_attach(x->ctx, domid, &dev, vslot, guest_unplug)
                    : libdmr_pci_detach(x->ctx, domid, &dev);
    return rc ? EXIT_ERROR : EXIT_OK;
}

int main_pci_attach(struct xl_dmr *x, int argc, char **argv)
{
    return pci_hotplug(x, "pci-attach", argc, argv);
}

int main_pci_detach(struct xl_dmr *x, int argc, char **argv)
{
    return pci_hotplug(x, "pci-detach", argc, argv);
}

/* As xl pci-list: the guest's address and the host's, then ours. */
int main_pci_list(struct xl_dmr *x, int argc, char **argv)
{
    int status, i = opts_operands(x->cmd, argc, argv, &status);
    if (i < 0)
        return status;
    uint32_t domid;
    libdmr_pci_info *list;
    size_t n;
    if (libdmr_domain_lookup(x->ctx, argv[i], &domid) ||
        libdmr_pci_list(x->ctx, domid, &list, &n))
        return EXIT_ERROR;
    printf("%-8s %-13s %-10s %-7s %-12s %s\n", "Vdev", "Device", "Id", "Bus",
           "Guest-unplug", "Hotplugged");
    for (size_t k = 0; k < n; k++)
        printf("%-8s %-13s %-10s %-7s %-12s %s\n", list[k].vdev, list[k].bdf, list[k].id,
               list[k].bus, list[k].guest_unplug ? "yes" : "no",
               list[k].hotplugged ? "yes" : "no");
    free(list);
    return EXIT_OK;
}
