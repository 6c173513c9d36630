#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU capabilities are probed, not guessed: fake QEMU binaries print the
# -help text of other versions (9.1: only -run-with; 9.0: -runas and
# -run-with chroot=; one without -sandbox) and the plan must follow; the
# probe cache must hit for an unchanged binary and miss for a changed one;
# the real QEMU is probed for real.
set -u
. "$srcdir/tests/lib/tap.sh"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-probe.XXXXXX)
trap 'rm -rf "$work"' EXIT
export XL_DMR_CACHE_DIR=$work/cache
printf 'name = "probe1"\ntype = "hvm"\ndm_restrict = 1\n' > "$work/g.cfg"

# fake_qemu NAME HELP-LINES...: a QEMU whose -help shows those option lines
# and which counts its runs in NAME.runs.
fake_qemu() {
    local name=$1; shift
    {
        echo '#!/bin/sh'
        echo "echo run >> '$work/$name.runs'"
        echo 'case "$1" in'
        echo '-help) cat <<HELP'
        echo 'QEMU emulator version 99.0.0'
        printf '%s\n' "$@"
        # -action (6.0+): the watcher needs QEMU never to reset or exit on its own.
        echo '-action event=action'
        echo 'HELP'
        echo ';;'
        echo '-machine) printf "Supported machines are:\npc                   Standard PC\nq35                  Standard PC (Q35)\n" ;;'
        echo '-sandbox) [ -z "'"${NOSECCOMP:-}"'" ] || { echo "There is no option group sandbox" >&2; exit 1; }'
        echo '          echo "QEMU emulator version 99.0.0" ;;'
        echo '-device) case "$2" in'
        echo '    pvpanic*) printf "pvpanic options:\n  ioport=<uint16>\n" ;;'
        echo '    vfio-pci*) [ -n "'"${IOMMUFD:-}"'" ] || exit 1'
        echo '               printf "vfio-pci options:\n  fd=<str>\n  host=<str>\n  iommufd=<link<iommufd>>\n" ;;'
        echo '    *) printf "pcie-root-port options:\n  hotplug=<bool>         -  (default: true)\n" ;;'
        echo '    esac ;;'
        echo 'esac'
    } > "$work/$name"
    chmod +x "$work/$name"
}
SANDBOX='-sandbox on[,obsolete=allow|deny][,elevateprivileges=allow|deny|children]'
fake_qemu q91 "$SANDBOX" '-run-with [async-teardown=on|off][,chroot=dir][user=username|uid:gid]'
fake_qemu q90 "$SANDBOX" '-runas user     change to user id user just before starting the VM' \
                         '-run-with [async-teardown=on|off][,chroot=dir]'
fake_qemu q72 "$SANDBOX" '-runas user     change to user id user just before starting the VM' \
                         '-chroot dir     chroot to dir just before starting the VM'
fake_qemu nosandbox '-runas user     change to user id user just before starting the VM' \
                    '-chroot dir     chroot to dir just before starting the VM'

# The plan needs a user and a facts file would bypass the probe, so the
# device_model_user is nobody, which every Debian system has (uid 65534).
cfg_user='device_model_user="nobody"'
argv_of() { "$XL_DMR" create -n --json --domid 2 "$work/g.cfg" "device_model_override=\"$work/$1\"" "$cfg_user" 2>"$work/$1.err" \
            | json_get /dev/stdin '" ".join(d["argv"][-4:]) if "argv" in d else d["error"]["code"]'; }

tap_check "9.1-style help: -run-with chroot=,user= together" \
    [ "$(argv_of q91)" = "\"-sandbox on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny -run-with chroot=/run/xl-dmr/qemu-root-2,user=65534:65534\"" ]
tap_check "9.0-style help: -runas, and -run-with chroot=" \
    [ "$(argv_of q90)" = '"-runas 65534:65534 -run-with chroot=/run/xl-dmr/qemu-root-2"' ]
tap_check "7.2-style help: -chroot and -runas" \
    [ "$(argv_of q72)" = '"-chroot /run/xl-dmr/qemu-root-2 -runas 65534:65534"' ]
