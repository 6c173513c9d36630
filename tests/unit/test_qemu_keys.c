/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the qemu backend does with every key a cfg sets (the qemu column
 * of tools/xl_cfg_keys.c's table): a refused key, or a refused value of a
 * key honoured with one value only, refuses the plan, every such key
 * named in one line with its why; a meaningless key is named in a notice
 * (one per why); an honoured key is neither. And what both backends do
 * apart from the table: a key no xl.cfg knows gets a notice naming it and
 * where it is set; kernel= naming hvmloader is a notice; a serial list of
 * more than one port is refused.
 */
#include "keys_env.h"

#define BASE "name = \"q1\"\ntype = \"hvm\"\ndm_backend = \"qemu\"\n"

/* A value of k that the qemu backend refuses, and that xl-dmr's own
 * reading accepts. */
static const char *refused_value(const struct xl_cfg_key *k)
{
    if (k->qemu == KEY_ONLY_0)
        return "1";
    if (k->qemu == KEY_ONLY_1)
        return "0";
    if (k->qemu == KEY_ONLY_EMPTY)
        return "[ \"x\" ]";
    if (!strcmp(k->name, "boot"))
        return "\"c\"";  /* xl-dmr checks the letters */
    if (!strncmp(k->name, "on_", 3))
        return "\"destroy\"";  /* xl-dmr checks the actions */
    return "\"x\"";
}

static bool refused_on_qemu(const struct xl_cfg_key *k)
{
    return k->qemu == KEY_REFUSED || k->qemu == KEY_NOT_YET || k->qemu == KEY_ONLY_0 ||
           k->qemu == KEY_ONLY_1 || k->qemu == KEY_ONLY_EMPTY;
}

/* The words after a key's name in a refusal or a notice. */
static const char *why_of(const struct xl_cfg_key *k)
{
    if (k->qemu == KEY_NOT_YET)
        return xl_cfg_key_why_text(LIBDMR_BACKEND_QEMU, KEY_REFUSED, WHY_NOT_YET);
    return xl_cfg_key_why_text(LIBDMR_BACKEND_QEMU,
                               k->qemu == KEY_NOTICE ? KEY_NOTICE : KEY_REFUSED, k->why);
}

/* The groups of a refusal are told apart by "; ", so no why has one. */
static void test_whys_have_no_semicolon(void **state)
{
    (void)state;
    for (size_t i = 0; i < xl_cfg_key_count(); i++)
        assert_null(strchr(why_of(xl_cfg_key_at(i)), ';'));
}

/* In "a, b: WHY1; c: WHY2" (the part after "PATH: "), the why of key;
 * NULL if key is not named. Names are whole words of a group's list. */
static char *why_in(const char *groups, const char *key)
{
    char *copy = strdup(groups), *save = NULL, *found = NULL;
    for (char *g = strtok_r(copy, ";", &save); g && !found; g = strtok_r(NULL, ";", &save)) {
        while (*g == ' ')
            g++;
        char *colon = strstr(g, ": ");
        if (!colon)   /* not the key table's: a notice of the plan's own (soundhw=...) */
            continue;
        *colon = '\0';
        char *save2 = NULL;
        for (char *n = strtok_r(g, ", ", &save2); n; n = strtok_r(NULL, ", ", &save2))
            if (!strcmp(n, key))
                found = strdup(colon + 2);
    }
    free(copy);
    return found;
}

static size_t names_in(const char *groups)
{
    size_t n = 0;
    char *copy = strdup(groups), *save = NULL;
    for (char *g = strtok_r(copy, ";", &save); g; g = strtok_r(NULL, ";", &save)) {
        char *colon = strstr(g, ": ");
        *colon = '\0';
        n++;
        for (char *c = g; *c; c++)
            n += *c == ',';
    }
    free(copy);
    return n;
}

/* Every key (or value) the qemu backend refuses, in one cfg: one line
 * naming each once, with its why, and no other key. */
static void test_every_refused_key_named_with_why(void **state)
{
    struct env *e = *state;
    char *cfg = NULL;
    size_t len = 0, want = 0;
    FILE *c = open_memstream(&cfg, &len);
    fputs(BASE, c);
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        if (refused_on_qemu(k)) {
            fprintf(c, "%s = %s\n", k->name, refused_value(k));
            want++;
        }
    }
    fclose(c);
    libdmr_plan *plan = plan_of(e, cfg, "range-q35-disks");
    const char *reason = NULL;
    assert_int_equal(libdmr_plan_refusal(plan, &reason), LIBDMR_ERROR_NI);
    assert_null(strchr(reason, '\n'));
    assert_true(!strncmp(reason, e->path, strlen(e->path)) && reason[strlen(e->path)] == ':');
    const char *groups = reason + strlen(e->path) + 2;
    assert_int_equal(names_in(groups), want);
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        if (!refused_on_qemu(k))
            continue;
        char *why = why_in(groups, k->name);
        if (!why || strcmp(why, why_of(k)))
            print_message("%s: why \"%s\", want \"%s\"\n", k->name, why, why_of(k));
        assert_non_null(why);
        assert_string_equal(why, why_of(k));
        free(why);
    }
    libdmr_plan_free(plan);
    free(cfg);
}

