/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xl-dmr host check and host setup. What the host offers is gathered here
 * (NSS for users, /etc/login.defs, /etc/subuid and /etc/subgid, the QEMU
 * probe, the kernel, the run directories); host_judge.c says what is wrong
 * and which base uid fits. Setup creates the users with adduser, as the
 * Xen documentation does, and only the ones that are missing.
 */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "host.h"
#include "launch.h"

extern char **environ;

static int passwd_enumerate(struct host_facts *h)
{
    setpwent();
    int r = 0;
    for (;;) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        int e = getpwent_r(&pw, buf, sizeof(buf), &res);
        if (e || !res)
            break;  /* ENOENT: the end */
        struct host_passwd_entry *grown = realloc(h->passwd, (h->n_passwd + 1) * sizeof(*grown));
        if (!grown) {
            r = -ENOMEM;
            break;
        }
        h->passwd = grown;
        grown[h->n_passwd] = (struct host_passwd_entry){ .name = strdup(pw.pw_name), .uid = pw.pw_uid };
        if (!grown[h->n_passwd++].name) {
            r = -ENOMEM;
            break;
        }
    }
    endpwent();
    return r;
}

/* useradd's defaults (shadow-utils) for what login.defs does not set. */
static void login_defs_read(struct login_defs *d)
{
    *d = (struct login_defs){ .uid_min = 1000, .uid_max = 60000, .sub_uid_min = 100000,
                              .sub_uid_max = 600100000, .sub_gid_min = 100000,
                              .sub_gid_max = 600100000 };
    FILE *f = fopen("/etc/login.defs", "re");
    if (!f)
        return;
    struct { const char *key; uint64_t *v; } keys[] = {
        { "UID_MIN", &d->uid_min }, { "UID_MAX", &d->uid_max },
        { "SUB_UID_MIN", &d->sub_uid_min }, { "SUB_UID_MAX", &d->sub_uid_max },
        { "SUB_GID_MIN", &d->sub_gid_min }, { "SUB_GID_MAX", &d->sub_gid_max },
    };
    char line[512], key[64];
    unsigned long long value;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, " %63s %llu", key, &value) == 2)
            for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (!strcmp(key, keys[i].key))
                    *keys[i].v = value;
    fclose(f);
}

static bool seccomp_filters(void)
{
    char buf[256] = "";
    int fd = open("/proc/sys/kernel/seccomp/actions_avail", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    safe_close(fd);
    return n > 0 && strstr(buf, "kill_process");
}

/* Can a child make the mount and IPC namespaces a DM gets? */
static bool namespaces_work(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0);
    int status;
    return pid > 0 && !wait_child(pid, &status) && WIFEXITED(status) && !WEXITSTATUS(status);
}

static void dir_check(struct host_dir *d, const char *path)
{
    struct stat st;
    *d = (struct host_dir){ .path = path };
    if (lstat(path, &st) < 0)
        return;
    d->present = true;
    d->mode = st.st_mode & 07777;
    d->uid = st.st_uid;
    d->ok = S_ISDIR(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 022);
}

int host_facts_gather(libdmr_ctx *ctx, struct host_facts *h)
{
    *h = (struct host_facts){ 0 };
    /* The users every policy looks up, as for a domain 1 with no cfg user. */
    libdmr_config none = { .name = (char *)"host-check", .requested_domid = 1 };
    int rc = facts_users_gather(ctx, &none, &h->facts);
    if (!rc) rc = facts_subid_gather(ctx, &h->facts);
    /* Before QEMU's facts: a dom0 has qemu-xen, and runs no accelerator probe. */
    h->facts.xen_dom0 = host_is_xen_dom0();
    if (!rc) rc = facts_qemu_gather(ctx, &none, &h->facts);
    if (!rc) rc = facts_accel_probe(ctx, &h->facts);  /* afresh, into the cache */
    if (!rc) rc = facts_pci_gather(ctx, &none, &h->facts);
    if (rc)
        return rc;
    if (passwd_enumerate(h))
        return LIBDMR_ERROR_NOMEM;
    login_defs_read(&h->defs);
    h->subuid_file = access("/etc/subuid", F_OK) == 0;
    h->seccomp_filter = seccomp_filters();
    h->namespaces = namespaces_work();
    h->vfio_module = access("/sys/module/vfio_pci", F_OK) == 0;
    dir_check(&h->dirs[0], LIBDMR_RUN_DIR);
    dir_check(&h->dirs[1], LIBDMR_LOG_DIR);
    dir_check(&h->dirs[2], LIBDMR_CACHE_DIR);
    return 0;
}

void host_facts_clear(struct host_facts *h)
{
    for (size_t i = 0; i < h->n_passwd; i++)
        free(h->passwd[i].name);
    free(h->passwd);
    facts_clear(&h->facts);
    *h = (struct host_facts){ 0 };
}

int libdmr_host_check(libdmr_ctx *ctx, libdmr_host_report **ret)
{
    if (!ctx || !ret)
        return LIBDMR_ERROR_INVAL;
    struct host_facts h;
    int rc = host_facts_gather(ctx, &h);
    libdmr_host_report *r = rc ? NULL : calloc(1, sizeof(*r));
    if (!rc && !r)
        rc = LIBDMR_ERROR_NOMEM;
    if (!rc && host_judge(&h, r))
        rc = LIBDMR_ERROR_NOMEM;
    host_facts_clear(&h);
    if (rc) {
        libdmr_host_report_free(r);
        return rc;
    }
    *ret = r;
    return 0;
}

size_t libdmr_host_report_count(const libdmr_host_report *r)
{
    return r->n;
}

