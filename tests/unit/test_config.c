/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading xl.cfg through libxlutil: good configs give the values, bad ones
 * one clear error naming the file (and line, when libxlutil knows it).
 */
#include <stdlib.h>
#include <unistd.h>
#include <wchar.h>

#include "testutil.h"
#include "xl_cfg.h"

struct cfg_env {
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx;
    char path[64];
};

static int setup(void **state)
{
    struct cfg_env *e = calloc(1, sizeof(*e));
    e->ctx = test_ctx(&e->lg);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct cfg_env *e = *state;
    if (e->path[0])
        unlink(e->path);
    test_ctx_free(e->ctx, e->lg);
    free(e);
    return 0;
}

static const char *write_cfg(struct cfg_env *e, const char *text)
{
    if (!e->path[0]) {
        strcpy(e->path, "/tmp/dmr-test-XXXXXX.cfg");
        int fd = mkstemps(e->path, 4);
        assert_true(fd >= 0);
        close(fd);
    }
    FILE *f = fopen(e->path, "we");
    fputs(text, f);
    fclose(f);
    return e->path;
}

/* Load text; on failure return the code and leave the message in ctx. */
static int load(struct cfg_env *e, const char *text, const char *const *ov, size_t n,
                libdmr_config **ret)
{
    libdmr_config *c = NULL;
    int rc = xl_config_load(e->ctx, write_cfg(e, text), ov, n, &c);
    if (ret)
        *ret = c;
    else
        libdmr_config_free(c);
    return rc;
}

static void assert_error_has(struct cfg_env *e, const char *needle)
{
    const char *msg = libdmr_ctx_last_error(e->ctx);
    assert_non_null(msg);
    if (!strstr(msg, needle))
        print_message("error \"%s\" lacks \"%s\"\n", msg, needle);
    assert_non_null(strstr(msg, needle));
    assert_null(strchr(msg, '\n'));  /* one line */
}

static void test_good_config_values(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c;
    assert_int_equal(load(e,
        "name=\"g1\"\ntype=\"hvm\"\nmemory=512\nvcpus=2\ndm_restrict=1\n"
        "device_model_user=\"qemu-dm\"\ndm_backend=\"qemu\"\nmachine=\"pc\"\n"
        "disk=['/img/a.img,qcow2,xvda,rw', '/img/b.iso,raw,hdc,cdrom', ',raw,hdd,cdrom']\n"
        "pci=['0000:03:00.0,guest_unplug=0,permissive=1', '04:00.1@7']\n",
        NULL, 0, &c), 0);
    assert_string_equal(c->name, "g1");
    assert_int_equal(c->memory_mb, 512);
    assert_int_equal(c->vcpus, 2);
    assert_true(c->dm_restrict);
    assert_string_equal(c->device_model_user, "qemu-dm");
    assert_int_equal(c->backend, LIBDMR_BACKEND_QEMU);
    assert_int_equal(c->machine, LIBDMR_MACHINE_PC);
    assert_int_equal(c->n_disks, 3);
    assert_int_equal(c->disks[0].format, LIBDMR_FORMAT_QCOW2);
    assert_true(c->disks[0].readwrite);
    assert_true(c->disks[1].cdrom);
    assert_false(c->disks[1].readwrite);
    assert_null(c->disks[2].target);
    assert_int_equal(c->n_pci, 2);
    assert_false(c->pci[0].guest_unplug);
    assert_int_equal(c->pci[0].bus, 3);
    assert_true(c->pci[1].guest_unplug);
    assert_true(c->pci[1].has_vslot);
    assert_int_equal(c->pci[1].vslot, 7);
    assert_int_equal(c->pci[1].func, 1);
    libdmr_config_free(c);
}

/* Firmware and machine keys: read and checked; a bad value is one line
 * naming the key's value. */
