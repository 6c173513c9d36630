/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the plan's firmware and clock rest on, gathered only when a config
 * asks (bios = "ovmf", rtc_timeoffset): QEMU's firmware descriptors
 * (docs/interop/firmware.json in QEMU; Debian's ovmf package ships them in
 * /usr/share/qemu/firmware), the files they name, the domain's VARS copy,
 * and the time. Looked at only: the planner picks (plan_machine.c), launch
 * opens and checks again what it opened.
 *
 * The spec's search: *.json in /etc/qemu/firmware and
 * /usr/share/qemu/firmware, by file name; a name in /etc hides the same
 * name in /usr/share, and an empty file there hides it for good. (The
 * per-user $XDG_CONFIG_HOME directory is not searched: this is root's
 * toolstack.) The descriptors' own JSON is also the facts' form, with
 * "path" and each file's "present" and "size" added (facts_json.c).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"
#include "json.h"

#define FW_DESCRIPTOR_MAX (64 * 1024)
static const char *const fw_dirs[] = { "/etc/qemu/firmware", "/usr/share/qemu/firmware" };

static void fw_file_clear(struct libdmr_fw_file *f)
{
    free(f->filename);
    free(f->format);
    memset(f, 0, sizeof(*f));
}

static void fw_descriptor_clear(struct libdmr_fw_descriptor *d)
{
    free(d->path);
    strv_clear(&d->interfaces);
    free(d->device);
    free(d->mode);
    fw_file_clear(&d->executable);
    fw_file_clear(&d->nvram_template);
    for (size_t i = 0; i < d->n_targets; i++) {
        free(d->targets[i].architecture);
        strv_clear(&d->targets[i].machines);
    }
    free(d->targets);
    strv_clear(&d->features);
}

void facts_firmware_clear(struct libdmr_fw_facts *fw)
{
    for (size_t i = 0; i < fw->n_descriptors; i++)
        fw_descriptor_clear(&fw->descriptors[i]);
    free(fw->descriptors);
    fw_file_clear(&fw->nvram);
    memset(fw, 0, sizeof(*fw));
}

/* ---- the descriptor's JSON, QEMU's form (plus our facts' members) ------ */

static yajl_val member(yajl_val obj, const char *key)
{
    const char *path[] = { key, NULL };
    return obj && YAJL_IS_OBJECT(obj) ? yajl_tree_get(obj, path, yajl_t_any) : NULL;
}

/* A string member copied (NULL: absent); -EINVAL when not a string. */
static int get_string(yajl_val obj, const char *key, char **ret)
{
    yajl_val v = member(obj, key);
    if (!v)
        return 0;
    if (!YAJL_IS_STRING(v))
        return -EINVAL;
    const char *sv = YAJL_GET_STRING(v);
    return (*ret = strdup(sv ? sv : "")) ? 0 : -ENOMEM;
}

static int get_strings(yajl_val obj, const char *key, struct strv *ret)
{
    yajl_val v = member(obj, key);
    if (!v)
        return 0;
    if (!YAJL_IS_ARRAY(v))
        return -EINVAL;
    for (size_t i = 0; i < YAJL_GET_ARRAY(v)->len; i++) {
        yajl_val e = YAJL_GET_ARRAY(v)->values[i];
        if (!YAJL_IS_STRING(e))
            return -EINVAL;
        const char *sv = YAJL_GET_STRING(e);
        int r = strv_push(ret, sv ? sv : "");
        if (r)
            return r;
    }
    return 0;
}

static int get_file(yajl_val mapping, const char *key, struct libdmr_fw_file *f)
{
    yajl_val v = member(mapping, key);
    if (!v)
        return 0;
    int r = get_string(v, "filename", &f->filename);
    if (!r) r = get_string(v, "format", &f->format);
    yajl_val present = member(v, "present"), size = member(v, "size");
    f->present = present && YAJL_IS_TRUE(present);
    if (size && YAJL_IS_INTEGER(size) && YAJL_GET_INTEGER(size) >= 0)
        f->size = (uint64_t)YAJL_GET_INTEGER(size);
    if (!r && (!f->filename || (size && !YAJL_IS_INTEGER(size))))
        r = -EINVAL;
    return r;
}

