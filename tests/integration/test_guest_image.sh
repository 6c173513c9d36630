#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The test guest itself (tests/guest/build-guest), in plain QEMU under TCG,
# no xl-dmr: what other tests rely on.  Its NICs come up from dmr.ip=
# (e1000, rtl8139, virtio-net-pci), a command typed into the shell on ttyS0
# runs, dmr.then=poweroff|reboot|panic do what they say (panic reaching QEMU
# through pvpanic), and QMP system_powerdown (the ACPI power button) powers
# it off.  Four boots (tests/lib/guest_image.py); the NIC is on a restricted
# user netdev, so no traffic leaves QEMU.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/guest.sh"
work=$(mktemp -d /tmp/dmr-guest-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! command -v qemu-system-x86_64 >/dev/null; then
    tap_skip "the test guest in plain QEMU" "no qemu-system-x86_64"
    tap_done
    exit
fi
guest_or_skip "the test guest in plain QEMU"
export KERNEL INITRD CMDLINE
for scenario in shell poweroff reboot panic; do
    while read -r verdict what; do
        case $verdict in
            PASS) tap_ok "$what" ;;
            FAIL) tap_fail "$what" "serial: $(tail -c 300 "$work/$scenario.serial" 2>/dev/null | tr -d '\r' | tail -3 | tr '\n' '|')" ;;
        esac
    done < <(python3 "$srcdir/tests/lib/guest_image.py" "$work" "$scenario" 2>&1 ||
             echo "FAIL guest_image.py $scenario ended with an error")
done
tap_done