/* A key and a value the plan honours: both read by xl-dmr and valid on
 * the host range-q35-disks.facts (plus direct-boot's images) describes. */
static const struct { const char *key, *value; } honoured_samples[] = {
    { "acpi", "1" }, { "bios", "\"seabios\"" }, { "boot", "\"dc\"" },
    { "device_model_args", "[ \"-no-hpet\" ]" }, { "device_model_args_hvm", "[ \"-no-hpet\" ]" },
    { "keymap", "\"en-gb\"" }, { "localtime", "1" }, { "maxvcpus", "4" },
    { "nographic", "1" }, { "rtc_timeoffset", "0" }, { "soundhw", "\"hda\"" },
    { "stdvga", "1" }, { "usb", "1" }, { "usbdevice", "\"tablet\"" },
    { "uuid", "\"4d2c5f2e-0a8b-4a57-9c1c-2f0e3d7b6a11\"" }, { "vga", "\"stdvga\"" },
    { "videoram", "16" }, { "vnc", "1" }, { "vncdisplay", "1" }, { "vnclisten", "\"127.0.0.1\"" },
    { "vncpasswd", "\"secret\"" }, { "vncunused", "1" },
    /* A vif with a bridge needs network facts this file has not: an empty
     * list here; test_net_bridge.sh plans and runs real ones. */
    { "vif", "[]" },
    { "serial", "\"pty\"" }, { "on_poweroff", "\"destroy\"" }, { "on_reboot", "\"restart\"" },
    { "on_crash", "\"preserve\"" },
    { "accel", "\"kvm\"" }, { "builder", "\"hvm\"" }, { "cmdline", "\"console=ttyS0\"" },
    { "device_model_override", "\"/usr/bin/qemu-system-x86_64\"" },
    { "device_model_version", "\"qemu-xen\"" },
    { "disk", "[ '/srv/xl-dmr/disk.img,raw,hda,rw' ]" }, { "dm_backend", "\"qemu\"" },
    { "dm_restrict", "1" }, { "extra", "\"panic=-1\"" }, { "kernel", "\"/srv/xl-dmr/vmlinuz\"" },
    { "machine", "\"q35\"" }, { "memory", "256" }, { "name", "\"q2\"" }, { "pci", "[]" },
    { "pci_guest_unplug", "1" }, { "pci_hotplug_ports", "1" },
    { "ramdisk", "\"/srv/xl-dmr/initrd.img\"" }, { "root", "\"/dev/ram0\"" },
    { "type", "\"hvm\"" }, { "vcpus", "2" },
};

/* Is key named in any of the plan's notices (as a word of a list)? */
static bool named_in_a_notice(const libdmr_plan *plan, const char *key)
{
    for (size_t i = 0; i < libdmr_plan_notice_count(plan); i++) {
        const char *n = libdmr_plan_notice(plan, i);
        const char *colon = strchr(n, ':');
        char *why = colon ? why_in(colon + 2, key) : NULL;
        free(why);
        if (why)
            return true;
    }
    return false;
}

