#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A "QEMU" that speaks QMP on the listening socket it is given as fd 3
(-chardev socket,fd=3), answers everything with success, says it runs, and
ignores quit: destroy must then kill it. -help and -machine help answer
like QEMU 7.2, so the probe accepts it; anything else runs the QMP loop."""
import json
import os
import socket
import sys

args = sys.argv[1:]
if args == ["-help"]:
    print("QEMU emulator version 7.2.0\n-sandbox on\n-runas user  change\n-chroot dir  chroot")
    sys.exit(0)
if args == ["-machine", "help"]:
    print("Supported machines are:\npc   Standard PC\nq35  Standard PC (Q35)")
    sys.exit(0)
if len(args) == 2 and args[0] == "-device" and args[1].endswith(",help"):
    print("pcie-root-port options:\n  hotplug=<bool>")
    sys.exit(0)
listener = socket.socket(fileno=3)
while True:
    conn, _ = listener.accept()
    f = conn.makefile("rw")
    f.write('{"QMP": {"version": {}, "capabilities": []}}\n')
    f.flush()
    for line in f:
        try:
            msg = json.loads(line)
        except ValueError:
            break
        ret = {"status": "running", "running": True} if msg.get("execute") == "query-status" else {}
        f.write(json.dumps({"return": ret, "id": msg.get("id")}) + "\n")
        f.flush()
    conn.close()
