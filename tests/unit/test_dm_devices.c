/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devices the device model makes for itself (libxl's vif and vnc, opened
 * by qemu-xen): the setters refuse what cannot be, the xen plan lists them
 * (JSON and text) for the audit, the qemu plan refuses them by name, and
 * a row of /proc/PID/net/tcp or tcp6 reads as the kernel wrote it.
 * test_audit.c judges fabricated observations;
 * tests/integration/test_dm_own_devices.sh audits a real QEMU.
 */
#include <arpa/inet.h>

#include "audit.h"
#include "testutil.h"

/* The facts of a dom0 (xen) or of a plain host (qemu), domid 12. */
static const char xen_facts[] =
    "{\"domid\":12,\"xen_dom0\":true,\"kvm_usable\":false,\"domids_in_use\":[],"
    "\"users\":{\"range_base\":{\"name\":\"xen-qemuuser-range-base\",\"uid\":131072,"
    "\"gid\":131072,\"group\":\"xen-qemuuser-range-base\"}},\"subuid\":[],\"subgid\":[],"
    "\"qemu\":{\"path\":\"/usr/libexec/xen-qemu-system-i386\",\"present\":true,\"runas\":true,"
    "\"chroot\":true,\"run_with_user\":false,\"run_with_chroot\":false,\"sandbox\":true,"
    "\"root_port_hotplug\":true,\"machines\":[\"xenfv\"]},\"cap_sys_resource\":true,"
    "\"images\":[]}";
static const char qemu_facts[] =
    "{\"domid\":12,\"xen_dom0\":false,\"kvm_usable\":false,\"domids_in_use\":[],"
    "\"users\":{\"range_base\":{\"name\":\"xen-qemuuser-range-base\",\"uid\":131072,"
    "\"gid\":131072,\"group\":\"xen-qemuuser-range-base\"}},\"subuid\":[],\"subgid\":[],"
    "\"qemu\":{\"path\":\"/usr/bin/qemu-system-x86_64\",\"present\":true,\"runas\":true,"
    "\"chroot\":true,\"run_with_user\":false,\"run_with_chroot\":false,\"sandbox\":true,"
    "\"action\":true,\"pvpanic\":true,"
    "\"root_port_hotplug\":true,\"machines\":[\"pc\",\"q35\"]},\"images\":[]}";

