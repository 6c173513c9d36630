/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's judgement (audit_judge.c) as a table: a correct device
 * model as /proc shows it, then one property broken per row, and exactly
 * the check named for it must fail. Pure; tests/integration/test_dm_audit.sh
 * breaks the properties of a real DM.
 */
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "audit.h"
#include "testutil.h"

#define UID 131073u
#define GID 131072u
#define DM_PID 4242

static const struct plan_rlimit limits[] = {
    { RLIMIT_FSIZE, "FSIZE", 1 << 20 }, { RLIMIT_CORE, "CORE", 0 },
    { RLIMIT_MEMLOCK, "MEMLOCK", 0 },
};

struct fixture {
    struct dm_pci pci;
    struct strv resources;
    struct audit_expect exp;
    struct audit_observed obs;
    struct audit_fd fds[12];
    struct audit_entry entries[8];
    pid_t others[2];
    int fdset_fds[1];
    const char *descriptors_say;   /* in the descriptors check's detail; NULL: anything */
    struct strv tap_names;
};

static void fd_set_to(struct audit_fd *f, int fd, const char *target, const char *socket_path,
                      mode_t mode, ino_t ino)
{
    *f = (struct audit_fd){ .fd = fd, .target = (char *)target, .socket_path = (char *)socket_path,
                            .stat_ok = true, .mode = mode, .dev = 8, .ino = ino };
}

/* A restricted DM with a disk in an fdset and one VFIO device, all as planned. */
static void fixture_good(struct fixture *x)
{
    *x = (struct fixture){ 0 };
    x->pci = (struct dm_pci){ .restricted = true,
                              .vfio_container = true };
    assert_int_equal(dm_pci_add(&x->pci, &(struct dm_pci_dev){
        .bdf = "0000:03:00.0", .id = "hostdev0", .port = "rp1", .has_group = true, .group = 12 }), 0);
    assert_int_equal(strv_push(&x->resources, "/srv/vm/vmlinuz"), 0);
    x->exp = (struct audit_expect){
        .domid = 1, .dm_pid = DM_PID, .uid = UID, .gid = GID, .restricted = true, .sandbox = true,
        .chroot = "/run/xl-dmr/qemu-root-1", .chroot_tmpfs = true,
        .qmp_path = "/run/xl-dmr/qmp-1.sock", .rlimits = limits, .n_rlimits = ELEMENTSOF(limits),
        .pci = &x->pci, .resources = &x->resources };
    struct audit_observed *o = &x->obs;
    *o = (struct audit_observed){ .status_read = true, .n_groups = 1, .no_new_privs = 1,
                                  .seccomp = 2, .root = "/run/xl-dmr/qemu-root-1",
                                  .root_stat_ok = true, .root_mode = S_IFDIR | 0755,
                                  .root_tmpfs = true, .mnt_ns = 10, .ipc_ns = 11,
                                  .own_mnt_ns = 20, .own_ipc_ns = 21, .fdsets_read = true };
    for (int i = 0; i < 4; i++) {
        o->uid[i] = UID;
        o->gid[i] = GID;
    }
    o->groups[0] = GID;
    const char *dirs[] = { "/dev", "/dev/vfio", "/sys", "/sys/bus", "/sys/bus/pci",
                           "/sys/bus/pci/devices" };
    size_t n = 0;
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
        x->entries[n++] = (struct audit_entry){ .path = (char *)dirs[i], .mode = S_IFDIR | 0755 };
    x->entries[n++] = (struct audit_entry){ .path = "/dev/vfio/vfio", .mode = S_IFCHR | 0666,
                                            .rdev = makedev(10, 196) };
    x->entries[n++] = (struct audit_entry){ .path = "/dev/vfio/12", .mode = S_IFCHR | 0600,
                                            .uid = UID, .rdev = makedev(243, 12) };
    o->entries = x->entries;
    o->n_entries = n;
    for (size_t i = 0; i < ELEMENTSOF(limits); i++)
        o->limits[o->n_limits++] = (struct audit_limit){ .resource = limits[i].resource, .ok = true,
                                                         .soft = limits[i].value,
                                                         .hard = limits[i].value };
    n = 0;
    fd_set_to(&x->fds[n++], 0, "/dev/null", NULL, S_IFCHR | 0666, 1);
    fd_set_to(&x->fds[n++], 1, "pipe:[77]", NULL, S_IFIFO | 0600, 77);
    fd_set_to(&x->fds[n++], 3, "socket:[90]", "/run/xl-dmr/qmp-1.sock", S_IFSOCK | 0777, 90);
    fd_set_to(&x->fds[n++], 4, "/srv/vm/vmlinuz", NULL, S_IFREG | 0644, 100);
    fd_set_to(&x->fds[n++], 5, "/srv/vm/disk.img", NULL, S_IFREG | 0644, 101);
    fd_set_to(&x->fds[n++], 6, "anon_inode:[eventfd]", NULL, S_IFREG | 0600, 5);
    fd_set_to(&x->fds[n++], 9, "/srv/vm/disk.img", NULL, S_IFREG | 0644, 101);  /* its dup */
    fd_set_to(&x->fds[n++], 12, "/dev/vfio/12", NULL, S_IFCHR | 0600, 300);
    o->fds = x->fds;
    o->n_fds = n;
    x->fdset_fds[0] = 5;
    o->fdset_fds = x->fdset_fds;
    o->n_fdset_fds = 1;
}

