/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VFIO without root, on fabricated sysfs/dev trees laid out as the kernel
 * lays them out (a device's directory under /sys/devices, its
 * /sys/bus/pci/devices link, driver and iommu_group links, the group's
 * devices directory, /dev/vfio nodes), found through the sysroot. The facts
 * are read for real from the fake tree, the plan judges them, and the
 * chroot a restricted DM gets is made for real in a private mount
 * namespace, up to the point where hardware is needed: QEMU opening the
 * group, which no fake tree can provide.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "launch.h"
#include "testutil.h"
#include "xl_cfg.h"

struct fake_dev {
    const char *bdf;
    const char *driver;    /* NULL: unbound */
    const char *klass;     /* "0x020000", "0x060400" (bridge) */
};

struct tree {
    char root[64];
    bool cdev;             /* iommufd: /dev/iommu and each device's VFIO cdev */
};

static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_int_equal(system(cmd), 0);
}

/* A fake tree with one IOMMU group holding devs (no group if group < 0). */
static void tree_make(struct tree *t, int group, const struct fake_dev *devs, size_t n)
{
    if (geteuid() != 0) {
        print_message("skipped: making the fake tree's device nodes (mknod) needs root\n");
        skip();
    }
    strcpy(t->root, "/tmp/dmr-fake-sysfs-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    const char *srcdir = getenv("srcdir");
    char cmd[4096];
    int off = snprintf(cmd, sizeof(cmd), "%s/tests/lib/fake-sysfs %s%s %d", srcdir ? srcdir : ".",
                       t->cdev ? "--cdev " : "", t->root, group);
    for (size_t i = 0; i < n; i++)
        off += snprintf(cmd + off, sizeof(cmd) - off, " %s:%s:%s", devs[i].bdf,
                        devs[i].driver ? devs[i].driver : "-", devs[i].klass);
    sh("%s", cmd);
}

static void tree_free(struct tree *t)
{
    sh("rm -rf %s", t->root);
}

/* The plan for a restricted guest assigning bdf, with facts from the fake tree. */
static libdmr_plan *plan_for(libdmr_ctx *ctx, const struct tree *t, const char *bdf,
                             libdmr_facts **ret_facts)
{
    char cfg[128] = "/tmp/dmr-fake-sysfs-cfg-XXXXXX";
    int fd = mkstemp(cfg);
    dprintf(fd, "name=\"v\"\ntype=\"hvm\"\nmemory=256\ndm_restrict=1\npci=['%s']\n", bdf);
    close(fd);
    libdmr_config *c = NULL;
    assert_int_equal(xl_config_load(ctx, cfg, NULL, 0, &c), 0);
    unlink(cfg);
    assert_int_equal(libdmr_ctx_set_sysroot(ctx, t->root), 0);
    libdmr_facts *f = NULL;
    assert_int_equal(libdmr_facts_gather(ctx, c, &f), 0);
    /* Identity and host limits are not this test's subject: fix them. */
    facts_user_clear(&f->range_base);
    f->range_base = (struct libdmr_user){ .present = true, .name = strdup("xen-qemuuser-range-base"),
                                          .uid = 131072, .gid = 131072 };
    f->memlock_hard = UINT64_MAX;
    f->domid = 1;  /* whatever domains run on this host */
    f->n_domids_in_use = 0;
    f->qemu.present = true;
    f->qemu.sandbox = f->qemu.runas = f->qemu.chroot = true;
    f->qemu.vfio_iommufd = t->cdev;  /* QEMU 9.0+ with iommufd, in that case */
    strv_clear(&f->qemu.machines);
    strv_push(&f->qemu.machines, "q35");
    libdmr_plan *p = NULL;
    assert_int_equal(libdmr_plan_compute(ctx, c, f, &p), 0);
    libdmr_config_free(c);
    *ret_facts = f;
    return p;
}

static void expect_refusal(const struct fake_dev *devs, size_t n, int group, const char *bdf,
                           const char *message_has)
{
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    struct tree t = { 0 };
    tree_make(&t, group, devs, n);
    libdmr_facts *f;
    libdmr_plan *p = plan_for(ctx, &t, bdf, &f);
    const char *why = NULL;
    assert_int_not_equal(libdmr_plan_refusal(p, &why), 0);
    print_message("refusal: %s\n", why);
    assert_non_null(strstr(why, message_has));
    libdmr_plan_free(p);
    libdmr_facts_free(f);
    tree_free(&t);
    test_ctx_free(ctx, lg);
}

static void test_viable_group_with_bridge_and_pci_stub_fake_sysfs(void **state)
{
    const struct fake_dev devs[] = {
        { "0000:00:1c.0", "pcieport", "0x060400" },
        { "0000:03:00.0", "vfio-pci", "0x030000" },
        { "0000:03:00.1", "pci-stub", "0x040300" },
    };
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    struct tree t = { 0 };
    tree_make(&t, 12, devs, ELEMENTSOF(devs));
    libdmr_facts *f;
    libdmr_plan *p = plan_for(ctx, &t, "0000:03:00.0", &f);
    assert_int_equal(libdmr_plan_refusal(p, NULL), 0);
    /* The facts, as read from the fake tree. */
    assert_int_equal(f->n_pci, 1);
    assert_true(f->pci[0].has_group);
    assert_int_equal(f->pci[0].group, 12);
    assert_string_equal(f->pci[0].driver, "vfio-pci");
    assert_int_equal(f->pci[0].n_members, 3);
    assert_true(f->pci[0].members[0].bridge);
    assert_true(f->vfio_container);
    /* The chroot's planned contents. */
    assert_int_equal(p->chroot_mode, 0755);
    assert_int_equal(p->chroot_contents.n, 4);
    assert_int_equal(p->chroot_contents.v[0].kind, PLAN_CHROOT_TMPFS);
    assert_string_equal(p->chroot_contents.v[1].path, "/dev/vfio/vfio");
    assert_string_equal(p->chroot_contents.v[2].path, "/dev/vfio/12");
    assert_int_equal(p->chroot_contents.v[2].uid, 131073);
    assert_int_equal(p->chroot_contents.v[2].mode, 0600);
    assert_string_equal(p->chroot_contents.v[3].path, "/sys/bus/pci/devices/0000:03:00.0");
    assert_non_null(strstr(p->chroot_contents.v[3].source, "/sys/devices/pci0000:00/0000:03:00.0"));
    libdmr_plan_free(p);
    libdmr_facts_free(f);
    tree_free(&t);
    test_ctx_free(ctx, lg);
}

static void test_group_member_on_host_driver_refused_fake_sysfs(void **state)
{
    const struct fake_dev devs[] = {
        { "0000:03:00.0", "vfio-pci", "0x030000" },
        { "0000:03:00.1", "snd_hda_intel", "0x040300" },
    };
    expect_refusal(devs, ELEMENTSOF(devs), 12, "0000:03:00.0",
                   "0000:03:00.1 is bound to snd_hda_intel");
}

static void test_unbound_endpoint_refused_fake_sysfs(void **state)
{
    const struct fake_dev devs[] = {
        { "0000:03:00.0", "vfio-pci", "0x030000" },
        { "0000:03:00.1", NULL, "0x040300" },
    };
    expect_refusal(devs, ELEMENTSOF(devs), 12, "0000:03:00.0", "is bound to no driver");
}

static void test_device_not_on_vfio_pci_refused_fake_sysfs(void **state)
{
    const struct fake_dev devs[] = { { "0000:03:00.0", "pci-stub", "0x030000" } };
    expect_refusal(devs, ELEMENTSOF(devs), 12, "0000:03:00.0", "bound to pci-stub, not vfio-pci");
}

static void test_missing_iommu_fake_sysfs(void **state)
{
    const struct fake_dev devs[] = { { "0000:03:00.0", "vfio-pci", "0x030000" } };
    expect_refusal(devs, ELEMENTSOF(devs), -1, "0000:03:00.0", "no IOMMU group");
}

static void test_missing_device_fake_sysfs(void **state)
{
    const struct fake_dev devs[] = { { "0000:03:00.0", "vfio-pci", "0x030000" } };
    expect_refusal(devs, ELEMENTSOF(devs), 12, "0000:09:00.0", "no such device in sysfs");
}

static void test_memlock_arithmetic(void **state)
{
    const struct fake_dev devs[] = { { "0000:03:00.0", "vfio-pci", "0x030000" } };
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    struct tree t = { 0 };
    tree_make(&t, 12, devs, ELEMENTSOF(devs));
    libdmr_facts *f;
    libdmr_plan *p = plan_for(ctx, &t, "0000:03:00.0", &f);
    uint64_t want = (256ull + 1024) << 20;   /* RAM + 1 GiB */
    for (size_t i = 0; i < p->n_rlimits; i++)
        if (!strcmp(p->rlimits[i].name, "MEMLOCK"))
            assert_int_equal(p->rlimits[i].value, want);
    libdmr_plan_free(p);
    /* One byte short of it, without CAP_SYS_RESOURCE: refused before launch. */
    f->memlock_hard = want - 1;
    f->cap_sys_resource = false;
    libdmr_config *c = NULL;
    char cfg[] = "/tmp/dmr-fake-sysfs-cfg2-XXXXXX";
    int fd = mkstemp(cfg);
    dprintf(fd, "name=\"v\"\ntype=\"hvm\"\nmemory=256\ndm_restrict=1\npci=['0000:03:00.0']\n");
    close(fd);
    assert_int_equal(xl_config_load(ctx, cfg, NULL, 0, &c), 0);
    unlink(cfg);
    assert_int_equal(libdmr_plan_compute(ctx, c, f, &p), 0);
    const char *why;
    assert_int_equal(libdmr_plan_refusal(p, &why), LIBDMR_ERROR_REFUSED);
    assert_non_null(strstr(why, "RLIMIT_MEMLOCK of 1280 MiB"));
    libdmr_plan_free(p);
    /* With CAP_SYS_RESOURCE the limit can be raised: no refusal. */
    f->cap_sys_resource = true;
    assert_int_equal(libdmr_plan_compute(ctx, c, f, &p), 0);
    assert_int_equal(libdmr_plan_refusal(p, NULL), 0);
    libdmr_plan_free(p);
    libdmr_config_free(c);
    libdmr_facts_free(f);
    tree_free(&t);
    test_ctx_free(ctx, lg);
}

/* With iommufd (QEMU 9.0+, kernel 6.6+) every VFIO descriptor is handed
 * over: nothing of VFIO's in the chroot. */
static void test_iommufd_hands_over_descriptors_fake_sysfs(void **state)
{
    const struct fake_dev devs[] = { { "0000:03:00.0", "vfio-pci", "0x030000" } };
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    struct tree t = { .cdev = true };
    tree_make(&t, 12, devs, ELEMENTSOF(devs));
    libdmr_facts *f;
    libdmr_plan *p = plan_for(ctx, &t, "0000:03:00.0", &f);
    assert_int_equal(libdmr_plan_refusal(p, NULL), 0);
    assert_non_null(f->iommu_dev);
    assert_non_null(strstr(f->iommu_dev, "/dev/iommu"));
    assert_non_null(strstr(f->pci[0].vfio_cdev, "/dev/vfio/devices/vfio0"));
    /* Only the empty tmpfs: QEMU opens nothing by path. */
    assert_int_equal(p->chroot_contents.n, 1);
    assert_int_equal(p->chroot_contents.v[0].kind, PLAN_CHROOT_TMPFS);
    const struct plan_resource *iommu = &p->resources[p->n_resources - 2];
    const struct plan_resource *cdev = &p->resources[p->n_resources - 1];
    assert_int_equal(iommu->kind, PLAN_RES_IOMMUFD);
    assert_int_equal(cdev->kind, PLAN_RES_VFIO_DEVICE);
    assert_true(iommu->writable && cdev->writable);
    char object[64], device[96];
    snprintf(object, sizeof(object), "iommufd,id=iommufd0,fd=%d", iommu->child_fd);
    snprintf(device, sizeof(device), "vfio-pci,iommufd=iommufd0,fd=%d,id=hostdev0,", cdev->child_fd);
    bool has_object = false, has_device = false;
    for (size_t i = 0; i < p->argv.n; i++) {
        has_object |= !strcmp(p->argv.v[i], object);
        has_device |= !strncmp(p->argv.v[i], device, strlen(device));
        assert_null(strstr(p->argv.v[i], "host=0000:03:00.0"));
    }
    assert_true(has_object && has_device);
    /* The memory is still pinned: the limit is the same. */
    for (size_t i = 0; i < p->n_rlimits; i++)
        if (!strcmp(p->rlimits[i].name, "MEMLOCK"))
            assert_int_equal(p->rlimits[i].value, (256ull + 1024) << 20);
    libdmr_plan_free(p);
    libdmr_facts_free(f);
    tree_free(&t);
    test_ctx_free(ctx, lg);
}

/* The planned chroot made for real in a private mount namespace. */
static void test_chroot_made_in_private_namespace_fake_sysfs(void **state)
{
    if (geteuid() != 0 || unshare(0) < 0) {
        print_message("skipped: mount namespaces and mknod need root\n");
        skip();
    }
    const struct fake_dev devs[] = { { "0000:03:00.0", "vfio-pci", "0x030000" } };
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    struct tree t = { 0 };
    tree_make(&t, 12, devs, ELEMENTSOF(devs));
    libdmr_facts *f;
    libdmr_plan *p = plan_for(ctx, &t, "0000:03:00.0", &f);
    /* Where the chroot would be, redirected into the fake tree. */
    char chroot[128];
    snprintf(chroot, sizeof(chroot), "%s/qemu-root", t.root);
    assert_int_equal(mkdir(chroot, 0755), 0);
    free(p->chroot);
    p->chroot = strdup(chroot);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        const char *failed = "";
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            _exit(10);
        if (chroot_populate(p->chroot, &p->chroot_contents, &failed))
            _exit(11);
        char path[256];
        struct stat st;
        snprintf(path, sizeof(path), "%s/dev/vfio/12", chroot);
        if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_uid != 131073 ||
            (st.st_mode & 07777) != 0600 || st.st_rdev != makedev(1, 5))
            _exit(12);
        snprintf(path, sizeof(path), "%s/dev/vfio/vfio", chroot);
        if (stat(path, &st) < 0 || st.st_rdev != makedev(1, 3) || (st.st_mode & 07777) != 0666)
            _exit(13);
        snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:03:00.0/class", chroot);
        if (access(path, R_OK) < 0)
            _exit(14);  /* the device's sysfs directory is there */
        if (open(path, O_WRONLY) >= 0 || errno != EROFS)
            _exit(15);  /* and read-only */
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        print_message("child failed at step %d\n", WEXITSTATUS(status));
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Nothing leaked back: the host's view of the chroot is still empty. */
    char listing[256];
    snprintf(listing, sizeof(listing), "test -z \"$(ls -A %s)\"", chroot);
    assert_int_equal(system(listing), 0);
    struct stat host_node;
    char node[128];
    snprintf(node, sizeof(node), "%s/dev/vfio/12", t.root);
    assert_int_equal(stat(node, &host_node), 0);
    assert_int_equal(host_node.st_uid, 0);  /* the host's node keeps its owner */
    libdmr_plan_free(p);
    libdmr_facts_free(f);
    tree_free(&t);
    test_ctx_free(ctx, lg);
    print_message("stops here: QEMU opening /dev/vfio/12 needs a real IOMMU group\n");
}

