/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Types and helpers shared inside the library; not installed. */
#ifndef LIBDMR_INTERNAL_H
#define LIBDMR_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "libdmrestrict.h"

#define LIBDMR_DOMID_MIN 1u
#define LIBDMR_DOMID_MAX 32751u  /* DOMID_FIRST_RESERVED - 1 */

#define LIBDMR_USER_RANGE_BASE "xen-qemuuser-range-base"
#define LIBDMR_USER_DOMID_FMT  "xen-qemuuser-domid%u"
#define LIBDMR_USER_SHARED     "xen-qemuuser-shared"
#define LIBDMR_USER_REAPER     "xen-qemuuser-reaper"

#define LIBDMR_QEMU_DEFAULT    "/usr/bin/qemu-system-x86_64"
/* Where Debian's libxl 4.17 runs qemu-xen from (package qemu-system-xen). */
#define LIBDMR_QEMU_XEN_DEFAULT "/usr/libexec/xen-qemu-system-i386"
#define LIBDMR_RUN_DIR         "/run/xl-dmr"
#define LIBDMR_STATE_DIR       LIBDMR_RUN_DIR "/domains"
#define LIBDMR_XEN_RUN_DIR     "/var/run/xen"
/* -sandbox for a restricted DM. elevateprivileges=allow: QEMU installs the
 * filter before it drops to -runas, and deny kills it at setgid. */
#define LIBDMR_SANDBOX_POLICY \
    "on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny"
#define LIBDMR_CACHE_DIR       "/var/cache/xl-dmr"
#define LIBDMR_LOG_DIR         "/var/log/xl-dmr"
#define LIBDMR_XEN_LOG_DIR     "/var/log/xen"

/* ---- cleanup helpers (systemd style) ---------------------------------- */

#define _cleanup_(f) __attribute__((cleanup(f)))
static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ _cleanup_(freep)

/* Close fd if it is open; always returns -EBADF so `fd = safe_close(fd)`. */
static inline int safe_close(int fd)
{
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return -EBADF;
}
static inline void closep(int *fd) { safe_close(*fd); }
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership of a pointer or fd over: returns it, leaves NULL / -1. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -EBADF; _fd; })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- growable string vectors ------------------------------------------ */

struct strv {
    char **v;         /* NULL-terminated once non-empty */
    size_t n;
};

