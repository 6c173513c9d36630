/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl-dmr info: xl info's "key : value" lines, for device models: the
 * versions, the backend a plan gets on this host, what the QEMU binary
 * was probed to offer (the facts, through the probe cache) and the users
 * the device models run as.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "xl-dmr.h"

extern char **environ;

static void line(const char *key, const char *value)
{
    printf("%-24s: %s\n", key, value && value[0] ? value : "(none)");
}

/* The first line of `qemu -version`: the facts have what it can do, not
 * which release it is. NULL when it cannot be run. */
static char *qemu_version(const char *path)
{
    int pipefd[2];
    if (!path || pipe2(pipefd, O_CLOEXEC) < 0)
        return NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    char *const argv[] = { (char *)path, "-version", NULL };
    int r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    char buf[512];
    ssize_t n = r ? -1 : read(pipefd[0], buf, sizeof(buf) - 1);
    close(pipefd[0]);
    int status;
    if (!r)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return strdup(buf);
}

/* Xen's version as the hypervisor gives it in sysfs, on a Xen host. */
static void xen_version(char *buf, size_t size)
{
    static const char *const parts[] = { "major", "minor", "extra" };
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < 3; i++) {
        char path[64], part[32] = "";
        snprintf(path, sizeof(path), "/sys/hypervisor/version/%s", parts[i]);
        FILE *f = fopen(path, "re");
        if (!f || !fgets(part, sizeof(part), f)) {
            if (f)
                fclose(f);
            buf[0] = '\0';
            return;
        }
        fclose(f);
        part[strcspn(part, "\n")] = '\0';
        len += snprintf(buf + len, size > len ? size - len : 0, "%s%s", i == 1 ? "." : "", part);
    }
}

static const char *get_str(yajl_val root, const char **path)
{
    yajl_val v = yajl_tree_get(root, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

/* "NAME (uid N)" of a facts user object, or "(none)". */
static void user_line(yajl_val root, const char *key, const char *member)
{
    const char *name_path[] = { "users", member, "name", NULL };
    const char *uid_path[] = { "users", member, "uid", NULL };
    const char *name = get_str(root, name_path);
    yajl_val uid = yajl_tree_get(root, uid_path, yajl_t_number);
    char value[128];
    if (name && uid)
        snprintf(value, sizeof(value), "%s (uid %s)", name, YAJL_GET_NUMBER(uid));
    line(key, name && uid ? value : NULL);
}

/* The capabilities the probe found, by their facts names (docs/facts-json.md). */
static void qemu_lines(yajl_val root)
{
    const char *qemu_path[] = { "qemu", NULL };
    yajl_val q = yajl_tree_get(root, qemu_path, yajl_t_object);
    const char *path_path[] = { "qemu", "path", NULL };
    const char *path = get_str(root, path_path);
    line("qemu", path);
    char *version = qemu_version(path);
    line("qemu_version", version);
    free(version);
    char caps[512] = "", machines[2048] = "";
    size_t len = 0;
    for (size_t i = 0; q && i < q->u.object.len; i++) {
        const char *k = q->u.object.keys[i];
        if (YAJL_IS_TRUE(q->u.object.values[i]) && strcmp(k, "present"))
            len += snprintf(caps + len, len < sizeof(caps) ? sizeof(caps) - len : 0, "%s%s",
                            len ? " " : "", k);
    }
    line("qemu_caps", caps);
    const char *m_path[] = { "qemu", "machines", NULL };
    yajl_val m = yajl_tree_get(root, m_path, yajl_t_array);
    /* The versioned ones (pc-q35-7.2) counted, not listed. */
    size_t versioned = 0;
    len = 0;
    for (size_t i = 0; m && i < m->u.array.len; i++) {
        const char *name = YAJL_GET_STRING(m->u.array.values[i]);
        if (name && strchr(name, '.'))
            versioned++;
        else if (name)
            len += snprintf(machines + len, len < sizeof(machines) ? sizeof(machines) - len : 0,
                            "%s%s", len ? " " : "", name);
    }
    if (versioned && len < sizeof(machines))
        snprintf(machines + len, sizeof(machines) - len, " (and %zu versioned)", versioned);
    line("qemu_machines", machines);
}

static const char *backend_name(enum libdmr_backend b)
{
    return b == LIBDMR_BACKEND_XEN ? "xen" : b == LIBDMR_BACKEND_QEMU ? "qemu" : "auto";
}

/* The facts a plain HVM config gets, and the backend its plan chooses. */
static int host_facts(struct xl_dmr *x, char **ret_json, enum libdmr_backend *ret_backend)
{
    libdmr_config *config = NULL;
    libdmr_facts *facts = NULL;
    libdmr_plan *plan = NULL;
    int rc = libdmr_config_new(x->ctx, "info", &config);
    if (!rc)
        rc = libdmr_config_set_type(x->ctx, config, LIBDMR_GUEST_HVM);
    if (!rc)
        rc = libdmr_facts_gather(x->ctx, config, &facts);
    if (!rc)
        rc = libdmr_facts_to_json(x->ctx, facts, ret_json);
    if (!rc)
        rc = libdmr_plan_compute(x->ctx, config, facts, &plan);
    *ret_backend = rc ? LIBDMR_BACKEND_AUTO : libdmr_plan_backend(plan);
    libdmr_plan_free(plan);
    libdmr_facts_free(facts);
    libdmr_config_free(config);
    return rc;
}

int main_info(struct xl_dmr *x, int argc, char **argv)
{
    int status;
    if (opts_operands(x->cmd, argc, argv, &status) < 0)
        return status;
    char *json = NULL;
    enum libdmr_backend backend;
    if (host_facts(x, &json, &backend)) {
        free(json);
        return EXIT_ERROR;
    }
    char err[256];
    yajl_val root = yajl_tree_parse(json, err, sizeof(err));
    free(json);
    if (!root) {
        fprintf(stderr, "xl-dmr info: the facts are not JSON: %s\n", err);
        return EXIT_ERROR;
    }
    char xen[64];
    xen_version(xen, sizeof(xen));
    line("xl_dmr_version", PACKAGE_VERSION);
    printf("%-24s: %d\n", "libdmrestrict_api", LIBDMR_VERSION);
    line("xen_version", xen);
    const char *dom0_path[] = { "xen_dom0", NULL };
    const char *kvm_path[] = { "kvm_usable", NULL };
    line("xen_dom0", YAJL_IS_TRUE(yajl_tree_get(root, dom0_path, yajl_t_true)) ? "yes" : "no");
    line("kvm_usable", YAJL_IS_TRUE(yajl_tree_get(root, kvm_path, yajl_t_true)) ? "yes" : "no");
    line("backend", backend_name(backend));
    qemu_lines(root);
    user_line(root, "range_base_user", "range_base");
    user_line(root, "shared_user", "shared");
    user_line(root, "reaper_user", "reaper");
    yajl_tree_free(root);
    return EXIT_OK;
}
