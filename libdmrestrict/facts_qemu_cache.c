/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A cache of QEMU probe results under /var/cache/xl-dmr (XL_DMR_CACHE_DIR;
 * empty disables it), so a create does not exec QEMU three times. An entry
 * holds for one binary as it was: path, device, inode, size, mtime and
 * ctime, and this probe's version. The directory and entries must be
 * root's (or ours) and writable by no one else, or they are ignored: a
 * poisoned cache could claim a sandbox QEMU does not have.
 *
 * The accelerator probe's results (facts_accel.c) have an entry of their
 * own, accel-*.json, for the same binary and a host: kernel, KVM modules
 * and whether the CPU offers vmx/svm. Only host check writes it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"

#define PROBE_VERSION 4
#define CACHE_ENTRY_MAX (64u * 1024)

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static bool owned_and_private(const struct stat *st)
{
    return (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & 022);
}

/* The cache directory, opened without following a symlink; -1 if unusable. */
static int cache_dir_open(libdmr_ctx *ctx, bool create)
{
    if (!ctx->cache_dir[0])
        return -1;
    if (create && mkdir(ctx->cache_dir, 0755) < 0 && errno != EEXIST)
        return -1;
    int fd = open(ctx->cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) < 0 || !owned_and_private(&st))) {
        LOG(DEBUG, "%s: not private to root, cache ignored", ctx->cache_dir);
        fd = safe_close(fd);
    }
    return fd;
}

static void entry_name(const char *kind, const char *qemu, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%016llx.json", kind, (unsigned long long)fnv1a(qemu));
}

/* What identifies one build of one binary, as (name, value) pairs. */
struct cache_key {
    const char *name;
    long long value;
};

static void key_of(const struct stat *st, struct cache_key key[6])
{
    const struct cache_key k[6] = {
        { "probe_version", PROBE_VERSION },
        { "dev", (long long)st->st_dev },
        { "ino", (long long)st->st_ino },
        { "size", (long long)st->st_size },
        { "mtime_ns", (long long)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec },
        { "ctime_ns", (long long)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec },
    };
    memcpy(key, k, sizeof(k));
}

static bool key_string_matches(yajl_val root, const char *name, const char *want)
{
    const char *path[] = { "key", name, NULL };
    yajl_val v = yajl_tree_get(root, path, yajl_t_string);
    const char *stored = v ? YAJL_GET_STRING(v) : NULL;
    return stored && !strcmp(stored, want);
}

static bool key_matches(yajl_val root, const char *qemu, const struct stat *st)
{
    if (!key_string_matches(root, "path", qemu))
        return false;
    struct cache_key key[6];
    key_of(st, key);
    for (size_t i = 0; i < ELEMENTSOF(key); i++) {
        const char *p[] = { "key", key[i].name, NULL };
        yajl_val v = yajl_tree_get(root, p, yajl_t_number);
        if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) != key[i].value)
            return false;
    }
    return true;
}

static int read_entry(int dirfd, const char *name, char **ret)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        !owned_and_private(&st) || st.st_size <= 0 || st.st_size > CACHE_ENTRY_MAX)
        return -ENOENT;
    char *buf = malloc(st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    ssize_t n = read(fd, buf, st.st_size);
    if (n != st.st_size) {
        free(buf);
        return -EIO;
    }
    buf[n] = '\0';
    *ret = buf;
    return 0;
}

int qemu_cache_load(libdmr_ctx *ctx, const char *qemu, const struct stat *st,
                    struct libdmr_qemu_caps *q)
{
    _cleanup_close_ int dirfd = cache_dir_open(ctx, false);
    if (dirfd < 0)
        return 0;
    char name[64];
    entry_name("qemu", qemu, name, sizeof(name));
    _cleanup_free_ char *text = NULL;
    if (read_entry(dirfd, name, &text))
        return 0;
    yajl_val root = yajl_tree_parse(text, NULL, 0);
    struct libdmr_qemu_caps cached = { 0 };
    bool hit = root && key_matches(root, qemu, st) &&
               !facts_json_read_qemu(ctx, root, &cached) && cached.present;
    yajl_tree_free(root);
    LOG(DEBUG, "QEMU capabilities of %s: cache %s", qemu, hit ? "hit" : "miss");
    /* All or nothing: a half-read entry must not mix with a fresh probe. */
    struct libdmr_qemu_caps *drop = hit ? q : &cached;
    free(drop->path);
    strv_clear(&drop->machines);
    if (hit)
        *q = cached;  /* qemu may have been q->path: not used after this */
    return hit;
}

