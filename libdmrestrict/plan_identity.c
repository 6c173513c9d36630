/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who the device model runs as: the one place this is decided.
 *
 * The rules follow libxl's libxl__domain_get_device_model_uid (Xen 4.12+)
 * with the legacy-PCI rule of the "QEMU as non-root and PCI passthrough do
 * not mix" patch in front, and Xen 4.7's xen-qemuuser-domid$N kept before
 * the shared user. The first rule that applies wins:
 *
 *   1. xen backend with PCI passthrough: qemu-xen needs root. Without
 *      dm_restrict, root with a warning; with it, a refusal.
 *   2. device_model_user: that user, never uid 0 (restricted or not);
 *      killed by uid only when the uid is one rules 4-5 would give this
 *      domain, else refused while other processes run with it.
 *   3. dm_restrict off: root, no -runas.
 *   4. xen-qemuuser-range-base: its uid + domid, its gid.
 *   5. xen-qemuuser-domid$N.
 *   6. xen-qemuuser-shared, with a warning (no kill by uid).
 *   7. nothing: refuse; a restricted DM never falls back to root.
 *
 * A restricted result with uid or gid 0 is refused whatever its name.
 * Pure: facts in, identity out; no lookups here.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int id_set(struct plan_identity *id, enum libdmr_uid_source source,
                  const char *user, uid_t uid, gid_t gid, bool kill_by_uid,
                  const char *reason)
{
    id->source = source;
    id->uid = uid;
    id->gid = gid;
    id->kill_by_uid = kill_by_uid;
    id->user = strdup(user);
    id->reason = strdup(reason);
    return id->user && id->reason ? 0 : -ENOMEM;
}

static int id_set_user(struct plan_identity *id, enum libdmr_uid_source source,
                       const struct libdmr_user *u, bool kill_by_uid,
                       const char *reason)
{
    return id_set(id, source, u->name, u->uid, u->gid, kill_by_uid, reason);
}

static int id_set_shared(struct plan_identity *id, const struct libdmr_user *u,
                         const char *reason, struct plan_verdict *v)
{
    int r = id_set_user(id, LIBDMR_SOURCE_SHARED, u, false, reason);
    return r ? r : verdict_warn(v,
        "the device model runs as the shared user %s (uid %u), which other "
        "domains' device models share: it cannot be killed by uid, and one "
        "compromised device model can signal or ptrace the others",
        u->name, (unsigned)u->uid);
}

static int pci_list(const libdmr_config *c, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < c->n_pci; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s" LIBDMR_BDF_FMT, i ? ", " : "",
                 LIBDMR_BDF_ARGS(&c->pci[i]));
    }
    return 0;
}

/* Rule 1. Returns 1 when it applied, 0 when not, or -ENOMEM. */
static int rule_xen_legacy_pci(const libdmr_config *c, enum libdmr_backend backend,
                               struct plan_identity *id, struct plan_verdict *v)
{
    if (backend != LIBDMR_BACKEND_XEN || c->n_pci == 0)
        return 0;
    char devices[512];
    pci_list(c, devices, sizeof(devices));
    if (c->dm_restrict) {
        int r = verdict_refuse(v, LIBDMR_ERROR_REFUSED,
            "dm_restrict=1 with PCI passthrough (%s) on the xen backend: "
            "qemu-xen needs root for it (it maps the MSI-X table through "
            "/dev/mem and writes sysfs); remove the pci line, set "
            "dm_restrict=0, or use dm_backend=\"qemu\" (VFIO stays unprivileged)",
            devices);
        return r ? r : 1;
    }
    int r = id_set(id, LIBDMR_SOURCE_ROOT, "root", 0, 0, false,
                   "PCI passthrough on the xen backend needs a root device model");
    if (!r)
        r = verdict_warn(v, "Cannot run QEMU as non-root when PCI devices are "
                         "being assigned to the guest VM");
    return r ? r : 1;
}

/* Is uid what xen-qemuuser-range-base gives some domain other than domid? */
static bool uid_of_another_domain(const libdmr_facts *f, uid_t uid, uint32_t domid)
{
    const struct libdmr_user *base = &f->range_base;
    return base->present && uid > base->uid && uid - base->uid <= LIBDMR_DOMID_MAX &&
           uid - base->uid != domid;
}

