/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An example toolstack: how a program with domain configurations of its
 * own (libxl, libvirt) asks libdmrestrict how a device model is restricted.
 * It links libdmrestrict only, through its public header:
 *
 *     cc toolstack.c $(pkg-config --cflags --libs libdmrestrict)
 *     ./a.out [FACTS]          (default: toolstack.facts in the current
 *                               directory; as root for scenario c)
 *
 * It describes the host itself (a facts file, docs/facts-json.md), so it
 * runs anywhere, and the domains by calls, not xl.cfg text. It runs:
 *   a. an HVM domain with a PCI device, dm_restrict=1, xen backend: the
 *      plan refuses it, since qemu-xen needs root for passthrough;
 *   b. the same domain without the device: first before our toolstack has
 *      picked a domid, then with domid 5, and prints the whole plan;
 *   c. records that domain as one "we" started (a child stands in for its
 *      device model), lists it, audits it, asks whether a PCI device may
 *      be attached to it, and forgets it.
 * Each result the library should give is checked: the exit status is 0
 * only if all held, and each one that did not is one line on stderr.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libdmrestrict.h>

/* What toolstack.facts says; a facts file given instead must agree. */
#define RANGE_BASE_UID 131072u
#define DISK_SIZE 2147483648ull   /* /srv/example/disk.img, the writable disk */
/* The domid our toolstack picks for domain "example" (libxl picks its own). */
#define DOMID 5u

static const libdmr_pci_addr nic = { 0, 1, 0, 0 };   /* 0000:01:00.0 */
static int failures;

/* One result the library should give: quiet when it did, a line when not. */
static void expect(bool held, const char *what)
{
    if (!held) {
        fprintf(stderr, "toolstack: expected %s\n", what);
        failures++;
    }
}

static const char *str(const char *s)
{
    return s ? s : "-";
}

static const char *yes(bool b)
{
    return b ? "yes" : "no";
}

static const char *format_name(enum libdmr_disk_format f)
{
    return f == LIBDMR_FORMAT_QCOW2 ? "qcow2" : f == LIBDMR_FORMAT_EMPTY ? "empty" : "raw";
}

/* ---- a backend of our own ----------------------------------------------
 * A backend is how the library reaches a hypervisor; the library has the
 * qemu one. Our toolstack would hand it the xen one, made of its own libxl
 * calls (create paused, unpause, destroy, cdrom and PCI changes). This
 * pretend one only says what it was asked: it shows the shape of the table.
 */
struct pretend {
    unsigned calls;
};

static int pretend_say(void *opaque, const libdmr_dm *dm, const char *what, int rc)
{
    struct pretend *p = opaque;
    p->calls++;
    printf("pretend-xen: %s, domain %u\n", what, (unsigned)libdmr_dm_domid(dm));
    return rc;
}

/* A real start creates the domain paused, starts qemu-xen and tells the
 * library its pid with libdmr_dm_set_pid(); we have nothing to start. */
static int pretend_start(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    (void)ctx;
    return pretend_say(opaque, dm, "start (nothing to start)", LIBDMR_ERROR_NI);
}

static int pretend_unpause(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    (void)ctx;
    return pretend_say(opaque, dm, "unpause", 0);
}

/* A device model that is gone already is no error: nothing to stop is fine. */
static int pretend_stop(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    (void)ctx;
    return pretend_say(opaque, dm, "stop", 0);
}

static int pretend_cdrom_change(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm,
                                const char *vdev, const char *path)
{
    (void)ctx, (void)vdev, (void)path;
    return pretend_say(opaque, dm, "cdrom change (no drive)", LIBDMR_ERROR_NI);
}

static int pretend_pci_change(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm,
                              const libdmr_pci_addr *dev, unsigned vslot, bool add)
{
    (void)ctx, (void)dev, (void)vslot, (void)add;
    return pretend_say(opaque, dm, "pci change (no bus)", LIBDMR_ERROR_NI);
}

/* A real one asks its DM what is in its drives and reports each with
 * libdmr_dm_add_medium_path(), so the audit knows what it was handed. */
static int pretend_media(void *opaque, libdmr_ctx *ctx, libdmr_dm *dm)
{
    (void)ctx;
    return pretend_say(opaque, dm, "media (none)", 0);
}

