/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What xl-dmr's xen backend does with the xl.cfg keys a cfg sets
 * (tools/xl_cfg_keys.c's table): a key it does not carry to libxl refuses
 * the plan on the xen backend, naming every such key; a key that means
 * nothing for an HVM guest there is named in a notice; the qemu backend's
 * plan is not affected. And serial="pty": planned on the xen backend
 * only, so that the audit accepts the pty qemu-xen opens itself.
 */
#include "launch.h"
#include "keys_env.h"

#define REFUSAL_TAIL "not carried by xl-dmr's xen backend; use xl create " \
                     "(with the libdmrestrict patches) for this config"
#define NOTICE_TAIL "ignored, meaningless for an HVM guest on xl-dmr's xen backend"

/* A value xl-dmr's own reading accepts, and that the xen backend does not
 * honour: the other value of a boolean it honours only as 0 or 1. */
static const char *unhonoured_value(const struct xl_cfg_key *k)
{
    if (k->xen == KEY_ONLY_0)
        return "1";
    if (k->xen == KEY_ONLY_1)
        return "0";
    if (!strcmp(k->name, "vif"))
        return "[ \"bridge=br0\" ]";  /* xl-dmr reads vif entries: a valid one */
    if (k->xen == KEY_ONLY_EMPTY)
        return "[ \"x\" ]";
    if (!strcmp(k->name, "kernel") || !strcmp(k->name, "ramdisk"))
        return "\"/boot/x\"";  /* xl-dmr checks these: absolute paths */
    /* The display keys xl-dmr reads for its qemu backend, which checks their values. */
    static const char *const display_values[][2] = {
        { "vnclisten", "\"127.0.0.1\"" }, { "vncdisplay", "1" }, { "vncunused", "1" },
        { "vga", "\"stdvga\"" }, { "stdvga", "1" }, { "videoram", "16" },
        { "usbdevice", "\"tablet\"" } };
    for (size_t i = 0; i < sizeof(display_values) / sizeof(display_values[0]); i++)
        if (!strcmp(k->name, display_values[i][0]))
            return display_values[i][1];
    return "\"x\"";
}

static bool refused_on_xen(const struct xl_cfg_key *k)
{
    return k->xen == KEY_REFUSED || k->xen == KEY_ONLY_0 || k->xen == KEY_ONLY_1 ||
           k->xen == KEY_ONLY_EMPTY;
}

/* "name=...\n" for every key of the table that pick() chooses, and the
 * list "a, b, c" the refusal or the notice must name, in table order. */
static void cfg_with(bool (*pick)(const struct xl_cfg_key *), char **ret_cfg, char **ret_names)
{
    char *cfg = NULL, *names = NULL;
    size_t cfg_len = 0, names_len = 0;
    FILE *c = open_memstream(&cfg, &cfg_len), *n = open_memstream(&names, &names_len);
    bool first = true;
    fprintf(c, "name = \"keys1\"\ntype = \"hvm\"\ndm_backend = \"xen\"\n");
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        if (!pick(k))
            continue;
        /* Keys xl-dmr reads itself (for the qemu backend): values it accepts. */
        static const struct { const char *key, *value; } read_by_xl_dmr[] = {
            { "machine", "\"pc\"" }, { "accel", "\"tcg\"" }, { "bios", "\"ovmf\"" },
            { "uuid", "\"6f9c1a52-8e0b-4c5e-9d3a-1b2c3d4e5f60\"" }, { "soundhw", "\"hda\"" },
            { "maxvcpus", "2" }, { "rtc_timeoffset", "60" },
        };
        const char *value = !strncmp(k->name, "on_", 3) && strcmp(k->name, "on_watchdog")
                              ? "\"preserve\"" : unhonoured_value(k);
        for (size_t j = 0; j < sizeof(read_by_xl_dmr) / sizeof(read_by_xl_dmr[0]); j++)
            if (!strcmp(k->name, read_by_xl_dmr[j].key))
                value = read_by_xl_dmr[j].value;
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

/* xl-dmr.cfg(5), KEYS BY BACKEND: between its BEGIN and END marks, what
 * `make man-keys` prints from the table, word for word. */
static void test_man_page_has_the_table(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof(path), "%s/docs/xl-dmr.cfg.5", getenv("srcdir") ? getenv("srcdir") : ".");
    char *man = test_slurp(path);
    assert_non_null(man);
    const char *begin = strstr(man, ".\\\" BEGIN KEY TABLE");
    const char *end = strstr(man, ".\\\" END KEY TABLE");
    assert_non_null(begin);
    assert_non_null(end);
    begin = strchr(begin, '\n') + 1;
    char *want = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&want, &len);
    xl_cfg_keys_print_man(out);
    fclose(out);
    if ((size_t)(end - begin) != len || memcmp(begin, want, len))
        print_message("docs/xl-dmr.cfg.5 is not the table's: run make man-keys\n");
    assert_int_equal(end - begin, len);
    assert_memory_equal(begin, want, len);
    free(want);
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
    libdmr_plan *plan = plan_of(e, "name = \"k\"\ntype = \"hvm\"\ndm_backend = \"xen\"\nvif = [ 'bridge=xenbr0' ]\n"
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
        if (k->xen == KEY_ONLY_0 || k->xen == KEY_ONLY_1)
            fprintf(c, "%s = %d\n", k->name, k->xen == KEY_ONLY_1);
        if (k->xen == KEY_ONLY_EMPTY)
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
    return k->xen == KEY_NOTICE;
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

/* The xen backend's verdicts stay its own: keys it refuses or ignores
 * that the qemu backend honours plan there with no word of the xen
 * backend's. */
static void test_qemu_backend_unaffected(void **state)
{
    struct env *e = *state;
    libdmr_plan *plan = plan_of(e, "name = \"k\"\ntype = \"hvm\"\ndm_backend = \"qemu\"\n"
                                   "machine = \"q35\"\naccel = \"kvm\"\nacpi_s3 = 1\n",
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
    libdmr_plan *plan = plan_of(e, "name = \"k\"\ntype = \"hvm\"\ndm_backend = \"xen\"\nserial = \"pty\"\n",
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

    plan = plan_of(e, "name = \"k\"\ntype = \"hvm\"\ndm_backend = \"xen\"\nserial = \"file:/tmp/k.serial\"\n",
                   "xen-range");
    assert_false(plan->serial_pty);
    libdmr_plan_free(plan);
    plan = plan_of(e, "name = \"k\"\ntype = \"hvm\"\ndm_backend = \"xen\"\n", "xen-range");
    assert_false(plan->serial_pty);
    libdmr_plan_free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_in_name_order_each_once),
        cmocka_unit_test(test_man_page_has_the_table),
        cmocka_unit_test_setup_teardown(test_every_key_not_carried_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_key_named_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carried_and_honoured_values_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignored_keys_named_in_a_notice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_backend_unaffected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_pty_planned, setup, teardown),
    };
    return cmocka_run_group_tests_name("xen backend keys", tests, NULL, NULL);
}
