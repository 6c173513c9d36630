/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What xl-dmr's xen backend does with the xl.cfg keys a cfg sets
 * (tools/xl_cfg_keys.c's table): a key it does not carry to libxl refuses
 * the plan on the xen backend, naming every such key; a key that means
 * nothing for an HVM guest there is named in a notice; the qemu backend's
 * plan is not affected. And serial="pty": planned on the xen backend
 * only, so that the audit accepts the pty qemu-xen opens itself.
 */
#include <stdlib.h>
#include <unistd.h>

#include "launch.h"
#include "testutil.h"
#include "xl_cfg.h"
#include "xl_cfg_keys.h"

#define REFUSAL_TAIL "not carried by xl-dmr's xen backend; use xl create " \
                     "(with the libdmrestrict patches) for this config"
#define NOTICE_TAIL "ignored, meaningless for an HVM guest on xl-dmr's xen backend"

struct env {
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx;
    char path[64];
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    e->ctx = test_ctx(&e->lg);
    strcpy(e->path, "/tmp/dmr-keys-XXXXXX.cfg");
    int fd = mkstemps(e->path, 4);
    assert_true(fd >= 0);
    close(fd);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    unlink(e->path);
    test_ctx_free(e->ctx, e->lg);
    free(e);
    return 0;
}

/* The plan for cfg text on the host tests/unit/plans/FACTS.facts describes. */
static libdmr_plan *plan_of(struct env *e, const char *text, const char *facts_name)
{
    FILE *f = fopen(e->path, "we");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char facts_path[4096];
    snprintf(facts_path, sizeof(facts_path), "%s/tests/unit/plans/%s.facts",
             getenv("srcdir") ? getenv("srcdir") : ".", facts_name);
    char *facts_json = test_slurp(facts_path);
    assert_non_null(facts_json);
    libdmr_config *c = NULL;
    libdmr_facts *facts = NULL;
    libdmr_plan *plan = NULL;
    assert_int_equal(xl_config_load(e->ctx, e->path, NULL, 0, &c), 0);
    assert_int_equal(libdmr_facts_from_json(e->ctx, facts_json, &facts), 0);
    assert_int_equal(libdmr_plan_compute(e->ctx, c, facts, &plan), 0);
    libdmr_facts_free(facts);
    libdmr_config_free(c);
    free(facts_json);
    return plan;
}

/* A value xl-dmr's own reading accepts, and that the xen backend does not
 * honour: the other value of a boolean it honours only as 0 or 1. */
static const char *unhonoured_value(const struct xl_cfg_key *k)
{
    if (k->xen == XEN_KEY_ONLY_0)
        return "1";
    if (k->xen == XEN_KEY_ONLY_1)
        return "0";
    if (k->xen == XEN_KEY_ONLY_EMPTY)
        return "[ \"x\" ]";
    if (!strcmp(k->name, "kernel") || !strcmp(k->name, "ramdisk"))
        return "\"/boot/x\"";  /* xl-dmr checks these: absolute paths */
    return "\"x\"";
}

static bool refused_on_xen(const struct xl_cfg_key *k)
{
    return k->xen == XEN_KEY_REFUSED || k->xen == XEN_KEY_ONLY_0 || k->xen == XEN_KEY_ONLY_1 ||
           k->xen == XEN_KEY_ONLY_EMPTY;
}

/* "name=...\n" for every key of the table that pick() chooses, and the
 * list "a, b, c" the refusal or the notice must name, in table order. */
static void cfg_with(bool (*pick)(const struct xl_cfg_key *), char **ret_cfg, char **ret_names)
{
    char *cfg = NULL, *names = NULL;
    size_t cfg_len = 0, names_len = 0;
    FILE *c = open_memstream(&cfg, &cfg_len), *n = open_memstream(&names, &names_len);
    bool first = true;
    fprintf(c, "name = \"keys1\"\ndm_backend = \"xen\"\n");
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        if (!pick(k))
            continue;
        /* machine, accel and on_* are read by xl-dmr: values it accepts. */
        const char *value = !strcmp(k->name, "machine") ? "\"pc\""
                          : !strcmp(k->name, "accel") ? "\"tcg\""
                          : !strncmp(k->name, "on_", 3) && strcmp(k->name, "on_watchdog")
                              ? "\"preserve\"" : unhonoured_value(k);
        fprintf(c, "%s = %s\n", k->name, value);
        fprintf(n, "%s%s", first ? "" : ", ", k->name);
        first = false;
    }
    fclose(c);
    fclose(n);
    *ret_cfg = cfg;
    *ret_names = names;
}

