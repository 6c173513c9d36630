#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# create holds the host-wide lock only to check and reserve a domain (its
# state file, marked starting) and to record it once it runs; QEMU starts
# with the lock let go, so creates overlap. Races that must still come out
# right, with a DM slowed down by a wrapper that sleeps before QEMU: two
# creates for one domid or one name (exactly one wins), destroy while a
# create is starting (refused, then fine), and a create killed half way
# (its reservation and DM cleaned up by destroy).
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-races.XXXXXX)
trap 'for d in r1 r2 r3; do "$XL_DMR" destroy $d 2>/dev/null; done; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
QEMU=/usr/bin/qemu-system-x86_64
[ -x "$QEMU" ] || { tap_skip "create races" "no $QEMU"; tap_done; exit; }
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
printf '#!/bin/sh\nsleep 2\nexec %s "$@"\n' "$QEMU" > "$work/slow-qemu"
chmod 755 "$work/slow-qemu"
cat > "$work/r.cfg" <<CFG
type = "hvm"
memory = 32
dm_restrict = 1
accel = "tcg"
device_model_override = "$work/slow-qemu"
CFG
starting() { [ -f /run/xl-dmr/domains/$1.json ] && grep -q '"starting":true' /run/xl-dmr/domains/$1.json; }
wait_starting() { for _ in $(seq 50); do starting "$1" && return 0; sleep 0.1; done; return 1; }

"$XL_DMR" create --domid 1 "$work/r.cfg" 'name="r1"' 2> "$work/a.err" &
a=$!
"$XL_DMR" create --domid 1 "$work/r.cfg" 'name="r2"' 2> "$work/b.err" &
b=$!
wait $a; ra=$?
wait $b; rb=$?
tap_check "two creates for domid 1 at once: exactly one wins ($ra, $rb), the other says it is in use" \
    bash -c "[ \$(( ($ra == 0) + ($rb == 0) )) = 1 ] && cat $work/a.err $work/b.err | grep -q 'domid 1 is in use'"
"$XL_DMR" destroy 1

"$XL_DMR" create --domid 1 "$work/r.cfg" 'name="r1"' 2> "$work/a.err" &
a=$!
"$XL_DMR" create --domid 2 "$work/r.cfg" 'name="r1"' 2> "$work/b.err" &
b=$!
wait $a; ra=$?
wait $b; rb=$?
tap_check "two creates for one name at once: exactly one wins ($ra, $rb)" \
    bash -c "[ \$(( ($ra == 0) + ($rb == 0) )) = 1 ] && cat $work/a.err $work/b.err | grep -q 'a domain named \"r1\" exists'"
"$XL_DMR" destroy r1

"$XL_DMR" create --domid 1 "$work/r.cfg" 'name="r1"' 2>/dev/null &
a=$!
wait_starting 1
t0=$(date +%s%N)
"$XL_DMR" create --domid 2 "$work/r.cfg" 'name="r2"' 'device_model_override="/usr/bin/qemu-system-x86_64"' 2>/dev/null
t1=$(date +%s%N)
tap_check "a second create does not wait for the first one's QEMU ($(( (t1 - t0) / 1000000 )) ms while it sleeps 2 s)" \
    bash -c "[ $? = 0 ] && [ $(( (t1 - t0) / 1000000 )) -lt 1500 ] && $(declare -f starting); starting 1"
"$XL_DMR" destroy 1 2> "$work/d.err"
tap_check "destroy while it is being created: refused (BUSY), one line" \
    bash -c "[ $? = 1 ] && grep -q 'is being created' $work/d.err && [ \$(wc -l < $work/d.err) = 1 ]"
wait $a
tap_check "... the create finishes, and then destroy works" bash -c "[ $? = 0 ] && '$XL_DMR' destroy 1"
"$XL_DMR" destroy r2

"$XL_DMR" create --domid 3 "$work/r.cfg" 'name="r3"' 2>/dev/null &
a=$!
wait_starting 3
kill -KILL $a
wait $a 2>/dev/null
sleep 2.5   # the wrapper execs QEMU, which waits for a QMP client that never comes
tap_check "a create killed half way leaves its reservation" starting 3
"$XL_DMR" destroy 3
tap_check "... which destroy cleans up: no DM with its uid, nothing in /run/xl-dmr" \
    bash -c '! ps -o stat= -u 131075 | grep -qv Z && [ ! -e /run/xl-dmr ]'
tap_done
