/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pci-attach and pci-detach decisions (plan_pci_attach.c) as a table: a
 * running domain's PCI record and the host device's facts in, a placement,
 * the DM's chroot additions and its memlock, or a refusal out. Pure: the
 * real runs are tests/integration/test_pci_hotplug.sh (an emulated device
 * in a real guest) and test_pci_attach_vfio.sh (fake sysfs, a real DM).
 */
#include "testutil.h"
#include "../lib/pci_spec.h"

#define DM_UID 131073u
#define DM_GID 131072u
#define MiB (1ull << 20)

enum dev_kind { NO_DEV, VFIO, STANDIN };

/* A device already in the domain. */
struct have {
    const char *bdf, *id, *port;
    bool guest_unplug;
    int group;             /* -1: none (a stand-in) */
};

struct row {
    const char *name;
    /* the domain */
    enum libdmr_backend backend;
    enum libdmr_machine machine;
    bool restricted;
    uid_t dm_uid;
    bool root_bus_off;
    bool has_container;
    bool qemu_iommufd, iommufd_object;
    uint64_t memlock;
    const char *ports[3];
    struct have have[3];
    /* the request */
    const char *spec;
    bool default_unplug;   /* the domain's pci_guest_unplug */
    /* the host device, from sysfs */
    bool standin;
    bool no_group;
    const char *member_driver;     /* a second group member's, NULL: none */
    bool cap_sys_resource;
    bool cdev;             /* /dev/iommu and the device's VFIO cdev exist */
    /* expected */
    int refusal;
    const char *refusal_has;
    const char *warning_has;
    const char *id, *port;
    unsigned root_slot;
    uint64_t memlock_out;
    const char *chroot[4];         /* paths, in order */
    bool iommufd_out, iommu_out;   /* handed over: the cdev; /dev/iommu too */
};

#define Q35 LIBDMR_MACHINE_Q35
#define PC LIBDMR_MACHINE_PC
#define QEMU_DOMAIN .backend = LIBDMR_BACKEND_QEMU, .restricted = true, .dm_uid = DM_UID, \
    .default_unplug = true
#define HOSTDEV0 { "0000:0a:00.0", "hostdev0", "rp1", false, 12 }