static void test_table_in_name_order_each_once(void **state)
{
    (void)state;
    assert_true(xl_cfg_key_count() > 150);  /* xl 4.17 reads 158 keys */
    for (size_t i = 1; i < xl_cfg_key_count(); i++)
        assert_true(strcmp(xl_cfg_key_at(i - 1)->name, xl_cfg_key_at(i)->name) < 0);
    assert_null(xl_cfg_key_at(xl_cfg_key_count()));
}

/* "a, b, c." of the table's keys the xen backend takes as use. */
static char *names_of(enum xen_key_use use)
{
    char *names = NULL;
    size_t len = 0;
    FILE *n = open_memstream(&names, &len);
    bool first = true;
    for (size_t i = 0; i < xl_cfg_key_count(); i++)
        if (xl_cfg_key_at(i)->xen == use) {
            fprintf(n, "%s%s", first ? "" : ", ", xl_cfg_key_at(i)->name);
            first = false;
        }
    fputc('.', n);
    fclose(n);
    return names;
}

/* xl-dmr.cfg(5), KEYS BY BACKEND: each list is the table's, word for word. */
static void test_man_page_lists_the_table(void **state)
{
    (void)state;
    static const struct { const char *heading; enum xen_key_use use; } lists[] = {
        { ".B Carried to libxl (or planned)\n", XEN_KEY_CARRIED },
        { ".B Accepted as 0 only\n", XEN_KEY_ONLY_0 },
        { ".B Accepted as 1 only\n", XEN_KEY_ONLY_1 },
        { ".B Accepted as an empty list only\n", XEN_KEY_ONLY_EMPTY },
        { ".B Ignored, with a notice\n", XEN_KEY_IGNORED },
        { ".B Refused\n", XEN_KEY_REFUSED },
    };
    char path[4096];
    snprintf(path, sizeof(path), "%s/docs/xl-dmr.cfg.5", getenv("srcdir") ? getenv("srcdir") : ".");
    char *man = test_slurp(path);
    assert_non_null(man);
    for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
        const char *at = strstr(man, lists[i].heading);
        assert_non_null(at);
        at += strlen(lists[i].heading);
        char *want = names_of(lists[i].use);
        size_t len = strcspn(at, "\n");
        if (len != strlen(want) || strncmp(at, want, len))
            print_message("xl-dmr.cfg.5 after %s  has: %.*s\n  table: %s\n", lists[i].heading,
                          (int)len, at, want);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(at, want, len);
        free(want);
    }
    free(man);
}

static void test_every_key_not_carried_is_named(void **state)
{
    struct env *e = *state;
    char *cfg, *names, *want;
    cfg_with(refused_on_xen, &cfg, &names);
    assert_true(asprintf(&want, "%s: %s: " REFUSAL_TAIL, e->path, names) > 0);
    libdmr_plan *plan = plan_of(e, cfg, "xen-range");
    const char *reason = NULL;
    assert_int_equal(libdmr_plan_refusal(plan, &reason), LIBDMR_ERROR_NI);
    assert_string_equal(reason, want);
    assert_null(strchr(reason, '\n'));  /* one line */
    /* The one error line, for people and for --json callers alike. */
    char *json = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_non_null(strstr(json, "{\"error\":{\"code\":\"NI\""));
    free(json);
    libdmr_plan_free(plan);
    free(want);
    free(names);
    free(cfg);
}

static void test_one_key_named_alone(void **state)
{
    struct env *e = *state;
    libdmr_plan *plan = plan_of(e, "name = \"k\"\ndm_backend = \"xen\"\nvif = [ 'bridge=xenbr0' ]\n"
                                   "vnc = 1\nacpi = 1\nserial = \"pty\"\n", "xen-range");
    const char *reason = NULL;
    char *want;
    assert_true(asprintf(&want, "%s: vif, vnc: " REFUSAL_TAIL, e->path) > 0);
    assert_int_equal(libdmr_plan_refusal(plan, &reason), LIBDMR_ERROR_NI);
    assert_string_equal(reason, want);
    free(want);
    libdmr_plan_free(plan);
}

/* Every key it carries, every boolean with the value libxl gets anyway,
 * every list of devices empty. */