/* The bind-mounted sysfs directory, a mount point of another file system,
 * which the fixture's own array has no room for. */
static void with_sysfs(struct fixture *x)
{
    static struct audit_entry all[9];
    memcpy(all, x->entries, sizeof(x->entries));
    all[8] = (struct audit_entry){ .path = "/sys/bus/pci/devices/0000:03:00.0",
                                   .mode = S_IFDIR | 0555, .mountpoint = true };
    x->obs.entries = all;
    x->obs.n_entries = 9;
}

struct row {
    const char *name;
    const char *fails;             /* the one check that must fail; NULL: none */
    void (*breakit)(struct fixture *x);
};

static void saved_uid_root(struct fixture *x) { x->obs.uid[2] = 0; }
static void fs_gid_other(struct fixture *x) { x->obs.gid[3] = 100; }
static void extra_group(struct fixture *x) { x->obs.groups[1] = 27; x->obs.n_groups = 2; }
static void no_groups(struct fixture *x) { x->obs.n_groups = 0; }
static void kept_a_capability(struct fixture *x) { x->obs.cap_prm = 1ull << 21; }
static void ambient_capability(struct fixture *x) { x->obs.cap_amb = 1; }
static void may_gain_privileges(struct fixture *x) { x->obs.no_new_privs = 0; }
static void no_filter(struct fixture *x) { x->obs.seccomp = 0; }
static void root_elsewhere(struct fixture *x) { x->obs.root = "/"; }
static void root_not_tmpfs(struct fixture *x) { x->obs.root_tmpfs = false; }
static void root_writable(struct fixture *x) { x->obs.root_mode = S_IFDIR | 0777; }
static void node_owned_by_other(struct fixture *x) { x->obs.entries[7].uid = 0; }
static void node_missing(struct fixture *x) { x->obs.n_entries = 7; }
static void sysfs_not_a_mount(struct fixture *x)
{
    with_sysfs(x);
    x->obs.entries[8].mountpoint = false;
}
static void dropped_file(struct fixture *x)
{
    with_sysfs(x);
    x->obs.entries[8] = (struct audit_entry){ .path = "/dropped", .mode = S_IFREG | 0644 };
}
static void limit_raised(struct fixture *x) { x->obs.limits[0].hard = UINT64_MAX; }
static void soft_below_hard(struct fixture *x) { x->obs.limits[1].hard = 4096; }
static void limits_unreadable(struct fixture *x) { x->obs.limits[2].ok = false; }
static void host_mount_ns(struct fixture *x) { x->obs.mnt_ns = x->obs.own_mnt_ns; }
static void host_ipc_ns(struct fixture *x) { x->obs.ipc_ns = x->obs.own_ipc_ns; }
static void leaked_file(struct fixture *x) { x->fds[3].target = "/etc/shadow"; }
static void leaked_socket(struct fixture *x) { x->fds[2].socket_path = "/run/systemd/private"; }
static void unnamed_socket(struct fixture *x) { x->fds[2].socket_path = NULL; }
static void other_node(struct fixture *x) { x->fds[7].target = "/dev/mem"; }
static void rogue_process(struct fixture *x)
{
    x->others[0] = 777;
    x->obs.others = x->others;
    x->obs.n_others = 1;
}
static void shared_users_other_dm(struct fixture *x)
{
    static const pid_t dms[] = { 778 };
    x->others[0] = 778;
    x->obs.others = x->others;
    x->obs.n_others = 1;
    x->exp.other_dms = dms;
    x->exp.n_other_dms = 1;
}
static void xen_node_on_qemu_backend(struct fixture *x) { x->fds[7].target = "/dev/xen/privcmd"; }
static void xen_dm_holds_privcmd(struct fixture *x)
{
    x->exp.xen_interfaces = true;
    x->fds[7].target = "/dev/xen/privcmd";
}
static void xen_libxenstat_socket(struct fixture *x)
{
    x->exp.xen_interfaces = true;
    assert_int_equal(strv_push(&x->resources, "/var/run/xen/qmp-libxenstat-1"), 0);
    x->fds[7] = (struct audit_fd){ .fd = 12, .target = "socket:[91]", .stat_ok = true,
                                   .socket_path = "/var/run/xen/qmp-libxenstat-1",
                                   .mode = S_IFSOCK | 0777, .dev = 8, .ino = 91 };
}
static void xen_root_dm_beside(struct fixture *x)
{
    static pid_t pids[] = { 900 };
    static uid_t uids[] = { 0 };
    x->exp.xen_interfaces = true;
    x->fds[7].target = "/dev/xen/evtchn";
    x->obs.domain_dms = pids;
    x->obs.domain_dm_uids = uids;
    x->obs.n_domain_dms = 1;
}
static void xen_restricted_unnamed_socket(struct fixture *x)
{
    x->exp.xen_interfaces = true;
    x->fds[2].socket_path = NULL;
}
/* serial="pty": qemu-xen opens /dev/ptmx (5:2) itself, before its chroot. */
static void xen_pty_fd(struct fixture *x, bool planned, const char *target, dev_t rdev)
{
    x->exp.xen_interfaces = true;
    x->exp.serial_pty = planned;
    x->fds[7] = (struct audit_fd){ .fd = 14, .target = (char *)target, .stat_ok = true,
                                   .mode = S_IFCHR | 0666, .dev = 6, .ino = 88, .rdev = rdev };
}
static void xen_serial_pty(struct fixture *x) { xen_pty_fd(x, true, "/dev/ptmx", makedev(5, 2)); }
static void xen_serial_pty_terminal(struct fixture *x)
{
    xen_pty_fd(x, true, "/dev/pts/3", makedev(136, 3));
}
static void xen_ptmx_unplanned(struct fixture *x) { xen_pty_fd(x, false, "/dev/ptmx", makedev(5, 2)); }
static void xen_pts_unplanned(struct fixture *x) { xen_pty_fd(x, false, "/dev/pts/3", makedev(136, 3)); }
static void xen_serial_pty_console(struct fixture *x)
{
    xen_pty_fd(x, true, "/dev/tty1", makedev(4, 1));
}
static void xen_serial_pty_not_ptmx(struct fixture *x)
{
    xen_pty_fd(x, true, "/dev/ptmx", makedev(1, 3));  /* /dev/null's numbers */
}
static void xen_serial_pty_odd_pts_name(struct fixture *x)
{
    xen_pty_fd(x, true, "/dev/pts/../mem", makedev(136, 3));
}
static void xen_serial_pty_a_file(struct fixture *x)
{
    xen_pty_fd(x, true, "/dev/ptmx", makedev(5, 2));
    x->fds[7].mode = S_IFREG | 0644;
}

