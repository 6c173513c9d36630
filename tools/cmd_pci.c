/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr pci-assignable-add / -remove / -list, as xl spells them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl-dmr.h"
#include "xl_cfg.h"

int main_pci_assignable_add(struct xl_dmr *x, int argc, char **argv)
{
    if (argc != 2) {
        usage_error("pci-assignable-add", "takes one BDF");
        return EXIT_USAGE;
    }
    libdmr_pci_addr dev;
    return xl_bdf_parse(x->ctx, argv[1], &dev) || libdmr_pci_assignable_add(x->ctx, &dev)
               ? EXIT_ERROR : EXIT_OK;
}

int main_pci_assignable_remove(struct xl_dmr *x, int argc, char **argv)
{
    if (argc != 2) {
        usage_error("pci-assignable-remove", "takes one BDF");
        return EXIT_USAGE;
    }
    libdmr_pci_addr dev;
    return xl_bdf_parse(x->ctx, argv[1], &dev) || libdmr_pci_assignable_remove(x->ctx, &dev)
               ? EXIT_ERROR : EXIT_OK;
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

static int pci_hotplug(struct xl_dmr *x, const char *cmd, int argc, char **argv)
{
    if (argc != 3) {
        usage_error(cmd, "takes DOMAIN and %s", !strcmp(cmd, "pci-attach")
                    ? "BDF[@VSLOT][,guest_unplug=0|1]" : "BDF");
        return EXIT_USAGE;
    }
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
    if (argc != 2) {
        usage_error("pci-list", "takes DOMAIN");
        return EXIT_USAGE;
    }
    uint32_t domid;
    libdmr_pci_info *list;
    size_t n;
    if (libdmr_domain_lookup(x->ctx, argv[1], &domid) ||
        libdmr_pci_list(x->ctx, domid, &list, &n))
        return EXIT_ERROR;
    printf("%-8s %-13s %-10s %-7s %-12s %s\n", "Vdev", "Device", "Id", "Bus",
           "Guest-unplug", "Hotplugged");
    for (size_t i = 0; i < n; i++)
        printf("%-8s %-13s %-10s %-7s %-12s %s\n", list[i].vdev, list[i].bdf, list[i].id,
               list[i].bus, list[i].guest_unplug ? "yes" : "no",
               list[i].hotplugged ? "yes" : "no");
    free(list);
    return EXIT_OK;
}