struct env {
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx;
    libdmr_config *config;
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    e->ctx = test_ctx(&e->lg);
    assert_int_equal(libdmr_config_new(e->ctx, "net1", &e->config), 0);
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

/* A refused value: INVAL, its reason (one line, naming the key) in the
 * context's last error, and the config as it was. */
static void assert_refused(struct env *e, int rc, const char *needle)
{
    const char *msg = libdmr_ctx_last_error(e->ctx);
    assert_int_equal(rc, LIBDMR_ERROR_INVAL);
    assert_non_null(msg);
    if (!strstr(msg, needle))
        print_message("error \"%s\" lacks \"%s\"\n", msg, needle);
    assert_non_null(strstr(msg, needle));
    assert_null(strchr(msg, '\n'));
}

static void test_add_nic_checks_its_values(void **state)
{
    struct env *e = *state;
    libdmr_ctx *ctx = e->ctx;
    libdmr_config *c = e->config;
    assert_int_equal(libdmr_config_add_nic(ctx, c, "vif12.0-emu", "xenbr0", "e1000"), 0);
    assert_int_equal(libdmr_config_add_nic(ctx, c, NULL, NULL, NULL), 0);
    assert_int_equal(libdmr_config_add_nic(ctx, c, NULL, NULL, "rtl8139"), 0);
    assert_int_equal(libdmr_config_add_nic(ctx, c, "abcdefghijklmno", NULL, NULL), 0);
    assert_refused(e, libdmr_config_add_nic(ctx, c, "abcdefghijklmnop", NULL, NULL),
                   "vif: bad vifname \"abcdefghijklmnop\"");           /* 16: past IFNAMSIZ */
    assert_refused(e, libdmr_config_add_nic(ctx, c, "a/b", NULL, NULL), "bad vifname");
    assert_refused(e, libdmr_config_add_nic(ctx, c, "", NULL, NULL), "bad vifname");
    assert_refused(e, libdmr_config_add_nic(ctx, c, "..", NULL, NULL), "bad vifname");
    assert_refused(e, libdmr_config_add_nic(ctx, c, "tap 0", NULL, NULL), "bad vifname");
    assert_refused(e, libdmr_config_add_nic(ctx, c, NULL, "br0,script=/x", NULL), "vif: bad bridge");
    assert_refused(e, libdmr_config_add_nic(ctx, c, NULL, NULL, "e1000,addr=5"), "vif: bad model");
    assert_refused(e, libdmr_config_add_nic(ctx, c, "vif12.0-emu", NULL, NULL),
                   "vif: vifname vif12.0-emu is used twice");
    assert_int_equal(c->n_nics, 4);
    assert_string_equal(c->nics[0].bridge, "xenbr0");
    assert_null(c->nics[1].ifname);
    assert_int_equal(libdmr_config_add_nic(NULL, c, NULL, NULL, NULL), LIBDMR_ERROR_INVAL);
    assert_int_equal(libdmr_config_add_nic(ctx, NULL, NULL, NULL, NULL), LIBDMR_ERROR_INVAL);
}

static void test_set_vnc_checks_its_values(void **state)
{
    struct env *e = *state;
    libdmr_ctx *ctx = e->ctx;
    libdmr_config *c = e->config;
    assert_int_equal(libdmr_config_set_vnc(ctx, c, "::1", 3, false), 0);
    assert_refused(e, libdmr_config_set_vnc(ctx, c, "localhost", 0, false),
                   "vnclisten \"localhost\" is not an IPv4 or IPv6 address");
    assert_refused(e, libdmr_config_set_vnc(ctx, c, "[::1]", 0, false), "vnclisten");
    assert_refused(e, libdmr_config_set_vnc(ctx, c, "127.0.0.1:1", 0, false), "vnclisten");
    assert_refused(e, libdmr_config_set_vnc(ctx, c, "", 0, false), "vnclisten");
    assert_refused(e, libdmr_config_set_vnc(ctx, c, NULL, -1, false), "vncdisplay");
    assert_refused(e, libdmr_config_set_vnc(ctx, c, NULL, 59636, false), "vncdisplay");
    assert_refused(e, libdmr_config_set_vnc(ctx, c, NULL, 100, true),
                   "vncunused tries displays up to 99");
    /* Refusals left the first call's values. */
    assert_true(c->vnc.enabled);
    assert_string_equal(c->vnc.listen, "::1");
    assert_int_equal(c->vnc.display, 3);
    assert_int_equal(libdmr_config_set_vnc(ctx, c, NULL, 59635, false), 0);
    assert_int_equal(libdmr_config_set_vnc(ctx, c, "0.0.0.0", 99, true), 0);
    assert_string_equal(c->vnc.listen, "0.0.0.0");
    assert_true(c->vnc.find_unused);
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

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        print_message("\"%s\" lacks \"%s\"\n", text, needle);
    assert_non_null(strstr(text, needle));
}

static void test_xen_plan_lists_them(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_add_nic(e->ctx, e->config, "vif12.0-emu", "xenbr0", "e1000"), 0);
    assert_int_equal(libdmr_config_add_nic(e->ctx, e->config, NULL, NULL, NULL), 0);
    assert_int_equal(libdmr_config_set_vnc(e->ctx, e->config, NULL, 2, true), 0);
    libdmr_plan *plan = plan_of(e, xen_facts, LIBDMR_BACKEND_XEN);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    assert_int_equal(libdmr_plan_warning_count(plan), 0);
    char *json = NULL, *text = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_has(json, "\"nics\":[{\"ifname\":\"vif12.0-emu\",\"bridge\":\"xenbr0\",\"model\":\"e1000\"},"
                     "{\"ifname\":null,\"bridge\":null,\"model\":null}],"
                     "\"vnc\":{\"listen\":\"127.0.0.1\",\"display\":2,\"find_unused\":true,"
                     "\"ports\":[5902,5999]}");
    assert_int_equal(libdmr_plan_to_text(e->ctx, plan, &text), 0);
    assert_has(text, "libxl: vif vif12.0-emu (bridge xenbr0, model e1000): qemu-xen opens a tap, "
                     "/dev/net/tun\n");
    assert_has(text, "libxl: vif named by libxl (bridge libxl's default, model the default)");
    assert_has(text, "libxl: vnc: qemu-xen listens on 127.0.0.1 port 5902-5999 (the first free "
                     "one), display 2\n");
    free(json);
    free(text);
    libdmr_plan_free(plan);
}

static void test_xen_plan_vnc_one_port_ipv6(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_set_vnc(e->ctx, e->config, "::1", 0, false), 0);
    libdmr_plan *plan = plan_of(e, xen_facts, LIBDMR_BACKEND_XEN);
    char *json = NULL, *text = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_has(json, "\"nics\":[],\"vnc\":{\"listen\":\"::1\",\"display\":0,\"find_unused\":false,"
                     "\"ports\":[5900,5900]}");
    assert_int_equal(libdmr_plan_to_text(e->ctx, plan, &text), 0);
    assert_has(text, "libxl: vnc: qemu-xen listens on [::1] port 5900, display 0\n");
    free(json);
    free(text);
    libdmr_plan_free(plan);
}

static void test_xen_plan_warns_of_every_address(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_set_vnc(e->ctx, e->config, "0.0.0.0", 0, false), 0);
    libdmr_plan *plan = plan_of(e, xen_facts, LIBDMR_BACKEND_XEN);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    assert_int_equal(libdmr_plan_warning_count(plan), 1);
    assert_has(libdmr_plan_warning(plan, 0), "vnc listens on every address of the host (0.0.0.0)");
    libdmr_plan_free(plan);
}