/* Domains this backend made that the library has no record of: none. */
static int pretend_lookup(void *opaque, libdmr_ctx *ctx, const char *name_or_domid,
                          uint32_t *ret_domid)
{
    struct pretend *p = opaque;
    (void)ctx, (void)name_or_domid, (void)ret_domid;
    p->calls++;
    return LIBDMR_ERROR_NOTFOUND;
}

/* The library reads the table while the context lives: static. */
static const libdmr_backend_ops pretend_ops = {
    .size = sizeof(libdmr_backend_ops),
    .start = pretend_start,
    .unpause = pretend_unpause,
    .stop = pretend_stop,
    .cdrom_change = pretend_cdrom_change,
    .pci_change = pretend_pci_change,
    .media = pretend_media,
    .lookup = pretend_lookup,
};

/* ---- the domain, described by calls ------------------------------------ */

/*
 * As libxl would fill them from its libxl_domain_config: one call a field.
 * A setter checks its value; one it refuses leaves the config as it was
 * and logs nothing: the reason is in libdmr_ctx_last_error(), for us to
 * report in our own terms.
 */
static int describe(libdmr_ctx *ctx, libdmr_config *c, const char *name)
{
    int rc;
    if ((rc = libdmr_config_set_source(ctx, c, "toolstack.c")) ||
        (rc = libdmr_config_set_name(ctx, c, name)) ||
        (rc = libdmr_config_set_type(ctx, c, LIBDMR_GUEST_HVM)) ||
        (rc = libdmr_config_set_backend(ctx, c, LIBDMR_BACKEND_XEN)) ||
        (rc = libdmr_config_set_dm_restrict(ctx, c, true)) ||
        /* NULL: no device_model_user, the library picks (range-base + domid). */
        (rc = libdmr_config_set_device_model_user(ctx, c, NULL)) ||
        /* NULL: the backend's qemu, the one the facts describe. */
        (rc = libdmr_config_set_device_model(ctx, c, NULL)) ||
        (rc = libdmr_config_set_machine(ctx, c, LIBDMR_MACHINE_DEFAULT)) ||
        (rc = libdmr_config_set_accel(ctx, c, LIBDMR_ACCEL_AUTO)) ||
        (rc = libdmr_config_set_memory_mb(ctx, c, 512)) ||
        (rc = libdmr_config_set_vcpus(ctx, c, 2)) ||
        /* It boots from its disks, not a kernel of ours. */
        (rc = libdmr_config_set_kernel(ctx, c, NULL, NULL, NULL)) ||
        (rc = libdmr_config_set_serial(ctx, c, "pty")) ||
        (rc = libdmr_config_set_boot(ctx, c, "dc")) ||
        /* We unpause it ourselves once our own checks are done (xl create -p). */
        (rc = libdmr_config_set_paused(ctx, c, true)) ||
        (rc = libdmr_config_set_pci_guest_unplug(ctx, c, true)) ||
        (rc = libdmr_config_set_pci_hotplug_ports(ctx, c, -1)) ||
        (rc = libdmr_config_add_disk(ctx, c, "xvda", "/srv/example/disk.img",
                                     LIBDMR_FORMAT_RAW, LIBDMR_DISK_READWRITE)) ||
        (rc = libdmr_config_add_disk(ctx, c, "hdc", "/srv/example/install.iso",
                                     LIBDMR_FORMAT_RAW, LIBDMR_DISK_CDROM)))
        fprintf(stderr, "toolstack: domain %s: %s\n", name, str(libdmr_ctx_last_error(ctx)));
    return rc;
}

/* A new config; the name comes later, as a toolstack may learn it late. */
static libdmr_config *config_for(libdmr_ctx *ctx, const char *name)
{
    libdmr_config *c = NULL;
    if (libdmr_config_new(ctx, "unnamed", &c) || describe(ctx, c, name)) {
        libdmr_config_free(c);
        return NULL;
    }
    return c;
}

/* ---- reading a plan back ---------------------------------------------- */

static void print_domain(const libdmr_plan *p)
{
    printf("plan: domid %u name %s backend %s memory %ld vcpus %ld paused %s restricted %s\n",
           (unsigned)libdmr_plan_domid(p), str(libdmr_plan_name(p)),
           libdmr_plan_backend(p) == LIBDMR_BACKEND_XEN ? "xen" : "qemu",
           libdmr_plan_memory_mb(p), libdmr_plan_vcpus(p), yes(libdmr_plan_paused(p)),
           yes(libdmr_plan_restricted(p)));
    for (size_t i = 0; i < libdmr_plan_notice_count(p); i++)
        printf("notice: %s\n", libdmr_plan_notice(p, i));
    for (size_t i = 0; i < libdmr_plan_warning_count(p); i++)
        printf("warning: %s\n", libdmr_plan_warning(p, i));
}