/* Every key the qemu backend honours, and every one-value-only key with
 * that value: a plan, no refusal, and no notice naming any of them. */
static void test_honoured_keys_and_values(void **state)
{
    struct env *e = *state;
    char *cfg = NULL;
    size_t len = 0;
    FILE *c = open_memstream(&cfg, &len);
    for (size_t i = 0; i < ELEMENTSOF(honoured_samples); i++)
        fprintf(c, "%s = %s\n", honoured_samples[i].key, honoured_samples[i].value);
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        if (k->qemu == KEY_ONLY_0 || k->qemu == KEY_ONLY_1)
            fprintf(c, "%s = %d\n", k->name, k->qemu == KEY_ONLY_1);
        if (k->qemu == KEY_ONLY_EMPTY)
            fprintf(c, "%s = []\n", k->name);
    }
    fclose(c);
    libdmr_plan *plan = plan_of(e, cfg, "direct-boot");
    const char *reason = NULL;
    if (libdmr_plan_refusal(plan, &reason))
        print_message("refused: %s\n", reason);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        if (k->qemu != KEY_NOTICE && named_in_a_notice(plan, k->name))
            fail_msg("%s is named in a notice", k->name);
    }
    libdmr_plan_free(plan);
    free(cfg);
    /* The sample list covers every honoured key; device_model_user needs
     * a user the facts know. */
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        bool sampled = !strcmp(k->name, "device_model_user");
        for (size_t s = 0; s < ELEMENTSOF(honoured_samples); s++)
            sampled |= !strcmp(honoured_samples[s].key, k->name);
        if (k->qemu == KEY_HONOURED && !sampled)
            fail_msg("no sample value for %s", k->name);
    }
    plan = plan_of(e, BASE "device_model_user = \"qemu-dm\"\n", "device-model-user-unrestricted");
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    assert_false(named_in_a_notice(plan, "device_model_user"));
    libdmr_plan_free(plan);
}

/* Every key meaningless on the qemu backend: the plan stands; each why
 * is one notice naming its keys, each key in exactly one notice. */
static void test_notice_keys_one_notice_per_why(void **state)
{
    struct env *e = *state;
    char *cfg = NULL;
    size_t len = 0;
    FILE *c = open_memstream(&cfg, &len);
    fputs(BASE, c);
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        if (k->qemu == KEY_NOTICE)   /* xl-dmr reads the on_* keys: a value it accepts */
            fprintf(c, "%s = \"%s\"\n", k->name, strncmp(k->name, "on_", 3) ? "x" : "destroy");
    }
    fclose(c);
    libdmr_plan *plan = plan_of(e, cfg, "range-q35-disks");
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    for (size_t i = 0; i < xl_cfg_key_count(); i++) {
        const struct xl_cfg_key *k = xl_cfg_key_at(i);
        if (k->qemu != KEY_NOTICE)
            continue;
        size_t found = 0;
        for (size_t n = 0; n < libdmr_plan_notice_count(plan); n++) {
            const char *notice = libdmr_plan_notice(plan, n);
            if (strncmp(notice, e->path, strlen(e->path)))
                continue;
            char *why = why_in(notice + strlen(e->path) + 2, k->name);
            if (why) {
                assert_string_equal(why, why_of(k));
                found++;
            }
            free(why);
        }
        if (found != 1)
            print_message("%s is in %zu notices\n", k->name, found);
        assert_int_equal(found, 1);
    }
    char *text = NULL;
    assert_int_equal(libdmr_plan_to_text(e->ctx, plan, &text), 0);
    assert_non_null(strstr(text, "Notice: "));
    assert_non_null(strstr(text, "hap, "));
    free(text);
    libdmr_plan_free(plan);
    free(cfg);
}

/* A key no xl.cfg knows: a notice on both backends, naming the key, the
 * file's line or the override, and the key it most likely meant. */
