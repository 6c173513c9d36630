#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""libvirt.py [prepare | XL_DMR CFG RUNS GUESTS OUT.json DATA.tsv]: xl-dmr against what
users would pick instead, Debian's libvirt-daemon-system, side by side.

Debian's package adds users (libvirt-qemu, ...) to /etc/passwd when it is
installed, which must not happen to this host's; so libvirt lives in a
Debian 12 root of its own, made once with mmdebstrap and kept in
/var/cache/xl-dmr/libvirt-root, and libvirtd runs chrooted there, started
by this bench under a process that reaps its children at once (these
machines' pid 1 reaps late). That root's /dev holds no /dev/kvm: libvirt
would re-probe QEMU at every start on a host whose /dev/kvm it cannot
use, and the guests here are TCG anyway. QEMU runs as libvirt-qemu, as
Debian's default does. Run by bench/run, in its private mount namespace.
Writes the samples of interleaved pairs to OUT.json (bench/stats.py judges); DATA.tsv gets libvirt's start
times against the number of guests already running, for the plot."""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time

if sys.argv[1:] == ["prepare"]:
    out = os.devnull
else:
    xl_dmr, cfg = sys.argv[1], sys.argv[2]
    runs, guests, out, data = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
ROOT = "/var/cache/xl-dmr/libvirt-root"
PACKAGES = "libvirt-daemon-system,libvirt-clients,libvirt-daemon-driver-qemu,qemu-system-x86"
DOMAIN = """<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def skip(why):
    print("libvirt: not measured: " + why)
    json.dump({"skipped": why}, open(out, "w"))
    sys.exit(0)


def make_root():
    stamp = os.path.join(ROOT, ".xl-dmr-packages")
    if os.path.exists(stamp) and open(stamp).read() == PACKAGES:
        return
    if not shutil.which("mmdebstrap"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "mmdebstrap"],
                       stdout=subprocess.DEVNULL, check=False)
    if not shutil.which("mmdebstrap"):
        skip("no mmdebstrap to make libvirt's root")
    print("libvirt: making its Debian 12 root (once, about 30 s)")
    new = ROOT + ".new"
    shutil.rmtree(new, ignore_errors=True)
    r = subprocess.run(["mmdebstrap", "--variant=apt", "--include=" + PACKAGES,
                        "--aptopt=APT::Install-Recommends \"false\"", "--mode=root", "bookworm", new],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        skip("mmdebstrap failed: " + r.stderr.strip().splitlines()[-1])
    open(os.path.join(new, ".xl-dmr-packages"), "w").write(PACKAGES)
    shutil.rmtree(ROOT, ignore_errors=True)
    os.rename(new, ROOT)


def sh(*cmd):
    subprocess.run(cmd, check=True)


def mount_root():
    """The root, its own /dev (no kvm), /proc, /sys, a fresh /run: in this namespace only."""
    sh("mount", "--bind", ROOT, ROOT)
    sh("mount", "--bind", "/proc", ROOT + "/proc")
    sh("mount", "--rbind", "/sys", ROOT + "/sys")
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", ROOT + "/dev")
    for name, major, minor in (("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8),
                               ("urandom", 1, 9), ("tty", 5, 0)):
        os.mknod(ROOT + "/dev/" + name, 0o20666, os.makedev(major, minor))
        os.chmod(ROOT + "/dev/" + name, 0o666)
    os.mkdir(ROOT + "/dev/pts")
    os.mkdir(ROOT + "/dev/shm")
    sh("mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666", "devpts", ROOT + "/dev/pts")
    os.symlink("pts/ptmx", ROOT + "/dev/ptmx")
    sh("mount", "-t", "tmpfs", "tmpfs", ROOT + "/dev/shm")
    sh("mount", "-t", "tmpfs", "tmpfs", ROOT + "/run")
    # libvirt looks its host name up; a missing one costs a DNS timeout per start.
    with open(ROOT + "/etc/hosts", "w") as f:
        f.write("127.0.0.1 localhost %s\n" % os.uname().nodename)


def start_daemons():
    """A child that is a subreaper runs virtlogd and libvirtd and reaps everything at once."""
    pid = os.fork()
    if pid == 0:
        os.setsid()
        ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
        # The group's SIGTERM stops the daemons; this one stays to reap them.
        signal.signal(signal.SIGTERM, lambda *_: None)
        for daemon in ("virtlogd", "libvirtd"):
            if os.fork() == 0:
                null = os.open("/dev/null", os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.chroot(ROOT)
                os.chdir("/")
                os.execv("/usr/sbin/" + daemon, [daemon])
        while True:
            try:
                os.wait()
            except ChildProcessError:
                os._exit(0)
    for _ in range(100):
        if os.path.exists(ROOT + "/run/libvirt/libvirt-sock"):
            return pid
        time.sleep(0.1)
    os.killpg(pid, signal.SIGTERM)
    skip("libvirtd did not start")


def timed(cmd):
    t = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), r.stderr.strip()))
    return (time.monotonic() - t) * 1e3


def virsh(*args):
    return ["chroot", ROOT, "virsh", "-q", "-c", "qemu:///system"] + list(args)


make_root()
if sys.argv[1:] == ["prepare"]:
    sys.exit(0)  # bench/run, before it enters a network namespace of its own
mount_root()
for i in range(guests + 1):
    open(ROOT + "/tmp/lv%d.xml" % i, "w").write(DOMAIN % ("lv%d" % i))
daemons = start_daemons()
try:
    timed(virsh("create", "/tmp/lv0.xml"))  # libvirt probes QEMU once
    timed(virsh("destroy", "lv0"))
    lv_start, lv_stop, xd_start, xd_stop, harness = [], [], [], [], []
    for i in range(runs):  # interleaved pairs, the order alternating
        # What this harness adds to any command it times, both arms alike.
        harness.append(timed(["/bin/true"]))
        for arm in ((0, 1) if i % 2 else (1, 0)):
            if arm:
                xd_start.append(timed([xl_dmr, "create", "--domid", "1", cfg]))
                xd_stop.append(timed([xl_dmr, "destroy", "1"]))
            else:
                lv_start.append(timed(virsh("create", "/tmp/lv0.xml")))
                lv_stop.append(timed(virsh("destroy", "lv0")))
    series = []
    for i in range(1, guests + 1):
        series.append((i - 1, timed(virsh("create", "--paused", "/tmp/lv%d.xml" % i))))
    for i in range(1, guests + 1):
        timed(virsh("destroy", "lv%d" % i))
finally:
    os.killpg(daemons, signal.SIGTERM)
    os.waitpid(daemons, 0)
result = {"runs": runs, "libvirt_start_ms": lv_start, "libvirt_destroy_ms": lv_stop,
          "xl_dmr_start_ms": xd_start, "xl_dmr_destroy_ms": xd_stop, "true_ms": harness,
          "libvirt": "Debian 12 libvirt-daemon-system " + subprocess.run(
              ["chroot", ROOT, "virsh", "--version"], capture_output=True, text=True).stdout.strip()}
json.dump(result, open(out, "w"), indent=1)
with open(data, "w") as f:
    f.write("# guests_running\tlibvirt_start_ms\n")
    for k, ms in series:
        f.write("%d\t%.2f\n" % (k, ms))
