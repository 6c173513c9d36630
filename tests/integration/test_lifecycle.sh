#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Lifecycle like xl's, with a real guest under a restricted device model:
# the watcher acts on the guest's reboot, power-off and panic as on_reboot,
# on_poweroff and on_crash say (restart: a fresh DM with the same name,
# domid and uid; destroy: nothing left; preserve: kept, listed 's'/'c');
# pause and unpause show in list; a dead watcher's domain is cleaned up by
# the next list; dm-audit passes after each step.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/guest.sh"
. "$srcdir/tests/lib/leftovers.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-lifecycle.XXXXXX)
trap 'for d in lc1 lc2 lc3 lc4 lc5 lc6 lc7; do "$XL_DMR" destroy $d 2>/dev/null; done;
      umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT

guest_or_skip "guest lifecycle under a restricted DM"
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072

# cfg NAME [KEY=VALUE lines...]: a restricted TCG guest.
cfg() {
    local name=$1; shift
    { printf 'name = "%s"\ntype = "hvm"\nmemory = 128\ndm_restrict = 1\naccel = "tcg"\n' "$name"
      printf 'kernel = "%s"\nramdisk = "%s"\n' "$KERNEL" "$INITRD"
      grep -q '^cmdline' <<< "$*" || printf 'cmdline = "%s"\n' "$CMDLINE"
      printf '%s\n' "$@"; } > "$work/$name.cfg"
}
state() { json_get "/run/xl-dmr/domains/$1.json" "d[\"$2\"]"; }
# listed DOMID KEY: that domain's KEY in list --json, or "none".
listed() {
    "$XL_DMR" list --json | python3 -c "import json,sys
m=[d for d in json.load(sys.stdin) if d['domid']==$1]
print(json.dumps(m[0]['$2']) if m else 'none')"
}
booted() {
    local log=/var/log/xl-dmr/qemu-dm-$1.log
    for _ in $(seq 240); do
        grep -q XLDMR-GUEST-READY "$log" 2>/dev/null && return 0
        sleep 0.5
    done
    return 1
}
audit_ok() { "$XL_DMR" dm-audit "$1" > "$work/audit.out" 2>&1; }
# gone DOMID NAME UID: nothing of the domain is left.
gone() {
    [ ! -e "/run/xl-dmr/domains/$1.json" ] && [ ! -e "/run/xl-dmr/qmp-$1.sock" ] &&
    [ ! -e "/run/xl-dmr/qmp-events-$1.sock" ] && [ ! -e "/run/xl-dmr/qemu-root-$1" ] &&
    [ -z "$(leftovers -u "$3" -m "qemu-dm-$2.log")" ]
}
# alive PID: a live process (a zombie is dead).
alive() { local st; st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ]; }
not_alive() { ! alive "$1"; }
state_is() { [ "$(listed "$1" state)" = "\"$2\"" ]; }
wait_until() { for _ in $(seq 200); do "$@" && return 0; sleep 0.1; done; return 1; }

# 1. on_reboot=restart: a fresh DM, same name, domid and uid.
cfg lc1 'cmdline = "console=ttyS0 panic=-1 quiet"' 'on_reboot = "restart"'
"$XL_DMR" create -n --domid 41 "$work/lc1.cfg" > "$work/plan.txt" 2>&1
tap_check "create -n shows the events monitor and the actions" \
    grep -q "On poweroff: destroy, on reboot: restart, on crash: destroy" "$work/plan.txt"
"$XL_DMR" create --domid 41 "$work/lc1.cfg"
tap_check "create lc1: exit 0" [ $? = 0 ]
booted lc1
pid1=$(state 41 dm_pid) watcher1=$(state 41 watcher_pid)
tap_check "a watcher watches it" alive "$watcher1"
tap_check "dm-audit passes with the watcher's parser running as the DM's uid" audit_ok lc1
"$XL_DMR" pause lc1
tap_check "pause: list shows p" [ "$(listed 41 state)" = '"p"' ]
"$XL_DMR" unpause lc1
tap_check "unpause: list shows r" [ "$(listed 41 state)" = '"r"' ]
"$XL_DMR" reboot -w lc1
tap_check "reboot -w: exit 0" [ $? = 0 ]
pid2=$(state 41 dm_pid)
tap_check "restarted: same name, domid and uid, a new DM" \
    [ "$(listed 41 name):$(listed 41 dm_uid):$pid1" = "\"lc1\":131113:$pid1" -a "$pid2" != "$pid1" ]
tap_check "the old watcher is gone" wait_until not_alive "$watcher1"
tap_check "a new watcher watches the new DM" alive "$(state 41 watcher_pid)"
tap_check "the restarted guest boots again (its log starts afresh)" booted lc1
tap_check "dm-audit passes after the restart" audit_ok lc1
"$XL_DMR" destroy lc1
tap_check "destroy: nothing of lc1 left" gone 41 lc1 131113

