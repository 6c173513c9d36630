/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxl's domid history, read as libxl reads it: a domid freed at most the
 * reuse timeout ago is taken. The boundary second once picked a domid
 * libxl then refused ("domain id recently used").
 */
#include "testutil.h"

static libdmr_facts *history_facts(const char *history, long now, long timeout)
{
    libdmr_facts *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    FILE *h = fmemopen((void *)history, strlen(history), "r");
    assert_non_null(h);
    assert_int_equal(facts_domids_from_history(f, h, now, timeout), 0);
    fclose(h);
    return f;
}

static void test_boundary_second_is_recent(void **state)
{
    (void)state;
    /* Freed at 138: at 198 (60 s) libxl still refuses it, at 199 not. */
    libdmr_facts *f = history_facts("138 2\n", 198, 60);
    assert_true(facts_domid_in_use(f, 2));
    libdmr_facts_free(f);
    f = history_facts("138 2\n", 199, 60);
    assert_false(facts_domid_in_use(f, 2));
    libdmr_facts_free(f);
}

static void test_only_recent_guest_domids(void **state)
{
    (void)state;
    libdmr_facts *f = history_facts("10 1\n100 3\n150 4\n150 0\n150 32752\n", 160, 60);
    assert_false(facts_domid_in_use(f, 1));
    assert_true(facts_domid_in_use(f, 3));
    assert_true(facts_domid_in_use(f, 4));
    assert_false(facts_domid_in_use(f, 0));
    assert_false(facts_domid_in_use(f, 32752));
    assert_int_equal(f->n_domids_in_use, 2);
    libdmr_facts_free(f);
}

static void test_reuse_timeout_from_environment(void **state)
{
    (void)state;
    unsetenv("LIBXL_DOMID_REUSE_TIMEOUT");
    assert_int_equal(facts_libxl_domid_reuse_timeout(), 60);
    setenv("LIBXL_DOMID_REUSE_TIMEOUT", "0x10", 1);
    assert_int_equal(facts_libxl_domid_reuse_timeout(), 16);
    /* libxl keeps it in an unsigned int: -1 makes every domid recent. */
    setenv("LIBXL_DOMID_REUSE_TIMEOUT", "-1", 1);
    assert_int_equal(facts_libxl_domid_reuse_timeout(), 4294967295L);
    unsetenv("LIBXL_DOMID_REUSE_TIMEOUT");
}

static void test_future_entry_not_recent(void **state)
{
    (void)state;
    /* libxl subtracts unsigned: an entry dated after now is never recent. */
    libdmr_facts *f = history_facts("500 5\n", 100, 60);
    assert_false(facts_domid_in_use(f, 5));
    libdmr_facts_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary_second_is_recent),
        cmocka_unit_test(test_only_recent_guest_domids),
        cmocka_unit_test(test_reuse_timeout_from_environment),
        cmocka_unit_test(test_future_entry_not_recent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
