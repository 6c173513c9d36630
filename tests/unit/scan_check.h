/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The key scanner (tools/xl_cfg_scan.c) held against libxlutil for one
 * text, by test_cfg_scan and the fuzz_plan target. Where libxlutil parses
 * the text, the scanner must too, and both must agree on which keys it
 * sets: each key scanned is found by libxlutil (xlu_cfg_get_list or
 * _string answers something other than ESRCH), and every name that could
 * be a key (each run of [a-z][._0-9a-z]* in the text, which covers every
 * IDENT token) and every key of the table that is not scanned is ESRCH.
 */
#ifndef DMR_SCAN_CHECK_H
#define DMR_SCAN_CHECK_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxlutil.h>

#include "xl_cfg_keys.h"
#include "xl_cfg_scan.h"

static inline bool scan_check_found_by_libxlutil(XLU_Config *xlu, const char *name)
{
    const char *s;
    return xlu_cfg_get_string(xlu, name, &s, 1) != ESRCH;
}

static inline bool scan_check_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
}

/* Every run [a-z][._0-9a-z]* of text: libxlutil finds it only if scanned. */
static inline bool scan_check_runs(XLU_Config *xlu, const struct cfg_scan *scan,
                                   const char *text, size_t len, char *why, size_t size)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] < 'a' || text[i] > 'z')
            continue;
        size_t n = 1;
        while (i + n < len && scan_check_ident_char(text[i + n]))
            n++;
        char *name = strndup(text + i, n);
        bool missed = name && !xl_cfg_scan_find(scan, name) &&
                      scan_check_found_by_libxlutil(xlu, name);
        if (missed)
            snprintf(why, size, "libxlutil finds \"%s\", the scanner does not", name);
        free(name);
        if (missed)
            return false;
    }
    return true;
}

/*
 * 1: libxlutil refuses the text (nothing to compare); 0: the scanner
 * agrees; -1: it does not, and why says how.
 */
static inline int scan_check(const char *text, size_t len, char *why, size_t size)
{
    FILE *devnull = fopen("/dev/null", "we");
    XLU_Config *xlu = devnull ? xlu_cfg_init(devnull, "scan-check") : NULL;
    if (!xlu)
        abort();
    struct cfg_scan scan = { 0 };
    int result = 0;
    if (xlu_cfg_readdata(xlu, text, (int)len))
        result = 1;
    else if (xl_cfg_scan_text(&scan, text, len, -1)) {
        snprintf(why, size, "libxlutil parses the text, the scanner does not");
        result = -1;
    }
    for (size_t i = 0; !result && i < scan.n; i++)
        if (!scan_check_found_by_libxlutil(xlu, scan.keys[i].name)) {
            snprintf(why, size, "the scanner lists \"%s\", libxlutil does not find it",
                     scan.keys[i].name);
            result = -1;
        }
    for (size_t i = 0; !result && i < xl_cfg_key_count(); i++) {
        const char *name = xl_cfg_key_at(i)->name;
        if (!xl_cfg_scan_find(&scan, name) && scan_check_found_by_libxlutil(xlu, name)) {
            snprintf(why, size, "libxlutil finds table key \"%s\", the scanner does not", name);
            result = -1;
        }
    }
    if (!result && !scan_check_runs(xlu, &scan, text, len, why, size))
        result = -1;
    xl_cfg_scan_clear(&scan);
    xlu_cfg_destroy(xlu);
    fclose(devnull);
    return result;
}

#endif
