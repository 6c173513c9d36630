/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-domain state: /run/xl-dmr/domains/<domid>.json, written atomically
 * (write, fsync, rename) with what destroy and list need and the whole
 * plan; and the host-wide lock, which is /run/xl-dmr itself.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "json.h"
#include "launch.h"

#define STATE_MAX (1u << 20)

int run_dirs_ensure(libdmr_ctx *ctx)
{
    const char *dirs[] = { LIBDMR_RUN_DIR, LIBDMR_STATE_DIR };
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        if (mkdir(dirs[i], 0755) < 0 && errno != EEXIST) {
            LOGE(ERROR, "creating %s", dirs[i]);
            return -errno;
        }
        _cleanup_close_ int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
            LOG(ERROR, "%s is not a directory private to root", dirs[i]);
            return -EPERM;
        }
    }
    return 0;
}

int run_lock(libdmr_ctx *ctx)
{
    /* The lock is the run directory itself, so no lock file outlives the
     * last domain; a directory removed while we waited is made anew. */
    for (int attempt = 0; attempt < 10; attempt++) {
        int r = run_dirs_ensure(ctx);
        if (r)
            return r;
        int fd = open(LIBDMR_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) < 0) {
            LOGE(ERROR, "locking %s", LIBDMR_RUN_DIR);
            safe_close(fd);
            return -EIO;
        }
        struct stat held, now;
        if (fstat(fd, &held) == 0 && held.st_nlink > 0 &&
            stat(LIBDMR_RUN_DIR, &now) == 0 && now.st_ino == held.st_ino &&
            now.st_dev == held.st_dev)
            return fd;
        safe_close(fd);
    }
    LOG(ERROR, "%s keeps disappearing", LIBDMR_RUN_DIR);
    return -EAGAIN;
}

void run_dirs_release(void)
{
    /* Only empty directories go; a live domain, or a device made
     * assignable (its record in assignable/), keeps them. */
    if (rmdir(LIBDMR_STATE_DIR) == 0 || errno == ENOENT)
        rmdir(LIBDMR_RUN_DIR);
}

static void state_path(uint32_t domid, char *buf, size_t size, const char *suffix)
{
    snprintf(buf, size, "%u.json%s", domid, suffix);
}

int state_write(libdmr_ctx *ctx, const struct dm_state *s, const libdmr_plan *plan)
{
    yajl_gen g = json_begin();
    if (!g)
        return -ENOMEM;
    yajl_gen_map_open(g);
    json_kint(g, "domid", s->domid);
    json_kstr(g, "name", s->name);
    json_kint(g, "memory", s->memory_mb);
    json_kint(g, "vcpus", s->vcpus);
    json_kint(g, "dm_pid", s->dm.pid);
    json_kint(g, "dm_start", (long long)s->dm.start);
    json_kint(g, "logger_pid", s->logger.pid);
    json_kint(g, "logger_start", (long long)s->logger.start);
    json_kstr(g, "qmp", s->qmp_path);
    json_kstr(g, "chroot", s->chroot);
    json_kstr(g, "log", s->log_path);
    json_kint(g, "dm_uid", s->dm_uid);
    json_kint(g, "dm_gid", s->dm_gid);
    json_kstr(g, "dm_user", s->dm_user);
    json_kstr(g, "source", s->source);
    json_kbool(g, "kill_by_uid", s->kill_by_uid);
    json_key(g, "reaper_uid");
    if (s->has_reaper)
        yajl_gen_integer(g, s->reaper_uid);
    else
        yajl_gen_null(g);
    json_key(g, "plan");
    plan_json_gen(g, plan);
    yajl_gen_map_close(g);
    _cleanup_free_ char *text = NULL;
    if (json_finish(g, &text))
        return -ENOMEM;

    char name[32], tmp[40];
    state_path(s->domid, name, sizeof(name), "");
    state_path(s->domid, tmp, sizeof(tmp), ".tmp");
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int fd = dirfd < 0 ? -1 :
        openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 ||
        renameat(dirfd, tmp, dirfd, name) < 0) {
        LOGED(ERROR, s->domid, "writing the state file %s/%s", LIBDMR_STATE_DIR, name);
        if (dirfd >= 0)
            unlinkat(dirfd, tmp, 0);
        return -EIO;
    }
    return 0;
}

static char *get_str(yajl_val root, const char *key)
{
    const char *path[] = { key, NULL };
    yajl_val v = yajl_tree_get(root, path, yajl_t_string);
    const char *str = v ? YAJL_GET_STRING(v) : NULL;
    return str ? strdup(str) : NULL;
}

static long long get_int(yajl_val root, const char *key, bool *ok)
{
    const char *path[] = { key, NULL };
    yajl_val v = yajl_tree_get(root, path, yajl_t_number);
    if (!v || !YAJL_IS_INTEGER(v)) {
        *ok = false;
        return 0;
    }
    return YAJL_GET_INTEGER(v);
}

