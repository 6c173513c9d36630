#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A hostile host file system and a hostile device model: the run
# directory or a state file planted as a symlink, a run directory or log
# directory owned by someone else, a regular file where the chroot goes,
# and a device model that ignores quit. Each is refused (or overcome)
# with one line, nothing followed, nothing left.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
[ -x /usr/bin/qemu-system-x86_64 ] || { tap_skip "hostile file system" "no QEMU"; tap_done; exit; }
# It plants things in /run/xl-dmr: only when no domain of anyone's is there.
[ -e /run/xl-dmr ] && { tap_skip "hostile file system" "/run/xl-dmr is in use"; tap_done; exit; }
work=$(mktemp -d /tmp/dmr-hostile.XXXXXX)
trap '"$XL_DMR" destroy h1 2>/dev/null; rm -rf /run/xl-dmr; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
printf 'name = "h1"\ntype = "hvm"\nmemory = 32\ndm_restrict = 1\naccel = "tcg"\n' > "$work/h.cfg"
one_line() { [ "$(wc -l < "$1")" = 1 ]; }

mkdir "$work/elsewhere"
ln -s "$work/elsewhere" /run/xl-dmr
"$XL_DMR" create --domid 1 "$work/h.cfg" 2> "$work/err"
rc=$?
tap_check "/run/xl-dmr a symlink: refused, one line ($(cat "$work/err"))" \
    bash -c "[ $rc = 1 ] && grep -q 'not a directory private to root' $work/err && [ \$(wc -l < $work/err) = 1 ]"
tap_check "... nothing written where it points, the symlink left as it was" \
    bash -c "[ -z \"\$(ls -A $work/elsewhere)\" ] && [ -L /run/xl-dmr ]"
rm /run/xl-dmr

mkdir -m 0755 /run/xl-dmr
chown 1000 /run/xl-dmr
"$XL_DMR" create --domid 1 "$work/h.cfg" 2> "$work/err"
rc=$?
tap_check "/run/xl-dmr not root's: refused, one line" \
    bash -c "[ $rc = 1 ] && grep -q 'not a directory private to root' $work/err && [ \$(wc -l < $work/err) = 1 ]"
chown 0 /run/xl-dmr
chmod 0777 /run/xl-dmr
"$XL_DMR" create --domid 1 "$work/h.cfg" 2> "$work/err"
rc=$?
tap_check "/run/xl-dmr writable by all: refused" bash -c "[ $rc = 1 ] && grep -q 'not a directory private to root' $work/err"
rmdir /run/xl-dmr

mkdir -p -m 0755 /run/xl-dmr/domains
echo '{"secret": true}' > "$work/target.json"
ln -s "$work/target.json" /run/xl-dmr/domains/1.json
"$XL_DMR" destroy 1 2> "$work/err"
rc=$?
tap_check "a state file planted as a symlink: not followed by destroy (no such domain, target untouched)" \
    bash -c "[ $rc = 1 ] && [ -L /run/xl-dmr/domains/1.json ] && [ \"\$(cat $work/target.json)\" = '{\"secret\": true}' ]"
"$XL_DMR" create --domid 1 "$work/h.cfg" 2> "$work/err"
rc=$?
tap_check "... nor by create, which counts its domid as taken: refused, one line, target untouched" \
    bash -c "[ $rc = 1 ] && grep -q 'domid 1 is in use' $work/err && [ \$(wc -l < $work/err) = 1 ] && [ \"\$(cat $work/target.json)\" = '{\"secret\": true}' ]"
rm -rf /run/xl-dmr

mkdir -p -m 0755 /run/xl-dmr
echo planted > /run/xl-dmr/qemu-root-1
"$XL_DMR" create --domid 1 "$work/h.cfg" 2> "$work/err"
rc=$?
tap_check "a regular file where the chroot goes: refused, one line, the file untouched" \
    bash -c "[ $rc = 1 ] && [ \$(wc -l < $work/err) = 1 ] && [ \"\$(cat /run/xl-dmr/qemu-root-1)\" = planted ]"
rm -rf /run/xl-dmr

mount -t tmpfs -o mode=0755 tmpfs /var/log   # this namespace's own /var/log
mkdir -m 0777 /var/log/xl-dmr
"$XL_DMR" create --domid 1 "$work/h.cfg" 2> "$work/err"
rc=$?
tap_check "/var/log/xl-dmr writable by all: refused (PERM), nothing left ($(head -1 "$work/err"))" \
    bash -c "[ $rc = 1 ] && grep -q 'not a directory private to root' $work/err && [ ! -e /run/xl-dmr ]"
umount /var/log

# A device model that ignores quit: destroy kills it and leaves nothing.
cat > "$work/deaf.cfg" <<CFG
name = "h1"
type = "hvm"
memory = 32
accel = "tcg"
device_model_override = "$srcdir/tests/lib/fake-qemu-deaf.py"
CFG
XL_DMR_CACHE_DIR= "$XL_DMR" create --domid 1 "$work/deaf.cfg" 2> "$work/err"
rc=$?
tap_check "a DM that will ignore quit starts (dm_restrict=0: it is a script)" [ $rc = 0 ]
pid=$(json_get /run/xl-dmr/domains/1.json 'd["dm_pid"]')
t0=$(date +%s%N)
"$XL_DMR" destroy h1 2> "$work/err"
rc=$?
t1=$(date +%s%N)
tap_check "destroy: it did not quit, so it is killed after the wait ($(( (t1 - t0) / 1000000 )) ms), exit 0, nothing left" \
    bash -c "[ $rc = 0 ] && [ $(( (t1 - t0) / 1000000 )) -ge 4000 ] && ! { [ -d /proc/$pid ] && ! grep -q '^State:.*Z' /proc/$pid/status; } && [ ! -e /run/xl-dmr ]"
tap_done