static void test_machine_keys(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c;
    assert_int_equal(load(e,
        "name=\"m1\"\ntype=\"hvm\"\nbios=\"ovmf\"\nmaxvcpus=8\n"
        "uuid=\"6F9C1A52-8E0B-4C5E-9D3A-1B2C3D4E5F60\"\nlocaltime=1\nrtc_timeoffset=\"-60\"\n"
        "acpi=0\nsoundhw=\"ac97\"\ndevice_model_args=[\"-d\", \"guest_errors\"]\n"
        "device_model_args_hvm=[\"-no-hpet\"]\nkernel=\"/usr/lib/xen-4.17/boot/hvmloader\"\n",
        NULL, 0, &c), 0);
    assert_int_equal(c->mach.firmware, LIBDMR_FIRMWARE_OVMF);
    assert_int_equal(c->mach.maxvcpus, 8);
    assert_string_equal(c->mach.uuid, "6f9c1a52-8e0b-4c5e-9d3a-1b2c3d4e5f60");
    assert_true(c->mach.localtime);
    assert_int_equal(c->mach.rtc_timeoffset, -60);
    assert_true(c->mach.acpi_off);
    assert_string_equal(c->mach.soundhw, "ac97");
    assert_int_equal(c->mach.dm_args.n, 3);
    assert_string_equal(c->mach.dm_args.v[2], "-no-hpet");
    assert_null(c->kernel);  /* hvmloader: ignored, as xl does */
    assert_int_equal(c->backend_notices[LIBDMR_BACKEND_QEMU].n, 1);
    libdmr_config_free(c);

    static const struct { const char *cfg, *error; } bad[] = {
        { "uuid=\"6f9c1a52-8e0b-4c5e-9d3a-1b2c3d4e5f6\"\n", "bad uuid" },
        { "uuid=\"6f9c1a52+8e0b-4c5e-9d3a-1b2c3d4e5f60\"\n", "bad uuid" },
        { "uuid=\"6f9c1a52-8e0b-4c5e-9d3a-1b2c3d4e5fXX\"\n", "bad uuid" },
        { "soundhw=\"gus\"\n", "unknown soundhw \"gus\"" },
        { "bios=\"rombios\"\n", "unknown bios \"rombios\"" },
        { "maxvcpus=129\n", "maxvcpus must be a number" },
        { "rtc_timeoffset=\"400000000\"\n", "rtc_timeoffset must be a number" },
        { "device_model_args=\"-d\"\n", "device_model_args must be a list" },
    };
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        char cfg[256];
        snprintf(cfg, sizeof(cfg), "name=\"m1\"\ntype=\"hvm\"\n%s", bad[i].cfg);
        assert_int_equal(load(e, cfg, NULL, 0, NULL), LIBDMR_ERROR_INVAL);
        assert_error_has(e, bad[i].error);
    }
    /* bios_path_override: refused on the qemu backend, with why. */
    assert_int_equal(load(e, "name=\"m1\"\ntype=\"hvm\"\nbios_path_override=\"/x.bin\"\n",
                          NULL, 0, &c), 0);
    assert_non_null(strstr(c->backend_refusal[LIBDMR_BACKEND_QEMU], "bios_path_override"));
    libdmr_config_free(c);
}

static void test_defaults(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c;
    assert_int_equal(load(e, "name=\"g\"\ntype=\"hvm\"\n", NULL, 0, &c), 0);
    assert_false(c->dm_restrict);
    assert_int_equal(c->memory_mb, 128);
    assert_int_equal(c->vcpus, 1);
    assert_int_equal(c->backend, LIBDMR_BACKEND_AUTO);
    assert_int_equal(c->machine, LIBDMR_MACHINE_DEFAULT);
    assert_null(c->device_model_user);
    libdmr_config_free(c);
}

/* xl's vif keys the qemu backend honours: mac, bridge, model, vifname,
 * type=ioemu; accel is ignored with a notice, as xl ignores it. */
