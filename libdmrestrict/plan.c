/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan as a whole: config + facts -> everything launch, operate,
 * audit and destroy will do. Pure: no syscalls, no I/O, no logging (the
 * caller logs the verdict with libdmr_plan_check). Each decision lives in
 * the stage named for it: plan_identity.c, plan_pci.c, plan_limits.c,
 * plan_resources.c, plan_dm_devices.c, plan_disks.c, argv_qemu_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum libdmr_backend plan_backend_choose(const libdmr_config *c, bool xen_dom0)
{
    if (c->backend != LIBDMR_BACKEND_AUTO)
        return c->backend;
    /* The embedded default: plain QEMU wherever there is no Xen. */
    return xen_dom0 ? LIBDMR_BACKEND_XEN : LIBDMR_BACKEND_QEMU;
}

const char *plan_dm_binary(const libdmr_config *c, bool xen_dom0)
{
    if (c->device_model_override)
        return c->device_model_override;
    /* On the xen backend libxl runs qemu-xen. */
    return plan_backend_choose(c, xen_dom0) == LIBDMR_BACKEND_XEN ? LIBDMR_QEMU_XEN_DEFAULT
                                                                  : LIBDMR_QEMU_DEFAULT;
}

static bool qemu_has_machine(const struct libdmr_qemu_caps *q, const char *m)
{
    for (size_t i = 0; i < q->machines.n; i++)
        if (!strcmp(q->machines.v[i], m))
            return true;
    return false;
}

/* KVM makes VMs here, but may not run them: warned before the guest
 * hangs, not switched to TCG behind the admin's back (a timing probe
 * must not change what runs; accel = "tcg" is one line away). */
static int plan_kvm_doubt(const libdmr_facts *f, struct plan_verdict *v)
{
    if (f->kvm_probe.result == LIBDMR_PROBE_FAILED)
        return verdict_warn(v, "KVM here failed xl-dmr host check's probe (%s): a guest under "
                            "accel=\"kvm\" will not make progress; set accel = \"tcg\"",
                            f->kvm_probe.detail ? f->kvm_probe.detail : "no detail");
    if (f->kvm_probe.result == LIBDMR_PROBE_UNKNOWN && f->cpu_lacks_virt)
        return verdict_warn(v, "/dev/kvm makes VMs but the CPU has no vmx or svm (a paravirtual "
                            "KVM such as kvm_pvm?): a guest under accel=\"kvm\" may not make "
                            "progress; run xl-dmr host check, or set accel = \"tcg\"");
    return 0;
}

/* Machine, accelerator and the binary's abilities, for the qemu backend. */
static int plan_qemu_host(const libdmr_config *c, const libdmr_facts *f,
                          libdmr_plan *p)
{
    struct plan_verdict *v = &p->verdict;
    const struct libdmr_qemu_caps *q = &f->qemu;
    if (!q->present)
        return verdict_refuse(v, LIBDMR_ERROR_NOTFOUND,
            "no QEMU at %s (install qemu-system-x86, or set device_model_override)",
            q->path ? q->path : LIBDMR_QEMU_DEFAULT);
    if (!(p->qemu_path = strdup(q->path)))
        return -ENOMEM;
    p->machine = c->machine == LIBDMR_MACHINE_DEFAULT ? LIBDMR_MACHINE_Q35 : c->machine;
    if (!qemu_has_machine(q, plan_machine_name(p->machine)))
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "%s has no machine type %s",
                              q->path, plan_machine_name(p->machine));
    p->accel = c->accel;
    if (p->accel == LIBDMR_ACCEL_AUTO)
        p->accel = f->kvm_usable ? LIBDMR_ACCEL_KVM : LIBDMR_ACCEL_TCG;
    if (p->accel == LIBDMR_ACCEL_KVM && !f->kvm_usable)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL,
                              "accel=\"kvm\" but KVM cannot create a VM on this host");
    if (p->accel == LIBDMR_ACCEL_KVM && plan_kvm_doubt(f, v))
        return -ENOMEM;
    if (!p->restricted)
        return 0;
    if (!q->sandbox)
        return verdict_refuse(v, LIBDMR_ERROR_REFUSED,
            "dm_restrict=1 but %s has no -sandbox (built without seccomp)", q->path);
    if (!(q->chroot || q->run_with_chroot) || !(q->runas || q->run_with_user))
        return verdict_refuse(v, LIBDMR_ERROR_REFUSED,
            "dm_restrict=1 but %s offers neither -chroot/-runas nor "
            "-run-with chroot=/user=", q->path);
    return (p->sandbox = strdup(LIBDMR_SANDBOX_POLICY)) ? 0 : -ENOMEM;
}