/* Who the device model runs as, and who cleans up after it. */
static void print_identity(const libdmr_plan *p, uid_t *ret_uid, gid_t *ret_gid)
{
    const char *user = NULL, *source = NULL, *reason = NULL;
    uid_t uid = 0, reaper = 0;
    gid_t gid = 0;
    libdmr_plan_dm_user(p, &user, &source, &reason);
    int rc = libdmr_plan_dm_uid(p, &uid, &gid);
    if (rc)
        printf("user: %s uid %s (%s: %s)\n", str(user), libdmr_error_name(rc), str(source),
               str(reason));
    else
        printf("user: %s uid %u gid %u (%s: %s)\n", str(user), (unsigned)uid, (unsigned)gid,
               str(source), str(reason));
    printf("uid exclusive %s, killed by uid %s", yes(libdmr_plan_uid_exclusive(p)),
           yes(libdmr_plan_kill_by_uid(p)));
    if (libdmr_plan_reaper_uid(p, &reaper))
        printf(", no reaper\n");
    else
        printf(", reaper uid %u\n", (unsigned)reaper);
    printf("chroot %s\n", str(libdmr_plan_chroot(p)));
    printf("sandbox %s\n", str(libdmr_plan_sandbox(p)));
    *ret_uid = rc ? (uid_t)-1 : uid;
    *ret_gid = rc ? (gid_t)-1 : gid;
}

/* The limits, each on a line; returns RLIMIT_FSIZE's (0: none planned). */
static uint64_t print_rlimits(const libdmr_plan *p)
{
    uint64_t fsize = 0;
    for (size_t i = 0; i < libdmr_plan_rlimit_count(p); i++) {
        const char *name;
        int resource;
        uint64_t value;
        if (libdmr_plan_rlimit(p, i, &name, &resource, &value))
            continue;
        if (value == UINT64_MAX)
            printf("rlimit %s unlimited\n", name);
        else
            printf("rlimit %s %llu\n", name, (unsigned long long)value);
        if (resource == RLIMIT_FSIZE && !strcmp(name, "FSIZE"))
            fsize = value;
    }
    return fsize;
}

static void print_args(const char *label, const char *const *argv)
{
    printf("%s:", label);
    if (!argv)
        printf(" -");
    for (size_t i = 0; argv && argv[i]; i++)
        printf(" %s", argv[i]);
    printf("\n");
}

/* What we would put in libxl's domain config so that libxl carries the
 * plan out: it builds qemu-xen's argv and limits itself. */
static void print_libxl(const libdmr_plan *p)
{
    printf("libxl device_model_user %s device_model %s\n",
           str(libdmr_plan_libxl_device_model_user(p)), str(libdmr_plan_libxl_device_model(p)));
    print_args("libxl device_model_args", libdmr_plan_libxl_device_model_args(p));
    printf("libxl serial %s boot %s\n", str(libdmr_plan_libxl_serial(p)),
           str(libdmr_plan_libxl_boot(p)));
    for (size_t i = 0; i < libdmr_plan_libxl_disk_count(p); i++) {
        const char *vdev, *target;
        enum libdmr_disk_format format;
        unsigned flags;
        if (!libdmr_plan_libxl_disk(p, i, &vdev, &target, &format, &flags))
            printf("libxl disk %s %s %s%s%s\n", vdev, str(target), format_name(format),
                   flags & LIBDMR_DISK_READWRITE ? " rw" : " ro",
                   flags & LIBDMR_DISK_CDROM ? " cdrom" : "");
    }
    /* libxl gives qemu-xen 256 KiB files; we raise it to this once it runs. */
    printf("libxl fsize %llu\n", (unsigned long long)libdmr_plan_libxl_fsize(p));
}

static void print_pci(const libdmr_plan *p)
{
    for (size_t i = 0; i < libdmr_plan_pci_count(p); i++) {
        libdmr_pci_addr d;
        unsigned vslot;
        bool unplug;
        if (!libdmr_plan_pci(p, i, &d, &vslot, &unplug))
            printf("pci: " LIBDMR_BDF_FMT " vslot %u guest_unplug %s\n", LIBDMR_BDF_ARGS(&d),
                   vslot, yes(unplug));
    }
}

