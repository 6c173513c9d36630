/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xl.cfg -> struct libdmr_config, through libxlutil. Only the keys the
 * device model's restriction depends on are read; like xl, other keys are
 * ignored. Values are checked here, decisions are made in the planner.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libxlutil.h>

#include "internal.h"

/* A cfg being read: libxlutil's handle and the stream it reports into. */
struct cfg_reader {
    libdmr_ctx *ctx;
    const char *path;
    const char *const *overrides;
    size_t n_overrides;
    XLU_Config *xlu;
    FILE *report;
    char *report_buf;
    size_t report_len;
};

/* libxlutil's last complaint, "FILE:LINE: warning: TEXT" made "FILE:LINE: TEXT". */
static const char *reader_complaint(struct cfg_reader *rd, char *buf, size_t size)
{
    fflush(rd->report);
    if (!rd->report_len)
        return NULL;
    const char *start = rd->report_buf;
    const char *end = rd->report_buf + rd->report_len;
    /* The last non-empty line is the newest complaint. */
    while (end > start && end[-1] == '\n')
        end--;
    const char *line = end;
    while (line > start && line[-1] != '\n')
        line--;
    snprintf(buf, size, "%.*s", (int)(end - line), line);
    char *w = strstr(buf, "warning: ");
    if (w)
        memmove(w, w + strlen("warning: "), strlen(w + strlen("warning: ")) + 1);
    /* Consumed: the next complaint starts afresh. */
    rewind(rd->report);
    rd->report_len = 0;
    return buf;
}

/* The KEY=VALUE override that set key last, or NULL if the file did. */
static const char *override_for(const struct cfg_reader *rd, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = rd->n_overrides; i-- > 0;) {
        const char *o = rd->overrides[i];
        if (!strncmp(o, key, n) && (o[n] == '=' || o[n] == ' ' || o[n] == '\t'))
            return o;
    }
    return NULL;
}

/*
 * Logs one line and returns LIBDMR_ERROR_INVAL: "FILE:LINE: complaint: what"
 * when libxlutil complained, naming the override instead of the file when
 * key's value came from one (libxlutil numbers an override's lines from 1).
 */
static int reader_fail_key(struct cfg_reader *rd, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reader_fail_key(struct cfg_reader *rd, const char *key, const char *fmt, ...)
{
    libdmr_ctx *ctx = rd->ctx;
    char what[256], complaint[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    const char *c = reader_complaint(rd, complaint, sizeof(complaint));
    size_t plen = strlen(rd->path);
    bool names_file = c && !strncmp(c, rd->path, plen) && c[plen] == ':';
    const char *override = key ? override_for(rd, key) : NULL;
    if (override) {
        /* Drop "FILE:LINE: ": the line is the override's, not the file's. */
        const char *text = names_file ? strstr(c + plen + 1, ": ") : NULL;
        LOG(ERROR, "override '%s': %s%s%s", override, text ? text + 2 : "",
            text ? ": " : "", what);
    } else if (names_file)
        LOG(ERROR, "%s: %s", c, what);
    else if (c)
        LOG(ERROR, "%s: %s: %s", rd->path, c, what);
    else
        LOG(ERROR, "%s: %s", rd->path, what);
    return LIBDMR_ERROR_INVAL;
}

#define reader_fail(rd, ...) reader_fail_key(rd, NULL, __VA_ARGS__)

static int read_string(struct cfg_reader *rd, const char *key, char **ret)
{
    const char *s;
    int r = xlu_cfg_get_string(rd->xlu, key, &s, 0);
    if (r == ESRCH)
        return 0;
    if (r)
        return reader_fail_key(rd, key, "%s must be a string", key);
    char *copy = strdup(s);
    if (!copy)
        return LIBDMR_ERROR_NOMEM;
    free(*ret);
    *ret = copy;
    return 0;
}

static int read_long(struct cfg_reader *rd, const char *key, long min,
                     long max, long *ret)
{
    int r = xlu_cfg_get_bounded_long(rd->xlu, key, min, max, ret, 0);
    if (r == ESRCH)
        return 0;
    if (r)
        return reader_fail_key(rd, key, "%s must be a number from %ld to %ld",
                               key, min, max);
    return 0;
}

static int read_bool(struct cfg_reader *rd, const char *key, bool *ret)
{
    long v = *ret;
    int rc = read_long(rd, key, 0, 1, &v);
    if (!rc)
        *ret = v;
    return rc;
}

/* A string key with a fixed set of values; *ret is the index into names. */
static int read_choice(struct cfg_reader *rd, const char *key,
                       const char *const *names, size_t n, int *ret)
{
    _cleanup_free_ char *s = NULL;
    int rc = read_string(rd, key, &s);
    if (rc || !s)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (names[i] && !strcmp(s, names[i])) {
            *ret = (int)i;
            return 0;
        }
    char allowed[128] = "";
    for (size_t i = 0; i < n; i++)
        if (names[i])
            snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed),
                     "%s\"%s\"", allowed[0] ? " or " : "", names[i]);
    return reader_fail_key(rd, key, "unknown %s \"%s\" (expected %s)", key, s, allowed);
}

