#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The accelerator fact: KVM counts only where KVM_CREATE_VM succeeds.
# A fake sysroot (XL_DMR_SYSROOT) without /dev/kvm stands for a host
# without KVM; the real /dev/kvm is probed for real.
set -u
. "$srcdir/tests/lib/tap.sh"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-kvm.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf 'name = "kvm1"\ntype = "hvm"\n' > "$work/g.cfg"
mkdir -p "$work/fake-sysroot/dev" "$work/fake-sysroot/sys"

accel() { "$@" 2>/dev/null | json_get /dev/stdin 'd.get("accel") or d["error"]["code"]'; }

tap_check "fake sysfs without /dev/kvm: accel tcg" \
    [ "$(XL_DMR_SYSROOT=$work/fake-sysroot accel "$XL_DMR" create -n --json "$work/g.cfg")" = '"tcg"' ]
tap_check "fake sysfs without /dev/kvm: accel=\"kvm\" refused" \
    [ "$(XL_DMR_SYSROOT=$work/fake-sysroot accel "$XL_DMR" create -n --json "$work/g.cfg" 'accel="kvm"')" = '"INVAL"' ]
tap_check "fake sysfs: accel=\"tcg\" is honoured" \
    [ "$(XL_DMR_SYSROOT=$work/fake-sysroot accel "$XL_DMR" create -n --json "$work/g.cfg" 'accel="tcg"')" = '"tcg"' ]

# The real device: ask the kernel ourselves, then compare.
if python3 - <<'PY'
import fcntl, os, sys
try:
    fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    assert fcntl.ioctl(fd, 0xAE00) == 12          # KVM_GET_API_VERSION
    os.close(fcntl.ioctl(fd, 0xAE01, 0))          # KVM_CREATE_VM
except Exception:
    sys.exit(1)
PY
then
    tap_check "real /dev/kvm creates a VM: accel kvm" \
        [ "$(accel "$XL_DMR" create -n --json "$work/g.cfg")" = '"kvm"' ]
else
    tap_skip "real /dev/kvm creates a VM: accel kvm" "KVM_CREATE_VM fails on this host"
fi
tap_check "relative XL_DMR_SYSROOT: one-line error, exit 1" \
    bash -c '[ "$(XL_DMR_SYSROOT=rel "$0" create -n "$1" 2>&1 >/dev/null | wc -l)" = 1 ] && ! XL_DMR_SYSROOT=rel "$0" create -n "$1" 2>/dev/null' "$XL_DMR" "$work/g.cfg"
tap_done
