/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device-model user policy (plan_identity.c) as a table: one row per
 * case, facts in, identity or refusal out. Pure: no NSS here; the
 * integration tests cover the look-ups with real NSS.
 */
#include "testutil.h"

#define BASE 131072u

/* A user as the facts carry it. */
#define U(n, u, g) { .present = true, .name = (char *)(n), .uid = (u), .gid = (g) }
#define NONE { 0 }

struct users {
    struct libdmr_user dmu, base, owner, domid_user, shared, reaper;
};

struct row {
    const char *name;
    /* config */
    bool dm_restrict;
    const char *dmu;
    enum libdmr_backend backend;
    size_t n_pci;
    uint32_t domid;
    struct users u;
    unsigned dmu_processes;        /* live processes with the dmu's uid */
    struct libdmr_subid_range subuid, subgid;   /* count 0: none */
    /* expected */
    int refusal;                   /* LIBDMR_ERROR_* or 0 */
    const char *refusal_has;       /* substring of the reason */
    enum libdmr_uid_source source;
    uid_t uid;
    gid_t gid;
    bool kill_by_uid;
    uid_t reaper;                  /* 0: none expected */
    const char *warning_has;       /* substring of some warning, or NULL */
    const char *notice_has;
    const char *reason_has;
};

#define XEN LIBDMR_BACKEND_XEN
#define QEMU LIBDMR_BACKEND_QEMU
#define RANGE_BASE U("xen-qemuuser-range-base", BASE, BASE)