static void test_vif_keys_honoured(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c = NULL;
    assert_int_equal(load(e, "name=\"g\"\ntype=\"hvm\"\nvif=[ 'mac=00:16:3E:00:00:02, bridge=br1,model=e1000,"
                             "vifname=web0,type=ioemu', '', 'accel=x' ]\n", NULL, 0, &c), 0);
    assert_int_equal(c->n_nics, 3);
    assert_true(c->nics[0].has_mac);
    assert_int_equal(c->nics[0].mac[5], 2);
    assert_string_equal(c->nics[0].bridge, "br1");
    assert_string_equal(c->nics[0].model, "e1000");
    assert_string_equal(c->nics[0].ifname, "web0");
    assert_false(c->nics[1].has_mac);
    assert_null(c->nics[1].bridge);
    assert_int_equal(c->backend_notices[LIBDMR_BACKEND_QEMU].n, 1);
    assert_non_null(strstr(c->backend_notices[LIBDMR_BACKEND_QEMU].v[0],
                           "accel= is ignored, as xl ignores it"));
    libdmr_config_free(c);
}

static void test_pci_guest_unplug_domain_default(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c;
    assert_int_equal(load(e, "name=\"g\"\ntype=\"hvm\"\npci_guest_unplug=0\n"
                          "pci=['01:00.0', '02:00.0,guest_unplug=1']\n", NULL, 0, &c), 0);
    assert_false(c->pci[0].guest_unplug);
    assert_true(c->pci[1].guest_unplug);
    libdmr_config_free(c);
}

/* The older builder="hvm" alone is HVM, as in xl; type="hvm" may come
 * from an override. */
static void test_builder_hvm_or_type_override(void **state)
{
    struct cfg_env *e = *state;
    const char *ov[] = { "type=\"hvm\"" };
    assert_int_equal(load(e, "name=\"g\"\nbuilder=\"hvm\"\n", NULL, 0, NULL), 0);
    assert_int_equal(load(e, "name=\"g\"\n", ov, 1, NULL), 0);
}

/* serial in xl's list form: its entry goes to the same setter as the
 * string form; an empty list asks for no port. */
static void test_serial_list_form(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c;
    assert_int_equal(load(e, "name=\"g\"\ntype=\"hvm\"\nserial=[ \"pty\" ]\n", NULL, 0, &c), 0);
    assert_string_equal(c->serial, "pty");
    libdmr_config_free(c);
    assert_int_equal(load(e, "name=\"g\"\ntype=\"hvm\"\nserial=\"file:/tmp/s\"\n", NULL, 0, &c), 0);
    assert_string_equal(c->serial, "file:/tmp/s");
    libdmr_config_free(c);
    /* An empty list asks for no serial port, as in xl. */
    assert_int_equal(load(e, "name=\"g\"\ntype=\"hvm\"\nserial=[]\n", NULL, 0, &c), 0);
    assert_string_equal(c->serial, "none");
    libdmr_config_free(c);
}

/* kernel= naming hvmloader (older HVM cfgs give it as the firmware) is
 * not a kernel to boot: xl ignores it with a warning, and so do we. */
static void test_kernel_hvmloader_ignored(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c;
    assert_int_equal(load(e, "name=\"g\"\nbuilder=\"hvm\"\n"
                          "kernel=\"/usr/lib/xen/boot/hvmloader\"\n", NULL, 0, &c), 0);
    assert_null(c->kernel);
    libdmr_config_free(c);
    assert_int_equal(load(e, "name=\"g\"\ntype=\"hvm\"\nkernel=\"/boot/vmlinuz\"\n", NULL, 0, &c), 0);
    assert_string_equal(c->kernel, "/boot/vmlinuz");
    libdmr_config_free(c);
}

static void test_overrides_last_wins(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c;
    const char *ov[] = { "memory=1024", "dm_restrict=1", "memory=2048", "name=\"renamed\"" };
    assert_int_equal(load(e, "name=\"g\"\ntype=\"hvm\"\nmemory=256\ndm_restrict=0\n", ov, 4, &c), 0);
    assert_int_equal(c->memory_mb, 2048);
    assert_true(c->dm_restrict);
    assert_string_equal(c->name, "renamed");
    libdmr_config_free(c);
}

