#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pci-attach of a VFIO device to a running restricted DM, on a fake sysfs
# tree (XL_DMR_SYSROOT; this machine has no IOMMU): viability and the
# memlock rule through the real CLI, then the DM's chroot filled and
# emptied from inside its own mount namespace, and the whole executor up
# to QEMU's vfio-pci, which is where real hardware is needed.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
HELPER=$builddir/tests/integration/pci_attach_vfio
QMP="python3 $srcdir/tests/lib/qmp.py"
work=$(mktemp -d /tmp/dmr-vfio-attach.XXXXXX)
trap '"$XL_DMR" destroy vf1 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT

userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
fake=$work/root
"$srcdir/tests/lib/fake-sysfs" "$fake" 20 0000:03:00.0:vfio-pci:0x020000
"$srcdir/tests/lib/fake-sysfs" "$fake" 21 0000:04:00.0:vfio-pci:0x030000 0000:04:00.1:snd_hda_intel:0x040300
cat > "$work/v.cfg" <<CFG
name = "vf1"
type = "hvm"
memory = 64
dm_restrict = 1
accel = "tcg"
CFG
"$XL_DMR" create --domid 3 "$work/v.cfg" 2>/dev/null
tap_check "a restricted domain runs (no device yet)" [ -f /run/xl-dmr/domains/3.json ]
pid=$(json_get /run/xl-dmr/domains/3.json 'd["dm_pid"]')
root=/proc/$pid/root
sock=/run/xl-dmr/qmp-3.sock
snapshot() { md5sum /run/xl-dmr/domains/3.json; ls -A /run/xl-dmr/domains "$root"; $QMP "$sock" qom-list '{"path": "/machine/peripheral"}'; }
before=$(snapshot)

export XL_DMR_SYSROOT=$fake
"$XL_DMR" pci-attach vf1 0000:04:00.0 2> "$work/err"
rc=$?
tap_check "fake sysfs: a group with a member on a host driver is refused, naming it ($(cat "$work/err"))" \
    bash -c "[ $rc = 1 ] && grep -q 'IOMMU group 21 is not viable: its member 0000:04:00.1 is bound to snd_hda_intel' $work/err"
if grep -q '^CapEff:.*' /proc/self/status && [ $(( 0x$(awk '/^CapEff/ { print $2 }' /proc/self/status) >> 24 & 1 )) = 1 ]; then
    tap_skip "fake sysfs: memlock refusal" "xl-dmr has CAP_SYS_RESOURCE here, so it may raise the DM's limit"
else
    "$XL_DMR" pci-attach vf1 0000:03:00.0 2> "$work/err"
    rc=$?
    tap_check "fake sysfs: a viable group, but the DM's RLIMIT_MEMLOCK cannot be raised here: refused ($(cat "$work/err"))" \
        bash -c "[ $rc = 1 ] && [ \$(wc -l < $work/err) = 1 ] && grep -q 'RLIMIT_MEMLOCK of 1088 MiB.*needs CAP_SYS_RESOURCE' $work/err"
fi
tap_check "... nothing changed: state, the DM's chroot, QEMU's devices" [ "$before" = "$(snapshot)" ]

"$HELPER" 3 0000:03:00.0 populate 2> "$work/err"
tap_check "fake sysfs: the plan's entries made in the DM's namespace ($(head -1 "$work/err"))" [ $? = 0 ]
tap_check "... /dev/vfio/20 there: a node of the group's numbers, the DM's own, mode 0600" \
    [ "$(stat -c '%F %t:%T %u %a' "$root/dev/vfio/20")" = "character special file 1:5 131075 600" ]
tap_check "... /dev/vfio/vfio: root's, mode 0666" \
    [ "$(stat -c '%F %t:%T %u %a' "$root/dev/vfio/vfio")" = "character special file 1:3 0 666" ]
tap_check "... the device's sysfs directory, readable" \
    [ "$(cat "$root/sys/bus/pci/devices/0000:03:00.0/class")" = 0x020000 ]
tap_check "... and read-only" bash -c "! echo x 2>/dev/null > '$root/sys/bus/pci/devices/0000:03:00.0/driver_override'"
tap_check "... the host's node keeps its owner (root) and mode" \
    [ "$(stat -c '%u %a' "$fake/dev/vfio/20")" = "0 644" ]
tap_check "... the host sees none of it: its chroot directory is empty, no mount of it" \
    bash -c "[ -z \"\$(ls -A /run/xl-dmr/qemu-root-3)\" ] && ! grep -q qemu-root-3 /proc/self/mountinfo"
"$XL_DMR" dm-audit vf1 > "$work/audit"
rc=$?
tap_check "... dm-audit sees nodes no record explains: chroot_contents fails, exit 3" \
    bash -c "[ $rc = 3 ] && grep -qE '^FAIL chroot_contents .*/dev/vfio/20 is not in the plan' $work/audit"
"$HELPER" 3 0000:03:00.0 clear 2> "$work/err"
rc=$?
tap_check "fake sysfs: the entries taken out again: nodes, bind mount and the directories made for them" \
    bash -c "[ $rc = 0 ] && [ -z \"\$(ls -A '$root')\" ] && ! grep -q '$fake' /proc/$pid/mountinfo"

"$HELPER" 3 0000:03:00.0 attach 2> "$work/err"
rc=$?
tap_check "fake sysfs: the whole attach runs to QEMU's vfio-pci, which needs a real IOMMU group: device_add fails there ($(grep -o 'device_add failed.*' "$work/err" | head -c 150))" \
    bash -c "[ $rc = 1 ] && grep -q 'QMP: device_add failed: vfio 0000:03:00.0' $work/err"
tap_check "... and everything is undone: state, the DM's chroot, QEMU's devices" [ "$before" = "$(snapshot)" ]
tap_check "... the DM still runs" kill -0 "$pid"
"$XL_DMR" dm-audit vf1 > "$work/audit"
tap_check "... and dm-audit passes again" [ $? = 0 ]

# iommufd (QEMU 9.0+, kernel 6.6+): the device's cdev and /dev/iommu are
# handed over with getfd, nothing goes into the chroot.
"$srcdir/tests/lib/fake-sysfs" --cdev "$fake" 22 0000:05:00.0:vfio-pci:0x020000
fds() { ls /proc/$pid/fd | wc -l; }
fds_before=$(fds)
"$HELPER" 3 0000:05:00.0 attach iommufd 2> "$work/err"
rc=$?
tap_check "fake sysfs, iommufd: /dev/iommu handed over by getfd, then QEMU 7.2 has no iommufd object, which is where this machine stops ($(grep -o 'object-add failed.*' "$work/err" | head -c 120))" \
    bash -c "[ $rc = 1 ] && grep -q 'QMP: object-add failed' $work/err"
tap_check "... undone: the DM holds no more descriptors than before, and its chroot got nothing" \
    bash -c '[ "$(ls /proc/$1/fd | wc -l)" = "$2" ] && [ -z "$(ls -A /proc/$1/root)" ]' _ "$pid" "$fds_before"
tap_check "... state and QEMU's devices as they were" [ "$before" = "$(snapshot)" ]
unset XL_DMR_SYSROOT
"$XL_DMR" destroy vf1
tap_check "destroy: nothing left" [ ! -e /run/xl-dmr ]
tap_done