/* libxl's vif and vnc: qemu-xen's own tap through /dev/net/tun (10:200)
 * and its VNC socket, as its network namespace's tcp table shows them. */
static void xen_dm_devices_planned(struct fixture *x, size_t taps, const char *vnc_address,
                                   unsigned port_min, unsigned port_max)
{
    x->exp.xen_interfaces = true;
    x->exp.taps = taps;
    x->exp.vnc_address = vnc_address;
    x->exp.vnc_port_min = port_min;
    x->exp.vnc_port_max = port_max;
}
static void add_tap(struct fixture *x, int fd, dev_t rdev)
{
    assert_true(x->obs.n_fds < ELEMENTSOF(x->fds));
    x->fds[x->obs.n_fds++] = (struct audit_fd){
        .fd = fd, .target = "/dev/net/tun", .stat_ok = true, .mode = S_IFCHR | 0666,
        .dev = 6, .ino = 500 + fd, .rdev = rdev };
}
/* An unnamed socket found in tcp (v6: tcp6) bound to address:port. */
static void add_tcp(struct fixture *x, int fd, bool v6, const char *address, unsigned port,
                    unsigned state)
{
    assert_true(x->obs.n_fds < ELEMENTSOF(x->fds));
    struct audit_fd *f = &x->fds[x->obs.n_fds++];
    *f = (struct audit_fd){ .fd = fd, .target = "socket:[600]", .stat_ok = true,
                            .mode = S_IFSOCK | 0777, .dev = 8, .ino = 600 + fd,
                            .tcp = { .found = true, .v6 = v6, .port = port, .state = state } };
    if (v6) {
        assert_int_equal(inet_pton(AF_INET6, address, f->tcp.addr), 1);
    } else {
        f->tcp.addr[10] = f->tcp.addr[11] = 0xff;
        assert_int_equal(inet_pton(AF_INET, address, f->tcp.addr + 12), 1);
    }
}
#define TCP_ESTABLISHED_STATE 0x01
static void xen_tap_and_vnc(struct fixture *x)
{
    x->descriptors_say = "; tap 2; vnc 127.0.0.1:5900 listening";
    xen_dm_devices_planned(x, 2, "127.0.0.1", 5900, 5900);
    add_tap(x, 20, makedev(10, 200));
    add_tap(x, 21, makedev(10, 200));
    add_tcp(x, 22, false, "127.0.0.1", 5900, AUDIT_TCP_LISTEN);
}
static void xen_vnc_ipv4_mapped_in_tcp6(struct fixture *x)
{
    x->descriptors_say = "vnc [::ffff:127.0.0.1]:5900 listening";
    xen_dm_devices_planned(x, 0, "127.0.0.1", 5900, 5900);
    add_tcp(x, 22, true, "::ffff:127.0.0.1", 5900, AUDIT_TCP_LISTEN);
}
static void xen_vnc_planned_mapped_seen_ipv4(struct fixture *x)
{
    x->descriptors_say = "vnc 127.0.0.1:5900 listening";
    xen_dm_devices_planned(x, 0, "::ffff:127.0.0.1", 5900, 5900);
    add_tcp(x, 22, false, "127.0.0.1", 5900, AUDIT_TCP_LISTEN);
}
static void xen_vnc_ipv6(struct fixture *x)
{
    x->descriptors_say = "vnc [::1]:5901 listening";
    xen_dm_devices_planned(x, 0, "::1", 5901, 5901);
    add_tcp(x, 22, true, "::1", 5901, AUDIT_TCP_LISTEN);
}
static void xen_vnc_unused_port_found(struct fixture *x)
{
    x->descriptors_say = "vnc 0.0.0.0:5903 listening";
    xen_dm_devices_planned(x, 0, "0.0.0.0", 5900, 5999);
    add_tcp(x, 22, false, "0.0.0.0", 5903, AUDIT_TCP_LISTEN);
}
static void xen_vnc_planned_not_listening(struct fixture *x)
{
    x->descriptors_say = "; tap 0 of 1 planned; vnc on 127.0.0.1 port 5900 planned, not listening";
    xen_dm_devices_planned(x, 1, "127.0.0.1", 5900, 5900);
}
static void xen_tap_beyond_the_planned(struct fixture *x)
{
    x->descriptors_say = "fd 21 -> /dev/net/tun (a tap beyond the 1 planned) is not in the plan";
    xen_dm_devices_planned(x, 1, NULL, 0, 0);
    add_tap(x, 20, makedev(10, 200));
    add_tap(x, 21, makedev(10, 200));
}
static void xen_tap_not_planned(struct fixture *x)
{
    xen_dm_devices_planned(x, 0, NULL, 0, 0);
    add_tap(x, 20, makedev(10, 200));
}
static void tap_on_the_qemu_backend(struct fixture *x) { add_tap(x, 20, makedev(10, 200)); }
/* The qemu backend's taps, made by the toolstack: known by name (the
 * iff of their fdinfo), each once. */
