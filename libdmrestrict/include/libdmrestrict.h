/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdmrestrict: decide how a Xen or QEMU device model is restricted,
 * and carry that decision out.
 *
 * The pipeline (see docs/design.md):
 *
 *     config  (a domain described by calls: libdmr_config_new and setters;
 *              xl-dmr builds it from an xl.cfg, libxl from its own
 *              libxl_domain_config, libvirt from its XML)
 *     facts   (read-only look at the host: NSS users, subordinate ids,
 *              QEMU capabilities, domids in use, image sizes)
 *     plan    (pure: no syscalls, no I/O; the same input gives the same
 *              plan), read back with the libdmr_plan_* getters
 *     domain  (create, record, audit, operate, destroy)
 *
 * The library links neither libxenlight nor libxlutil, so libxl itself can
 * link it. xl syntax (xl.cfg, pci specs, BDFs) is the frontend's to parse.
 *
 * Conventions, as in libxl.h:
 *  - Every function that can fail returns 0 or a negative LIBDMR_ERROR_*
 *    code, and has logged one line saying why through the context's
 *    logger (the config setters excepted: see there).
 *  - Outputs named ret_* are written only on success. What a ret_ output
 *    points to is the caller's: free it with the function named beside
 *    it, or with free() where none is named (JSON and text, message
 *    strings, arrays); a const char * output is borrowed from the object
 *    it came from and lives as long as that object.
 *
 * Where calls may run:
 *  - Threads: a libdmr_ctx, and everything made with it, is used by one
 *    thread at a time. Different contexts may be used by different threads
 *    of one process at once, with one exception: starting a qemu-backend
 *    device model sets the process umask to 0177 for the moment it binds
 *    the QMP socket (POSIX has no per-thread umask), so a file another
 *    thread creates in that moment is made 0600 at most.
 *  - The host-wide lock (a flock on /run/xl-dmr) serialises whatever
 *    changes the host's record of domains. The calls that take it say
 *    "Takes the lock". A context knows whether it holds the lock, and a
 *    call that would take it again on the same context fails with
 *    LIBDMR_ERROR_BUSY instead of blocking on itself (a flock belongs to
 *    the open file: a second open in the same process would wait forever).
 *    A backend's operations (libdmr_backend_ops) run inside library
 *    calls: stop, pci_change and lookup may run while the lock is held (a
 *    lock-taking call from them gets BUSY); start, unpause, cdrom_change
 *    and media run with it let go. Two contexts in one thread must not
 *    nest lock-taking calls: that would wait forever.
 *  - No signal handlers are installed and the signal mask is not changed;
 *    the library forks helpers (a reaper, the device model's logger, QEMU
 *    probes) and waits for each by its pid or pidfd, never with wait(-1).
 *    The caller must leave them to it: SIGCHLD not set to SIG_IGN, and no
 *    reaping of children it did not fork (libxl: selective reap mode, as
 *    xl-dmr sets it). A helper reaped by someone else is a failed call.
 */
#ifndef LIBDMRESTRICT_H
#define LIBDMRESTRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <xentoollog.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The API version a caller was written against; pass it to libdmr_ctx_alloc. */
#define LIBDMR_VERSION 1

/*
 * LIBDMR_HAVE_*: what this header offers, as libxl's LIBXL_HAVE_*; a
 * caller tests them at build time. Every symbol below is versioned
 * LIBDMRESTRICT_1 (see docs/design.md, "ABI and soname").
 */
#define LIBDMR_HAVE_CONFIG_BY_CALLS 1
#define LIBDMR_HAVE_TOOLSTACK_DOMID 1
#define LIBDMR_HAVE_PLAN_GETTERS 1
#define LIBDMR_HAVE_DOMAIN_RECORD 1
#define LIBDMR_HAVE_PCI_ATTACH_DECIDE 1
#define LIBDMR_HAVE_BACKEND_OPS 1
#define LIBDMR_HAVE_CONFIG_BACKEND_VERDICT 1
#define LIBDMR_HAVE_TOOLSTACK_LIMITS 1
#define LIBDMR_HAVE_MADE_BY_LIBRARY 1

/* Error codes, in the style of libxl's ERROR_*: always negative. */
#define LIBDMR_ERROR_LIST(X)                                                  \
    X(NONSPECIFIC, -1, "unspecified error")                                   \
    X(VERSION,     -2, "wrong API version")                                   \
    X(FAIL,        -3, "failed")                                              \
    X(NI,          -4, "not implemented")                                     \
    X(NOMEM,       -5, "out of memory")                                       \
    X(INVAL,       -6, "invalid argument or configuration")                   \
    X(NOTFOUND,    -7, "not found")                                           \
    X(REFUSED,     -8, "refused by the device model policy")                  \
    X(QEMU_API,    -9, "unexpected answer from QEMU")                         \
    X(TIMEDOUT,   -10, "timed out")                                           \
    X(BUSY,       -11, "resource busy")                                       \
    X(PERM,       -12, "permission denied")

enum libdmr_error {
#define LIBDMR__ERROR_ENUM(name, value, text) LIBDMR_ERROR_##name = (value),
    LIBDMR_ERROR_LIST(LIBDMR__ERROR_ENUM)
#undef LIBDMR__ERROR_ENUM
};

/* A sentence for rc ("invalid argument or configuration"). Never NULL. */
const char *libdmr_strerror(int rc);
/* The code's name without the LIBDMR_ERROR_ prefix ("INVAL"). Never NULL. */
const char *libdmr_error_name(int rc);

/* ---- context ---------------------------------------------------------- */

typedef struct libdmr_ctx libdmr_ctx;

/*
 * lg is the logger the caller owns (xl hands libxl the same kind); it must
 * outlive the context. flags: none defined yet, pass 0.
 * The root for /sys and /dev look-ups starts as $XL_DMR_SYSROOT, else "/".
 */
int libdmr_ctx_alloc(libdmr_ctx **ret_ctx, int version, unsigned flags,
                     xentoollog_logger *lg);
void libdmr_ctx_free(libdmr_ctx *ctx);

/* The root /sys and /dev are looked up under (an absolute path): a
 * fabricated tree for tests, "/" on a real host. The getter's string is
 * the context's. */
