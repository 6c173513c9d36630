#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest hot-unplug policy with real QEMU and a real guest. No device can
# be passed through here (no IOMMU), so an emulated e1000e stands in for
# each assigned device (XL_DMR_TEST_PCI_STANDIN) in the topology the plan
# gives it, in a dm_restrict=1 chrooted guest: the one the policy keeps
# (behind a hotplug=off root port, or on pcie.0 at a slot the user gave)
# cannot be unplugged, the allowed one is removed with the guest's
# cooperation, and its freed port takes a hot-plugged device.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/guest.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
QMP="python3 $srcdir/tests/lib/qmp.py"
work=$(mktemp -d /tmp/dmr-unplug.XXXXXX)
trap '"$XL_DMR" destroy unplug1 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT

guest_or_skip "guest unplug policy"
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
cat > "$work/u.cfg" <<CFG
name = "unplug1"
type = "hvm"
memory = 128
dm_restrict = 1
accel = "tcg"
kernel = "$KERNEL"
ramdisk = "$INITRD"
cmdline = "$CMDLINE"
pci = [ '0000:0a:00.0,guest_unplug=0', '0000:0b:00.0', '0000:0c:00.0@5,guest_unplug=0' ]
CFG
export XL_DMR_TEST_PCI_STANDIN=e1000e
"$XL_DMR" create --domid 1 "$work/u.cfg" 2> "$work/create.err"
tap_check "a restricted guest with two stand-in devices starts (and says they stand in)" \
    bash -c "[ $? = 0 ] && grep -q 'emulated e1000e standing in' $work/create.err"
log=/var/log/xl-dmr/qemu-dm-unplug1.log
for _ in $(seq 120); do grep -q XLDMR-GUEST-READY "$log" 2>/dev/null && break; sleep 0.5; done
tap_check "the guest sees the three devices (8086:10d3)" [ "$(grep -c 'XLDMR-PCI-PRESENT.*8086:10d3' "$log")" = 3 ]
sock=/run/xl-dmr/qmp-1.sock

out=$(python3 "$srcdir/tests/lib/qmp_unplug.py" "$sock" hostdev0 10)
tap_check "guest_unplug=0 behind a hotplug=off root port: device_del is refused ($out)" bash -c '[[ "$1" == *"does not support hotplugging"* ]]' _ "$out"
out=$(python3 "$srcdir/tests/lib/qmp_unplug.py" "$sock" hostdev2 10)
tap_check "guest_unplug=0 at @5, an integrated endpoint on pcie.0: refused too ($out)" bash -c '[[ "$1" == *"does not support hotplugging"* ]]' _ "$out"

out=$(python3 "$srcdir/tests/lib/qmp_unplug.py" "$sock" hostdev1 30)
tap_check "guest_unplug=1: the guest lets it go, DEVICE_DELETED ($out)" bash -c '[[ "$1" == deleted* ]]' _ "$out"
for _ in $(seq 20); do grep -q XLDMR-PCI-REMOVED "$log" && break; sleep 0.5; done
tap_check "... and the guest saw it go" grep -q "XLDMR-PCI-REMOVED.*8086:10d3" "$log"

$QMP "$sock" device_add '{"driver": "e1000e", "id": "plugged1", "bus": "rp2", "romfile": ""}' > /dev/null
for _ in $(seq 20); do grep -q XLDMR-PCI-ADDED "$log" && break; sleep 0.5; done
tap_check "the freed port takes a hot-plugged device, seen by the guest" grep -q "XLDMR-PCI-ADDED.*8086:10d3" "$log"
tap_check "the keeper is still there" \
    bash -c "$QMP $sock qom-list '{\"path\": \"/machine/peripheral\"}' | grep -q hostdev0"
"$XL_DMR" destroy unplug1
tap_check "destroy: nothing left" [ ! -e /run/xl-dmr ]
tap_done
