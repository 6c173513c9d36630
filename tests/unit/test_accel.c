/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whether KVM runs guests, on fabricated facts (issue 20): a plan that
 * would use KVM where host check's probe guest did not get through warns
 * before the guest starts (and still uses KVM: nothing is switched
 * behind the admin's back); with no probe yet, a CPU without vmx/svm is
 * warning enough; accel="tcg" and a probe that passed are quiet. host
 * check's kvm line is "ok" only when the probe passed. The facts survive
 * a JSON round trip and the probe cache's key. The real probe on a
 * kvm_pvm host: tests/integration/test_host_accel.sh.
 */
#include "testutil.h"
#include "host.h"

#define FACTS(KVM_USABLE, REST) \
    "{\"domid\":3,\"xen_dom0\":false,\"kvm_usable\":" KVM_USABLE REST ",\"domids_in_use\":[]," \
    "\"users\":{\"range_base\":{\"name\":\"xen-qemuuser-range-base\",\"uid\":131072," \
    "\"gid\":131072,\"group\":\"xen-qemuuser-range-base\"}},\"subuid\":[],\"subgid\":[]," \
    "\"qemu\":{\"path\":\"/usr/bin/qemu-system-x86_64\",\"present\":true,\"runas\":true," \
    "\"chroot\":true,\"sandbox\":true,\"action\":true,\"pvpanic\":true," \
    "\"root_port_hotplug\":true,\"machines\":[\"pc\",\"q35\"]},\"images\":[]}"
#define PROBE(KVM, TCG) \
    ",\"accel_probe\":{\"kvm\":{\"result\":\"" KVM "\",\"detail\":\"kvm saw this\"}," \
    "\"tcg\":{\"result\":\"" TCG "\",\"detail\":\"tcg saw this\"}}"

static const char kvm_failed[] = FACTS("true", ",\"cpu_lacks_virt\":true" PROBE("failed", "passed"));
static const char kvm_passed[] = FACTS("true", ",\"cpu_lacks_virt\":true" PROBE("passed", "passed"));
static const char unprobed_no_virt[] = FACTS("true", ",\"cpu_lacks_virt\":true");
static const char unprobed[] = FACTS("true", "");
static const char no_kvm[] = FACTS("false", "");

struct env {
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx;
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    e->ctx = test_ctx(&e->lg);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    test_ctx_free(e->ctx, e->lg);
    free(e);
    return 0;
}

/* The plan's accel and its warnings joined, for accel (AUTO: none set). */
static enum libdmr_accel plan_accel(struct env *e, const char *facts_json, enum libdmr_accel accel,
                                    char *warnings, size_t size)
{
    libdmr_config *c = NULL;
    libdmr_facts *facts = NULL;
    libdmr_plan *plan = NULL;
    assert_int_equal(libdmr_config_new(e->ctx, "a1", &c), 0);
    assert_int_equal(libdmr_config_set_backend(e->ctx, c, LIBDMR_BACKEND_QEMU), 0);
    assert_int_equal(libdmr_config_set_dm_restrict(e->ctx, c, true), 0);
    if (accel != LIBDMR_ACCEL_AUTO)
        assert_int_equal(libdmr_config_set_accel(e->ctx, c, accel), 0);
    assert_int_equal(libdmr_facts_from_json(e->ctx, facts_json, &facts), 0);
    assert_int_equal(libdmr_plan_compute(e->ctx, c, facts, &plan), 0);
    assert_int_equal(libdmr_plan_refusal(plan, NULL), 0);
    warnings[0] = '\0';
    for (size_t i = 0; i < libdmr_plan_warning_count(plan); i++)
        snprintf(warnings + strlen(warnings), size - strlen(warnings), "%s|",
                 libdmr_plan_warning(plan, i));
    enum libdmr_accel got = plan->accel;
    libdmr_plan_free(plan);
    libdmr_facts_free(facts);
    libdmr_config_free(c);
    return got;
}

static void test_probe_failed_warns_and_keeps_kvm(void **state)
{
    char w[4096];
    assert_int_equal(plan_accel(*state, kvm_failed, LIBDMR_ACCEL_AUTO, w, sizeof(w)), LIBDMR_ACCEL_KVM);
    assert_non_null(strstr(w, "failed xl-dmr host check's probe (kvm saw this)"));
    assert_non_null(strstr(w, "will not make progress; set accel = \"tcg\""));
    assert_int_equal(plan_accel(*state, kvm_failed, LIBDMR_ACCEL_KVM, w, sizeof(w)), LIBDMR_ACCEL_KVM);
    assert_non_null(strstr(w, "will not make progress"));
    assert_int_equal(plan_accel(*state, kvm_failed, LIBDMR_ACCEL_TCG, w, sizeof(w)), LIBDMR_ACCEL_TCG);
    assert_null(strstr(w, "progress"));
}

static void test_probe_passed_is_quiet(void **state)
{
    char w[4096];
    /* The probe outranks the CPU flags: a fast paravirtual KVM is fine. */
    assert_int_equal(plan_accel(*state, kvm_passed, LIBDMR_ACCEL_AUTO, w, sizeof(w)), LIBDMR_ACCEL_KVM);
    assert_null(strstr(w, "progress"));
}

static void test_unprobed(void **state)
{
    char w[4096];
    assert_int_equal(plan_accel(*state, unprobed_no_virt, LIBDMR_ACCEL_AUTO, w, sizeof(w)),
                     LIBDMR_ACCEL_KVM);
    assert_non_null(strstr(w, "no vmx or svm"));
    assert_non_null(strstr(w, "run xl-dmr host check, or set accel = \"tcg\""));
    assert_int_equal(plan_accel(*state, unprobed, LIBDMR_ACCEL_AUTO, w, sizeof(w)), LIBDMR_ACCEL_KVM);
    assert_null(strstr(w, "progress"));
    assert_int_equal(plan_accel(*state, no_kvm, LIBDMR_ACCEL_AUTO, w, sizeof(w)), LIBDMR_ACCEL_TCG);
    assert_null(strstr(w, "progress"));
}

static void test_facts_round_trip(void **state)
{
    struct env *e = *state;
    libdmr_facts *f = NULL, *again = NULL;
    _cleanup_free_ char *json = NULL;
    assert_int_equal(libdmr_facts_from_json(e->ctx, kvm_failed, &f), 0);
    assert_int_equal(f->kvm_probe.result, LIBDMR_PROBE_FAILED);
    assert_int_equal(f->tcg_probe.result, LIBDMR_PROBE_PASSED);
    assert_true(f->cpu_lacks_virt);
    assert_int_equal(libdmr_facts_to_json(e->ctx, f, &json), 0);
    assert_int_equal(libdmr_facts_from_json(e->ctx, json, &again), 0);
    assert_int_equal(again->kvm_probe.result, LIBDMR_PROBE_FAILED);
    assert_string_equal(again->kvm_probe.detail, "kvm saw this");
    assert_true(again->cpu_lacks_virt);
    libdmr_facts_free(again);
    libdmr_facts_free(f);
    /* An unknown result is bad input, not a silent "unknown". */
    assert_int_equal(libdmr_facts_from_json(e->ctx, FACTS("true",
        ",\"accel_probe\":{\"kvm\":{\"result\":\"maybe\"}}"), &f), LIBDMR_ERROR_INVAL);
}

/* host check's kvm and tcg lines for the facts. */
static void judge(struct env *e, const char *facts_json, const char **kvm_word, char *kvm,
                  const char **tcg_word, size_t size)
{
    static const char *const words[] = { "ok", "warn", "FAIL" };
    struct host_facts h = { 0 };
    libdmr_facts *f = NULL;
    assert_int_equal(libdmr_facts_from_json(e->ctx, facts_json, &f), 0);
    h.facts = *f;
    free(f);
    struct libdmr_host_report r;
    assert_int_equal(host_judge(&h, &r), 0);
    *kvm_word = *tcg_word = NULL;
    for (size_t i = 0; i < r.n; i++) {
        if (!strcmp(r.items[i].name, "kvm")) {
            *kvm_word = words[r.items[i].status];
            snprintf(kvm, size, "%s", r.items[i].detail);
        }
        if (!strcmp(r.items[i].name, "tcg"))
            *tcg_word = words[r.items[i].status];
        free(r.items[i].detail);
    }
    free(r.items);
    host_facts_clear(&h);
}

static void test_host_check_kvm_line(void **state)
{
    const char *kvm_word, *tcg_word;
    char kvm[1024];
    judge(*state, kvm_failed, &kvm_word, kvm, &tcg_word, sizeof(kvm));
    assert_string_equal(kvm_word, "warn");
    assert_non_null(strstr(kvm, "kvm saw this"));
    assert_non_null(strstr(kvm, "kvm_pvm"));
    assert_string_equal(tcg_word, "ok");
    judge(*state, kvm_passed, &kvm_word, kvm, &tcg_word, sizeof(kvm));
    assert_string_equal(kvm_word, "ok");
    assert_string_equal(kvm, "kvm saw this");
    /* Not probed: never "ok". */
    judge(*state, unprobed, &kvm_word, kvm, &tcg_word, sizeof(kvm));
    assert_string_equal(kvm_word, "warn");
    assert_string_equal(tcg_word, "warn");
    judge(*state, no_kvm, &kvm_word, kvm, &tcg_word, sizeof(kvm));
    assert_string_equal(kvm_word, "warn");
    assert_non_null(strstr(kvm, "no usable /dev/kvm"));
}

/* A Xen dom0 is never probed and never warned about KVM, with or without
 * /dev/kvm: its device models serve Xen guests. */
static void test_host_check_dom0(void **state)
{
    static const char *const dom0s[] = { no_kvm, unprobed };
    for (size_t i = 0; i < 2; i++) {
        char *json = strdup(dom0s[i]), *at = strstr(json, "\"xen_dom0\":false");
        const char *kvm_word, *tcg_word;
        char kvm[1024];
        assert_non_null(at);
        memcpy(at, "\"xen_dom0\":true ", 16);
        judge(*state, json, &kvm_word, kvm, &tcg_word, sizeof(kvm));
        assert_string_equal(kvm_word, "ok");
        assert_non_null(strstr(kvm, "not probed"));
        assert_null(tcg_word);
        free(json);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe_failed_warns_and_keeps_kvm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_passed_is_quiet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unprobed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_facts_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_check_kvm_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_check_dom0, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
