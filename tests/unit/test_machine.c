/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Firmware and machine keys through the library's API: the setters refuse
 * what cannot be (a bad uuid, ranges, an unknown sound card), the qemu plan
 * refuses device_model_args that name what it owns and passes the rest, an
 * OVMF descriptor that does not fit is passed over, the facts' firmware
 * survives a JSON round trip, and the xen plan refuses the keys by name
 * (libxl does not get them). Golden plans: tests/unit/plans/ovmf-*,
 * dm-args-*; a real QEMU: tests/integration/test_ovmf.sh.
 */
#include <sys/stat.h>

#include "testutil.h"

static const char xen_facts[] =
    "{\"domid\":12,\"xen_dom0\":true,\"kvm_usable\":false,\"domids_in_use\":[],"
    "\"users\":{\"range_base\":{\"name\":\"xen-qemuuser-range-base\",\"uid\":131072,"
    "\"gid\":131072,\"group\":\"xen-qemuuser-range-base\"}},\"subuid\":[],\"subgid\":[],"
    "\"qemu\":{\"path\":\"/usr/libexec/xen-qemu-system-i386\",\"present\":true,\"runas\":true,"
    "\"chroot\":true,\"run_with_user\":false,\"run_with_chroot\":false,\"sandbox\":true,\"action\":true,\"pvpanic\":true,"
    "\"root_port_hotplug\":true,\"machines\":[\"xenfv\"]},\"images\":[]}";

/* A plain host with one OVMF descriptor of each misfit before the one that fits. */
#define QEMU_FACTS_HEAD \
    "{\"domid\":12,\"xen_dom0\":false,\"kvm_usable\":false,\"domids_in_use\":[]," \
    "\"users\":{\"range_base\":{\"name\":\"xen-qemuuser-range-base\",\"uid\":131072," \
    "\"gid\":131072,\"group\":\"xen-qemuuser-range-base\"}},\"subuid\":[],\"subgid\":[]," \
    "\"qemu\":{\"path\":\"/usr/bin/qemu-system-x86_64\",\"present\":true,\"runas\":true," \
    "\"chroot\":true,\"run_with_user\":false,\"run_with_chroot\":false,\"sandbox\":true,\"action\":true,\"pvpanic\":true," \
    "\"root_port_hotplug\":true,\"machines\":[\"pc\",\"q35\",\"pc-q35-7.2\",\"pc-i440fx-7.2\"]}," \
    "\"images\":[]"
#define DESC(NAME, IFACE, MODE, PRESENT, MACHINE, FEATURES) \
    "{\"path\":\"/usr/share/qemu/firmware/" NAME "\",\"interface-types\":[\"" IFACE "\"]," \
    "\"mapping\":{\"device\":\"flash\",\"mode\":\"" MODE "\"," \
    "\"executable\":{\"filename\":\"/fw/" NAME ".code\",\"format\":\"raw\",\"present\":" PRESENT \
    ",\"size\":3653632},\"nvram-template\":{\"filename\":\"/fw/" NAME ".vars\",\"format\":\"raw\"," \
    "\"present\":true,\"size\":540672}},\"targets\":[{\"architecture\":\"x86_64\"," \
    "\"machines\":[\"" MACHINE "\"]}],\"features\":[" FEATURES "]}"
static const char qemu_facts[] = QEMU_FACTS_HEAD ",\"firmware\":{\"descriptors\":["
    DESC("10-bios.json", "bios", "split", "true", "pc-q35-*", "") ","
    DESC("20-combined.json", "uefi", "combined", "true", "pc-q35-*", "") ","
    DESC("30-missing.json", "uefi", "split", "false", "pc-q35-*", "") ","
    DESC("40-smm.json", "uefi", "split", "true", "pc-q35-*", "\"requires-smm\"") ","
    DESC("50-pc-only.json", "uefi", "split", "true", "pc-i440fx-*", "") ","
    DESC("60-fits.json", "uefi", "split", "true", "pc-q35-*", "\"acpi-s3\"")
    "],\"nvram\":{\"filename\":\"/var/lib/xl-dmr/nvram/m1_VARS.fd\",\"present\":true,"
    "\"size\":1048576},\"clock\":{\"now\":0,\"local_offset\":0}}}";