int libdmr_host_report_item(const libdmr_host_report *r, size_t i, const char **ret_name,
                            int *ret_status, const char **ret_detail, const char **ret_fix)
{
    if (!r || i >= r->n)
        return LIBDMR_ERROR_INVAL;
    const struct host_item *it = &r->items[i];
    if (ret_name) *ret_name = it->name;
    if (ret_status) *ret_status = it->status == HOST_OK ? LIBDMR_HOST_OK
                                : it->status == HOST_WARN ? LIBDMR_HOST_WARN : LIBDMR_HOST_FAIL;
    if (ret_detail) *ret_detail = it->detail;
    if (ret_fix) *ret_fix = it->fix;
    return 0;
}

bool libdmr_host_report_failed(const libdmr_host_report *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].status == HOST_FAIL)
            return true;
    return false;
}

void libdmr_host_report_free(libdmr_host_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i].detail);
    free(r->items);
    free(r);
}

/* adduser ARGS... (NULL-terminated), as the Xen docs create these users. */
static int run_adduser(libdmr_ctx *ctx, char *const argv[], const char *user)
{
    pid_t pid;
    int r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (r) {
        LOGEV(ERROR, r, "running adduser for %s", user);
        return LIBDMR_ERROR_FAIL;
    }
    int status = 0;
    if (wait_child(pid, &status) || !WIFEXITED(status) || WEXITSTATUS(status)) {
        LOG(ERROR, "adduser for %s failed (exit status %d)", user,
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return LIBDMR_ERROR_FAIL;
    }
    return 0;
}

/* Make user with adduser (or say what would be run); a line for the report. */
static int add_user(libdmr_ctx *ctx, const char *user, const char *uid, bool dry_run,
                    const char *why, struct strv *lines)
{
    char *argv[10];
    size_t n = 0;
    argv[n++] = (char *)"adduser";
    argv[n++] = (char *)"--system";
    argv[n++] = (char *)"--group";
    argv[n++] = (char *)"--no-create-home";
    argv[n++] = (char *)"--quiet";
    if (uid) {
        argv[n++] = (char *)"--uid";
        argv[n++] = (char *)uid;
    }
    argv[n++] = (char *)user;
    argv[n] = NULL;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "adduser --system --group --no-create-home%s%s %s",
             uid ? " --uid " : "", uid ? uid : "", user);
    if (strv_pushf(lines, "%s: %s %s (%s)", user, dry_run ? "would run" : "ran", cmd, why))
        return LIBDMR_ERROR_NOMEM;
    return dry_run ? 0 : run_adduser(ctx, argv, user);
}

static int setup_range_base(libdmr_ctx *ctx, const struct host_facts *h, bool dry_run,
                            struct strv *lines)
{
    const struct libdmr_user *b = &h->facts.range_base;
    if (b->present)
        return strv_pushf(lines, "%s: already there, uid %u; left as it is (host check "
                          "judges it)", LIBDMR_USER_RANGE_BASE, (unsigned)b->uid)
                   ? LIBDMR_ERROR_NOMEM : 0;
    uint64_t base;
    char passed[2048], why[2304], uid[24];
    if (host_choose_base(h, &base, passed, sizeof(passed))) {
        LOG(ERROR, "no base uid leaves room for %u device models: %s", LIBDMR_DOMID_MAX, passed);
        return LIBDMR_ERROR_FAIL;
    }
    snprintf(uid, sizeof(uid), "%llu", (unsigned long long)base);
    snprintf(why, sizeof(why), "%llu..%llu meets no user, no subordinate range and none "
             "useradd will hand out%s%s", (unsigned long long)base,
             (unsigned long long)base + LIBDMR_DOMID_MAX, passed[0] ? "; passed over: " : "",
             passed);
    return add_user(ctx, LIBDMR_USER_RANGE_BASE, uid, dry_run, why, lines);
}

int libdmr_host_setup(libdmr_ctx *ctx, bool dry_run, char ***ret_lines, size_t *ret_n)
{
    if (!ctx || !ret_lines || !ret_n)
        return LIBDMR_ERROR_INVAL;
    struct host_facts h;
    struct strv lines = { 0 };
    int rc = host_facts_gather(ctx, &h);
    if (!rc)
        rc = setup_range_base(ctx, &h, dry_run, &lines);
    /* The shared user is only ever a fallback; the reaper kills by uid
     * from a uid no device model has. Both get system uids. */
    if (!rc && !h.facts.shared.present)
        rc = add_user(ctx, LIBDMR_USER_SHARED, NULL, dry_run, "a fallback the range base makes "
                      "unused, as the Xen docs create it", &lines);
    else if (!rc)
        rc = strv_pushf(&lines, "%s: already there, uid %u", LIBDMR_USER_SHARED,
                        (unsigned)h.facts.shared.uid) ? LIBDMR_ERROR_NOMEM : 0;
    if (!rc && !h.facts.reaper.present)
        rc = add_user(ctx, LIBDMR_USER_REAPER, NULL, dry_run, "kills device models by uid "
                      "from a uid none of them has", &lines);
    else if (!rc)
        rc = strv_pushf(&lines, "%s: already there, uid %u", LIBDMR_USER_REAPER,
                        (unsigned)h.facts.reaper.uid) ? LIBDMR_ERROR_NOMEM : 0;
    host_facts_clear(&h);
    *ret_n = lines.n;
    *ret_lines = lines.v;  /* NULL-terminated when not empty */
    if (rc) {
        strv_clear(&lines);
        *ret_lines = NULL;
        *ret_n = 0;
    }
    return rc;
}
