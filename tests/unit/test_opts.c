/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl-dmr's subcommand options (tools/opts.c): GNU permutation, so options
 * may follow the operands; -- ends them; -h/--help anywhere; a missing
 * argument, an unknown option and a wrong operand count are usage errors
 * (exit 2); and a second parse in the same process starts clean (optind).
 * Usage errors are counted by a usage_error of the test's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xl-dmr.h"

static int usage_errors;
static char last_error[256];

void usage_error(const char *cmd, const char *fmt, ...)
{
    (void)cmd;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof(last_error), fmt, ap);
    va_end(ap);
    usage_errors++;
}

enum { OPT_JSON = OPT_LONG_ONLY, OPT_DOMID };
static const struct cmd_opt test_opts[] = {
    { 'n', "dryrun", NULL, "dry run" },
    { OPT_JSON, "json", NULL, "json" },
    { OPT_DOMID, "domid", "N", "domid" },
    { 0 },
};
static const struct command create_cmd = { "create", NULL, "CFG [KEY=VALUE...]", 1, -1,
                                            test_opts, false, "test" };
static const struct command one_cmd = { "destroy", NULL, "DOMAIN", 1, 1, NULL, false, "test" };

struct parsed {
    int rc;          /* opts_next's last: 0 done, -1 stopped */
    int status;
    bool dry_run, json;
    const char *domid;
    char operands[256];
};

static struct parsed parse(const struct command *cmd, int argc, const char **argv_in)
{
    char *argv[16];
    memcpy(argv, argv_in, argc * sizeof(*argv));
    struct parsed r = { 0 };
    struct opts o;
    int c;
    usage_errors = 0;
    opts_begin(&o, cmd, argc, argv);
    while ((c = opts_next(&o)) > 0) {
        r.dry_run |= c == 'n';
        r.json |= c == OPT_JSON;
        if (c == OPT_DOMID)
            r.domid = o.arg;
    }
    r.rc = c;
    r.status = o.status;
    for (int i = o.first; !c && i < argc; i++) {
        strcat(r.operands, argv[i]);
        strcat(r.operands, i + 1 < argc ? " " : "");
    }
    return r;
}
#define PARSE(cmd, ...) parse(cmd, sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *), \
                              (const char *[]){ __VA_ARGS__ })

static void options_after_operands(void **state)
{
    (void)state;
    struct parsed r = PARSE(&create_cmd, "create", "a.cfg", "-n", "memory=48", "--json",
                            "--domid", "5", "vcpus=2");
    assert_int_equal(r.rc, 0);
    assert_true(r.dry_run && r.json);
    assert_string_equal(r.domid, "5");
    assert_string_equal(r.operands, "a.cfg memory=48 vcpus=2");
}

static void double_dash_ends_options(void **state)
{
    (void)state;
    struct parsed r = PARSE(&create_cmd, "create", "-n", "--", "-a.cfg", "--json");
    assert_int_equal(r.rc, 0);
    assert_true(r.dry_run);
    assert_false(r.json);
    assert_string_equal(r.operands, "-a.cfg --json");
}

static void help_anywhere(void **state)
{
    (void)state;
    struct parsed r = PARSE(&one_cmd, "destroy", "dom", "--help");
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.status, EXIT_OK);
    assert_int_equal(usage_errors, 0);
    r = PARSE(&one_cmd, "destroy", "-h");
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.status, EXIT_OK);
}

static void usage_errors_exit_2(void **state)
{
    (void)state;
    struct parsed r = PARSE(&create_cmd, "create", "a.cfg", "--domid");
    assert_int_equal(r.status, EXIT_USAGE);
    assert_string_equal(last_error, "option --domid needs an argument");
    r = PARSE(&create_cmd, "create", "a.cfg", "-q");
    assert_int_equal(r.status, EXIT_USAGE);
    assert_string_equal(last_error, "unknown option -q");
    r = PARSE(&create_cmd, "create", "--frob", "a.cfg");
    assert_int_equal(r.status, EXIT_USAGE);
    assert_string_equal(last_error, "unknown option --frob");
    r = PARSE(&create_cmd, "create", "-n");
    assert_int_equal(r.status, EXIT_USAGE);
    assert_string_equal(last_error, "takes CFG [KEY=VALUE...]");
    r = PARSE(&one_cmd, "destroy", "a", "b");
    assert_int_equal(r.status, EXIT_USAGE);
    assert_string_equal(last_error, "too many arguments (\"b\"): takes DOMAIN");
    assert_int_equal(usage_errors, 1);
}

/* A parse that stopped inside a cluster of short options (-hn: --help
 * ends it) leaves glibc's cursor on the n; the next parse must not
 * continue from it, as it would after optind = 1. */
static void second_parse_starts_clean(void **state)
{
    (void)state;
    struct parsed r = PARSE(&create_cmd, "create", "-hn", "a.cfg");
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.status, EXIT_OK);
    r = PARSE(&create_cmd, "create", "b.cfg", "--json");
    assert_int_equal(r.rc, 0);
    assert_false(r.dry_run);
    assert_true(r.json);
    assert_string_equal(r.operands, "b.cfg");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_after_operands),
        cmocka_unit_test(double_dash_ends_options),
        cmocka_unit_test(help_anywhere),
        cmocka_unit_test(usage_errors_exit_2),
        cmocka_unit_test(second_parse_starts_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