struct env {
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx;
    libdmr_config *config;
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    e->ctx = test_ctx(&e->lg);
    assert_int_equal(libdmr_config_new(e->ctx, "m1", &e->config), 0);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    libdmr_config_free(e->config);
    test_ctx_free(e->ctx, e->lg);
    free(e);
    return 0;
}

static void assert_refused(struct env *e, int rc, const char *needle)
{
    const char *msg = libdmr_ctx_last_error(e->ctx);
    assert_int_equal(rc, LIBDMR_ERROR_INVAL);
    if (!strstr(msg, needle))
        print_message("error \"%s\" lacks \"%s\"\n", msg, needle);
    assert_non_null(strstr(msg, needle));
    assert_null(strchr(msg, '\n'));
}

static libdmr_plan *plan_of(struct env *e, const char *facts_json, enum libdmr_backend backend)
{
    libdmr_facts *facts = NULL;
    libdmr_plan *plan = NULL;
    assert_int_equal(libdmr_config_set_backend(e->ctx, e->config, backend), 0);
    assert_int_equal(libdmr_config_set_toolstack_domid(e->ctx, e->config, 12), 0);
    assert_int_equal(libdmr_config_set_dm_restrict(e->ctx, e->config, true), 0);
    assert_int_equal(libdmr_facts_from_json(e->ctx, facts_json, &facts), 0);
    assert_int_equal(libdmr_plan_compute(e->ctx, e->config, facts, &plan), 0);
    libdmr_facts_free(facts);
    return plan;
}

static void assert_plan_refused(libdmr_plan *plan, int code, const char *needle)
{
    const char *why = NULL;
    assert_int_equal(libdmr_plan_refusal(plan, &why), code);
    if (!strstr(why, needle))
        print_message("refusal \"%s\" lacks \"%s\"\n", why, needle);
    assert_non_null(strstr(why, needle));
    libdmr_plan_free(plan);
}

static void test_setters_check_values(void **state)
{
    struct env *e = *state;
    libdmr_config *c = e->config;
    assert_refused(e, libdmr_config_set_uuid(e->ctx, c, ""), "bad uuid");
    assert_refused(e, libdmr_config_set_uuid(e->ctx, c, "6f9c1a52-8e0b-4c5e-9d3a-1b2c3d4e5f60x"),
                   "bad uuid");
    assert_refused(e, libdmr_config_set_uuid(e->ctx, c, "6f9c1a52-8e0b-4c5e-9d3a1b2c-3d4e5f60"),
                   "bad uuid");
    assert_refused(e, libdmr_config_set_uuid(e->ctx, c, "6f9c1a52-8e0b-4c5e-9d3a-1b2c3d4e5g60"),
                   "bad uuid");
    assert_null(c->mach.uuid);  /* left as it was */
    assert_int_equal(libdmr_config_set_uuid(e->ctx, c, "6F9C1A52-8E0B-4C5E-9D3A-1B2C3D4E5F60"), 0);
    assert_string_equal(c->mach.uuid, "6f9c1a52-8e0b-4c5e-9d3a-1b2c3d4e5f60");
    assert_refused(e, libdmr_config_set_maxvcpus(e->ctx, c, 129), "maxvcpus 129");
    assert_refused(e, libdmr_config_set_maxvcpus(e->ctx, c, -1), "maxvcpus -1");
    assert_refused(e, libdmr_config_set_rtc(e->ctx, c, false, 400000000L), "rtc_timeoffset");
    assert_refused(e, libdmr_config_set_soundhw(e->ctx, c, "all"), "unknown soundhw \"all\"");
    assert_refused(e, libdmr_config_set_firmware(e->ctx, c, (enum libdmr_firmware)7), "firmware");
    assert_int_equal(libdmr_config_add_device_model_arg(e->ctx, c, NULL), LIBDMR_ERROR_INVAL);
}