static const struct row rows[] = {
    /* Xen: QEMU's xen-pci-passthrough needs root. */
    { "xen-non-root-refused-nothing-changed", .backend = LIBDMR_BACKEND_XEN, .restricted = true,
      .dm_uid = DM_UID, .spec = "0000:03:00.0", .default_unplug = true,
      .refusal = LIBDMR_ERROR_REFUSED,
      .refusal_has = "not root, and Xen PCI passthrough in QEMU needs root: it opens /dev/mem" },
    { "xen-non-root-says-what-to-do", .backend = LIBDMR_BACKEND_XEN, .restricted = true,
      .dm_uid = DM_UID, .spec = "0000:03:00.0", .default_unplug = true,
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "Nothing was changed. To pass a device "
      "through on Xen, list it in the cfg's pci= and create the domain with dm_restrict=0" },
    { "xen-root-warns-unrestricted", .backend = LIBDMR_BACKEND_XEN, .dm_uid = 0,
      .spec = "0000:03:00.0", .default_unplug = true,
      .warning_has = "runs as root and is not restricted", .id = "hostdev0" },
    { "xen-root-vslot-goes-to-libxl", .backend = LIBDMR_BACKEND_XEN, .dm_uid = 0,
      .spec = "0000:03:00.0@5", .default_unplug = true,
      .warning_has = "runs as root and is not restricted", .id = "hostdev0", .root_slot = 5 },
    { "xen-root-guest-unplug-0-refused", .backend = LIBDMR_BACKEND_XEN, .dm_uid = 0,
      .spec = "0000:03:00.0,guest_unplug=0", .default_unplug = true,
      .refusal = LIBDMR_ERROR_INVAL, .refusal_has = "cannot stop the guest from unplugging" },
    /* Placement on q35: spare root ports only. */
    { "q35-takes-the-first-free-port", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1", "hp2" },
      .have = { HOSTDEV0, { "0000:0b:00.0", "hostdev1", "hp1", true, 13 } },
      .spec = "0000:03:00.0", .standin = true, .id = "hostdev2", .port = "hp2",
      .warning_has = "emulated e1000e stands in for 0000:03:00.0" },
    { "q35-id-reuses-the-lowest-free-number", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .have = { { "0000:0b:00.0", "hostdev1", "rp2", true, 13 } },
      .spec = "0000:03:00.0", .standin = true, .id = "hostdev0", .port = "hp1" },
    { "q35-no-free-port", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .have = { { "0000:0b:00.0", "hostdev1", "hp1", true, 13 } },
      .spec = "0000:03:00.0", .standin = true,
      .refusal = LIBDMR_ERROR_BUSY, .refusal_has = "no free hot-plug root port left in domain 5 "
      "(it has 1): create it with a larger pci_hotplug_ports" },
    { "q35-no-ports-at-all", QEMU_DOMAIN, .machine = Q35, .spec = "0000:03:00.0", .standin = true,
      .refusal = LIBDMR_ERROR_BUSY, .refusal_has = "(it has 0)" },
    { "q35-vslot-refused", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .spec = "0000:03:00.0@5", .standin = true,
      .refusal = LIBDMR_ERROR_INVAL, .refusal_has = "pcie.0 takes no hot-plugged device" },
    { "guest-unplug-0-asked-refused", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .spec = "0000:03:00.0,guest_unplug=0", .standin = true,
      .refusal = LIBDMR_ERROR_INVAL, .refusal_has = "list it in the cfg's pci= instead" },
    { "guest-unplug-0-by-domain-default-refused", .backend = LIBDMR_BACKEND_QEMU,
      .restricted = true, .dm_uid = DM_UID, .machine = Q35, .ports = { "hp1" },
      .spec = "0000:03:00.0", .default_unplug = false, .standin = true,
      .refusal = LIBDMR_ERROR_INVAL, .refusal_has = "the domain's pci_guest_unplug=0" },
    { "guest-unplug-1-overrides-domain-default", .backend = LIBDMR_BACKEND_QEMU,
      .restricted = true, .dm_uid = DM_UID, .machine = Q35, .ports = { "hp1" },
      .spec = "0000:03:00.0,guest_unplug=1", .default_unplug = false, .standin = true,
      .id = "hostdev0", .port = "hp1" },
    { "already-attached", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" }, .have = { HOSTDEV0 },
      .spec = "0a:00.0", .standin = true,
      .refusal = LIBDMR_ERROR_BUSY, .refusal_has = "0000:0a:00.0: already attached" },
    /* pc: pci.0 itself. */
    { "pc-root-bus", QEMU_DOMAIN, .machine = PC, .spec = "0000:03:00.0", .standin = true,
      .id = "hostdev0", .port = NULL, .root_slot = 0 },
    { "pc-root-bus-at-vslot", QEMU_DOMAIN, .machine = PC, .spec = "0000:03:00.0@6",
      .standin = true, .id = "hostdev0", .root_slot = 6 },
    { "pc-vslot-out-of-range", QEMU_DOMAIN, .machine = PC, .spec = "0000:03:00.0@1f",
      .standin = true, .refusal = LIBDMR_ERROR_INVAL, .refusal_has = "0x02 to 0x1e on pci.0" },
    { "pc-root-bus-hotplug-off", QEMU_DOMAIN, .machine = PC, .root_bus_off = true,
      .spec = "0000:03:00.0", .standin = true,
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "nothing can be hot-plugged into it" },
    /* VFIO: the group, the DM's chroot, its locked memory. */
    { "vfio-new-group-container-node-sysfs", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .spec = "0000:03:00.0", .cap_sys_resource = true, .id = "hostdev0", .port = "hp1",
      .memlock_out = (512 + 1024) * MiB,
      .chroot = { "/dev/vfio/vfio", "/dev/vfio/20", "/sys/bus/pci/devices/0000:03:00.0" } },
    { "vfio-container-already-there", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .has_container = true, .have = { HOSTDEV0 }, .memlock = (512 + 1024) * MiB,
      .spec = "0000:03:00.0", .id = "hostdev1", .port = "hp1", .memlock_out = 0,
      .chroot = { "/dev/vfio/20", "/sys/bus/pci/devices/0000:03:00.0" } },
    { "vfio-group-already-given-only-sysfs", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .has_container = true, .memlock = (512 + 1024) * MiB,
      .have = { { "0000:0a:00.0", "hostdev0", "rp1", false, 20 } },
      .spec = "0000:03:00.0", .id = "hostdev1", .port = "hp1",
      .chroot = { "/sys/bus/pci/devices/0000:03:00.0" } },
    { "vfio-memlock-dm-cannot-be-raised", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .spec = "0000:03:00.0", .cap_sys_resource = false,
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "RLIMIT_MEMLOCK of 1536 MiB (guest RAM + "
      "1 GiB) for domain 5's device model, which has 0 KiB, and raising its hard limit needs "
      "CAP_SYS_RESOURCE" },
    { "vfio-group-not-viable", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .spec = "0000:03:00.0", .cap_sys_resource = true, .member_driver = "snd_hda_intel",
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "IOMMU group 20 is not viable: its member "
      "0000:03:00.1 is bound to snd_hda_intel" },
    { "vfio-pci-stub-member-is-fine", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .spec = "0000:03:00.0", .cap_sys_resource = true, .member_driver = "pci-stub",
      .id = "hostdev0", .port = "hp1", .memlock_out = (512 + 1024) * MiB,
      .chroot = { "/dev/vfio/vfio", "/dev/vfio/20", "/sys/bus/pci/devices/0000:03:00.0" } },
    { "vfio-no-iommu", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .spec = "0000:03:00.0", .cap_sys_resource = true, .no_group = true,
      .refusal = LIBDMR_ERROR_REFUSED, .refusal_has = "no IOMMU group" },
    /* iommufd: descriptors over QMP, nothing in the chroot. */
    { "iommufd-first-device-brings-dev-iommu", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .qemu_iommufd = true, .cdev = true, .spec = "0000:03:00.0", .cap_sys_resource = true,
      .id = "hostdev0", .port = "hp1", .memlock_out = (512 + 1024) * MiB,
      .iommufd_out = true, .iommu_out = true },
    { "iommufd-object-already-there", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .qemu_iommufd = true, .iommufd_object = true, .cdev = true, .memlock = (512 + 1024) * MiB,
      .spec = "0000:03:00.0", .id = "hostdev0", .port = "hp1", .iommufd_out = true },
    { "iommufd-qemu-without-it-uses-the-group", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .cdev = true, .spec = "0000:03:00.0", .cap_sys_resource = true, .id = "hostdev0",
      .port = "hp1", .memlock_out = (512 + 1024) * MiB,
      .chroot = { "/dev/vfio/vfio", "/dev/vfio/20", "/sys/bus/pci/devices/0000:03:00.0" } },
    { "iommufd-no-cdev-uses-the-group", QEMU_DOMAIN, .machine = Q35, .ports = { "hp1" },
      .qemu_iommufd = true, .spec = "0000:03:00.0", .cap_sys_resource = true, .id = "hostdev0",
      .port = "hp1", .memlock_out = (512 + 1024) * MiB,
      .chroot = { "/dev/vfio/vfio", "/dev/vfio/20", "/sys/bus/pci/devices/0000:03:00.0" } },
    { "vfio-unrestricted-dm-needs-no-chroot", .backend = LIBDMR_BACKEND_QEMU, .dm_uid = 0,
      .machine = Q35, .ports = { "hp1" }, .spec = "0000:03:00.0", .default_unplug = true,
      .cap_sys_resource = true, .id = "hostdev0", .port = "hp1",
      .memlock_out = (512 + 1024) * MiB },
};

