#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench-xen.sh: `make bench-xen`'s part inside the Xen tier's dom0
# (bench/xen-run puts it in /opt/xl-dmr-tests through the install tree;
# /init runs it instead of dom0-tests.sh: run-tier --script bench-xen.sh).
# Reported, not judged.
#
# Times `xl create` of a small HVM guest (64 MiB, no disk, qemu-xen, no
# display, no NIC, serial to a file) until it returns, then `xl destroy`
# until it returns, in interleaved rounds of the arms
#     patched-r1  xl over the patched libxl (tools/xen-patches, through
#                 libdmrestrict), dm_restrict=1
#     stock-r0    xl over Debian's own libxl (xl_debian), dm_restrict=0
#     stock-r1    xl over Debian's own libxl, dm_restrict=1 (only if its
#                 warm-up create works in this dom0)
# the order within a round rotating from one round to the next.  One
# untimed warm-up of each arm first, which also checks the DM's uid (root
# for dm_restrict=0, not root for 1).  Rounds go on until at least
# xldmr.bench_pairs (10) are done and xldmr.bench_seconds (300) have
# passed, at most xldmr.bench_max (40).
#
# Output: TAP (ok / not ok / # diagnostics / plan), with the data as
#     # xen-bench-info KEY VALUE...
#     # xen-bench ARM ROUND CREATE_S DESTROY_S
# which bench/xen-report reads on the host.

set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
TESTDIR=$(dirname "$(readlink -f "$0")")

TAP_N=0
TAP_FAILED=0
ok()     { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
skip()   { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $*"; }
diag()   { local l; while IFS= read -r l; do echo "# $l"; done <<< "$*"; }
diag_file() { [ -r "$1" ] && tail -n "${2:-20}" "$1" | sed 's/^/#   /'; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
arg() { # arg NAME DEFAULT: NAME=... on the kernel command line, a number
    local w
    for w in $(cat /proc/cmdline); do
        case $w in "$1"=*) w=${w#*=}; case $w in ''|*[!0-9]*) ;; *) echo "$w"; return 0 ;; esac ;; esac
    done
    echo "$2"
}
finish() {
    echo "1..$TAP_N"
    diag "$TAP_FAILED of $TAP_N failed; uptime $(cut -d' ' -f1 /proc/uptime) s"
    [ "$TAP_FAILED" -eq 0 ]
    exit
}

MIN_PAIRS=$(arg xldmr.bench_pairs 10)
SECONDS_WANTED=$(arg xldmr.bench_seconds 300)
MAX_PAIRS=$(arg xldmr.bench_max 40)
[ "$MAX_PAIRS" -ge "$MIN_PAIRS" ] || MAX_PAIRS=$MIN_PAIRS

# Debian's own libxl, where the install tree overlays the patched one
# (build-dom0 keeps it here; tests.d/10-xl-dmr.sh's xl_debian too).
xl_debian() { LD_LIBRARY_PATH=$TESTDIR/debian-libxl xl "$@"; }
xl_patched() { xl "$@"; }

diag "bench-xen.sh on $(uname -n): at least $MIN_PAIRS rounds and $SECONDS_WANTED s, at most $MAX_PAIRS rounds"
if ldd /usr/lib/xen-4.17/bin/xl 2>/dev/null | grep -q libdmrestrict; then
    ok "xl runs the patched libxl (linked with libdmrestrict)"
else
    not_ok "xl runs the patched libxl (no libdmrestrict in ldd of /usr/lib/xen-4.17/bin/xl: make install-xen-tools missing?)"
    finish
fi
if LD_LIBRARY_PATH=$TESTDIR/debian-libxl ldd /usr/lib/xen-4.17/bin/xl 2>/dev/null | grep -q "$TESTDIR/debian-libxl/libxenlight" &&
        ! LD_LIBRARY_PATH=$TESTDIR/debian-libxl ldd /usr/lib/xen-4.17/bin/xl 2>/dev/null | grep -q libdmrestrict; then
    ok "xl_debian runs Debian's own libxl ($TESTDIR/debian-libxl)"
else
    not_ok "xl_debian runs Debian's own libxl ($TESTDIR/debian-libxl)"
    finish
fi

info=$(xl info 2>/dev/null)
echo "# xen-bench-info xen $(sed -n 's/^xen_version *: *//p' <<< "$info")"
echo "# xen-bench-info dom0_kernel $(uname -r)"
echo "# xen-bench-info dom0_vcpus $(nproc)"
echo "# xen-bench-info free_memory_mib $(sed -n 's/^free_memory *: *//p' <<< "$info")"
echo "# xen-bench-info debian_xen $(dpkg-query -W -f '${Version}' xen-utils-4.17 2>/dev/null)"
echo "# xen-bench-info qemu_xen $(dpkg-query -W -f '${Version}' qemu-system-xen 2>/dev/null)"
echo "# xen-bench-info libdmrestrict_so $(ls /usr/local/lib/libdmrestrict.so.*.*.* 2>/dev/null | head -n1 | sed 's/.*\.so\.//')"

# The guest: the tier's smoke guest (dom0-tests.sh's section xl) without
# its disk.
cfg() { # NAME DM_RESTRICT
    cat <<EOF
name = "$1"
type = "hvm"
memory = 64
vcpus = 1
device_model_version = "qemu-xen"
dm_restrict = $2
serial = "file:/tmp/$1.serial"
vga = "none"
vnc = 0
sdl = 0
nographic = 1
vif = [ ]
on_poweroff = "preserve"
on_reboot = "preserve"
on_crash = "preserve"
EOF
}
ARMS="patched-r1 stock-r0 stock-r1"
arm_xl() { case $1 in patched-*) echo xl_patched ;; *) echo xl_debian ;; esac; }
arm_restrict() { case $1 in *-r1) echo 1 ;; *) echo 0 ;; esac; }
for a in $ARMS; do cfg "xb-$a" "$(arm_restrict "$a")" > "/tmp/xb-$a.cfg"; done
diag "config (patched-r1):"
diag_file /tmp/xb-patched-r1.cfg 30