# 2. on_reboot=destroy: the watcher destroys it, nothing left.
cfg lc2 'on_reboot = "destroy"'
"$XL_DMR" create --domid 42 "$work/lc2.cfg" && booted lc2
"$XL_DMR" reboot lc2
tap_check "on_reboot=destroy: nothing left (state, sockets, chroot, uid, logger)" \
    wait_until gone 42 lc2 131114

# 3. on_reboot=preserve: kept, shown shut down, destroy removes it.
cfg lc3 'on_reboot = "preserve"'
"$XL_DMR" create --domid 43 "$work/lc3.cfg" && booted lc3
"$XL_DMR" reboot lc3
tap_check "on_reboot=preserve: listed s" wait_until state_is 43 s
tap_check "dm-audit passes on the preserved domain" audit_ok lc3
"$XL_DMR" destroy lc3
tap_check "destroy of the preserved domain: nothing left" gone 43 lc3 131115

# 4. The watcher killed, then the guest stops: the next list cleans up.
cfg lc4 'on_reboot = "restart"'
"$XL_DMR" create --domid 44 "$work/lc4.cfg" && booted lc4
kill -9 "$(state 44 watcher_pid)"
"$XL_DMR" reboot lc4
"$XL_DMR" list > /dev/null
tap_check "kill -9 of the watcher, the guest stops, list: nothing left" gone 44 lc4 131116

# 5. A device_model_user the toolstack does not own: never killed by uid.
userns_add_user dmrtest-nobody 1500 1500
cfg lc7 'device_model_user = "dmrtest-nobody"'
"$XL_DMR" create -n --domid 47 "$work/lc7.cfg" > "$work/plan7.txt" 2>&1
tap_check "create -n: a foreign device_model_user is not killed by uid" \
    grep -q "Kill by uid: no: only the device model itself is killed, through its pidfd" "$work/plan7.txt"
"$XL_DMR" create --domid 47 "$work/lc7.cfg" && booted lc7
# Another process with that uid, started after the DM (this test's own).
setpriv --reuid=1500 --regid=1500 --clear-groups sleep 300 &
bystander=$!
pid7=$(state 47 dm_pid)
"$XL_DMR" destroy lc7
tap_check "destroy kills its DM (pidfd), not the other process of its uid" \
    bash -c '[ ! -e /run/xl-dmr/domains/47.json ] && kill -0 $0' "$bystander"
tap_check "... the DM is gone" not_alive "$pid7"
kill "$bystander"; wait "$bystander" 2>/dev/null
setpriv --reuid=1500 --regid=1500 --clear-groups sleep 300 &
bystander=$!
"$XL_DMR" create --domid 47 "$work/lc7.cfg" 2> "$work/lc7.err"
tap_check "create refuses it while another process runs with its uid, kills nothing" \
    bash -c 'grep -q "already runs 1 process" $1 && kill -0 $0 && [ ! -e /run/xl-dmr/domains/47.json ]' "$bystander" "$work/lc7.err"
kill "$bystander"; wait "$bystander" 2>/dev/null

# 6. The guest's own power-off and panic (a guest whose /init takes dmr.then).
if grep -q 'dmr.then' "$srcdir/tests/guest/build-guest"; then
    cfg lc5 'cmdline = "console=ttyS0 panic=-1 quiet dmr.then=poweroff:2"'
    "$XL_DMR" create --domid 45 "$work/lc5.cfg"
    booted lc5
    tap_check "the guest powers off, on_poweroff=destroy: nothing left (no uid process, logger)" \
        wait_until gone 45 lc5 131117
    cfg lc6 'cmdline = "console=ttyS0 panic=-1 quiet dmr.then=panic:2"' 'on_crash = "preserve"'
    "$XL_DMR" create --domid 46 "$work/lc6.cfg"
    booted lc6
    tap_check "the guest panics (pvpanic), on_crash=preserve: listed c" wait_until state_is 46 c
    tap_check "dm-audit passes on the crashed, preserved domain" audit_ok lc6
    "$XL_DMR" destroy lc6
    tap_check "destroy of the crashed domain: nothing left" gone 46 lc6 131118
    # The watcher killed, then the guest powers off by itself: list cleans up.
    cfg lc4 'cmdline = "console=ttyS0 panic=-1 quiet dmr.then=poweroff:3"'
    "$XL_DMR" create --domid 44 "$work/lc4.cfg" && booted lc4
    kill -9 "$(state 44 watcher_pid)"
    list_cleans() { "$XL_DMR" list > /dev/null 2>&1; gone 44 lc4 131116; }
    tap_check "kill -9 of the watcher, the guest powers off, list: nothing left" \
        wait_until list_cleans
    cfg lc5 'cmdline = "console=ttyS0 panic=-1 quiet"'
    "$XL_DMR" create --domid 45 "$work/lc5.cfg" && booted lc5
    "$XL_DMR" shutdown -w lc5
    tap_check "xl-dmr shutdown (ACPI power button): the guest powers off, nothing left" \
        gone 45 lc5 131117
else
    tap_skip "guest power-off, panic, ACPI shutdown, power-off unwatched" \
        "the test guest's /init has no dmr.then yet"
fi
tap_done