static libdmr_ctx *ctx_on(const struct tree *t, xentoollog_logger_stdiostream **lg)
{
    libdmr_ctx *ctx = test_ctx(lg);
    assert_int_equal(libdmr_ctx_set_sysroot(ctx, t->root), 0);
    return ctx;
}

/* As xl-dmr's pci-assignable-add/-remove: the BDF read by xl's rules, then the call. */
static int assignable(libdmr_ctx *ctx, int (*op)(libdmr_ctx *, const libdmr_pci_addr *),
                      const char *bdf)
{
    libdmr_pci_addr dev;
    int rc = xl_bdf_parse(ctx, bdf, &dev);
    return rc ? rc : op(ctx, &dev);
}

static void test_assignable_add_already_bound_fake_sysfs(void **state)
{
    const struct fake_dev devs[] = { { "0000:03:00.0", "vfio-pci", "0x030000" } };
    struct tree t = { 0 };
    tree_make(&t, 12, devs, ELEMENTSOF(devs));
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = ctx_on(&t, &lg);
    assert_int_equal(assignable(ctx, libdmr_pci_assignable_add, "03:00.0"), 0);
    char **list;
    size_t n;
    assert_int_equal(libdmr_pci_assignable_list(ctx, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0], "0000:03:00.0");
    free(list[0]);
    free(list);
    test_ctx_free(ctx, lg);
    tree_free(&t);
}

