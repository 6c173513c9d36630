#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A test's own QMP peer: qmp.py SOCKET COMMAND [ARGUMENTS-JSON].
Prints the reply's "return" as JSON; exits 1 on a QMP error."""
import json
import socket
import sys


def main():
    path, command = sys.argv[1], sys.argv[2]
    arguments = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    f = s.makefile("rw")

    def reply():
        while True:
            msg = json.loads(f.readline())
            if "event" not in msg:
                return msg

    reply()  # the greeting
    for cmd, args in (("qmp_capabilities", None), (command, arguments)):
        req = {"execute": cmd}
        if args is not None:
            req["arguments"] = args
        f.write(json.dumps(req) + "\n")
        f.flush()
        msg = reply()
        if "error" in msg:
            print(json.dumps(msg["error"]), file=sys.stderr)
            sys.exit(1)
    print(json.dumps(msg["return"]))


if __name__ == "__main__":
    main()
