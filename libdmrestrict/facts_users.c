/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The users a device-model policy can pick, looked up through NSS
 * (getpwnam_r/getpwuid_r/getgrgid_r) and never by reading /etc/passwd,
 * so LDAP or sssd users count as they do for libxl.
 */
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "launch.h"

/* glibc says "not found" with a NULL result; others use these errnos. */
static bool nss_not_found(int r)
{
    return r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM;
}

static int group_name(gid_t gid, char **ret)
{
    struct group gr, *res = NULL;
    size_t size = 1024;
    for (;;) {
        _cleanup_free_ char *buf = malloc(size);
        if (!buf)
            return -ENOMEM;
        int r = getgrgid_r(gid, &gr, buf, size, &res);
        if (r == ERANGE && size < (1u << 20)) {
            size *= 2;
            continue;
        }
        if (!res)
            return nss_not_found(r) ? 0 : -r;
        *ret = strdup(gr.gr_name);
        return *ret ? 0 : -ENOMEM;
    }
}

static int user_from_passwd(const struct passwd *pw, struct libdmr_user *u)
{
    u->present = true;
    u->uid = pw->pw_uid;
    u->gid = pw->pw_gid;
    u->name = strdup(pw->pw_name);
    if (!u->name)
        return -ENOMEM;
    return group_name(pw->pw_gid, &u->group);
}

/* by_name ? getpwnam_r(name) : getpwuid_r(uid). Absent is not an error. */
static int user_lookup(const char *name, uid_t uid, struct libdmr_user *u)
{
    struct passwd pw, *res = NULL;
    size_t size = 1024;
    for (;;) {
        _cleanup_free_ char *buf = malloc(size);
        if (!buf)
            return -ENOMEM;
        int r = name ? getpwnam_r(name, &pw, buf, size, &res)
                     : getpwuid_r(uid, &pw, buf, size, &res);
        if (r == ERANGE && size < (1u << 20)) {
            size *= 2;
            continue;
        }
        if (!res)
            return nss_not_found(r) ? 0 : -r;
        return user_from_passwd(&pw, u);
    }
}

int facts_users_gather(libdmr_ctx *ctx, const libdmr_config *config,
                       libdmr_facts *facts)
{
    char domid_user[64];
    snprintf(domid_user, sizeof(domid_user), LIBDMR_USER_DOMID_FMT, facts->domid);

    const struct { const char *name; struct libdmr_user *u; } wanted[] = {
        { config->device_model_user, &facts->device_model_user },
        { LIBDMR_USER_RANGE_BASE,    &facts->range_base },
        { domid_user,                &facts->domid_user },
        { LIBDMR_USER_SHARED,        &facts->shared },
        { LIBDMR_USER_REAPER,        &facts->reaper },
    };
    for (size_t i = 0; i < ELEMENTSOF(wanted); i++) {
        if (!wanted[i].name)
            continue;
        int r = user_lookup(wanted[i].name, 0, wanted[i].u);
        if (r < 0) {
            LOGEV(ERROR, -r, "looking up user %s", wanted[i].name);
            return libdmr_error_from_errno(r);
        }
    }

    /* Who runs with device_model_user's uid now: the planner refuses a
     * user the toolstack does not own while anything does. */
    if (facts->device_model_user.present) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = proc_pids_of_uid(facts->device_model_user.uid, &pids, &n);
        if (r < 0) {
            LOGEV(ERROR, -r, "listing the processes of uid %u",
                  (unsigned)facts->device_model_user.uid);
            return libdmr_error_from_errno(r);
        }
        facts->device_model_user_processes = n > UINT_MAX ? UINT_MAX : (unsigned)n;
    }

    /* Who, if anyone, already owns the uid the range would give. The sum
     * is only looked up when it is a real uid; the planner refuses others. */
    const struct libdmr_user *base = &facts->range_base;
    if (base->present && facts->domid != LIBDMR_DOMID_NONE &&
        base->uid <= (uid_t)-2 - facts->domid) {
        uid_t uid = base->uid + facts->domid;
        int r = user_lookup(NULL, uid, &facts->range_uid_owner);
        if (r < 0) {
            LOGEV(ERROR, -r, "looking up uid %u", (unsigned)uid);
            return libdmr_error_from_errno(r);
        }
    }
    return 0;
}
