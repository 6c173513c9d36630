#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pci-attach to a xen-backend domain through the real CLI. Xen does not
# run on this machine (tests/xen/ boots it under TCG), so the domains are
# fixtures: state files as create writes them for a domain libxl runs,
# in a /run private to this test's mount namespace. A DM that is not root
# is refused before anything changes (QEMU's Xen passthrough needs root);
# a root one is warned about, then handed to libxl, which is not there
# (tests/xen/ runs the real thing in a dom0).
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-xen-attach.XXXXXX)
trap 'umount /run 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/xl-dmr/domains
fake=$work/root
"$srcdir/tests/lib/fake-sysfs" "$fake" 20 0000:03:00.0:vfio-pci:0x020000
export XL_DMR_SYSROOT=$fake

fixture() {  # DOMID NAME UID USER
    cat > "/run/xl-dmr/domains/$1.json" <<JSON
{"domid":$1,"backend":"xen","name":"$2","memory":512,"vcpus":1,"dm_pid":0,"dm_start":0,"logger_pid":0,
 "logger_start":0,"qmp":"/var/run/xen/qmp-libxl-$1","chroot":"/var/run/xen/qemu-root-$1",
 "log":"/var/log/xen/qemu-dm-$2.log","dm_uid":$3,"dm_gid":$3,"dm_user":"$4","source":"range",
 "kill_by_uid":true,"reaper_uid":null,
 "pci":{"machine":"default","restricted":$([ "$3" = 0 ] && echo false || echo true),
        "guest_unplug":true,"root_bus_hotplug_off":false,"vfio_container":false,"memlock":0,
        "ports":[],"devices":[]}}
JSON
}
snapshot() { find /run/xl-dmr "$fake" -printf '%p %m %u %s %l\n' | sort; cat /run/xl-dmr/domains/*; }
fixture 9 xg9 131081 xen-qemuuser-range-base+9
fixture 10 xg10 0 root
before=$(snapshot)

"$XL_DMR" pci-attach xg9 0000:03:00.0 2> "$work/err"
rc=$?
tap_check "xen, DM not root: refused, one line ($(cut -c1-200 "$work/err"))" \
    bash -c "[ $rc = 1 ] && [ \$(wc -l < $work/err) = 1 ] && grep -q 'runs as xen-qemuuser-range-base+9 (uid 131081), not root, and Xen PCI passthrough in QEMU needs root: it opens /dev/mem' $work/err"
tap_check "... it says what to do" grep -q "list it in the cfg's pci= and create the domain with dm_restrict=0" "$work/err"
tap_check "... and nothing changed (state, sysfs, no PCI record)" [ "$before" = "$(snapshot)" ]

"$XL_DMR" pci-attach xg10 0000:03:00.0 2> "$work/err"
rc=$?
tap_check "xen, DM as root: warned that it is not restricted" \
    grep -q "warning: Domain 10: pci 0000:03:00.0: domain 10's device model runs as root and is not restricted" "$work/err"
tap_check "... then goes to libxl, which cannot be opened off a dom0: exit 1, says so, nothing changed ($(tail -1 "$work/err" | cut -c1-120))" \
    bash -c "[ $rc = 1 ] && grep -q 'cannot open libxl: is this a Xen dom0' $work/err && [ \"\$1\" = \"\$2\" ]" _ "$before" "$(snapshot)"
tap_done