int libdmr_ctx_set_sysroot(libdmr_ctx *ctx, const char *sysroot);
const char *libdmr_ctx_get_sysroot(const libdmr_ctx *ctx);

/*
 * The text of the last error of this context (logged, or refused by a
 * config setter), or NULL. It lets a frontend repeat the one line it
 * already showed, e.g. inside JSON, or put a setter's reason in context.
 */
const char *libdmr_ctx_last_error(const libdmr_ctx *ctx);

/*
 * Log through the context, as the library does: one line on its logger,
 * "Domain N: " in front unless domid is LIBDMR_NO_DOMID, ": strerror" after
 * when errnoval > 0; an error becomes the context's last error. For a
 * frontend's and a backend's own messages, so that they are the context's
 * too. errno is kept.
 */
#define LIBDMR_NO_DOMID UINT32_MAX
void libdmr_ctx_log(libdmr_ctx *ctx, xentoollog_level level, int errnoval, uint32_t domid,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- config: a domain described by calls ----------------------------- */

typedef struct libdmr_config libdmr_config;

enum libdmr_guest_type { LIBDMR_GUEST_HVM, LIBDMR_GUEST_PV, LIBDMR_GUEST_PVH };
/* AUTO: xen on a Xen dom0, qemu (plain QEMU, TCG or KVM) elsewhere. */
enum libdmr_backend { LIBDMR_BACKEND_AUTO, LIBDMR_BACKEND_XEN, LIBDMR_BACKEND_QEMU };
/* DEFAULT: q35 on the qemu backend; xenfv (i440fx) on xen. */
enum libdmr_machine { LIBDMR_MACHINE_DEFAULT, LIBDMR_MACHINE_Q35, LIBDMR_MACHINE_PC };
enum libdmr_accel { LIBDMR_ACCEL_AUTO, LIBDMR_ACCEL_KVM, LIBDMR_ACCEL_TCG };
enum libdmr_disk_format { LIBDMR_FORMAT_RAW, LIBDMR_FORMAT_QCOW2, LIBDMR_FORMAT_EMPTY };
/* The guest's display card (xl's vga=): DEFAULT is libxl's, cirrus. */
enum libdmr_vga { LIBDMR_VGA_DEFAULT, LIBDMR_VGA_CIRRUS, LIBDMR_VGA_STD, LIBDMR_VGA_NONE };
/* What xl-dmr pause, unpause, shutdown and reboot ask of a domain. */
enum libdmr_control { LIBDMR_CONTROL_PAUSE, LIBDMR_CONTROL_UNPAUSE, LIBDMR_CONTROL_SHUTDOWN,
                      LIBDMR_CONTROL_REBOOT };
/* What the guest did (xl.cfg's on_poweroff, on_reboot, on_crash, on_soft_reset). */
enum libdmr_event { LIBDMR_EVENT_POWEROFF, LIBDMR_EVENT_REBOOT, LIBDMR_EVENT_CRASH,
                    LIBDMR_EVENT_SOFT_RESET };
#define LIBDMR_EVENT_COUNT 4
/* What the toolstack does then, with xl.cfg(5)'s names; DEFAULT: xl's
 * (destroy, restart, destroy, soft-reset). The planner says which a
 * backend carries. */
enum libdmr_action { LIBDMR_ACTION_DEFAULT, LIBDMR_ACTION_DESTROY, LIBDMR_ACTION_RESTART,
                     LIBDMR_ACTION_PRESERVE, LIBDMR_ACTION_RENAME_RESTART,
                     LIBDMR_ACTION_COREDUMP_DESTROY, LIBDMR_ACTION_COREDUMP_RESTART,
                     LIBDMR_ACTION_SOFT_RESET };

/* A host PCI device: 0000:01:00.0 is { 0, 1, 0, 0 }. */
typedef struct libdmr_pci_addr {
    unsigned domain, bus, dev, func;
} libdmr_pci_addr;
/* How the library writes one, as sysfs and xl do: printf(LIBDMR_BDF_FMT,
 * LIBDMR_BDF_ARGS(&dev)) gives "0000:01:00.0" (any struct with domain,
 * bus, dev and func will do). */
#define LIBDMR_BDF_FMT "%04x:%02x:%02x.%u"
#define LIBDMR_BDF_ARGS(d) (d)->domain, (d)->bus, (d)->dev, (d)->func

/*
 * A new config for the domain called name (1-64 letters, digits, '-', '_'
 * or '.', not starting with '-' or '.', not only digits), with xl's defaults: HVM, 128 MiB, 1 vCPU,
 * dm_restrict off, backend AUTO, the lowest free domid. Free it with
 * libdmr_config_free.
 *
 * The setters below check their value. A value they refuse gives
 * LIBDMR_ERROR_INVAL, leaves the config as it was and is NOT logged: the
 * reason is in libdmr_ctx_last_error(), for the caller to report in its
 * own terms (xl-dmr prefixes the cfg file and line). LIBDMR_ERROR_NOMEM
 * is logged.
 */
int libdmr_config_new(libdmr_ctx *ctx, const char *name, libdmr_config **ret_config);
void libdmr_config_free(libdmr_config *config);

/* Which file the config came from, for messages ("demo.cfg"). */
int libdmr_config_set_source(libdmr_ctx *ctx, libdmr_config *config, const char *source);
int libdmr_config_set_name(libdmr_ctx *ctx, libdmr_config *config, const char *name);
/* Only an HVM guest has a device model: PV and PVH are refused. */
int libdmr_config_set_type(libdmr_ctx *ctx, libdmr_config *config, enum libdmr_guest_type type);
int libdmr_config_set_backend(libdmr_ctx *ctx, libdmr_config *config, enum libdmr_backend backend);
int libdmr_config_set_dm_restrict(libdmr_ctx *ctx, libdmr_config *config, bool dm_restrict);
/* xl.cfg's device_model_user; NULL unsets it. Never empty. */
int libdmr_config_set_device_model_user(libdmr_ctx *ctx, libdmr_config *config,
                                        const char *user);
/* The QEMU binary (an absolute path); NULL: the backend's default. */
int libdmr_config_set_device_model(libdmr_ctx *ctx, libdmr_config *config, const char *path);
int libdmr_config_set_machine(libdmr_ctx *ctx, libdmr_config *config, enum libdmr_machine machine);
int libdmr_config_set_accel(libdmr_ctx *ctx, libdmr_config *config, enum libdmr_accel accel);
/* 1 MiB .. 16 TiB. */
int libdmr_config_set_memory_mb(libdmr_ctx *ctx, libdmr_config *config, long memory_mb);
/* 1 .. 128. */
int libdmr_config_set_vcpus(libdmr_ctx *ctx, libdmr_config *config, long vcpus);
/* Direct kernel boot: absolute paths; a ramdisk needs a kernel. Any may be NULL. */
int libdmr_config_set_kernel(libdmr_ctx *ctx, libdmr_config *config, const char *kernel,
                             const char *ramdisk, const char *cmdline);
/* xen backend: the HVM serial ("pty", "file:PATH") and boot order ("dc"). */
int libdmr_config_set_serial(libdmr_ctx *ctx, libdmr_config *config, const char *serial);
int libdmr_config_set_boot(libdmr_ctx *ctx, libdmr_config *config, const char *boot);
/* Leave the guest paused once its device model is up (xl create -p). */
int libdmr_config_set_paused(libdmr_ctx *ctx, libdmr_config *config, bool paused);
/* What to do when the guest powers off, reboots, crashes (on_poweroff...). */
int libdmr_config_set_action(libdmr_ctx *ctx, libdmr_config *config, enum libdmr_event event,
                             enum libdmr_action action);

/*
 * What the caller knows of its own reading of the config, for a plan on
 * one backend (XEN or QEMU; plans on the other are not affected). A
 * refusal: the backend cannot carry part of the config out (xl-dmr: the
 * xl.cfg keys its xen backend does not pass to libxl), so such a plan is
 * refused with LIBDMR_ERROR_NI and this sentence, before anything else is
 * decided; NULL withdraws it. A notice: something the config asks for
 * means nothing there; each call adds one to such a plan's notices.
 */
int libdmr_config_set_backend_refusal(libdmr_ctx *ctx, libdmr_config *config,
                                      enum libdmr_backend backend, const char *refusal);
int libdmr_config_add_backend_notice(libdmr_ctx *ctx, libdmr_config *config,
                                     enum libdmr_backend backend, const char *notice);

/*
 * The domid. By default the library picks the lowest free one when it
 * gathers facts (xl-dmr). libdmr_config_set_domid asks for one (1..32751),
 * which must be free. libdmr_config_set_toolstack_domid is for a toolstack
 * that chooses its own (libxl): the library never picks one and does not
 * hold the given one against the domains the host has; LIBDMR_DOMID_NONE
 * means "not chosen yet", and the plan then answers only what does not
 * depend on the domid (see libdmr_plan_dm_uid). Some facts are of one
 * domid (xen-qemuuser-domidN, who owns the range uid): a plan for a
 * chosen domid is refused (INVAL) with facts gathered for another, so
 * gather them again once the domid is chosen.
 */
#define LIBDMR_DOMID_NONE 0u
int libdmr_config_set_domid(libdmr_ctx *ctx, libdmr_config *config, uint32_t domid);
int libdmr_config_set_toolstack_domid(libdmr_ctx *ctx, libdmr_config *config, uint32_t domid);
/*
 * The toolstack gives the device model the plan's resource limits itself,
 * before it executes it (a libxl built with libdmrestrict: its
 * libxl__local_dm_preexec_restrict sets libdmr_plan_rlimit's list). Then
 * nothing is left to raise after the start (libdmr_plan_libxl_fsize is 0)
 * and the plan needs no CAP_SYS_RESOURCE for it. Default: false, the
 * toolstack applies its own fixed set (stock libxl: FSIZE 256 KiB).
 */
int libdmr_config_set_toolstack_limits(libdmr_ctx *ctx, libdmr_config *config, bool at_start);

/* Disks, as xl.cfg's disk= list. vdev: "hda", "xvdb", ... (each once);
 * target: an absolute path, or NULL for an empty cdrom. */
#define LIBDMR_DISK_READWRITE (1u << 0)
#define LIBDMR_DISK_CDROM     (1u << 1)
int libdmr_config_add_disk(libdmr_ctx *ctx, libdmr_config *config, const char *vdev,
                           const char *target, enum libdmr_disk_format format,
                           unsigned flags);

/*
 * PCI passthrough, as xl.cfg's pci= list. vslot: the guest's slot
 * (1..31), or -1 to let it be placed. guest_unplug: 0 or 1, or -1 for the
 * domain's default (libdmr_config_set_pci_guest_unplug, which may come
 * before or after).
 */
int libdmr_config_add_pci(libdmr_ctx *ctx, libdmr_config *config, const libdmr_pci_addr *dev,
                          int vslot, int guest_unplug);
/* May the guest unplug its devices (default yes). */
int libdmr_config_set_pci_guest_unplug(libdmr_ctx *ctx, libdmr_config *config, bool allowed);
/* Spare hot-pluggable root ports (q35) for pci-attach: 0..16; -1: the default (2). */
int libdmr_config_set_pci_hotplug_ports(libdmr_ctx *ctx, libdmr_config *config, long ports);

/*
 * Devices the device model makes for itself from the toolstack's config
 * (xen backend: libxl has qemu-xen open them, from its vif and vnc keys).
 * The plan lists them, and the audit accepts exactly their descriptors:
 * one /dev/net/tun per NIC, and one TCP socket listening on the VNC
 * address and port (as the device model's own network namespace shows
 * it); any other tap or TCP socket is "not in the plan".
 *
 * On the qemu backend the toolstack makes each NIC's tap itself (in its
 * own network namespace, on the bridge, up) and hands QEMU the descriptor:
 * each tap is a resource of the plan. A bridge that does not exist there
 * (or is no bridge) refuses the plan, naming it. Its VNC server is not
 * carried yet: such a plan is refused (LIBDMR_ERROR_NI), naming it.
 *
 * A NIC: ifname, the tap's name ("vif5.0-emu"; NULL: xen: not known,
 * qemu: xl's "vif<domid>.<n>-emu"); bridge, the bridge it joins (NULL:
 * the toolstack's default, xenbr0 on the qemu backend); model, the card
 * QEMU emulates ("e1000", "rtl8139", "virtio-net"; NULL: the default,
 * rtl8139 as libxl's). Names are 1-15 letters, digits, '.', '-' or '_'
 * (an interface name; not "." or ".."), a model 1-31 of the same; each
 * ifname once. mac (qemu backend; a xen plan with one is refused, libxl
 * picks it there): "00:16:3e:12:34:56", unicast, each once; NULL: as xl,
 * 00:16:3e and 23 random bits, drawn when the facts are gathered (the
 * plan stays a function of its inputs; the facts file keeps them).
 */
#define LIBDMR_HAVE_DM_OWN_DEVICES 1
int libdmr_config_add_nic(libdmr_ctx *ctx, libdmr_config *config, const char *ifname,
                          const char *bridge, const char *model);
#define LIBDMR_HAVE_NIC_MAC 1
int libdmr_config_add_nic_mac(libdmr_ctx *ctx, libdmr_config *config, const char *ifname,
                              const char *bridge, const char *model, const char *mac);
/*
 * A VNC server listening on listen (an IPv4 or IPv6 address in numbers, no
 * brackets, no host name: one address, one socket; NULL: 127.0.0.1) at TCP
 * port 5900 + display (0..59635). find_unused: the first free port from
 * there to 5999, the ports libxl's "to=99" has qemu-xen try (display
 * 0..99 then). A second call replaces the first.
 */
int libdmr_config_set_vnc(libdmr_ctx *ctx, libdmr_config *config, const char *listen,
                          int display, bool find_unused);

/*
 * Firmware and machine (qemu backend; a plan on the xen backend is refused,
 * naming them, when any is set). See xl-dmr.cfg(5).
 *
 * firmware: DEFAULT and SEABIOS are SeaBIOS; OVMF is UEFI, found through
 * QEMU's firmware descriptors (/etc/qemu/firmware, /usr/share/qemu/firmware),
 * with a persistent VARS copy per domain name under /var/lib/xl-dmr/nvram.
 */
enum libdmr_firmware { LIBDMR_FIRMWARE_DEFAULT, LIBDMR_FIRMWARE_SEABIOS, LIBDMR_FIRMWARE_OVMF };
int libdmr_config_set_firmware(libdmr_ctx *ctx, libdmr_config *config,
                               enum libdmr_firmware firmware);
/* Hot-pluggable vCPUs: 1 .. 128, not below vcpus (checked by the plan); 0: vcpus. */
int libdmr_config_set_maxvcpus(libdmr_ctx *ctx, libdmr_config *config, long maxvcpus);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex); NULL unsets it. */
int libdmr_config_set_uuid(libdmr_ctx *ctx, libdmr_config *config, const char *uuid);
/* The guest's RTC: the host's local time or UTC, plus timeoffset seconds
 * (-10 years .. +10 years). */