/* The fake kernel binds nothing: the add must notice and undo itself. */
static void test_assignable_add_that_does_not_bind_is_undone_fake_sysfs(void **state)
{
    if (geteuid() != 0) {
        print_message("skipped: the record lives in /run/xl-dmr, which needs root\n");
        skip();
    }
    const struct fake_dev devs[] = { { "0000:04:00.0", "e1000e", "0x020000" } };
    struct tree t = { 0 };
    tree_make(&t, 13, devs, ELEMENTSOF(devs));
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = ctx_on(&t, &lg);
    assert_int_equal(assignable(ctx, libdmr_pci_assignable_add, "0000:04:00.0"), LIBDMR_ERROR_FAIL);
    assert_non_null(strstr(libdmr_ctx_last_error(ctx), "did not bind to vfio-pci"));
    assert_non_null(strstr(libdmr_ctx_last_error(ctx), "given back to e1000e"));
    char path[256];
    snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:04:00.0/driver_override", t.root);
    char *text = test_slurp(path);
    assert_string_equal(text, "\n");   /* the override is cleared again */
    free(text);
    snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/e1000e/unbind", t.root);
    text = test_slurp(path);
    assert_string_equal(text, "0000:04:00.0");   /* it was let go of */
    free(text);
    snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers_probe", t.root);
    text = test_slurp(path);
    assert_string_equal(text, "0000:04:00.0");   /* and probed again */
    free(text);
    assert_int_not_equal(access("/run/xl-dmr/assignable/0000:04:00.0", F_OK), 0);
    test_ctx_free(ctx, lg);
    tree_free(&t);
}