/* ---- a: PCI passthrough with dm_restrict=1 on xen ----------------------- */

static void scenario_pci(libdmr_ctx *ctx, const libdmr_facts *facts)
{
    libdmr_config *c = config_for(ctx, "example-pci");
    libdmr_plan *p = NULL;
    const char *why = NULL;
    /* xl-dmr's way to a domid: ask for one, which the plan holds against
     * the domids the facts say are in use. */
    int rc = c ? libdmr_config_set_domid(ctx, c, DOMID) : LIBDMR_ERROR_FAIL;
    if (!rc)
        rc = libdmr_config_add_pci(ctx, c, &nic, -1, -1);
    /* A refused plan is still a plan: it says why. */
    if (!rc)
        rc = libdmr_plan_compute(ctx, c, facts, &p);
    expect(!rc, "a plan for example-pci");
    if (!rc) {
        int refusal = libdmr_plan_refusal(p, &why);
        printf("refused: %s: %s\n", refusal ? libdmr_error_name(refusal) : "no", str(why));
        print_pci(p);
        expect(refusal == LIBDMR_ERROR_REFUSED && why && strstr(why, "qemu-xen needs root"),
               "example-pci refused (REFUSED): qemu-xen needs root for passthrough");
        /* What our create would do: log the refusal once, and stop. */
        expect(libdmr_plan_check(ctx, p) == LIBDMR_ERROR_REFUSED,
               "libdmr_plan_check to return REFUSED for example-pci");
    }
    libdmr_plan_free(p);
    libdmr_config_free(c);
}

/* ---- b: the same without the device, before and after the domid --------- */

/* Our toolstack has not picked a domid yet: the range user's uid is base +
 * domid, so the plan cannot say it. What does not depend on it, it says. */
static void plan_before_domid(libdmr_ctx *ctx, libdmr_config *c, const libdmr_facts *facts)
{
    libdmr_plan *p = NULL;
    uid_t uid;
    gid_t gid;
    int rc = libdmr_config_set_toolstack_domid(ctx, c, LIBDMR_DOMID_NONE);
    if (!rc)
        rc = libdmr_plan_compute(ctx, c, facts, &p);
    expect(!rc, "a plan for example before its domid");
    if (rc)
        return;
    const char *user = NULL;
    libdmr_plan_dm_user(p, &user, NULL, NULL);
    int uid_rc = libdmr_plan_dm_uid(p, &uid, &gid);
    printf("before domid: domid %u user %s uid %s\n", (unsigned)libdmr_plan_domid(p), str(user),
           uid_rc ? libdmr_error_name(uid_rc) : "known");
    expect(libdmr_plan_refusal(p, NULL) == 0, "example not refused before its domid");
    expect(libdmr_plan_domid(p) == LIBDMR_DOMID_NONE && uid_rc == LIBDMR_ERROR_NOTFOUND &&
           !libdmr_plan_argv(p), "no domid, no uid (NOTFOUND) and no argv before the domid");
    libdmr_plan_free(p);
}

/* A value a setter refuses: INVAL, the reason to report, the config unchanged. */
static void setter_refusal(libdmr_ctx *ctx, libdmr_config *c)
{
    int rc = libdmr_config_set_vcpus(ctx, c, 0);
    printf("setter: vcpus 0 refused: %s: %s\n", libdmr_error_name(rc),
           str(libdmr_ctx_last_error(ctx)));
    expect(rc == LIBDMR_ERROR_INVAL, "vcpus 0 refused with INVAL");
}

