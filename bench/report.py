#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""report.py RESULTS.json BENCHMARKS.md: put the figures of a bench run into
the table of docs/benchmarks.md (between its two marker lines), each with
its goal and whether this run met it. Run by bench/run."""
import json
import re
import sys

d = json.load(open(sys.argv[1]))
st, sc, pl, cd, lv = d["start"], d["scale"], d["planner"], d["cdrom_change"], d.get("libvirt", {})


def s3(x):
    return "%.1f (%.1f–%.1f)" % (x["median"], x["min"], x["max"])


def met(ok):
    return "yes" if ok else "no"


rows = [
    ("Start until `query-status` says running, n=%d, median (min–max): bare QEMU / minimal "
     "restricted launcher / `xl-dmr create`" % st["runs"],
     "%s / %s / %s ms" % (s3(st["bare_ms"]), s3(st["minimal_ms"]), s3(st["xl_dmr_ms"])), "", ""),
    ("`xl-dmr create` / the restricted floor",
     "%.2f (%.2f against bare QEMU)" % (st["ratio"], st["ratio_bare"]), "≤ 1.05", met(st["ratio"] <= 1.05)),
    ("xl-dmr's own CPU per start (it and the children it waits for)", s3(st["xl_dmr_cpu_ms"]) + " ms",
     "≤ 2 ms", met(st["xl_dmr_cpu_ms"]["median"] <= 2)),
    ("Destroy, the reaper included", "median %.1f ms, max %.1f ms"
     % (st["destroy_ms"]["median"], st["destroy_ms"]["max"]), "≤ 10 ms",
     "median %s, max %s" % (met(st["destroy_ms"]["median"] <= 10), met(st["destroy_ms"]["max"] <= 10))),
]
if "start_ratio" in lv:
    rows += [
        ("Against libvirt (%s, chrooted), start: `xl-dmr create` / `virsh create`, medians of %d"
         % (lv["libvirt"], lv["runs"]), "%.1f / %.1f ms = %.3f" % (
             lv["xl_dmr_start_ms"]["median"], lv["libvirt_start_ms"]["median"], lv["start_ratio"]),
         "≤ 0.15", met(lv["start_ratio"] <= 0.15)),
        ("Against libvirt, destroy: `xl-dmr destroy` / `virsh destroy`", "%.1f / %.1f ms = %.3f" % (
            lv["xl_dmr_destroy_ms"]["median"], lv["libvirt_destroy_ms"]["median"], lv["destroy_ratio"]),
         "≤ 0.05", met(lv["destroy_ratio"] <= 0.05)),
    ]
else:
    rows.append(("Against libvirt", "not measured: " + lv.get("skipped", "?"), "", ""))
rows += [
    ("cdrom change by descriptor (restricted) / by path (unrestricted), medians of %d" % cd["runs"],
     "%.2f / %.2f ms = %.2f" % (cd["fd_ms"], cd["path_ms"], cd["ratio"]), "≤ 1.5", met(cd["ratio"] <= 1.5)),
    ("The planner alone, %s distinct configs" % format(pl["configs"], ","),
     "%s plans/s (%.1f µs each); %.1f KB of RSS per plan kept; peak RSS %d MiB"
     % (format(round(pl["plans_per_s"]), ","), pl["us_per_plan"], pl["rss_bytes_per_plan"] / 1000,
        pl["peak_rss_kib"] // 1024), "≥ 100,000 plans/s", met(pl["plans_per_s"] >= 100000)),
    ("%d guests started paused one after the other: by hand / xl-dmr" % sc["guests"],
     "%.2f / %.2f s = %.2f" % (sc["hand_sequential_s"], sc["xl_dmr_sequential_s"], sc["ratio_sequential"]),
     "≤ 1.10", met(sc["ratio_sequential"] <= 1.10)),
    ("%d guests started paused all at once: by hand / xl-dmr" % sc["guests"],
     "%.2f / %.2f s = %.2f" % (sc["hand_together_s"], sc["xl_dmr_together_s"], sc["ratio_together"]),
     "≤ 1.10", met(sc["ratio_together"] <= 1.10)),
    ("xl-dmr per guest at scale", "%.1f ms of CPU, peak RSS %.1f MiB"
     % (sc["xl_dmr_cpu_ms_per_guest"], sc["xl_dmr_peak_rss_kib"] / 1024), "", ""),
    ("%d device models: distinct uids; left after destroy" % sc["guests"], "%d of %d; %s" % (
        sc["distinct_uids"], sc["running"],
        "nothing" if not (sc["left_after_destroy_sequential"] or sc["left_after_destroy_together"])
        else ", ".join(sc["left_after_destroy_sequential"] + sc["left_after_destroy_together"])),
     "all distinct, nothing left",
     met(sc["distinct_uids"] == sc["running"] == sc["guests"] and not sc["left_after_destroy_sequential"]
         and not sc["left_after_destroy_together"])),
]
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
              "\n".join(table), text, flags=re.S)
open(path, "w").write(text)
