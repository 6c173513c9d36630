/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr dm-audit: is the running device model restricted as planned? */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl-dmr.h"

static void print_table(const libdmr_audit *a)
{
    for (size_t i = 0; i < libdmr_audit_count(a); i++) {
        const char *name, *detail;
        bool ok;
        libdmr_audit_check(a, i, &name, &ok, &detail);
        printf("%-4s %-16s %s\n", ok ? "ok" : "FAIL", name, detail);
    }
}

const struct cmd_opt opts_dm_audit[] = {
    { OPT_LONG_ONLY, "json", NULL, "the checks as JSON" },
    { 0 },
};

int main_dm_audit(struct xl_dmr *x, int argc, char **argv)
{
    bool json = false;
    struct opts p;
    int c;
    opts_begin(&p, x->cmd, argc, argv);
    while ((c = opts_next(&p)) > 0)
        json = true;
    if (c < 0)
        return p.status;
    uint32_t domid;
    libdmr_audit *a = NULL;
    int rc = libdmr_domain_lookup(x->ctx, argv[p.first], &domid);
    if (!rc)
        rc = libdmr_dm_audit(x->ctx, domid, &a);
    if (rc) {
        if (json)
            print_json_error(rc, libdmr_ctx_last_error(x->ctx));
        return EXIT_ERROR;
    }
    char *text = NULL;
    if (json && !libdmr_audit_to_json(x->ctx, a, &text))
        printf("%s\n", text);
    else if (!json)
        print_table(a);
    free(text);
    bool passed = libdmr_audit_passed(a);
    libdmr_audit_free(a);
    return passed ? EXIT_OK : EXIT_CHECK_FAILED;
}
