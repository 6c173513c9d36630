#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every key of the key table (tools/xl_cfg_keys.c: xl.cfg(5) 4.17 and
# xl-dmr's own) through `xl-dmr create -n` on the qemu backend, one run
# per key and value, with fixed facts (no user, image or QEMU of the host
# is looked at):
#   HONOURED              a plan; no refusal and no notice naming the key
#   NOTICE                a plan, and a notice naming the key
#   REFUSED, NOT_YET      exit 1, one line on stderr naming the key
#   ONLY_0/ONLY_1/EMPTY   the honoured value plans, the other is refused
# and nothing is left behind under /run or /var/log: empty tmpfs mounts
# in a mount namespace of the test's own, so that other tests' domains on
# the host cannot be mistaken for ours.
set -u
. "$srcdir/tests/lib/tap.sh"
if [ -z "${DMR_IN_PRIVATE_NS:-}" ]; then
    if ! unshare -m true 2>/dev/null; then
        tap_skip "every key of the table" "cannot create a mount namespace (unshare -m: not root?)"
        tap_done
        exit
    fi
    DMR_IN_PRIVATE_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi
mount -t tmpfs -o mode=0755 tmpfs /run && mount -t tmpfs -o mode=0755 tmpfs /var/log || exit 1
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
PRINT=$builddir/tools/cfg-keys-print
work=$(mktemp -d /tmp/dmr-keytable.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$PRINT" ]; then
    tap_skip "every key of the table" "no $PRINT (make check builds it)"
    tap_done
    exit
fi

# The golden direct-boot host (its kernel, ramdisk and disk image, the
# range-base user) with a device_model_user too.
python3 - "$srcdir/tests/unit/plans" > "$work/facts.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/direct-boot.facts"))
u = json.load(open(sys.argv[1] + "/device-model-user-unrestricted.facts"))["users"]
d["users"]["device_model_user"] = u["device_model_user"]
print(json.dumps(d))
PY

# A value the qemu backend honours, for each key it reads.
honoured_value() {
    case $1 in
    accel) echo '"kvm"' ;;
    builder|type) echo '"hvm"' ;;
    cmdline) echo '"console=ttyS0"' ;;
    device_model_override) echo '"/usr/bin/qemu-system-x86_64"' ;;
    device_model_user) echo '"qemu-dm"' ;;
    device_model_version) echo '"qemu-xen"' ;;
    disk) echo "[ '/srv/xl-dmr/disk.img,raw,hda,rw' ]" ;;
    dm_backend) echo '"qemu"' ;;
    dm_restrict|pci_guest_unplug|pci_hotplug_ports) echo 1 ;;
    extra) echo '"panic=-1"' ;;
    kernel) echo '"/srv/xl-dmr/vmlinuz"' ;;
    machine) echo '"q35"' ;;
    memory) echo 256 ;;
    name) echo '"keys2"' ;;
    pci) echo '[]' ;;
    ramdisk) echo '"/srv/xl-dmr/initrd.img"' ;;
    root) echo '"/dev/ram0"' ;;
    vcpus) echo 2 ;;
    acpi|localtime|nographic|stdvga|usb|vnc) echo 1 ;;
    vncdisplay|vncunused) echo 1 ;;
    bios) echo '"seabios"' ;;
    boot) echo '"dc"' ;;
    device_model_args|device_model_args_hvm) echo '[ "-no-hpet" ]' ;;
    keymap) echo '"en-gb"' ;;
    maxvcpus) echo 4 ;;
    rtc_timeoffset) echo 0 ;;  # any other needs the facts' clock
    soundhw) echo '"hda"' ;;
    usbdevice) echo '"tablet"' ;;
    uuid) echo '"4d2c5f2e-0a8b-4a57-9c1c-2f0e3d7b6a11"' ;;
    vga) echo '"stdvga"' ;;
    videoram) echo 16 ;;
    vnclisten) echo '"127.0.0.1"' ;;
    vncpasswd) echo '"secret"' ;;
    serial) echo '"pty"' ;;
    on_poweroff) echo '"destroy"' ;;
    on_reboot) echo '"restart"' ;;
    on_crash) echo '"preserve"' ;;
    vif) echo '[]' ;;  # a bridge needs network facts: test_net_bridge.sh plans real ones
    *) return 1 ;;
    esac
}

# A value xl-dmr's own reading accepts, for a key the qemu backend refuses.
refused_value() {
    case $1 in
    boot) echo '"c"' ;;   # xl-dmr checks the letters
    on_*) echo '"destroy"' ;;   # xl-dmr checks the actions
    *) echo '"x"' ;;
    esac
}