static void check_range_plan(const libdmr_plan *p, uid_t uid, gid_t gid, uint64_t fsize)
{
    const char *user = NULL, *source = NULL;
    libdmr_plan_dm_user(p, &user, &source, NULL);
    expect(libdmr_plan_refusal(p, NULL) == 0, "example not refused");
    expect(libdmr_plan_domid(p) == DOMID && !strcmp(str(libdmr_plan_name(p)), "example") &&
           libdmr_plan_backend(p) == LIBDMR_BACKEND_XEN && libdmr_plan_memory_mb(p) == 512 &&
           libdmr_plan_vcpus(p) == 2 && libdmr_plan_paused(p) && libdmr_plan_restricted(p),
           "example: domid 5, xen, 512 MiB, 2 vCPUs, paused, restricted");
    expect(!strcmp(str(user), "xen-qemuuser-range-base+5") && !strcmp(str(source), "range") &&
           uid == RANGE_BASE_UID + DOMID && gid == RANGE_BASE_UID,
           "user xen-qemuuser-range-base+5, uid base+5, gid base");
    expect(libdmr_plan_uid_exclusive(p) && libdmr_plan_kill_by_uid(p),
           "the range uid exclusive and killed by uid");
    expect(fsize == DISK_SIZE && libdmr_plan_libxl_fsize(p) == DISK_SIZE,
           "rlimit FSIZE and libxl fsize: the writable disk's size");
    expect(libdmr_plan_argv(p) && libdmr_plan_libxl_disk_count(p) == 2 &&
           libdmr_plan_pci_count(p) == 0, "argv, 2 libxl disks and no PCI device");
}

/* The plan for domid 5, to record in c; NULL if there is none. */
static libdmr_plan *scenario_range(libdmr_ctx *ctx, const libdmr_facts *facts)
{
    libdmr_config *c = config_for(ctx, "example");
    libdmr_plan *p = NULL;
    if (!c)
        return NULL;
    plan_before_domid(ctx, c, facts);
    setter_refusal(ctx, c);
    /* Now it is picked. The library never picks one, nor holds ours
     * against the domains it knows: the domid is the toolstack's business.
     * The facts must be of this domid (a real toolstack gathers them once
     * it has it): some are per domid, who owns the range uid among them. */
    int rc = libdmr_config_set_toolstack_domid(ctx, c, DOMID);
    if (!rc)
        rc = libdmr_plan_compute(ctx, c, facts, &p);
    expect(!rc, "a plan for example, domid 5");
    if (!rc) {
        uid_t uid;
        gid_t gid;
        print_domain(p);
        print_identity(p, &uid, &gid);
        uint64_t fsize = print_rlimits(p);
        print_args("argv", libdmr_plan_argv(p));
        print_libxl(p);
        print_pci(p);
        check_range_plan(p, uid, gid, fsize);
        libdmr_plan_check(ctx, p);   /* logs its notices and warnings */
    }
    libdmr_config_free(c);
    return p;
}

/* ---- c: a domain we started, recorded, audited, forgotten --------------- */

/* Prints the recorded domains; is domid among them, and with which pid? */
static bool listed(libdmr_ctx *ctx, uint32_t domid, pid_t *ret_pid)
{
    libdmr_dominfo *list = NULL;
    size_t n = 0;
    bool found = false;
    if (libdmr_domain_list(ctx, &list, &n)) {
        expect(false, "libdmr_domain_list to work");
        return false;
    }
    if (!n)
        printf("list: empty\n");
    for (size_t i = 0; i < n; i++) {
        printf("list: %u %s dm pid %d user %s uid %u\n", (unsigned)list[i].domid, list[i].name,
               (int)list[i].dm_pid, list[i].dm_user, (unsigned)list[i].dm_uid);
        if (list[i].domid == domid) {
            found = true;
            *ret_pid = list[i].dm_pid;
        }
    }
    libdmr_dominfo_list_free(list);
    return found;
}

/* Our "device model": a child that waits to be killed, or gives up after
 * a minute should we die first. A real toolstack has qemu-xen's pid. */
static pid_t pretend_dm(void)
{
    fflush(NULL);   /* or the child would hold our buffered lines too */
    pid_t pid = fork();
    if (pid == 0) {
        alarm(60);
        for (;;)
            pause();
    }
    return pid;
}

/* It runs as root, not as the plan's uid: most checks fail, as they should. */
static void audit(libdmr_ctx *ctx, uint32_t domid)
{
    libdmr_audit *a = NULL;
    int rc = libdmr_dm_audit(ctx, domid, &a);
    expect(!rc, "an audit of domain 5");
    if (rc)
        return;
    printf("audit: domain %u %s, %zu checks\n", (unsigned)domid,
           libdmr_audit_passed(a) ? "passed" : "failed", libdmr_audit_count(a));
    for (size_t i = 0; i < libdmr_audit_count(a); i++) {
        const char *name, *detail;
        bool ok;
        if (!libdmr_audit_check(a, i, &name, &ok, &detail))
            printf("audit %s %s: %s\n", ok ? "ok" : "FAIL", name, str(detail));
    }
    expect(!libdmr_audit_passed(a), "the audit of a root process against uid base+5 to fail");
    libdmr_audit_free(a);
}