int plan_chroot_path(enum libdmr_backend backend, uint32_t domid, char **ret)
{
    if (asprintf(ret, "%s/qemu-root-%u",
                 backend == LIBDMR_BACKEND_XEN ? LIBDMR_XEN_RUN_DIR : LIBDMR_RUN_DIR, domid) < 0) {
        *ret = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* Where the device model is confined: the backend's per-domain chroot. */
static int plan_confinement(libdmr_plan *p)
{
    if (!p->restricted)
        return 0;
    p->unshare_mnt_ipc = true;
    p->chroot_mode = 0000;  /* empty: nothing for QEMU to open */
    return plan_chroot_path(p->backend, p->domid, &p->chroot);
}

/* Where its output goes: libxl's file for qemu-xen, ours otherwise. */
static int plan_log(libdmr_plan *p)
{
    int r = asprintf(&p->log_path, "%s/qemu-dm-%s.log",
                     p->backend == LIBDMR_BACKEND_XEN ? LIBDMR_XEN_LOG_DIR : LIBDMR_LOG_DIR,
                     p->name);
    if (r < 0) {
        p->log_path = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* What the caller said this backend cannot carry out of the config (a
 * refusal, before anything else is decided) or ignores (notices). */
static int plan_caller_verdict(const libdmr_config *c, libdmr_plan *p)
{
    const struct strv *notices = &c->backend_notices[p->backend];
    if (c->backend_refusal[p->backend])
        return verdict_refuse(&p->verdict, LIBDMR_ERROR_NI, "%s", c->backend_refusal[p->backend]);
    int r = 0;
    for (size_t i = 0; !r && i < notices->n; i++)
        r = verdict_notice(&p->verdict, "%s", notices->v[i]);
    return r;
}

static int plan_fill(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    struct plan_verdict *v = &p->verdict;
    p->domid = f->domid;
    p->memory_mb = c->memory_mb;
    p->vcpus = c->vcpus;
    p->paused = c->paused;
    if (!(p->name = strdup(c->name)))
        return -ENOMEM;
    /* A toolstack that chooses its domids owns them: not checked, maybe
     * not chosen yet (then what depends on it is left out below). */
    if (c->toolstack_domid) {
        p->domid = c->requested_domid;
        /* Some facts are of one domid (xen-qemuuser-domidN, who owns the
         * range uid): a plan for another would misread them. */
        if (p->domid != LIBDMR_DOMID_NONE && p->domid != f->domid)
            return verdict_refuse(v, LIBDMR_ERROR_INVAL, "the facts were gathered for "
                                  "domid %u, not %u: gather them again once the domid is "
                                  "chosen", f->domid, p->domid);
    } else if (p->domid < LIBDMR_DOMID_MIN || p->domid > LIBDMR_DOMID_MAX)
        return verdict_refuse(v, LIBDMR_ERROR_INVAL, "domid %u is out of range %u..%u",
                              p->domid, LIBDMR_DOMID_MIN, LIBDMR_DOMID_MAX);
    else if (facts_domid_in_use(f, p->domid))
        return verdict_refuse(v, LIBDMR_ERROR_BUSY, "domid %u is in use", p->domid);
    p->backend = plan_backend_choose(c, f->xen_dom0);
    p->restricted = c->dm_restrict;

    bool domid_known = p->domid != LIBDMR_DOMID_NONE;
    int r = plan_caller_verdict(c, p);
    if (!r && !v->refusal_rc) r = plan_identity(c, f, p->backend, p->domid, &p->id, v);
    if (!r && !v->refusal_rc && domid_known) r = plan_confinement(p);
    if (!r && !v->refusal_rc)
        r = p->backend == LIBDMR_BACKEND_QEMU ? plan_qemu_host(c, f, p) : plan_xen(c, f, p);
    if (!r && !v->refusal_rc) r = plan_dm_devices(c, p);
    if (!r && !v->refusal_rc && domid_known) r = plan_net(c, f, p);
    if (!r && !v->refusal_rc) r = plan_machine(c, f, p);
    if (!r && !v->refusal_rc) r = plan_actions(c, f, p);
    if (!r && !v->refusal_rc)
        r = plan_log(p);
    if (!r && !v->refusal_rc && domid_known) r = plan_resources(c, f, p);
    if (!r && !v->refusal_rc && domid_known) r = plan_machine_resources(f, p);
    if (!r && !v->refusal_rc && domid_known) r = plan_net_resources(p);
    if (!r && !v->refusal_rc) r = plan_pci(c, f, p);
    if (!r && !v->refusal_rc) r = plan_vfio(c, f, p);
    if (!r && !v->refusal_rc) r = plan_limits(c, f, p);
    if (!r && !v->refusal_rc && domid_known) r = plan_disks(c, p);
    if (!r && !v->refusal_rc && domid_known)
        r = p->backend == LIBDMR_BACKEND_QEMU ? argv_qemu_system(c, p, f)
                                              : argv_qemu_xen(p);
    if (!r && !v->refusal_rc && domid_known && p->backend == LIBDMR_BACKEND_XEN)
        r = plan_xen_audit(p);
    return r;
}

int libdmr_plan_compute(libdmr_ctx *ctx, const libdmr_config *config,
                        const libdmr_facts *facts, libdmr_plan **ret_plan)
{
    if (!ctx || !config || !facts || !ret_plan)
        return LIBDMR_ERROR_INVAL;
    libdmr_plan *p = calloc(1, sizeof(*p));
    if (!p)
        return LIBDMR_ERROR_NOMEM;
    if (plan_fill(config, facts, p) < 0) {
        libdmr_plan_free(p);
        return LIBDMR_ERROR_NOMEM;
    }
    *ret_plan = p;
    return 0;
}

int libdmr_plan_refusal(const libdmr_plan *plan, const char **ret_reason)
{
    if (ret_reason)
        *ret_reason = plan->verdict.refusal;
    return plan->verdict.refusal_rc;
}

int libdmr_plan_check(libdmr_ctx *ctx, const libdmr_plan *plan)
{
    /* A plan whose domid is not chosen yet is of no "Domain 0". */
    uint32_t domid = plan->domid == LIBDMR_DOMID_NONE ? LIBDMR_NO_DOMID : plan->domid;
    return verdict_log(ctx, domid, &plan->verdict);
}

uint32_t libdmr_plan_domid(const libdmr_plan *plan)
{
    return plan->domid;
}

const char *const *libdmr_plan_argv(const libdmr_plan *plan)
{
    static const char *const empty[] = { NULL };
    if (plan->domid == LIBDMR_DOMID_NONE)
        return NULL;  /* the domid is in it */
    return plan->argv.v ? (const char *const *)plan->argv.v : empty;
}

void libdmr_plan_free(libdmr_plan *p)
{
    if (!p)
        return;
    free(p->name);
    plan_identity_clear(&p->id);
    free(p->chroot);
    free(p->rlimits);
    free(p->sandbox);
    free(p->qemu_path);
    free(p->log_path);
    free(p->qmp_path);
    free(p->console_path);
    free(p->qmp_events_path);
    plan_libxl_clear(&p->libxl);
    plan_display_clear(&p->display);
    for (size_t i = 0; i < p->n_resources; i++) {
        free(p->resources[i].id);
        free(p->resources[i].path);
        free(p->resources[i].template_path);
    }
    free(p->resources);
    plan_disks_clear(p);
    plan_net_clear(p);
    for (size_t i = 0; i < p->n_hotplug_ports; i++)
        free(p->hotplug_ports[i].id);
    free(p->hotplug_ports);
    for (size_t i = 0; i < p->n_pci; i++) {
        free(p->pci[i].id);
        free(p->pci[i].port);
    }
    free(p->pci);
    plan_chroot_clear(&p->chroot_contents);
    plan_machine_clear(&p->mach);
    strv_clear(&p->audit_files);
    verdict_clear(&p->verdict);
    strv_clear(&p->argv);
    free(p);
}
