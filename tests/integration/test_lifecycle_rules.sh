#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The rules a toolstack's backend lives by (lifecycle_rules.c, public API
# only): no xen operations, no xen domain; a lock-taking call from inside
# an operation is BUSY at once, not a wait for itself; create and destroy
# go through the backend's start, unpause and stop; a recorded foreign
# domain is the other toolstack's to destroy. In a private mount namespace
# with a tmpfs over /run, so /run/xl-dmr is this test's own.
set -u
. "$srcdir/tests/lib/tap.sh"
name=$(basename "$0" .sh)
if [ -z "${DMR_IN_PRIVATE_NS:-}" ]; then
    if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
        tap_skip "$name" "needs root and a private mount namespace (it writes /run/xl-dmr)"
        tap_done; exit 0
    fi
    DMR_IN_PRIVATE_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi
trap 'umount /run 2>/dev/null' EXIT
mount -t tmpfs -o mode=0755 tmpfs /run
# Its TAP is this test's; a hang would be the bug it looks for.
timeout 60 "$builddir/tests/integration/lifecycle_rules"