static void test_assignable_bad_input_fake_sysfs(void **state)
{
    const struct fake_dev devs[] = { { "0000:03:00.0", "vfio-pci", "0x030000" } };
    struct tree t = { 0 };
    tree_make(&t, 12, devs, ELEMENTSOF(devs));
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = ctx_on(&t, &lg);
    assert_int_equal(assignable(ctx, libdmr_pci_assignable_add, "zz:00.0"), LIBDMR_ERROR_INVAL);
    assert_int_equal(assignable(ctx, libdmr_pci_assignable_add, "0000:03:20.0"), LIBDMR_ERROR_INVAL);
    /* Trailing junk libxlutil would skip must not select a real device. */
    assert_int_equal(assignable(ctx, libdmr_pci_assignable_add, "0000:03:00.0x"), LIBDMR_ERROR_INVAL);
    assert_int_equal(assignable(ctx, libdmr_pci_assignable_add, "0000:03:00.0@4"), LIBDMR_ERROR_INVAL);
    assert_int_equal(assignable(ctx, libdmr_pci_assignable_add, "0000:09:00.0"), LIBDMR_ERROR_NOTFOUND);
    if (geteuid() == 0)
        assert_int_equal(assignable(ctx, libdmr_pci_assignable_remove, "0000:03:00.0"), LIBDMR_ERROR_NOTFOUND);
    test_ctx_free(ctx, lg);
    tree_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_viable_group_with_bridge_and_pci_stub_fake_sysfs),
        cmocka_unit_test(test_group_member_on_host_driver_refused_fake_sysfs),
        cmocka_unit_test(test_unbound_endpoint_refused_fake_sysfs),
        cmocka_unit_test(test_device_not_on_vfio_pci_refused_fake_sysfs),
        cmocka_unit_test(test_missing_iommu_fake_sysfs),
        cmocka_unit_test(test_missing_device_fake_sysfs),
        cmocka_unit_test(test_memlock_arithmetic),
        cmocka_unit_test(test_iommufd_hands_over_descriptors_fake_sysfs),
        cmocka_unit_test(test_chroot_made_in_private_namespace_fake_sysfs),
        cmocka_unit_test(test_assignable_add_already_bound_fake_sysfs),
        cmocka_unit_test(test_assignable_add_that_does_not_bind_is_undone_fake_sysfs),
        cmocka_unit_test(test_assignable_bad_input_fake_sysfs),
    };
    return cmocka_run_group_tests_name("VFIO on fake sysfs", tests, NULL, NULL);
}