static bool name_is_valid(const char *name)
{
    size_t n = strlen(name);
    bool all_digits = true;
    if (n == 0 || n > 64 || name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = name[i];
        if (!isalnum(c) && c != '-' && c != '_' && c != '.')
            return false;
        all_digits &= isdigit(c) != 0;
    }
    /* A name that is a number could not be told from a domid. */
    return !all_digits;
}

static int read_boot_keys(struct cfg_reader *rd, libdmr_config *c);

static int read_identity_keys(struct cfg_reader *rd, libdmr_config *c)
{
    int rc = read_string(rd, "name", &c->name);
    if (rc)
        return rc;
    if (!c->name)
        return reader_fail(rd, "domain name must be specified (name=\"...\")");
    if (!name_is_valid(c->name))
        return reader_fail(rd, "bad domain name \"%s\": use 1-64 letters, "
                           "digits, '-', '_' or '.', not only digits", c->name);

    static const char *const types[] = { "hvm", "pv", "pvh" };
    int type = 0;
    if ((rc = read_choice(rd, "builder", (const char *const[]){ "hvm", "generic" }, 2, &type)) ||
        (rc = read_choice(rd, "type", types, ELEMENTSOF(types), &type)))
        return rc;
    if (type != 0)
        return reader_fail(rd, "only HVM guests have a device model; "
                           "xl-dmr needs type=\"hvm\"");

    if ((rc = read_long(rd, "memory", 1, 16L << 20, &c->memory_mb)) ||
        (rc = read_long(rd, "vcpus", 1, 128, &c->vcpus)) ||
        (rc = read_bool(rd, "dm_restrict", &c->dm_restrict)) ||
        (rc = read_string(rd, "device_model_user", &c->device_model_user)) ||
        (rc = read_string(rd, "device_model_override", &c->device_model_override)))
        return rc;
    if (c->device_model_user && !c->device_model_user[0])
        return reader_fail(rd, "device_model_user must not be empty");
    if (c->device_model_override && c->device_model_override[0] != '/')
        return reader_fail(rd, "device_model_override must be an absolute path");

    static const char *const versions[] = { "qemu-xen" };
    int version = 0;
    rc = read_choice(rd, "device_model_version", versions, ELEMENTSOF(versions), &version);
    return rc ? rc : read_boot_keys(rd, c);
}

/* Direct kernel boot, as xl.cfg spells it: kernel, ramdisk, cmdline (or
 * the older root + extra, joined). */
static int read_boot_keys(struct cfg_reader *rd, libdmr_config *c)
{
    _cleanup_free_ char *root = NULL, *extra = NULL;
    int rc;
    if ((rc = read_string(rd, "kernel", &c->kernel)) ||
        (rc = read_string(rd, "ramdisk", &c->ramdisk)) ||
        (rc = read_string(rd, "cmdline", &c->cmdline)) ||
        (rc = read_string(rd, "root", &root)) ||
        (rc = read_string(rd, "extra", &extra)))
        return rc;
    if ((c->kernel && c->kernel[0] != '/') || (c->ramdisk && c->ramdisk[0] != '/'))
        return reader_fail(rd, "kernel and ramdisk must be absolute paths");
    if (c->ramdisk && !c->kernel)
        return reader_fail(rd, "a ramdisk needs a kernel");
    if ((rc = read_string(rd, "serial", &c->serial)) || (rc = read_string(rd, "boot", &c->boot)))
        return rc;
    if (c->boot && (!c->boot[0] || strspn(c->boot, "acdn") != strlen(c->boot)))
        return reader_fail(rd, "bad boot order \"%s\": use the letters a, c, d and n", c->boot);
    if (!c->cmdline && (root || extra) &&
        asprintf(&c->cmdline, "%s%s%s%s", root ? "root=" : "", root ? root : "",
                 root && extra ? " " : "", extra ? extra : "") < 0) {
        c->cmdline = NULL;
        return LIBDMR_ERROR_NOMEM;
    }
    return 0;
}