/* Each argument names what the plan owns: refused, naming it. */
static void test_dm_args_owned_refused(void **state)
{
    struct env *e = *state;
    static const struct { const char *arg, *named; } owned[] = {
        { "-sandbox", "-sandbox" }, { "--run-with", "-run-with" }, { "-add-fd", "-add-fd" },
        { "-L", "-L" }, { "-fw_cfg", "-fw_cfg" }, { "--plugin", "-plugin" },
        { "-qmp", "-qmp" }, { "-netdev", "-netdev" }, { "-machine", "-machine" },
        { "virtio-rng-pci,rng=r0,filename=/dev/random", "filename=" },
        { "memory-backend-file,id=m,mem-path=/dev/shm/x", "mem-path=" },
        { "tap,id=n0,script=/etc/qemu-ifup", "script=" },
        { "vfio-pci,host=01:00.0", "host=" },
        { "e1000,romfile=/x,,y=1", "romfile=" },
        { "socket,id=c,path=/tmp/s", "path=" },
        { "virtio-net-pci,fds=3:4", "fds=" },
    };
    for (size_t i = 0; i < ELEMENTSOF(owned); i++) {
        libdmr_config_free(e->config);
        assert_int_equal(libdmr_config_new(e->ctx, "m1", &e->config), 0);
        assert_int_equal(libdmr_config_add_device_model_arg(e->ctx, e->config, owned[i].arg), 0);
        libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
        const char *why = NULL;
        assert_int_equal(libdmr_plan_refusal(plan, &why), LIBDMR_ERROR_REFUSED);
        char want[64];
        snprintf(want, sizeof(want), ": %s is the plan's own", owned[i].named);
        if (!strstr(why, want))
            print_message("refusal \"%s\" lacks \"%s\"\n", why, want);
        assert_non_null(strstr(why, want));
        libdmr_plan_free(plan);
    }
}

/* The rest passes, as given, last, with a warning; a value with a doubled
 * comma ("a,,romfile=x" is one value) is not a property. */
static void test_dm_args_passed_with_warning(void **state)
{
    struct env *e = *state;
    const char *args[] = { "-global", "ICH9-LPC.disable_s3=1", "-device", "e1000,id=n0,x=a,,romfile=b",
                           "-d", "guest_errors" };
    for (size_t i = 0; i < ELEMENTSOF(args); i++)
        assert_int_equal(libdmr_config_add_device_model_arg(e->ctx, e->config, args[i]), 0);
    libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    const char *const *argv = libdmr_plan_argv(plan);
    size_t n = 0;
    while (argv[n])
        n++;
    assert_true(n > ELEMENTSOF(args));
    for (size_t i = 0; i < ELEMENTSOF(args); i++)
        assert_string_equal(argv[n - ELEMENTSOF(args) + i], args[i]);
    assert_int_equal(libdmr_plan_warning_count(plan), 1);
    assert_non_null(strstr(libdmr_plan_warning(plan, 0), "device_model_args: 6 arguments"));
    libdmr_plan_free(plan);
}

/* Every misfit is passed over; the one that fits gives CODE and VARS, and
 * FSIZE covers the existing copy (1 MiB here). */
static void test_ovmf_descriptor_choice(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_set_firmware(e->ctx, e->config, LIBDMR_FIRMWARE_OVMF), 0);
    libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    char *json = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_non_null(strstr(json, "\"descriptor\":\"/usr/share/qemu/firmware/60-fits.json\""));
    assert_non_null(strstr(json, "\"path\":\"/fw/60-fits.json.code\",\"writable\":false"));
    assert_non_null(strstr(json, "\"path\":\"/var/lib/xl-dmr/nvram/m1_VARS.fd\",\"writable\":true"));
    assert_non_null(strstr(json, "\"template\":\"/fw/60-fits.json.vars\""));
    assert_non_null(strstr(json, "\"FSIZE\":1048576"));
    assert_null(strstr(json, "bios-256k.bin"));
    free(json);
    libdmr_plan_free(plan);
    /* On pc, 50-pc-only comes first. */
    assert_int_equal(libdmr_config_set_machine(e->ctx, e->config, LIBDMR_MACHINE_PC), 0);
    plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_non_null(strstr(json, "\"descriptor\":\"/usr/share/qemu/firmware/50-pc-only.json\""));
    free(json);
    libdmr_plan_free(plan);
}

