/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl.cfg -> a libdmr_config, through libxlutil and the library's
 * toolstack-neutral setters. Only the keys the device model's restriction
 * depends on are read; what each backend does with every other key a cfg
 * sets is in the table of xl_cfg_keys.c (the xen backend refuses those it
 * does not carry to libxl). libxlutil checks the syntax, the setters the
 * values; each error is one line naming the file and line, or the
 * KEY=VALUE override that set the key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxlutil.h>

#include "xl_cfg.h"
#include "xl_cfg_keys.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ __attribute__((cleanup(freep)))
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })

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
        XLOG(ctx, ERROR, "override '%s': %s%s%s", override, text ? text + 2 : "",
            text ? ": " : "", what);
    } else if (names_file)
        XLOG(ctx, ERROR, "%s: %s", c, what);
    else if (c)
        XLOG(ctx, ERROR, "%s: %s: %s", rd->path, c, what);
    else
        XLOG(ctx, ERROR, "%s: %s", rd->path, what);
    return LIBDMR_ERROR_INVAL;
}

#define reader_fail(rd, ...) reader_fail_key(rd, NULL, __VA_ARGS__)

static int reader_nomem(struct cfg_reader *rd)
{
    XLOG(rd->ctx, ERROR, "%s: out of memory", rd->path);
    return LIBDMR_ERROR_NOMEM;
}

/* A setter's answer: a refused value is reported as the key's, in the file's terms. */
static int reader_set(struct cfg_reader *rd, const char *key, int rc)
{
    const char *why = libdmr_ctx_last_error(rd->ctx);
    if (rc == LIBDMR_ERROR_INVAL)
        return reader_fail_key(rd, key, "%s", why ? why : libdmr_strerror(rc));
    return rc;
}

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
        return reader_nomem(rd);
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
    char allowed[256] = "";
    for (size_t i = 0; i < n; i++)
        if (names[i])
            snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed),
                     "%s\"%s\"", allowed[0] ? " or " : "", names[i]);
    return reader_fail_key(rd, key, "unknown %s \"%s\" (expected %s)", key, s, allowed);
}

/*
 * libxlutil rejects keys it does not know, so our own key, guest_unplug,
 * comes out of the spec before the rest goes to xlu_pci_parse_spec_string.
 */