/* The entry's key: the binary's identity, and host_key when not NULL. */
static void key_gen(yajl_gen g, const char *qemu, const struct stat *st, const char *host_key)
{
    struct cache_key key[6];
    key_of(st, key);
    json_key(g, "key");
    yajl_gen_map_open(g);
    json_kstr(g, "path", qemu);
    for (size_t i = 0; i < ELEMENTSOF(key); i++)
        json_kint(g, key[i].name, key[i].value);
    if (host_key)
        json_kstr(g, "host", host_key);
    yajl_gen_map_close(g);
}

/* Write g's object (map still open) as entry name, whole or not at all. */
static void entry_write(libdmr_ctx *ctx, const char *name, yajl_gen g)
{
    yajl_gen_map_close(g);
    _cleanup_free_ char *text = NULL;
    if (json_finish(g, &text))
        return;
    _cleanup_close_ int dirfd = cache_dir_open(ctx, true);
    if (dirfd < 0)
        return;
    char tmp[80];
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", name, (int)getpid());
    _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len;
    /* Rename makes the entry appear whole or not at all. */
    if (!ok || renameat(dirfd, tmp, dirfd, name) < 0) {
        unlinkat(dirfd, tmp, 0);
        LOGE(DEBUG, "cannot write the probe cache in %s", ctx->cache_dir);
    }
}

void qemu_cache_store(libdmr_ctx *ctx, const char *qemu, const struct stat *st,
                      const struct libdmr_qemu_caps *q)
{
    char name[64];
    entry_name("qemu", qemu, name, sizeof(name));
    yajl_gen g = ctx->cache_dir[0] ? json_begin() : NULL;
    if (!g)
        return;
    yajl_gen_map_open(g);
    key_gen(g, qemu, st, NULL);
    facts_json_qemu(g, q);
    entry_write(ctx, name, g);
}

int accel_cache_load(libdmr_ctx *ctx, const char *qemu, const struct stat *st,
                     const char *host_key, libdmr_facts *facts)
{
    _cleanup_close_ int dirfd = cache_dir_open(ctx, false);
    char name[64];
    entry_name("accel", qemu, name, sizeof(name));
    _cleanup_free_ char *text = NULL;
    if (dirfd < 0 || read_entry(dirfd, name, &text))
        return 0;
    yajl_val root = yajl_tree_parse(text, NULL, 0);
    libdmr_facts cached = { 0 };
    bool hit = root && key_matches(root, qemu, st) && key_string_matches(root, "host", host_key) &&
               !facts_json_read_accel(ctx, root, &cached);
    yajl_tree_free(root);
    LOG(DEBUG, "accelerator probe of %s: cache %s", qemu, hit ? "hit" : "miss");
    libdmr_facts *drop = hit ? facts : &cached;
    free(drop->kvm_probe.detail);
    free(drop->tcg_probe.detail);
    if (hit) {
        facts->kvm_probe = cached.kvm_probe;
        facts->tcg_probe = cached.tcg_probe;
    }
    return hit;
}

void accel_cache_store(libdmr_ctx *ctx, const char *qemu, const struct stat *st,
                       const char *host_key, const libdmr_facts *facts)
{
    char name[64];
    entry_name("accel", qemu, name, sizeof(name));
    yajl_gen g = ctx->cache_dir[0] ? json_begin() : NULL;
    if (!g)
        return;
    yajl_gen_map_open(g);
    key_gen(g, qemu, st, host_key);
    facts_json_accel(g, facts);
    entry_write(ctx, name, g);
}