static int read_backend_keys(struct cfg_reader *rd, libdmr_config *c)
{
    static const char *const backends[] = {
        [LIBDMR_BACKEND_XEN] = "xen", [LIBDMR_BACKEND_QEMU] = "qemu" };
    static const char *const machines[] = {
        [LIBDMR_MACHINE_Q35] = "q35", [LIBDMR_MACHINE_PC] = "pc" };
    static const char *const accels[] = {
        [LIBDMR_ACCEL_KVM] = "kvm", [LIBDMR_ACCEL_TCG] = "tcg" };
    int backend = c->backend, machine = c->machine, accel = c->accel;
    int rc;
    if ((rc = read_choice(rd, "dm_backend", backends, ELEMENTSOF(backends), &backend)) ||
        (rc = read_choice(rd, "machine", machines, ELEMENTSOF(machines), &machine)) ||
        (rc = read_choice(rd, "accel", accels, ELEMENTSOF(accels), &accel)))
        return rc;
    c->backend = backend;
    c->machine = machine;
    c->accel = accel;
    return 0;
}

static int disk_from_libxl(struct cfg_reader *rd, const char *spec,
                           const libxl_device_disk *d, struct libdmr_disk *out)
{
    switch (d->format) {
    case LIBXL_DISK_FORMAT_RAW:   out->format = LIBDMR_FORMAT_RAW; break;
    case LIBXL_DISK_FORMAT_QCOW2: out->format = LIBDMR_FORMAT_QCOW2; break;
    case LIBXL_DISK_FORMAT_EMPTY: out->format = LIBDMR_FORMAT_EMPTY; break;
    default:
        return reader_fail(rd, "disk \"%s\": format %s is not supported "
                           "(raw or qcow2)", spec,
                           libxl_disk_format_to_string(d->format));
    }
    out->cdrom = d->is_cdrom;
    out->readwrite = d->readwrite && !d->is_cdrom;
    bool has_target = d->pdev_path && d->pdev_path[0];
    if (!has_target && !out->cdrom)
        return reader_fail(rd, "disk \"%s\": no target (only a cdrom may be empty)", spec);
    if (has_target && d->pdev_path[0] != '/')
        return reader_fail(rd, "disk \"%s\": target must be an absolute path", spec);
    if (!has_target)
        out->format = LIBDMR_FORMAT_EMPTY;
    out->target = has_target ? strdup(d->pdev_path) : NULL;
    out->vdev = strdup(d->vdev);
    if (!out->vdev || (has_target && !out->target))
        return LIBDMR_ERROR_NOMEM;
    return 0;
}

static int read_disks(struct cfg_reader *rd, libdmr_config *c)
{
    XLU_ConfigList *list;
    int n = 0;
    if (xlu_cfg_get_list(rd->xlu, "disk", &list, &n, 0) == ESRCH || n == 0)
        return 0;
    c->disks = calloc(n, sizeof(*c->disks));
    if (!c->disks)
        return LIBDMR_ERROR_NOMEM;
    for (int i = 0; i < n; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        if (!spec)
            return reader_fail(rd, "disk entry %d must be a string", i);
        libxl_device_disk d;
        libxl_device_disk_init(&d);
        int rc = xlu_disk_parse(rd->xlu, 1, &spec, &d)
                     ? reader_fail(rd, "bad disk specification \"%s\"", spec)
                     : disk_from_libxl(rd, spec, &d, &c->disks[c->n_disks]);
        libxl_device_disk_dispose(&d);
        c->n_disks++;  /* counted even when half-filled, so free() sees it */
        if (rc)
            return rc;
        for (size_t j = 0; j + 1 < c->n_disks; j++)
            if (!strcmp(c->disks[j].vdev, c->disks[c->n_disks - 1].vdev))
                return reader_fail(rd, "disk \"%s\": vdev %s is used twice",
                                   spec, c->disks[j].vdev);
    }
    return 0;
}

