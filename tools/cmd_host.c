/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr host check / host setup: is this host fit for restricted device
 * models, and the users it needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl-dmr.h"

static int host_check(struct xl_dmr *x)
{
    libdmr_host_report *r;
    if (libdmr_host_check(x->ctx, &r))
        return EXIT_ERROR;
    static const char *const words[] = { "ok", "warn", "FAIL" };
    for (size_t i = 0; i < libdmr_host_report_count(r); i++) {
        const char *name, *detail, *fix;
        int status;
        libdmr_host_report_item(r, i, &name, &status, &detail, &fix);
        printf("%-5s %-23s %s\n", words[status], name, detail);
        if (fix)
            printf("%-5s %-23s fix: %s\n", "", "", fix);
    }
    bool failed = libdmr_host_report_failed(r);
    libdmr_host_report_free(r);
    return failed ? EXIT_CHECK_FAILED : EXIT_OK;
}

static int host_setup(struct xl_dmr *x, bool dry_run)
{
    char **lines;
    size_t n;
    int rc = libdmr_host_setup(x->ctx, dry_run, &lines, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        printf("%s\n", lines[i]);
        free(lines[i]);
    }
    if (!rc)
        free(lines);
    return rc ? EXIT_ERROR : EXIT_OK;
}

const struct cmd_opt opts_host[] = {
    { 'n', "dry-run", NULL, "setup: say what it would do, do nothing (no root needed)" },
    { 0 },
};

int main_host(struct xl_dmr *x, int argc, char **argv)
{
    bool dry_run = false;
    struct opts p;
    int c;
    opts_begin(&p, x->cmd, argc, argv);
    while ((c = opts_next(&p)) > 0)
        dry_run = true;
    if (c < 0)
        return p.status;
    const char *what = argv[p.first];
    if (!strcmp(what, "check") && !dry_run)
        return host_check(x);
    if (!strcmp(what, "setup"))
        return !dry_run && root_missing("host setup") ? EXIT_ERROR : host_setup(x, dry_run);
    usage_error("host", "takes check, or setup [--dry-run]");
    return EXIT_USAGE;
}