/* Would pci-attach be allowed? It changes nothing and logs nothing. */
static void pci_decide(libdmr_ctx *ctx, uint32_t domid)
{
    static const char *const names[] = { "ALLOW", "WARN", "REFUSE" };
    enum libdmr_pci_decision d = LIBDMR_PCI_ALLOW;
    char *msg = NULL;
    int rc = libdmr_pci_attach_decide(ctx, domid, &nic, -1, -1, &d, &msg);
    if (rc)
        printf("pci-attach: %s\n", libdmr_error_name(rc));
    else
        printf("pci-attach: %s 0000:01:00.0: %s\n", names[d], str(msg));
    expect(!rc && d == LIBDMR_PCI_REFUSE && msg && strstr(msg, "needs root"),
           "pci-attach to domain 5 refused: its DM is not root, qemu-xen needs root");
    free(msg);
}

static void scenario_foreign(libdmr_ctx *ctx, const libdmr_plan *p)
{
    uint32_t domid = libdmr_plan_domid(p);
    pid_t listed_pid = 0, dm = pretend_dm();
    int rc = dm < 0 ? LIBDMR_ERROR_FAIL : libdmr_domain_record(ctx, p, dm);
    expect(!rc, "domain 5 recorded (as root: it writes /run/xl-dmr)");
    if (!rc) {
        printf("recorded: domain %u \"%s\" dm pid %d\n", (unsigned)domid,
               libdmr_plan_name(p), (int)dm);
        expect(listed(ctx, domid, &listed_pid) && listed_pid == dm,
               "domain 5 listed with its DM's pid");
        uint32_t found = 0;
        expect(!libdmr_domain_lookup(ctx, libdmr_plan_name(p), &found) && found == domid,
               "domain example found by its name as domain 5");
        printf("lookup: %s is domain %u\n", libdmr_plan_name(p), (unsigned)found);
        audit(ctx, domid);
        pci_decide(ctx, domid);
    }
    /* We destroy our domain, then tell the library it is gone. */
    if (dm > 0) {
        kill(dm, SIGKILL);
        waitpid(dm, NULL, 0);
        printf("stopped: dm pid %d\n", (int)dm);
    }
    if (!rc) {
        rc = libdmr_domain_forget(ctx, domid);
        expect(!rc, "domain 5 forgotten");
        if (!rc)
            printf("forgotten: %u\n", (unsigned)domid);
        expect(!listed(ctx, domid, &listed_pid), "domain 5 no longer listed");
    }
}

int main(int argc, char **argv)
{
    const char *facts_path = argc > 1 ? argv[1] : "toolstack.facts";
    struct pretend pretend = { 0 };
    libdmr_ctx *ctx = NULL;
    libdmr_facts *facts = NULL;
    if (argc > 2) {
        fprintf(stderr, "usage: %s [FACTS]\n", argv[0]);
        return 2;
    }
    /* The library logs through our logger, as libxl's does. */
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_NOTICE, 0);
    int rc = lg ? libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg)
                : LIBDMR_ERROR_NOMEM;
    /* Our host, as we describe it: no look at this one. */
    if (!rc)
        rc = libdmr_facts_load(ctx, facts_path, &facts);
    expect(!rc, "a context and the facts");
    if (!rc) {
        scenario_pci(ctx, facts);
        libdmr_plan *p = scenario_range(ctx, facts);
        /* Handed over while domain 5 is recorded: what the library does
         * with a xen domain then goes through it (it prints if so). */
        expect(!libdmr_ctx_set_backend(ctx, LIBDMR_BACKEND_XEN, &pretend_ops, &pretend),
               "the pretend xen backend handed over");
        if (p)
            scenario_foreign(ctx, p);
        expect(!libdmr_ctx_set_backend(ctx, LIBDMR_BACKEND_XEN, NULL, NULL),
               "the pretend xen backend taken back");
        printf("backend: pretend xen handed over and taken back, %u calls\n", pretend.calls);
        libdmr_plan_free(p);
    }
    libdmr_facts_free(facts);
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return failures ? 1 : 0;
}