int libdmr_config_set_rtc(libdmr_ctx *ctx, libdmr_config *config, bool localtime,
                          long timeoffset);
/* ACPI tables for the guest (default: yes). */
int libdmr_config_set_acpi(libdmr_ctx *ctx, libdmr_config *config, bool acpi);
/* A sound card: "hda", "ac97", "es1370" or "sb16"; NULL: none. It gets no
 * audio backend (-audiodev none): the guest sees the card, the host hears nothing. */
int libdmr_config_set_soundhw(libdmr_ctx *ctx, libdmr_config *config, const char *model);
/* One more argument appended to QEMU's command line as given
 * (device_model_args). The plan refuses arguments that name an option or
 * property it owns (identity, sandbox, descriptors, paths); it warns
 * about the rest. */
int libdmr_config_add_device_model_arg(libdmr_ctx *ctx, libdmr_config *config, const char *arg);

/*
 * The guest's display and input (qemu backend; the xen backend refuses a
 * plan that sets any of them, naming it). Each call replaces the last.
 *
 * vga: the card (xl's vga=, stdvga=); videoram_mb: its memory, 0 for the
 * card's default (cirrus 8, stdvga 16, as libxl gives qemu-xen; those are
 * also the least it takes), at most 256; with LIBDMR_VGA_NONE it must be 0.
 */
