#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input to xl-dmr: one clear line on stderr, the documented exit
# status (1 error, 2 usage), a JSON error object with --json, and nothing
# left behind under /run, /var/run or /var/log.
set -u
. "$srcdir/tests/lib/tap.sh"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-bad.XXXXXX)
trap 'rm -rf "$work"' EXIT

printf 'name = "bad1"\ntype = "hvm"\nmemory = 128\n' > "$work/good.cfg"
printf 'name = "bad1"\nmemory = 128\nvcpus = = 2\ntype = "hvm"\n' > "$work/syntax.cfg"

# Everything under the run-time and log directories, to compare after.
snapshot() { find /run /var/run/ /var/log -xdev 2>/dev/null | grep -v '^/run/user/' | sort; }
snapshot > "$work/before"

# bad NAME STATUS STDERR-PATTERN ARGS...: one line on stderr matching the
# pattern, the exit status, and with --json an {"error":...} object.
bad() {
    local name=$1 want=$2 pattern=$3; shift 3
    "$XL_DMR" "$@" > "$work/out" 2> "$work/err"
    local got=$?
    local lines; lines=$(wc -l < "$work/err")
    if [ "$got" != "$want" ] || [ "$lines" != 1 ] || ! grep -q -- "$pattern" "$work/err"; then
        tap_fail "$name" "status $got (want $want), $lines stderr lines:" "$(cat "$work/err")"
        return
    fi
    case " $* " in
    *" --json "*)
        if ! python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"] and e["message"]' "$work/out" 2>/dev/null; then
            tap_fail "$name" "no JSON error object on stdout:" "$(cat "$work/out")"
            return
        fi ;;
    esac
    tap_ok "$name"
}

