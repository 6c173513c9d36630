/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * host check's verdicts and host setup's choice of base uid, from the
 * facts host.c gathered. Pure.
 *
 * The uid range is the heart of it: a device model of domain N runs as
 * base + N, so base .. base + 32751 must belong to no one else, ever. A
 * passwd entry in it shares a uid with a DM; a subordinate range
 * (/etc/subuid, /etc/subgid) in it lets that user's containers run as a
 * DM; and useradd hands out the lowest free block of SUB_UID_MIN ..
 * SUB_UID_MAX whatever passwd says (when /etc/subuid exists), so a range
 * inside that span will be handed out one day. Debian gives its first
 * user 100000-165535, which covers every DM uid of the usual base 131072.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host.h"

static int item_add(struct libdmr_host_report *r, const char *name, enum host_status status,
                    const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int item_add(struct libdmr_host_report *r, const char *name, enum host_status status,
                    const char *fix, const char *fmt, ...)
{
    struct host_item *grown = realloc(r->items, (r->n + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    r->items = grown;
    va_list ap;
    va_start(ap, fmt);
    char *detail;
    int n = vasprintf(&detail, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -ENOMEM;
    grown[r->n++] = (struct host_item){ .name = name, .status = status, .detail = detail,
                                        .fix = status == HOST_OK ? NULL : fix };
    return 0;
}

static bool overlaps(uint64_t a_start, uint64_t a_count, uint64_t b_start, uint64_t b_count)
{
    return a_count && b_count && a_start < b_start + b_count && b_start < a_start + a_count;
}

/* Who else holds uids of base's block: "uid 131080 (bob)", ... */
static size_t passwd_in_block(const struct host_facts *h, uint64_t base, const char *base_name,
                              char *buf, size_t size)
{
    size_t n = 0, off = strlen(buf);
    for (size_t i = 0; i < h->n_passwd; i++) {
        const struct host_passwd_entry *e = &h->passwd[i];
        if (e->uid < base || e->uid >= base + HOST_RANGE_SPAN)
            continue;
        if (e->uid == base && base_name && !strcmp(e->name, base_name))
            continue;  /* the range base itself */
        if (off < size)
            off += snprintf(buf + off, size - off, "%suid %u (%s)", n ? ", " : "",
                            (unsigned)e->uid, e->name);
        n++;
    }
    return n;
}

static size_t subid_in_block(const struct libdmr_subid_ranges *ranges, const char *file,
                             uint64_t base, char *buf, size_t size)
{
    size_t n = 0, off = strlen(buf);
    for (size_t i = 0; i < ranges->n; i++) {
        const struct libdmr_subid_range *r = &ranges->r[i];
        if (!overlaps(base, HOST_RANGE_SPAN, r->start, r->count))
            continue;
        if (off < size)
            off += snprintf(buf + off, size - off, "%s%s's %s range %llu-%llu", off ? ", " : "",
                            r->owner, file, (unsigned long long)r->start,
                            (unsigned long long)(r->start + r->count - 1));
        n++;
    }
    return n;
}

/* useradd's future: the spans it hands subordinate ids from. */
static bool in_future_subids(const struct host_facts *h, uint64_t base)
{
    const struct login_defs *d = &h->defs;
    return h->subuid_file &&
           (overlaps(base, HOST_RANGE_SPAN, d->sub_uid_min, d->sub_uid_max - d->sub_uid_min + 1) ||
            overlaps(base, HOST_RANGE_SPAN, d->sub_gid_min, d->sub_gid_max - d->sub_gid_min + 1));
}

static bool in_regular_uids(const struct host_facts *h, uint64_t base)
{
    return overlaps(base, HOST_RANGE_SPAN, h->defs.uid_min, h->defs.uid_max - h->defs.uid_min + 1);
}

/* Why base was passed over, or "" when it fits. */
static void block_trouble(const struct host_facts *h, uint64_t base, char *buf, size_t size)
{
    const struct libdmr_user *existing = &h->facts.range_base;
    buf[0] = '\0';
    if (passwd_in_block(h, base, existing->present ? existing->name : NULL, buf, size) ||
        subid_in_block(&h->facts.subuid, "subuid", base, buf, size) ||
        subid_in_block(&h->facts.subgid, "subgid", base, buf, size))
        return;
    if (in_regular_uids(h, base))
        snprintf(buf, size, "regular users' uids (login.defs UID_MIN..UID_MAX)");
    else if (in_future_subids(h, base))
        snprintf(buf, size, "useradd hands out subordinate ids there (login.defs "
                 "SUB_UID_MIN..SUB_UID_MAX, SUB_GID_MIN..SUB_GID_MAX)");
}

int host_choose_base(const struct host_facts *h, uint64_t *ret_base, char *why, size_t why_size)
{
    const uint64_t block = 65536;
    uint64_t sub_max = h->defs.sub_uid_max > h->defs.sub_gid_max ? h->defs.sub_uid_max
                                                                 : h->defs.sub_gid_max;
    why[0] = '\0';
    /* 131072 as the Xen docs, else 65536 (between Debian's UID_MAX 60000 and
     * SUB_UID_MIN 100000), else upward in 64 Ki steps, jumping past the
     * span useradd hands subordinate ids from. */
    for (uint64_t i = 0, base = 131072; base + HOST_RANGE_SPAN <= UINT32_MAX; i++) {
        char trouble[512];
        block_trouble(h, base, trouble, sizeof(trouble));
        if (!trouble[0]) {
            *ret_base = base;
            return 0;
        }
        size_t off = strlen(why);
        if (off + 1 < why_size)
            snprintf(why + off, why_size - off, "%s%llu: %s", off ? "; " : "",
                     (unsigned long long)base, trouble);
        uint64_t next = i == 0 ? block : base + block;
        if (next == 131072)
            next += block;  /* tried first */
        if (in_future_subids(h, next) && !in_regular_uids(h, next))
            next = (sub_max / block + 1) * block;
        base = next;
    }
    return -ENOSPC;
}

static int judge_range(const struct host_facts *h, struct libdmr_host_report *r)
{
    const struct libdmr_user *b = &h->facts.range_base;
    static const char *const setup = "xl-dmr host setup";
    if (!b->present)
        return item_add(r, "range base", HOST_WARN, setup, "no %s user: device models get a "
                        "xen-qemuuser-domidN user, or the shared one, or none", LIBDMR_USER_RANGE_BASE);
    int rc = item_add(r, "range base", HOST_OK, NULL, "%s is uid %u: domain N's device model runs "
                      "as %u+N (%u..%u)", b->name, (unsigned)b->uid, (unsigned)b->uid,
                      (unsigned)b->uid + 1, (unsigned)b->uid + LIBDMR_DOMID_MAX);
    char clash[1024] = "";
    size_t n = passwd_in_block(h, b->uid, b->name, clash, sizeof(clash));
    if (!rc)
        rc = n ? item_add(r, "range owners", HOST_FAIL, "move those users, or re-create the range "
                          "base elsewhere (xl-dmr host setup --dry-run shows where)",
                          "other passwd entries hold device-model uids: %s", clash)
               : item_add(r, "range owners", HOST_OK, NULL, "no other passwd entry in %u..%u",
                          (unsigned)b->uid, (unsigned)b->uid + LIBDMR_DOMID_MAX);
    clash[0] = '\0';
    n = subid_in_block(&h->facts.subuid, "subuid", b->uid, clash, sizeof(clash)) +
        subid_in_block(&h->facts.subgid, "subgid", b->uid, clash, sizeof(clash));
    if (!rc)
        rc = n ? item_add(r, "subordinate ids", HOST_FAIL, "move the range base outside every "
                          "subordinate range (xl-dmr host setup --dry-run shows where), or the ranges",
                          "device-model uids lie in %s: those users' containers can run "
                          "processes as a device model", clash)
               : item_add(r, "subordinate ids", HOST_OK, NULL, "no /etc/subuid or /etc/subgid "
                          "range meets the device-model uids");
    if (!rc)
        rc = in_future_subids(h, b->uid)
                 ? item_add(r, "future subordinate ids", HOST_WARN, "move the range base below "
                            "SUB_UID_MIN (xl-dmr host setup --dry-run), or narrow login.defs",
                            "useradd hands out subordinate ids from %llu..%llu, which meets "
                            "%u..%u: a user added later may get device-model uids",
                            (unsigned long long)h->defs.sub_uid_min,
                            (unsigned long long)h->defs.sub_uid_max, (unsigned)b->uid,
                            (unsigned)b->uid + LIBDMR_DOMID_MAX)
                 : item_add(r, "future subordinate ids", HOST_OK, NULL, "%s",
                            h->subuid_file ? "useradd's subordinate spans miss the range"
                                           : "no /etc/subuid: useradd hands out no ranges");
    return rc;
}

static int judge_users(const struct host_facts *h, struct libdmr_host_report *r)
{
    const libdmr_facts *f = &h->facts;
    int rc;
    if (!f->shared.present)
        rc = item_add(r, "shared user", HOST_OK, NULL, "no %s (never a fallback)", LIBDMR_USER_SHARED);
    else if (f->range_base.present)
        rc = item_add(r, "shared user", HOST_OK, NULL, "%s (uid %u) exists but is never chosen: "
                      "the range base is there", LIBDMR_USER_SHARED, (unsigned)f->shared.uid);
    else
        rc = item_add(r, "shared user", HOST_WARN, "xl-dmr host setup",
                      "device models may share %s (uid %u): one compromised can signal or "
                      "ptrace the others, and none can be killed by uid", LIBDMR_USER_SHARED,
                      (unsigned)f->shared.uid);
    if (rc)
        return rc;
    if (f->reaper.present && f->reaper.uid != 0 &&
        !(f->range_base.present && f->reaper.uid > f->range_base.uid &&
          f->reaper.uid <= f->range_base.uid + LIBDMR_DOMID_MAX))
        return item_add(r, "reaper user", HOST_OK, NULL, "%s is uid %u", LIBDMR_USER_REAPER,
                        (unsigned)f->reaper.uid);
    if (f->reaper.present)
        return item_add(r, "reaper user", HOST_FAIL, "give it a system uid of its own",
                        "%s is uid %u, root or a device model's", LIBDMR_USER_REAPER,
                        (unsigned)f->reaper.uid);
    return item_add(r, "reaper user", f->range_base.present ? HOST_OK : HOST_WARN,
                    "xl-dmr host setup", "no %s: %s", LIBDMR_USER_REAPER,
                    f->range_base.present ? "the range base's own uid reaps"
                                          : "nothing can kill device models by uid");
}

static int judge_qemu(const struct host_facts *h, struct libdmr_host_report *r)
{
    const struct libdmr_qemu_caps *q = &h->facts.qemu;
    if (!q->present)
        return item_add(r, "qemu", HOST_FAIL, "apt-get install qemu-system-x86",
                        "no executable %s", q->path ? q->path : LIBDMR_QEMU_DEFAULT);
    int rc = item_add(r, "qemu", HOST_OK, NULL, "%s", q->path);
    bool chroot = q->chroot || q->run_with_chroot, user = q->runas || q->run_with_user;
    if (!rc)
        rc = item_add(r, "qemu dialect", chroot && user ? HOST_OK : HOST_FAIL,
                      "use a QEMU with -chroot/-runas (up to 8.x) or -run-with chroot=,user= (9.1+)",
                      "chroot by %s, user change by %s", q->chroot ? "-chroot" : q->run_with_chroot
                      ? "-run-with chroot=" : "nothing", q->runas ? "-runas" : q->run_with_user
                      ? "-run-with user=" : "nothing");
    if (!rc)
        rc = item_add(r, "qemu sandbox", q->sandbox ? HOST_OK : HOST_FAIL,
                      "use a QEMU built with seccomp (libseccomp)", "%s",
                      q->sandbox ? "-sandbox is there" : "no -sandbox: restricted plans are refused");
    return rc;
}

static int judge_kernel(const struct host_facts *h, struct libdmr_host_report *r)
{
    int rc = item_add(r, "seccomp", h->seccomp_filter ? HOST_OK : HOST_FAIL,
                      "a kernel with CONFIG_SECCOMP_FILTER", "%s", h->seccomp_filter
                      ? "the kernel offers seccomp filters" : "no seccomp filters in this kernel");
    if (!rc)
        rc = item_add(r, "namespaces", h->namespaces ? HOST_OK : HOST_FAIL,
                      "run xl-dmr as root, outside a container that forbids unshare",
                      "%s", h->namespaces ? "mount and IPC namespaces can be made"
                                          : "unshare(CLONE_NEWNS | CLONE_NEWIPC) fails");
    for (size_t i = 0; !rc && i < ELEMENTSOF(h->dirs); i++) {
        const struct host_dir *d = &h->dirs[i];
        rc = !d->present ? item_add(r, "run directories", HOST_OK, NULL, "%s: made when needed", d->path)
           : item_add(r, "run directories", d->ok ? HOST_OK : HOST_FAIL,
                      "chown root: and chmod go-w that directory",
                      "%s: mode %04o, uid %u%s", d->path, d->mode, (unsigned)d->uid,
                      d->ok ? "" : "; it must be root's and writable by no one else");
    }
    return rc;
}

/* An accelerator is ok only when a probe guest ran under it. */
static int judge_accel(const libdmr_facts *f, struct libdmr_host_report *r)
{
    const struct libdmr_accel_probe *k = &f->kvm_probe, *t = &f->tcg_probe;
    int rc;
    if (f->xen_dom0)
        rc = item_add(r, "kvm", HOST_OK, NULL, "not probed: on a Xen dom0 the device models "
                      "serve Xen guests, not KVM ones");
    else if (!f->qemu.present)
        rc = item_add(r, "kvm", HOST_WARN, "apt-get install qemu-system-x86",
                      "%s; no QEMU to run a probe guest", f->kvm_usable ? "KVM can create a VM"
                      : "no usable /dev/kvm");
    else if (!f->kvm_usable)
        rc = item_add(r, "kvm", HOST_WARN, "load kvm_intel or kvm_amd, or use accel = \"tcg\"",
                      "no usable /dev/kvm: guests run under TCG");
    else if (k->result == LIBDMR_PROBE_PASSED)
        rc = item_add(r, "kvm", HOST_OK, NULL, "%s", k->detail);
    else if (k->result == LIBDMR_PROBE_FAILED)
        rc = item_add(r, "kvm", HOST_WARN, "use accel = \"tcg\" (plans warn), or a host with "
                      "hardware KVM (kvm_intel, kvm_amd)", "/dev/kvm makes VMs, yet %s%s: guests "
                      "under KVM will not make progress", k->detail, f->cpu_lacks_virt
                      ? " (no vmx/svm in /proc/cpuinfo: a paravirtual KVM such as kvm_pvm?)" : "");
    else
        rc = item_add(r, "kvm", HOST_WARN, "see the tcg line", "KVM can create a VM; whether "
                      "it runs guests is unknown: %s", k->detail ? k->detail : "not probed");
    if (!rc && f->qemu.present && !f->xen_dom0)
        rc = item_add(r, "tcg", t->result == LIBDMR_PROBE_PASSED ? HOST_OK : HOST_WARN,
                      "see QEMU's own message: run the QEMU by hand", "%s",
                      t->detail ? t->detail : "not probed");
    return rc;
}

static int judge_devices(const struct host_facts *h, struct libdmr_host_report *r)
{
    const libdmr_facts *f = &h->facts;
    bool vfio = h->vfio_module && f->vfio_container;
    int rc = item_add(r, "vfio", vfio ? HOST_OK : HOST_WARN, "modprobe vfio-pci (and boot with "
                      "intel_iommu=on or amd_iommu=on)", "%s%s", vfio ? "vfio-pci and /dev/vfio/vfio"
                      : "no VFIO passthrough: ", vfio ? "" : !h->vfio_module ? "vfio-pci is not loaded"
                      : "no /dev/vfio/vfio");
    uint64_t need = plan_vfio_memlock(1024);  /* a 1 GiB guest */
    bool memlock = f->cap_sys_resource || f->memlock_hard >= need;
    char hard[32];
    snprintf(hard, sizeof(hard), f->memlock_hard == UINT64_MAX ? "unlimited" : "%llu KiB",
             (unsigned long long)(f->memlock_hard >> 10));
    if (!rc)
        rc = item_add(r, "memlock", memlock ? HOST_OK : HOST_WARN,
                      "raise the hard RLIMIT_MEMLOCK (limits.conf, LimitMEMLOCK=) or run with "
                      "CAP_SYS_RESOURCE", "hard limit %s, CAP_SYS_RESOURCE %s: %s", hard,
                      f->cap_sys_resource ? "yes" : "no", memlock ? "VFIO guests can lock their RAM"
                      : "a VFIO guest needs its RAM + 1 GiB: every one is refused");
    if (!rc)
        rc = judge_accel(f, r);
    if (!rc)
        rc = item_add(r, "xen", HOST_OK, NULL, "%s", f->xen_dom0 ? "a Xen dom0: the xen backend"
                      : "not a Xen dom0: the qemu backend");
    return rc;
}

int host_judge(const struct host_facts *h, struct libdmr_host_report *r)
{
    *r = (struct libdmr_host_report){ 0 };
    int rc = judge_range(h, r);
    if (!rc) rc = judge_users(h, r);
    if (!rc) rc = judge_qemu(h, r);
    if (!rc) rc = judge_kernel(h, r);
    if (!rc) rc = judge_devices(h, r);
    return rc;
}
