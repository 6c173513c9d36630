/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr create: config -> facts -> plan -> a running guest; -n prints the plan. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "xl-dmr.h"
#include "xl_cfg.h"

struct create_opts {
    bool dry_run;
    bool paused;
    bool json;
    bool stop;
    unsigned long domid;     /* 0: lowest free */
    const char *facts_file;
    const char *cfg;
    char **overrides;
    size_t n_overrides;
};

static int fail(struct xl_dmr *x, const struct create_opts *o, int rc)
{
    if (o->json)
        print_json_error(rc, libdmr_ctx_last_error(x->ctx));
    return EXIT_ERROR;
}

enum { OPT_JSON = OPT_LONG_ONLY, OPT_DOMID, OPT_FACTS };

const struct cmd_opt opts_create[] = {
    { 'n', "dryrun", NULL, "print the plan, start nothing (no root needed)" },
    { 'p', "paused", NULL, "leave the guest paused" },
    { OPT_JSON, "json", NULL, "JSON output (the plan with -n, else the domid)" },
    { OPT_DOMID, "domid", "N", "start as domid N (1..32751) instead of the lowest free" },
    { OPT_FACTS, "facts", "FILE", "with -n: plan from the host facts in FILE" },
    { 0 },
};

/* KEY=VALUE overrides are operands: options may come between them. */
static int parse_args(struct xl_dmr *x, int argc, char **argv, struct create_opts *o)
{
    const char *domid = NULL;
    struct opts p;
    int c;
    opts_begin(&p, x->cmd, argc, argv);
    while ((c = opts_next(&p)) > 0) {
        switch (c) {
        case 'n': o->dry_run = true; break;
        case 'p': o->paused = true; break;
        case OPT_JSON: o->json = true; break;
        case OPT_DOMID: domid = p.arg; break;
        case OPT_FACTS: o->facts_file = p.arg; break;
        }
    }
    if (c < 0) {
        o->stop = true;  /* after --help too */
        return p.status;
    }
    if (o->facts_file && !o->dry_run) {
        usage_error("create", "--facts is for -n: a domain starts from this host's facts");
        return EXIT_USAGE;
    }
    if (domid && o->facts_file) {
        usage_error("create", "--domid and --facts do not go together: the facts file holds the domid");
        return EXIT_USAGE;
    }
    o->cfg = argv[p.first];
    o->overrides = argv + p.first + 1;
    o->n_overrides = argc - p.first - 1;
    if (domid) {
        char *end;
        errno = 0;
        o->domid = strtoul(domid, &end, 10);
        if (domid[0] < '0' || domid[0] > '9' || *end || errno || o->domid < 1 || o->domid > 32751) {
            fprintf(stderr, "xl-dmr create: bad --domid \"%s\": must be 1..32751\n", domid);
            if (o->json)
                print_json_error(LIBDMR_ERROR_INVAL, "bad --domid: must be 1..32751");
            return EXIT_ERROR;
        }
    }
    return !o->dry_run && root_missing("create") ? EXIT_ERROR : EXIT_OK;
}

static int print_plan(struct xl_dmr *x, const struct create_opts *o, const libdmr_plan *plan)
{
    char *out = NULL;
    int rc = o->json ? libdmr_plan_to_json(x->ctx, plan, &out)
                     : libdmr_plan_to_text(x->ctx, plan, &out);
    if (rc)
        return fail(x, o, rc);
    fputs(out, stdout);
    if (o->json)
        fputc('\n', stdout);
    free(out);
    return EXIT_OK;
}

int main_create(struct xl_dmr *x, int argc, char **argv)
{
    struct create_opts o = { 0 };
    int status = parse_args(x, argc, argv, &o);
    if (status || o.stop)
        return status;
    libdmr_config *config = NULL;
    libdmr_facts *facts = NULL;
    libdmr_plan *plan = NULL;
    int rc = xl_config_load(x->ctx, o.cfg, (const char *const *)o.overrides,
                            o.n_overrides, &config);
    if (!rc && o.domid)
        rc = libdmr_config_set_domid(x->ctx, config, o.domid);
    if (!rc && o.paused)
        rc = libdmr_config_set_paused(x->ctx, config, true);
    if (!rc && !o.dry_run) {
        /* Facts, plan and launch under one lock, in the library. */
        rc = libdmr_domain_create_config(x->ctx, config, &plan);
        if (rc)
            status = fail(x, &o, rc);
        else if (o.json)
            printf("{\"domid\":%u}\n", libdmr_plan_domid(plan));
        goto out;
    }
    if (!rc)
        rc = o.facts_file ? libdmr_facts_load(x->ctx, o.facts_file, &facts)
                          : libdmr_facts_gather(x->ctx, config, &facts);
    if (!rc)
        rc = libdmr_plan_compute(x->ctx, config, facts, &plan);
    if (rc) {
        status = fail(x, &o, rc);
    } else if (libdmr_plan_refusal(plan, NULL)) {
        libdmr_plan_check(x->ctx, plan);  /* the one error line */
        if (o.json)
            print_plan(x, &o, plan);  /* the plan's {"error":...} object */
        status = EXIT_ERROR;
    } else {
        status = print_plan(x, &o, plan);
    }
out:
    libdmr_plan_free(plan);
    libdmr_facts_free(facts);
    libdmr_config_free(config);
    return status;
}