/*
 * libxlutil rejects keys it does not know, so our own key, guest_unplug,
 * comes out of the spec before the rest goes to xlu_pci_parse_spec_string.
 */
static int pci_split_spec(struct cfg_reader *rd, const char *spec,
                          char **ret_libxl_spec, bool *guest_unplug)
{
    _cleanup_free_ char *copy = strdup(spec);
    _cleanup_free_ char *rest = calloc(1, strlen(spec) + 1);
    if (!copy || !rest)
        return LIBDMR_ERROR_NOMEM;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!strncmp(tok, "guest_unplug=", strlen("guest_unplug="))) {
            const char *v = tok + strlen("guest_unplug=");
            if (strcmp(v, "0") && strcmp(v, "1"))
                return reader_fail(rd, "pci \"%s\": guest_unplug must be 0 or 1", spec);
            *guest_unplug = v[0] == '1';
            continue;
        }
        if (rest[0])
            strcat(rest, ",");
        strcat(rest, tok);
    }
    *ret_libxl_spec = TAKE_PTR(rest);
    return 0;
}

/*
 * Xen 4.17's BDF parser (parse_bdf in libxlu_pci.c) sscanf()s "%x:%x:%x.%n"
 * and then advances by n even when the '.' did not match, so n was never
 * set: "0000:03:00/x" makes it read through a wild pointer (fuzzing found
 * it). Only that shape is refused here, where a BDF may stand: the
 * positional one and a bdf= value; libxlutil still parses the rest.
 */
static bool bdf_safe_for_libxlutil(const char *s)
{
    size_t n = strspn(s, "0123456789abcdefABCDEF:");
    size_t colons = 0;
    for (size_t i = 0; i < n; i++)
        colons += s[i] == ':';
    return (colons != 1 && colons != 2) || s[n] == '.';
}

static bool spec_safe_for_libxlutil(const char *spec)
{
    if (!bdf_safe_for_libxlutil(spec))
        return false;
    for (const char *p = strstr(spec, "bdf="); p; p = strstr(p + 1, "bdf="))
        if ((p == spec || p[-1] == ',') && !bdf_safe_for_libxlutil(p + 4))
            return false;
    return true;
}

static int read_one_pci(struct cfg_reader *rd, const char *spec,
                        bool domain_default, struct libdmr_pci_dev *out)
{
    _cleanup_free_ char *libxl_spec = NULL;
    out->guest_unplug = domain_default;
    int rc = pci_split_spec(rd, spec, &libxl_spec, &out->guest_unplug);
    if (rc)
        return rc;
    if (!spec_safe_for_libxlutil(libxl_spec))
        return reader_fail(rd, "bad pci specification \"%s\"", spec);
    libxl_device_pci p;
    libxl_device_pci_init(&p);
    if (xlu_pci_parse_spec_string(rd->xlu, &p, libxl_spec)) {
        libxl_device_pci_dispose(&p);
        return reader_fail(rd, "bad pci specification \"%s\"", spec);
    }
    /* What libxlutil accepts but a plan cannot express: refuse, not misread. */
    const char *unsupported = p.name ? "name= (give the BDF)"
                            : p.vfunc_mask == LIBXL_PCI_FUNC_ALL ? "a multi-function '*' (list each function)"
                            : (strchr(libxl_spec, '@') && !p.vdevfn) ? "@0 (the host bridge's slot)"
                            : NULL;
    if (unsupported) {
        libxl_device_pci_dispose(&p);
        return reader_fail(rd, "pci \"%s\": %s is not supported", spec, unsupported);
    }
    out->domain = p.domain;
    out->bus = p.bus;
    out->dev = p.dev;
    out->func = p.func;
    /* libxlutil stores @VSLOT as a devfn; slot 0 is the host bridge's. */
    out->has_vslot = p.vdevfn != 0;
    out->vslot = p.vdevfn >> 3;
    libxl_device_pci_dispose(&p);
    return 0;
}