/*
 * Is uid one the toolstack gives this domain alone: the range's uid for
 * domid, or xen-qemuuser-domid<domid>'s? Only such a uid is killed by
 * uid; any other user's processes are not the toolstack's to kill (a
 * device_model_user "nobody" shares its uid with half the host).
 */
static bool uid_owned_for_domain(const libdmr_facts *f, uid_t uid, uint32_t domid)
{
    const struct libdmr_user *base = &f->range_base;
    if (domid == LIBDMR_DOMID_NONE)
        return false;
    return (base->present && uid > base->uid && uid - base->uid == domid) ||
           (f->domid_user.present && f->domid_user.uid == uid);
}

/* A device_model_user that is not the toolstack's: never killed by uid,
 * so nothing else may run with it (the DM could signal or ptrace it). */
static int foreign_user(const libdmr_facts *f, uint32_t domid, const struct libdmr_user *u,
                        struct plan_verdict *v)
{
    if (f->device_model_user_processes)
        return verdict_refuse(v, LIBDMR_ERROR_REFUSED,
            "device_model_user \"%s\" (uid %u) already runs %u process(es) on this host: "
            "it is not a user the toolstack owns, so they are never killed, and the device "
            "model would share a uid with them (it could signal or ptrace them); use a "
            "per-domain user (%s or " LIBDMR_USER_DOMID_FMT ")",
            u->name, (unsigned)u->uid, f->device_model_user_processes,
            LIBDMR_USER_RANGE_BASE, domid == LIBDMR_DOMID_NONE ? 0 : domid);
    if (uid_of_another_domain(f, u->uid, domid))
        return verdict_warn(v, "device_model_user %s has uid %u, the range uid of "
                            "another domain: it is not this domain's alone, so it is "
                            "not killed by uid", u->name, (unsigned)u->uid);
    return verdict_notice(v, "device_model_user %s (uid %u) is not a uid the toolstack "
                          "owns: it is never killed by uid; its device model is killed "
                          "through its pidfd", u->name, (unsigned)u->uid);
}

/* Rule 2. */
static int rule_device_model_user(const libdmr_config *c, const libdmr_facts *f,
                                  uint32_t domid, struct plan_identity *id,
                                  struct plan_verdict *v)
{
    const struct libdmr_user *u = &f->device_model_user;
    if (!c->device_model_user)
        return 0;
    int r;
    if (!u->present)
        r = verdict_refuse(v, LIBDMR_ERROR_NOTFOUND,
                           "device_model_user \"%s\" does not exist",
                           c->device_model_user);
    else if (u->uid == 0)
        r = verdict_refuse(v, LIBDMR_ERROR_REFUSED,
                           "device_model_user \"%s\" has uid 0: a device model "
                           "is never run as root through device_model_user",
                           u->name);
    else if (!strcmp(u->name, LIBDMR_USER_SHARED) ||
             (f->shared.present && u->uid == f->shared.uid))
        /* libxl would kill by uid here, killing every other shared DM. */
        r = id_set_shared(id, u, "device_model_user is the shared user", v);
    else if (uid_owned_for_domain(f, u->uid, domid))
        r = id_set_user(id, LIBDMR_SOURCE_DEVICE_MODEL_USER, u, true, "device_model_user");
    else {
        r = id_set_user(id, LIBDMR_SOURCE_DEVICE_MODEL_USER, u, false, "device_model_user");
        if (!r)
            r = foreign_user(f, domid, u, v);
    }
    return r ? r : 1;
}

