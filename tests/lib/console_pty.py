#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive `xl-dmr console DOMAIN` from a pty, as a person at a terminal.

console_pty.py XL_DMR DOMAIN [--type CMD --expect TEXT] [--second]

Prints one `name=value` line per observation, for the calling test:
  attached=1          the console put the pty in raw mode (it is attached)
  second_rc=N         (--second) a second `xl-dmr console` meanwhile: its exit
  second_err=TEXT     ... and what it said
  output=1|0          (--type) TEXT came back after CMD was typed
  rc=N                the console's exit status after Ctrl-]
  restored=1|0        `stty -g` on the pty is as it was before
Exits 0 once everything ran (the test judges the values).
"""
import os
import pty
import select
import subprocess
import sys
import time


def stty(fd):
    return subprocess.run(["stty", "-g"], stdin=fd, capture_output=True,
                          text=True).stdout.strip()


def read_until(master, text, timeout):
    """What the console printed, until text shows (or timeout)."""
    seen = b""
    end = time.monotonic() + timeout
    while text.encode() not in seen and time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    return seen


def main():
    xl, dom = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    cmd = args[args.index("--type") + 1] if "--type" in args else None
    expect = args[args.index("--expect") + 1] if "--expect" in args else None
    master, slave = pty.openpty()
    before = stty(slave)
    proc = subprocess.Popen([xl, "console", dom], stdin=slave, stdout=slave,
                            stderr=slave, start_new_session=True)
    # Attached once the terminal went raw.
    attached = False
    end = time.monotonic() + 10
    while time.monotonic() < end and proc.poll() is None:
        if stty(slave) != before:
            attached = True
            break
        time.sleep(0.05)
    print(f"attached={int(attached)}")
    if "--second" in args:
        second = subprocess.run([xl, "console", dom], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=20)
        print(f"second_rc={second.returncode}")
        print("second_err=" + second.stderr.strip().replace("\n", " | "))
    if cmd is not None:
        # A fresh prompt first: the shell may have printed its own long ago.
        os.write(master, b"\r")
        time.sleep(0.3)
        os.write(master, cmd.encode() + b"\r")
        got = read_until(master, expect, 60)
        print(f"output={int(expect.encode() in got)}")
        sys.stderr.write("console printed: %r\n" % got[-300:])
    os.write(master, b"\x1d")
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    print(f"rc={rc}")
    print(f"restored={int(stty(slave) == before)}")
    os.close(master)
    os.close(slave)


if __name__ == "__main__":
    main()