gone() { ! xl domid "$1" > /dev/null 2>&1; }
# run ARM: one create and one destroy; sets CREATE_S, DESTROY_S, DM_UID
run() {
    local a=$1 x name t0 t1 t2 t3 rc domid pid
    x=$(arm_xl "$a"); name=xb-$a
    rm -f "/tmp/$name.serial"
    t0=$(now)
    $x create "/tmp/$name.cfg" > /tmp/xb.out 2>&1; rc=$?
    t1=$(now)
    if [ "$rc" != 0 ]; then
        diag "$a: $x create exit $rc:"
        diag_file /tmp/xb.out
        diag_file "/var/log/xen/qemu-dm-$name.log"
        $x destroy "$name" > /dev/null 2>&1
        return 1
    fi
    domid=$(xl domid "$name" 2>/dev/null)
    pid=$(xenstore-read "/local/domain/$domid/image/device-model-pid" 2>/dev/null)
    DM_UID=$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
    t2=$(now)
    $x destroy "$name" > /tmp/xb.out 2>&1; rc=$?
    t3=$(now)
    if [ "$rc" != 0 ]; then
        diag "$a: $x destroy exit $rc:"
        diag_file /tmp/xb.out
        return 1
    fi
    CREATE_S=$(sub "$t0" "$t1"); DESTROY_S=$(sub "$t2" "$t3")
    # Untimed: the next create starts from a dom0 without this domain.
    local _
    for _ in $(seq 50); do gone "$name" && break; sleep 0.2; done
    return 0
}

active=
for a in $ARMS; do
    if run "$a"; then
        want=0; [ "$(arm_restrict "$a")" = 1 ] && want=nonroot
        if { [ "$want" = 0 ] && [ "$DM_UID" = 0 ]; } ||
           { [ "$want" = nonroot ] && [ -n "$DM_UID" ] && [ "$DM_UID" != 0 ]; }; then
            ok "warm-up $a: create ${CREATE_S} s, destroy ${DESTROY_S} s, DM uid $DM_UID"
            active="$active $a"
        else
            not_ok "warm-up $a: DM uid '${DM_UID}' (dm_restrict=$(arm_restrict "$a"))"
        fi
    elif [ "$a" = stock-r1 ]; then
        skip "warm-up $a: Debian's libxl with dm_restrict=1 did not create here; that arm is left out"
    else
        not_ok "warm-up $a"
    fi
done
case " $active " in *" patched-r1 "*) ;; *) finish ;; esac
case " $active " in *" stock-r0 "*) ;; *) finish ;; esac
set -- $active
echo "# xen-bench-info arms $*"

start=$(date +%s)
round=0 failed=0
while [ "$round" -lt "$MAX_PAIRS" ]; do
    [ "$round" -ge "$MIN_PAIRS" ] && [ $(($(date +%s) - start)) -ge "$SECONDS_WANTED" ] && break
    round=$((round + 1))
    for a in "$@"; do
        if run "$a"; then
            echo "# xen-bench $a $round $CREATE_S $DESTROY_S"
        else
            failed=1; break
        fi
    done
    [ "$failed" = 0 ] || break
    set -- "${@:2}" "$1"        # rotate the order for the next round
done
if [ "$failed" = 0 ]; then
    ok "$round rounds in $(($(date +%s) - start)) s"
else
    not_ok "round $round failed (above)"
fi
left=$(xl list 2>/dev/null | awk 'NR > 2 { print $1 }' | tr '\n' ' ')
[ -z "$left" ] && ok "no domain left but dom0" || not_ok "no domain left but dom0 (left: $left)"
finish
