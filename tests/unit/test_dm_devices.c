/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devices the device model makes for itself (libxl's vif and vnc, opened
 * by qemu-xen): the setters refuse what cannot be, the xen plan lists them
 * (JSON and text) for the audit, the qemu plan makes each NIC's tap a
 * resource (or refuses it, naming what the facts deny) and carries the
 * display (card, USB input, keymap, VNC; its password only said to be
 * set), and
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

/* The qemu facts with one NIC's: its bridge as given, its tap's name. */
static char *qemu_facts_nic(const char *bridge, const char *state, const char *ifname,
                            bool in_use)
{
    char *json = NULL;
    size_t n = strlen(qemu_facts);
    assert_true(asprintf(&json, "%.*s,\"nics\":[{\"bridge\":\"%s\",\"bridge_state\":\"%s\","
                         "\"ifname\":\"%s\",\"ifname_in_use\":%s,\"random_mac\":"
                         "\"00:16:3e:0a:0b:0c\"}]}", (int)(n - 1), qemu_facts, bridge, state,
                         ifname, in_use ? "true" : "false") > 0);
    return json;
}

static void assert_qemu_nic_refused(struct env *e, const char *facts, int rc, const char *reason)
{
    libdmr_plan *plan = plan_of(e, facts, LIBDMR_BACKEND_QEMU);
    const char *why = NULL;
    assert_int_equal(libdmr_plan_refusal(plan, &why), rc);
    assert_has(why, reason);
    libdmr_plan_free(plan);
}

/* xl's defaults: bridge xenbr0, model rtl8139, the facts' random mac, tap
 * vif<domid>.0-emu; a resource QEMU gets by descriptor. */
static void test_qemu_plan_makes_the_tap(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_add_nic(e->ctx, e->config, NULL, NULL, NULL), 0);
    char *facts = qemu_facts_nic("xenbr0", "bridge", "vif12.0-emu", false);
    libdmr_plan *plan = plan_of(e, facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    char *json = NULL, *text = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_has(json, "{\"id\":\"vif12.0-emu\",\"kind\":\"tap\",\"path\":\"/dev/net/tun\","
                     "\"writable\":true,\"fd\":6,\"fdset\":null}");
    assert_has(json, "\"taps\":[{\"ifname\":\"vif12.0-emu\",\"bridge\":\"xenbr0\","
                     "\"device\":\"rtl8139\",\"mac\":\"00:16:3e:0a:0b:0c\",\"vnet_hdr\":false,"
                     "\"fd\":6}]");
    assert_has(json, "\"-netdev\",\"tap,id=net0,fd=6\",\"-device\","
                     "\"rtl8139,id=nic0,netdev=net0,mac=00:16:3e:0a:0b:0c\"");
    assert_int_equal(libdmr_plan_to_text(e->ctx, plan, &text), 0);
    assert_has(text, "Network: vif 0 is tap vif12.0-emu on bridge xenbr0, rtl8139 mac "
                     "00:16:3e:0a:0b:0c: the toolstack makes it, QEMU gets fd 6 and opens nothing\n");
    free(json);
    free(text);
    free(facts);
    libdmr_plan_free(plan);
}

/* virtio-net: the tap made with IFF_VNET_HDR; the config's mac wins. */
static void test_qemu_plan_virtio_net(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_add_nic_mac(e->ctx, e->config, "web0", "br0", "virtio-net",
                                               "02:00:00:00:00:01"), 0);
    char *facts = qemu_facts_nic("br0", "bridge", "web0", false);
    libdmr_plan *plan = plan_of(e, facts, LIBDMR_BACKEND_QEMU);
    char *json = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_has(json, "\"device\":\"virtio-net-pci\",\"mac\":\"02:00:00:00:00:01\",\"vnet_hdr\":true");
    free(json);
    free(facts);
    libdmr_plan_free(plan);
}

static void test_qemu_plan_refuses_what_the_facts_deny(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_add_nic(e->ctx, e->config, NULL, "br9", NULL), 0);
    char *f = qemu_facts_nic("br9", "absent", "vif12.0-emu", false);
    assert_qemu_nic_refused(e, f, LIBDMR_ERROR_NOTFOUND, "vif 0: bridge br9 does not exist");
    free(f);
    f = qemu_facts_nic("br9", "not-a-bridge", "vif12.0-emu", false);
    assert_qemu_nic_refused(e, f, LIBDMR_ERROR_INVAL, "vif 0: br9 is not a bridge");
    free(f);
    f = qemu_facts_nic("br9", "bridge", "vif12.0-emu", true);
    assert_qemu_nic_refused(e, f, LIBDMR_ERROR_BUSY, "vif 0: an interface named vif12.0-emu "
                            "exists already");
    free(f);
    /* Facts gathered for another config: no guessing. */
    assert_qemu_nic_refused(e, qemu_facts, LIBDMR_ERROR_INVAL, "the facts have no network facts");
}