#define LIBDMR_HAVE_DISPLAY 1
int libdmr_config_set_vga(libdmr_ctx *ctx, libdmr_config *config, enum libdmr_vga vga,
                          long videoram_mb);
/* The VNC keyboard layout QEMU translates keysyms with (xl's keymap=:
 * "de", "en-gb", ...: 1-31 letters, digits, '-' or '_'); NULL: QEMU's. */
int libdmr_config_set_keymap(libdmr_ctx *ctx, libdmr_config *config, const char *keymap);
/*
 * The VNC password (xl's vncpasswd=); NULL or "": none, as in libxl. The
 * library keeps it in memory only: no command line, plan, plan JSON,
 * state file or log has it (the plan says "password: set"); it is given
 * to QEMU over QMP (set_password) before the guest runs. VNC's
 * authentication uses its first 8 characters (the plan warns when it is
 * longer, as neither xl nor QEMU do). Printable ASCII, at most 64.
 */
int libdmr_config_set_vnc_password(libdmr_ctx *ctx, libdmr_config *config,
                                   const char *password);
/* A USB controller (xl's usb=1), and a device on it (xl's usbdevice=:
 * "tablet" or "mouse"; a device implies the controller). */
int libdmr_config_set_usb(libdmr_ctx *ctx, libdmr_config *config, bool controller);
int libdmr_config_add_usb_device(libdmr_ctx *ctx, libdmr_config *config, const char *device);

/* ---- host facts ------------------------------------------------------- */

typedef struct libdmr_facts libdmr_facts;

/*
 * Look at the host for everything the plan for config needs. It changes
 * nothing on the host, but it does run the device model binary to probe
 * its options (with the caller's environment; cached, keyed by the
 * binary, in /var/cache/xl-dmr or $XL_DMR_CACHE_DIR when root-private)
 * and, unless the config has a toolstack domid, picks the domid.
 */
