#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""scale.py XL_DMR CFG N OUT.json DATA.tsv BENCH_START PAIRS: N guests started
paused, by xl-dmr and by the floor (`bench_start launch`, the start
benchmark's frozen C minimal launcher, given each guest's own plan):

* one after the other: a pass of the floor, then one of xl-dmr; guest k of
  one pass and guest k of the other are a pair (the same number running);
* all at once: PAIRS interleaved pairs of N starts at once, the order
  alternating;
* one more guest with none and with N running: 10 cycles of guest N+1
  each, xl-dmr's create/destroy and the floor's launch/stop interleaved;
  and the library's looks that grow with what runs (a walk of every
  process's status, a read of every domain's state) and the kernel's
  count of a uid's tasks, which does not, timed by `bench_start looks`
  with none and with N running.

Writes the samples (bench/stats.py judges), xl-dmr's CPU per guest and peak
RSS, that the N device models had N distinct uids and that nothing is left
after destroy. DATA.tsv gets each sequential start's time against the
number of guests already running, for the plot. Run by bench/run."""
import json
import os
import select
import socket
import subprocess
import sys
import time

xl_dmr, cfg, n, out, data, bench_start, pairs = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                                 sys.argv[4], sys.argv[5], sys.argv[6],
                                                 int(sys.argv[7]))
DEVNULL = subprocess.DEVNULL
CYCLES = 10
workdir = os.path.dirname(os.path.abspath(out))


def now_ms():
    return time.monotonic() * 1e3


def name_of(i):
    return 'name="scale%d"' % i


def plan_of(i):
    p = subprocess.run([xl_dmr, "create", "-n", "--json", "--domid", str(i), cfg, name_of(i)],
                       capture_output=True, check=True, text=True)
    path = os.path.join(workdir, "plan-%d.json" % i)
    open(path, "w").write(p.stdout)
    return path, json.loads(p.stdout)


def run_xl_dmr(args):
    """Start xl-dmr; a function that waits for it and returns (ok, cpu s, max RSS KiB)."""
    p = subprocess.Popen(args, stdout=DEVNULL)

    def wait():
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = status
        return status == 0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
    return wait


def create_args(i):
    return [xl_dmr, "create", "-p", "--domid", str(i), cfg, name_of(i)]


def floor_launch(i):
    """The floor's start of guest i; a function that waits for it and gives QEMU's pid."""
    p = subprocess.Popen([bench_start, "launch", plans[i][0]], stdout=subprocess.PIPE, text=True)

    def wait():
        pid = p.stdout.read().strip()
        if p.wait() or not pid:
            raise SystemExit("the floor's launch of guest %d failed" % i)
        return int(pid)
    return wait


def floor_stop(i, pid):
    plan = plans[i][1]
    fd = os.pidfd_open(pid)
    try:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(plan["resources"][0]["path"])
        f = c.makefile("rw")
        f.readline()
        f.write('{"execute": "qmp_capabilities"}\n{"execute": "quit"}\n')
        f.flush()
        if not select.select([fd], [], [], 10)[0]:
            os.kill(pid, 9)
            select.select([fd], [], [], 10)
        c.close()
    finally:
        os.close(fd)
    for r in plan["resources"]:
        if r["kind"] != "serial" and os.path.exists(r["path"]):
            os.unlink(r["path"])
    if os.path.isdir(plan["dm"]["chroot"]):
        os.rmdir(plan["dm"]["chroot"])


def floor_sequential():
    times, pids = [], []
    for i in range(1, n + 1):
        t = now_ms()
        pids.append(floor_launch(i)())
        times.append(now_ms() - t)
    for i, pid in enumerate(pids, 1):
        floor_stop(i, pid)
    return times


def floor_together():
    t = now_ms()
    waits = [floor_launch(i) for i in range(1, n + 1)]
    pids = [w() for w in waits]
    total = now_ms() - t
    for i, pid in enumerate(pids, 1):
        floor_stop(i, pid)
    return total


def xl_dmr_sequential():
    times, cpu, rss = [], 0.0, 0
    for i in range(1, n + 1):
        t = now_ms()
        ok, c, r = run_xl_dmr(create_args(i))()
        if not ok:
            raise SystemExit("xl-dmr create %d failed" % i)
        times.append(now_ms() - t)
        cpu, rss = cpu + c, max(rss, r)
    return times, cpu / n * 1e3, rss


def xl_dmr_together():
    t = now_ms()
    waits = [run_xl_dmr(create_args(i)) for i in range(1, n + 1)]
    done = [w() for w in waits]
    if not all(ok for ok, _, _ in done):
        raise SystemExit("an xl-dmr create of %d at once failed" % n)
    return now_ms() - t


def one_more():
    """CYCLES cycles of guest n+1, xl-dmr's create/destroy and the floor's
    launch/stop interleaved (the order alternating): their start times."""
    xl, floor = [], []
    for k in range(CYCLES):
        for arm in ((0, 1) if k % 2 else (1, 0)):
            t = now_ms()
            if arm:
                if not run_xl_dmr(create_args(n + 1))()[0]:
                    raise SystemExit("xl-dmr create %d failed" % (n + 1))
                xl.append(now_ms() - t)
                subprocess.run([xl_dmr, "destroy", str(n + 1)], stdout=DEVNULL, check=True)
            else:
                pid = floor_launch(n + 1)()
                floor.append(now_ms() - t)
                floor_stop(n + 1, pid)
    return xl, floor


def looks():
    """The library's own walk of every process, count of a uid's tasks and
    read of every domain's state, timed (bench_start looks)."""
    p = subprocess.run([bench_start, "looks", "30"], capture_output=True, check=True, text=True)
    return json.loads(p.stdout)