/* What the facts say of firmware comes back the same from their JSON. */
static void test_facts_firmware_round_trip(void **state)
{
    struct env *e = *state;
    libdmr_facts *f = NULL, *g = NULL;
    char *once = NULL, *twice = NULL;
    assert_int_equal(libdmr_facts_from_json(e->ctx, qemu_facts, &f), 0);
    assert_int_equal(f->fw.n_descriptors, 6);
    assert_string_equal(f->fw.descriptors[1].mode, "combined");
    assert_true(f->fw.clock_known);
    assert_int_equal(libdmr_facts_to_json(e->ctx, f, &once), 0);
    assert_int_equal(libdmr_facts_from_json(e->ctx, once, &g), 0);
    assert_int_equal(libdmr_facts_to_json(e->ctx, g, &twice), 0);
    assert_string_equal(once, twice);
    free(once);
    free(twice);
    libdmr_facts_free(f);
    libdmr_facts_free(g);
    /* A descriptor without its path, or a mapping that is not an object: refused. */
    assert_int_equal(libdmr_facts_from_json(e->ctx, QEMU_FACTS_HEAD ",\"firmware\":{\"descriptors\":"
        "[{\"interface-types\":[\"uefi\"],\"mapping\":{\"device\":\"flash\"},\"targets\":[]}]}}", &f),
        LIBDMR_ERROR_INVAL);
    assert_int_equal(libdmr_facts_from_json(e->ctx, QEMU_FACTS_HEAD ",\"firmware\":{\"descriptors\":"
        "[{\"path\":\"/x.json\",\"mapping\":1,\"targets\":[]}]}}", &f), LIBDMR_ERROR_INVAL);
}

static void test_machine_keys_planned(void **state)
{
    struct env *e = *state;
    libdmr_config *c = e->config;
    assert_int_equal(libdmr_config_set_vcpus(e->ctx, c, 2), 0);
    assert_int_equal(libdmr_config_set_maxvcpus(e->ctx, c, 2), 0);   /* = vcpus: no maxcpus */
    assert_int_equal(libdmr_config_set_rtc(e->ctx, c, false, 86400), 0);
    assert_int_equal(libdmr_config_set_soundhw(e->ctx, c, "es1370"), 0);
    assert_int_equal(libdmr_config_set_acpi(e->ctx, c, false), 0);
    libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    char *text = NULL;
    assert_int_equal(libdmr_plan_to_text(e->ctx, plan, &text), 0);
    assert_non_null(strstr(text, "-smp 2 \\"));
    assert_non_null(strstr(text, "-machine q35,acpi=off"));
    assert_non_null(strstr(text, "-rtc base=1970-01-02T00:00:00"));
    assert_non_null(strstr(text, "-device ES1370,id=sound0,audiodev=audio0"));
    assert_non_null(strstr(text, "QEMU reads as root, before it chroots: "
                                 "/usr/share/seabios/bios-256k.bin, /usr/share/qemu/kvmvapic.bin"));
    free(text);
    libdmr_plan_free(plan);
}