int libdmr_facts_gather(libdmr_ctx *ctx, const libdmr_config *config,
                        libdmr_facts **ret_facts);
void libdmr_facts_free(libdmr_facts *facts);

/* Facts as JSON and back (docs/facts-json.md): tests, `xl-dmr create -n
 * --facts`, and toolstacks that describe the host themselves. */
int libdmr_facts_to_json(libdmr_ctx *ctx, const libdmr_facts *facts,
                         char **ret_json);
int libdmr_facts_from_json(libdmr_ctx *ctx, const char *json,
                           libdmr_facts **ret_facts);
/* The same, from a file (at most 1 MiB). */
int libdmr_facts_load(libdmr_ctx *ctx, const char *path, libdmr_facts **ret_facts);

/* ---- the plan --------------------------------------------------------- */

typedef struct libdmr_plan libdmr_plan;

/*
 * Pure: no syscalls, no I/O, no logging. A plan that policy refuses is
 * still a plan (it says why); check it with libdmr_plan_check(). The plan
 * is for the facts' domid, or for a toolstack domid (which must be the
 * one the facts were gathered for, or not chosen yet).
 */
int libdmr_plan_compute(libdmr_ctx *ctx, const libdmr_config *config,
                        const libdmr_facts *facts, libdmr_plan **ret_plan);
void libdmr_plan_free(libdmr_plan *plan);

/*
 * Log a refused plan's refusal (once, as an error) and return its code;
 * or log the plan's notices and warnings and return 0.
 */
int libdmr_plan_check(libdmr_ctx *ctx, const libdmr_plan *plan);

/* 0, or the refusal's code (LIBDMR_ERROR_REFUSED for policy, INVAL for a
 * config that cannot be, ...); *ret_reason (may be NULL) gets its text. */
int libdmr_plan_refusal(const libdmr_plan *plan, const char **ret_reason);
/* The plan's warnings and notices, each one sentence; i < count. */
size_t libdmr_plan_warning_count(const libdmr_plan *plan);
const char *libdmr_plan_warning(const libdmr_plan *plan, size_t i);
size_t libdmr_plan_notice_count(const libdmr_plan *plan);
const char *libdmr_plan_notice(const libdmr_plan *plan, size_t i);

/* The domain: its domid (LIBDMR_DOMID_NONE: not chosen yet), name,
 * backend (never AUTO), memory, vCPUs, and whether it starts paused. */
uint32_t libdmr_plan_domid(const libdmr_plan *plan);
const char *libdmr_plan_name(const libdmr_plan *plan);
enum libdmr_backend libdmr_plan_backend(const libdmr_plan *plan);
long libdmr_plan_memory_mb(const libdmr_plan *plan);
long libdmr_plan_vcpus(const libdmr_plan *plan);
bool libdmr_plan_paused(const libdmr_plan *plan);
/* dm_restrict as planned: chroot, namespaces, no capabilities. */
bool libdmr_plan_restricted(const libdmr_plan *plan);

/*
 * Who the device model runs as. user: a passwd name, "root", or
 * "xen-qemuuser-range-base+N" ("...+DOMID" while the domid is not chosen);
 * source: which rule chose it ("range", "domid_user", "device_model_user",
 * "shared", "root"); reason: one sentence. Any output may be NULL.
 * LIBDMR_ERROR_NOTFOUND for a refused plan, which chose nobody.
 */
int libdmr_plan_dm_user(const libdmr_plan *plan, const char **ret_user,
                        const char **ret_source, const char **ret_reason);
/* Its uid and gid; LIBDMR_ERROR_NOTFOUND when they depend on a domid not
 * chosen yet (the range user: base + domid). */
int libdmr_plan_dm_uid(const libdmr_plan *plan, uid_t *ret_uid, gid_t *ret_gid);
/* Is the uid this domain's alone (no other domain may run a DM with it)? */
bool libdmr_plan_uid_exclusive(const libdmr_plan *plan);
/* Is it killed by uid at destroy, and from which uid (the reaper's)?
 * LIBDMR_ERROR_NOTFOUND: not killed by uid, or no reaper. */
bool libdmr_plan_kill_by_uid(const libdmr_plan *plan);
int libdmr_plan_reaper_uid(const libdmr_plan *plan, uid_t *ret_uid);

/* Its chroot, NULL for none (or when it depends on a domid not chosen). */
const char *libdmr_plan_chroot(const libdmr_plan *plan);
/* -sandbox's value, NULL for none. */
const char *libdmr_plan_sandbox(const libdmr_plan *plan);
/* Its resource limits: i < count; name "FSIZE", resource RLIMIT_FSIZE,
 * value UINT64_MAX for unlimited. */
size_t libdmr_plan_rlimit_count(const libdmr_plan *plan);
int libdmr_plan_rlimit(const libdmr_plan *plan, size_t i, const char **ret_name,
                       int *ret_resource, uint64_t *ret_value);

/*
 * The device model's argv (NULL-terminated): all of it for qemu-system;
 * for the xen backend only the identity arguments libxl passes to
 * qemu-xen. NULL while the domid is not chosen.
 */
const char *const *libdmr_plan_argv(const libdmr_plan *plan);

/*
 * The xen backend: what a toolstack puts in libxl's domain config so that
 * libxl (which builds qemu-xen's argv and picks its user itself) carries
 * the plan out. device_model_user: NULL to leave it unset (libxl's own
 * search then reaches the planned user). The disks and PCI devices are
 * the config's, as libxl takes them (vslot: the guest slot, 0 to let libxl
 * place it). fsize: RLIMIT_FSIZE to give qemu-xen once it runs (libxl
 * fixes it at 256 KiB, whatever the disks), 0 to leave libxl's.
 */
const char *libdmr_plan_libxl_device_model_user(const libdmr_plan *plan);
const char *libdmr_plan_libxl_device_model(const libdmr_plan *plan);
const char *const *libdmr_plan_libxl_device_model_args(const libdmr_plan *plan);
const char *libdmr_plan_libxl_serial(const libdmr_plan *plan);
const char *libdmr_plan_libxl_boot(const libdmr_plan *plan);
uint64_t libdmr_plan_libxl_fsize(const libdmr_plan *plan);
size_t libdmr_plan_libxl_disk_count(const libdmr_plan *plan);
int libdmr_plan_libxl_disk(const libdmr_plan *plan, size_t i, const char **ret_vdev,
                           const char **ret_target, enum libdmr_disk_format *ret_format,
                           unsigned *ret_flags);