/* One bad input: its error code and a piece of its one-line message. */
struct bad {
    const char *name;
    const char *text;
    const char *override;
    int rc;
    const char *message_has;
};

static const struct bad bad_inputs[] = {
    { "syntax-error-names-file-and-line", "name=\"g\"\nmemory=128\nvcpus = = 2\ntype=\"hvm\"\n", NULL,
      LIBDMR_ERROR_INVAL, ".cfg:3: config parsing error" },
    { "dm-restrict-maybe", "name=\"g\"\ntype=\"hvm\"\ndm_restrict=\"maybe\"\n", NULL,
      LIBDMR_ERROR_INVAL, "dm_restrict must be a number from 0 to 1" },
    { "dm-restrict-2", "name=\"g\"\ntype=\"hvm\"\ndm_restrict=2\n", NULL,
      LIBDMR_ERROR_INVAL, "dm_restrict" },
    { "empty-device-model-user", "name=\"g\"\ntype=\"hvm\"\ndevice_model_user=\"\"\n", NULL,
      LIBDMR_ERROR_INVAL, "device_model_user must not be empty" },
    { "unknown-backend", "name=\"g\"\ntype=\"hvm\"\ndm_backend=\"hyperv\"\n", NULL,
      LIBDMR_ERROR_INVAL, "unknown dm_backend \"hyperv\" (expected \"xen\" or \"qemu\")" },
    { "unknown-machine", "name=\"g\"\ntype=\"hvm\"\nmachine=\"isapc\"\n", NULL,
      LIBDMR_ERROR_INVAL, "unknown machine \"isapc\"" },
    { "unknown-accel", "name=\"g\"\ntype=\"hvm\"\naccel=\"hvf\"\n", NULL,
      LIBDMR_ERROR_INVAL, "unknown accel" },
    { "traditional-device-model", "name=\"g\"\ntype=\"hvm\"\ndevice_model_version=\"qemu-xen-traditional\"\n",
      NULL, LIBDMR_ERROR_INVAL, "unknown device_model_version" },
    { "boot-order-with-a-bad-letter", "name=\"g\"\ntype=\"hvm\"\nboot=\"cx\"\n", NULL,
      LIBDMR_ERROR_INVAL, "bad boot order \"cx\": use the letters a, c, d and n" },
    { "boot-order-empty", "name=\"g\"\ntype=\"hvm\"\nboot=\"\"\n", NULL,
      LIBDMR_ERROR_INVAL, "bad boot order" },
    { "serial-entry-not-a-string", "name=\"g\"\ntype=\"hvm\"\nserial=[ [ \"pty\" ] ]\n", NULL,
      LIBDMR_ERROR_INVAL, "serial entry 0 must be a string" },
    /* As in xl: no type (and no builder) is PV, which has no device model. */
    { "type-not-set-is-pv", "name=\"g\"\nmemory=128\n", NULL, LIBDMR_ERROR_INVAL,
      ".cfg: type not set: xl's default is PV, which has no device model here; "
      "add type = \"hvm\"" },
    { "builder-generic-is-pv", "name=\"g\"\nbuilder=\"generic\"\n", NULL, LIBDMR_ERROR_INVAL,
      "only HVM guests" },
    { "type-and-builder-contradict", "name=\"g\"\ntype=\"hvm\"\nbuilder=\"generic\"\n", NULL,
      LIBDMR_ERROR_INVAL, "type and builder contradict each other" },
    { "missing-name", "memory=128\n", NULL,
      LIBDMR_ERROR_INVAL, "domain name must be specified" },
    { "name-with-slash", "name=\"../etc\"\ntype=\"hvm\"\n", NULL, LIBDMR_ERROR_INVAL, "bad domain name" },
    { "name-all-digits", "name=\"42\"\ntype=\"hvm\"\n", NULL, LIBDMR_ERROR_INVAL, "bad domain name" },
    { "pv-guest", "name=\"g\"\ntype=\"pv\"\n", NULL, LIBDMR_ERROR_INVAL, "only HVM guests" },
    { "memory-zero", "name=\"g\"\ntype=\"hvm\"\nmemory=0\n", NULL, LIBDMR_ERROR_INVAL, "memory must be" },
    { "pci-guest-unplug-2", "name=\"g\"\ntype=\"hvm\"\npci=['01:00.0,guest_unplug=2']\n", NULL,
      LIBDMR_ERROR_INVAL, "guest_unplug must be 0 or 1" },
    { "pci-unknown-key", "name=\"g\"\ntype=\"hvm\"\npci=['01:00.0,frobnicate=1']\n", NULL,
      LIBDMR_ERROR_INVAL, "bad pci specification \"01:00.0,frobnicate=1\"" },
    { "pci-bad-bdf", "name=\"g\"\ntype=\"hvm\"\npci=['zz:00.0']\n", NULL,
      LIBDMR_ERROR_INVAL, "bad pci specification" },
    { "pci-by-name", "name=\"g\"\ntype=\"hvm\"\npci=['name=gpu0']\n", NULL,
      LIBDMR_ERROR_INVAL, "name= (give the BDF) is not supported" },
    { "pci-multifunction-star", "name=\"g\"\ntype=\"hvm\"\npci=['01:00.*']\n", NULL,
      LIBDMR_ERROR_INVAL, "multi-function '*'" },
    { "pci-vslot-0", "name=\"g\"\ntype=\"hvm\"\npci=['01:00.0@0']\n", NULL,
      LIBDMR_ERROR_INVAL, "@0 (the host bridge's slot) is not supported" },
    /* libxlutil 4.17 reads through a wild pointer on these (fuzzing). */
    { "pci-bdf-without-function", "name=\"g\"\ntype=\"hvm\"\npci=['0000:03:00/install.iso,raw']\n", NULL,
      LIBDMR_ERROR_INVAL, "bad pci specification" },
    { "pci-bdf-key-without-function", "name=\"g\"\ntype=\"hvm\"\npci=['bdf=03:00x']\n", NULL,
      LIBDMR_ERROR_INVAL, "bad pci specification" },
    { "pci-listed-twice", "name=\"g\"\ntype=\"hvm\"\npci=['01:00.0', '0000:01:00.0']\n", NULL,
      LIBDMR_ERROR_INVAL, "device listed twice" },
    { "pci-guest-unplug-domain-bad", "name=\"g\"\ntype=\"hvm\"\npci_guest_unplug=\"no\"\n", NULL,
      LIBDMR_ERROR_INVAL, "pci_guest_unplug must be" },
    { "pci-hotplug-ports-too-many", "name=\"g\"\ntype=\"hvm\"\npci_hotplug_ports=17\n", NULL,
      LIBDMR_ERROR_INVAL, "pci_hotplug_ports must be a number from 0 to 16" },
    { "pci-hotplug-ports-not-a-number", "name=\"g\"\ntype=\"hvm\"\npci_hotplug_ports=\"two\"\n", NULL,
      LIBDMR_ERROR_INVAL, "pci_hotplug_ports must be a number from 0 to 16" },
    { "disk-format-vhd", "name=\"g\"\ntype=\"hvm\"\ndisk=['/img/a.vhd,vhd,hda,rw']\n", NULL,
      LIBDMR_ERROR_INVAL, "format vhd is not supported" },
    { "disk-relative-path", "name=\"g\"\ntype=\"hvm\"\ndisk=['a.img,raw,hda,rw']\n", NULL,
      LIBDMR_ERROR_INVAL, "must be an absolute path" },
    { "disk-vdev-twice", "name=\"g\"\ntype=\"hvm\"\ndisk=['/a,raw,hda,rw', '/b,raw,hda,rw']\n", NULL,
      LIBDMR_ERROR_INVAL, "vdev hda is used twice" },
    { "disk-garbage", "name=\"g\"\ntype=\"hvm\"\ndisk=['/a,raw,hda,rw,frob=1']\n", NULL,
      LIBDMR_ERROR_INVAL, "bad disk specification" },
    { "override-bad-syntax", "name=\"g\"\ntype=\"hvm\"\n", "memory=", LIBDMR_ERROR_INVAL,
      "bad KEY=VALUE override 'memory='" },
    { "override-bad-value-names-the-override", "name=\"g\"\ntype=\"hvm\"\n", "dm_restrict=\"maybe\"",
      LIBDMR_ERROR_INVAL, "override 'dm_restrict=\"maybe\"': parameter `dm_restrict'" },
    { "vif-ip-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['bridge=br0,ip=10.0.0.2']\n", NULL,
      LIBDMR_ERROR_INVAL, "vif \"bridge=br0,ip=10.0.0.2\": ip= is for Xen's hotplug script" },
    { "vif-script-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['script=vif-bridge']\n", NULL,
      LIBDMR_ERROR_INVAL, "script= names a hotplug script run as root" },
    { "vif-rate-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['rate=10Mb/s']\n", NULL,
      LIBDMR_ERROR_INVAL, "rate= is enforced by Xen's netback" },
    { "vif-backend-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['backend=netdom']\n", NULL,
      LIBDMR_ERROR_INVAL, "backend= names a Xen driver domain" },
    { "vif-gatewaydev-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['gatewaydev=eth0']\n", NULL,
      LIBDMR_ERROR_INVAL, "gatewaydev= is for Xen's vif-route" },
    { "vif-mtu-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['mtu=9000']\n", NULL,
      LIBDMR_ERROR_INVAL, "mtu= is not carried: the tap takes its bridge's MTU" },
    { "vif-devid-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['devid=3']\n", NULL,
      LIBDMR_ERROR_INVAL, "devid= is not carried" },
    { "vif-colo-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['colo_sock_mirror_id=x']\n", NULL,
      LIBDMR_ERROR_INVAL, "colo_sock_mirror_id= is for Xen's COLO" },
    { "vif-trusted-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['trusted']\n", NULL,
      LIBDMR_ERROR_INVAL, "trusted is a Xen netback property" },
    { "vif-unknown-key", "name=\"g\"\ntype=\"hvm\"\nvif=['frob=1']\n", NULL,
      LIBDMR_ERROR_INVAL, "vif \"frob=1\": unknown key \"frob\"" },
    { "vif-type-vif-refused", "name=\"g\"\ntype=\"hvm\"\nvif=['type=vif']\n", NULL,
      LIBDMR_ERROR_INVAL, "type=vif is a PV-only NIC" },
    { "vif-type-other", "name=\"g\"\ntype=\"hvm\"\nvif=['type=wifi']\n", NULL,
      LIBDMR_ERROR_INVAL, "type must be ioemu or vif" },
    { "vif-bad-mac", "name=\"g\"\ntype=\"hvm\"\nvif=['mac=00:16:3e:1']\n", NULL,
      LIBDMR_ERROR_INVAL, "vif \"mac=00:16:3e:1\": bad mac" },
    { "vif-vifname-too-long", "name=\"g\"\ntype=\"hvm\"\nvif=['vifname=abcdefghijklmnop']\n", NULL,
      LIBDMR_ERROR_INVAL, "bad vifname" },
    { "vif-vifname-twice", "name=\"g\"\ntype=\"hvm\"\nvif=['vifname=t0', 'vifname=t0']\n", NULL,
      LIBDMR_ERROR_INVAL, "vifname t0 is used twice" },
    { "device-model-override-relative", "name=\"g\"\ntype=\"hvm\"\ndevice_model_override=\"qemu\"\n", NULL,
      LIBDMR_ERROR_INVAL, "device_model_override must be an absolute path" },
};