tap_check "no -sandbox: a restricted plan is refused" [ "$(argv_of nosandbox)" = '"REFUSED"' ]
tap_check "no -sandbox: the refusal says why" grep -q "has no -sandbox" "$work/nosandbox.err"
# Debian's qemu-xen lists -sandbox in -help but is built without seccomp.
NOSECCOMP=1 fake_qemu noseccomp "$SANDBOX" '-runas user     change to user id user just before starting the VM' \
                                           '-chroot dir     chroot to dir just before starting the VM'
tap_check "-sandbox in -help but refused when parsed (no seccomp): a restricted plan is refused" \
    [ "$(argv_of noseccomp)" = '"REFUSED"' ]
tap_check "... saying it has no -sandbox" grep -q "has no -sandbox" "$work/noseccomp.err"

# vfio-pci with iommufd= and fd= (QEMU 9.0+): VFIO descriptors can be
# handed over; without vfio-pci at all (exit 1) there is simply no VFIO.
IOMMUFD=1 fake_qemu q91i "$SANDBOX" '-run-with [async-teardown=on|off][,chroot=dir][user=username|uid:gid]'
argv_of q91i > /dev/null
tap_check "vfio-pci offering iommufd= and fd=: probed as taking VFIO descriptors" \
    grep -rqs '"vfio_iommufd": *true' "$XL_DMR_CACHE_DIR"
tap_check "QEMUs without vfio-pci: probed without error, and without iommufd (one cache entry of six says true)" \
    bash -c '[ -z "$(cat "$1")" ] && [ "$(grep -rls "\"vfio_iommufd\": *true" "$2" | wc -l)" = 1 ] && [ "$(grep -rls "\"vfio_iommufd\": *false" "$2" | wc -l)" = 5 ]' _ "$work/q91.err" "$XL_DMR_CACHE_DIR"

# The cache: six runs of the binary to probe (-help, -machine help, the
# root port's, vfio-pci's and pvpanic's properties, -sandbox on -version),
# none when unchanged.
rm -rf "$work"/q72.runs "$XL_DMR_CACHE_DIR"
argv_of q72 > /dev/null
argv_of q72 > /dev/null
tap_check "cache: an unchanged binary is probed once (6 runs)" [ "$(wc -l < "$work/q72.runs")" = 6 ]
touch -d '2001-01-01' "$work/q72"
argv_of q72 > /dev/null
tap_check "cache: a changed binary is probed again" [ "$(wc -l < "$work/q72.runs")" = 12 ]
chmod 0777 "$XL_DMR_CACHE_DIR"
argv_of q72 > /dev/null
tap_check "cache: a world-writable cache directory is ignored" [ "$(wc -l < "$work/q72.runs")" = 18 ]
chmod 0755 "$XL_DMR_CACHE_DIR"
XL_DMR_CACHE_DIR= argv_of q72 > /dev/null
tap_check "cache: XL_DMR_CACHE_DIR= turns it off" [ "$(wc -l < "$work/q72.runs")" = 24 ]

printf '#!/bin/sh\nexit 1\n' > "$work/broken"; chmod +x "$work/broken"
tap_check "a QEMU whose -help fails: exit 1, one line" \
    bash -c '! "$0" create -n "$1" "device_model_override=\"$2\"" 2>"$3" && [ "$(wc -l < "$3")" = 1 ]' \
    "$XL_DMR" "$work/g.cfg" "$work/broken" "$work/broken.err"

# The real binary, probed for real.
if [ -x /usr/bin/qemu-system-x86_64 ]; then
    XL_DMR_CACHE_DIR= "$XL_DMR" create -n --json "$work/g.cfg" dm_restrict=0 > "$work/real.json" 2>/dev/null
    ver=$(/usr/bin/qemu-system-x86_64 -version | head -1)
    tap_check "real QEMU ($ver): probed and planned" [ "$(json_get "$work/real.json" 'd["argv"][0]')" = '"/usr/bin/qemu-system-x86_64"' ]
else
    tap_skip "real QEMU probed" "no /usr/bin/qemu-system-x86_64"
fi
tap_done