static void qemu_taps_planned(struct fixture *x, const char *a, const char *b)
{
    assert_int_equal(strv_push(&x->tap_names, a), 0);
    if (b)
        assert_int_equal(strv_push(&x->tap_names, b), 0);
    x->exp.taps = x->tap_names.n;
    x->exp.tap_names = &x->tap_names;
}
static void add_named_tap(struct fixture *x, int fd, const char *name)
{
    add_tap(x, fd, makedev(10, 200));
    snprintf(x->fds[x->obs.n_fds - 1].tap_name, 16, "%s", name);
}
static void qemu_planned_taps_pass(struct fixture *x)
{
    x->descriptors_say = "; tap 2";
    qemu_taps_planned(x, "vif1.0-emu", "web0");
    add_named_tap(x, 20, "web0");
    add_named_tap(x, 21, "vif1.0-emu");
}
static void qemu_tap_not_planned(struct fixture *x)
{
    x->descriptors_say = "fd 21 -> /dev/net/tun (tap evil0, not a planned one) is not in the plan";
    qemu_taps_planned(x, "vif1.0-emu", "web0");
    add_named_tap(x, 20, "vif1.0-emu");
    add_named_tap(x, 21, "evil0");
}
static void qemu_planned_tap_twice(struct fixture *x)
{
    x->descriptors_say = "fd 21 -> /dev/net/tun (tap vif1.0-emu, not a planned one)";
    qemu_taps_planned(x, "vif1.0-emu", NULL);
    add_named_tap(x, 20, "vif1.0-emu");
    add_named_tap(x, 21, "vif1.0-emu");
}