static int get_targets(yajl_val root, struct libdmr_fw_descriptor *d)
{
    yajl_val v = member(root, "targets");
    if (!v || !YAJL_IS_ARRAY(v))
        return -EINVAL;
    size_t n = YAJL_GET_ARRAY(v)->len;
    if (n && !(d->targets = calloc(n, sizeof(*d->targets))))
        return -ENOMEM;
    int r = 0;
    for (size_t i = 0; !r && i < n; i++, d->n_targets++) {
        yajl_val t = YAJL_GET_ARRAY(v)->values[i];
        r = get_string(t, "architecture", &d->targets[i].architecture);
        if (!r) r = get_strings(t, "machines", &d->targets[i].machines);
    }
    return r;
}

int fw_descriptor_parse(yajl_val root, struct libdmr_fw_descriptor *d)
{
    yajl_val mapping = member(root, "mapping");
    if (!mapping || !YAJL_IS_OBJECT(mapping))
        return -EINVAL;
    int r = get_string(root, "path", &d->path);
    if (!r) r = get_strings(root, "interface-types", &d->interfaces);
    if (!r) r = get_string(mapping, "device", &d->device);
    if (!r) r = get_string(mapping, "mode", &d->mode);
    if (!r) r = get_file(mapping, "executable", &d->executable);
    if (!r) r = get_file(mapping, "nvram-template", &d->nvram_template);
    if (!r) r = get_targets(root, d);
    if (!r) r = get_strings(root, "features", &d->features);
    if (!r && !d->device)
        r = -EINVAL;
    return r;
}

static void gen_strings(yajl_gen g, const char *key, const struct strv *sv)
{
    json_key(g, key);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < sv->n; i++)
        json_str(g, sv->v[i]);
    yajl_gen_array_close(g);
}

static void gen_file(yajl_gen g, const char *key, const struct libdmr_fw_file *f)
{
    if (!f->filename)
        return;
    json_key(g, key);
    yajl_gen_map_open(g);
    json_kstr(g, "filename", f->filename);
    if (f->format)
        json_kstr(g, "format", f->format);
    json_kbool(g, "present", f->present);
    json_kint(g, "size", (long long)f->size);
    yajl_gen_map_close(g);
}

void fw_descriptor_gen(yajl_gen g, const struct libdmr_fw_descriptor *d)
{
    yajl_gen_map_open(g);
    json_kstr(g, "path", d->path);
    gen_strings(g, "interface-types", &d->interfaces);
    json_key(g, "mapping");
    yajl_gen_map_open(g);
    json_kstr(g, "device", d->device);
    if (d->mode)
        json_kstr(g, "mode", d->mode);
    gen_file(g, "executable", &d->executable);
    gen_file(g, "nvram-template", &d->nvram_template);
    yajl_gen_map_close(g);
    json_key(g, "targets");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < d->n_targets; i++) {
        yajl_gen_map_open(g);
        json_kstr(g, "architecture", d->targets[i].architecture);
        gen_strings(g, "machines", &d->targets[i].machines);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    gen_strings(g, "features", &d->features);
    yajl_gen_map_close(g);
}

/* ---- gathering --------------------------------------------------------- */

static void path_in_sysroot(const libdmr_ctx *ctx, const char *path, char *buf, size_t size)
{
    bool root = !ctx->sysroot || !strcmp(ctx->sysroot, "/");
    snprintf(buf, size, "%s%s", root ? "" : ctx->sysroot, path);
}

static void file_stat(const libdmr_ctx *ctx, struct libdmr_fw_file *f)
{
    char path[4096];
    struct stat st;
    if (!f->filename)
        return;
    path_in_sysroot(ctx, f->filename, path, sizeof(path));
    /* stat, not lstat: Debian's ".ms.fd" names are symlinks to the file. */
    f->present = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    f->size = f->present ? (uint64_t)st.st_size : 0;
}

/* One descriptor file; a broken one is skipped with a warning, as QEMU's
 * consumers (libvirt) do, so one bad package does not stop every guest. */
