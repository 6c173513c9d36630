/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dm_own_devices: the audit of a device model that makes its own tap and
 * VNC socket, as libxl has qemu-xen do for vif and vnc, through the public
 * API only (libdmr_domain_record, libdmr_dm_audit), against a real QEMU:
 * qemu-system-x86_64 -netdev tap,ifname=... -vnc 127.0.0.1:7, in a network
 * namespace of its own (so the tap is no interface of the host's, and the
 * audit must read the DM's own /proc/PID/net/tcp). Prints TAP. Run as root
 * in a private mount namespace with a tmpfs over /run
 * (test_dm_own_devices.sh).
 *
 * - Planned (one vif, vnc on 127.0.0.1 display 7): descriptors passes and
 *   says "tap 1" and "vnc 127.0.0.1:5907 listening"; the whole audit passes.
 * - The same as ::ffff:127.0.0.1, and as the first free port from 5900:
 *   passes.
 * - Planned without them, or with VNC on another port or address:
 *   descriptors fails, naming the tap and the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libdmrestrict.h>

#define DOMID 12
#define QEMU "/usr/bin/qemu-system-x86_64"
#define VNC_PORT_HEX ":1713 "   /* 5907, as /proc/net/tcp writes it */

/* A dom0 as a toolstack that chose domid 12 describes it. */
static const char facts_json[] =
    "{\"domid\":12,\"xen_dom0\":true,\"kvm_usable\":false,\"domids_in_use\":[],"
    "\"users\":{},\"subuid\":[],\"subgid\":[],"
    "\"qemu\":{\"path\":\"/usr/libexec/xen-qemu-system-i386\",\"present\":true,\"runas\":true,"
    "\"chroot\":true,\"run_with_user\":false,\"run_with_chroot\":false,\"sandbox\":true,"
    "\"root_port_hotplug\":true,\"machines\":[\"xenfv\"]},\"cap_sys_resource\":true,"
    "\"images\":[]}";

static int n_tests, n_failed;

static void check(bool ok, const char *what)
{
    printf("%sok %d - %s\n", ok ? "" : "not ", ++n_tests, what);
    n_failed += !ok;
}

/* lo up in the child's own network namespace: 127.0.0.1 exists only then. */
static int loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = { .ifr_name = "lo" };
    int r = s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ? -1 : 0;
    ifr.ifr_flags |= IFF_UP;
    if (!r)
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    if (s >= 0)
        close(s);
    return r;
}

/* QEMU as qemu-xen is started for vif and vnc, /dev/null for its stdio. */
static pid_t spawn_qemu(void)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0), dup2(null, 1), dup2(null, 2);
    close_range(3, ~0U, 0);
    if (unshare(CLONE_NEWNET) < 0 || loopback_up() < 0)
        _exit(126);
    execl(QEMU, QEMU, "-machine", "none", "-display", "none", "-nodefaults", "-S",
          "-netdev", "tap,id=net0,ifname=dmrtap0,script=no,downscript=no",
          "-vnc", "127.0.0.1:7", (char *)NULL);
    _exit(127);
}

/* Its VNC socket listens (as its own network namespace shows it): 10 s at most. */
static bool wait_listening(pid_t pid)
{
    char path[64], buf[8192];
    snprintf(path, sizeof(path), "/proc/%d/net/tcp", (int)pid);
    for (int i = 0; i < 200; i++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (fd >= 0)
            close(fd);
        if (n > 0) {
            buf[n] = '\0';
            char *row = strstr(buf, VNC_PORT_HEX);
            if (row && !strncmp(row + strlen(VNC_PORT_HEX), "00000000:0000 0A", 16))
                return true;
        }
        poll(NULL, 0, 50);
    }
    return false;
}

struct devices {
    int nics;
    bool vnc;
    const char *listen;    /* NULL: the default */
    int display;
    bool find_unused;
};

/* Plan the domain with these devices, record the running QEMU as its DM,
 * audit it; *ret_passed and the descriptors check's detail (free it). */
