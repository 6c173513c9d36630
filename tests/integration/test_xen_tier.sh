#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Xen tier (tests/xen/README): this build, installed into a Debian 12
# dom0 of Debian's Xen 4.17 with Xen's own xl and libxl patched to use
# libdmrestrict (make install-xen-tools), booted under QEMU (TCG): xl-dmr's
# xen backend and the patched xl tested there against real libxl and qemu-xen. Its TAP lines are
# this test's. Skipped, saying why, in a sanitizer build (the dom0 has no
# sanitizer runtime), with XL_DMR_XEN_TIER=0 (CI's distcheck and sanitizer
# runs: CI runs the tier once, with the README's test command), and
# without root (the dom0 root is built with mmdebstrap).
set -u
. "$srcdir/tests/lib/tap.sh"
BIN=$builddir/tools/.libs/xl-dmr
[ -x "$BIN" ] || BIN=$builddir/tools/xl-dmr
if [ "${XL_DMR_XEN_TIER:-1}" = 0 ]; then
    tap_skip "the Xen tier" "XL_DMR_XEN_TIER=0: run once elsewhere (CI: with the README's test command)"; tap_done; exit
fi
if ldd "$BIN" 2>/dev/null | grep -q 'libasan'; then
    tap_skip "the Xen tier" "a sanitizer build: the dom0 has no sanitizer runtime"; tap_done; exit
fi
if [ "$(id -u)" != 0 ]; then
    tap_skip "the Xen tier" "needs root (mmdebstrap builds the dom0 root)"; tap_done; exit
fi
work=$(mktemp -d /tmp/dmr-xen-tier.XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$builddir" install DESTDIR="$work/inst" \
        > "$work/install.log" 2>&1; then
    tap_fail "make install DESTDIR= for the dom0" "$(tail -5 "$work/install.log")"; tap_done; exit
fi
# Xen's own xl and libxl with tools/xen-patches (cached by its inputs in
# /var/cache/xl-dmr/xen-tools: ~2.5 min the first time), over Debian's.
if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$builddir" install-xen-tools DESTDIR="$work/inst" \
        > "$work/xen-tools.log" 2>&1; then
    tap_fail "make install-xen-tools DESTDIR= for the dom0" "$(tail -5 "$work/xen-tools.log")"; tap_done; exit
fi
"$srcdir/tests/xen/run-tier" --install-dir "$work/inst" 2> "$work/tier.err"
rc=$?
[ "$rc" = 0 ] || tail -40 "$work/tier.err" | sed 's/^/# /'
exit "$rc"
