#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xl-dmr pci-attach / pci-detach / pci-list with real QEMU and a real
# guest, dm_restrict=1 and chrooted. No device can be passed through here
# (no IOMMU), so an emulated e1000e stands in for each assigned device
# (XL_DMR_TEST_PCI_STANDIN) on the port the plan picks: the guest sees it
# arrive, consents to its removal (DEVICE_DELETED), and every refusal
# leaves the domain as it was.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/guest.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
QMP="python3 $srcdir/tests/lib/qmp.py"
work=$(mktemp -d /tmp/dmr-hotplug.XXXXXX)
trap '"$XL_DMR" destroy hot1 2>/dev/null; "$XL_DMR" destroy hot2 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT

guest_or_skip "pci hot-plug"
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
export XL_DMR_TEST_PCI_STANDIN=e1000e
cat > "$work/h.cfg" <<CFG
name = "hot1"
type = "hvm"
memory = 128
dm_restrict = 1
accel = "tcg"
kernel = "$KERNEL"
ramdisk = "$INITRD"
cmdline = "$CMDLINE"
pci = [ '0000:0a:00.0,guest_unplug=0' ]
pci_hotplug_ports = 1
CFG
"$XL_DMR" create --domid 1 "$work/h.cfg" 2> "$work/create.err"
tap_check "a restricted guest with one spare hot-plug port starts" [ $? = 0 ]
log=/var/log/xl-dmr/qemu-dm-hot1.log
state=/run/xl-dmr/domains/1.json
sock=/run/xl-dmr/qmp-1.sock
for _ in $(seq 120); do grep -q XLDMR-GUEST-READY "$log" 2>/dev/null && break; sleep 0.5; done
tap_check "the guest is up" grep -q XLDMR-GUEST-READY "$log"

"$XL_DMR" pci-list hot1 > "$work/list0"
tap_check "pci-list: the cfg's device, behind rp1, not unpluggable, not hot-plugged" \
    grep -qE '^[0-9a-f]{2}:[0-9a-f]{2}\.0 +0000:0a:00\.0 +hostdev0 +rp1 +no +no$' "$work/list0"

# Refusals: one line each, exit 1, and the domain as it was.
refused() {  # NAME EXPECTED-TEXT XL-DMR-ARGS...
    local name=$1 want=$2
    shift 2
    local before after
    before=$(md5sum "$state"; ls /run/xl-dmr/domains; $QMP "$sock" qom-list '{"path": "/machine/peripheral"}')
    "$XL_DMR" "$@" > "$work/out" 2> "$work/err"
    local rc=$?
    after=$(md5sum "$state"; ls /run/xl-dmr/domains; $QMP "$sock" qom-list '{"path": "/machine/peripheral"}')
    tap_check "$name: exit 1, one line, nothing changed ($(head -c 160 "$work/err"))" \
        bash -c '[ "$1" = 1 ] && [ "$(wc -l < "$2")" = 1 ] && grep -q -- "$3" "$2" && [ "$4" = "$5" ]' \
        _ "$rc" "$work/err" "$want" "$before" "$after"
}
refused "attach with guest_unplug=0" "list it in the cfg's pci= instead" pci-attach hot1 '0000:0b:00.0,guest_unplug=0'
refused "attach at @VSLOT on q35" "pcie.0 takes no hot-plugged device" pci-attach hot1 '0000:0b:00.0@7'
refused "attach of the device already there" "already attached" pci-attach hot1 0000:0a:00.0
refused "detach of a guest_unplug=0 device" "nothing can unplug it" pci-detach hot1 0000:0a:00.0
refused "detach of a device not attached" "not attached to this domain" pci-detach hot1 0000:0b:00.0
refused "attach with a bad spec" "bad pci specification" pci-attach hot1 'zz:0b'
refused "attach to no such domain" "no domain 7" pci-attach 7 0000:0b:00.0

"$XL_DMR" pci-attach hot1 0b:00.0 2> "$work/attach.err"
tap_check "pci-attach 0b:00.0: done, saying the e1000e stands in" \
    bash -c "[ $? = 0 ] && grep -q 'emulated e1000e stands in for 0000:0b:00.0' $work/attach.err"