static void run_bad(void **state)
{
    const struct bad *b = *state;
    struct cfg_env *e = NULL;
    setup((void **)&e);
    const char *ov[] = { b->override };
    libdmr_config *c = (libdmr_config *)0x1;  /* ret_ untouched on failure */
    int rc = xl_config_load(e->ctx, write_cfg(e, b->text), ov, b->override ? 1 : 0, &c);
    assert_int_equal(rc, b->rc);
    assert_ptr_equal(c, (libdmr_config *)0x1);
    assert_error_has(e, b->message_has);
    teardown((void **)&e);
}

static void test_missing_file(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c = NULL;
    assert_int_equal(xl_config_load(e->ctx, "/nonexistent/x.cfg", NULL, 0, &c),
                     LIBDMR_ERROR_NOTFOUND);
    assert_error_has(e, "/nonexistent/x.cfg");
}

static void test_domid_bounds(void **state)
{
    struct cfg_env *e = *state;
    libdmr_config *c;
    assert_int_equal(load(e, "name=\"g\"\ntype=\"hvm\"\n", NULL, 0, &c), 0);
    assert_int_equal(libdmr_config_set_domid(e->ctx, c, 0), LIBDMR_ERROR_INVAL);
    assert_error_has(e, "domid 0 is out of range 1..32751");
    assert_int_equal(libdmr_config_set_domid(e->ctx, c, 32752), LIBDMR_ERROR_INVAL);
    assert_int_equal(libdmr_config_set_domid(e->ctx, c, 32751), 0);
    assert_int_equal(c->requested_domid, 32751);
    libdmr_config_free(c);
}