static void test_qemu_plan_refuses_an_unknown_model(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_add_nic(e->ctx, e->config, NULL, NULL, "ne2k_pci"), 0);
    char *f = qemu_facts_nic("xenbr0", "bridge", "vif12.0-emu", false);
    assert_qemu_nic_refused(e, f, LIBDMR_ERROR_INVAL, "vif 0: model ne2k_pci is not one");
    free(f);
}

static void test_add_nic_mac_checks_it(void **state)
{
    struct env *e = *state;
    libdmr_ctx *ctx = e->ctx;
    libdmr_config *c = e->config;
    assert_int_equal(libdmr_config_add_nic_mac(ctx, c, NULL, NULL, NULL, "00:16:3E:00:00:01"), 0);
    assert_refused(e, libdmr_config_add_nic_mac(ctx, c, NULL, NULL, NULL, "00:16:3e:00:00:01"),
                   "vif: mac 00:16:3e:00:00:01 is used twice");
    assert_refused(e, libdmr_config_add_nic_mac(ctx, c, NULL, NULL, NULL, "01:00:5e:00:00:01"),
                   "is a multicast address");
    assert_refused(e, libdmr_config_add_nic_mac(ctx, c, NULL, NULL, NULL, "00:00:00:00:00:00"),
                   "all zeros");
    const char *bad[] = { "00:16:3e:0:0:1", "00-16-3e-00-00-01", "00:16:3e:00:00:01,x",
                          "0x:16:3e:00:00:01", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_refused(e, libdmr_config_add_nic_mac(ctx, c, NULL, NULL, NULL, bad[i]),
                       "vif: bad mac");
    assert_int_equal(libdmr_config_add_nic_mac(NULL, c, NULL, NULL, NULL, NULL), LIBDMR_ERROR_INVAL);
}

/* libxl picks a vif's MAC on the xen backend: a chosen one is refused, not dropped. */
static void test_xen_plan_refuses_a_mac(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_add_nic_mac(e->ctx, e->config, NULL, NULL, NULL,
                                               "00:16:3e:00:00:01"), 0);
    libdmr_plan *plan = plan_of(e, xen_facts, LIBDMR_BACKEND_XEN);
    const char *why = NULL;
    assert_int_equal(libdmr_plan_refusal(plan, &why), LIBDMR_ERROR_NI);
    assert_has(why, "vif 0: mac is not carried to libxl");
    libdmr_plan_free(plan);
}

/* The qemu backend carries VNC (plan_display.c): QEMU binds it at init. */
static void test_qemu_plan_carries_vnc(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_set_vnc(e->ctx, e->config, NULL, 4, true), 0);
    libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    char *json = NULL, *text = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_has(json, "\"vnc\":{\"listen\":\"127.0.0.1\",\"display\":4,\"find_unused\":true,"
                     "\"ports\":[5904,5999],\"password\":false}");
    assert_int_equal(libdmr_plan_to_text(e->ctx, plan, &text), 0);
    assert_has(text, "VNC: QEMU binds 127.0.0.1 port 5904-5999 (the first free one; create "
                     "says which) at init, before it chroots; display 4; password: none");
    const char *const *argv = libdmr_plan_argv(plan);
    bool found = false;
    for (size_t i = 0; argv[i]; i++)
        found |= !strcmp(argv[i], "127.0.0.1:4,to=99");
    assert_true(found);
    free(json);
    free(text);
    libdmr_plan_free(plan);
}

static void test_display_setters_check_their_values(void **state)
{
    struct env *e = *state;
    libdmr_config *c = e->config;
    assert_int_equal(libdmr_config_set_vga(e->ctx, c, LIBDMR_VGA_STD, 16), 0);
    assert_refused(e, libdmr_config_set_vga(e->ctx, c, LIBDMR_VGA_STD, 8), "16 to 256 MB for stdvga");
    assert_refused(e, libdmr_config_set_vga(e->ctx, c, LIBDMR_VGA_CIRRUS, 4), "8 to 256 MB for cirrus");
    assert_refused(e, libdmr_config_set_vga(e->ctx, c, LIBDMR_VGA_DEFAULT, 512), "8 to 256 MB");
    assert_refused(e, libdmr_config_set_vga(e->ctx, c, LIBDMR_VGA_NONE, 8), "vga=\"none\"");
    assert_int_equal(libdmr_config_set_keymap(e->ctx, c, "en-gb"), 0);
    assert_refused(e, libdmr_config_set_keymap(e->ctx, c, "../../etc/x"), "bad keymap");
    assert_refused(e, libdmr_config_set_keymap(e->ctx, c, "de.map"), "bad keymap");
    assert_int_equal(libdmr_config_add_usb_device(e->ctx, c, "tablet"), 0);
    assert_refused(e, libdmr_config_add_usb_device(e->ctx, c, "host:1234:5678"),
                   "only tablet and mouse");
    assert_int_equal(libdmr_config_set_vnc_password(e->ctx, c, "pw\"\\x"), 0);
    assert_int_equal(libdmr_config_set_vnc_password(e->ctx, c, ""), 0);
    /* The refusal never quotes the secret. */
    assert_refused(e, libdmr_config_set_vnc_password(e->ctx, c, "Qz9\there"), "printable ASCII");
    assert_null(strstr(libdmr_ctx_last_error(e->ctx), "Qz9"));
    assert_refused(e, libdmr_config_set_vnc_password(e->ctx, c,
        "0123456789012345678901234567890123456789012345678901234567890123456789"), "longer than 64");
}