static void test_carried_and_honoured_values_plan(void **state)
{
    struct env *e = *state;
    char *cfg = NULL;
    size_t len = 0;
    FILE *c = open_memstream(&cfg, &len);
    fprintf(c, "name = \"k\"\ntype = \"hvm\"\nbuilder = \"hvm\"\nmemory = 256\nvcpus = 2\n"
               "dm_restrict = 1\ndevice_model_version = \"qemu-xen\"\n"
               "device_model_override = \"/usr/libexec/xen-qemu-system-i386\"\n"
               "serial = \"pty\"\nboot = \"dc\"\ndisk = [ '/srv/xl-dmr/disk.img,raw,xvda,rw' ]\n"
               "dm_backend = \"xen\"\npci_guest_unplug = 1\npci_hotplug_ports = 0\n");
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        if (k->xen == XEN_KEY_ONLY_0 || k->xen == XEN_KEY_ONLY_1)
            fprintf(c, "%s = %d\n", k->name, k->xen == XEN_KEY_ONLY_1);
        if (k->xen == XEN_KEY_ONLY_EMPTY)
            fprintf(c, "%s = []\n", k->name);
    }
    fclose(c);
    libdmr_plan *plan = plan_of(e, cfg, "xen-range");
    const char *reason = NULL;
    if (libdmr_plan_refusal(plan, &reason))
        print_message("refused: %s\n", reason);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    for (size_t i = 0; i < libdmr_plan_notice_count(plan); i++)
        assert_null(strstr(libdmr_plan_notice(plan, i), NOTICE_TAIL));
    libdmr_plan_free(plan);
    free(cfg);
}

static bool ignored_on_xen(const struct xl_cfg_key *k)
{
    return k->xen == XEN_KEY_IGNORED;
}

static void test_ignored_keys_named_in_a_notice(void **state)
{
    struct env *e = *state;
    char *cfg, *names, *want;
    cfg_with(ignored_on_xen, &cfg, &names);
    assert_true(asprintf(&want, "%s: %s: " NOTICE_TAIL, e->path, names) > 0);
    libdmr_plan *plan = plan_of(e, cfg, "xen-range");
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    assert_true(libdmr_plan_notice_count(plan) >= 1);
    assert_string_equal(libdmr_plan_notice(plan, 0), want);
    char *text = NULL;
    assert_int_equal(libdmr_plan_to_text(e->ctx, plan, &text), 0);
    assert_non_null(strstr(text, "Notice: "));
    assert_non_null(strstr(text, want));
    free(text);
    libdmr_plan_free(plan);
    free(want);
    free(names);
    free(cfg);
}

/* The qemu backend's behaviour is its own (issue 18): no refusal and no
 * notice of the xen backend's. */
static void test_qemu_backend_unaffected(void **state)
{
    struct env *e = *state;
    libdmr_plan *plan = plan_of(e, "name = \"k\"\ndm_backend = \"qemu\"\nvif = [ 'bridge=xenbr0' ]\n"
                                   "vnc = 1\nbootloader = \"pygrub\"\nserial = \"pty\"\n",
                                "range-q35-disks");
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    for (size_t i = 0; i < libdmr_plan_notice_count(plan); i++)
        assert_null(strstr(libdmr_plan_notice(plan, i), "xen backend"));
    assert_false(plan->serial_pty);   /* its serial port goes to the log */
    libdmr_plan_free(plan);
}

/* serial="pty" on the xen backend: the plan says so (JSON, text) and the
 * state's audit expectations keep it; any other serial does not. */
static void test_serial_pty_planned(void **state)
{
    struct env *e = *state;
    libdmr_plan *plan = plan_of(e, "name = \"k\"\ndm_backend = \"xen\"\nserial = \"pty\"\n",
                                "xen-range");
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    assert_true(plan->serial_pty);
    char *json = NULL, *text = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_non_null(strstr(json, "\"serial_pty\":true"));
    assert_int_equal(libdmr_plan_to_text(e->ctx, plan, &text), 0);
    assert_non_null(strstr(text, "Serial: a pty QEMU opens itself (/dev/ptmx"));
    struct dm_state s = { 0 };
    assert_int_equal(state_expect_from_plan(&s, plan), 0);
    assert_true(s.serial_pty);
    state_clear(&s);
    free(json);
    free(text);
    libdmr_plan_free(plan);

    plan = plan_of(e, "name = \"k\"\ndm_backend = \"xen\"\nserial = \"file:/tmp/k.serial\"\n",
                   "xen-range");
    assert_false(plan->serial_pty);
    libdmr_plan_free(plan);
    plan = plan_of(e, "name = \"k\"\ndm_backend = \"xen\"\n", "xen-range");
    assert_false(plan->serial_pty);
    libdmr_plan_free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_in_name_order_each_once),
        cmocka_unit_test(test_man_page_lists_the_table),
        cmocka_unit_test_setup_teardown(test_every_key_not_carried_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_key_named_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_and_honoured_values_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignored_keys_named_in_a_notice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_backend_unaffected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_pty_planned, setup, teardown),
    };
    return cmocka_run_group_tests_name("xen backend keys", tests, NULL, NULL);
}