bad "syntax error names file:line" 1 "syntax.cfg:3: config parsing error" create -n "$work/syntax.cfg"
bad "syntax error, --json" 1 "syntax.cfg:3" create -n --json "$work/syntax.cfg"
bad "dm_restrict=\"maybe\"" 1 "dm_restrict must be a number from 0 to 1" create -n --json "$work/good.cfg" 'dm_restrict="maybe"'
bad "empty device_model_user" 1 "device_model_user must not be empty" create -n --json "$work/good.cfg" 'device_model_user=""'
bad "domid 0" 1 "bad --domid \"0\": must be 1..32751" create -n --json --domid 0 "$work/good.cfg"
bad "domid 32752" 1 "must be 1..32751" create -n --json --domid 32752 "$work/good.cfg"
bad "domid not a number" 1 "must be 1..32751" create -n --json --domid 7x "$work/good.cfg"
bad "unknown backend" 1 "unknown dm_backend \"vmware\"" create -n --json "$work/good.cfg" 'dm_backend="vmware"'
bad "unknown machine" 1 "unknown machine \"microvm\"" create -n --json "$work/good.cfg" 'machine="microvm"'
bad "missing config file" 1 "cannot read config file" create -n --json "$work/nope.cfg"
# Fuzzing found that libxlutil aborts on a NUL byte inside a string.
printf 'name = "a\0b"\n' > "$work/nul.cfg"
bad "a NUL byte in the cfg (libxlutil would abort)" 1 "a NUL byte at offset 9" create -n --json "$work/nul.cfg"
bad "a directory as the cfg" 1 "not a config file (not a regular file)" create -n --json "$work"
bad "pc cannot forbid unplug for some devices only" 1 "only for the whole root bus" create -n --json "$work/good.cfg" 'machine="pc"' "pci=['01:00.0,guest_unplug=0', '02:00.0']"
bad "@VSLOT contradicts guest_unplug=1" 1 "integrated endpoint the guest cannot unplug" create -n --json "$work/good.cfg" "pci=['01:00.0@4,guest_unplug=1']"
bad "hda and xvda share an IDE position" 1 "would share one IDE position" create -n --json "$work/good.cfg" "disk=['$work/good.cfg,raw,hda,rw', '$work/good.cfg,raw,xvda,rw']"
bad "xen backend cannot forbid unplug" 1 "the xen backend (xenfv, i440fx) cannot stop" create -n --json "$work/good.cfg" 'dm_backend="xen"' "pci=['01:00.0,guest_unplug=0']"
# The xen backend refuses the keys it does not carry to libxl, all of them
# named in one line; a boolean with the value libxl gets anyway is fine.
bad "xen backend: vif and vnc, not carried, named" 1 "good.cfg: vif, vnc: not carried by xl-dmr's xen backend; use xl create (with the libdmrestrict patches) for this config" create -n --json "$work/good.cfg" 'dm_backend="xen"' "vif=['bridge=xenbr0']" 'vnc=1' 'acpi=1'
bad "xen backend: a start refused the same way, before anything" 1 "good.cfg: on_reboot, usbdevice: not carried by xl-dmr's xen backend" create --json "$work/good.cfg" 'dm_backend="xen"' 'on_reboot="restart"' 'usbdevice="tablet"' 'vnc=0'
# The display keys on the qemu backend (xl-dmr.cfg(5), DISPLAY).
bad "sdl=1 refused by name" 1 "good.cfg: sdl: not supported by the qemu backend (a window on an X display needs the X server" create -n --json "$work/good.cfg" 'sdl=1'
bad "vga=qxl refused by name" 1 "vga=\"qxl\": not carried" create -n --json "$work/good.cfg" 'vga="qxl"'
bad "unknown vga" 1 "unknown vga \"vmware\"" create -n --json "$work/good.cfg" 'vga="vmware"'
bad "videoram below cirrus's least" 1 "videoram must be 8 to 256 MB for cirrus" create -n --json "$work/good.cfg" 'videoram=4'
bad "usbdevice a host device" 1 "only tablet and mouse are emulated" create -n --json "$work/good.cfg" 'usbdevice=["tablet", "host:1234:5678"]'
bad "vnclisten a host name" 1 "vnclisten \"localhost\" is not an IPv4 or IPv6 address" create -n --json "$work/good.cfg" 'vnc=1' 'vnclisten="localhost"'
bad "vnclisten with a display beside vncdisplay" 1 "vncdisplay set, vnclisten contains display" create -n --json "$work/good.cfg" 'vnc=1' 'vnclisten="127.0.0.1:1"' 'vncdisplay=2'
bad "keymap a path" 1 "bad keymap" create -n --json "$work/good.cfg" 'keymap="../../etc/passwd"'
bad "vncpasswd not printable, the secret not quoted" 1 "vncpasswd has a character that is not printable ASCII" create -n --json "$work/good.cfg" 'vnc=1' 'vncpasswd="Zq8s3cr3t\t"'
tap_check "the refused vncpasswd is in no message" bash -c '! grep -q Zq8s3cr3t "$0/err" "$0/out"' "$work"
bad "missing facts file" 1 "cannot open facts file $work/none.json" create -n --json --facts "$work/none.json" "$work/good.cfg"
bad "missing disk image" 1 "does not exist" create -n --json "$work/good.cfg" "disk=['$work/none.img,raw,hda,rw']"
bad "disk vdev the qemu backend lacks" 1 "IDE disks" create -n --json "$work/good.cfg" "disk=['$work/good.cfg,raw,hde,rw']"
bad "missing QEMU binary" 1 "no QEMU at /nonexistent/qemu" create -n --json "$work/good.cfg" 'device_model_override="/nonexistent/qemu"'
bad "usage: no config" 2 "create: takes CFG" create -n
bad "usage: unknown option" 2 "unknown option --frobnicate" create -n --frobnicate "$work/good.cfg"
bad "usage: unknown subcommand" 2 "unknown subcommand" frobnicate
bad "usage: no subcommand" 2 "no subcommand given"
bad "usage: --domid with --facts" 2 "do not go together" create -n --domid 3 --facts "$work/good.cfg" "$work/good.cfg"
bad "facts file that is not JSON" 1 "facts JSON" create -n --json --facts "$work/good.cfg" "$work/good.cfg"
bad "usage: --domid without its value" 2 "option --domid needs an argument" create -n --domid

snapshot > "$work/after"
tap_check "nothing written under /run, /var/run or /var/log" cmp -s "$work/before" "$work/after"
tap_check "no /run/xl-dmr" [ ! -e /run/xl-dmr ]
tap_done