static void test_ctx_version_and_sysroot(void **state)
{
    struct cfg_env *e = *state;
    libdmr_ctx *other = NULL;
    assert_int_equal(libdmr_ctx_alloc(&other, LIBDMR_VERSION + 1, 0, (xentoollog_logger *)e->lg),
                     LIBDMR_ERROR_VERSION);
    assert_null(other);
    assert_int_equal(libdmr_ctx_set_sysroot(e->ctx, "relative"), LIBDMR_ERROR_INVAL);
    assert_int_equal(libdmr_ctx_set_sysroot(e->ctx, "/tmp/fake/"), 0);
    assert_string_equal(libdmr_ctx_get_sysroot(e->ctx), "/tmp/fake");
    assert_string_equal(libdmr_error_name(LIBDMR_ERROR_INVAL), "INVAL");
    assert_string_equal(libdmr_error_name(LIBDMR_ERROR_QEMU_API), "QEMU_API");
    assert_string_equal(libdmr_strerror(-9999), libdmr_strerror(LIBDMR_ERROR_NONSPECIFIC));
}

/* Callers log a failure and then return -errno: logging keeps errno, even
 * when formatting the message fails (a wide character the C locale cannot
 * convert: EILSEQ). */
static void test_log_keeps_errno(void **state)
{
    struct cfg_env *e = *state;
    libdmr_ctx *ctx = e->ctx;
    static const wchar_t unconvertible[] = { 0x263a, 0 };
    errno = EACCES;
    LOGE(ERROR, "opening %ls", unconvertible);
    assert_int_equal(errno, EACCES);
    LOGD(WARN, 1, "%ls", unconvertible);
    assert_int_equal(errno, EACCES);
}

int main(void)
{
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test_setup_teardown(test_good_config_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pci_guest_unplug_domain_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vif_keys_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrides_last_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_builder_hvm_or_type_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial_list_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_hvmloader_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domid_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_machine_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctx_version_and_sysroot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_keeps_errno, setup, teardown),
    };
    struct CMUnitTest tests[ELEMENTSOF(fixed) + ELEMENTSOF(bad_inputs)];
    size_t n = 0;
    for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < ELEMENTSOF(bad_inputs); i++)
        tests[n++] = (struct CMUnitTest){ .name = bad_inputs[i].name, .test_func = run_bad,
                                          .initial_state = (void *)&bad_inputs[i] };
    return _cmocka_run_group_tests("config", tests, n, NULL, NULL);
}