/* libxl gets none of them from the plan: each named. */
static void test_xen_plan_refuses_them(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_set_uuid(e->ctx, e->config,
                                            "6f9c1a52-8e0b-4c5e-9d3a-1b2c3d4e5f60"), 0);
    assert_int_equal(libdmr_config_set_soundhw(e->ctx, e->config, "hda"), 0);
    assert_plan_refused(plan_of(e, xen_facts, LIBDMR_BACKEND_XEN), LIBDMR_ERROR_NI,
                        "uuid, soundhw: the qemu backend's");
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define ONE_DESC(CODE) \
    "{\"interface-types\":[\"uefi\"],\"mapping\":{\"device\":\"flash\"," \
    "\"executable\":{\"filename\":\"" CODE "\",\"format\":\"raw\"}," \
    "\"nvram-template\":{\"filename\":\"/fw/vars\",\"format\":\"raw\"}}," \
    "\"targets\":[{\"architecture\":\"x86_64\",\"machines\":[\"pc-q35-*\"]}],\"features\":[]}"

/* Gathering under a sysroot: by file name across both directories, /etc
 * hiding /usr/share, an empty file masking, a broken one skipped; the
 * files stat'ed; the VARS copy's fact by lstat (a link is not present). */
static void test_facts_gather_descriptors(void **state)
{
    struct env *e = *state;
    char root[] = "/tmp/dmr-fw-XXXXXX", etc[128], usr[128], fw[128], nv[160];
    assert_non_null(mkdtemp(root));
    snprintf(etc, sizeof(etc), "%s/etc/qemu/firmware", root);
    snprintf(usr, sizeof(usr), "%s/usr/share/qemu/firmware", root);
    snprintf(fw, sizeof(fw), "%s/fw", root);
    snprintf(nv, sizeof(nv), "%s/var/lib/xl-dmr/nvram", root);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s %s %s %s", etc, usr, fw, nv);
    assert_int_equal(system(cmd), 0);
    write_file(fw, "code", "CODE");
    write_file(fw, "vars", "VARS-TEMPLATE");
    write_file(usr, "10-masked.json", ONE_DESC("/fw/masked"));
    write_file(etc, "10-masked.json", "");
    write_file(usr, "20-hidden.json", ONE_DESC("/fw/hidden"));
    write_file(etc, "20-hidden.json", ONE_DESC("/fw/code"));
    write_file(usr, "30-broken.json", "{\"mapping\":");
    write_file(usr, "40-usr.json", ONE_DESC("/fw/missing"));
    write_file(usr, "50-not-json.txt", ONE_DESC("/fw/code"));
    snprintf(cmd, sizeof(cmd), "ln -s /etc/passwd %s/m1_VARS.fd", nv);
    assert_int_equal(system(cmd), 0);

    assert_int_equal(libdmr_ctx_set_sysroot(e->ctx, root), 0);
    assert_int_equal(libdmr_config_set_firmware(e->ctx, e->config, LIBDMR_FIRMWARE_OVMF), 0);
    libdmr_facts f = { 0 };
    assert_int_equal(facts_firmware_gather(e->ctx, e->config, &f), 0);
    assert_int_equal(f.fw.n_descriptors, 2);
    assert_string_equal(f.fw.descriptors[0].path, "/etc/qemu/firmware/20-hidden.json");
    assert_string_equal(f.fw.descriptors[0].executable.filename, "/fw/code");
    assert_true(f.fw.descriptors[0].executable.present);
    assert_int_equal(f.fw.descriptors[0].executable.size, 4);
    assert_int_equal(f.fw.descriptors[0].nvram_template.size, 13);
    assert_string_equal(f.fw.descriptors[1].path, "/usr/share/qemu/firmware/40-usr.json");
    assert_false(f.fw.descriptors[1].executable.present);
    assert_string_equal(f.fw.nvram.filename, "/var/lib/xl-dmr/nvram/m1_VARS.fd");
    assert_false(f.fw.nvram.present);  /* a link is not a copy */
    assert_false(f.fw.clock_known);    /* no rtc_timeoffset */
    facts_clear(&f);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_setters_check_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dm_args_owned_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dm_args_passed_with_warning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ovmf_descriptor_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_facts_firmware_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_machine_keys_planned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xen_plan_refuses_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_facts_gather_descriptors, setup, teardown),
    };
    return cmocka_run_group_tests_name("firmware and machine keys", tests, NULL, NULL);
}
