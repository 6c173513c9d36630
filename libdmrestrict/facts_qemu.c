/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the QEMU binary can do, probed rather than guessed from a version:
 * -chroot and -run-with chroot= (8.1+; -chroot gone in 9.0), -runas and
 * -run-with user= (9.1+; -runas gone in 10.0) are each probed on their
 * own, as are -sandbox, the machine types and pcie-root-port's hotplug
 * property. Also whether KVM can really create a VM here (whether it
 * runs guests too is facts_accel.c's).
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "internal.h"

#define PROBE_TIMEOUT_MS 10000
#define PROBE_OUTPUT_MAX (1u << 20)

extern char **environ;

/* Read all of fd until EOF, the deadline or the cap. */
static int read_all(int fd, char **ret)
{
    size_t len = 0, cap = 8192;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    long start = monotonic_ms();
    for (;;) {
        long spent = monotonic_ms() - start;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = spent < PROBE_TIMEOUT_MS ? poll(&p, 1, PROBE_TIMEOUT_MS - spent) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(buf);
            return r == 0 ? -ETIMEDOUT : -errno;
        }
        if (len + 1 >= cap) {
            char *grown = cap < PROBE_OUTPUT_MAX ? realloc(buf, cap * 2) : NULL;
            if (!grown) {
                free(buf);
                return cap < PROBE_OUTPUT_MAX ? -ENOMEM : -EFBIG;
            }
            buf = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            buf[len] = '\0';
            *ret = buf;
            return n < 0 ? (free(buf), -errno) : 0;
        }
        len += n;
    }
}

/* Run `qemu ARGS...` and return what it printed on stdout. A non-zero
 * exit is -EIO, logged, or -ENOENT, quietly, when the answer is optional. */
#define QEMU_CAPTURE(ctx, qemu, optional, ret_out, ...) \
    qemu_capture(ctx, qemu, (const char *[]){ qemu, __VA_ARGS__, NULL }, optional, ret_out)
static int qemu_capture(libdmr_ctx *ctx, const char *qemu, const char *const argv[],
                        bool optional, char **ret_out)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int r = posix_spawn(&pid, qemu, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    safe_close(pipefd[1]);
    if (r) {
        safe_close(pipefd[0]);
        return -r;
    }
    char *out = NULL;
    r = read_all(pipefd[0], &out);
    safe_close(pipefd[0]);
    if (r < 0)
        kill(pid, SIGKILL);
    int status = 0;
    if (wait_child(pid, &status) && r == 0)
        r = -ECHILD;
    if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && optional)
        r = -ENOENT;
    else if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        LOG(ERROR, "%s %s%s%s failed", qemu, argv[1], argv[2] ? " " : "", argv[2] ? argv[2] : "");
        r = -EIO;
    }
    if (r) {
        free(out);
        return r;
    }
    *ret_out = out;
    return 0;
}

/* Does the -help text list option (e.g. "-runas") at the start of a line? */
static bool help_has_option(const char *help, const char *option)
{
    size_t n = strlen(option);
    for (const char *p = help; (p = strstr(p, option)); p += n)
        if ((p == help || p[-1] == '\n') && (p[n] == ' ' || p[n] == '\n'))
            return true;
    return false;
}

/* The -run-with line's text, to see which sub-options it offers. */
static bool run_with_offers(const char *help, const char *suboption)
{
    const char *line = strstr(help, "\n-run-with ");
    if (!line)
        return false;
    const char *end = strchr(line + 1, '\n');
    const char *hit = strstr(line, suboption);
    return hit && (!end || hit < end);
}

static int machines_parse(const char *text, struct strv *out)
{
    const char *p = strstr(text, "Supported machines are:");
    if (!p)
        return -EINVAL;
    for (p = strchr(p, '\n'); p && *++p; p = strchr(p, '\n')) {
        size_t n = strcspn(p, " \n");
        if (n == 0)
            continue;
        int r = strv_pushf(out, "%.*s", (int)n, p);
        if (r)
            return r;
    }
    return 0;
}