static int descriptor_read(libdmr_ctx *ctx, int dirfd, const char *dir, const char *name,
                           struct libdmr_fw_facts *fw)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > FW_DESCRIPTOR_MAX) {
        safe_close(fd);
        LOG(WARN, "firmware descriptor %s/%s: not a readable file of at most 64 KiB; skipped",
            dir, name);
        return 0;
    }
    char *text = calloc(1, st.st_size + 1);
    ssize_t n = text ? read(fd, text, st.st_size) : -1;
    safe_close(fd);
    if (!text)
        return -ENOMEM;
    if (n == 0) {  /* an empty file masks the name */
        free(text);
        return 0;
    }
    yajl_val root = n > 0 ? yajl_tree_parse(text, NULL, 0) : NULL;
    free(text);
    struct libdmr_fw_descriptor d = { 0 };
    int r = root ? fw_descriptor_parse(root, &d) : -EINVAL;
    yajl_tree_free(root);
    if (!r && asprintf(&d.path, "%s/%s", dir, name) < 0) {
        d.path = NULL;
        r = -ENOMEM;
    }
    if (r) {
        fw_descriptor_clear(&d);
        if (r == -ENOMEM)
            return r;
        LOG(WARN, "firmware descriptor %s/%s: not QEMU's descriptor format; skipped", dir, name);
        return 0;
    }
    file_stat(ctx, &d.executable);
    file_stat(ctx, &d.nvram_template);
    struct libdmr_fw_descriptor *grown =
        realloc(fw->descriptors, (fw->n_descriptors + 1) * sizeof(*grown));
    if (!grown) {
        fw_descriptor_clear(&d);
        return -ENOMEM;
    }
    fw->descriptors = grown;
    grown[fw->n_descriptors++] = d;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every *.json name of both directories, sorted, each once. */
static int descriptor_names(const libdmr_ctx *ctx, struct strv *names)
{
    for (size_t i = 0; i < ELEMENTSOF(fw_dirs); i++) {
        char path[4096];
        path_in_sysroot(ctx, fw_dirs[i], path, sizeof(path));
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
            size_t n = strlen(e->d_name);
            bool seen = false;
            for (size_t k = 0; k < names->n && !seen; k++)
                seen = !strcmp(names->v[k], e->d_name);
            if (n <= 5 || strcmp(e->d_name + n - 5, ".json") || seen)
                continue;
            if (strv_push(names, e->d_name)) {
                closedir(d);
                return -ENOMEM;
            }
        }
        if (d)
            closedir(d);
    }
    if (names->n)
        qsort(names->v, names->n, sizeof(*names->v), name_cmp);
    return 0;
}

/* A name from the first directory that has it. */
static int descriptor_find(libdmr_ctx *ctx, const char *name, struct libdmr_fw_facts *fw)
{
    for (size_t i = 0; i < ELEMENTSOF(fw_dirs); i++) {
        char path[4096];
        path_in_sysroot(ctx, fw_dirs[i], path, sizeof(path));
        int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        bool here = dirfd >= 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        int r = here ? descriptor_read(ctx, dirfd, fw_dirs[i], name, fw) : 0;
        safe_close(dirfd);
        if (here || r)
            return r;
    }
    return 0;
}

static int nvram_fact(libdmr_ctx *ctx, const libdmr_config *c, struct libdmr_fw_facts *fw)
{
    if (asprintf(&fw->nvram.filename, LIBDMR_NVRAM_DIR "/%s_VARS.fd", c->name) < 0) {
        fw->nvram.filename = NULL;
        return -ENOMEM;
    }
    char path[4096];
    struct stat st;
    path_in_sysroot(ctx, fw->nvram.filename, path, sizeof(path));
    /* lstat: launch opens it with O_NOFOLLOW and would refuse a link. */
    fw->nvram.present = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
    fw->nvram.size = fw->nvram.present ? (uint64_t)st.st_size : 0;
    return 0;
}

int facts_firmware_gather(libdmr_ctx *ctx, const libdmr_config *c, libdmr_facts *f)
{
    struct libdmr_fw_facts *fw = &f->fw;
    int r = 0;
    if (c->mach.rtc_timeoffset) {
        struct tm tm;
        time_t now = time(NULL);
        fw->clock_known = localtime_r(&now, &tm) != NULL;
        fw->now = now;
        fw->local_offset = fw->clock_known ? tm.tm_gmtoff : 0;
    }
    if (c->mach.firmware != LIBDMR_FIRMWARE_OVMF)
        return 0;
    struct strv names = { 0 };
    r = descriptor_names(ctx, &names);
    for (size_t i = 0; !r && i < names.n; i++)
        r = descriptor_find(ctx, names.v[i], fw);
    strv_clear(&names);
    if (!r)
        r = nvram_fact(ctx, c, fw);
    return r ? libdmr_error_from_errno(r) : 0;
}