/* The secret is in no view of the plan: JSON, text, argv; the plan says "set". */
static void test_vnc_password_only_said_to_be_set(void **state)
{
    struct env *e = *state;
    static const char secret[] = "Zq7secretXy";
    assert_int_equal(libdmr_config_set_vnc(e->ctx, e->config, "::1", 0, false), 0);
    assert_int_equal(libdmr_config_set_vnc_password(e->ctx, e->config, secret), 0);
    libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    char *json = NULL, *text = NULL;
    assert_int_equal(libdmr_plan_to_json(e->ctx, plan, &json), 0);
    assert_int_equal(libdmr_plan_to_text(e->ctx, plan, &text), 0);
    assert_null(strstr(json, "Zq7secret"));
    assert_null(strstr(text, "Zq7secret"));
    assert_has(json, "\"password\":true");
    assert_has(text, "password: set");
    assert_has(text, "VNC: QEMU binds [::1] port 5900 at init");
    const char *const *argv = libdmr_plan_argv(plan);
    bool found = false;
    for (size_t i = 0; argv[i]; i++) {
        assert_null(strstr(argv[i], "Zq7secret"));
        found |= !strcmp(argv[i], "[::1]:0,password=on");
    }
    assert_true(found);
    /* Longer than VNC's 8: said, without the value. */
    assert_int_equal(libdmr_plan_warning_count(plan), 1);
    assert_has(libdmr_plan_warning(plan, 0), "uses only its first 8");
    free(json);
    free(text);
    libdmr_plan_free(plan);
}

/* The card, USB and keymap as argv: after the fixed-address devices. */
static void test_display_devices_in_argv(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_set_vga(e->ctx, e->config, LIBDMR_VGA_STD, 0), 0);
    assert_int_equal(libdmr_config_add_usb_device(e->ctx, e->config, "mouse"), 0);
    assert_int_equal(libdmr_config_set_keymap(e->ctx, e->config, "fr"), 0);
    assert_int_equal(libdmr_config_set_machine(e->ctx, e->config, LIBDMR_MACHINE_PC), 0);
    libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    const char *const *argv = libdmr_plan_argv(plan);
    const char *want[] = { "VGA,id=video0,vgamem_mb=16", "piix3-usb-uhci,id=usb",
                           "usb-mouse,id=input0,bus=usb.0", "-k", "fr" };
    size_t w = 0;
    for (size_t i = 0; argv[i] && w < ELEMENTSOF(want); i++)
        if (!strcmp(argv[i], want[w]))
            w++;
    assert_int_equal(w, ELEMENTSOF(want));
    libdmr_plan_free(plan);
}

/* VNC without a card is allowed, and said. */
static void test_vnc_without_a_card_is_said(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_set_vga(e->ctx, e->config, LIBDMR_VGA_NONE, 0), 0);
    assert_int_equal(libdmr_config_set_vnc(e->ctx, e->config, NULL, 0, false), 0);
    libdmr_plan *plan = plan_of(e, qemu_facts, LIBDMR_BACKEND_QEMU);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    assert_int_equal(libdmr_plan_notice_count(plan), 1);
    assert_has(libdmr_plan_notice(plan, 0), "no display card to show");
    libdmr_plan_free(plan);
}

/* The xen backend does not carry them: refused by name, never dropped. */
static void test_xen_plan_refuses_display(void **state)
{
    struct env *e = *state;
    assert_int_equal(libdmr_config_set_keymap(e->ctx, e->config, "de"), 0);
    libdmr_plan *plan = plan_of(e, xen_facts, LIBDMR_BACKEND_XEN);
    const char *why = NULL;
    assert_int_equal(libdmr_plan_refusal(plan, &why), LIBDMR_ERROR_NI);
    assert_has(why, "keymap: not carried by the xen backend");
    libdmr_plan_free(plan);
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
        cmocka_unit_test_setup_teardown(test_qemu_plan_carries_vnc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_display_setters_check_their_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vnc_password_only_said_to_be_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_display_devices_in_argv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xen_plan_refuses_display, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vnc_without_a_card_is_said, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_plan_makes_the_tap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_plan_virtio_net, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_plan_refuses_what_the_facts_deny, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_plan_refuses_an_unknown_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_nic_mac_checks_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xen_plan_refuses_a_mac, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_plan_without_them_stands, setup, teardown),
        cmocka_unit_test(test_tcp_rows_parse),
        cmocka_unit_test(test_inet_addr_mapped),
    };
    return cmocka_run_group_tests_name("devices the device model makes itself", tests, NULL, NULL);
}
