/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: the spec strings a user gives on the command line and in a
 * cfg's lists: a pci-attach spec ("BDF[@VSLOT][,guest_unplug=...]"), and
 * the same bytes as a pci and as a disk entry of a cfg.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "../lib/pci_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    libdmr_ctx *ctx = fuzz_ctx();
    static char cfg[64];
    if (!cfg[0]) {
        snprintf(cfg, sizeof(cfg), "/tmp/dmr-fuzz-spec-%d.cfg", (int)getpid());
    }
    char *spec = strndup((const char *)data, size);
    if (!spec)
        return 0;
    struct libdmr_pci_dev dev;
    test_pci_spec(ctx, spec, true, &dev);
    /* Inside a cfg list the spec is a quoted string: no quote or newline. */
    if (!strpbrk(spec, "'\n\r\\")) {
        for (int as_disk = 0; as_disk < 2; as_disk++) {
            FILE *f = fopen(cfg, "w");
            if (!f)
                break;
            fprintf(f, "name = \"s\"\ntype = \"hvm\"\n%s = [ '%s' ]\n", as_disk ? "disk" : "pci", spec);
            fclose(f);
            libdmr_config *c = NULL;
            if (xl_config_load(ctx, cfg, NULL, 0, &c) == 0)
                libdmr_config_free(c);
        }
        unlink(cfg);
    }
    free(spec);
    return 0;
}