/* qemu backend: the serial socketpair end it was given, known by inode
 * (the state's "socket:[N]"); any other unnamed socket is not it. */
static void add_serial(struct fixture *x, const char *target)
{
    assert_int_equal(strv_push(&x->resources, "socket:[700]"), 0);
    assert_true(x->obs.n_fds < ELEMENTSOF(x->fds));
    x->fds[x->obs.n_fds++] = (struct audit_fd){
        .fd = 13, .target = (char *)target, .stat_ok = true, .mode = S_IFSOCK | 0777, .dev = 8,
        .ino = 700 };
}
static void serial_socketpair_end(struct fixture *x)
{
    x->descriptors_say = "resources 2";
    add_serial(x, "socket:[700]");
}
static void serial_another_socket(struct fixture *x)
{
    x->descriptors_say = "fd 13 -> socket:[701] is not in the plan";
    add_serial(x, "socket:[701]");
}
static void xen_tun_name_another_device(struct fixture *x)
{
    xen_dm_devices_planned(x, 1, NULL, 0, 0);
    add_tap(x, 20, makedev(1, 3));  /* /dev/null's numbers */
}
static void xen_vnc_on_another_port(struct fixture *x)
{
    x->descriptors_say = "fd 22 -> socket:[600] (tcp 127.0.0.1:5901 listening) is not in the plan";
    xen_dm_devices_planned(x, 0, "127.0.0.1", 5900, 5900);
    add_tcp(x, 22, false, "127.0.0.1", 5901, AUDIT_TCP_LISTEN);
}
static void xen_vnc_on_another_address(struct fixture *x)
{
    x->descriptors_say = "(tcp 0.0.0.0:5900 listening)";
    xen_dm_devices_planned(x, 0, "127.0.0.1", 5900, 5900);
    add_tcp(x, 22, false, "0.0.0.0", 5900, AUDIT_TCP_LISTEN);
}
static void xen_vnc_ipv6_any_is_not_ipv4_any(struct fixture *x)
{
    x->descriptors_say = "(tcp [::]:5900 listening)";
    xen_dm_devices_planned(x, 0, "0.0.0.0", 5900, 5900);
    add_tcp(x, 22, true, "::", 5900, AUDIT_TCP_LISTEN);
}
static void xen_a_second_listener(struct fixture *x)
{
    x->descriptors_say = "fd 23 -> socket:[600] (tcp 127.0.0.1:5901 listening) is not in the plan";
    xen_dm_devices_planned(x, 0, "127.0.0.1", 5900, 5999);
    add_tcp(x, 22, false, "127.0.0.1", 5900, AUDIT_TCP_LISTEN);
    add_tcp(x, 23, false, "127.0.0.1", 5901, AUDIT_TCP_LISTEN);
}
static void xen_a_connected_socket(struct fixture *x)
{
    x->descriptors_say = "(tcp 10.0.0.5:43210 connected)";
    xen_dm_devices_planned(x, 0, "127.0.0.1", 5900, 5900);
    add_tcp(x, 22, false, "127.0.0.1", 5900, AUDIT_TCP_LISTEN);
    add_tcp(x, 23, false, "10.0.0.5", 43210, TCP_ESTABLISHED_STATE);
}
/* A VNC viewer connected to the planned server is its: accepted. */
static void vnc_viewer_connected(struct fixture *x)
{
    x->descriptors_say = "vnc 127.0.0.1:5901 listening";
    xen_dm_devices_planned(x, 0, "127.0.0.1", 5901, 5901);
    add_tcp(x, 22, false, "127.0.0.1", 5901, AUDIT_TCP_LISTEN);
    add_tcp(x, 23, false, "127.0.0.1", 5901, TCP_ESTABLISHED_STATE);
}
static void vnc_viewer_of_every_address(struct fixture *x)
{
    x->descriptors_say = "vnc 0.0.0.0:5900 listening";
    xen_dm_devices_planned(x, 0, "0.0.0.0", 5900, 5900);
    add_tcp(x, 22, false, "0.0.0.0", 5900, AUDIT_TCP_LISTEN);
    add_tcp(x, 23, false, "10.0.0.5", 5900, TCP_ESTABLISHED_STATE);
}
static void vnc_connection_on_another_port(struct fixture *x)
{
    x->descriptors_say = "fd 23 -> socket:[600] (tcp 127.0.0.1:5902 connected) is not in the plan";
    xen_dm_devices_planned(x, 0, "127.0.0.1", 5901, 5901);
    add_tcp(x, 22, false, "127.0.0.1", 5901, AUDIT_TCP_LISTEN);
    add_tcp(x, 23, false, "127.0.0.1", 5902, TCP_ESTABLISHED_STATE);
}
static void listener_not_planned(struct fixture *x)
{
    add_tcp(x, 22, false, "127.0.0.1", 5900, AUDIT_TCP_LISTEN);
}