for _ in $(seq 40); do grep -q XLDMR-PCI-ADDED "$log" && break; sleep 0.5; done
tap_check "the guest sees it arrive" grep -q "XLDMR-PCI-ADDED.*8086:10d3" "$log"
"$XL_DMR" pci-list hot1 > "$work/list1"
tap_check "pci-list: hostdev1 behind the spare port hp1, unpluggable, hot-plugged" \
    grep -qE '^[0-9a-f]{2}:[0-9a-f]{2}\.0 +0000:0b:00\.0 +hostdev1 +hp1 +yes +yes$' "$work/list1"
tap_check "the record survives in the state directory" [ -f /run/xl-dmr/domains/1.pci.json ]
"$XL_DMR" dm-audit hot1 > "$work/audit"
tap_check "dm-audit after the attach: still restricted as planned" bash -c "[ $? = 0 ] && ! grep -q FAIL $work/audit"
refused "attach with every spare port taken" "no free hot-plug root port" pci-attach hot1 0000:0c:00.0

"$XL_DMR" pci-detach hot1 0000:0b:00.0 2> "$work/detach.err"
tap_check "pci-detach: the guest let it go (DEVICE_DELETED)" [ $? = 0 ]
for _ in $(seq 20); do grep -q XLDMR-PCI-REMOVED "$log" && break; sleep 0.5; done
tap_check "... the guest saw it go" grep -q "XLDMR-PCI-REMOVED.*8086:10d3" "$log"
tap_check "... QEMU no longer has it" \
    bash -c "! $QMP $sock qom-list '{\"path\": \"/machine/peripheral\"}' | grep -q hostdev1"
tap_check "... pci-list no longer shows it" bash -c "! '$XL_DMR' pci-list hot1 | grep -q 0000:0b:00.0"

"$XL_DMR" pci-attach hot1 0000:0c:00.0 2>/dev/null
tap_check "the freed port takes another device" \
    bash -c "'$XL_DMR' pci-list hot1 | grep -qE '0000:0c:00\.0 +hostdev1 +hp1'"
"$XL_DMR" destroy hot1
tap_check "destroy with a hot-plugged device: nothing left" [ ! -e /run/xl-dmr ]

# pc: devices go onto pci.0 itself, unless the domain turned its ACPI
# hot-plug off; no guest OS is needed to see QEMU take or refuse them.
cat > "$work/pc.cfg" <<CFG
name = "hot2"
type = "hvm"
memory = 64
dm_restrict = 1
accel = "tcg"
machine = "pc"
CFG
"$XL_DMR" create --domid 2 "$work/pc.cfg" 2>/dev/null
"$XL_DMR" pci-attach hot2 0000:0d:00.0@6 2>/dev/null
tap_check "pc: attached at slot 6 of pci.0" \
    bash -c "'$XL_DMR' pci-list hot2 | grep -qE '^00:06\.0 +0000:0d:00\.0 +hostdev0 +pci\.0 +yes +yes$'"
start=$(date +%s)
"$XL_DMR" pci-detach hot2 0000:0d:00.0 2> "$work/err"
rc=$?
tap_check "pc without a guest OS: nobody lets the device go, pci-detach gives up after 10 s, one line ($(cut -c1-160 "$work/err"))" \
    bash -c "[ $rc = 1 ] && [ \$(wc -l < $work/err) = 1 ] && grep -q 'the guest has not let it go in 10 s, so it stays attached' $work/err && [ \$(( \$(date +%s) - $start )) -ge 10 ]"
tap_check "... and it stays recorded" \
    bash -c "'$XL_DMR' pci-list hot2 | grep -qE '0000:0d:00.0 +hostdev0'"
"$XL_DMR" destroy hot2
"$XL_DMR" create --domid 2 "$work/pc.cfg" "pci=['0000:0a:00.0']" pci_guest_unplug=0 2>/dev/null
state=/run/xl-dmr/domains/2.json
sock=/run/xl-dmr/qmp-2.sock
refused "pc with root-bus hot-plug off: attach refused" "nothing can be hot-plugged into it" \
    pci-attach hot2 '0000:0d:00.0,guest_unplug=1'
refused "pc: the domain's pci_guest_unplug=0 is the default for an attach" "guest_unplug=0" \
    pci-attach hot2 0000:0d:00.0
"$XL_DMR" destroy hot2
tap_check "nothing left" [ ! -e /run/xl-dmr ]
tap_done
