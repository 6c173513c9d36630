#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest's serial console under a restricted device model: QEMU holds
# one end of a socketpair (a plan resource, accepted by the audit by its
# inode), the per-domain logger the other. The logger logs what the guest
# writes, attached or not, and serves `xl-dmr console`, driven here from a
# pty as a person would: type a command into the guest's shell, read its
# output, Ctrl-] out, the terminal as it was. A second client is told the
# console is in use. Destroy leaves no console socket.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/guest.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-console.XXXXXX)
trap '"$XL_DMR" destroy con1 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
sock=/run/xl-dmr/console-1.sock
log=/var/log/xl-dmr/qemu-dm-con1.log

userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072

# The plan: what serial means on the qemu backend (no QEMU run).
plan_cfg() {
    cat > "$work/p.cfg" <<CFG
type = "hvm"
name = "plan1"
memory = 64
dm_restrict = 1
accel = "tcg"
$1
CFG
}
plan_cfg ''
"$XL_DMR" create -n --domid 1 "$work/p.cfg" > "$work/plan" 2>&1
tap_check "create -n: no serial key is the console, a socketpair end handed over" \
    bash -c "grep -q 'Passes fd [0-9]*: serial (one end of a socketpair.*$sock)' $work/plan &&
             grep -q -- '-chardev socket,id=console,fd=[0-9]' $work/plan"
plan_cfg 'serial = "pty"'
"$XL_DMR" create -n --json --domid 1 "$work/p.cfg" > "$work/plan.json"
tap_check "serial = \"pty\": the console, in the plan JSON too" \
    [ "$(json_get "$work/plan.json" '[d["console"], [r["kind"] for r in d["resources"]]]')" = "[\"$sock\", [\"qmp-listen\", \"qmp-events\", \"serial\"]]" ]
plan_cfg 'serial = "none"'
"$XL_DMR" create -n --domid 1 "$work/p.cfg" > "$work/plan" 2>&1
tap_check "serial = \"none\": no serial port, no console" \
    bash -c "grep -q '^Serial: none' $work/plan && ! grep -q -- '-serial\|id=console' $work/plan"
plan_cfg 'serial = "file:/tmp/x"'
"$XL_DMR" create -n --domid 1 "$work/p.cfg" > /dev/null 2> "$work/err"
rc=$?
tap_check "serial = \"file:...\": refused by name, one line, exit 1" \
    bash -c "[ $rc = 1 ] && grep -q 'serial = \"file:/tmp/x\" is not carried on the qemu backend' $work/err"
tap_one_line "... one line" "$work/err"
sed 's/^/# /' "$work/err"

guest_or_skip "the console of a guest under a restricted DM"
cat > "$work/con.cfg" <<CFG
type = "hvm"
name = "con1"
memory = 128
dm_restrict = 1
accel = "tcg"
serial = "pty"
kernel = "$KERNEL"
ramdisk = "$INITRD"
cmdline = "$CMDLINE"
CFG
"$XL_DMR" create --domid 1 "$work/con.cfg"
tap_check "create: exit 0" [ $? = 0 ]
tap_check "the console socket is root's, mode 0600" \
    [ "$(stat -c '%F %U %a' "$sock" 2>/dev/null)" = "socket root 600" ]