static void unrestricted_root(struct fixture *x)
{
    x->exp.uid = x->exp.gid = 0;
    x->exp.restricted = x->exp.sandbox = false;
    x->exp.chroot = NULL;
    x->exp.chroot_tmpfs = false;
    x->exp.n_rlimits = 0;
    for (int i = 0; i < 4; i++)
        x->obs.uid[i] = x->obs.gid[i] = 0;
    x->obs.cap_eff = x->obs.cap_prm = ~0ull >> 23;
    x->obs.no_new_privs = x->obs.seccomp = 0;
    x->obs.root = "/";
    x->obs.n_entries = 0;
    x->obs.mnt_ns = x->obs.own_mnt_ns;
    x->obs.ipc_ns = x->obs.own_ipc_ns;
    x->fds[7].target = "anon_inode:[eventfd]";
}

static void xen_unrestricted_xenstore(struct fixture *x)
{
    unrestricted_root(x);
    x->exp.xen_interfaces = true;
    x->fds[2].socket_path = NULL;
}
/* An unrestricted qemu-xen's unnamed sockets are its own (xenstore), but
 * one its tcp table shows is TCP's: not in the plan. */
static void xen_unrestricted_tcp_not_xenstore(struct fixture *x)
{
    unrestricted_root(x);
    x->exp.xen_interfaces = true;
    add_tcp(x, 22, false, "127.0.0.1", 5900, AUDIT_TCP_LISTEN);
}

