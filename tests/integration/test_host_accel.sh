#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# host check tests what it reports (issue 20): kvm is "ok" only when a
# probe guest gets through protected mode in time under the real QEMU and
# /dev/kvm. On a host where /dev/kvm makes VMs but the CPU has no vmx/svm
# (kvm_pvm) kvm must be flagged; with vmx/svm it must be ok; tcg is ok
# either way. The result lands in the probe cache, plans read it from
# there (and never probe), and warn before a guest would hang.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/leftovers.sh"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-accel.XXXXXX)
trap 'rm -rf "$work"' EXIT
export XL_DMR_CACHE_DIR=$work/cache
printf 'name = "accel1"\ntype = "hvm"\n' > "$work/g.cfg"

if [ ! -x /usr/bin/qemu-system-x86_64 ]; then
    tap_skip "host check probes kvm and tcg" "no /usr/bin/qemu-system-x86_64"
    tap_done; exit
fi
kvm_makes_vms() {
    python3 - <<'PY'
import fcntl, os, sys
try:
    fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    assert fcntl.ioctl(fd, 0xAE00) == 12          # KVM_GET_API_VERSION
    os.close(fcntl.ioctl(fd, 0xAE01, 0))          # KVM_CREATE_VM
except Exception:
    sys.exit(1)
PY
}
hw_virt() { grep -m1 '^flags' /proc/cpuinfo | grep -qwE 'vmx|svm'; }

# A plan on a fresh host: no probe yet, and none made by the plan.
"$XL_DMR" create -n "$work/g.cfg" > "$work/fresh.out" 2>&1
if kvm_makes_vms && ! hw_virt; then
    tap_check "no probe yet, /dev/kvm without vmx/svm: the plan warns" \
        grep -q 'Warning: /dev/kvm makes VMs but the CPU has no vmx or svm' "$work/fresh.out"
else
    tap_check "no probe yet, hardware KVM or none: no warning about KVM" \
        bash -c '! grep -q "vmx or svm" "$1"' _ "$work/fresh.out"
fi
tap_check "a plan never probes: no accelerator entry in the cache" \
    bash -c '! ls "$1"/accel-*.json 2>/dev/null | grep -q .' _ "$XL_DMR_CACHE_DIR"

"$XL_DMR" host check > "$work/check.out" 2>&1
rc=$?
tap_check "host check: exit 0 (an accelerator that does not run guests is a warning)" [ "$rc" = 0 ]
tap_check "tcg: ok, the probe guest ran its loop in protected mode" \
    grep -qE '^ok +tcg +a probe guest reached protected mode in .* and ran 50 M loop iterations' "$work/check.out"
if ! kvm_makes_vms; then
    tap_check "kvm: warn, no usable /dev/kvm" grep -qE '^warn +kvm +no usable /dev/kvm' "$work/check.out"
elif hw_virt; then
    tap_check "kvm with vmx/svm: ok, the probe guest got through" \
        grep -qE '^ok +kvm +a probe guest reached protected mode' "$work/check.out"
else
    tap_check "kvm without vmx/svm (kvm_pvm): flagged, saying how far the probe guest got" \
        grep -qE '^warn +kvm +/dev/kvm makes VMs, yet a probe guest.* within 3 s \(no vmx/svm in /proc/cpuinfo: a paravirtual KVM such as kvm_pvm\?\)' "$work/check.out"
    tap_check "... with its fix" grep -q 'fix: use accel = "tcg"' "$work/check.out"
    "$XL_DMR" create -n "$work/g.cfg" > "$work/after.out" 2>&1
    tap_check "then a plan with the default accel warns from the cached probe, and keeps kvm" \
        bash -c 'grep -q "Warning: KVM here failed xl-dmr host check.s probe" "$1" && grep -q "accel kvm" "$1"' _ "$work/after.out"
    "$XL_DMR" create -n "$work/g.cfg" 'accel="tcg"' > "$work/tcg.out" 2>&1
    tap_check "... and accel=\"tcg\" does not" bash -c '! grep -q "Warning: KVM" "$1"' _ "$work/tcg.out"
fi
tap_check "the result is cached next to the QEMU probe" \
    bash -c 'grep -q "\"accel_probe\":{\"kvm\"" "$1"/accel-*.json || grep -q "\"tcg\":{\"result\":\"passed\"" "$1"/accel-*.json' _ "$XL_DMR_CACHE_DIR"
tap_check "no probe QEMU left running" [ -z "$(leftovers -m xl-dmr-probe -m 'isa-debug-exit')" ]
tap_check "nothing of the probe left in /tmp or /dev/shm" \
    bash -c '! ls /dev/shm /tmp 2>/dev/null | grep -q xl-dmr-probe'
tap_done