# plan KEY VALUE: create -n with the base cfg and KEY = VALUE; status in
# $rc, stdout in $work/out, stderr in $work/err.
plan() {
    local extra=""
    # A ramdisk needs a kernel; device_model_user is for dm_restrict=0.
    [ "$1" = ramdisk ] && extra='kernel = "/srv/xl-dmr/vmlinuz"'
    # The other vnc keys mean something with vnc = 1 only (else a notice, as xl ignores them).
    case $1 in vnc?*) extra='vnc = 1' ;; esac
    printf 'name = "keys1"\ntype = "hvm"\ndm_backend = "qemu"\n%s\n%s = %s\n' \
        "$extra" "$1" "$2" > "$work/k.cfg"
    "$XL_DMR" create -n --facts "$work/facts.json" "$work/k.cfg" > "$work/out" 2> "$work/err"
    rc=$?
}

# names_in FILE: the keys named by the lines of FILE that name keys of the
# cfg ("...k.cfg: a, b: WHY; c: WHY" or "...k.cfg:N: a: ..."), one a line.
names_in() {
    local line rest group
    while IFS= read -r line; do
        case $line in *"$work/k.cfg"[:]*) ;; *) continue ;; esac
        rest=${line#*"$work/k.cfg"}
        rest=${rest#:}
        rest=${rest#[0-9]*: }
        rest=${rest# }
        local IFS=';'
        for group in $rest; do
            group=${group# }
            printf '%s\n' "${group%%: *}" | tr ',' '\n' | tr -d ' '
        done
    done < "$1"
}

named() { names_in "$1" | grep -qx -- "$2"; }

expect_honoured() {  # KEY VALUE
    plan "$1" "$2"
    if [ "$rc" != 0 ] || named "$work/out" "$1"; then
        tap_fail "$1 = $2: honoured" "status $rc" "$(cat "$work/err" "$work/out" | grep -v '^ ')"
    else
        tap_ok "$1 = $2: honoured"
    fi
}

expect_notice() {  # KEY VALUE
    plan "$1" "$2"
    if [ "$rc" != 0 ] || ! grep -q '^Notice: ' "$work/out" || ! named "$work/out" "$1"; then
        tap_fail "$1 = $2: a notice names it" "status $rc" "$(cat "$work/err" "$work/out" | grep -v '^ ')"
    else
        tap_ok "$1 = $2: a notice names it"
    fi
}

expect_refused() {  # KEY VALUE
    plan "$1" "$2"
    local lines; lines=$(wc -l < "$work/err")
    if [ "$rc" != 1 ] || [ "$lines" != 1 ] || ! named "$work/err" "$1" || [ -s "$work/out" ]; then
        tap_fail "$1 = $2: refused, one line naming it" "status $rc, $lines lines" "$(cat "$work/err")"
    else
        tap_ok "$1 = $2: refused, one line naming it"
    fi
}

"$PRINT" --tsv > "$work/table"
tap_check "the table has every key of xl.cfg(5) 4.17 and xl-dmr's own" \
    [ "$(wc -l < "$work/table")" -ge 163 ]
while IFS=$'\t' read -r key xen qemu; do
    case $qemu in
    HONOURED)
        if value=$(honoured_value "$key"); then
            expect_honoured "$key" "$value"
        else
            tap_fail "$key: honoured, but this test has no value for it"
        fi ;;
    NOTICE) case $key in on_*) expect_notice "$key" '"destroy"' ;; *) expect_notice "$key" 1 ;; esac ;;
    REFUSED|NOT_YET) expect_refused "$key" "$(refused_value "$key")" ;;
    ONLY_0) expect_honoured "$key" 0; expect_refused "$key" 1 ;;
    ONLY_1) expect_honoured "$key" 1; expect_refused "$key" 0 ;;
    ONLY_EMPTY) expect_honoured "$key" '[]'; expect_refused "$key" '[ "x" ]' ;;
    *) tap_fail "$key: unknown qemu column \"$qemu\"" ;;
    esac
done < "$work/table"

# Outside the table: a key no xl.cfg knows, and a cfg without type.
plan memmory 512
tap_check "memmory: a notice naming it and the key it most likely meant" \
    grep -qF "Notice: $work/k.cfg:5: memmory: not an xl.cfg key, ignored (did you mean memory?)" "$work/out"
printf 'name = "keys1"\nmemory = 128\n' > "$work/k.cfg"
"$XL_DMR" create -n --facts "$work/facts.json" "$work/k.cfg" > "$work/out" 2> "$work/err"
rc=$?
tap_check "no type: refused, xl's default is PV" sh -c "[ $rc = 1 ] && [ \$(wc -l < '$work/err') = 1 ] &&
    grep -qF 'type not set: xl'\''s default is PV, which has no device model here; add type = \"hvm\"' '$work/err'"

# (/run/mount is util-linux's, written by the mounts above.)
left=$(find /run /var/log -mindepth 1 -not -path '/run/mount*' | head)
if [ -z "$left" ]; then
    tap_ok "nothing written under /run or /var/log"
else
    tap_fail "nothing written under /run or /var/log" "$left"
fi
tap_done
