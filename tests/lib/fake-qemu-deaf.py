#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A "QEMU" that speaks QMP on the listening sockets it is given as fd 3
and fd 4 (the toolstack's monitor and the watcher's), answers everything
with success, says it runs, and ignores quit: destroy must then kill it.
-help and -machine help answer like QEMU 7.2, so the probe accepts it;
anything else runs the QMP loops."""
import json
import os
import socket
import sys
import threading

args = sys.argv[1:]
if args == ["-help"]:
    print("QEMU emulator version 7.2.0\n-sandbox on\n-runas user  change\n-chroot dir  chroot\n"
          "-action event=action")
    sys.exit(0)
if args == ["-machine", "help"]:
    print("Supported machines are:\npc   Standard PC\nq35  Standard PC (Q35)")
    sys.exit(0)
if len(args) == 2 and args[0] == "-device" and args[1].endswith(",help"):
    print("pvpanic options:\n  ioport=<uint16>" if args[1].startswith("pvpanic")
          else "pcie-root-port options:\n  hotplug=<bool>")
    sys.exit(0)


def serve(fd):
    listener = socket.socket(fileno=fd)
    while True:
        conn, _ = listener.accept()
        # A reader and a writer of their own: a "rw" text file drops what it
        # read ahead when written to, and commands come pipelined.
        r, f = conn.makefile("r"), conn.makefile("w")
        f.write('{"QMP": {"version": {}, "capabilities": []}}\n')
        f.flush()
        for line in r:
            try:
                msg = json.loads(line)
            except ValueError:
                break
            ret = {"status": "running", "running": True} if msg.get("execute") == "query-status" else {}
            f.write(json.dumps({"return": ret, "id": msg.get("id")}) + "\n")
            f.flush()
        conn.close()


try:
    os.fstat(4)
    threading.Thread(target=serve, args=(4,), daemon=True).start()
except OSError:
    pass
serve(3)