static void record_make(const struct row *r, struct dm_pci *pci)
{
    *pci = (struct dm_pci){ .machine = r->machine,
                            .restricted = r->restricted, .guest_unplug = r->default_unplug,
                            .root_bus_hotplug_off = r->root_bus_off,
                            .vfio_container = r->has_container, .memlock = r->memlock,
                            .qemu_iommufd = r->qemu_iommufd,
                            .iommufd_object = r->iommufd_object };
    for (size_t i = 0; i < ELEMENTSOF(r->ports) && r->ports[i]; i++)
        assert_int_equal(strv_push(&pci->ports, r->ports[i]), 0);
    for (size_t i = 0; i < ELEMENTSOF(r->have) && r->have[i].bdf; i++) {
        const struct have *h = &r->have[i];
        assert_int_equal(dm_pci_add(pci, &(struct dm_pci_dev){
            .bdf = (char *)h->bdf, .id = (char *)h->id, .port = (char *)h->port,
            .guest_unplug = h->guest_unplug, .has_group = h->group >= 0,
            .group = h->group >= 0 ? h->group : 0,
            .standin = h->group < 0 ? (char *)"e1000e" : NULL }), 0);
    }
}

/* Facts as facts_pci.c reads them from sysfs: device 0000:03:00.0 in group 20. */
static void facts_make(const struct row *r, libdmr_facts *f, struct libdmr_pci_member *members)
{
    static struct libdmr_pci_host host;
    host = (struct libdmr_pci_host){
        .bdf = (char *)"0000:03:00.0", .present = true, .driver = (char *)"vfio-pci",
        .sysfs_dir = (char *)"/sys/devices/pci0000:00/0000:00:01.0/0000:03:00.0",
        .has_group = !r->no_group, .group = 20, .group_node = true,
        .group_major = 243, .group_minor = 20, .members = members, .n_members = 1,
        .vfio_cdev = r->cdev ? (char *)"/dev/vfio/devices/vfio0" : NULL };
    members[0] = (struct libdmr_pci_member){ .bdf = (char *)"0000:03:00.0", .driver = (char *)"vfio-pci" };
    if (r->member_driver) {
        members[1] = (struct libdmr_pci_member){ .bdf = (char *)"0000:03:00.1",
                                                 .driver = (char *)r->member_driver };
        host.n_members = 2;
    }
    *f = (libdmr_facts){ .pci = &host, .n_pci = 1, .vfio_container = true, .vfio_major = 10,
                         .vfio_minor = 196, .memlock_hard = 8 * MiB,
                         .cap_sys_resource = r->cap_sys_resource,
                         .pci_standin = r->standin ? (char *)"e1000e" : NULL,
                         .iommu_dev = r->cdev ? (char *)"/dev/iommu" : NULL };
}

