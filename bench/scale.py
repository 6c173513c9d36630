#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""scale.py XL_DMR CFG N OUT.json DATA.tsv: N guests started paused, one
after the other and all at once, by xl-dmr and by hand (the plan's own argv,
chroot and QMP socket, fork and exec, until QEMU answers QMP), side by side.
Reports total times and their ratio, xl-dmr's CPU per guest and peak RSS,
that the N device models had N distinct uids, and that nothing is left
after destroy. DATA.tsv gets each sequential start's time against the
number of guests already running, for the plot. Run by bench/run."""
import json
import os
import socket
import subprocess
import sys
import time

xl_dmr, cfg, n, out, data = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
DEVNULL = subprocess.DEVNULL


def run_xl_dmr(args):
    """Start xl-dmr; a function that waits for it and returns (ok, cpu s, max RSS KiB)
    of it and the children it waits for (not QEMU: it does not parent it)."""
    p = subprocess.Popen(args, stdout=DEVNULL)

    def wait():
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = status
        return status == 0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
    return wait


def create_args(i):
    return [xl_dmr, "create", "-p", "--domid", str(i), cfg, 'name="scale%d"' % i]


def plan_of(i):
    p = subprocess.run([xl_dmr, "create", "-n", "--json", "--domid", str(i), cfg,
                        'name="scale%d"' % i], capture_output=True, check=True, text=True)
    plan = json.loads(p.stdout)
    return plan["argv"], plan["resources"][0]["path"], plan["dm"]["chroot"]


def by_hand_spawn(plan):
    """Start one restricted QEMU the least way; returns (pid, socket path)."""
    argv, qmp, chroot = plan
    os.makedirs("/run/xl-dmr", exist_ok=True)
    os.makedirs(chroot, mode=0, exist_ok=True)
    if os.path.exists(qmp):
        os.unlink(qmp)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(qmp)
    s.listen(1)
    pid = os.fork()
    if pid == 0:
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.dup2(s.fileno(), 3)
        os.set_inheritable(3, True)  # dup2 onto itself keeps close-on-exec
        os.closerange(4, 1024)
        os.execv(argv[0], argv)
    s.close()
    return pid, qmp


def qmp_up(qmp):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(30)
    c.connect(qmp)
    f = c.makefile("rw")
    f.readline()
    f.write('{"execute": "qmp_capabilities"}\n')
    f.flush()
    f.readline()
    return c, f


def by_hand(plans, together):
    procs, conns = [], []
    try:
        t0 = time.monotonic()
        if together:
            procs = [by_hand_spawn(p) for p in plans]
            conns = [qmp_up(q) for _, q in procs]
        else:
            for p in plans:
                procs.append(by_hand_spawn(p))
                conns.append(qmp_up(procs[-1][1]))
        return time.monotonic() - t0
    finally:
        for c, f in conns:
            f.write('{"execute": "quit"}\n')
            f.flush()
            c.close()
        for pid, qmp in procs:
            if len(conns) < len(procs):
                os.kill(pid, 9)
            os.waitpid(pid, 0)
            os.unlink(qmp)
        for _, _, chroot in plans:
            if os.path.isdir(chroot):
                os.rmdir(chroot)
        if os.path.isdir("/run/xl-dmr"):
            os.rmdir("/run/xl-dmr")


def running_uids():
    p = subprocess.run([xl_dmr, "list", "--json"], capture_output=True, check=True, text=True)
    return [d["dm_uid"] for d in json.loads(p.stdout)]


def destroy_all():
    for i in range(1, n + 1):
        subprocess.run([xl_dmr, "destroy", "scale%d" % i], stdout=DEVNULL, stderr=DEVNULL)


def leftovers(uids):
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/status" % pid) as f:
                st = f.read()
        except OSError:
            continue
        uid = int(st.split("\nUid:")[1].split()[0])
        if uid in uids and "\nState:\tZ" not in st:
            left.append(pid)
    return left + (["/run/xl-dmr"] if os.path.exists("/run/xl-dmr") else [])


def xl_dmr_sequential():
    series, cpu, rss = [], 0.0, 0
    t0 = time.monotonic()
    for i in range(1, n + 1):
        t = time.monotonic()
        ok, c, r = run_xl_dmr(create_args(i))()
        if not ok:
            raise SystemExit("xl-dmr create %d failed" % i)
        series.append((i - 1, (time.monotonic() - t) * 1e3))
        cpu, rss = cpu + c, max(rss, r)
    return time.monotonic() - t0, cpu / n * 1e3, rss, series


def xl_dmr_together():
    t0 = time.monotonic()
    waits = [run_xl_dmr(create_args(i)) for i in range(1, n + 1)]
    done = [w() for w in waits]
    return time.monotonic() - t0, all(ok for ok, _, _ in done)


plans = [plan_of(i) for i in range(1, n + 1)]
result = {"guests": n}
# Interleaved: by hand, xl-dmr, by hand, xl-dmr.
result["hand_sequential_s"] = by_hand(plans, False)
seq, cpu_ms, rss_kib, series = xl_dmr_sequential()
uids = running_uids()
result.update(xl_dmr_sequential_s=seq, xl_dmr_cpu_ms_per_guest=cpu_ms, xl_dmr_peak_rss_kib=rss_kib,
              distinct_uids=len(set(uids)), running=len(uids))
destroy_all()
result["left_after_destroy_sequential"] = leftovers(set(uids))
result["hand_together_s"] = by_hand(plans, True)
tog, ok = xl_dmr_together()
uids2 = running_uids()
result.update(xl_dmr_together_s=tog, together_all_started=ok, together_distinct_uids=len(set(uids2)))
destroy_all()
result["left_after_destroy_together"] = leftovers(set(uids2))
result["ratio_sequential"] = result["xl_dmr_sequential_s"] / result["hand_sequential_s"]
result["ratio_together"] = result["xl_dmr_together_s"] / result["hand_together_s"]
result["goal_ratio"] = 1.10
with open(data, "w") as f:
    f.write("# guests_running\txl_dmr_start_ms\n")
    for k, ms in series:
        f.write("%d\t%.2f\n" % (k, ms))
with open(out, "w") as f:
    json.dump(result, f, indent=1)
print("%d guests started paused: one after the other, by hand %.2f s, xl-dmr %.2f s (%.2fx); "
      "all at once, by hand %.2f s, xl-dmr %.2f s (%.2fx) (goal <= 1.10)"
      % (n, result["hand_sequential_s"], seq, result["ratio_sequential"], result["hand_together_s"],
         tog, result["ratio_together"]))
print("xl-dmr CPU per guest %.1f ms, peak RSS %d KiB; %d distinct uids of %d running (and %d of %d "
      "started at once); left after destroy: %s"
      % (cpu_ms, rss_kib, len(set(uids)), len(uids), len(set(uids2)), len(uids2),
         (result["left_after_destroy_sequential"] + result["left_after_destroy_together"]) or "nothing"))