static int audit_with(libdmr_ctx *ctx, pid_t pid, const struct devices *d, bool *ret_passed,
                      bool *ret_fds_ok, char **ret_detail)
{
    libdmr_config *c = NULL;
    libdmr_facts *f = NULL;
    libdmr_plan *p = NULL;
    libdmr_audit *a = NULL;
    int rc = libdmr_config_new(ctx, "dmrnet", &c);
    if (!rc) rc = libdmr_config_set_backend(ctx, c, LIBDMR_BACKEND_XEN);
    if (!rc) rc = libdmr_config_set_toolstack_domid(ctx, c, DOMID);
    for (int i = 0; !rc && i < d->nics; i++)
        rc = libdmr_config_add_nic(ctx, c, "dmrtap0", "xenbr0", NULL);
    if (!rc && d->vnc)
        rc = libdmr_config_set_vnc(ctx, c, d->listen, d->display, d->find_unused);
    if (!rc) rc = libdmr_facts_from_json(ctx, facts_json, &f);
    if (!rc) rc = libdmr_plan_compute(ctx, c, f, &p);
    if (!rc) rc = libdmr_plan_check(ctx, p);
    if (!rc) rc = libdmr_domain_record(ctx, p, pid);
    if (!rc) {
        rc = libdmr_dm_audit(ctx, DOMID, &a);
        int forgot = libdmr_domain_forget(ctx, DOMID);
        rc = rc ? rc : forgot;
    }
    *ret_detail = NULL;
    for (size_t i = 0; !rc && i < libdmr_audit_count(a); i++) {
        const char *name, *detail;
        bool ok;
        libdmr_audit_check(a, i, &name, &ok, &detail);
        if (!ok && strcmp(name, "descriptors"))
            fprintf(stderr, "# %s failed: %s\n", name, detail);
        if (!strcmp(name, "descriptors")) {
            *ret_fds_ok = ok;
            *ret_detail = strdup(detail);
        }
    }
    if (!rc)
        *ret_passed = libdmr_audit_passed(a);
    libdmr_audit_free(a);
    libdmr_plan_free(p);
    libdmr_facts_free(f);
    libdmr_config_free(c);
    return rc;
}

/* One plan held against the running QEMU: whether descriptors (and, when
 * it passes, the whole audit) passes, and what its detail must say. */
struct audit_case {
    struct devices d;
    bool passes;
    const char *says, *also_says;
    const char *what;
};

static const struct audit_case cases[] = {
    { { 1, true, "127.0.0.1", 7, false }, true, "; tap 1", "; vnc 127.0.0.1:5907 listening",
      "vif and vnc on 127.0.0.1:7 planned: the audit passes; descriptors says tap 1 and "
      "vnc 127.0.0.1:5907 listening" },
    { { 1, true, "::ffff:127.0.0.1", 7, false }, true, "vnc 127.0.0.1:5907 listening", NULL,
      "vnc planned on ::ffff:127.0.0.1, the socket IPv4's: passes" },
    { { 1, true, NULL, 0, true }, true, "vnc 127.0.0.1:5907 listening", NULL,
      "vnc planned on the default address, find_unused from display 0 (ports 5900-5999): "
      "5907 passes" },
    { { 0, true, "127.0.0.1", 7, false }, false,
      "/dev/net/tun (a tap beyond the 0 planned) is not in the plan", NULL,
      "no vif planned: descriptors fails, naming the tap" },
    { { 1, false, NULL, 0, false }, false, "(tcp 127.0.0.1:5907 listening) is not in the plan", NULL,
      "no vnc planned: descriptors fails, naming the listening socket" },
    { { 1, true, "127.0.0.1", 8, false }, false, "(tcp 127.0.0.1:5907 listening) is not in the plan", NULL,
      "vnc planned at 5908: descriptors fails, naming the socket at 5907" },
    { { 1, true, "0.0.0.0", 7, false }, false, "(tcp 127.0.0.1:5907 listening) is not in the plan", NULL,
      "vnc planned on 0.0.0.0: descriptors fails, naming the socket on 127.0.0.1" },
};

static void run_case(libdmr_ctx *ctx, pid_t pid, const struct audit_case *t)
{
    bool passed = false, fds_ok = false;
    char *detail = NULL;
    int rc = audit_with(ctx, pid, &t->d, &passed, &fds_ok, &detail);
    if (detail)
        fprintf(stderr, "# descriptors: %s\n", detail);
    bool said = detail && strstr(detail, t->says) && (!t->also_says || strstr(detail, t->also_says));
    check(!rc && fds_ok == t->passes && (!t->passes || passed) && said, t->what);
    free(detail);
}

int main(void)
{
    if (access(QEMU, X_OK)) {
        printf("ok 1 - dm_own_devices # SKIP no %s\n1..1\n", QEMU);
        return 0;
    }
    xentoollog_logger *lg = (xentoollog_logger *)xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libdmr_ctx *ctx = NULL;
    if (!lg || libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, lg)) {
        printf("not ok 1 - a context\n1..1\n");
        return 1;
    }
    pid_t pid = spawn_qemu();
    bool up = pid > 0 && wait_listening(pid);
    int status;
    if (!up && pid > 0 && waitpid(pid, &status, WNOHANG) == pid)
        fprintf(stderr, "# QEMU exited: status 0x%x\n", status);
    check(up, "QEMU with -netdev tap and -vnc 127.0.0.1:7 listens, in its own network namespace");
    for (size_t i = 0; up && i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(ctx, pid, &cases[i]);
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    libdmr_ctx_free(ctx);
    xtl_logger_destroy(lg);
    printf("1..%d\n", n_tests);
    return n_failed ? 1 : 0;
}