static void assert_qemu_refuses(struct env *e, const char *reason)
{
    libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    const char *why = NULL;
    assert_int_equal(libdmr_plan_refusal(plan, &why), LIBDMR_ERROR_NI);
    assert_has(why, reason);
    char *json = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_has(json, "\"code\":\"NI\"");
    free(json);
    libdmr_plan_free(plan);
}

static void test_qemu_plan_refuses_vif(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_add_nic(e->ctx, e->config, NULL, NULL, NULL), 0);
    assert_qemu_refuses(e, "vif: not carried by the qemu backend yet");
}

static void test_qemu_plan_refuses_vnc(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_set_vnc(e->ctx, e->config, NULL, 0, false), 0);
    assert_qemu_refuses(e, "vnc: not carried by the qemu backend yet");
}

static void test_qemu_plan_refuses_both(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_add_nic(e->ctx, e->config, NULL, NULL, NULL), 0);
    assert_int_equal(libdmr_config_set_vnc(e->ctx, e->config, NULL, 0, false), 0);
    assert_qemu_refuses(e, "vif and vnc: not carried by the qemu backend yet");
}

static void test_qemu_plan_without_them_stands(void **state)
{
    struct env *e = *state;
    libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    libdmr_plan_free(plan);
}

/* Rows as Linux 6.1 writes them (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c). */
static void test_tcp_rows_parse(void **state)
{
    (void)state;
    struct audit_tcp t;
    unsigned long inode;
    uint8_t want[16];
    assert_int_equal(audit_tcp_row_parse(
        "   0: 0100007F:170C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
        "4711 1 0000000035a17c2e 100 0 0 10 0\n", false, &t, &inode), 0);
    assert_true(t.found && !t.v6);
    assert_int_equal(inode, 4711);
    assert_int_equal(t.port, 5900);
    assert_int_equal(t.state, AUDIT_TCP_LISTEN);
    assert_int_equal(inet_addr_mapped("127.0.0.1", want), 0);
    assert_memory_equal(t.addr, want, 16);

    assert_int_equal(audit_tcp_row_parse(
        "   3: 00000000:170D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
        "12 1 0000000000000000 100 0 0 10 0\n", false, &t, &inode), 0);
    assert_int_equal(inet_addr_mapped("0.0.0.0", want), 0);
    assert_memory_equal(t.addr, want, 16);
    assert_int_equal(t.port, 5901);

    /* tcp6: ::1, then ::ffff:127.0.0.1 (an IPv4-mapped address), established. */
    assert_int_equal(audit_tcp_row_parse(
        "   0: 00000000000000000000000001000000:170C 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0\n",
        true, &t, &inode), 0);
    assert_true(t.v6);
    assert_int_equal(inet_pton(AF_INET6, "::1", want), 1);
    assert_memory_equal(t.addr, want, 16);
    assert_int_equal(audit_tcp_row_parse(
        "   1: 0000000000000000FFFF00000100007F:A8C2 0000000000000000FFFF00000100007F:170C 01 "
        "00000000:00000000 00:00000000 00000000     0        0 100 1 0000000000000000 20 4 30 10 -1\n",
        true, &t, &inode), 0);
    assert_int_equal(inet_addr_mapped("127.0.0.1", want), 0);
    assert_memory_equal(t.addr, want, 16);
    assert_int_equal(t.port, 43202);
    assert_int_equal(t.state, 1);
    assert_int_equal(inode, 100);

    /* The header, a row of the other table, a torn row. */
    assert_int_equal(audit_tcp_row_parse("  sl  local_address rem_address   st tx_queue rx_queue tr "
                                         "tm->when retrnsmt   uid  timeout inode\n", false, &t, &inode),
                     -EINVAL);
    assert_int_equal(audit_tcp_row_parse(
        "   0: 0100007F:170C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
        "4711 1\n", true, &t, &inode), -EINVAL);
    assert_int_equal(audit_tcp_row_parse("   0: 0100007F:170C 00000000:0000 0A\n", false, &t, &inode),
                     -EINVAL);
}

static void test_inet_addr_mapped(void **state)
{
    (void)state;
    uint8_t a[16], b[16];
    assert_int_equal(inet_addr_mapped("10.1.2.3", a), 0);
    assert_int_equal(inet_addr_mapped("::ffff:10.1.2.3", b), 0);
    assert_memory_equal(a, b, 16);
    assert_int_equal(inet_addr_mapped("0.0.0.0", a), 0);
    assert_int_equal(inet_addr_mapped("::", b), 0);
    assert_memory_not_equal(a, b, 16);
    assert_int_equal(inet_addr_mapped("localhost", a), -EINVAL);
    assert_int_equal(inet_addr_mapped("[::1]", a), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_nic_checks_its_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_vnc_checks_its_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xen_plan_lists_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xen_plan_vnc_one_port_ipv6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xen_plan_warns_of_every_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_plan_refuses_vif, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_plan_refuses_vnc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_plan_refuses_both, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_plan_without_them_stands, setup, teardown),
        cmocka_unit_test(test_tcp_rows_parse),
        cmocka_unit_test(test_inet_addr_mapped),
    };
    return cmocka_run_group_tests_name("devices the device model makes itself", tests, NULL, NULL);
}