# logger_fds: what the domain's log process holds, one kind a line, sorted.
logger_fds() {
    local pid
    pid=$(json_get /run/xl-dmr/domains/1.json 'd["logger_pid"]')
    for f in /proc/$pid/fd/*; do
        readlink "$f"
    done | sed 's/:\[[0-9]*\]$//' | sort | tr '\n' ' '
}
fds=$(logger_fds)
echo "# logger holds: $fds"
tap_check "the logger holds /dev/null, QEMU's pipe, the log and its directory, its serial end and the console socket" \
    [ "$fds" = "/dev/null /dev/null /dev/null /var/log/xl-dmr /var/log/xl-dmr/qemu-dm-con1.log pipe socket socket " ]
for _ in $(seq 120); do grep -q XLDMR-GUEST-READY "$log" 2>/dev/null && break; sleep 0.5; done
tap_check "what the guest wrote with nobody attached is in the log" grep -q XLDMR-GUEST-READY "$log"

# The guest's shell (tests/guest/README: XLDMR-GUEST-SHELL, then a prompt).
for _ in $(seq 20); do grep -q XLDMR-GUEST-SHELL "$log" && break; sleep 0.5; done
if grep -q XLDMR-GUEST-SHELL "$log"; then
    python3 "$srcdir/tests/lib/console_pty.py" "$XL_DMR" con1 --second \
        --type 'echo XLDMR-CONSOLE-$((6*7))' --expect XLDMR-CONSOLE-42 > "$work/drive" 2> "$work/drive.err"
else
    python3 "$srcdir/tests/lib/console_pty.py" "$XL_DMR" con1 --second \
        > "$work/drive" 2> "$work/drive.err"
fi
sed 's/^/# /' "$work/drive.err" | tail -5
val() { sed -n "s/^$1=//p" "$work/drive"; }
tap_check "xl-dmr console attaches from a pty (the terminal goes raw)" [ "$(val attached)" = 1 ]
tap_check "a second client meanwhile: exit 1, told the console is in use, in one line" \
    bash -c "[ '$(val second_rc)' = 1 ] && grep -q '^second_err=.*console is in use' $work/drive &&
             ! grep -q '^second_err=.* | ' $work/drive"
if grep -q XLDMR-GUEST-SHELL "$log"; then
    tap_check "a command typed into the guest's shell, and its output read back" [ "$(val output)" = 1 ]
    tap_check "... which the log has too" grep -q XLDMR-CONSOLE-42 "$log"
else
    tap_skip "a command typed into the guest's shell" "this test guest has no shell on ttyS0 (tests/guest/README)"
fi
tap_check "Ctrl-] leaves: exit 0" [ "$(val rc)" = 0 ]
tap_check "... and the terminal is as it was (stty -g)" [ "$(val restored)" = 1 ]

# Nobody attached again: the guest goes on, logged (its heartbeat).
size=$(stat -c %s "$log")
for _ in $(seq 40); do [ "$(tail -c +$((size + 1)) "$log" | grep -c HEARTBEAT)" -gt 0 ] && break; sleep 0.5; done
tap_check "after the client left the guest runs on, logged" \
    bash -c "tail -c +$((size + 1)) $log | grep -q XLDMR-GUEST-HEARTBEAT"
"$XL_DMR" dm-audit con1 > "$work/audit"
rc=$?
tap_check "dm-audit passes: the serial socketpair end is the plan's" \
    bash -c "[ $rc = 0 ] && ! grep -q FAIL $work/audit"
sed 's/^/# /' "$work/audit" | grep -i descriptors
"$XL_DMR" destroy con1
tap_check "destroy: no console socket, nothing left" bash -c "[ ! -e $sock ] && [ ! -e /run/xl-dmr ]"
"$XL_DMR" console con1 < /dev/null 2> "$work/err"
rc=$?
tap_check "console of a domain that is gone: exit 1, one line" bash -c "[ $rc = 1 ]"
tap_one_line "... one line" "$work/err"

# serial = "none": no serial port, nothing of the console anywhere.
sed -i 's/^serial = .*/serial = "none"/' "$work/con.cfg"
"$XL_DMR" create -p --domid 1 "$work/con.cfg"
tap_check "serial = \"none\": create: exit 0" [ $? = 0 ]
pid=$(json_get /run/xl-dmr/domains/1.json 'd["dm_pid"]')
tap_check "... QEMU has no serial port, there is no console socket" \
    bash -c "! tr '\\0' ' ' < /proc/$pid/cmdline | grep -q -- '-serial' && [ ! -e $sock ]"
fds=$(logger_fds)
echo "# logger holds: $fds"
tap_check "... the logger holds /dev/null, QEMU's pipe, the log and its directory" \
    [ "$fds" = "/dev/null /dev/null /dev/null /var/log/xl-dmr /var/log/xl-dmr/qemu-dm-con1.log pipe " ]
"$XL_DMR" console con1 < /dev/null 2> "$work/err"
rc=$?
tap_check "... xl-dmr console: exit 1, it has no serial console" \
    bash -c "[ $rc = 1 ] && grep -q 'has no serial console' $work/err"
"$XL_DMR" dm-audit con1 > /dev/null
tap_check "... dm-audit passes" [ $? = 0 ]
"$XL_DMR" destroy con1
tap_check "... destroy: nothing left" [ ! -e /run/xl-dmr ]
tap_done
