#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault injection: every call (up to 12 of each function) of the fallible
# functions a restricted create makes (open, openat, socket, socketpair,
# bind, listen, connect, mkdir, mkdirat, pipe2, fork, write, read,
# renameat, flock, send, sendmsg; unshare and mount in the child before
# exec) is made to fail in turn, through an LD_PRELOAD shim
# (tests/fault/fault.c). After each: either a one-line error and, as soon
# as create returns, nothing left (no DM, no process with its uid, no
# /run/xl-dmr, no log process; what is left is named), and the same
# create then succeeds; or, where the failure is tolerated, a domain that
# passes dm-audit and leaves nothing once destroyed. Then the same for
# every fault point of cd-insert and cd-eject on the running guest.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/leftovers.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
SHIM=$builddir/tests/fault/.libs/libdmrfault.so
work=$(mktemp -d /tmp/dmr-fault.XXXXXX)
trap '"$XL_DMR" destroy fault1 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
[ -f "$SHIM" ] || { tap_skip "fault injection" "no $SHIM"; tap_done; exit; }
[ -x /usr/bin/qemu-system-x86_64 ] || { tap_skip "fault injection" "no QEMU"; tap_done; exit; }
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
truncate -s 1M "$work/disk.img" "$work/a.iso" "$work/b.iso"
cat > "$work/f.cfg" <<CFG
name = "fault1"
type = "hvm"
memory = 32
dm_restrict = 1
accel = "tcg"
disk = [ '$work/disk.img,raw,hda,rw', '$work/a.iso,raw,hdc,cdrom' ]
CFG
# xl-dmr is a libtool wrapper script in the build tree: preload into the binary itself.
BIN=$builddir/tools/.libs/xl-dmr
export LD_LIBRARY_PATH=$builddir/libdmrestrict/.libs
# In a sanitizer build the shim comes before ASan's runtime; that is fine.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
run() { env "$@" "$BIN" create --domid 1 "$work/f.cfg"; }
# points FILE: "FUNCTION N" for each counted call, up to MAX_PER_FUNCTION of each.
points() {
    while read -r fn count; do
        for n in $(seq 1 $(( count < MAX_PER_FUNCTION ? count : MAX_PER_FUNCTION ))); do
            echo "$fn $n"
        done
    done < "$1"
}
# fired: the call that failed in the last run, with its path where it has one.
fired() { if [ -s "$work/fired" ]; then head -1 "$work/fired" | sed 's/ in pid [0-9]*//' | cut -c1-80; else echo "$1"; fi; }

XL_DMR_FAULT_COUNT="$work/counts" LD_PRELOAD=$SHIM "$BIN" create --domid 1 "$work/f.cfg" 2>/dev/null
"$XL_DMR" destroy fault1
MAX_PER_FUNCTION=${MAX_PER_FUNCTION:-12}
# --- 1. create ---------------------------------------------------------------
points=0 failed_clean=0 tolerated=0
# What a create of fault1 may leave: its run directory, a process of its
# DM's uid, its QEMU, or any process still running with its cfg on the
# command line (its logger, a child that never became QEMU). No sleep
# first: a failed create returns only once nothing of it is left.
left_of_fault1() { leftovers -p /run/xl-dmr -u 131073 -m "guest=fault1" -m "$work/f.cfg"; }
# The main process's calls, then those only the forked child makes before
# exec (it counts on from its parent's numbers): its namespace and mounts.
{ points "$work/counts"; echo "unshare 1"; echo "mount 1"; echo "mount 2"; } > "$work/points"
while read -r fn n; do
    {
        points=$((points + 1))
        rm -f "$work/fired"
        run XL_DMR_FAULT="$fn:$n" XL_DMR_FAULT_LOG="$work/fired" LD_PRELOAD=$SHIM 2> "$work/err" > /dev/null
        rc=$?
        what=$(fired "$fn #$n")
        if [ $rc = 0 ]; then
            "$XL_DMR" dm-audit fault1 > "$work/audit"
            arc=$?
            "$XL_DMR" destroy fault1 2> "$work/destroy.err"
            drc=$?
            tolerated=$((tolerated + 1))
            tap_check "$what fails: tolerated, the domain passes dm-audit and is destroyed" \
                [ "$arc$drc" = 00 ]
            tap_nothing_left "$what fails: tolerated; after destroy nothing is left" \
                -p /run/xl-dmr -u 131073 -m "guest=fault1" -m "$work/f.cfg"
        else
            failed_clean=$((failed_clean + 1))
            tap_one_line "$what fails: exit $rc, said why in one line ($(head -1 "$work/err" | cut -c1-100))" "$work/err"
            tap_nothing_left "$what fails: nothing left when create returns" \
                -p /run/xl-dmr -u 131073 -m "guest=fault1" -m "$work/f.cfg"
            # Whatever was left must not meet the next point.
            [ -n "$(left_of_fault1)" ] && { "$XL_DMR" destroy fault1; "$XL_DMR" destroy 1; } > /dev/null 2>&1
        fi
    } < /dev/null