size_t libdmr_plan_pci_count(const libdmr_plan *plan);
int libdmr_plan_pci(const libdmr_plan *plan, size_t i, libdmr_pci_addr *ret_dev,
                    unsigned *ret_vslot, bool *ret_guest_unplug);

/* The plan as one JSON object (docs/plan-json.md), or as text for people. */
int libdmr_plan_to_json(libdmr_ctx *ctx, const libdmr_plan *plan,
                        char **ret_json);
int libdmr_plan_to_text(libdmr_ctx *ctx, const libdmr_plan *plan,
                        char **ret_text);

/* ---- backends: how a plan is carried out ----------------------------- */

/*
 * The library carries a plan out in one lifecycle, the same for every
 * backend: take the lock, check the domid, name and uid are free,
 * reserve the domain, let the lock go; look for what an earlier holder
 * of the uid left (killed under the lock again); have the backend start
 * the device model with the guest paused; give it the planned limits
 * the backend could not; audit it
 * (before the guest's first instruction); have the backend let the guest
 * run; record it. Any failure undoes every step. Destroy: the backend
 * stops the domain, then the library waits for the device model, kills
 * every other device model of the domain and (when the plan says so)
 * every process of its uid, and removes its chroot and record.
 *
 * A backend is a table of operations. The library has the qemu backend
 * (plain QEMU: qemu-system). A toolstack hands it others: xl-dmr hands it
 * the xen backend, through libxl. An operation returns 0 or a
 * LIBDMR_ERROR_* code, having logged why. Which of them run with the
 * host-wide lock held is at the top of this file.
 */
typedef struct libdmr_dm libdmr_dm;

typedef struct libdmr_backend_ops {
    /* sizeof(libdmr_backend_ops) the caller was built with: operations
     * added later are read only when it is large enough. */
    size_t size;
    /* What carries it out, for messages ("libxl"); NULL: "its backend". */
    const char *name;
    /* Start the domain and its device model as the plan says, the guest
     * paused; tell the library the DM's pid (libdmr_dm_set_pid). Runs with
     * the lock let go. On failure, undo what it made. */
    int (*start)(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm);
    /* The audit passed: let the guest run. */
    int (*unpause)(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm);
    /* Stop the domain and its device model (a DM that is gone already is
     * no error). Under the lock. */
    int (*stop)(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm);
    /* Put path (NULL: nothing) in the cdrom drive vdev. */
    int (*cdrom_change)(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm, const char *vdev,
                        const char *path);
    /* Hot-plug (add) or unplug a host device the library's policy allowed;
     * vslot 0: the backend places it. Under the lock. */
    int (*pci_change)(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm,
                      const libdmr_pci_addr *dev, unsigned vslot, bool add);
    /* For the audit: what the device model was handed since it started
     * (the media in its drives), as libdmr_dm_add_medium_* calls. May be
     * NULL: then only the planned media count. */
    int (*media)(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm);
    /* A domain this backend has that the library has no record of (xl's,
     * by name or domid): 0 and its domid, or LIBDMR_ERROR_NOTFOUND
     * (quietly). libdmr_domain_destroy then stops it with stop() and
     * removes what is left of it. May be NULL. */
    int (*lookup)(void *opaque, libdmr_ctx *ctx, const char *name_or_domid,
                  uint32_t *ret_domid);
    /* xl's pause, unpause, shutdown, reboot of a running domain. Under
     * the lock. May be NULL: LIBDMR_ERROR_NI. */
    int (*control)(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm, enum libdmr_control what);
} libdmr_backend_ops;

/* Hand the context the operations of backend (XEN, or QEMU to replace the
 * library's own); ops and opaque must outlive the context. NULL ops takes
 * them back. Without xen operations, creating, operating and destroying a
 * xen-backend domain fails with LIBDMR_ERROR_NI. */
int libdmr_ctx_set_backend(libdmr_ctx *ctx, enum libdmr_backend backend,
                           const libdmr_backend_ops *ops, void *opaque);

/* What an operation is working on. The plan is there for start and
 * unpause (and stop, when a create is undone); the other operations, and
 * stop at destroy, work on a recorded domain and get NULL: the domid is
 * what they go by. */
uint32_t libdmr_dm_domid(const libdmr_dm *dm);
const libdmr_plan *libdmr_dm_plan(const libdmr_dm *dm);
/* The device model's pid, 0 when not known. */
pid_t libdmr_dm_pid(const libdmr_dm *dm);
/* start(): the DM's pid; the library holds it by its start time from now
 * on, so a reused pid is never mistaken for it, and (during a create)
 * writes it into the domain's record at once, so a destroy after the
 * creator died finds it. NOTFOUND: it is gone; FAIL: it could not be
 * recorded (logged): the start fails. */
int libdmr_dm_set_pid(libdmr_dm *dm, pid_t pid);
/* media(): an image in one of its drives now, by path; or QEMU's own
 * descriptor number of a medium it holds (an fdset's). */
int libdmr_dm_add_medium_path(libdmr_dm *dm, const char *path);
int libdmr_dm_add_medium_fd(libdmr_dm *dm, int dm_fd);

/* ---- domains: carry a plan out, and undo it -------------------------- */

/*
 * Start the domain's device model exactly as the plan says, through its
 * backend: the guest runs (or is paused, as planned) when this returns.
 * Fails with the plan's refusal code for a refused plan, LIBDMR_ERROR_INVAL
 * for a plan without a domid; rolls back every step on failure. Takes the
 * lock (let go while the device model starts).
 */
int libdmr_domain_create(libdmr_ctx *ctx, const libdmr_plan *plan);
/*
 * Gather facts, plan (logging its notices and warnings, or its refusal)
 * and reserve the domain under the lock, so the domid the plan takes
 * cannot be taken meanwhile; then create as libdmr_domain_create does (the
 * lock let go while the device model starts). *ret_plan (may be NULL)
 * gets the plan. Takes the lock.
 */
