#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The audit of a device model that opens its own tap and VNC socket (what
# libxl has qemu-xen do for vif and vnc), against a real QEMU in a network
# namespace of its own: dm_own_devices.c, public API only. In a private
# mount namespace with a tmpfs over /run, so /run/xl-dmr is this test's own.
set -u
. "$srcdir/tests/lib/tap.sh"
name=$(basename "$0" .sh)
if [ -z "${DMR_IN_PRIVATE_NS:-}" ]; then
    if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
        tap_skip "$name" "needs root and a private mount namespace (it writes /run/xl-dmr)"
        tap_done; exit 0
    fi
    if [ ! -c /dev/net/tun ] || ! unshare -n true 2>/dev/null; then
        tap_skip "$name" "needs /dev/net/tun and network namespaces (its QEMU makes a tap)"
        tap_done; exit 0
    fi
    DMR_IN_PRIVATE_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi
trap 'umount /run 2>/dev/null' EXIT
mount -t tmpfs -o mode=0755 tmpfs /run
timeout 60 "$builddir/tests/integration/dm_own_devices"
