/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl.cfg -> a libdmr_config, through libxlutil and the library's
 * toolstack-neutral setters. The keys a backend honours are read here;
 * what each backend does with every key a cfg sets (the scanner,
 * xl_cfg_scan.c, lists them) is in the table of xl_cfg_keys.c: honoured,
 * named in a notice, or refused by name. libxlutil checks the syntax, the
 * setters the values; each error is one line naming the file and line, or
 * the KEY=VALUE override that set the key.
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

#include <arpa/inet.h>
#include <libxlutil.h>

#include "xl_cfg.h"
#include "xl_cfg_keys.h"
#include "xl_cfg_scan.h"

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
    struct cfg_scan scan;   /* the keys the file and the overrides set */
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

/* The keys text (the file, or override number override) sets, once
 * libxlutil has accepted it. */
static int reader_scan(struct cfg_reader *rd, const char *text, size_t len, int override)
{
    int r = xl_cfg_scan_text(&rd->scan, text, len, override);
    if (r == -ENOMEM)
        return reader_nomem(rd);
    if (r) {
        /* Never silently: a key the scanner missed would go unjudged. */
        XLOG(rd->ctx, ERROR, "%s: libxlutil reads %s, but xl-dmr cannot list the keys it "
             "sets (a bug of xl-dmr's)", rd->path, override < 0 ? "the file" : "an override");
        return LIBDMR_ERROR_INVAL;
    }
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
    if ((r = reader_scan(rd, text, len, -1)))
        return r;
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
        if ((r = reader_scan(rd, overrides[i], strlen(overrides[i]), (int)i)))
            return r;
    }
    return 0;
}