int libdmr_domain_create_config(libdmr_ctx *ctx, const libdmr_config *config,
                                libdmr_plan **ret_plan);
/* Stop it through its backend, then kill what is left (by uid where the
 * plan says), remove chroot, socket and record. A domain the library has
 * no record of goes to the backends' lookup (xl's domains, on a dom0).
 * Takes the lock. */
int libdmr_domain_destroy(libdmr_ctx *ctx, uint32_t domid);

/*
 * A domain another toolstack created, with its plan and its running device
 * model's pid: recorded as if the library had made it, so that `list`,
 * the audit, the check that no two domains share a uid, and the reaper
 * (which never kills a recorded domain's uid) know it. Refused: BUSY when
 * the domid, name or an exclusive uid is taken; INVAL for a refused plan
 * or one without a domid; NOTFOUND when dm_pid is not running.
 *
 * The way for a toolstack that starts its device models itself (libxl):
 * plan; start the DM with the guest paused, as the plan says (user,
 * chroot, argv or libxl config); give it the limits it could not get at
 * start (libdmr_plan_libxl_fsize); record it; libdmr_dm_audit; unpause
 * the guest only if the audit passed. The library never stops a recorded
 * domain (destroy refuses, BUSY), and the operations below (cdrom, PCI)
 * go through the operations of its backend as the context has them.
 * Forget it once the toolstack has destroyed it: forget refuses (INVAL) a
 * domain the library made itself, and warns when the DM still runs.
 * Both take the lock.
 */
int libdmr_domain_record(libdmr_ctx *ctx, const libdmr_plan *plan, pid_t dm_pid);
int libdmr_domain_forget(libdmr_ctx *ctx, uint32_t domid);
/*
 * Is the domain one the library makes and removes itself, through a
 * backend (libdmr_domain_create*), rather than one a toolstack recorded?
 * A toolstack that a backend of the library's calls into (libxl under
 * xl-dmr's xen backend) leaves such a domain alone, so that it is
 * planned, recorded, audited and removed once, and no lock is taken
 * twice. By name (a create still starting in this very process), or by
 * domid when name is NULL. Quiet: false when there is no such record.
 * Does not take the lock.
 */
bool libdmr_domain_made_by_library(libdmr_ctx *ctx, const char *name, uint32_t domid);

/* A domain by name or domid, as xl takes it (the backends' too). */
int libdmr_domain_lookup(libdmr_ctx *ctx, const char *name_or_domid,
                         uint32_t *ret_domid);

typedef struct libdmr_dominfo {
    uint32_t domid;
    char name[65];
    long memory_mb;
    long vcpus;
    pid_t dm_pid;            /* 0 if the device model is gone */
    uid_t dm_uid;
    gid_t dm_gid;
    char dm_user[64];
    double cpu_seconds;      /* the device model's CPU time */
    /* xl list's state letter: 'r' running, 'p' paused, 's' shut down or
     * 'c' crashed (kept by on_*="preserve"), 'd' its device model gone. */
    char state;
} libdmr_dominfo;

/*
 * xl's pause and unpause (the vCPUs stop and go on), shutdown (the ACPI
 * power button: the guest decides; its power-off is then on_poweroff's)
 * and reboot (a reset, which the domain's watcher acts on as on_reboot
 * says). Takes the lock.
 */
int libdmr_domain_control(libdmr_ctx *ctx, uint32_t domid, enum libdmr_control what);

/* The recorded domains, by domid. */
int libdmr_domain_list(libdmr_ctx *ctx, libdmr_dominfo **ret_list, size_t *ret_n);
/*
 * Destroy the domains whose watcher died and whose guest has stopped or
 * whose device model is gone, as their watcher would have (a restart
 * needs the watcher's plan: such a domain is destroyed). Takes the
 * host-wide lock, so never from inside a call that holds it; listing
 * (libdmr_domain_list) takes no lock, since a toolstack may list from
 * inside a backend's operation. create does this itself.
 */
int libdmr_domain_reap(libdmr_ctx *ctx);
void libdmr_dominfo_list_free(libdmr_dominfo *list);
/*
 * One domain as xl list -l shows it, as a JSON object (free() it):
 * {"domid","name","state" (libdmr_dominfo's letter),"record" (how its
 * device model was started: pids, paths, uid, audit expectations),"plan"}.
 * No secret is in it: of a VNC password the plan says only that there is one.
 */
int libdmr_domain_describe(libdmr_ctx *ctx, uint32_t domid, char **ret_json);

/*
 * A qemu-backend domain's serial console, as its per-domain logger serves
 * it: *ret_fd a connected socket (close-on-exec) carrying the guest's
 * output and taking what is written to it as the guest's input, until EOF
 * (the device model has exited). The logger logs the output whether or
 * not anyone is attached. One client at a time: LIBDMR_ERROR_BUSY while
 * another is attached; LIBDMR_ERROR_NOTFOUND when the domain has no
 * serial console (serial = "none", a domain of the xen backend, whose
 * console is xl's) or is gone. Root only. Logged.
 */
int libdmr_domain_console_open(libdmr_ctx *ctx, uint32_t domid, int *ret_fd);

/* ---- audit: is the running device model restricted as planned? -------- */

/*
 * Read the domain's device model from /proc and hold it against its plan:
 * uid and gid (all four each), supplementary groups, capabilities,
 * NoNewPrivs, seccomp, its root and what is in it, each planned rlimit,
 * mount and IPC namespaces, every descriptor, other processes with its
 * uid, other device models of the domain. 0 with *ret (check
 * libdmr_audit_passed) once audited; an error code when it could not be
 * (no such domain, no device model). Does not take the lock.
 */
typedef struct libdmr_audit libdmr_audit;
int libdmr_dm_audit(libdmr_ctx *ctx, uint32_t domid, libdmr_audit **ret);
bool libdmr_audit_passed(const libdmr_audit *audit);
size_t libdmr_audit_count(const libdmr_audit *audit);
/* Check i: its name ("uid", "descriptors", ...), whether it passed, and
 * what was seen. The strings live as long as the audit. */