static const struct row rows[] = {
    { "as-planned-passes", NULL, with_sysfs },
    { "unrestricted-root-as-planned-passes", NULL, unrestricted_root },
    { "saved-uid-root", "uid", saved_uid_root },
    { "fs-gid-other", "gid", fs_gid_other },
    { "another-supplementary-group", "groups", extra_group },
    { "no-supplementary-groups-is-fine", NULL, no_groups },
    { "a-permitted-capability", "capabilities", kept_a_capability },
    { "an-ambient-capability", "capabilities", ambient_capability },
    { "no-new-privs-off", "no_new_privs", may_gain_privileges },
    { "no-seccomp-filter", "seccomp", no_filter },
    { "root-is-the-hosts", "root", root_elsewhere },
    { "root-not-a-tmpfs", "root", root_not_tmpfs },
    { "root-writable", "root", root_writable },
    { "group-node-not-the-dms", "chroot_contents", node_owned_by_other },
    { "group-node-missing", "chroot_contents", node_missing },
    { "sysfs-not-a-mount", "chroot_contents", sysfs_not_a_mount },
    { "a-dropped-file", "chroot_contents", dropped_file },
    { "fsize-raised", "rlimit_fsize", limit_raised },
    { "core-hard-raised", "rlimit_core", soft_below_hard },
    { "memlock-unreadable", "rlimit_memlock", limits_unreadable },
    { "hosts-mount-namespace", "mount_namespace", host_mount_ns },
    { "hosts-ipc-namespace", "ipc_namespace", host_ipc_ns },
    { "a-file-not-planned", "descriptors", leaked_file },
    { "a-socket-not-qmp", "descriptors", leaked_socket },
    { "an-unnamed-socket", "descriptors", unnamed_socket },
    { "a-device-not-planned", "descriptors", other_node },
    { "a-rogue-process", "processes", rogue_process },
    { "shared-user-other-dms-are-expected", NULL, shared_users_other_dm },
    { "xen-device-node-on-the-qemu-backend", "descriptors", xen_node_on_qemu_backend },
    { "xen-qemu-xen-holds-privcmd-as-its-own", NULL, xen_dm_holds_privcmd },
    { "xen-libxenstat-socket-as-planned", NULL, xen_libxenstat_socket },
    { "xen-another-dm-of-the-domain-as-root", "device_models", xen_root_dm_beside },
    { "xen-restricted-an-unnamed-socket", "descriptors", xen_restricted_unnamed_socket },
    { "xen-unrestricted-xenstore-socket-is-its-own", NULL, xen_unrestricted_xenstore },
    { "xen-planned-taps-and-vnc-pass", NULL, xen_tap_and_vnc },
    { "xen-vnc-ipv4-mapped-in-tcp6-passes", NULL, xen_vnc_ipv4_mapped_in_tcp6 },
    { "xen-vnc-planned-mapped-seen-ipv4-passes", NULL, xen_vnc_planned_mapped_seen_ipv4 },
    { "xen-vnc-ipv6-passes", NULL, xen_vnc_ipv6 },
    { "xen-vnc-unused-port-in-range-passes", NULL, xen_vnc_unused_port_found },
    { "xen-vnc-not-listening-is-said", NULL, xen_vnc_planned_not_listening },
    { "xen-a-tap-beyond-the-planned", "descriptors", xen_tap_beyond_the_planned },
    { "xen-a-tap-not-planned", "descriptors", xen_tap_not_planned },
    { "a-tap-on-the-qemu-backend", "descriptors", tap_on_the_qemu_backend },
    { "qemu-planned-taps-pass-by-name", NULL, qemu_planned_taps_pass },
    { "qemu-a-tap-not-planned", "descriptors", qemu_tap_not_planned },
    { "qemu-a-planned-tap-twice", "descriptors", qemu_planned_tap_twice },
    { "the-serial-socketpair-end-passes", NULL, serial_socketpair_end },
    { "an-unnamed-socket-not-the-serial", "descriptors", serial_another_socket },
    { "xen-tun-name-on-another-device", "descriptors", xen_tun_name_another_device },
    { "xen-vnc-on-another-port", "descriptors", xen_vnc_on_another_port },
    { "xen-vnc-on-another-address", "descriptors", xen_vnc_on_another_address },
    { "xen-vnc-ipv6-any-is-not-ipv4-any", "descriptors", xen_vnc_ipv6_any_is_not_ipv4_any },
    { "xen-a-second-vnc-listener", "descriptors", xen_a_second_listener },
    { "xen-a-connected-socket", "descriptors", xen_a_connected_socket },
    { "a-listening-socket-not-planned", "descriptors", listener_not_planned },
    { "a-vnc-viewer-connected-passes", NULL, vnc_viewer_connected },
    { "a-vnc-viewer-of-every-address-passes", NULL, vnc_viewer_of_every_address },
    { "a-connection-on-another-port", "descriptors", vnc_connection_on_another_port },
    { "xen-unrestricted-tcp-socket-is-not-xenstore", "descriptors",
      xen_unrestricted_tcp_not_xenstore },
    { "xen-serial-pty-its-ptmx-as-planned", NULL, xen_serial_pty },
    { "xen-serial-pty-its-terminal-as-planned", NULL, xen_serial_pty_terminal },
    { "xen-ptmx-without-serial-pty", "descriptors", xen_ptmx_unplanned },
    { "xen-a-pts-without-serial-pty", "descriptors", xen_pts_unplanned },
    { "xen-serial-pty-another-terminal", "descriptors", xen_serial_pty_console },
    { "xen-serial-pty-ptmx-not-the-multiplexer", "descriptors", xen_serial_pty_not_ptmx },
    { "xen-serial-pty-a-pts-name-not-a-number", "descriptors", xen_serial_pty_odd_pts_name },
    { "xen-serial-pty-ptmx-a-regular-file", "descriptors", xen_serial_pty_a_file },
};