static int state_parse(const char *text, struct dm_state *s)
{
    yajl_val root = yajl_tree_parse(text, NULL, 0);
    if (!root || !YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        return -EINVAL;
    }
    bool ok = true;
    s->domid = get_int(root, "domid", &ok);
    s->memory_mb = get_int(root, "memory", &ok);
    s->vcpus = get_int(root, "vcpus", &ok);
    s->dm.pid = get_int(root, "dm_pid", &ok);
    s->dm.start = get_int(root, "dm_start", &ok);
    s->logger.pid = get_int(root, "logger_pid", &ok);
    s->logger.start = get_int(root, "logger_start", &ok);
    s->dm_uid = get_int(root, "dm_uid", &ok);
    s->dm_gid = get_int(root, "dm_gid", &ok);
    bool has_reaper = true;
    s->reaper_uid = get_int(root, "reaper_uid", &has_reaper);
    s->has_reaper = has_reaper;
    const char *kpath[] = { "kill_by_uid", NULL };
    s->kill_by_uid = YAJL_IS_TRUE(yajl_tree_get(root, kpath, yajl_t_true));
    s->name = get_str(root, "name");
    s->qmp_path = get_str(root, "qmp");
    s->chroot = get_str(root, "chroot");
    s->log_path = get_str(root, "log");
    s->dm_user = get_str(root, "dm_user");
    s->source = get_str(root, "source");
    yajl_tree_free(root);
    return ok && s->name && s->qmp_path && s->log_path ? 0 : -EINVAL;
}

static int state_read_at(int dirfd, const char *name, struct dm_state *ret)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATE_MAX)
        return -EINVAL;
    _cleanup_free_ char *text = malloc(st.st_size + 1);
    if (!text)
        return -ENOMEM;
    if (read(fd, text, st.st_size) != st.st_size)
        return -EIO;
    text[st.st_size] = '\0';
    struct dm_state s = { 0 };
    int r = state_parse(text, &s);
    if (r) {
        state_clear(&s);
        return r;
    }
    *ret = s;
    return 0;
}

int state_read(libdmr_ctx *ctx, uint32_t domid, struct dm_state *ret)
{
    char name[32];
    state_path(domid, name, sizeof(name), "");
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int r = dirfd < 0 ? -ENOENT : state_read_at(dirfd, name, ret);
    if (r == -ENOENT)
        LOGD(ERROR, domid, "no such domain");
    else if (r)
        LOGEVD(ERROR, -r, domid, "reading the state file %s/%s", LIBDMR_STATE_DIR, name);
    return r;
}

int state_remove(libdmr_ctx *ctx, uint32_t domid)
{
    char name[32];
    state_path(domid, name, sizeof(name), "");
    _cleanup_close_ int dirfd = open(LIBDMR_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd >= 0 && unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) {
        LOGED(ERROR, domid, "removing the state file");
        return -errno;
    }
    return 0;
}

int state_list(libdmr_ctx *ctx, struct dm_state **ret, size_t *ret_n)
{
    *ret = NULL;
    *ret_n = 0;
    DIR *d = opendir(LIBDMR_STATE_DIR);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    struct dm_state *list = NULL;
    size_t n = 0;
    int r = 0;
    for (struct dirent *de; !r && (de = readdir(d));) {
        unsigned long domid;
        char digits[16];
        size_t len = strlen(de->d_name);
        if (len < 6 || len - 5 >= sizeof(digits) || strcmp(de->d_name + len - 5, ".json"))
            continue;
        snprintf(digits, sizeof(digits), "%.*s", (int)(len - 5), de->d_name);
        if (parse_ulong_strict(digits, LIBDMR_DOMID_MIN, LIBDMR_DOMID_MAX, &domid))
            continue;
        struct dm_state *grown = realloc(list, (n + 1) * sizeof(*grown));
        if (!grown) {
            r = -ENOMEM;
            break;
        }
        list = grown;
        if (state_read_at(dirfd(d), de->d_name, &list[n]) == 0)
            n++;
        else
            LOG(WARN, "%s/%s: unreadable state file, skipped", LIBDMR_STATE_DIR, de->d_name);
    }
    closedir(d);
    if (r) {
        state_list_free(list, n);
        return r;
    }
    *ret = list;
    *ret_n = n;
    return 0;
}

void state_clear(struct dm_state *s)
{
    free(s->name);
    free(s->qmp_path);
    free(s->chroot);
    free(s->log_path);
    free(s->dm_user);
    free(s->source);
    memset(s, 0, sizeof(*s));
}

void state_list_free(struct dm_state *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        state_clear(&s[i]);
    free(s);
}