done < "$work/points"
run > /dev/null 2> "$work/last.err"
rc=$?
tap_check "after $points fault points ($failed_clean refused cleanly, $tolerated tolerated), the same create succeeds and says nothing" \
    bash -c "[ $rc = 0 ] && [ ! -s '$work/last.err' ] && '$XL_DMR' destroy fault1 && [ ! -e /run/xl-dmr ]"
tap_check "at least 20 distinct fault points were exercised ($points)" [ "$points" -ge 20 ]

# --- 2. cdrom changes: a failed cd-insert or cd-eject leaves the medium, ---
# the fdsets and the DM's descriptors as they were; a tolerated one has
# made the change whole (the old medium's fdset gone).
"$XL_DMR" create --domid 1 "$work/f.cfg"
QMP="python3 $srcdir/tests/lib/qmp.py"
sock=/run/xl-dmr/qmp-1.sock
dm_pid=$("$XL_DMR" list --json | json_get /dev/stdin 'd[0]["dm_pid"]')
fdsets() { $QMP "$sock" query-fdsets | json_get /dev/stdin 'sorted(f["opaque"] for s in d for f in s["fds"])'; }
medium() { $QMP "$sock" query-block | json_get /dev/stdin "[b['inserted']['file'] for b in d if b.get('qdev', '').endswith('hdc') and 'inserted' in b]"; }
dm_files() { for f in /proc/$dm_pid/fd/*; do readlink "$f"; done | grep '^/' | sort | tr '\n' ' '; }
with_a=$(fdsets) files_a=$(dm_files)
cd_points=0
unchanged() { [ "$sets" = "$with_a" ] && [ "$files" = "$files_a" ] && [ "$(medium)" = "$medium_before" ]; }
whole() {  # the change made: those fdsets, and a medium from an fdset (in) or none (empty)
    [ "$sets" = "$1" ] || return 1
    case $2 in in) [[ "$(medium)" == *'"/dev/fdset/'* ]] ;; empty) [ "$(medium)" = "[]" ] ;; esac
}
# cd_faults LABEL FDSETS-WHEN-DONE in|empty XL-DMR-ARGS...: every fault point
# of the command, from a.iso in hdc; a.iso is put back after each.
cd_faults() {
    local label=$1 done_sets=$2 done_medium=$3; shift 3
    XL_DMR_FAULT_COUNT="$work/cd-counts" LD_PRELOAD=$SHIM "$BIN" "$@" 2> /dev/null
    "$XL_DMR" cd-insert fault1 hdc "$work/a.iso"
    points "$work/cd-counts" > "$work/cd-points"
    rm -f "$work/cd-counts"
    local fn n rc what sets files medium_before
    while read -r fn n; do
        {
            cd_points=$((cd_points + 1))
            medium_before=$(medium)
            rm -f "$work/fired"
            XL_DMR_FAULT="$fn:$n" XL_DMR_FAULT_LOG="$work/fired" LD_PRELOAD=$SHIM \
                "$BIN" "$@" 2> "$work/err" > /dev/null
            rc=$?
            what=$(fired "$fn #$n")
            sets=$(fdsets) files=$(dm_files)
            if [ $rc = 0 ]; then
                tap_check "$label, $what fails: tolerated, the change is whole ($sets)" whole "$done_sets" "$done_medium"
            else
                tap_one_line "$label, $what fails: exit $rc, one line ($(head -1 "$work/err" | cut -c1-100))" "$work/err"
                tap_check "$label, $what fails: a.iso still in, fdsets and DM descriptors as before ($sets)" unchanged
            fi
            "$XL_DMR" dm-audit fault1 > /dev/null
            tap_check "$label, $what fails: the domain still passes dm-audit" [ $? = 0 ]
            [ "$(fdsets)" = "$with_a" ] || "$XL_DMR" cd-insert fault1 hdc "$work/a.iso"
        } < /dev/null
    done < "$work/cd-points"
}
cd_faults cd-insert "$(echo "$with_a" | sed "s|a.iso|b.iso|")" in cd-insert fault1 hdc "$work/b.iso"
cd_faults cd-eject "$(echo "$with_a" | python3 -c 'import json, sys; print(json.dumps([o for o in json.load(sys.stdin) if not o.endswith("a.iso")]))')" empty cd-eject fault1 hdc
"$XL_DMR" destroy fault1
all_gone() { [ "$cd_points" -ge 20 ] && [ ! -e /run/xl-dmr ]; }
tap_check "at least 20 distinct cd-insert and cd-eject fault points were exercised ($cd_points), then destroy leaves nothing" all_gone
tap_done