static int qemu_probe(libdmr_ctx *ctx, struct libdmr_qemu_caps *q)
{
    _cleanup_free_ char *help = NULL, *machines = NULL, *port = NULL, *vfio = NULL,
                        *pvpanic = NULL;
    int r = QEMU_CAPTURE(ctx, q->path, false, &help, "-help");
    if (!r) r = QEMU_CAPTURE(ctx, q->path, false, &machines, "-machine", "help");
    if (!r) r = QEMU_CAPTURE(ctx, q->path, false, &port, "-device", "pcie-root-port,help");
    /* A build without vfio-pci has no VFIO at all: not an error. */
    if (!r && (r = QEMU_CAPTURE(ctx, q->path, true, &vfio, "-device", "vfio-pci,help")) == -ENOENT)
        r = 0;
    /* A build without pvpanic is no error. */
    if (!r && (r = QEMU_CAPTURE(ctx, q->path, true, &pvpanic, "-device", "pvpanic,help")) == -ENOENT)
        r = 0;
    if (r) {
        if (r != -EIO)  /* -EIO: qemu_capture said what failed */
            LOGEV(ERROR, -r, "probing %s", q->path);
        return r;
    }
    q->runas = help_has_option(help, "-runas");
    q->chroot = help_has_option(help, "-chroot");
    q->run_with_user = run_with_offers(help, "user=");
    q->run_with_chroot = run_with_offers(help, "chroot=");
    /* -help lists -sandbox even in a build without seccomp (Debian's
     * qemu-xen): only parsing it tells. -version exits before it applies. */
    _cleanup_free_ char *version = NULL;
    q->sandbox = help_has_option(help, "-sandbox") &&
                 QEMU_CAPTURE(ctx, q->path, true, &version, "-sandbox", "on", "-version") == 0;
    q->root_port_hotplug = strstr(port, "  hotplug=") != NULL;
    /* QEMU 9.0+ built with iommufd: the device's cdev and /dev/iommu can
     * be handed over as descriptors, so nothing of VFIO's is opened by path. */
    q->vfio_iommufd = vfio && strstr(vfio, "  iommufd=") && strstr(vfio, "  fd=");
    /* The guest's reboot, power-off and panic left to the toolstack. */
    /* -action came in 6.0 with reboot=, shutdown= and panic= (its
     * "-action help" exits 1, and -version does not check its values). */
    q->action = help_has_option(help, "-action");
    q->pvpanic = pvpanic && strstr(pvpanic, "pvpanic options");  /* an unknown device exits 0 too */
    r = machines_parse(machines, &q->machines);
    if (r == -EINVAL)
        LOG(ERROR, "%s -machine help: no machine list", q->path);
    return r;
}

/* /dev/kvm may exist and still refuse a VM; only KVM_CREATE_VM tells. */
static bool kvm_usable(libdmr_ctx *ctx)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/dev/kvm",
             strcmp(ctx->sysroot, "/") ? ctx->sysroot : "");
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    bool ok = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
    if (ok) {
        int vm = ioctl(fd, KVM_CREATE_VM, 0);
        ok = vm >= 0;
        safe_close(vm);
    }
    safe_close(fd);
    return ok;
}

int facts_qemu_gather(libdmr_ctx *ctx, const libdmr_config *config,
                      libdmr_facts *facts)
{
    struct libdmr_qemu_caps *q = &facts->qemu;
    /* The binary the plan will be for (facts_domains_gather ran first). */
    q->path = strdup(plan_dm_binary(config, facts->xen_dom0));
    if (!q->path)
        return LIBDMR_ERROR_NOMEM;
    /* KVM_CREATE_VM makes a VM in the kernel (0.5 ms of a start here): not
     * asked for a config whose accel is tcg, which no plan of reads it. */
    facts->kvm_usable = config->accel != LIBDMR_ACCEL_TCG && kvm_usable(ctx);

    struct stat st, after;
    if (stat(q->path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
        return 0;  /* absent: the planner refuses a qemu backend without it */
    if (!qemu_cache_load(ctx, q->path, &st, q)) {
        q->present = true;
        int r = qemu_probe(ctx, q);
        if (r)
            return libdmr_error_from_errno(r);
        /* Only what was probed from this very binary goes in the cache. */
        if (stat(q->path, &after) == 0 && after.st_ino == st.st_ino &&
            after.st_mtim.tv_nsec == st.st_mtim.tv_nsec && after.st_mtim.tv_sec == st.st_mtim.tv_sec &&
            after.st_ctim.tv_sec == st.st_ctim.tv_sec && after.st_ctim.tv_nsec == st.st_ctim.tv_nsec)
            qemu_cache_store(ctx, q->path, &st, q);
    }
    /* Whether KVM runs guests: what host check last probed, never probed here. */
    facts_accel_gather(ctx, facts);
    return 0;
}
