#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real guest under a restricted device model: the demo guest (a Debian
# kernel and a busybox initramfs, built from packages by
# tests/guest/build-guest) boots under TCG with dm_restrict=1, its serial
# console reaches the DM log through the logger, and destroy leaves
# nothing behind.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/guest.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-boot.XXXXXX)
trap '"$XL_DMR" destroy boot1 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT

guest_or_skip "a guest boots under a restricted DM"
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
cat > "$work/boot.cfg" <<CFG
name = "boot1"
type = "hvm"
memory = 128
dm_restrict = 1
accel = "tcg"
kernel = "$KERNEL"
ramdisk = "$INITRD"
cmdline = "$CMDLINE"
CFG
"$XL_DMR" create --domid 1 "$work/boot.cfg"
tap_check "create with a kernel and ramdisk: exit 0" [ $? = 0 ]
log=/var/log/xl-dmr/qemu-dm-boot1.log
for _ in $(seq 120); do grep -q XLDMR-GUEST-READY "$log" 2>/dev/null && break; sleep 0.5; done
tap_check "the guest boots and says so on its serial console (in the DM log)" grep -q "XLDMR-GUEST-READY" "$log"
tap_check "the kernel and ramdisk were handed over as descriptors, not paths" \
    bash -c 'pid=$("$0" list --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0][\"dm_pid\"])");
             tr "\0" " " < /proc/$pid/cmdline | grep -q -- "-kernel /proc/self/fd/5 -initrd /proc/self/fd/6"' "$XL_DMR"
"$XL_DMR" destroy boot1
tap_check "destroy: nothing left" [ ! -e /run/xl-dmr ]
tap_done