/* Rule 4. */
static int rule_range(const libdmr_facts *f, uint32_t domid,
                      struct plan_identity *id, struct plan_verdict *v)
{
    const struct libdmr_user *base = &f->range_base;
    if (!base->present)
        return 0;
    int r;
    char user[64], reason[128];
    if (domid == LIBDMR_DOMID_NONE) {
        /* A toolstack that has not chosen the domid yet: the rule, not the uid. */
        snprintf(reason, sizeof(reason), "%s (uid %u) + the domid, once it is chosen",
                 LIBDMR_USER_RANGE_BASE, (unsigned)base->uid);
        r = id_set(id, LIBDMR_SOURCE_RANGE, LIBDMR_USER_RANGE_BASE "+DOMID", (uid_t)-1,
                   base->gid, true, reason);
        id->uid_pending = true;
        return r ? r : 1;
    }
    /* (uid_t)-1 means "unchanged" to setresuid: never a real uid. */
    if (base->uid > (uid_t)-2 - domid) {
        r = verdict_refuse(v, LIBDMR_ERROR_REFUSED,
            "%s's uid %u + domid %u is past the last uid (%u)",
            LIBDMR_USER_RANGE_BASE, (unsigned)base->uid, domid, (unsigned)(uid_t)-2);
    } else if (f->range_uid_owner.present) {
        r = verdict_refuse(v, LIBDMR_ERROR_REFUSED,
            "uid %u (%s %u + domid %u) already belongs to user \"%s\"; "
            "move %s to a free range",
            (unsigned)(base->uid + domid), LIBDMR_USER_RANGE_BASE,
            (unsigned)base->uid, domid, f->range_uid_owner.name,
            LIBDMR_USER_RANGE_BASE);
    } else {
        snprintf(user, sizeof(user), "%s+%u", LIBDMR_USER_RANGE_BASE, domid);
        snprintf(reason, sizeof(reason), "%s (uid %u) + domid %u",
                 LIBDMR_USER_RANGE_BASE, (unsigned)base->uid, domid);
        r = id_set(id, LIBDMR_SOURCE_RANGE, user, base->uid + domid, base->gid,
                   true, reason);
    }
    return r ? r : 1;
}

static int choose_user(const libdmr_config *c, const libdmr_facts *f,
                       enum libdmr_backend backend, uint32_t domid,
                       struct plan_identity *id, struct plan_verdict *v)
{
    int r;
    if ((r = rule_xen_legacy_pci(c, backend, id, v)) ||
        (r = rule_device_model_user(c, f, domid, id, v)))
        return r < 0 ? r : 0;
    if (!c->dm_restrict) {
        r = id_set(id, LIBDMR_SOURCE_ROOT, "root", 0, 0, false, "dm_restrict is off");
        return r ? r : verdict_notice(v, "dm_restrict is off: the device model "
                                      "runs as root, with no chroot and no sandbox");
    }
    if ((r = rule_range(f, domid, id, v)))
        return r < 0 ? r : 0;
    if (f->domid_user.present && domid != LIBDMR_DOMID_NONE) {
        char reason[64];
        snprintf(reason, sizeof(reason), "the per-domain user " LIBDMR_USER_DOMID_FMT, domid);
        return id_set_user(id, LIBDMR_SOURCE_DOMID_USER, &f->domid_user, true, reason);
    }
    if (f->shared.present)
        return id_set_shared(id, &f->shared, "no per-domain user exists", v);
    return verdict_refuse(v, LIBDMR_ERROR_REFUSED,
        "cannot restrict the device model: no %s, " LIBDMR_USER_DOMID_FMT
        " or %s user exists (create %s, see xl-dmr(1)), or set dm_restrict=0",
        LIBDMR_USER_RANGE_BASE, domid, LIBDMR_USER_SHARED, LIBDMR_USER_RANGE_BASE);
}

/*
 * The reaper's real uid: no device model's, so no DM can signal it first.
 * xen-qemuuser-reaper, else the range base (domids start at 1).
 */
static int choose_reaper(const libdmr_facts *f, struct plan_identity *id,
                         struct plan_verdict *v)
{
    const struct libdmr_user *base = &f->range_base;
    const struct libdmr_user *candidates[] = { &f->reaper, base };
    for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
        const struct libdmr_user *u = candidates[i];
        bool is_a_dm_uid = base->present && u->uid > base->uid &&
                           u->uid - base->uid <= LIBDMR_DOMID_MAX;
        if (!u->present || u->uid == 0 || u->uid == id->uid || is_a_dm_uid)
            continue;
        id->has_reaper = true;
        id->reaper_uid = u->uid;
        id->reaper_user = strdup(u->name);
        return id->reaper_user ? 0 : -ENOMEM;
    }
    id->kill_by_uid = false;
    return verdict_warn(v, "no reaper uid (neither %s nor %s fits): kill by uid "
                        "is off, so a process left with uid %u survives destroy",
                        LIBDMR_USER_REAPER, LIBDMR_USER_RANGE_BASE, (unsigned)id->uid);
}