static int pci_split_spec(struct cfg_reader *rd, const char *spec,
                          char **ret_libxl_spec, int *guest_unplug)
{
    _cleanup_free_ char *copy = strdup(spec);
    _cleanup_free_ char *rest = calloc(1, strlen(spec) + 1);
    if (!copy || !rest)
        return reader_nomem(rd);
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

/* A pci= entry or a pci-attach spec: the device, its @VSLOT (-1: none)
 * and its guest_unplug (-1: the domain's default). */
struct pci_spec {
    libdmr_pci_addr dev;
    int vslot;
    int guest_unplug;
};

static int read_one_pci(struct cfg_reader *rd, const char *spec, struct pci_spec *out)
{
    _cleanup_free_ char *libxl_spec = NULL;
    out->guest_unplug = -1;
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
    out->dev = (libdmr_pci_addr){ .domain = p.domain, .bus = p.bus, .dev = p.dev,
                                  .func = p.func };
    /* libxlutil stores @VSLOT as a devfn; slot 0 is the host bridge's. */
    out->vslot = p.vdevfn ? (int)(p.vdevfn >> 3) : -1;
    libxl_device_pci_dispose(&p);
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
        XLOGE(ctx, ERROR, "%s: cannot read config file", path);
        return errno == ENOENT ? LIBDMR_ERROR_NOTFOUND : LIBDMR_ERROR_INVAL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > CFG_SIZE_MAX) {
        XLOG(ctx, ERROR, "%s: not a config file (%s)", path,
            S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
        return LIBDMR_ERROR_INVAL;
    }
    char *buf = malloc(st.st_size + 1);
    if (!buf) {
        XLOG(ctx, ERROR, "%s: out of memory", path);
        return LIBDMR_ERROR_NOMEM;
    }
    ssize_t n = read(fd, buf, st.st_size);
    if (n < 0) {
        XLOGE(ctx, ERROR, "%s: cannot read config file", path);
        free(buf);
        return LIBDMR_ERROR_INVAL;
    }
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
        XLOG(ctx, ERROR, "%s: a NUL byte at offset %zu: not a config file", path, (size_t)(nul - buf));
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
    rd->xlu = rd->report ? xlu_cfg_init(rd->report, path) : NULL;
    if (!rd->xlu)
        return reader_nomem(rd);
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_cfg_file(ctx, path, &text, &len);
    if (r)
        return r;
    r = xlu_cfg_readdata(rd->xlu, text, len);
    if (r == EINVAL) {  /* a syntax error: libxlutil names file and line */
        char complaint[256];
        const char *c = reader_complaint(rd, complaint, sizeof(complaint));
        XLOG(ctx, ERROR, "%s", c ? c : "config parsing error");
        return LIBDMR_ERROR_INVAL;
    }
    if (r) {
        libdmr_ctx_log(ctx, XTL_ERROR, r, LIBDMR_NO_DOMID, "%s: cannot read config file", path);
        return r == ENOENT ? LIBDMR_ERROR_NOTFOUND : LIBDMR_ERROR_INVAL;
    }
    /* As in xl: each KEY=VALUE is read after the file; the last one wins. */
    for (size_t i = 0; i < n_overrides; i++) {
        if (xlu_cfg_readdata(rd->xlu, overrides[i], strlen(overrides[i]))) {
            char complaint[256];
            const char *c = reader_complaint(rd, complaint, sizeof(complaint));
            const char *why = c ? strstr(c, "config parsing error") : NULL;
            XLOG(ctx, ERROR, "bad KEY=VALUE override '%s'%s%s (xl syntax, e.g. 'name=\"x\"')",
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


/* The config, made once its name is known (the library checks the name). */
static int read_name(struct cfg_reader *rd, libdmr_config **ret)
{
    _cleanup_free_ char *name = NULL;
    int rc = read_string(rd, "name", &name);
    if (rc)
        return rc;
    if (!name)
        return reader_fail(rd, "domain name must be specified (name=\"...\")");
    rc = reader_set(rd, "name", libdmr_config_new(rd->ctx, name, ret));
    if (!rc && (rc = libdmr_config_set_source(rd->ctx, *ret, rd->path)))
        libdmr_config_free(TAKE_PTR(*ret));
    return rc;
}

static int read_type(struct cfg_reader *rd, libdmr_config *c)
{
    static const char *const types[] = {
        [LIBDMR_GUEST_HVM] = "hvm", [LIBDMR_GUEST_PV] = "pv", [LIBDMR_GUEST_PVH] = "pvh" };
    int type = LIBDMR_GUEST_HVM;
    int rc;
    if ((rc = read_choice(rd, "builder", (const char *const[]){ "hvm", "generic" }, 2, &type)) ||
        (rc = read_choice(rd, "type", types, ELEMENTSOF(types), &type)))
        return rc;
    return reader_set(rd, "type", libdmr_config_set_type(rd->ctx, c, type));
}

static int read_string_key(struct cfg_reader *rd, libdmr_config *c, const char *key,
                           int (*set)(libdmr_ctx *, libdmr_config *, const char *))
{
    _cleanup_free_ char *s = NULL;
    int rc = read_string(rd, key, &s);
    return rc || !s ? rc : reader_set(rd, key, set(rd->ctx, c, s));
}

static int read_numbers(struct cfg_reader *rd, libdmr_config *c)
{
    long memory = -1, vcpus = -1;
    bool restrict_dm = false;
    int rc;
    if ((rc = read_long(rd, "memory", 1, 16L << 20, &memory)) ||
        (rc = read_long(rd, "vcpus", 1, 128, &vcpus)) ||
        (rc = read_bool(rd, "dm_restrict", &restrict_dm)))
        return rc;
    if (memory >= 0 && (rc = reader_set(rd, "memory", libdmr_config_set_memory_mb(rd->ctx, c, memory))))
        return rc;
    if (vcpus >= 0 && (rc = reader_set(rd, "vcpus", libdmr_config_set_vcpus(rd->ctx, c, vcpus))))
        return rc;
    return libdmr_config_set_dm_restrict(rd->ctx, c, restrict_dm);
}

static int read_boot_keys(struct cfg_reader *rd, libdmr_config *c);

static int read_identity_keys(struct cfg_reader *rd, libdmr_config *c)
{
    int rc;
    if ((rc = read_type(rd, c)) || (rc = read_numbers(rd, c)) ||
        (rc = read_string_key(rd, c, "device_model_user", libdmr_config_set_device_model_user)) ||
        (rc = read_string_key(rd, c, "device_model_override", libdmr_config_set_device_model)))
        return rc;
    static const char *const versions[] = { "qemu-xen" };
    int version = 0;
    rc = read_choice(rd, "device_model_version", versions, ELEMENTSOF(versions), &version);
    return rc ? rc : read_boot_keys(rd, c);
}

/* Direct kernel boot, as xl.cfg spells it: kernel, ramdisk, cmdline (or
 * the older root + extra, joined). */
static int read_boot_keys(struct cfg_reader *rd, libdmr_config *c)
{
    _cleanup_free_ char *kernel = NULL, *ramdisk = NULL, *cmdline = NULL, *root = NULL,
                        *extra = NULL;
    int rc;
    if ((rc = read_string(rd, "kernel", &kernel)) ||
        (rc = read_string(rd, "ramdisk", &ramdisk)) ||
        (rc = read_string(rd, "cmdline", &cmdline)) ||
        (rc = read_string(rd, "root", &root)) ||
        (rc = read_string(rd, "extra", &extra)))
        return rc;
    if (!cmdline && (root || extra) &&
        asprintf(&cmdline, "%s%s%s%s", root ? "root=" : "", root ? root : "",
                 root && extra ? " " : "", extra ? extra : "") < 0) {
        cmdline = NULL;
        return reader_nomem(rd);
    }
    if ((kernel || ramdisk || cmdline) &&
        (rc = reader_set(rd, "kernel", libdmr_config_set_kernel(rd->ctx, c, kernel, ramdisk,
                                                                cmdline))))
        return rc;
    if ((rc = read_string_key(rd, c, "serial", libdmr_config_set_serial)))
        return rc;
    return read_string_key(rd, c, "boot", libdmr_config_set_boot);
}

static int read_backend_keys(struct cfg_reader *rd, libdmr_config *c)
{
    static const char *const backends[] = {
        [LIBDMR_BACKEND_XEN] = "xen", [LIBDMR_BACKEND_QEMU] = "qemu" };
    static const char *const machines[] = {
        [LIBDMR_MACHINE_Q35] = "q35", [LIBDMR_MACHINE_PC] = "pc" };
    static const char *const accels[] = {
        [LIBDMR_ACCEL_KVM] = "kvm", [LIBDMR_ACCEL_TCG] = "tcg" };
    int backend = LIBDMR_BACKEND_AUTO, machine = LIBDMR_MACHINE_DEFAULT,
        accel = LIBDMR_ACCEL_AUTO;
    int rc;
    if ((rc = read_choice(rd, "dm_backend", backends, ELEMENTSOF(backends), &backend)) ||
        (rc = read_choice(rd, "machine", machines, ELEMENTSOF(machines), &machine)) ||
        (rc = read_choice(rd, "accel", accels, ELEMENTSOF(accels), &accel)))
        return rc;
    if ((rc = libdmr_config_set_backend(rd->ctx, c, backend)) ||
        (rc = libdmr_config_set_machine(rd->ctx, c, machine)))
        return rc;
    return libdmr_config_set_accel(rd->ctx, c, accel);
}

/* on_poweroff, on_reboot, on_crash, on_soft_reset with xl.cfg(5)'s
 * values; the planner says which the backend carries. */
static int read_action_keys(struct cfg_reader *rd, libdmr_config *c)
{
    static const char *const keys[LIBDMR_EVENT_COUNT] = {
        [LIBDMR_EVENT_POWEROFF] = "on_poweroff", [LIBDMR_EVENT_REBOOT] = "on_reboot",
        [LIBDMR_EVENT_CRASH] = "on_crash", [LIBDMR_EVENT_SOFT_RESET] = "on_soft_reset" };
    static const char *const actions[] = {
        [LIBDMR_ACTION_DESTROY] = "destroy", [LIBDMR_ACTION_RESTART] = "restart",
        [LIBDMR_ACTION_PRESERVE] = "preserve", [LIBDMR_ACTION_RENAME_RESTART] = "rename-restart",
        [LIBDMR_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
        [LIBDMR_ACTION_COREDUMP_RESTART] = "coredump-restart",
        [LIBDMR_ACTION_SOFT_RESET] = "soft-reset" };
    int rc = 0;
    for (int e = 0; !rc && e < LIBDMR_EVENT_COUNT; e++) {
        int action = LIBDMR_ACTION_DEFAULT;
        rc = read_choice(rd, keys[e], actions, ELEMENTSOF(actions), &action);
        if (!rc && action != LIBDMR_ACTION_DEFAULT)
            rc = reader_set(rd, keys[e], libdmr_config_set_action(rd->ctx, c, e, action));
    }
    return rc;
}

static int disk_format(struct cfg_reader *rd, const char *spec, const libxl_device_disk *d,
                       enum libdmr_disk_format *ret)
{
    switch (d->format) {
    case LIBXL_DISK_FORMAT_RAW:   *ret = LIBDMR_FORMAT_RAW; return 0;
    case LIBXL_DISK_FORMAT_QCOW2: *ret = LIBDMR_FORMAT_QCOW2; return 0;
    case LIBXL_DISK_FORMAT_EMPTY: *ret = LIBDMR_FORMAT_EMPTY; return 0;
    default:
        return reader_fail(rd, "disk \"%s\": format %s is not supported "
                           "(raw or qcow2)", spec,
                           libxl_disk_format_to_string(d->format));
    }
}

static int read_one_disk(struct cfg_reader *rd, libdmr_config *c, const char *spec)
{
    libxl_device_disk d;
    libxl_device_disk_init(&d);
    enum libdmr_disk_format format = LIBDMR_FORMAT_RAW;
    int rc = xlu_disk_parse(rd->xlu, 1, &spec, &d)
                 ? reader_fail(rd, "bad disk specification \"%s\"", spec)
                 : disk_format(rd, spec, &d, &format);
    unsigned flags = (d.readwrite ? LIBDMR_DISK_READWRITE : 0) |
                     (d.is_cdrom ? LIBDMR_DISK_CDROM : 0);
    if (!rc)
        rc = libdmr_config_add_disk(rd->ctx, c, d.vdev, d.pdev_path, format, flags);
    if (rc == LIBDMR_ERROR_INVAL)
        rc = reader_fail(rd, "disk \"%s\": %s", spec, libdmr_ctx_last_error(rd->ctx));
    libxl_device_disk_dispose(&d);
    return rc;
}

static int read_disks(struct cfg_reader *rd, libdmr_config *c)
{
    XLU_ConfigList *list;
    int n = 0;
    if (xlu_cfg_get_list(rd->xlu, "disk", &list, &n, 0) == ESRCH || n == 0)
        return 0;
    for (int i = 0; i < n; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        if (!spec)
            return reader_fail(rd, "disk entry %d must be a string", i);
        int rc = read_one_disk(rd, c, spec);
        if (rc)
            return rc;
    }
    return 0;
}

static int read_pci(struct cfg_reader *rd, libdmr_config *c)
{
    bool guest_unplug = true;
    long ports = -1;
    int rc = read_bool(rd, "pci_guest_unplug", &guest_unplug);
    if (!rc)
        rc = read_long(rd, "pci_hotplug_ports", 0, 16, &ports);
    if (!rc)
        rc = libdmr_config_set_pci_guest_unplug(rd->ctx, c, guest_unplug);
    if (!rc)
        rc = reader_set(rd, "pci_hotplug_ports",
                        libdmr_config_set_pci_hotplug_ports(rd->ctx, c, ports));
    XLU_ConfigList *list;
    int n = 0;
    if (rc || xlu_cfg_get_list(rd->xlu, "pci", &list, &n, 0) == ESRCH)
        return rc;
    for (int i = 0; !rc && i < n; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        struct pci_spec p;
        if (!spec)
            return reader_fail(rd, "pci entry %d must be a string", i);
        rc = read_one_pci(rd, spec, &p);
        if (!rc)
            rc = libdmr_config_add_pci(rd->ctx, c, &p.dev, p.vslot, p.guest_unplug);
        if (rc == LIBDMR_ERROR_INVAL && !strncmp(libdmr_ctx_last_error(rd->ctx), "pci ", 4))
            rc = reader_fail(rd, "pci \"%s\": %s", spec,
                             strstr(libdmr_ctx_last_error(rd->ctx), ": ") + 2);
    }
    return rc;
}

int xl_config_load(libdmr_ctx *ctx, const char *path, const char *const *overrides,
                   size_t n_overrides, libdmr_config **ret_config)
{
    if (!ctx || !path || !ret_config || (n_overrides && !overrides))
        return LIBDMR_ERROR_INVAL;
    struct cfg_reader rd = { .ctx = ctx, .path = path, .overrides = overrides,
                             .n_overrides = n_overrides };
    libdmr_config *c = NULL;
    int rc = reader_open(&rd, path, overrides, n_overrides);
    if (!rc) rc = read_name(&rd, &c);
    if (!rc) rc = read_identity_keys(&rd, c);
    if (!rc) rc = read_backend_keys(&rd, c);
    if (!rc) rc = read_action_keys(&rd, c);
    if (!rc) rc = read_disks(&rd, c);
    if (!rc) rc = read_pci(&rd, c);
    if (!rc) rc = xl_cfg_keys_judge(ctx, rd.xlu, path, c);
    reader_close(&rd);
    if (rc) {
        libdmr_config_free(c);
        return rc;
    }
    *ret_config = c;
    return 0;
}

/* A one-line "file" of its own, so messages read "WHAT: ...". */
static int reader_open_line(struct cfg_reader *rd, libdmr_ctx *ctx, const char *what)
{
    *rd = (struct cfg_reader){ .ctx = ctx, .path = what };
    rd->report = open_memstream(&rd->report_buf, &rd->report_len);
    rd->xlu = rd->report ? xlu_cfg_init(rd->report, rd->path) : NULL;
    return rd->xlu ? 0 : reader_nomem(rd);
}

int xl_pci_spec_parse(libdmr_ctx *ctx, const char *spec, libdmr_pci_addr *ret_dev,
                      int *ret_vslot, int *ret_guest_unplug)
{
    struct cfg_reader rd;
    struct pci_spec p;
    int rc = reader_open_line(&rd, ctx, "pci-attach");
    if (!rc)
        rc = read_one_pci(&rd, spec, &p);
    reader_close(&rd);
    if (!rc) {
        *ret_dev = p.dev;
        *ret_vslot = p.vslot;
        *ret_guest_unplug = p.guest_unplug;
    }
    return rc;
}

int xl_bdf_parse(libdmr_ctx *ctx, const char *bdf, libdmr_pci_addr *ret_dev)
{
    struct cfg_reader rd;
    libxl_device_pci pci;
    libxl_device_pci_init(&pci);
    int rc = reader_open_line(&rd, ctx, "pci");
    char full[32];
    if (!rc && (!bdf_safe_for_libxlutil(bdf) || xlu_pci_parse_bdf(rd.xlu, &pci, bdf)))
        rc = LIBDMR_ERROR_INVAL;
    if (!rc)
        snprintf(full, sizeof(full), LIBDMR_BDF_FMT, LIBDMR_BDF_ARGS(&pci));
    /* libxlutil stops at the address and ignores what follows ("@4",
     * ",opt", "x"); a host device is named by the address alone. */
    if (!rc && strcasecmp(bdf, full) && strcasecmp(bdf, full + strlen("0000:")))
        rc = LIBDMR_ERROR_INVAL;
    if (rc == LIBDMR_ERROR_INVAL)
        XLOG(ctx, ERROR, "bad PCI address \"%s\" (expected [DDDD:]BB:DD.F)", bdf);
    if (!rc)
        *ret_dev = (libdmr_pci_addr){ .domain = pci.domain, .bus = pci.bus, .dev = pci.dev,
                                      .func = pci.func };
    libxl_device_pci_dispose(&pci);
    reader_close(&rd);
    return rc;
}