int libdmr_audit_check(const libdmr_audit *audit, size_t i, const char **ret_name,
                       bool *ret_ok, const char **ret_detail);
/* {"checks":[{"name":...,"ok":...,"detail":...}]} */
int libdmr_audit_to_json(libdmr_ctx *ctx, const libdmr_audit *audit, char **ret_json);
void libdmr_audit_free(libdmr_audit *audit);

/* ---- the host: is it fit for restricted device models? --------------- */

enum { LIBDMR_HOST_OK, LIBDMR_HOST_WARN, LIBDMR_HOST_FAIL };
typedef struct libdmr_host_report libdmr_host_report;
/* Each check of the host with its status, what was seen and the fix. */
int libdmr_host_check(libdmr_ctx *ctx, libdmr_host_report **ret);
size_t libdmr_host_report_count(const libdmr_host_report *report);
int libdmr_host_report_item(const libdmr_host_report *report, size_t i, const char **ret_name,
                            int *ret_status, const char **ret_detail, const char **ret_fix);
bool libdmr_host_report_failed(const libdmr_host_report *report);
void libdmr_host_report_free(libdmr_host_report *report);
/*
 * Create the users that are missing (xen-qemuuser-range-base at a base
 * uid whose range meets nothing, xen-qemuuser-shared, xen-qemuuser-reaper)
 * with adduser; with dry_run only say what would be run. *ret_lines: what
 * was done and why, one line each; free each and the array.
 */
int libdmr_host_setup(libdmr_ctx *ctx, bool dry_run, char ***ret_lines, size_t *ret_n);

/* ---- operate: QMP and the fd broker ---------------------------------- */

/* A QMP connection to a domain's device model (qemu backend), for callers
 * that keep one open across operations; the operations below connect for
 * themselves (or go through the domain's backend) when given NULL. */
typedef struct libdmr_qmp libdmr_qmp;
int libdmr_qmp_open(libdmr_ctx *ctx, uint32_t domid, libdmr_qmp **ret_qmp);
void libdmr_qmp_close(libdmr_qmp *qmp);

/*
 * Put TARGET ("[raw:]PATH", a regular file or a block device) in the cdrom
 * drive VDEV: opened here, as root, and handed over as a descriptor; the
 * previous medium's fdset is removed, and the device model must hold no
 * descriptor of it after. Eject empties the drive. A change whose QMP
 * connection fails half way is checked over a new connection and made
 * whole (done, or undone with no fdset left); a caller's own connection
 * is closed for that (QEMU serves one client at a time): close it and
 * open another.
 */
int libdmr_cdrom_insert(libdmr_ctx *ctx, libdmr_qmp *qmp, uint32_t domid,
                        const char *vdev, const char *target);
int libdmr_cdrom_eject(libdmr_ctx *ctx, libdmr_qmp *qmp, uint32_t domid,
                       const char *vdev);

/* ---- PCI devices for passthrough ------------------------------------- */

/* Bind a host device to vfio-pci (xen-pciback on a Xen dom0), remembering
 * its driver; undone if it does not bind. Takes the lock. */
int libdmr_pci_assignable_add(libdmr_ctx *ctx, const libdmr_pci_addr *dev);
/* Give it back to the driver it had. Takes the lock. */
int libdmr_pci_assignable_remove(libdmr_ctx *ctx, const libdmr_pci_addr *dev);
/* The devices bound to that driver now ("0000:01:00.0"); free each and the array. */
int libdmr_pci_assignable_list(libdmr_ctx *ctx, char ***ret_bdfs, size_t *ret_n);

/*
 * What pci-attach of dev (vslot and guest_unplug as libdmr_config_add_pci
 * takes them) to a running, recorded domain would do, changing nothing:
 * LIBDMR_PCI_REFUSE (a non-root DM on the xen backend: qemu-xen's
 * passthrough needs root; guest_unplug=0; no free hot-plug port; a group
 * that is not viable; ...), LIBDMR_PCI_WARN (allowed, with a warning: a
 * root DM) or LIBDMR_PCI_ALLOW. *ret_message (may be NULL; free it): the
 * refusal, or the warnings, as one line; NULL when there is nothing to
 * say. The decision itself is not logged (the caller says it in its own
 * terms); only what keeps it from deciding is, with an error code. Does
 * not take the lock.
 */
enum libdmr_pci_decision { LIBDMR_PCI_ALLOW, LIBDMR_PCI_WARN, LIBDMR_PCI_REFUSE };
int libdmr_pci_attach_decide(libdmr_ctx *ctx, uint32_t domid, const libdmr_pci_addr *dev,
                             int vslot, int guest_unplug,
                             enum libdmr_pci_decision *ret_decision, char **ret_message);
/*
 * Hot-plug a host device into a running domain, as `xl pci-attach`.
 * Refused before anything changes when libdmr_pci_attach_decide refuses;
 * otherwise the DM's locked-memory limit, its chroot (in its mount
 * namespace) and QEMU (or the backend) are changed, each undone if a
 * later step fails. Takes the lock.
 */
int libdmr_pci_attach(libdmr_ctx *ctx, uint32_t domid, const libdmr_pci_addr *dev,
                      int vslot, int guest_unplug);
/* Ask the guest to let the device go, wait for it (10 s), then undo what
 * attach gave the DM. A device that is still there stays recorded. Takes
 * the lock. */
int libdmr_pci_detach(libdmr_ctx *ctx, uint32_t domid, const libdmr_pci_addr *dev);

typedef struct libdmr_pci_info {
    char bdf[16];            /* host device */
    char id[32];             /* QEMU's device id */
    char bus[32];            /* root port, or pcie.0 / pci.0 */
    char vdev[16];           /* the guest's bus:slot.func, "-" unknown */
    bool guest_unplug;
    bool hotplugged;         /* by pci-attach, not at create */
} libdmr_pci_info;
/* A domain's devices; free the array. */
int libdmr_pci_list(libdmr_ctx *ctx, uint32_t domid, libdmr_pci_info **ret_list, size_t *ret_n);

#ifdef __cplusplus
}
#endif

#endif /* LIBDMRESTRICT_H */
