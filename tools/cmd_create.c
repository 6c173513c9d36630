/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xl-dmr create: config -> facts -> plan -> a running guest; -n prints the plan. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

static int parse_args(int argc, char **argv, struct create_opts *o)
{
    static const struct option longopts[] = {
        { "dryrun", no_argument, NULL, 'n' },
        { "paused", no_argument, NULL, 'p' },
        { "json", no_argument, NULL, 'j' },
        { "domid", required_argument, NULL, 'd' },
        { "facts", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *domid = NULL;
    int c;
    optind = 1;
    opterr = 0;  /* one line of our own instead of getopt's */
    while ((c = getopt_long(argc, argv, "+nph", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': o->dry_run = true; break;
        case 'p': o->paused = true; break;
        case 'j': o->json = true; break;
        case 'd': domid = optarg; break;
        case 'f': o->facts_file = optarg; break;
        case 'h':
            printf("Usage: xl-dmr create [-n] [-p] [--json] [--domid N] [--facts FILE] CFG [KEY=VALUE...]\n");
            exit(EXIT_OK);
        default:
            usage_error("create", "unknown option or missing argument: %s", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage_error("create", "no config file given");
        return EXIT_USAGE;
    }
    if (o->facts_file && !o->dry_run) {
        usage_error("create", "--facts is for -n: a domain starts from this host's facts");
        return EXIT_USAGE;
    }
    if (domid && o->facts_file) {
        usage_error("create", "--domid and --facts do not go together: the facts file holds the domid");
        return EXIT_USAGE;
    }
    o->cfg = argv[optind];
    o->overrides = argv + optind + 1;
    o->n_overrides = argc - optind - 1;
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
    return EXIT_OK;
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
    int status = parse_args(argc, argv, &o);
    if (status)
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