static int read_pci(struct cfg_reader *rd, libdmr_config *c)
{
    int rc = read_bool(rd, "pci_guest_unplug", &c->pci_guest_unplug);
    if (!rc)
        rc = read_long(rd, "pci_hotplug_ports", 0, LIBDMR_HOTPLUG_PORTS_MAX,
                       &c->pci_hotplug_ports);
    if (rc)
        return rc;
    bool domain_default = c->pci_guest_unplug;
    XLU_ConfigList *list;
    int n = 0;
    if (xlu_cfg_get_list(rd->xlu, "pci", &list, &n, 0) == ESRCH || n == 0)
        return 0;
    c->pci = calloc(n, sizeof(*c->pci));
    if (!c->pci)
        return LIBDMR_ERROR_NOMEM;
    for (int i = 0; i < n; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        if (!spec)
            return reader_fail(rd, "pci entry %d must be a string", i);
        struct libdmr_pci_dev *d = &c->pci[c->n_pci];
        if ((rc = read_one_pci(rd, spec, domain_default, d)))
            return rc;
        for (size_t j = 0; j < c->n_pci; j++) {
            const struct libdmr_pci_dev *o = &c->pci[j];
            if (o->domain == d->domain && o->bus == d->bus &&
                o->dev == d->dev && o->func == d->func)
                return reader_fail(rd, "pci \"%s\": device listed twice", spec);
        }
        c->n_pci++;
    }
    return 0;
}

#define CFG_SIZE_MAX (1u << 20)

/*
 * The cfg's bytes, read here rather than by libxlutil: Xen 4.17's lexer
 * asserts (and so aborts the caller) on a NUL byte inside a string, which
 * fuzzing found; a cfg is text, so any NUL is refused first.
 */
static int read_cfg_file(libdmr_ctx *ctx, const char *path, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        LOGE(ERROR, "%s: cannot read config file", path);
        return errno == ENOENT ? LIBDMR_ERROR_NOTFOUND : LIBDMR_ERROR_INVAL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > CFG_SIZE_MAX) {
        LOG(ERROR, "%s: not a config file (%s)", path,
            S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
        return LIBDMR_ERROR_INVAL;
    }
    char *buf = malloc(st.st_size + 1);
    if (!buf)
        return LIBDMR_ERROR_NOMEM;
    ssize_t n = read(fd, buf, st.st_size);
    if (n < 0) {
        LOGE(ERROR, "%s: cannot read config file", path);
        free(buf);
        return LIBDMR_ERROR_INVAL;
    }
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
        LOG(ERROR, "%s: a NUL byte at offset %zu: not a config file", path, (size_t)(nul - buf));
        free(buf);
        return LIBDMR_ERROR_INVAL;
    }
    buf[n] = '\0';
    *ret = buf;
    *ret_len = n;
    return 0;
}

static int reader_open(struct cfg_reader *rd, const char *path,
                       const char *const *overrides, size_t n_overrides)
{
    libdmr_ctx *ctx = rd->ctx;
    rd->report = open_memstream(&rd->report_buf, &rd->report_len);
    if (!rd->report)
        return LIBDMR_ERROR_NOMEM;
    rd->xlu = xlu_cfg_init(rd->report, path);
    if (!rd->xlu)
        return LIBDMR_ERROR_NOMEM;
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_cfg_file(ctx, path, &text, &len);
    if (r)
        return r;
    r = xlu_cfg_readdata(rd->xlu, text, len);
    if (r == EINVAL) {  /* a syntax error: libxlutil names file and line */
        char complaint[256];
        const char *c = reader_complaint(rd, complaint, sizeof(complaint));
        LOG(ERROR, "%s", c ? c : "config parsing error");
        return LIBDMR_ERROR_INVAL;
    }
    if (r) {
        LOGEV(ERROR, r, "%s: cannot read config file", path);
        return r == ENOENT ? LIBDMR_ERROR_NOTFOUND : LIBDMR_ERROR_INVAL;
    }
    /* As in xl: each KEY=VALUE is read after the file; the last one wins. */
    for (size_t i = 0; i < n_overrides; i++) {
        if (xlu_cfg_readdata(rd->xlu, overrides[i], strlen(overrides[i]))) {
            char complaint[256];
            const char *c = reader_complaint(rd, complaint, sizeof(complaint));
            const char *why = c ? strstr(c, "config parsing error") : NULL;
            LOG(ERROR, "bad KEY=VALUE override '%s'%s%s (xl syntax, e.g. 'name=\"x\"')",
                overrides[i], why ? ": " : "", why ? why : "");
            return LIBDMR_ERROR_INVAL;
        }
    }
    return 0;
}

