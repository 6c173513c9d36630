#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""report.py RESULTS.json BENCHMARKS.md: the verdicts of a bench run, by
bench/stats.py's interval rule, printed and put into the table of
docs/benchmarks.md (between its two marker lines). Run by bench/run."""
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats  # noqa: E402

d = json.load(open(sys.argv[1]))
st, sc, pl, cd, lv = d["start"], d["scale"], d["planner"], d["cdrom_change"], d.get("libvirt", {})
rows = []


def row(what, measured, goal="", met=""):
    rows.append((what, measured, goal, met))


def med(v):
    return statistics.median(v)


def ms(v):
    return "%.1f" % med(v)


# Start: the floor and xl-dmr in interleaved pairs.
n = st["runs"]
ratio = stats.ratio_of_pairs(st["xl_dmr_ms"], st["floor_ms"])
cpu = stats.difference_of_pairs(st["xl_dmr_cpu_ms"], st["floor_cpu_ms"])
dmedian = stats.interval(st["destroy_ms"])
dmax = max(st["destroy_ms"])
row("Start until the bench's `query-status` says running, medians of %d interleaved pairs: "
    "bare QEMU / the floor (C minimal restricted launcher) / `xl-dmr create`" % n,
    "%s / %s / %s ms" % (ms(st["bare_ms"]), ms(st["floor_ms"]), ms(st["xl_dmr_ms"])))
row("`xl-dmr create` / the floor, median of per-pair ratios [95% interval]", stats.fmt(ratio),
    "≤ 1.05", stats.verdict(ratio, 1.05, n))
row("CPU of everything a start runs (cpuacct cgroup, QEMU included), xl-dmr minus the floor, "
    "per pair", stats.fmt(cpu, 1, " ms") + " (floor %s ms, xl-dmr %s ms)"
    % (ms(st["floor_cpu_ms"]), ms(st["xl_dmr_cpu_ms"])), "≤ 2 ms", stats.verdict(cpu, 2, n))
row("Destroy until it returns, the reaper included (then nothing left, checked)",
    "median %s, max %.1f ms" % (stats.fmt(dmedian, 1), dmax), "median ≤ 10, max ≤ 15 ms",
    "median %s, max %s" % (stats.verdict(dmedian, 10, n),
                           ("yes" if dmax <= 15 else "no") if n >= stats.MIN_FOR_VERDICT
                           else "no verdict (n=%d < %d)" % (n, stats.MIN_FOR_VERDICT)))
row("What remains, each measured on its own (wall, CPU): executing `/bin/true` (any command); "
    "executing `xl-dmr -h` (its libraries loaded); `xl-dmr create -n` (users, facts, the plan: "
    "all of a start before its launch); `xl-dmr dm-audit` of the running guest",
    "%s, %s ms; %s, %s ms; %s; %s, %s ms"
    % (ms(st["true_ms"]), ms(st["true_cpu_ms"]), ms(st["exec_ms"]), ms(st["exec_cpu_ms"]),
       "%s, %s ms" % (ms(st["plan_ms"]), ms(st["plan_cpu_ms"])) if st.get("plan_ms") else "-",
       ms(st["audit_ms"]), ms(st["audit_cpu_ms"])))
if st.get("plan_cpu_ms"):
    # The start's CPU beyond the floor, split by the arms above (medians).
    exec_any, libs = med(st["true_cpu_ms"]), med(st["exec_cpu_ms"]) - med(st["true_cpu_ms"])
    plan = med(st["plan_cpu_ms"]) - med(st["exec_cpu_ms"])
    audit = med(st["audit_cpu_ms"]) - med(st["exec_cpu_ms"])
    row("The start's CPU beyond the floor, by those arms: executing a command (any command; the "
        "floor runs inside the bench); its libraries (Debian's libxlutil needs libxenlight and its "
        "~20 libraries); users, facts and the plan (create -n less -h, which also prints the plan "
        "and reads no records); the audit (dm-audit less -h); what is left (the launch's "
        "processes, state files, the reaper's look)",
        "%.1f + %.1f + %.1f + %.1f + %.1f ms (medians of each arm; the last, the median per-pair CPU "
        "difference above less the other four)" % (
            exec_any, libs, plan, audit, cpu[0] - exec_any - libs - plan - audit))
    e_iv = stats.interval(st["exec_cpu_ms"])
    row("The least CPU a start by a command adds to the floor's: executing `xl-dmr -h` (a command "
        "and its libraries; the floor runs inside the bench)",
        "%s; %s" % (stats.fmt(e_iv, 1, " ms"), stats.beyond(e_iv, 2)))

def col(pairs, k):
    return [p[k] for p in pairs]


# Least-possible figures: what any start by a command that audits pays
# beyond the floor, from arms of the same pairs: the command and its
# libraries (xl-dmr -h) and the audit (libdmr_dm_audit, a library call).
# Intervals resample the pairs whole (stats.interval_of).
least = None
if st.get("audit_call_ms"):
    least = list(zip(st["floor_ms"], st["exec_ms"], st["audit_call_ms"], st["floor_cpu_ms"],
                     st["exec_cpu_ms"], st["audit_call_cpu_ms"], st["true_ms"]))

    # The audit's wall time is at least its CPU time (one thread); its
    # wall as a call here also waits on a new QMP connection, which
    # create's own audit does not open.
    def start_least(P):
        return (med(col(P, 0)) + med(col(P, 1)) + med(col(P, 5))) / med(col(P, 0))
    s_iv = stats.interval_of(start_least, least)
    row("The least a start by a command can be against the floor: the floor, plus executing "
        "`xl-dmr -h` (a command and its libraries) and the CPU of the audit every start passes "
        "before its guest runs (`libdmr_dm_audit`, a call in the bench's process, which also reads "
        "the record and opens a QMP connection: %s ms of wall), medians of the same pairs"
        % ms(st["audit_call_ms"]),
        "(%s + %s + %s) / %s ms = %s; %s" % (
            ms(st["floor_ms"]), ms(st["exec_ms"]), ms(st["audit_call_cpu_ms"]), ms(st["floor_ms"]),
            stats.fmt(s_iv), stats.beyond(s_iv, 1.05)))
if st.get("floor_stop_ms"):
    row("Measured on their own: the floor's stop (on a new QMP connection, the greeting, then "
        "capabilities and `quit` each answered before the next; QEMU's own exit; its files "
        "removed) and executing `xl-dmr -h`",
        "%s ms and %s ms" % (ms(st["floor_stop_ms"]), ms(st["exec_ms"])))
if st.get("destroy_cleanup_ms"):
    cleanup = med(st["destroy_cleanup_ms"])
    row("What a destroy does beyond stopping QEMU, measured on its own: `xl-dmr destroy` of a guest "
        "whose QEMU was killed, and whose keeper, watcher and logger ended, first (executing "
        "xl-dmr, the lock and records, the kernel's count of the uid's tasks, the chroot, the taps' "
        "check, the state files); the floor's stop plus that (both remove files); the destroy's "
        "median less both (a difference of medians, no arm of its own: the waits for the keeper, "
        "watcher and logger among it)",
        "%.1f ms (%.1f beyond `xl-dmr -h`); %.1f ms; %.1f ms" % (
            cleanup, cleanup - med(st["exec_ms"]), med(st["floor_stop_ms"]) + cleanup,
            dmedian[0] - med(st["floor_stop_ms"]) - cleanup))
if st.get("nic_display_ms"):
    row("Reported: `xl-dmr create` with a NIC on a bridge and a VNC display / without",
        "%s / %s ms = %s" % (ms(st["nic_display_ms"]), ms(st["xl_dmr_ms"]),
                             stats.fmt(stats.ratio_of_pairs(st["nic_display_ms"], st["xl_dmr_ms"]))))

if "xl_dmr_start_ms" in lv:
    ln = lv["runs"]
    s_iv = stats.ratio_of_pairs(lv["xl_dmr_start_ms"], lv["libvirt_start_ms"])
    d_iv = stats.ratio_of_pairs(lv["xl_dmr_destroy_ms"], lv["libvirt_destroy_ms"])
    row("Against libvirt (%s, chrooted), start: `xl-dmr create` / `virsh create`, %d pairs"
        % (lv["libvirt"], ln), "%s / %s ms = %s" % (ms(lv["xl_dmr_start_ms"]),
                                                   ms(lv["libvirt_start_ms"]), stats.fmt(s_iv, 3)),
        "≤ 0.15", stats.verdict(s_iv, 0.15, ln))
    if "true_ms" in lv and least:
        lv_pairs = list(zip(lv["true_ms"], lv["libvirt_start_ms"]))

        def libvirt_least(P, L):
            return (med(col(P, 0)) + med(col(P, 1)) + med(col(P, 5)) + med(col(L, 0))
                    - med(col(P, 6))) / med(col(L, 1))
        l_iv = stats.interval_of(libvirt_least, least, lv_pairs)
        row("The least a start by a command can be against libvirt: the floor, `xl-dmr -h` and the "
            "audit's CPU (above), and what this arm's harness adds to a command (`/bin/true` timed by it, "
            "less as the start bench times it), over `virsh create`",
            "%s; %s" % (stats.fmt(l_iv, 3), stats.beyond(l_iv, 0.15)))
    row("Against libvirt, destroy: `xl-dmr destroy` / `virsh destroy`",
        "%s / %s ms = %s" % (ms(lv["xl_dmr_destroy_ms"]), ms(lv["libvirt_destroy_ms"]),
                             stats.fmt(d_iv, 3)), "≤ 0.05", stats.verdict(d_iv, 0.05, ln))
else:
    row("Against libvirt", "not measured: " + lv.get("skipped", "?"))

cn = cd["runs"]
c_iv = stats.ratio_of_pairs(cd["fd_ms"], cd["path_ms"])
row("cdrom change by descriptor (restricted, a library call on a kept connection) / by path "
    "(unrestricted), %d pairs; on its own: a null QMP command's round trip, add-fd + remove-fd "
    "pipelined" % cn,
    "%.2f / %.2f ms = %s; %.2f ms, %.2f ms" % (med(cd["fd_ms"]), med(cd["path_ms"]), stats.fmt(c_iv),
                                               med(cd["round_trip_ms"]), med(cd["add_remove_fd_ms"])),
    "≤ 1.5", stats.verdict(c_iv, 1.5, cn))
cl_iv = stats.ratio_of_pairs([a + b for a, b in zip(cd["path_ms"], cd["add_remove_fd_ms"])],
                             cd["path_ms"])
row("The least a change by descriptor can be against one by path: the change itself plus add-fd "
    "and remove-fd, per pair (QEMU 7.2 opens a medium from a descriptor only through an fdset, and "
    "the old one goes before the call returns)", "%s; %s" % (stats.fmt(cl_iv), stats.beyond(cl_iv, 1.5)))
row("The planner alone, %s distinct configs" % format(pl["configs"], ","),
    "%s plans/s (%.1f µs each); %.1f KB of RSS per plan kept; peak RSS %d MiB"
    % (format(round(pl["plans_per_s"]), ","), pl["us_per_plan"], pl["rss_bytes_per_plan"] / 1000,
       pl["peak_rss_kib"] // 1024), "≥ 100,000 plans/s",
    "yes" if pl["plans_per_s"] >= 100000 else "no")

g = sc["guests"]
seq = stats.ratio_of_pairs(sc["xl_dmr_sequential_ms"], sc["floor_sequential_ms"])
row("%d guests started paused one after the other: the floor / xl-dmr, totals; median of the "
    "%d per-guest ratios (guest k of each pass)" % (g, g),
    "%.2f / %.2f s; %s" % (sum(sc["floor_sequential_ms"]) / 1e3,
                           sum(sc["xl_dmr_sequential_ms"]) / 1e3, stats.fmt(seq)),
    "≤ 1.10", stats.verdict(seq, 1.10, g))
tog = stats.ratio_of_pairs(sc["xl_dmr_together_ms"], sc["floor_together_ms"])
row("%d guests started paused all at once: the floor / xl-dmr, %d pairs" % (g, sc["pairs"]),
    "%.2f / %.2f s = %s" % (med(sc["floor_together_ms"]) / 1e3, med(sc["xl_dmr_together_ms"]) / 1e3,
                            stats.fmt(tog)), "≤ 1.10", stats.verdict(tog, 1.10, sc["pairs"]))
more = stats.ratio_of_medians(sc["one_more_with_n_ms"], sc["one_more_with_0_ms"])
row("One more `xl-dmr create` with %d running / with none, medians of %d cycles each" % (g, sc["cycles"]),
    "%s / %s ms = %s" % (ms(sc["one_more_with_n_ms"]), ms(sc["one_more_with_0_ms"]), stats.fmt(more)),
    "≤ 1.2", ("yes" if more[2] <= 1.2 else "no") if sc["pairs"] >= stats.MIN_FOR_VERDICT
    else "no verdict (QUICK)")
if "floor_one_more_with_n_ms" in sc:
    fmore = stats.ratio_of_medians(sc["floor_one_more_with_n_ms"], sc["floor_one_more_with_0_ms"])
    l0, ln = sc["looks_with_0"], sc["looks_with_n"]
    row("What grows with what runs, each measured on its own: the floor's one more start with %d "
        "running / with none (any start's share of the machine), interleaved with xl-dmr's; the "
        "library's walk of every process's status (a create makes one, the audit's; a create's and "
        "a destroy's reaper one more each only when the kernel counts a task of the uid), the "
        "kernel's count of a uid's tasks (the reaper's first look) and its read of every domain's "
        "state (a create makes one), with none / with %d running" % (g, g),
        "%s / %s ms = %s; walk %s / %s ms (%d / %d processes)%s; state %s / %s ms (%d / %d domains)"
        % (ms(sc["floor_one_more_with_n_ms"]), ms(sc["floor_one_more_with_0_ms"]), stats.fmt(fmore),
           ms(l0["walk_ms"]), ms(ln["walk_ms"]), l0["processes"], ln["processes"],
           "; count %s / %s ms" % (ms(l0["count_ms"]), ms(ln["count_ms"])) if "count_ms" in l0 else "",
           ms(l0["state_list_ms"]), ms(ln["state_list_ms"]), l0["domains"], ln["domains"]))
row("xl-dmr per guest at scale", "%.1f ms of CPU, peak RSS %.1f MiB"
    % (sc["xl_dmr_cpu_ms_per_guest"], sc["xl_dmr_peak_rss_kib"] / 1024))
row("What xl-dmr's own CPU adds to %d starts at once, roughly (its CPU per guest at scale, from "
    "the sequential pass, %d times, on the machine's %d CPUs), beside what they took longer than "
    "the floor's (medians of the totals)"
    % (g, g, d["machine"]["cpus"]),
    "%.2f s; %.2f s" % (sc["xl_dmr_cpu_ms_per_guest"] * g / d["machine"]["cpus"] / 1e3,
                         (med(sc["xl_dmr_together_ms"]) - med(sc["floor_together_ms"])) / 1e3))
if least:
    # Every start at once needs at least the floor's CPU and, by a command
    # that audits, xl-dmr -h's and the audit's; the set cannot end before
    # the machine's CPUs have run all of it.
    tog_pairs = [(t,) for t in sc["floor_together_ms"]]
    cpus = d["machine"]["cpus"]

    def together_least(P, T):
        return g * (med(col(P, 3)) + med(col(P, 4)) + med(col(P, 5))) / cpus / med(col(T, 0))
    t_iv = stats.interval_of(together_least, least, tog_pairs)
    row("The least %d starts at once can be against the floor's: %d times the CPU of a start (the "
        "floor's %s ms, `xl-dmr -h`'s %s, the audit's %s) on the machine's %d CPUs, over the floor's "
        "set (%.2f s; the start bench's floor CPU, 64 times, is %.0f%% of the CPUs' time over it)"
        % (g, g, ms(st["floor_cpu_ms"]), ms(st["exec_cpu_ms"]), ms(st["audit_call_cpu_ms"]), cpus,
           med(sc["floor_together_ms"]) / 1e3,
           100 * g * med(st["floor_cpu_ms"]) / cpus / med(sc["floor_together_ms"])),
        "%s; %s" % (stats.fmt(t_iv), stats.beyond(t_iv, 1.10)))
row("%d device models: distinct uids; left after destroy" % g, "%d of %d; %s" % (
    sc["distinct_uids"], sc["running"], ", ".join(sc["left_after_destroy"]) or "nothing"),
    "all distinct, nothing left",
    "yes" if sc["distinct_uids"] == sc["running"] == g and not sc["left_after_destroy"] else "no")

for r in rows:
    print("%s: %s%s" % (r[0], r[1], " (goal %s: %s)" % (r[2], r[3]) if r[2] else ""))
table = ["<!-- bench/report.py: from here -->",
         "Figures of %s, commit %s: %d vCPUs, %d GiB, kernel %s, %s."
         % (d["date"], d["versions"]["commit"], d["machine"]["cpus"], d["machine"]["memory_gib"],
            d["machine"]["kernel"], d["versions"]["qemu"]),
         "", "| What | Measured | Goal | Met |", "|---|---|---|---|"]
table += ["| %s | %s | %s | %s |" % r for r in rows]
table.append("<!-- bench/report.py: to here -->")
path = sys.argv[2]
text = open(path).read()
text = re.sub(r"<!-- bench/report.py: from here -->.*<!-- bench/report.py: to here -->",
              lambda _: "\n".join(table), text, flags=re.S)
open(path, "w").write(text)