static void test_unknown_key_named_on_both_backends(void **state)
{
    struct env *e = *state;
    static const char *const backends[] = { "range-q35-disks", "xen-range" };
    for (size_t b = 0; b < ELEMENTSOF(backends); b++) {
        char cfg[256];
        snprintf(cfg, sizeof(cfg), "name = \"u\"\ntype = \"hvm\"\ndm_backend = \"%s\"\n"
                 "memmory = 512\nfrobnicate = 1\n", b ? "xen" : "qemu");
        const char *ov[] = { "vpcus=2" };
        libdmr_plan *plan = plan_with(e, cfg, ov, 1, backends[b]);
        assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
        char want[3][256];
        snprintf(want[0], sizeof(want[0]), "%s:4: memmory: not an xl.cfg key, ignored "
                 "(did you mean memory?)", e->path);
        snprintf(want[1], sizeof(want[1]), "%s:5: frobnicate: not an xl.cfg key, ignored",
                 e->path);
        snprintf(want[2], sizeof(want[2]), "override 'vpcus=2': vpcus: not an xl.cfg key, "
                 "ignored (did you mean vcpus?)");
        for (size_t w = 0; w < 3; w++) {
            bool seen = false;
            for (size_t i = 0; i < libdmr_plan_notice_count(plan); i++)
                seen |= !strcmp(libdmr_plan_notice(plan, i), want[w]);
            if (!seen)
                print_message("no notice \"%s\"\n", want[w]);
            assert_true(seen);
        }
        libdmr_plan_free(plan);
    }
}

/* kernel= naming hvmloader: ignored as xl does, with a notice, on both
 * backends (the xen backend would refuse any other kernel=). */
static void test_kernel_hvmloader_is_a_notice(void **state)
{
    struct env *e = *state;
    static const char *const backends[] = { "range-q35-disks", "xen-range" };
    for (size_t b = 0; b < ELEMENTSOF(backends); b++) {
        char cfg[256];
        snprintf(cfg, sizeof(cfg), "name = \"h\"\nbuilder = \"hvm\"\ndm_backend = \"%s\"\n"
                 "kernel = \"/usr/lib/xen/boot/hvmloader\"\n", b ? "xen" : "qemu");
        libdmr_plan *plan = plan_of(e, cfg, backends[b]);
        assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
        bool seen = false;
        for (size_t i = 0; i < libdmr_plan_notice_count(plan); i++)
            seen |= strstr(libdmr_plan_notice(plan, i), ": kernel: ignored, as xl does") != NULL;
        assert_true(seen);
        for (size_t i = 0; i < plan->n_resources; i++)
            assert_int_not_equal(plan->resources[i].kind, PLAN_RES_KERNEL);
        libdmr_plan_free(plan);
    }
}

/* serial in xl's list form: more than one port is refused by name on
 * both backends; one port plans on the xen backend as the string does. */
static void test_serial_list(void **state)
{
    struct env *e = *state;
    libdmr_plan *plan = plan_of(e, "name = \"s\"\ntype = \"hvm\"\ndm_backend = \"xen\"\n"
                                   "serial = [ \"pty\" ]\n", "xen-range");
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    assert_true(plan->serial_pty);
    libdmr_plan_free(plan);
    static const char *const backends[] = { "range-q35-disks", "xen-range" };
    for (size_t b = 0; b < ELEMENTSOF(backends); b++) {
        char cfg[256], want[256];
        snprintf(cfg, sizeof(cfg), "name = \"s\"\ntype = \"hvm\"\ndm_backend = \"%s\"\n"
                 "serial = [ \"pty\", \"file:/tmp/s2\" ]\n", b ? "xen" : "qemu");
        snprintf(want, sizeof(want), "%s: serial: ", e->path);
        plan = plan_of(e, cfg, backends[b]);
        const char *reason = NULL;
        assert_int_equal(libdmr_plan_refusal(plan, &reason), LIBDMR_ERROR_NI);
        assert_true(!strncmp(reason, want, strlen(want)));
        libdmr_plan_free(plan);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whys_have_no_semicolon),
        cmocka_unit_test_setup_teardown(test_every_refused_key_named_with_why, setup, teardown),
        cmocka_unit_test_setup_teardown(test_honoured_keys_and_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notice_keys_one_notice_per_why, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_named_on_both_backends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_hvmloader_is_a_notice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_list, setup, teardown),
    };
    return cmocka_run_group_tests_name("qemu backend keys", tests, NULL, NULL);
}