static void reader_close(struct cfg_reader *rd)
{
    if (rd->xlu)
        xlu_cfg_destroy(rd->xlu);
    if (rd->report)
        fclose(rd->report);
    free(rd->report_buf);
}

int libdmr_config_load(libdmr_ctx *ctx, const char *path,
                       const char *const *overrides, size_t n_overrides,
                       libdmr_config **ret_config)
{
    if (!ctx || !path || !ret_config || (n_overrides && !overrides))
        return LIBDMR_ERROR_INVAL;
    libdmr_config *c = calloc(1, sizeof(*c));
    if (!c)
        return LIBDMR_ERROR_NOMEM;
    c->memory_mb = 128;
    c->vcpus = 1;
    c->pci_guest_unplug = true;
    c->pci_hotplug_ports = -1;  /* the planner's default */

    struct cfg_reader rd = { .ctx = ctx, .path = path, .overrides = overrides,
                             .n_overrides = n_overrides };
    int rc = (c->source = strdup(path)) ? 0 : LIBDMR_ERROR_NOMEM;
    if (!rc) rc = reader_open(&rd, path, overrides, n_overrides);
    if (!rc) rc = read_identity_keys(&rd, c);
    if (!rc) rc = read_backend_keys(&rd, c);
    if (!rc) rc = read_disks(&rd, c);
    if (!rc) rc = read_pci(&rd, c);
    reader_close(&rd);
    if (rc) {
        if (rc == LIBDMR_ERROR_NOMEM)
            LOG(ERROR, "%s: out of memory", path);
        libdmr_config_free(c);
        return rc;
    }
    *ret_config = c;
    return 0;
}

int config_pci_spec_parse(libdmr_ctx *ctx, const char *spec, bool domain_default,
                          struct libdmr_pci_dev *ret)
{
    /* A one-line "file" of its own, so messages read "pci-attach: ...". */
    struct cfg_reader rd = { .ctx = ctx, .path = "pci-attach" };
    rd.report = open_memstream(&rd.report_buf, &rd.report_len);
    rd.xlu = rd.report ? xlu_cfg_init(rd.report, rd.path) : NULL;
    int rc = rd.xlu ? read_one_pci(&rd, spec, domain_default, ret) : LIBDMR_ERROR_NOMEM;
    reader_close(&rd);
    return rc;
}

int libdmr_config_set_paused(libdmr_ctx *ctx, libdmr_config *config, bool paused)
{
    if (!ctx || !config)
        return LIBDMR_ERROR_INVAL;
    config->paused = paused;
    return 0;
}

int libdmr_config_set_domid(libdmr_ctx *ctx, libdmr_config *config,
                            uint32_t domid)
{
    if (!ctx || !config)
        return LIBDMR_ERROR_INVAL;
    if (domid < LIBDMR_DOMID_MIN || domid > LIBDMR_DOMID_MAX) {
        LOG(ERROR, "domid %u is out of range %u..%u", domid,
            LIBDMR_DOMID_MIN, LIBDMR_DOMID_MAX);
        return LIBDMR_ERROR_INVAL;
    }
    config->requested_domid = domid;
    return 0;
}

void libdmr_config_free(libdmr_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_disks; i++) {
        free(c->disks[i].target);
        free(c->disks[i].vdev);
    }
    free(c->disks);
    free(c->pci);
    free(c->source);
    free(c->name);
    free(c->device_model_user);
    free(c->device_model_override);
    free(c->kernel);
    free(c->ramdisk);
    free(c->cmdline);
    free(c->serial);
    free(c->boot);
    free(c);
}