def running_uids():
    p = subprocess.run([xl_dmr, "list", "--json"], capture_output=True, check=True, text=True)
    return [d["dm_uid"] for d in json.loads(p.stdout)]


def destroy_all():
    for i in range(1, n + 1):
        subprocess.run([xl_dmr, "destroy", str(i)], stdout=DEVNULL, stderr=DEVNULL)


def leftovers(uids):
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/status" % pid) as f:
                st = f.read()
        except OSError:
            continue
        ids = [int(x) for x in st.split("\nUid:")[1].split()[:3]]
        if set(ids) & uids and "\nState:\tZ" not in st:
            left.append(pid)
    return left + [d for d in ("/run/xl-dmr/domains",) if os.path.isdir(d) and os.listdir(d)]


plans = {i: plan_of(i) for i in range(1, n + 2)}
result = {"guests": n, "pairs": pairs, "cycles": CYCLES}
result["one_more_with_0_ms"], result["floor_one_more_with_0_ms"] = one_more()
result["looks_with_0"] = looks()
result["floor_sequential_ms"] = floor_sequential()
seq, cpu_ms, rss_kib = xl_dmr_sequential()
uids = running_uids()
result.update(xl_dmr_sequential_ms=seq, xl_dmr_cpu_ms_per_guest=cpu_ms, xl_dmr_peak_rss_kib=rss_kib,
              distinct_uids=len(set(uids)), running=len(uids))
result["one_more_with_n_ms"], result["floor_one_more_with_n_ms"] = one_more()
result["looks_with_n"] = looks()
destroy_all()
left = leftovers(set(uids))
floor_tog, xl_tog = [], []
for k in range(pairs):
    for arm in ((0, 1) if k % 2 else (1, 0)):
        if arm:
            xl_tog.append(xl_dmr_together())
            uids2 = running_uids()
            result["together_distinct_uids"] = len(set(uids2))
            destroy_all()
            left += leftovers(set(uids2))
        else:
            floor_tog.append(floor_together())
result.update(floor_together_ms=floor_tog, xl_dmr_together_ms=xl_tog, left_after_destroy=left)
with open(data, "w") as f:
    f.write("# guests_running\txl_dmr_start_ms\n")
    for k, ms in enumerate(seq):
        f.write("%d\t%.2f\n" % (k, ms))
with open(out, "w") as f:
    json.dump(result, f, indent=1)