static void run_row(void **state)
{
    const struct row *r = *state;
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    struct dm_pci pci;
    record_make(r, &pci);
    struct libdmr_pci_member members[2];
    libdmr_facts f;
    facts_make(r, &f, members);
    struct pci_attach_request req = { .domid = 5, .backend = r->backend, .memory_mb = 512, .dm_uid = r->dm_uid,
                                      .dm_gid = DM_GID, .dm_user = "xen-qemuuser-range-base+5",
                                      .pci = &pci };
    assert_int_equal(test_pci_spec(ctx, r->spec, r->default_unplug, &req.dev), 0);
    struct pci_attach_plan ap;
    assert_int_equal(plan_pci_attach(&req, &f, &ap), 0);
    if (r->refusal) {
        if (!ap.verdict.refusal || !strstr(ap.verdict.refusal, r->refusal_has))
            print_message("refusal: %s\n", ap.verdict.refusal ? ap.verdict.refusal : "(none)");
        assert_int_equal(ap.verdict.refusal_rc, r->refusal);
        assert_non_null(strstr(ap.verdict.refusal, r->refusal_has));
    } else {
        if (ap.verdict.refusal)
            print_message("unexpected refusal: %s\n", ap.verdict.refusal);
        assert_int_equal(ap.verdict.refusal_rc, 0);
        assert_string_equal(ap.dev.id, r->id);
        if (r->port)
            assert_string_equal(ap.dev.port, r->port);
        else
            assert_null(ap.dev.port);
        assert_true(ap.dev.hotplugged);
        assert_int_equal(ap.root_slot, r->root_slot);
        assert_int_equal(ap.on_root_bus, r->machine == PC);
        assert_int_equal(ap.memlock, r->memlock_out);
        assert_int_equal(ap.dev.iommufd, r->iommufd_out);
        if (r->iommufd_out)
            assert_string_equal(ap.cdev_path, "/dev/vfio/devices/vfio0");
        if (r->iommu_out)
            assert_string_equal(ap.iommu_path, "/dev/iommu");
        else
            assert_null(ap.iommu_path);
        size_t n = 0;
        while (n < ELEMENTSOF(r->chroot) && r->chroot[n])
            n++;
        assert_int_equal(ap.chroot.n, n);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(ap.chroot.v[i].path, r->chroot[i]);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(ap.chroot.v[i].path, "/dev/vfio/20")) {
                /* The group's node is the DM's own, and only the DM's. */
                assert_int_equal(ap.chroot.v[i].uid, DM_UID);
                assert_int_equal(ap.chroot.v[i].mode, 0600);
                assert_int_equal(ap.chroot.v[i].major, 243);
            }
    }
    if (r->warning_has)
        assert_true(strv_contains(&ap.verdict.warnings, r->warning_has));
    pci_attach_plan_clear(&ap);
    dm_pci_clear(&pci);
    test_ctx_free(ctx, lg);
}