static void reader_close(struct cfg_reader *rd)
{
    xl_cfg_scan_clear(&rd->scan);
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

/*
 * As xl reads it: type, or the older builder ("generic" is PV); both must
 * agree; with neither the guest is PV, which has no device model here.
 */
static int read_type(struct cfg_reader *rd, libdmr_config *c)
{
    static const char *const types[] = {
        [LIBDMR_GUEST_HVM] = "hvm", [LIBDMR_GUEST_PV] = "pv", [LIBDMR_GUEST_PVH] = "pvh" };
    static const char *const builders[] = {
        [LIBDMR_GUEST_HVM] = "hvm", [LIBDMR_GUEST_PV] = "generic" };
    int type = -1, builder = -1;
    int rc;
    if ((rc = read_choice(rd, "type", types, ELEMENTSOF(types), &type)) ||
        (rc = read_choice(rd, "builder", builders, ELEMENTSOF(builders), &builder)))
        return rc;
    if (type < 0 && builder < 0)
        return reader_fail(rd, "type not set: xl's default is PV, which has no device model "
                           "here; add type = \"hvm\"");
    if (type >= 0 && builder >= 0 && type != builder)
        return reader_fail(rd, "type and builder contradict each other (xl refuses them too)");
    return reader_set(rd, "type", libdmr_config_set_type(rd->ctx, c, type >= 0 ? type : builder));
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

/* kernel=, but as xl does for an HVM guest, not one naming hvmloader:
 * older cfgs give it as the firmware, which Xen loads anyway (the key
 * table names it in a notice). */
static int read_kernel(struct cfg_reader *rd, char **ret)
{
    int rc = read_string(rd, "kernel", ret);
    if (!rc && xl_cfg_kernel_is_hvmloader(*ret)) {
        free(*ret);
        *ret = NULL;
    }
    return rc;
}

/*
 * serial= as xl reads it: a string, or a list of them (one serial port
 * per entry). The first port goes to the setter; a list of more than one
 * is refused by the key table, naming serial. An empty list asks for none.
 */
static int read_serial(struct cfg_reader *rd, libdmr_config *c)
{
    XLU_ConfigList *list;
    int n = 0;
    int r = xlu_cfg_get_list(rd->xlu, "serial", &list, &n, 1);
    if (r == EINVAL || r == ESRCH)   /* not a list: a string, or not set */
        return read_string_key(rd, c, "serial", libdmr_config_set_serial);
    if (n == 0)   /* as in xl: no serial port */
        return reader_set(rd, "serial", libdmr_config_set_serial(rd->ctx, c, "none"));
    const char *first = xlu_cfg_get_listitem(list, 0);
    if (!first)
        return reader_fail_key(rd, "serial", "serial entry 0 must be a string");
    return reader_set(rd, "serial", libdmr_config_set_serial(rd->ctx, c, first));
}

/* Direct kernel boot, as xl.cfg spells it: kernel, ramdisk, cmdline (or
 * the older root + extra, joined). */
static int read_boot_keys(struct cfg_reader *rd, libdmr_config *c)
{
    _cleanup_free_ char *kernel = NULL, *ramdisk = NULL, *cmdline = NULL, *root = NULL,
                        *extra = NULL;
    int rc;
    if ((rc = read_kernel(rd, &kernel)) ||
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
    if ((rc = read_serial(rd, c)))
        return rc;
    return read_string_key(rd, c, "boot", libdmr_config_set_boot);
}

/* bios: SeaBIOS (xl's default) or OVMF; rombios needs qemu-traditional. */
static int read_firmware(struct cfg_reader *rd, libdmr_config *c)
{
    static const char *const bioses[] = {
        [LIBDMR_FIRMWARE_SEABIOS] = "seabios", [LIBDMR_FIRMWARE_OVMF] = "ovmf" };
    int fw = LIBDMR_FIRMWARE_DEFAULT;
    /* bios_path_override is refused by the key table, with why. */
    int rc = read_choice(rd, "bios", bioses, ELEMENTSOF(bioses), &fw);
    return rc ? rc : libdmr_config_set_firmware(rd->ctx, c, fw);
}

static int read_dm_args(struct cfg_reader *rd, libdmr_config *c, const char *key)
{
    XLU_ConfigList *list;
    int n = 0, rc = 0;
    int r = xlu_cfg_get_list(rd->xlu, key, &list, &n, 0);
    if (r == ESRCH)
        return 0;
    if (r)
        return reader_fail_key(rd, key, "%s must be a list of strings", key);
    for (int i = 0; !rc && i < n; i++) {
        const char *arg = xlu_cfg_get_listitem(list, i);
        rc = arg ? libdmr_config_add_device_model_arg(rd->ctx, c, arg)
                 : reader_fail_key(rd, key, "%s entry %d must be a string", key, i);
    }
    return rc;
}

/* bios, maxvcpus, uuid, localtime, rtc_timeoffset, acpi, soundhw,
 * device_model_args(_hvm): the qemu backend's machine (plan_machine.c). */
static int read_machine_keys(struct cfg_reader *rd, libdmr_config *c)
{
    long maxvcpus = 0, offset = 0;
    bool localtime = false, acpi = true;
    int rc;
    if ((rc = read_firmware(rd, c)) ||
        (rc = read_long(rd, "maxvcpus", 1, 128, &maxvcpus)) ||
        (rc = read_bool(rd, "localtime", &localtime)) ||
        (rc = read_long(rd, "rtc_timeoffset", -(10L * 366 * 24 * 3600), 10L * 366 * 24 * 3600,
                        &offset)) ||
        (rc = read_bool(rd, "acpi", &acpi)) ||
        (rc = read_string_key(rd, c, "uuid", libdmr_config_set_uuid)) ||
        (rc = read_string_key(rd, c, "soundhw", libdmr_config_set_soundhw)))
        return rc;
    if ((rc = reader_set(rd, "maxvcpus", libdmr_config_set_maxvcpus(rd->ctx, c, maxvcpus))) ||
        (rc = reader_set(rd, "rtc_timeoffset", libdmr_config_set_rtc(rd->ctx, c, localtime, offset))) ||
        (rc = libdmr_config_set_acpi(rd->ctx, c, acpi)) ||
        (rc = read_dm_args(rd, c, "device_model_args")))
        return rc;
    return read_dm_args(rd, c, "device_model_args_hvm");
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
        /* on_soft_reset is checked but not passed: the key table names it
         * in a notice on the qemu backend (and refuses it on xen) already. */
        if (!rc && action != LIBDMR_ACTION_DEFAULT && e != LIBDMR_EVENT_SOFT_RESET)
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

/* A notice for the qemu backend's plan: "PATH: WHAT". */
static int reader_notice(struct cfg_reader *rd, libdmr_config *c, const char *what)
{
    char *text = NULL;
    if (asprintf(&text, "%s: %s", rd->path, what) < 0)
        return reader_nomem(rd);
    int rc = libdmr_config_add_backend_notice(rd->ctx, c, LIBDMR_BACKEND_QEMU, text);
    free(text);
    return rc;
}

/* An IPv4 or IPv6 address in numbers, whole. */
static bool is_inet_address(const char *s)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1;
}

/*
 * vnclisten as xl takes it: an address, or "ADDRESS:DISPLAY" (libxl then
 * refuses a vncdisplay beside it). An IPv6 address is taken whole; with a
 * display it goes in brackets, "[::1]:1". *ret_display: -1 when none.
 */
static int vnc_listen_split(struct cfg_reader *rd, const char *listen, char **ret_addr,
                            long *ret_display)
{
    *ret_display = -1;
    const char *colon = strrchr(listen, ':');
    if (is_inet_address(listen) || !colon) {
        *ret_addr = strdup(listen);
        return *ret_addr ? 0 : reader_nomem(rd);
    }
    char *end = NULL;
    errno = 0;
    long display = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end || errno || display > 65535 - 5900)
        return reader_fail_key(rd, "vnclisten", "vnclisten \"%s\": expected ADDRESS or "
                               "ADDRESS:DISPLAY", listen);
    const char *host = listen;
    size_t len = colon - listen;
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (!(*ret_addr = strndup(host, len)))
        return reader_nomem(rd);
    *ret_display = display;
    return 0;
}

/* The vnc* keys, read as xl does (parse_top_level_vnc_options); used only
 * with vnc=1 (see xl-dmr.cfg(5): libxl's default for an HVM guest is a
 * VNC server, xl-dmr's is none). */
static int read_vnc_keys(struct cfg_reader *rd, libdmr_config *c)
{
    bool vnc = false, unused = true;
    long display = -1;
    _cleanup_free_ char *listen = NULL, *passwd = NULL, *addr = NULL;
    int rc;
    if ((rc = read_bool(rd, "vnc", &vnc)) || (rc = read_string(rd, "vnclisten", &listen)) ||
        (rc = read_long(rd, "vncdisplay", 0, 65535 - 5900, &display)) ||
        (rc = read_bool(rd, "vncunused", &unused)) || (rc = read_string(rd, "vncpasswd", &passwd)))
        return rc;
    bool unused_set = xlu_cfg_get_long(rd->xlu, "vncunused", &(long){ 0 }, 1) != ESRCH;
    if (!vnc) {
        if (listen || display >= 0 || unused_set || passwd)
            return reader_notice(rd, c, "vnclisten, vncdisplay, vncunused, vncpasswd: ignored, "
                                 "vnc=1 is not set (xl-dmr starts no VNC server unless asked)");
        return 0;
    }
    long listen_display = -1;
    if (listen && (rc = vnc_listen_split(rd, listen, &addr, &listen_display)))
        return rc;
    if (listen_display >= 0 && display > 0)
        return reader_fail_key(rd, "vncdisplay", "vncdisplay set, vnclisten contains display");
    if (listen_display >= 0)
        display = listen_display;
    if (display < 0)
        display = 0;
    /* libxl's vncunused defaults to 1; past display 99 it could try nothing. */
    if (!unused_set && display > 99)
        unused = false;
    if ((rc = reader_set(rd, "vnclisten", libdmr_config_set_vnc(rd->ctx, c, addr, display, unused))))
        return rc;
    /* Not reader_set: an override's text would carry the secret into the message. */
    rc = libdmr_config_set_vnc_password(rd->ctx, c, passwd);
    return rc == LIBDMR_ERROR_INVAL ? reader_fail(rd, "%s", libdmr_ctx_last_error(rd->ctx)) : rc;
}

/* vga, or the older stdvga=1 (xl reads it only without vga), and videoram in MB. */
static int read_vga_keys(struct cfg_reader *rd, libdmr_config *c)
{
    static const char *const cards[] = {
        [LIBDMR_VGA_CIRRUS] = "cirrus", [LIBDMR_VGA_STD] = "stdvga", [LIBDMR_VGA_NONE] = "none" };
    _cleanup_free_ char *vga_s = NULL;
    int vga = LIBDMR_VGA_DEFAULT, rc;
    long videoram = 0;
    bool stdvga = false;
    if ((rc = read_string(rd, "vga", &vga_s)))
        return rc;
    if (vga_s && !strcmp(vga_s, "qxl"))
        return reader_fail_key(rd, "vga", "vga=\"qxl\": not carried (QEMU's qxl is for spice, "
                               "which xl-dmr does not carry); use stdvga or cirrus");
    if (vga_s && (rc = read_choice(rd, "vga", cards, ELEMENTSOF(cards), &vga)))
        return rc;
    if (!vga_s && xlu_cfg_get_long(rd->xlu, "stdvga", &(long){ 0 }, 1) != ESRCH) {
        if ((rc = read_bool(rd, "stdvga", &stdvga)))
            return rc;
        vga = stdvga ? LIBDMR_VGA_STD : LIBDMR_VGA_CIRRUS;
    }
    if ((rc = read_long(rd, "videoram", 1, 1L << 20, &videoram)))
        return rc;
    return reader_set(rd, "videoram", libdmr_config_set_vga(rd->ctx, c, vga, videoram));
}

/* usb=1, and usbdevice: a string or a list, as xl takes it. */
static int read_usb_keys(struct cfg_reader *rd, libdmr_config *c)
{
    bool usb = false;
    int rc = read_bool(rd, "usb", &usb);
    if (!rc)
        rc = libdmr_config_set_usb(rd->ctx, c, usb);
    XLU_ConfigList *list = NULL;
    int n = 0;
    const char *one = NULL;
    int r = rc ? ESRCH : xlu_cfg_get_list(rd->xlu, "usbdevice", &list, &n, 0);
    if (r == EINVAL && xlu_cfg_get_string(rd->xlu, "usbdevice", &one, 0))
        return reader_fail_key(rd, "usbdevice", "usbdevice must be a string or a list");
    if (one)
        return reader_set(rd, "usbdevice", libdmr_config_add_usb_device(rd->ctx, c, one));
    for (int i = 0; !rc && r == 0 && i < n; i++)
        rc = reader_set(rd, "usbdevice",
                        libdmr_config_add_usb_device(rd->ctx, c, xlu_cfg_get_listitem(list, i)));
    return rc;
}

static int read_display_keys(struct cfg_reader *rd, libdmr_config *c)
{
    int rc;
    /* nographic: either value is what the qemu backend does (no window,
     * the serial port to the logger); read for its type only. */
    bool nographic = false;
    if ((rc = read_vnc_keys(rd, c)) || (rc = read_vga_keys(rd, c)) ||
        (rc = read_usb_keys(rd, c)) || (rc = read_bool(rd, "nographic", &nographic)))
        return rc;
    return read_string_key(rd, c, "keymap", libdmr_config_set_keymap);
}

/*
 * One vif entry, as xl's parse_nic_config reads it ("key=value,...", or
 * the bare words trusted/untrusted). What the qemu backend makes of each
 * key (xl-dmr.cfg(5) says the same): mac, bridge, model, vifname and
 * type=ioemu are honoured; accel is ignored, as xl ignores it; every other
 * key of xl's is refused by name with why, never dropped.
 */
struct vif_spec {
    char *mac, *bridge, *model, *vifname;
};

static const struct {
    const char *key;       /* a prefix of colo_* keys ends in '_' */
    const char *why;
} vif_refused[] = {
    { "ip", "is for Xen's hotplug script (routes, anti-spoofing), which is not run; give "
            "the guest its address itself" },
    { "script", "names a hotplug script run as root; the toolstack puts the tap on its "
                "bridge itself and runs none" },
    { "rate", "is enforced by Xen's netback, which this backend has not" },
    { "backend", "names a Xen driver domain; this backend's taps are the host's" },
    { "gatewaydev", "is for Xen's vif-route/vif-nat scripts, which are not run" },
    { "netdev", "is for Xen's vif-route/vif-nat scripts, which are not run" },
    { "mtu", "is not carried: the tap takes its bridge's MTU" },
    { "devid", "is not carried: NICs are numbered by their place in vif" },
    { "forwarddev", "is for Xen's COLO replication" },
    { "colo_", "is for Xen's COLO replication" },
};

static int vif_refuse(struct cfg_reader *rd, const char *spec, const char *token)
{
    size_t klen = strcspn(token, "=");
    for (size_t i = 0; i < ELEMENTSOF(vif_refused); i++) {
        const char *k = vif_refused[i].key;
        bool prefix = k[strlen(k) - 1] == '_';
        if (prefix ? !strncmp(token, k, strlen(k)) : klen == strlen(k) && !strncmp(token, k, klen))
            return reader_fail(rd, "vif \"%s\": %.*s= %s", spec, (int)klen, token,
                               vif_refused[i].why);
    }
    if (!strcmp(token, "trusted") || !strcmp(token, "untrusted"))
        return reader_fail(rd, "vif \"%s\": %s is a Xen netback property; this backend "
                           "has none", spec, token);
    return reader_fail(rd, "vif \"%s\": unknown key \"%.*s\"", spec, (int)klen, token);
}

/* The value of "key=value" in token, or NULL for another key. */
static const char *vif_value(const char *token, const char *key)
{
    size_t n = strlen(key);
    return !strncmp(token, key, n) && token[n] == '=' ? token + n + 1 : NULL;
}

static int vif_token(struct cfg_reader *rd, libdmr_config *c, const char *spec,
                     const char *token, struct vif_spec *v)
{
    const char *val;
    char **slot = (val = vif_value(token, "mac")) ? &v->mac
                : (val = vif_value(token, "bridge")) ? &v->bridge
                : (val = vif_value(token, "model")) ? &v->model
                : (val = vif_value(token, "vifname")) ? &v->vifname : NULL;
    if (slot) {
        free(*slot);
        return (*slot = strdup(val)) ? 0 : reader_nomem(rd);
    }
    if ((val = vif_value(token, "type"))) {
        if (!strcmp(val, "ioemu"))
            return 0;  /* an emulated NIC: what this backend makes */
        if (!strcmp(val, "vif"))
            return reader_fail(rd, "vif \"%s\": type=vif is a PV-only NIC, for Xen's "
                               "netback; the qemu backend emulates (type=ioemu)", spec);
        return reader_fail(rd, "vif \"%s\": type must be ioemu or vif", spec);
    }
    if (vif_value(token, "accel")) {
        _cleanup_free_ char *notice = NULL;
        if (asprintf(&notice, "%s: vif \"%s\": accel= is ignored, as xl ignores it",
                     rd->path, spec) < 0)
            return reader_nomem(rd);
        return libdmr_config_add_backend_notice(rd->ctx, c, LIBDMR_BACKEND_QEMU, notice);
    }
    return vif_refuse(rd, spec, token);
}

static int read_one_vif(struct cfg_reader *rd, libdmr_config *c, const char *spec)
{
    _cleanup_free_ char *copy = strdup(spec);
    struct vif_spec v = { 0 };
    int rc = copy ? 0 : reader_nomem(rd);
    char *save = NULL;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; !rc && tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        if (*tok)
            rc = vif_token(rd, c, spec, tok, &v);
    }
    if (!rc &&
        (rc = libdmr_config_add_nic_mac(rd->ctx, c, v.vifname, v.bridge, v.model, v.mac)) ==
            LIBDMR_ERROR_INVAL) {
        /* The setter's "vif: WHY", told of this entry. */
        const char *why = libdmr_ctx_last_error(rd->ctx);
        rc = reader_fail(rd, "vif \"%s\": %s", spec, strncmp(why, "vif: ", 5) ? why : why + 5);
    }
    free(v.mac);
    free(v.bridge);
    free(v.model);
    free(v.vifname);
    return rc;
}

static int read_vifs(struct cfg_reader *rd, libdmr_config *c)
{
    XLU_ConfigList *list;
    int n = 0;
    if (xlu_cfg_get_list(rd->xlu, "vif", &list, &n, 0) == ESRCH)
        return 0;
    for (int i = 0; i < n; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        if (!spec)
            return reader_fail(rd, "vif entry %d must be a string", i);
        int rc = read_one_vif(rd, c, spec);
        if (rc)
            return rc;
    }
    return 0;
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
    if (!rc) rc = read_machine_keys(&rd, c);
    if (!rc) rc = read_display_keys(&rd, c);
    if (!rc) rc = read_action_keys(&rd, c);
    if (!rc) rc = read_disks(&rd, c);
    if (!rc) rc = read_pci(&rd, c);
    if (!rc) rc = read_vifs(&rd, c);
    if (!rc) rc = xl_cfg_keys_judge(ctx, rd.xlu, &rd.scan, path, overrides, c);
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