static const struct libdmr_subid_range *
subid_covering(const struct libdmr_subid_ranges *s, uint64_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (id >= s->r[i].start && id - s->r[i].start < s->r[i].count)
            return &s->r[i];
    return NULL;
}

static int warn_subid_overlap(const libdmr_facts *f, const struct plan_identity *id,
                              struct plan_verdict *v)
{
    const struct libdmr_subid_range *u = subid_covering(&f->subuid, id->uid);
    const struct libdmr_subid_range *g = subid_covering(&f->subgid, id->gid);
    int r = 0;
    if (u)
        r = verdict_warn(v, "the device model's uid %u lies in %s's subordinate "
                         "uid range %llu-%llu (/etc/subuid): that user's "
                         "containers can run processes with it",
                         (unsigned)id->uid, u->owner, (unsigned long long)u->start,
                         (unsigned long long)(u->start + u->count - 1));
    if (!r && g)
        r = verdict_warn(v, "the device model's gid %u lies in %s's subordinate "
                         "gid range %llu-%llu (/etc/subgid)",
                         (unsigned)id->gid, g->owner, (unsigned long long)g->start,
                         (unsigned long long)(g->start + g->count - 1));
    const struct libdmr_subid_range *reaper =
        id->has_reaper ? subid_covering(&f->subuid, id->reaper_uid) : NULL;
    if (!r && reaper)
        r = verdict_warn(v, "the reaper uid %u lies in %s's subordinate uid range "
                         "%llu-%llu (/etc/subuid): that user's containers could "
                         "kill the reaper", (unsigned)id->reaper_uid, reaper->owner,
                         (unsigned long long)reaper->start,
                         (unsigned long long)(reaper->start + reaper->count - 1));
    return r;
}

/*
 * Must the uid be this domain's alone? A second device model with the
 * same uid could signal and ptrace this one, and kill by uid would take
 * it down too: create refuses it. The shared user is shared by design
 * (the warning says what that costs), and root is everybody's.
 */
static bool uid_exclusive(enum libdmr_uid_source source)
{
    return source != LIBDMR_SOURCE_SHARED && source != LIBDMR_SOURCE_ROOT;
}

int plan_identity(const libdmr_config *config, const libdmr_facts *facts,
                  enum libdmr_backend backend, uint32_t domid,
                  struct plan_identity *ret_id, struct plan_verdict *v)
{
    struct plan_identity id = { 0 };
    int r = choose_user(config, facts, backend, domid, &id, v);
    if (r || v->refusal_rc)
        goto out;
    if (config->dm_restrict && (id.uid == 0 || id.gid == 0)) {
        r = verdict_refuse(v, LIBDMR_ERROR_REFUSED,
            "dm_restrict=1 but the device model would run as %s with uid %u "
            "gid %u: a restricted device model never has uid or gid 0",
            id.user, (unsigned)id.uid, (unsigned)id.gid);
        goto out;
    }
    id.uid_exclusive = uid_exclusive(id.source);
    if (id.kill_by_uid)
        r = choose_reaper(facts, &id, v);
    if (!r && id.source != LIBDMR_SOURCE_ROOT && !id.uid_pending)
        r = warn_subid_overlap(facts, &id, v);
    /* The kernel counts a task of a user namespace under the uid that
     * made the namespace, not the uid mapped into it: where a user's
     * subordinate range covers the uid, that user's containers can run
     * tasks with it that only a walk of /proc sees. */
    id.uid_counted = id.kill_by_uid && !id.uid_pending && !subid_covering(&facts->subuid, id.uid);
out:
    if (r || v->refusal_rc) {
        plan_identity_clear(&id);
        return r;
    }
    *ret_id = id;
    return 0;
}

void plan_identity_clear(struct plan_identity *id)
{
    free(id->user);
    free(id->reaper_user);
    free(id->reason);
    memset(id, 0, sizeof(*id));
}
