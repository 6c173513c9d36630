/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg-keys-print --man | --tsv: the key table of tools/xl_cfg_keys.c, as
 * the generated part of xl-dmr.cfg(5) (make man-keys) or as lines
 * "KEY<TAB>XEN<TAB>QEMU" with the enum's words (HONOURED, ONLY_0, ...) for
 * the tests that go through every key (test_cfg_keys.sh).
 */
#include <stdio.h>
#include <string.h>

#include "xl_cfg_keys.h"

static const char *const use_names[] = {
    [KEY_REFUSED] = "REFUSED", [KEY_HONOURED] = "HONOURED", [KEY_ONLY_0] = "ONLY_0",
    [KEY_ONLY_1] = "ONLY_1", [KEY_ONLY_EMPTY] = "ONLY_EMPTY", [KEY_NOTICE] = "NOTICE",
    [KEY_NOT_YET] = "NOT_YET",
};

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--man")) {
        xl_cfg_keys_print_man(stdout);
        return fflush(stdout) ? 1 : 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--tsv")) {
        for (size_t i = 0; i < xl_cfg_key_count(); i++) {
            const struct xl_cfg_key *k = xl_cfg_key_at(i);
            printf("%s\t%s\t%s\n", k->name, use_names[k->xen], use_names[k->qemu]);
        }
        return fflush(stdout) ? 1 : 0;
    }
    fprintf(stderr, "usage: cfg-keys-print --man | --tsv\n");
    return 2;
}