int strv_push(struct strv *sv, const char *s);
int strv_pushf(struct strv *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strv_clear(struct strv *sv);
/* waitpid(pid) through EINTR: 0 and its status, or -errno (ECHILD when
 * someone else reaped it). */
int wait_child(pid_t pid, int *ret_status);
/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
long monotonic_ms(void);
/* Append copies of every string of from. */
int strv_push_all(struct strv *sv, const struct strv *from);

char *strdup_or_null(const char *s);
/* Whole string is a decimal number in [min, max]; -EINVAL or -ERANGE. */
int parse_ulong_strict(const char *s, unsigned long min, unsigned long max,
                       unsigned long *ret);

/* ---- context and logging ---------------------------------------------- */

/* A backend's operations as the context has them (backend.c). */
struct backend_slot {
    const libdmr_backend_ops *ops;   /* NULL: none */
    void *opaque;
};

struct libdmr_ctx {
    int version;
    unsigned flags;
    xentoollog_logger *lg;
    char *sysroot;
    char cache_dir[256];   /* "" when caching is off */
    char last_error[512];
    bool holds_lock;       /* run_lock's fd is open in a call on this context */
    struct backend_slot backends[LIBDMR_BACKEND_QEMU + 1];
};

/* libdmr_ctx_log is the library's logging too. */
#define libdmr__log libdmr_ctx_log

/* As libxl_internal.h: LOG, LOGE (with errno), LOGD/LOGED (with a domid). */
#define LOG(level, fmt, ...) \
    libdmr__log(ctx, XTL_##level, -1, LIBDMR_NO_DOMID, fmt, ##__VA_ARGS__)
#define LOGE(level, fmt, ...) \
    libdmr__log(ctx, XTL_##level, errno, LIBDMR_NO_DOMID, fmt, ##__VA_ARGS__)
#define LOGEV(level, errnoval, fmt, ...) \
    libdmr__log(ctx, XTL_##level, errnoval, LIBDMR_NO_DOMID, fmt, ##__VA_ARGS__)
#define LOGD(level, domid, fmt, ...) \
    libdmr__log(ctx, XTL_##level, -1, domid, fmt, ##__VA_ARGS__)
#define LOGED(level, domid, fmt, ...) \
    libdmr__log(ctx, XTL_##level, errno, domid, fmt, ##__VA_ARGS__)
#define LOGEVD(level, errnoval, domid, fmt, ...) \
    libdmr__log(ctx, XTL_##level, errnoval, domid, fmt, ##__VA_ARGS__)

/* Map a -errno from a helper to a LIBDMR_ERROR_* code, once. */
int libdmr_error_from_errno(int negative_errno);

/* ---- config ----------------------------------------------------------- */

/* Refuse a config setter's value: the reason goes to ctx->last_error,
 * not to the log (the caller puts it in its own context); returns INVAL. */
int config_refuse(libdmr_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct libdmr_disk {
    char *target;          /* image path; NULL for an empty cdrom */
    char *vdev;            /* "hda", "xvdb", ... */
    enum libdmr_disk_format format;
    bool readwrite;
    bool cdrom;
};


/* A NIC the device model makes itself (xen: qemu-xen's tap from libxl's vif). */
struct libdmr_nic {
    char *ifname;          /* the tap's name; NULL: not known */
    char *bridge;          /* NULL: the toolstack's default */
    char *model;           /* NULL: the device model's default */
    bool has_mac;          /* false: a random one (qemu backend: from the facts) */
    uint8_t mac[6];
};

/* Its VNC server (xen: qemu-xen's, from libxl's vnc keys). */
struct libdmr_vnc {
    bool enabled;
    char *listen;          /* an address literal; NULL: 127.0.0.1 */
    int display;           /* port 5900 + display */
    bool find_unused;      /* the first free port up to 5999 */
};

/* Firmware and machine keys (qemu backend; the xen backend refuses them). */
struct libdmr_machine_opts {
    enum libdmr_firmware firmware;
    long maxvcpus;         /* 0: vcpus */
    char *uuid;            /* lower case, checked; NULL: none */
    bool localtime;
    long rtc_timeoffset;   /* seconds */
    bool acpi_off;
    char *soundhw;         /* "hda", "ac97", "es1370", "sb16"; NULL: none */
    struct strv dm_args;   /* device_model_args(_hvm), as given */
};

/* The guest's display and input devices (qemu backend; xl's vga, videoram,
 * keymap, vncpasswd, usb and usbdevice keys). */
struct libdmr_display {
    enum libdmr_vga vga;           /* DEFAULT: cirrus, libxl's for an HVM guest */
    long videoram_mb;              /* 0: the card's default */
    char *keymap;                  /* NULL: QEMU's (en-us) */
    char *vnc_password;            /* the secret, NULL: none; never printed or stored */
    bool usb;                      /* a USB controller (usb=1, or for a usbdevice) */
    struct strv usb_devices;       /* "tablet", "mouse" */
};

struct libdmr_pci_dev {
    unsigned domain, bus, dev, func;
    bool has_vslot;        /* the user gave @VSLOT */
    unsigned vslot;
    bool guest_unplug;     /* may the guest unplug it */
    bool unplug_default;   /* guest_unplug follows the domain's default */
};

struct libdmr_config {
    char *source;          /* the cfg file, for messages */
    char *name;
    long memory_mb;
    long vcpus;
    bool dm_restrict;
    char *device_model_user;
    char *device_model_override;   /* QEMU binary, qemu backend */
    char *kernel;                  /* direct kernel boot: kernel, ramdisk, */
    char *ramdisk;                 /* and the kernel's command line */
    char *cmdline;
    enum libdmr_backend backend;
    enum libdmr_machine machine;
    enum libdmr_accel accel;
    uint32_t requested_domid;      /* 0: lowest free (or, toolstack_domid, not chosen yet) */
    bool toolstack_domid;          /* the toolstack chooses it: never picked nor checked here */
    bool toolstack_limits;         /* the toolstack sets the rlimits before exec (patched libxl) */
    struct libdmr_disk *disks;
    size_t n_disks;
    struct libdmr_pci_dev *pci;
    size_t n_pci;
    bool pci_guest_unplug;         /* the domain's default for its devices */
    bool paused;                   /* leave the guest paused (xl create -p) */
    enum libdmr_action actions[LIBDMR_EVENT_COUNT];   /* on_poweroff, ... */
    char *serial;                  /* the HVM serial ("pty", "file:PATH"; qemu: "pty", "none") */
    char *boot;                    /* xen backend: HVM boot order ("c", "d", "dc") */
    long pci_hotplug_ports;        /* spare hot-pluggable root ports; -1: default */
    struct libdmr_nic *nics;       /* devices the DM makes itself (libdmr_config_add_nic) */
    size_t n_nics;
    struct libdmr_vnc vnc;
    struct libdmr_machine_opts mach;   /* firmware and machine keys (plan_machine.c) */
    struct libdmr_display display;
    /* What the caller says of a plan on each backend (XEN, QEMU): a
     * refusal (NULL: none) and notices (libdmr_config_*_backend_*). */
    char *backend_refusal[LIBDMR_BACKEND_QEMU + 1];
    struct strv backend_notices[LIBDMR_BACKEND_QEMU + 1];
};

/* VNC display N is TCP port 5900 + N; libxl's "to=99" has qemu-xen try
 * displays up to 99 when asked for an unused one. */
#define LIBDMR_VNC_PORT_BASE 5900
#define LIBDMR_VNC_DISPLAY_MAX (65535 - LIBDMR_VNC_PORT_BASE)
#define LIBDMR_VNC_UNUSED_LAST 99
/* VNC authentication (RFB's DES challenge) keys on 8 bytes of the password. */
#define LIBDMR_VNC_PASSWORD_USED 8
/* libxl's videoram floors and defaults for qemu-xen: cirrus 8 MiB, stdvga 16 MiB. */
#define LIBDMR_VIDEORAM_CIRRUS_MB 8
#define LIBDMR_VIDEORAM_STD_MB 16
#define LIBDMR_VIDEORAM_MAX_MB 256

#define LIBDMR_HOTPLUG_PORTS_MAX 16
#define LIBDMR_HOTPLUG_PORTS_DEFAULT 2


/* ---- facts ------------------------------------------------------------ */

struct libdmr_user {
    bool present;
    char *name;
    uid_t uid;
    gid_t gid;
    char *group;           /* name of gid, NULL if it has none */
};

struct libdmr_subid_range {
    char *owner;           /* a user name or a decimal uid, as in the file */
    uint64_t start, count;
};

struct libdmr_subid_ranges {
    struct libdmr_subid_range *r;
    size_t n;
};

struct libdmr_qemu_caps {
    bool present;
    char *path;
    bool runas, chroot, run_with_user, run_with_chroot, sandbox;
    bool root_port_hotplug;        /* pcie-root-port has hotplug=off */
    bool vfio_iommufd;             /* vfio-pci takes iommufd= and fd= (9.0+) */
    bool action;                   /* -action reboot=shutdown,shutdown=pause,panic=pause (6.0+) */
    bool pvpanic;                  /* -device pvpanic (ISA) */
    struct strv machines;
};

/* A member of a PCI device's IOMMU group. */
struct libdmr_pci_member {
    char *bdf;
    char *driver;          /* NULL: no driver bound */
    bool bridge;           /* class 0x06xx: bridges need no driver */
};

/* A host PCI device the config assigns, as sysfs shows it. */
struct libdmr_pci_host {
    char *bdf;             /* "0000:01:00.0" */
    bool present;
    char *sysfs_dir;       /* its real directory, under the sysroot */
    char *driver;
    bool has_group;
    unsigned group;
    struct libdmr_pci_member *members;
    size_t n_members;
    bool group_node;       /* /dev/vfio/<group> exists */
    unsigned group_major, group_minor;
    char *vfio_cdev;       /* its /dev/vfio/devices/vfioN node (kernel 6.6+), or NULL */
};

/* What a qcow2 layer's header says (facts_images.c reads it; the planner
 * judges it). Read only for a layer the cfg or an overlay calls qcow2:
 * formats are never probed. */
struct libdmr_qcow2_header {
    bool magic;            /* "QFI\xfb", version 2 or 3 */
    unsigned version;
    bool encrypted;        /* crypt_method is not 0 */
    bool data_file;        /* an external data file (incompatible bit 2 or
                            * the 0x44415441 extension) */
    char *backing_file;    /* the name as written; NULL: none */
    char *backing_fmt;     /* the 0xE2792ACA extension; NULL: none */
};

struct libdmr_image {
    char *path;
    char *format;          /* "raw", "qcow2", ... as the cfg or the overlay
                            * above names it; NULL: a kernel or ramdisk */
    bool present;
    bool regular;          /* a file, not a block device */
    uint64_t size;
    bool header_read;      /* a qcow2 layer whose header could be read */
    struct libdmr_qcow2_header qcow2;
};

/* The deepest backing chain a disk may have, its top included. */
#define LIBDMR_CHAIN_MAX 16
/* A firmware descriptor (QEMU's docs/interop/firmware.json), as read. */
struct libdmr_fw_file {
    char *filename;
    char *format;          /* "raw", "qcow2" */
    bool present;          /* a regular file */
    uint64_t size;
};
struct libdmr_fw_target {
    char *architecture;
    struct strv machines;  /* globs: "pc-q35-*" */
};
struct libdmr_fw_descriptor {
    char *path;            /* the descriptor's own file */
    struct strv interfaces;            /* "uefi", "bios" */
    char *device;                      /* "flash", "memory", ... */
    char *mode;                        /* "split" (default), "combined", "stateless" */
    struct libdmr_fw_file executable, nvram_template;
    struct libdmr_fw_target *targets;
    size_t n_targets;
    struct strv features;
};
/* What the plan's firmware and clock rest on. */
struct libdmr_fw_facts {
    struct libdmr_fw_descriptor *descriptors;   /* in the order QEMU's spec gives */
    size_t n_descriptors;
    struct libdmr_fw_file nvram;                /* the domain's VARS copy (filename: its path) */
    bool clock_known;
    int64_t now;                                /* time(2) when gathered */
    long local_offset;                          /* the host's tm_gmtoff then */
};

/* qemu backend: what the host's network says of a NIC of the config, in
 * the toolstack's own network namespace (facts_net.c). */
enum libdmr_bridge_state { LIBDMR_BRIDGE_ABSENT, LIBDMR_BRIDGE_OK, LIBDMR_BRIDGE_NOT_A_BRIDGE };
struct libdmr_nic_facts {
    char *bridge;          /* the bridge asked for (xenbr0 by default) */
    enum libdmr_bridge_state bridge_state;
    char *ifname;          /* the tap's name */
    bool ifname_in_use;    /* an interface of that name exists already */
    uint8_t random_mac[6]; /* xl's default: 00:16:3e + 23 random bits */
};

/* Did a probe guest run under an accelerator (facts_accel.c)? KVM_CREATE_VM
 * succeeding says nothing of it: a paravirtual KVM (kvm_pvm) creates VMs
 * whose guests barely move once out of real mode. */
enum libdmr_probe_result { LIBDMR_PROBE_UNKNOWN, LIBDMR_PROBE_PASSED, LIBDMR_PROBE_FAILED };
struct libdmr_accel_probe {
    enum libdmr_probe_result result;
    char *detail;          /* what the probe saw, for host check and the planner */
};

struct libdmr_facts {
    uint32_t domid;                /* asked for, or the lowest free */
    bool xen_dom0;
    bool kvm_usable;               /* false also when not asked: the config says tcg */
    /* KVM creates VMs though /proc/cpuinfo has neither vmx nor svm: no
     * hardware virtualisation under it (kvm_pvm, or nested without it). */
    bool cpu_lacks_virt;
    /* What xl-dmr host check last saw, from the cache; unknown until then. */
    struct libdmr_accel_probe kvm_probe, tcg_probe;
    uint32_t *domids_in_use;       /* sorted */
    size_t n_domids_in_use;

    struct libdmr_user device_model_user;   /* the cfg's, if it named one */
    struct libdmr_user range_base;
    struct libdmr_user range_uid_owner;     /* getpwuid(range_base + domid) */
    struct libdmr_user domid_user;
    struct libdmr_user shared;
    struct libdmr_user reaper;
    /* Live processes that have device_model_user's uid now (/proc). */
    unsigned device_model_user_processes;

    struct libdmr_subid_ranges subuid, subgid;
    struct libdmr_qemu_caps qemu;
    struct libdmr_image *images;            /* one per disk with a target */
    size_t n_images;

    struct libdmr_pci_host *pci;            /* one per pci device of the config */
    size_t n_pci;
    bool vfio_container;                    /* /dev/vfio/vfio */
    char *iommu_dev;                        /* /dev/iommu (iommufd), or NULL */
    unsigned vfio_major, vfio_minor;
    uint64_t memlock_hard;                  /* UINT64_MAX: unlimited */
    /* Tests only ($XL_DMR_TEST_PCI_STANDIN): an emulated device model,
     * e.g. e1000e, stands in for each assigned device. */
    char *pci_standin;
    bool cap_sys_resource;                  /* may raise a hard limit */
    struct libdmr_fw_facts fw;              /* bios="ovmf" or rtc_timeoffset only */
    struct libdmr_nic_facts *nics;          /* qemu backend: one per NIC of the config */
    size_t n_nics;
};

/* Each gathers one kind of fact; read-only. */
int facts_users_gather(libdmr_ctx *ctx, const libdmr_config *config,
                       libdmr_facts *facts);
int facts_subid_gather(libdmr_ctx *ctx, libdmr_facts *facts);
int facts_qemu_gather(libdmr_ctx *ctx, const libdmr_config *config,
                      libdmr_facts *facts);
int facts_domains_gather(libdmr_ctx *ctx, const libdmr_config *config,
                         libdmr_facts *facts);
/* libxl's domid history ("SEC DOMID" lines): adds each domid freed at
 * most TIMEOUT seconds before NOW (CLOCK_MONOTONIC seconds). */
int facts_domids_from_history(libdmr_facts *f, FILE *history, long now, long timeout);
long facts_libxl_domid_reuse_timeout(void);
int facts_images_gather(libdmr_ctx *ctx, const libdmr_config *config,
                        libdmr_facts *facts);
int facts_pci_gather(libdmr_ctx *ctx, const libdmr_config *config,
                     libdmr_facts *facts);
int facts_net_gather(libdmr_ctx *ctx, const libdmr_config *config, libdmr_facts *facts);
void facts_net_clear(libdmr_facts *facts);
void facts_pci_clear(libdmr_facts *facts);
/* facts_firmware.c: the firmware descriptors, the VARS copy, the clock. */
int facts_firmware_gather(libdmr_ctx *ctx, const libdmr_config *config,
                          libdmr_facts *facts);
void facts_firmware_clear(struct libdmr_fw_facts *fw);
/* What libdmr_facts_free frees, for facts that live inside something else. */
void facts_clear(libdmr_facts *facts);

struct stat;
/* The probe cache (facts_qemu_cache.c): 1 on a hit, 0 on a miss. */
int qemu_cache_load(libdmr_ctx *ctx, const char *qemu, const struct stat *st,
                    struct libdmr_qemu_caps *q);
void qemu_cache_store(libdmr_ctx *ctx, const char *qemu, const struct stat *st,
                      const struct libdmr_qemu_caps *q);

/* facts_accel.c: cpu_lacks_virt and the cached probe results (cheap, for
 * every plan), or a fresh probe of kvm and tcg into the cache (host check). */
void facts_accel_gather(libdmr_ctx *ctx, libdmr_facts *facts);
int facts_accel_probe(libdmr_ctx *ctx, libdmr_facts *facts);
const char *facts_probe_result_name(enum libdmr_probe_result r);
/* The accelerator cache entry: the host's part of the key is a string. */
int accel_cache_load(libdmr_ctx *ctx, const char *qemu, const struct stat *st,
                     const char *host_key, libdmr_facts *facts);
void accel_cache_store(libdmr_ctx *ctx, const char *qemu, const struct stat *st,
                       const char *host_key, const libdmr_facts *facts);

void facts_user_clear(struct libdmr_user *u);
/* /proc/xen/capabilities says control_d (facts_domains.c). */
bool host_is_xen_dom0(void);
/* facts_lookup.c, pure. */
const struct libdmr_image *facts_image_find(const libdmr_facts *facts,
                                            const char *path);
/* Where QEMU looks for an overlay's backing file: an absolute name as is,
 * a relative one in the overlay's directory; "." steps and doubled
 * slashes dropped, so that one file spelt two ways is one path. NULL: no
 * memory. */
char *image_backing_path(const char *overlay, const char *name);
/* A name QEMU reads as a protocol ("nbd:...", "json:{...}"): a colon
 * before any slash (QEMU's path_has_protocol). */
bool image_name_is_protocol(const char *name);
bool facts_domid_in_use(const libdmr_facts *facts, uint32_t domid);

/* ---- plan ------------------------------------------------------------- */

enum libdmr_uid_source {
    LIBDMR_SOURCE_DEVICE_MODEL_USER,
    LIBDMR_SOURCE_RANGE,
    LIBDMR_SOURCE_DOMID_USER,
    LIBDMR_SOURCE_SHARED,
    LIBDMR_SOURCE_ROOT,
};

/* Who QEMU runs as, and why: plan_identity.c's answer. */
struct plan_identity {
    enum libdmr_uid_source source;
    char *user;            /* passwd name, "root", or "xen-qemuuser-range-base+N" */
    uid_t uid;
    gid_t gid;
    bool uid_pending;      /* range-base + a domid not chosen yet: uid unknown */
    bool kill_by_uid;
    /* The kernel's count of the uid's tasks sees them all: no user's
     * subordinate uids include it (reaper.c, kernel_counts_no_task). */
    bool uid_counted;
    bool uid_exclusive;    /* no other domain's DM may have uid (create checks) */
    bool has_reaper;
    uid_t reaper_uid;
    char *reaper_user;
    char *reason;          /* one sentence: which rule chose it */
};

/* Collects a plan's messages; the first refusal wins (plan_verdict.c). */
struct plan_verdict {
    struct strv notices;
    struct strv warnings;
    int refusal_rc;        /* 0 or LIBDMR_ERROR_* */
    char *refusal;
};

void verdict_clear(struct plan_verdict *v);
/* Log the refusal (returning its code), or the notices and warnings. */
int verdict_log(libdmr_ctx *ctx, uint32_t domid, const struct plan_verdict *v);
int verdict_warn(struct plan_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int verdict_notice(struct plan_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Records the refusal (unless one is already there); returns 0 or NOMEM. */
int verdict_refuse(struct plan_verdict *v, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct plan_rlimit {
    int resource;          /* RLIMIT_* */
    const char *name;      /* "FSIZE" */
    uint64_t value;        /* UINT64_MAX: unlimited */
};

/* What the watcher does when the guest powers off, reboots or crashes. */
enum plan_action { PLAN_ACTION_DESTROY, PLAN_ACTION_RESTART, PLAN_ACTION_PRESERVE };

enum plan_resource_kind {
    PLAN_RES_QMP_LISTEN, PLAN_RES_DISK, PLAN_RES_CDROM, PLAN_RES_KERNEL, PLAN_RES_RAMDISK,
    PLAN_RES_IOMMUFD, PLAN_RES_VFIO_DEVICE,    /* character devices, read-write */
    PLAN_RES_BACKING,      /* a layer below a disk's top image, read-only */
    PLAN_RES_FIRMWARE,     /* OVMF's CODE, read-only */
    PLAN_RES_NVRAM,        /* the domain's VARS copy: made from template if missing */
    PLAN_RES_TAP,          /* a tap the toolstack makes through /dev/net/tun */
    PLAN_RES_SERIAL,       /* QEMU's end of the serial socketpair; path: the console socket */
    PLAN_RES_QMP_EVENTS,   /* the watcher's monitor: a listening socket like the QMP one */
};

/* Something the toolstack opens as root and hands to QEMU as a descriptor. */
struct plan_resource {
    enum plan_resource_kind kind;
    char *id;              /* "qmp", "hda", ... */
    char *path;
    bool writable;
    int child_fd;          /* the descriptor number QEMU gets */
    unsigned fdset;        /* 0: not an fdset (the QMP socket) */
    enum libdmr_disk_format format;   /* an image's (disk, cdrom, backing) */
    int backing;           /* the resource of the layer below; -1: none */
    char *template_path;   /* NVRAM: what a missing copy is made from */
};

/* qemu backend: a disk's drive, where plan_disks.c put it. */
struct plan_disk {
    char *vdev;            /* also its QEMU id */
    enum libdmr_disk_format format;
    bool cdrom;
    unsigned bus;          /* ide.N */
    int unit;              /* on that bus; -1: it has one (q35's AHCI), not named */
    int resource;          /* its image's index in resources; -1: an empty drive */
};

struct plan_pci {
    unsigned domain, bus, dev, func;
    bool guest_unplug;
    char *id;              /* "hostdev0" */
    char *port;            /* pcie-root-port id, NULL if on the root bus */
    const char *standin;   /* tests: an emulated model instead of vfio-pci */
    unsigned chassis;      /* root port's chassis/slot number */
    unsigned root_slot;    /* slot on the root bus (port's or device's) */
    bool port_hotplug;
    bool has_group;        /* VFIO: its IOMMU group */
    unsigned group;
    int cdev_fd;           /* iommufd: QEMU's descriptor of its VFIO cdev; 0: none */
};

/* An empty pcie-root-port left for pci-attach (q35). */
struct plan_port {
    char *id;              /* "hp1" */
    unsigned chassis;
    unsigned root_slot;
};

/* What the DM's private mount namespace puts in its chroot (VFIO). */
enum plan_chroot_kind { PLAN_CHROOT_TMPFS, PLAN_CHROOT_CHARDEV, PLAN_CHROOT_BIND_RO };

struct plan_chroot_entry {
    enum plan_chroot_kind kind;
    char *path;            /* inside the chroot, absolute */
    char *source;          /* BIND_RO: the host directory */
    unsigned major, minor; /* CHARDEV */
    unsigned mode;
    uid_t uid;
    gid_t gid;
};

struct plan_chroot {
    struct plan_chroot_entry *v;
    size_t n;
};
void plan_chroot_clear(struct plan_chroot *ch);

/* xen backend: a disk as libxl gets it (libxl, not xl-dmr, hands it to qemu-xen). */
struct plan_xen_disk {
    char *vdev;
    char *target;          /* NULL: an empty cdrom drive */
    enum libdmr_disk_format format;
    bool readwrite, cdrom;
};

/* xen backend: a NIC qemu-xen makes itself (libxl has it open a tap). */
struct plan_nic {
    char *ifname;          /* the tap's name; NULL: libxl's */
    char *bridge;          /* NULL: libxl's default */
    char *model;           /* NULL: qemu-xen's default */
};

/* qemu backend: a NIC whose tap the toolstack makes (plan_net.c). */
struct plan_tap {
    char *ifname;          /* the tap's name, also the resource's id */
    char *bridge;          /* the bridge it joins */
    const char *device;    /* QEMU's -device model ("e1000", "virtio-net-pci") */
    uint8_t mac[6];        /* the guest's */
    bool vnet_hdr;         /* IFF_VNET_HDR: virtio-net takes offloads through it */
    int resource;          /* its index in resources; -1 until planned */
};

/* xen backend: the VNC server qemu-xen listens with. */
struct plan_vnc {
    char *listen;          /* the address; NULL: no VNC */
    unsigned display;
    bool find_unused;
    unsigned port_min, port_max;   /* the TCP ports it may listen on */
};

/* xen backend: what xl-dmr puts in libxl's domain config, so that libxl
 * (which builds qemu-xen's argv and picks its user) carries the plan out. */
struct plan_libxl {
    char *device_model_user;       /* NULL: libxl's own search reaches the plan's user */
    char *device_model;            /* device_model_override, NULL: libxl's default */
    struct plan_xen_disk *disks;
    size_t n_disks;
    char *serial, *boot;
    struct strv dm_args;           /* device_model_args, appended to qemu-xen's argv */
    uint64_t fsize;                /* RLIMIT_FSIZE to give qemu-xen after create; 0: libxl's */
    struct plan_nic *nics;         /* devices qemu-xen makes itself (plan_dm_devices.c) */
    size_t n_nics;
    struct plan_vnc vnc;
};
void plan_libxl_clear(struct plan_libxl *x);

/* qemu backend: firmware and machine (plan_machine.c). */
struct plan_machine {
    enum libdmr_firmware firmware; /* SEABIOS or OVMF, never DEFAULT */
    char *descriptor;              /* OVMF: the descriptor chosen */
    int code_res, vars_res;        /* OVMF: their resources; -1: none */
    struct strv rom_files;         /* what QEMU reads by path before it chroots */
    long maxvcpus;
    char *uuid;
    char *boot;                    /* -boot order= */
    char *rtc_base;                /* -rtc base= ; NULL: QEMU's (utc) */
    bool acpi_off;
    const char *sound_model;       /* NULL: none */
    struct strv dm_args;           /* passed as given, after ours */
};
void plan_machine_clear(struct plan_machine *m);
/* qemu backend: the guest's display card, input devices and VNC server
 * (plan_display.c). */
struct plan_display {
    enum libdmr_vga vga;           /* CIRRUS, STD or NONE */
    unsigned videoram_mb;          /* 0 with NONE */
    char *keymap;                  /* -k; NULL: none */
    const char *usb_controller;    /* its QEMU model; NULL: none */
    struct strv usb_devices;       /* QEMU models: "usb-tablet", ... */
    struct plan_vnc vnc;           /* listen NULL: no VNC */
    /* The VNC password: the plan and everything made of it say only
     * whether there is one; the secret stays in memory, sent over QMP. */
    bool vnc_password;
    char *vnc_secret;
    bool vnc_password_truncated;   /* longer than VNC uses */
};
void plan_display_clear(struct plan_display *d);
int plan_display(const libdmr_config *config, libdmr_plan *plan);
/* The VNC server a plan has its DM listen with, on either backend, or NULL. */
const struct plan_vnc *plan_vnc_of(const libdmr_plan *plan);
/* plan_dm_devices.c: one VNC server planned from the config's keys. */
int plan_vnc_fill(const libdmr_config *c, struct plan_vnc *vnc, struct plan_verdict *v);

struct libdmr_plan {
    uint32_t domid;
    char *name;
    long memory_mb;
    long vcpus;
    enum libdmr_backend backend;
    enum libdmr_machine machine;   /* qemu backend */
    enum libdmr_accel accel;       /* qemu backend */
    bool restricted;
    struct plan_identity id;
    char *chroot;                  /* NULL: none */
    unsigned chroot_mode;
    bool unshare_mnt_ipc;
    struct plan_rlimit *rlimits;
    size_t n_rlimits;
    char *sandbox;                 /* -sandbox's value, NULL: none */
    char *qemu_path;
    char *log_path;                /* where the DM's output goes */
    char *qmp_path;                /* its QMP socket (libxl's on the xen backend) */
    /* qemu backend: the socket the logger serves the guest's serial
     * console on (`xl-dmr console`); NULL: no serial port. */
    char *console_path;
    char *qmp_events_path;         /* qemu backend: the watcher's monitor */
    enum plan_action on_poweroff, on_reboot, on_crash;   /* qemu backend (plan_actions.c) */
    bool pvpanic;                  /* a pvpanic device tells the watcher of a crash */
    struct plan_libxl libxl;       /* xen backend */
    struct plan_display display;   /* qemu backend */
    struct plan_resource *resources;
    size_t n_resources;
    struct plan_disk *disks;       /* qemu backend */
    size_t n_disks;
    struct plan_pci *pci;
    size_t n_pci;
    bool root_bus_hotplug_off;     /* pc: PIIX4_PM.acpi-root-pci-hotplug=off */
    bool pci_guest_unplug;         /* the default for devices attached later */
    bool paused;                   /* the guest is left paused after the start */
    int iommufd_fd;                /* QEMU's descriptor of /dev/iommu; 0: none */
    bool qemu_iommufd;             /* this QEMU's vfio-pci takes descriptors */
    struct plan_port *hotplug_ports;
    size_t n_hotplug_ports;
    struct plan_tap *taps;         /* qemu backend: one per NIC */
    size_t n_taps;
    struct plan_chroot chroot_contents;
    /* What the audit holds the DM to beyond the resources: files its
     * backend has it open by path (libxl's log, ...), and whether Xen's
     * device nodes are its own (qemu-xen). */
    struct strv audit_files;
    bool audit_xen_interfaces;
    /* QEMU opens a pty of its own for the guest's serial port (xen:
     * serial="pty"): the audit accepts /dev/ptmx and its /dev/pts/N. */
    bool serial_pty;
    struct plan_machine mach;      /* qemu backend */
    struct plan_verdict verdict;
    struct strv argv;
};

/* The backend a config gets on this host: the cfg's, else xen on a dom0 and
 * qemu elsewhere. The facts ask it too, to probe that backend's binary. */
enum libdmr_backend plan_backend_choose(const libdmr_config *config, bool xen_dom0);
/* The device model binary the plan will be for: what the facts probe. */
const char *plan_dm_binary(const libdmr_config *config, bool xen_dom0);

/* The stages of libdmr_plan_compute, each pure. */
int plan_identity(const libdmr_config *config, const libdmr_facts *facts,
                  enum libdmr_backend backend, uint32_t domid,
                  struct plan_identity *ret_id,
                  struct plan_verdict *v);
void plan_identity_clear(struct plan_identity *id);
int plan_pci(const libdmr_config *config, const libdmr_facts *facts,
             libdmr_plan *plan);
int plan_limits(const libdmr_config *config, const libdmr_facts *facts,
                libdmr_plan *plan);
/* RLIMIT_MEMLOCK a DM with VFIO devices needs: guest RAM + 1 GiB. */
uint64_t plan_vfio_memlock(long memory_mb);
int plan_vfio(const libdmr_config *config, const libdmr_facts *facts,
              libdmr_plan *plan);
/* Can these devices go through iommufd: the QEMU (qemu_iommufd: as probed
 * at create, for attach), /dev/iommu, their cdevs? */
bool plan_vfio_iommufd_usable(bool qemu_iommufd, const libdmr_facts *f,
                              const struct libdmr_pci_host *h, size_t n);
/* Is this device's IOMMU group one VFIO will hand out? */
int plan_vfio_viable(struct plan_verdict *v, const struct libdmr_pci_host *h);
/* A device's group node (unless group_present) and sysfs directory. */
int plan_vfio_device_entries(const struct libdmr_pci_host *h, bool group_present,
                             uid_t uid, gid_t gid, struct plan_chroot *ch);
int plan_vfio_container_entry(const libdmr_facts *f, struct plan_chroot *ch);
/* What detaching a device takes out: for chroot_depopulate (newest first). */
int plan_vfio_device_removal(const char *bdf, unsigned group, bool group_stays,
                             struct plan_chroot *ch);
/* plan_actions.c: on_poweroff, on_reboot, on_crash (qemu backend). */
int plan_actions(const libdmr_config *config, const libdmr_facts *facts, libdmr_plan *plan);
const char *plan_action_name(enum plan_action a);
int plan_resources(const libdmr_config *config, const libdmr_facts *facts,
                   libdmr_plan *plan);
/* One more descriptor for QEMU, numbered after the others; its number in
 * *ret_fd. */
int plan_resource_add(libdmr_plan *p, enum plan_resource_kind kind, const char *id,
                      const char *path, bool writable, unsigned fdset, int *ret_fd);
/* plan_machine.c: firmware, ROMs QEMU reads, and the machine keys
 * (qemu backend); before plan_resources (which adds the OVMF files). */
int plan_machine(const libdmr_config *config, const libdmr_facts *facts, libdmr_plan *plan);
int plan_machine_resources(const libdmr_facts *facts, libdmr_plan *plan);
/* RLIMIT_FSIZE the VARS copy needs (its size, or its template's); 0: no OVMF. */
uint64_t plan_machine_fsize(const libdmr_facts *facts, const libdmr_plan *plan);
/* The option ROM QEMU 7.2 reads (as root, before it chroots) for a device
 * model: "e1000" -> .../efi-e1000.rom; NULL: none. Add it to mach.rom_files. */
const char *plan_rom_for_device(const char *model);
/* The config's machine keys the xen backend does not carry, "a, b"; NULL: none. */
int plan_machine_xen_unsupported(const libdmr_config *config, char **ret);
/* Where a domain's VARS copy lives (keyed by name). */
#define LIBDMR_NVRAM_DIR "/var/lib/xl-dmr/nvram"
/* Each disk's IDE bus and unit (qemu backend), or the refusal. */
int plan_disks(const libdmr_config *config, libdmr_plan *plan);
void plan_disks_clear(libdmr_plan *plan);
int argv_qemu_system(const libdmr_config *config, libdmr_plan *plan,
                     const libdmr_facts *facts);
int argv_qemu_xen(libdmr_plan *plan);
/* plan_xen.c: the identity as libxl can reach it, and its domain config. */
int plan_xen(const libdmr_config *config, const libdmr_facts *facts, libdmr_plan *plan);
/* What libxl has qemu-xen hold by path, for the audit (once the log is planned). */
int plan_xen_audit(libdmr_plan *plan);
/* plan_dm_devices.c: the NICs and VNC server the device model makes itself
 * (xen: libxl has qemu-xen open them), or the refusal (qemu: vnc is not
 * carried; its NICs are plan_net's). */
int plan_dm_devices(const libdmr_config *config, libdmr_plan *plan);
void plan_dm_devices_clear(struct plan_libxl *x);
/* plan_net.c: the taps of the qemu backend's NICs (their resources come
 * with plan_resources, after the disks). */
int plan_net(const libdmr_config *config, const libdmr_facts *facts, libdmr_plan *plan);
int plan_net_resources(libdmr_plan *plan);
void plan_net_clear(libdmr_plan *plan);
/* The tap's name of NIC index: its ifname, else xl's "vif<domid>.<index>-emu";
 * -ENAMETOOLONG past IFNAMSIZ - 1. Pure; the facts ask it too. */
#define LIBDMR_BRIDGE_DEFAULT "xenbr0"
int plan_tap_name(const struct libdmr_nic *nic, uint32_t domid, size_t index, char ret[16]);
/* "00:16:3e:01:02:03" */
void mac_format(const uint8_t mac[6], char ret[18]);
/* An IPv4 or IPv6 address in numbers as 16 bytes, an IPv4 one as
 * IPv4-mapped (::ffff:a.b.c.d), so that both forms compare equal; -EINVAL. */
int inet_addr_mapped(const char *text, uint8_t ret[16]);
/* The backend's per-domain chroot: the one place its path is made. */
int plan_chroot_path(enum libdmr_backend backend, uint32_t domid, char **ret);
/* libxl's fixed RLIMIT_FSIZE for a restricted qemu-xen (256 KiB). */
#define LIBDMR_LIBXL_FSIZE (256u * 1024)

/* plan_names.c: what the plan's JSON, text and state call its choices. */
const char *plan_source_name(enum libdmr_uid_source s);
const char *plan_backend_name(enum libdmr_backend b);
const char *plan_machine_name(enum libdmr_machine m);
const char *plan_accel_name(enum libdmr_accel a);

/* ---- a running domain's PCI (pci-attach, -detach, -list) -------------- */

struct dm_pci_dev {
    char *bdf;             /* "0000:01:00.0" */
    char *id;              /* QEMU's device id */
    char *port;            /* the root port it sits behind, NULL: the root bus */
    bool guest_unplug;
    bool hotplugged;       /* attached at run time */
    bool has_group;
    unsigned group;
    char *standin;         /* tests: the emulated model standing in */
    bool iommufd;          /* given as a cdev descriptor, nothing in the chroot */
};

/* Made from the plan at create, saved with the state, changed by attach/detach. */
struct dm_pci {
    enum libdmr_machine machine;
    bool restricted;
    bool guest_unplug;             /* the default for attached devices */
    bool root_bus_hotplug_off;
    struct strv ports;             /* spare hot-pluggable root ports */
    uint64_t memlock;              /* the DM's RLIMIT_MEMLOCK */
    bool vfio_container;           /* its chroot has /dev/vfio/vfio */
    bool qemu_iommufd;             /* its QEMU's vfio-pci takes descriptors */
    bool iommufd_object;           /* QEMU has the object iommufd0 */
    struct dm_pci_dev *devs;
    size_t n_devs;
};

int dm_pci_from_plan(const libdmr_plan *plan, struct dm_pci *ret);
void dm_pci_clear(struct dm_pci *pci);
/* The device with this BDF, or NULL. */
const struct dm_pci_dev *dm_pci_find(const struct dm_pci *pci, const char *bdf);
int dm_pci_add(struct dm_pci *pci, const struct dm_pci_dev *dev);   /* copies */
void dm_pci_drop(struct dm_pci *pci, const char *bdf);

/* The running domain pci-attach plans against. */
struct pci_attach_request {
    uint32_t domid;
    enum libdmr_backend backend;
    long memory_mb;
    uid_t dm_uid;
    gid_t dm_gid;
    const char *dm_user;
    const struct dm_pci *pci;
    struct libdmr_pci_dev dev;     /* what to attach */
};

struct pci_attach_plan {
    struct plan_verdict verdict;
    struct dm_pci_dev dev;         /* its record once attached */
    bool on_root_bus;              /* pc: pci.0 */
    unsigned root_slot;            /* pc with @VSLOT; 0: QEMU picks */
    struct plan_chroot chroot;     /* to make in the DM's namespace first */
    uint64_t memlock;              /* raise the DM's RLIMIT_MEMLOCK to it; 0: no */
    char *cdev_path;               /* iommufd: the device's cdev, to hand over */
    char *iommu_path;              /* iommufd: /dev/iommu, when iommufd0 is to be made */
};

/* plan_pci_attach.c, pure: what pci-attach and pci-detach do, or why not. */
int plan_pci_attach(const struct pci_attach_request *req, const libdmr_facts *facts,
                    struct pci_attach_plan *ret);
void pci_attach_plan_clear(struct pci_attach_plan *p);

struct pci_detach_plan {
    struct plan_verdict verdict;
    const struct dm_pci_dev *dev;  /* in the request's dm_pci */
    struct plan_chroot chroot;     /* to remove from the DM's namespace after */
};
int plan_pci_detach(const struct dm_pci *pci, const char *bdf, struct pci_detach_plan *ret);
void pci_detach_plan_clear(struct pci_detach_plan *p);

#endif /* LIBDMR_INTERNAL_H */
