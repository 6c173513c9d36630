#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""qmp_unplug.py SOCKET DEVICE-ID TIMEOUT: device_del, then wait for its
DEVICE_DELETED event. Prints "deleted SECONDS", or QEMU's error and exits 1,
or "timeout" and exits 2."""
import json
import socket
import sys
import time

path, dev, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(timeout)
s.connect(path)
f = s.makefile("rw")
f.readline()
f.write('{"execute": "qmp_capabilities"}\n')
f.flush()
f.readline()
t0 = time.monotonic()
f.write(json.dumps({"execute": "device_del", "arguments": {"id": dev}}) + "\n")
f.flush()
try:
    while True:
        msg = json.loads(f.readline())
        if "error" in msg:
            print(msg["error"]["desc"])
            sys.exit(1)
        if msg.get("event") == "DEVICE_DELETED" and msg.get("data", {}).get("device") == dev:
            print("deleted %.2f" % (time.monotonic() - t0))
            sys.exit(0)
except socket.timeout:
    print("timeout")
    sys.exit(2)