static void run_row(void **state)
{
    const struct row *r = *state;
    struct fixture x;
    fixture_good(&x);
    /* Most rows start from the whole good picture, sysfs mount included. */
    if (r->breakit != node_missing && r->breakit != sysfs_not_a_mount &&
        r->breakit != dropped_file && r->breakit != unrestricted_root)
        with_sysfs(&x);
    r->breakit(&x);
    struct libdmr_audit a;
    assert_int_equal(audit_judge(&x.exp, &x.obs, &a), 0);
    size_t failed = 0;
    for (size_t i = 0; i < a.n; i++) {
        if (a.checks[i].ok)
            continue;
        failed++;
        print_message("%s failed: %s\n", a.checks[i].name, a.checks[i].detail);
        assert_non_null(r->fails);
        assert_string_equal(a.checks[i].name, r->fails);
    }
    assert_int_equal(failed, r->fails ? 1 : 0);
    for (size_t i = 0; x.descriptors_say && i < a.n; i++) {
        if (strcmp(a.checks[i].name, "descriptors"))
            continue;
        if (!strstr(a.checks[i].detail, x.descriptors_say))
            print_message("descriptors: \"%s\" lacks \"%s\"\n", a.checks[i].detail,
                          x.descriptors_say);
        assert_non_null(strstr(a.checks[i].detail, x.descriptors_say));
    }
    for (size_t i = 0; i < a.n; i++)
        free(a.checks[i].detail);
    free(a.checks);
    dm_pci_clear(&x.pci);
    strv_clear(&x.resources);
    strv_clear(&x.tap_names);
}

int main(void)
{
    struct CMUnitTest tests[ELEMENTSOF(rows)];
    for (size_t i = 0; i < ELEMENTSOF(rows); i++)
        tests[i] = (struct CMUnitTest){ .name = rows[i].name, .test_func = run_row,
                                        .initial_state = (void *)&rows[i] };
    return cmocka_run_group_tests_name("audit judgement", tests, NULL, NULL);
}
