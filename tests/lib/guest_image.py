#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot the test guest (tests/guest/build-guest) in plain QEMU, no xl-dmr:
guest_image.py WORKDIR SCENARIO, with KERNEL, INITRD, CMDLINE in the
environment.  Prints one line per check, "PASS what" or "FAIL what: why",
for test_guest_image.sh to count.  Scenarios (one boot each):

  shell     e1000 at 10.0.2.15/24 on a restricted user netdev: the NIC is up,
            a command typed into the shell runs (ping of 10.0.2.2, echo), and
            QMP system_powerdown powers the guest off
  poweroff  rtl8139 up, dmr.then=poweroff: QEMU exits (SHUTDOWN, guest-shutdown)
  reboot    virtio-net-pci up, dmr.then=reboot:1 under -no-reboot: QEMU exits
            (SHUTDOWN, guest-reset)
  panic     no NIC: dmr.ip= says XLDMR-GUEST-NET-FAIL;
            -device pvpanic, dmr.then=panic: GUEST_PANICKED on QMP, then
            (QEMU's default action) SHUTDOWN guest-panic and exit
"""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

BOOT_TIMEOUT = 90     # TCG boot here is 5-8 s; the machine is shared
STEP_TIMEOUT = 30


class Guest:
    def __init__(self, work, name, nic, append, extra=()):
        self.serial = b""
        self.events = []
        self.cond = threading.Condition()
        self.log = open(os.path.join(work, name + ".serial"), "wb")
        qmp_path = os.path.join(work, name + ".qmp")
        argv = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg",
                "-m", "128", "-nodefaults", "-display", "none",
                "-serial", "stdio", "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
                "-kernel", os.environ["KERNEL"], "-initrd", os.environ["INITRD"],
                "-append", os.environ["CMDLINE"] + " " + append]
        if nic:
            argv += ["-netdev", "user,id=n0,restrict=on",
                     "-device", "%s,netdev=n0" % nic]
        argv += list(extra)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(work, name + ".err"), "wb"))
        threading.Thread(target=self._read_serial, daemon=True).start()
        self.qmp = None
        for _ in range(100):
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(qmp_path)
                self.qmp = s.makefile("rw")
                break
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        if self.qmp:
            self.qmp.readline()
            self.qmp.write('{"execute":"qmp_capabilities"}\n')
            self.qmp.flush()
            threading.Thread(target=self._read_qmp, daemon=True).start()

    def _read_serial(self):
        while True:
            b = self.proc.stdout.read1(4096)
            if not b:
                break
            self.log.write(b)
            self.log.flush()
            with self.cond:
                self.serial += b
                self.cond.notify_all()

    def _read_qmp(self):
        for line in self.qmp:
            msg = json.loads(line)
            if "event" in msg:
                with self.cond:
                    self.events.append(msg)
                    self.cond.notify_all()

    def command(self, cmd):
        self.qmp.write(json.dumps({"execute": cmd}) + "\n")
        self.qmp.flush()

    def wait(self, pred, timeout=STEP_TIMEOUT):
        end = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
        return True

    def wait_serial(self, regex, timeout=STEP_TIMEOUT, since=0):
        r = re.compile(regex.encode())
        return self.wait(lambda: r.search(self.serial, since), timeout)

    def wait_event(self, name, timeout=STEP_TIMEOUT):
        return self.wait(lambda: any(e["event"] == name for e in self.events), timeout)

    def event(self, name):
        return next((e for e in self.events if e["event"] == name), None)

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def exited(self, timeout=STEP_TIMEOUT):
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


def check(ok, what, why=""):
    print(("PASS %s" if ok else "FAIL %s: " + why) % what, flush=True)
    return ok


def booted(g, what, net="10.0.2.15"):
    if not check(g.wait_serial(r"XLDMR-GUEST-READY", BOOT_TIMEOUT),
                 "%s: the guest boots (XLDMR-GUEST-READY)" % what,
                 "not within %d s" % BOOT_TIMEOUT):
        return False
    if net:
        m = re.search(rb"XLDMR-GUEST-NET\S* .*", g.serial)
        check(m and m.group(0).strip() == ("XLDMR-GUEST-NET eth0 %s up" % net).encode(),
              "%s: eth0 is up (XLDMR-GUEST-NET eth0 %s up)" % (what, net),
              m.group(0).decode(errors="replace") if m else "no XLDMR-GUEST-NET line")
    return True


def shell(work):
    g = Guest(work, "shell", "e1000", "dmr.ip=10.0.2.15/24 dmr.gw=10.0.2.2")
    try:
        if not booted(g, "e1000"):
            return
        check(g.wait_serial(r"xldmr-guest# "), "the shell prompts on ttyS0",
              "no 'xldmr-guest# ' prompt")
        since = len(g.serial)
        # The tty echoes what is typed: the answer must differ from the command.
        g.type("ping -c 1 -W 5 10.0.2.2 >/dev/null && echo PING-$((20+22)); echo RAN-$((1+1))-$(tty)\n")
        ran = g.wait_serial(r"RAN-2-/dev/ttyS0", since=since)
        check(ran, "a command typed into the shell runs on the controlling tty /dev/ttyS0",
              "no RAN-2-/dev/ttyS0 after typing")
        check(ran and re.search(rb"PING-42", g.serial[since:]),
              "... and eth0 reaches the user netdev's gateway (ping 10.0.2.2)",
              "the ping failed")
        g.command("system_powerdown")
        check(g.wait_serial(r"XLDMR-GUEST-THEN poweroff"),
              "QMP system_powerdown: the guest says XLDMR-GUEST-THEN poweroff",
              "no marker")
        ok = g.exited() and g.proc.returncode == 0
        ev = g.event("SHUTDOWN") or {}
        check(ok and ev.get("data", {}).get("reason") == "guest-shutdown",
              "... and powers off (QEMU exits, SHUTDOWN reason guest-shutdown)",
              "exit %s, event %s" % (g.proc.poll(), ev))
    finally:
        g.close()


def poweroff(work):
    g = Guest(work, "poweroff", "rtl8139", "dmr.ip=10.0.2.15/24 dmr.then=poweroff")
    try:
        if not booted(g, "rtl8139"):
            return
        check(g.wait_serial(r"XLDMR-GUEST-THEN poweroff"),
              "dmr.then=poweroff: XLDMR-GUEST-THEN poweroff", "no marker")
        ok = g.exited() and g.proc.returncode == 0
        ev = g.event("SHUTDOWN") or {}
        check(ok and ev.get("data", {}).get("reason") == "guest-shutdown",
              "... and QEMU exits (SHUTDOWN reason guest-shutdown)",
              "exit %s, event %s" % (g.proc.poll(), ev))
    finally:
        g.close()


def reboot(work):
    g = Guest(work, "reboot", "virtio-net-pci", "dmr.ip=10.0.2.15/24 dmr.then=reboot:1",
              ["-no-reboot"])
    try:
        if not booted(g, "virtio-net-pci"):
            return
        check(g.wait_serial(r"XLDMR-GUEST-THEN reboot"),
              "dmr.then=reboot:1: XLDMR-GUEST-THEN reboot", "no marker")
        ok = g.exited() and g.proc.returncode == 0
        ev = g.event("SHUTDOWN") or {}
        check(ok and ev.get("data", {}).get("reason") == "guest-reset",
              "... and the guest resets (-no-reboot: SHUTDOWN reason guest-reset)",
              "exit %s, event %s" % (g.proc.poll(), ev))
    finally:
        g.close()


def panic(work):
    g = Guest(work, "panic", None, "dmr.ip=10.0.2.15/24 dmr.then=panic",
              ["-device", "pvpanic"])
    try:
        if not booted(g, "pvpanic", net=None):
            return
        check(re.search(rb"XLDMR-GUEST-NET-FAIL no eth0", g.serial),
              "dmr.ip= without a NIC: XLDMR-GUEST-NET-FAIL no eth0", "no such line")
        check(g.wait_serial(r"XLDMR-GUEST-THEN panic"),
              "dmr.then=panic: XLDMR-GUEST-THEN panic", "no marker")
        check(g.wait_event("GUEST_PANICKED"),
              "... and QEMU reports GUEST_PANICKED (pvpanic)",
              "events: %s" % [e["event"] for e in g.events])
        # QEMU 7.2's default -action panic=shutdown: it powers off, and exits.
        ok = g.exited() and g.proc.returncode == 0
        ev = g.event("SHUTDOWN") or {}
        check(ok and ev.get("data", {}).get("reason") == "guest-panic",
              "... and QEMU exits (SHUTDOWN reason guest-panic, its default action)",
              "exit %s, event %s" % (g.proc.poll(), ev))
    finally:
        g.close()


if __name__ == "__main__":
    {"shell": shell, "poweroff": poweroff, "reboot": reboot, "panic": panic}[sys.argv[2]](sys.argv[1])
