#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cdrom changes in a restricted guest: every medium reaches QEMU as a
# descriptor; a path handed to QEMU fails inside its chroot; 100
# insert/eject cycles on one kept QMP connection leave the DM's
# descriptors and fdsets where they were; what is not a file or block
# device is refused.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
QMP="python3 $srcdir/tests/lib/qmp.py"
work=$(mktemp -d /tmp/dmr-cdrom.XXXXXX)
trap '"$XL_DMR" destroy cd1 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
truncate -s 1M "$work/a.iso"
truncate -s 3M "$work/b.iso"
chmod 0600 "$work"/*.iso   # root's only: the DM's user could never open them
cat > "$work/cd.cfg" <<CFG
name = "cd1"
type = "hvm"
memory = 64
dm_restrict = 1
accel = "tcg"
disk = [ '$work/a.iso,raw,hdc,cdrom', ',raw,hdd,cdrom' ]
CFG
"$XL_DMR" create --domid 1 "$work/cd.cfg"
tap_check "a restricted guest with a cdrom passed as a descriptor starts" [ $? = 0 ]
sock=/run/xl-dmr/qmp-1.sock
medium() { $QMP "$sock" query-block | json_get /dev/stdin "[b.get('inserted', {}).get('file') for b in d if b.get('qdev', '').endswith('$1')]"; }
tap_check "query-block: hdc's medium is an fdset" bash -c '[[ "$1" == *"/dev/fdset/"* ]]' _ "$(medium hdc)"

"$XL_DMR" cd-insert cd1 hdd "$work/b.iso"
tap_check "cd-insert into the empty drive" bash -c '[[ "$1" == *"/dev/fdset/"* ]]' _ "$(medium hdd)"
"$XL_DMR" cd-eject cd1 hdd
tap_check "cd-eject empties it" [ "$(medium hdd)" = "[null]" ]
"$XL_DMR" cd-insert cd1 hdc "raw:$work/b.iso"
tap_check "cd-insert of another image replaces hdc's medium" bash -c '[[ "$1" == *"/dev/fdset/"* ]]' _ "$(medium hdc)"
tap_check "the replaced medium's fdset is gone: one fdset, for b.iso" \
    [ "$($QMP "$sock" query-fdsets | json_get /dev/stdin '[(s["fdset-id"] >= 0, [f["opaque"] for f in s["fds"]]) for s in d]')" = "[[true, [\"raw:$work/b.iso\"]]]" ]

# QEMU opening a path itself: what the chroot is for.
$QMP "$sock" blockdev-change-medium "{\"id\": \"hdd\", \"filename\": \"$work/a.iso\", \"format\": \"raw\"}" 2> "$work/path.err"
tap_check "a path given to QEMU directly fails inside its chroot (mode 0000: not even /)" \
    bash -c "[ $? = 1 ] && grep -qE 'Could not open .*: (Permission denied|No such file or directory)' $work/path.err || { sed 's/^/# /' $work/path.err; false; }"

pid=$("$XL_DMR" list --json | json_get /dev/stdin 'd[0]["dm_pid"]')
out=$("$builddir/tests/integration/cdrom_cycles" 1 hdd "$work/a.iso" "$work/b.iso" 100)
tap_check "100 insert/eject cycles on one kept connection: DM descriptors and fdsets as before ($out)" \
    bash -c 'set -- $1; [ "$2" = "$3" ] && [ "$5" = "$6" ]' _ "$out"

# A block device goes through QEMU's host_cdrom driver.
if loop=$(losetup -f --show "$work/b.iso" 2>/dev/null); then
    "$XL_DMR" cd-insert cd1 hdd "$loop" 2> "$work/loop.err"
    tap_check "cd-insert of a block device ($loop): its size shows in query-block" \
        [ "$($QMP "$sock" query-block | json_get /dev/stdin "[b['inserted']['image']['virtual-size'] for b in d if b.get('qdev', '').endswith('hdd') and 'inserted' in b]")" = "[3145728]" ]
    "$XL_DMR" cd-eject cd1 hdd
    losetup -d "$loop"
else
    tap_skip "cd-insert of a block device" "no loop device here (losetup -f failed)"
fi

"$XL_DMR" cd-insert cd1 hdd /dev/null 2> "$work/null.err"
tap_check "a character device is refused, one line" \
    bash -c "[ $? = 1 ] && [ \$(wc -l < $work/null.err) = 1 ] && grep -q 'not a regular file or a block device' $work/null.err"
"$XL_DMR" cd-insert cd1 hdd "$work/none.iso" 2> "$work/none.err"
tap_check "a missing image: exit 1, one line" bash -c "[ $? = 1 ] && [ \$(wc -l < $work/none.err) = 1 ]"
"$XL_DMR" cd-insert cd1 hdz "$work/a.iso" 2> "$work/hdz.err"
tap_check "a drive the domain lacks: exit 1" bash -c "[ $? = 1 ] && grep -q 'no drive hdz' $work/hdz.err"
tap_check "failed inserts leave no fdset behind" \
    [ "$($QMP "$sock" query-fdsets | json_get /dev/stdin 'len(d)')" = 1 ]
"$XL_DMR" destroy cd1
tap_check "destroy: nothing left" [ ! -e /run/xl-dmr ]
tap_done
