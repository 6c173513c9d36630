/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The generated part of xl-dmr.cfg(5), KEYS BY BACKEND: the key table of
 * xl_cfg_keys.c as a tbl(1) table (a row per key: what the xen and the
 * qemu backend do with it), then the qemu backend's reasons, each with the
 * keys (or values) it covers. `make man-keys` writes it into the man page
 * between its BEGIN and END marks; test_xen_keys checks that it is there,
 * so the page and the table cannot drift apart.
 */
#include <stdio.h>

#include "xl_cfg_keys.h"

static const char *use_word(enum key_use use)
{
    switch (use) {
    case KEY_HONOURED:   return "honoured";
    case KEY_ONLY_0:     return "0 only";
    case KEY_ONLY_1:     return "1 only";
    case KEY_ONLY_EMPTY: return "[] only";
    case KEY_NOTICE:     return "notice";
    case KEY_NOT_YET:    return "not yet";
    case KEY_REFUSED:    return "refused";
    }
    return "?";
}

/* The qemu backend's verdict on k when it is not honoured: NOTICE or
 * REFUSED (for a value, with ONLY_*), and the words that say why. */
static const char *qemu_why(const struct xl_cfg_key *k, enum key_use *ret_use)
{
    enum key_why why = k->qemu == KEY_NOT_YET ? WHY_NOT_YET : k->why;
    *ret_use = k->qemu == KEY_NOTICE ? KEY_NOTICE : KEY_REFUSED;
    return xl_cfg_key_why_text(LIBDMR_BACKEND_QEMU, *ret_use, why);
}

/* "apic=0": the value of an ONLY_* key the qemu backend refuses. */
static void print_refused_as(FILE *out, const struct xl_cfg_key *k)
{
    const char *value = k->qemu == KEY_ONLY_0 ? "=1" : k->qemu == KEY_ONLY_1 ? "=0"
                      : k->qemu == KEY_ONLY_EMPTY ? "=[...]" : "";
    fprintf(out, "%s%s", k->name, value);
}

/* One paragraph per reason, in the order of the table. */
static void print_qemu_reasons(FILE *out)
{
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        enum key_use use, other_use;
        if (k->qemu == KEY_HONOURED)
            continue;
        const char *why = qemu_why(k, &use);
        bool first = true;
        for (size_t p = 0; p < i && first; p++) {
            const struct xl_cfg_key *prev = xl_cfg_key_at(p);
            first = prev->qemu == KEY_HONOURED || qemu_why(prev, &other_use) != why;
        }
        if (!first)
            continue;
        fprintf(out, ".TP\n\\fI%s\\fR\n", why);
        for (size_t j = i, n = 0; j < xl_cfg_key_count(); j++) {
            const struct xl_cfg_key *o = xl_cfg_key_at(j);
            if (o->qemu == KEY_HONOURED || qemu_why(o, &other_use) != why)
                continue;
            fprintf(out, "%s", n++ ? ", " : "");
            print_refused_as(out, o);
        }
        fprintf(out, ".\n");
    }
}

void xl_cfg_keys_print_man(FILE *out)
{
    fprintf(out, ".TS\nl l l.\n\\fBKey\\fR\t\\fBxen\\fR\t\\fBqemu\\fR\n_\n");
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        fprintf(out, "%s\t%s\t%s\n", k->name, use_word(k->xen), use_word(k->qemu));
    }
    fprintf(out, ".TE\n.PP\nWhy the qemu backend refuses a key (or a value), or names it in a "
                 "notice:\n");
    print_qemu_reasons(out);
}
