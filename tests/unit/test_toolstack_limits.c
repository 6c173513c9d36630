/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A toolstack that sets the plan's resource limits itself before exec (a
 * libxl built with libdmrestrict: libdmr_config_set_toolstack_limits):
 * RLIMIT_FSIZE is still fitted to the writable file-backed disks, but
 * nothing is left to raise after the start, so the plan needs no
 * CAP_SYS_RESOURCE and says nothing about raising it. Without it (xl-dmr
 * over stock libxl), the plan raises FSIZE after create, which needs the
 * capability.
 */
#include <sys/resource.h>

#include "testutil.h"

/* A dom0 without CAP_SYS_RESOURCE, domid 5, and an 8 MiB raw image. */
static const char facts_json[] =
    "{\"domid\":5,\"xen_dom0\":true,\"kvm_usable\":false,\"domids_in_use\":[],"
    "\"users\":{\"range_base\":{\"name\":\"xen-qemuuser-range-base\",\"uid\":131072,"
    "\"gid\":131072,\"group\":\"xen-qemuuser-range-base\"}},\"subuid\":[],\"subgid\":[],"
    "\"qemu\":{\"path\":\"/usr/libexec/xen-qemu-system-i386\",\"present\":true,\"runas\":true,"
    "\"chroot\":true,\"run_with_user\":false,\"run_with_chroot\":false,\"sandbox\":true,"
    "\"root_port_hotplug\":true,\"machines\":[\"xenfv\"]},\"cap_sys_resource\":false,"
    "\"images\":[{\"path\":\"/srv/disk.img\",\"present\":true,\"regular\":true,"
    "\"size\":8388608}]}";

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

static libdmr_plan *plan_of(struct env *e, bool toolstack_limits)
{
    libdmr_config *c = NULL;
    libdmr_facts *f = NULL;
    libdmr_plan *p = NULL;
    assert_int_equal(libdmr_config_new(e->ctx, "limits", &c), 0);
    assert_int_equal(libdmr_config_set_backend(e->ctx, c, LIBDMR_BACKEND_XEN), 0);
    assert_int_equal(libdmr_config_set_toolstack_domid(e->ctx, c, 5), 0);
    assert_int_equal(libdmr_config_set_dm_restrict(e->ctx, c, true), 0);
    assert_int_equal(libdmr_config_add_disk(e->ctx, c, "hda", "/srv/disk.img", LIBDMR_FORMAT_RAW,
                                            LIBDMR_DISK_READWRITE), 0);
    assert_int_equal(libdmr_config_set_toolstack_limits(e->ctx, c, toolstack_limits), 0);
    assert_int_equal(libdmr_facts_from_json(e->ctx, facts_json, &f), 0);
    assert_int_equal(libdmr_plan_compute(e->ctx, c, f, &p), 0);
    libdmr_facts_free(f);
    libdmr_config_free(c);
    return p;
}

static uint64_t planned_fsize(const libdmr_plan *p)
{
    for (size_t i = 0; i < libdmr_plan_rlimit_count(p); i++) {
        int resource;
        uint64_t value;
        assert_int_equal(libdmr_plan_rlimit(p, i, NULL, &resource, &value), 0);
        if (resource == RLIMIT_FSIZE)
            return value;
    }
    fail_msg("no RLIMIT_FSIZE in the plan");
    return 0;
}

static void test_toolstack_sets_them_before_exec(void **state)
{
    libdmr_plan *p = plan_of(*state, true);
    assert_int_equal(libdmr_plan_refusal(p, NULL), 0);
    assert_int_equal(planned_fsize(p), 8388608);
    assert_int_equal(libdmr_plan_libxl_fsize(p), 0);
    for (size_t i = 0; i < libdmr_plan_notice_count(p); i++)
        assert_null(strstr(libdmr_plan_notice(p, i), "RLIMIT_FSIZE"));
    libdmr_plan_free(p);
}

static void test_raised_after_start_needs_the_capability(void **state)
{
    libdmr_plan *p = plan_of(*state, false);
    const char *why = NULL;
    assert_int_equal(libdmr_plan_refusal(p, &why), LIBDMR_ERROR_REFUSED);
    assert_non_null(strstr(why, "needs CAP_SYS_RESOURCE"));
    libdmr_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_toolstack_sets_them_before_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raised_after_start_needs_the_capability, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
