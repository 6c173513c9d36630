/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdmrestrict: decide how a Xen or QEMU device model is restricted,
 * and carry that decision out.
 *
 * The pipeline (see docs/design.md):
 *
 *     config  (xl.cfg, read with libxlutil)
 *     facts   (read-only look at the host: NSS users, subordinate ids,
 *              QEMU capabilities, domids in use, image sizes)
 *     plan    (pure: no syscalls, no I/O; the same input gives the same plan)
 *
 * Every function that can fail returns 0 or a negative LIBDMR_ERROR_* code.
 * Outputs named ret_* are only written on success.
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

int libdmr_ctx_set_sysroot(libdmr_ctx *ctx, const char *sysroot);
const char *libdmr_ctx_get_sysroot(const libdmr_ctx *ctx);

/*
 * The text of the last error this context logged, or NULL. It lets a
 * frontend repeat the one line it already showed, e.g. inside JSON.
 */
const char *libdmr_ctx_last_error(const libdmr_ctx *ctx);

/* ---- config ----------------------------------------------------------- */

typedef struct libdmr_config libdmr_config;

/*
 * Read an xl.cfg file. overrides are xl create's trailing KEY=VALUE
 * strings (xl syntax: name="x"); each is applied after the file, so the
 * last setting wins, as in xl.
 */
int libdmr_config_load(libdmr_ctx *ctx, const char *path,
                       const char *const *overrides, size_t n_overrides,
                       libdmr_config **ret_config);
void libdmr_config_free(libdmr_config *config);

/* Ask for a domid (1..32751) instead of the lowest free one. */
/* Leave the guest paused once its device model is up (xl create -p). */
int libdmr_config_set_paused(libdmr_ctx *ctx, libdmr_config *config, bool paused);
int libdmr_config_set_domid(libdmr_ctx *ctx, libdmr_config *config,
                            uint32_t domid);

/* ---- host facts ------------------------------------------------------- */

typedef struct libdmr_facts libdmr_facts;

/* Look at the host, read-only, for everything the plan for config needs. */
int libdmr_facts_gather(libdmr_ctx *ctx, const libdmr_config *config,
                        libdmr_facts **ret_facts);
void libdmr_facts_free(libdmr_facts *facts);

/* Facts as JSON and back: tests and `xl-dmr create -n --facts` use them. */
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
 * still a plan (it says why); check it with libdmr_plan_check().
 */
int libdmr_plan_compute(libdmr_ctx *ctx, const libdmr_config *config,
                        const libdmr_facts *facts, libdmr_plan **ret_plan);
void libdmr_plan_free(libdmr_plan *plan);

/*
 * Log a refused plan's refusal (once, as an error) and return its code;
 * or log the plan's notices and warnings and return 0.
 */
int libdmr_plan_check(libdmr_ctx *ctx, const libdmr_plan *plan);

/* 0, or the refusal's code; *ret_reason (may be NULL) gets its text. */
int libdmr_plan_refusal(const libdmr_plan *plan, const char **ret_reason);

uint32_t libdmr_plan_domid(const libdmr_plan *plan);
/* The device model's argv (NULL-terminated); for the xen backend only the
 * identity arguments libxl will pass. */
const char *const *libdmr_plan_argv(const libdmr_plan *plan);

/* The plan as one JSON object (docs/plan-json.md), or as text for people. */
int libdmr_plan_to_json(libdmr_ctx *ctx, const libdmr_plan *plan,
                        char **ret_json);
int libdmr_plan_to_text(libdmr_ctx *ctx, const libdmr_plan *plan,
                        char **ret_text);

/* ---- domains: carry a plan out, and undo it -------------------------- */

/*
 * Start the device model exactly as the plan says (qemu backend): chroot,
 * descriptors, limits, namespaces, QMP; the guest runs when this returns.
 * Fails with the plan's refusal code for a refused plan; rolls back every
 * step on failure.
 */
int libdmr_domain_create(libdmr_ctx *ctx, const libdmr_plan *plan);
/*
 * Gather facts, plan (logging its notices and warnings, or its refusal)
 * and create, all under the host-wide lock, so the domid the plan takes
 * cannot be taken meanwhile. *ret_plan (may be NULL) gets the plan.
 */
int libdmr_domain_create_config(libdmr_ctx *ctx, const libdmr_config *config,
                                libdmr_plan **ret_plan);
/* quit, then SIGKILL, then kill by uid; remove chroot, socket and state. */
int libdmr_domain_destroy(libdmr_ctx *ctx, uint32_t domid);
/* A domain by name or domid, as xl takes it. */
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
} libdmr_dominfo;

int libdmr_domain_list(libdmr_ctx *ctx, libdmr_dominfo **ret_list, size_t *ret_n);
void libdmr_dominfo_list_free(libdmr_dominfo *list);

/* ---- audit: is the running device model restricted as planned? -------- */

/*
 * Read the domain's device model from /proc and hold it against its plan:
 * uid and gid (all four each), supplementary groups, capabilities,
 * NoNewPrivs, seccomp, its root and what is in it, each planned rlimit,
 * mount and IPC namespaces, every descriptor, other processes with its
 * uid. 0 with *ret (check libdmr_audit_passed) once audited; an error
 * code when it could not be (no such domain, no device model).
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

/* A QMP connection to a domain's device model, for callers that keep one
 * open across operations; the operations below connect for themselves
 * when given NULL (as libxl does). */
typedef struct libdmr_qmp libdmr_qmp;
int libdmr_qmp_open(libdmr_ctx *ctx, uint32_t domid, libdmr_qmp **ret_qmp);
void libdmr_qmp_close(libdmr_qmp *qmp);

/*
 * Put TARGET ("[raw:]PATH", a regular file or a block device) in the cdrom
 * drive VDEV: opened here, as root, and handed over as a descriptor; the
 * previous medium's fdset is removed. Eject empties the drive.
 */
int libdmr_cdrom_insert(libdmr_ctx *ctx, libdmr_qmp *qmp, uint32_t domid,
                        const char *vdev, const char *target);
int libdmr_cdrom_eject(libdmr_ctx *ctx, libdmr_qmp *qmp, uint32_t domid,
                       const char *vdev);

/* ---- PCI devices for passthrough ------------------------------------- */

/* Bind a host device ("[DDDD:]BB:DD.F") to vfio-pci (xen-pciback on a Xen
 * dom0), remembering its driver; undone if it does not bind. */
int libdmr_pci_assignable_add(libdmr_ctx *ctx, const char *bdf);
/* Give it back to the driver it had. */
int libdmr_pci_assignable_remove(libdmr_ctx *ctx, const char *bdf);
/* The devices bound to that driver now; free each and the array. */
int libdmr_pci_assignable_list(libdmr_ctx *ctx, char ***ret_bdfs, size_t *ret_n);

/*
 * Hot-plug a host device into a running domain, as `xl pci-attach`:
 * SPEC is "BDF[@VSLOT][,guest_unplug=0|1]". Refused before anything
 * changes when the policy forbids it (a non-root DM on the xen backend,
 * guest_unplug=0, a group that is not viable, no free hot-plug port);
 * otherwise the DM's locked-memory limit, its chroot (in its mount
 * namespace) and QEMU are changed, each undone if a later step fails.
 */
int libdmr_pci_attach(libdmr_ctx *ctx, uint32_t domid, const char *spec);
/* Ask the guest to let the device go, wait for it (10 s), then undo what
 * attach gave the DM. A device that is still there stays recorded. */
int libdmr_pci_detach(libdmr_ctx *ctx, uint32_t domid, const char *bdf);

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
