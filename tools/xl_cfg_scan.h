/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The keys an xl.cfg sets. libxlutil answers for a key asked by name but
 * cannot list what a file sets, so a key nobody asks for (a typing
 * mistake, or a key a backend does not read) would pass unseen. This
 * scanner follows the grammar of Xen 4.17's libxlutil (libxlu_cfg_l.l,
 * libxlu_cfg_y.y) only as far as finding each assignment's key; the
 * values are libxlutil's to read. tests/unit/test_cfg_scan.c and the
 * fuzz_plan target hold it against libxlutil.
 */
#ifndef XL_CFG_SCAN_H
#define XL_CFG_SCAN_H

#include <stddef.h>

/* A key a cfg sets, and where it was set last: a line of the file
 * (override -1) or the KEY=VALUE override with that index. */
struct cfg_key_set {
    char *name;
    int line;
    int override;
};

/* The keys, each once, in the order they were first set. */
struct cfg_scan {
    struct cfg_key_set *keys;
    size_t n;
};

/*
 * Add the keys text (len bytes, no NUL) sets to scan; override is -1 for
 * the file, else the override's index. 0, -EINVAL for text outside
 * libxlutil's grammar (which libxlutil refuses too; scan is left as it
 * was) or -ENOMEM (scan may hold some of text's keys).
 */
int xl_cfg_scan_text(struct cfg_scan *scan, const char *text, size_t len, int override);

/* The key called name, or NULL if the text scanned does not set it. */
const struct cfg_key_set *xl_cfg_scan_find(const struct cfg_scan *scan, const char *name);

void xl_cfg_scan_clear(struct cfg_scan *scan);

#endif
