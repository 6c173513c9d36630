# SPDX-License-Identifier: GPL-2.0-or-later
# The test guest (tests/guest/build-guest): KERNEL, INITRD and CMDLINE set,
# or the whole test skipped with the reason. Needs $work and tap.sh.
guest_or_skip() {
    local guest
    if ! guest=$("$srcdir/tests/guest/build-guest" 2> "$work/build.err"); then
        tap_skip "$1" "cannot build the guest from Debian packages: $(tail -1 "$work/build.err")"
        tap_done
        exit
    fi
    eval "$guest"
}