static const struct row rows[] = {
    { "range-base", .dm_restrict = true, .domid = 1, .u = { .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 1, .gid = BASE, .kill_by_uid = true,
      .reaper = BASE },
    { "range-base-domid-70-as-the-wiki", .dm_restrict = true, .domid = 70,
      .u = { .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_RANGE, .uid = 131142, .gid = BASE, .kill_by_uid = true,
      .reaper = BASE },
    { "range-base-with-reaper-user", .dm_restrict = true, .domid = 2,
      .u = { .base = RANGE_BASE, .reaper = U("xen-qemuuser-reaper", 990, 990) },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 2, .gid = BASE, .kill_by_uid = true,
      .reaper = 990 },
    { "range-base-clash-names-both", .dm_restrict = true, .domid = 1,
      .u = { .base = RANGE_BASE, .owner = U("alice", BASE + 1, 1000) },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "already belongs to user \"alice\"" },
    { "range-base-overflow", .dm_restrict = true, .domid = 10,
      .u = { .base = U("xen-qemuuser-range-base", 4294967290u, 100) },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "past the last uid" },
    { "range-base-sum-is-uid-minus-1", .dm_restrict = true, .domid = 1,
      .u = { .base = U("xen-qemuuser-range-base", 4294967294u, 100) },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "past the last uid" },
    { "range-base-gid-0-behind-a-name", .dm_restrict = true, .domid = 1,
      .u = { .base = U("xen-qemuuser-range-base", BASE, 0) },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "never has uid or gid 0" },
    { "range-base-wins-over-domid-user-and-shared", .dm_restrict = true, .domid = 3,
      .u = { .base = RANGE_BASE, .domid_user = U("xen-qemuuser-domid3", 5003, 5003),
             .shared = U("xen-qemuuser-shared", 5000, 5000) },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 3, .gid = BASE, .kill_by_uid = true,
      .reaper = BASE },
    { "domid-user-older-scheme-without-reaper", .dm_restrict = true, .domid = 3,
      .u = { .domid_user = U("xen-qemuuser-domid3", 5003, 5003) },
      .source = LIBDMR_SOURCE_DOMID_USER, .uid = 5003, .gid = 5003, .kill_by_uid = false,
      .warning_has = "no reaper uid" },
    { "domid-user-with-reaper", .dm_restrict = true, .domid = 3,
      .u = { .domid_user = U("xen-qemuuser-domid3", 5003, 5003),
             .reaper = U("xen-qemuuser-reaper", 990, 990) },
      .source = LIBDMR_SOURCE_DOMID_USER, .uid = 5003, .gid = 5003, .kill_by_uid = true,
      .reaper = 990 },
    { "domid-user-wins-over-shared", .dm_restrict = true, .domid = 3,
      .u = { .domid_user = U("xen-qemuuser-domid3", 5003, 5003),
             .shared = U("xen-qemuuser-shared", 5000, 5000) },
      .source = LIBDMR_SOURCE_DOMID_USER, .uid = 5003, .gid = 5003, .kill_by_uid = false },
    { "domid-user-uid-0-behind-a-name", .dm_restrict = true, .domid = 3,
      .u = { .domid_user = U("xen-qemuuser-domid3", 0, 5003) },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "never has uid or gid 0" },
    { "shared-user-warns-no-kill-by-uid", .dm_restrict = true, .domid = 1,
      .u = { .shared = U("xen-qemuuser-shared", 5000, 5000),
             .reaper = U("xen-qemuuser-reaper", 990, 990) },
      .source = LIBDMR_SOURCE_SHARED, .uid = 5000, .gid = 5000, .kill_by_uid = false,
      .warning_has = "cannot be killed by uid" },
    { "shared-user-uid-0-behind-a-name", .dm_restrict = true, .domid = 1,
      .u = { .shared = U("xen-qemuuser-shared", 0, 0) },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "never has uid or gid 0" },
    { "no-user-restricted-refuses-never-root", .dm_restrict = true, .domid = 1,
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "cannot restrict the device model" },
    { "no-user-unrestricted-is-root-with-notice", .dm_restrict = false, .domid = 1,
      .source = LIBDMR_SOURCE_ROOT, .uid = 0, .gid = 0, .notice_has = "runs as root" },
    { "unrestricted-ignores-range-base", .dm_restrict = false, .domid = 1,
      .u = { .base = RANGE_BASE, .shared = U("xen-qemuuser-shared", 5000, 5000) },
      .source = LIBDMR_SOURCE_ROOT, .uid = 0, .gid = 0, .notice_has = "dm_restrict is off" },
    /* Only a uid the toolstack gives this domain is killed by uid. */
    { "device-model-user-not-owned-never-killed-by-uid", .dm_restrict = true, .domid = 1,
      .dmu = "qemu1", .u = { .dmu = U("qemu1", 1001, 1001), .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_DEVICE_MODEL_USER, .uid = 1001, .gid = 1001,
      .kill_by_uid = false, .notice_has = "never killed by uid" },
    { "device-model-user-nobody-with-processes-refused", .dm_restrict = true, .domid = 1,
      .dmu = "nobody", .u = { .dmu = U("nobody", 65534, 65534), .base = RANGE_BASE },
      .dmu_processes = 3,
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "already runs 3 process(es)" },
    { "device-model-user-nobody-idle-pidfd-only", .dm_restrict = true, .domid = 1,
      .dmu = "nobody", .u = { .dmu = U("nobody", 65534, 65534), .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_DEVICE_MODEL_USER, .uid = 65534, .gid = 65534,
      .kill_by_uid = false, .notice_has = "killed through its pidfd" },
    { "device-model-user-is-the-domid-user-killed-by-uid", .dm_restrict = true, .domid = 3,
      .dmu = "xen-qemuuser-domid3", .dmu_processes = 1,
      .u = { .dmu = U("xen-qemuuser-domid3", 5003, 5003),
             .domid_user = U("xen-qemuuser-domid3", 5003, 5003), .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_DEVICE_MODEL_USER, .uid = 5003, .gid = 5003,
      .kill_by_uid = true, .reaper = BASE },
    { "device-model-user-unrestricted-still-runas", .dm_restrict = false, .domid = 1,
      .dmu = "qemu1", .u = { .dmu = U("qemu1", 1001, 1001),
                             .reaper = U("xen-qemuuser-reaper", 990, 990) },
      .source = LIBDMR_SOURCE_DEVICE_MODEL_USER, .uid = 1001, .gid = 1001,
      .kill_by_uid = false, .notice_has = "never killed by uid" },
    { "device-model-user-uid-0-restricted", .dm_restrict = true, .domid = 1, .dmu = "toor",
      .u = { .dmu = U("toor", 0, 0), .base = RANGE_BASE },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "has uid 0" },
    { "device-model-user-uid-0-unrestricted", .dm_restrict = false, .domid = 1, .dmu = "toor",
      .u = { .dmu = U("toor", 0, 0) },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "has uid 0" },
    { "device-model-user-gid-0-restricted", .dm_restrict = true, .domid = 1, .dmu = "qemu1",
      .u = { .dmu = U("qemu1", 1001, 0) },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "never has uid or gid 0" },
    { "device-model-user-gid-0-unrestricted-allowed", .dm_restrict = false, .domid = 1,
      .dmu = "qemu1", .u = { .dmu = U("qemu1", 1001, 0) },
      .source = LIBDMR_SOURCE_DEVICE_MODEL_USER, .uid = 1001, .gid = 0,
      .kill_by_uid = false, .notice_has = "never killed by uid" },
    { "device-model-user-missing-restricted", .dm_restrict = true, .domid = 1, .dmu = "ghost",
      .u = { .base = RANGE_BASE },
      .refusal = LIBDMR_ERROR_NOTFOUND, .refusal_has = "\"ghost\" does not exist" },
    { "device-model-user-missing-unrestricted", .dm_restrict = false, .domid = 1, .dmu = "ghost",
      .refusal = LIBDMR_ERROR_NOTFOUND, .refusal_has = "\"ghost\" does not exist" },
    { "device-model-user-names-shared-user", .dm_restrict = true, .domid = 1,
      .dmu = "xen-qemuuser-shared",
      .u = { .dmu = U("xen-qemuuser-shared", 5000, 5000), .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_SHARED, .uid = 5000, .gid = 5000, .kill_by_uid = false,
      .warning_has = "shared user" },
    { "device-model-user-another-name-for-shared-uid", .dm_restrict = true, .domid = 1,
      .dmu = "qemu-alias",
      .u = { .dmu = U("qemu-alias", 5000, 5000), .shared = U("xen-qemuuser-shared", 5000, 5000),
             .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_SHARED, .uid = 5000, .gid = 5000, .kill_by_uid = false,
      .warning_has = "cannot be killed by uid" },
    { "device-model-user-with-another-domains-range-uid", .dm_restrict = true, .domid = 1,
      .dmu = "squatter",
      .u = { .dmu = U("squatter", BASE + 7, BASE), .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_DEVICE_MODEL_USER, .uid = BASE + 7, .gid = BASE,
      .kill_by_uid = false, .warning_has = "range uid of another domain" },
    { "device-model-user-with-this-domains-range-uid", .dm_restrict = true, .domid = 7,
      .dmu = "mine",
      .u = { .dmu = U("mine", BASE + 7, BASE), .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_DEVICE_MODEL_USER, .uid = BASE + 7, .gid = BASE,
      .kill_by_uid = true, .reaper = BASE },
    { "reaper-in-subordinate-range-warns", .dm_restrict = true, .domid = 1,
      .u = { .base = RANGE_BASE, .reaper = U("xen-qemuuser-reaper", 100500, 990) },
      .subuid = { "carol", 100000, 1000 },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 1, .gid = BASE, .kill_by_uid = true,
      .reaper = 100500, .warning_has = "reaper uid 100500 lies in carol's" },
    { "domid-user-reason-names-the-user", .dm_restrict = true, .domid = 3,
      .u = { .domid_user = U("xen-qemuuser-domid3", 5003, 5003),
             .reaper = U("xen-qemuuser-reaper", 990, 990) },
      .source = LIBDMR_SOURCE_DOMID_USER, .uid = 5003, .gid = 5003, .kill_by_uid = true,
      .reaper = 990, .reason_has = "xen-qemuuser-domid3" },
    { "device-model-user-is-reaper-falls-back-to-base", .dm_restrict = true, .domid = 1,
      .dmu = "xen-qemuuser-reaper",
      .u = { .dmu = U("xen-qemuuser-reaper", 990, 990), .base = RANGE_BASE,
             .reaper = U("xen-qemuuser-reaper", 990, 990) },
      .source = LIBDMR_SOURCE_DEVICE_MODEL_USER, .uid = 990, .gid = 990,
      .kill_by_uid = false },
    { "reaper-inside-dm-range-not-used", .dm_restrict = true, .domid = 1,
      .u = { .base = RANGE_BASE, .reaper = U("xen-qemuuser-reaper", BASE + 5, 990) },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 1, .gid = BASE, .kill_by_uid = true,
      .reaper = BASE },
    { "legacy-pci-xen-unrestricted-root-with-warning", .dm_restrict = false, .domid = 1,
      .backend = XEN, .n_pci = 1, .u = { .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_ROOT, .uid = 0, .gid = 0,
      .warning_has = "Cannot run QEMU as non-root when PCI devices are being assigned to the guest VM" },
    { "legacy-pci-xen-wins-over-device-model-user", .dm_restrict = false, .domid = 1,
      .backend = XEN, .n_pci = 1, .dmu = "qemu1", .u = { .dmu = U("qemu1", 1001, 1001) },
      .source = LIBDMR_SOURCE_ROOT, .uid = 0, .gid = 0, .warning_has = "Cannot run QEMU as non-root" },
    { "legacy-pci-xen-restricted-refuses", .dm_restrict = true, .domid = 1,
      .backend = XEN, .n_pci = 2, .u = { .base = RANGE_BASE },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "0000:01:00.0, 0000:01:00.1" },
    { "legacy-pci-refusal-names-ways-out", .dm_restrict = true, .domid = 1,
      .backend = XEN, .n_pci = 1, .u = { .base = RANGE_BASE },
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "dm_backend=\"qemu\"" },
    { "vfio-pci-qemu-backend-stays-unprivileged", .dm_restrict = true, .domid = 1,
      .backend = QEMU, .n_pci = 1, .u = { .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 1, .gid = BASE, .kill_by_uid = true,
      .reaper = BASE },
    { "range-xen-backend-without-pci", .dm_restrict = true, .domid = 4, .backend = XEN,
      .u = { .base = RANGE_BASE },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 4, .gid = BASE, .kill_by_uid = true,
      .reaper = BASE },
    { "subordinate-uid-range-overlap-warns", .dm_restrict = true, .domid = 1,
      .u = { .base = RANGE_BASE }, .subuid = { "alice", 100000, 65536 },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 1, .gid = BASE, .kill_by_uid = true,
      .reaper = BASE, .warning_has = "alice's subordinate uid range 100000-165535" },
    { "subordinate-gid-range-overlap-warns", .dm_restrict = true, .domid = 1,
      .u = { .base = RANGE_BASE }, .subgid = { "bob", 131000, 100 },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 1, .gid = BASE, .kill_by_uid = true,
      .reaper = BASE, .warning_has = "gid 131072 lies in bob's subordinate gid range" },
    { "subordinate-range-elsewhere-no-warning", .dm_restrict = true, .domid = 1,
      .u = { .base = RANGE_BASE }, .subuid = { "alice", 100000, 31072 },
      .source = LIBDMR_SOURCE_RANGE, .uid = BASE + 1, .gid = BASE, .kill_by_uid = true,
      .reaper = BASE },
};

static void run_row(void **state)
{
    const struct row *row = *state;
    struct libdmr_pci_dev pci[2] = { { .bus = 1 }, { .bus = 1, .func = 1 } };
    libdmr_config config = {
        .name = (char *)"guest", .dm_restrict = row->dm_restrict,
        .device_model_user = (char *)row->dmu, .pci = pci, .n_pci = row->n_pci,
    };
    struct libdmr_subid_range subuid = row->subuid, subgid = row->subgid;
    libdmr_facts facts = {
        .domid = row->domid,
        .device_model_user = row->u.dmu, .range_base = row->u.base,
        .range_uid_owner = row->u.owner, .domid_user = row->u.domid_user,
        .shared = row->u.shared, .reaper = row->u.reaper,
        .device_model_user_processes = row->dmu_processes,
        .subuid = { &subuid, subuid.count ? 1 : 0 },
        .subgid = { &subgid, subgid.count ? 1 : 0 },
    };
    enum libdmr_backend backend = row->backend ? row->backend : LIBDMR_BACKEND_QEMU;
    struct plan_identity id = { 0 };
    struct plan_verdict v = { 0 };

    assert_int_equal(plan_identity(&config, &facts, backend, row->domid, &id, &v), 0);
    assert_int_equal(v.refusal_rc, row->refusal);
    if (row->refusal) {
        print_message("refusal: %s\n", v.refusal);
        assert_non_null(strstr(v.refusal, row->refusal_has));
        assert_null(id.user);  /* a refused identity is not handed out */
    } else {
        assert_int_equal(id.source, row->source);
        assert_int_equal(id.uid, row->uid);
        assert_int_equal(id.gid, row->gid);
        assert_int_equal(id.kill_by_uid, row->kill_by_uid);
        /* The kernel's count is trusted only where no user's containers
         * can hold the uid: no subordinate uid range covers it. */
        bool in_subuid = row->subuid.count && id.uid >= row->subuid.start &&
                         id.uid - row->subuid.start < row->subuid.count;
        assert_int_equal(id.uid_counted, row->kill_by_uid && !in_subuid);
        /* Only the shared user and root may run other domains' DMs too. */
        assert_int_equal(id.uid_exclusive, row->source != LIBDMR_SOURCE_SHARED &&
                                           row->source != LIBDMR_SOURCE_ROOT);
        assert_int_equal(id.has_reaper, row->reaper != 0);
        if (row->reaper)
            assert_int_equal(id.reaper_uid, row->reaper);
        assert_non_null(id.reason);
        if (row->reason_has)
            assert_non_null(strstr(id.reason, row->reason_has));
    }
    if (row->warning_has)
        assert_true(strv_contains(&v.warnings, row->warning_has));
    else if (!row->refusal && row->source != LIBDMR_SOURCE_SHARED && row->kill_by_uid)
        assert_int_equal(v.warnings.n, 0);
    if (row->notice_has)
        assert_true(strv_contains(&v.notices, row->notice_has));
    plan_identity_clear(&id);
    strv_clear(&v.warnings);
    strv_clear(&v.notices);
    free(v.refusal);
}

int main(void)
{
    struct CMUnitTest tests[ELEMENTSOF(rows)];
    for (size_t i = 0; i < ELEMENTSOF(rows); i++)
        tests[i] = (struct CMUnitTest){ .name = rows[i].name, .test_func = run_row,
                                        .initial_state = (void *)&rows[i] };
    return cmocka_run_group_tests_name("identity policy", tests, NULL, NULL);
}