/* Detach: what leaves the DM's chroot, and what cannot be detached. */
static void test_detach(void **state)
{
    (void)state;
    struct dm_pci pci = { .machine = Q35, .restricted = true };
    const struct dm_pci_dev devs[] = {
        { .bdf = "0000:0a:00.0", .id = "hostdev0", .port = "rp1", .guest_unplug = false,
          .has_group = true, .group = 12 },
        { .bdf = "0000:03:00.0", .id = "hostdev1", .port = "hp1", .guest_unplug = true,
          .has_group = true, .group = 20 },
        { .bdf = "0000:03:00.1", .id = "hostdev2", .port = "hp2", .guest_unplug = true,
          .has_group = true, .group = 20 },
        { .bdf = "0000:0e:00.0", .id = "hostdev3", .port = "hp3", .guest_unplug = true,
          .standin = "e1000e" },
        { .bdf = "0000:0f:00.0", .id = "hostdev4", .port = "hp4", .guest_unplug = true,
          .has_group = true, .group = 30, .iommufd = true },
    };
    for (size_t i = 0; i < ELEMENTSOF(devs); i++)
        assert_int_equal(dm_pci_add(&pci, &devs[i]), 0);
    struct pci_detach_plan dp;

    assert_int_equal(plan_pci_detach(&pci, "0000:0a:00.0", &dp), 0);
    assert_int_equal(dp.verdict.refusal_rc, LIBDMR_ERROR_REFUSED);
    assert_non_null(strstr(dp.verdict.refusal, "nothing can unplug it"));
    pci_detach_plan_clear(&dp);

    assert_int_equal(plan_pci_detach(&pci, "0000:05:00.0", &dp), 0);
    assert_int_equal(dp.verdict.refusal_rc, LIBDMR_ERROR_NOTFOUND);
    pci_detach_plan_clear(&dp);

    /* Its group stays given while another device of it is attached. */
    assert_int_equal(plan_pci_detach(&pci, "0000:03:00.0", &dp), 0);
    assert_int_equal(dp.verdict.refusal_rc, 0);
    assert_string_equal(dp.dev->id, "hostdev1");
    assert_int_equal(dp.chroot.n, 1);
    assert_string_equal(dp.chroot.v[0].path, "/sys/bus/pci/devices/0000:03:00.0");
    pci_detach_plan_clear(&dp);

    dm_pci_drop(&pci, "0000:03:00.0");
    assert_int_equal(plan_pci_detach(&pci, "0000:03:00.1", &dp), 0);
    assert_int_equal(dp.chroot.n, 2);
    assert_string_equal(dp.chroot.v[0].path, "/sys/bus/pci/devices/0000:03:00.1");
    assert_string_equal(dp.chroot.v[1].path, "/dev/vfio/20");
    pci_detach_plan_clear(&dp);

    assert_int_equal(plan_pci_detach(&pci, "0000:0e:00.0", &dp), 0);
    assert_int_equal(dp.verdict.refusal_rc, 0);
    assert_int_equal(dp.chroot.n, 0);  /* a stand-in was given nothing */
    pci_detach_plan_clear(&dp);

    assert_int_equal(plan_pci_detach(&pci, "0000:0f:00.0", &dp), 0);
    assert_int_equal(dp.verdict.refusal_rc, 0);
    assert_int_equal(dp.chroot.n, 0);  /* nor was a device given by descriptor */
    pci_detach_plan_clear(&dp);
    dm_pci_clear(&pci);
}

int main(void)
{
    struct CMUnitTest tests[ELEMENTSOF(rows) + 1];
    for (size_t i = 0; i < ELEMENTSOF(rows); i++)
        tests[i] = (struct CMUnitTest){ .name = rows[i].name, .test_func = run_row,
                                        .initial_state = (void *)&rows[i] };
    tests[ELEMENTSOF(rows)] = (struct CMUnitTest)cmocka_unit_test(test_detach);
    return cmocka_run_group_tests_name("pci-attach and pci-detach planner", tests, NULL, NULL);
}
