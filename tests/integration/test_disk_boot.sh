#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A guest boots from a disk image the restricted device model only ever
# has as a descriptor: a boot sector (tests/guest/bootsector.S, assembled
# here) on a raw image that only root can read, passed with -add-fd.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-diskboot.XXXXXX)
trap '"$XL_DMR" destroy diskboot 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT

if ! as --32 -o "$work/boot.o" "$srcdir/tests/guest/bootsector.S" ||
   ! ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$work/boot.bin" "$work/boot.o"; then
    tap_skip "a guest boots from a disk passed as a descriptor" "cannot assemble the boot sector (binutils)"
    tap_done; exit
fi
cp "$work/boot.bin" "$work/disk.img"
truncate -s 1M "$work/disk.img"
chmod 0600 "$work/disk.img"
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
cat > "$work/d.cfg" <<CFG
name = "diskboot"
type = "hvm"
memory = 32
dm_restrict = 1
accel = "tcg"
disk = [ '$work/disk.img,raw,hda,rw' ]
CFG
"$XL_DMR" create --domid 1 "$work/d.cfg"
tap_check "create: exit 0" [ $? = 0 ]
log=/var/log/xl-dmr/qemu-dm-diskboot.log
for _ in $(seq 60); do grep -q XLDMR-DISK-BOOT "$log" 2>/dev/null && break; sleep 0.25; done
tap_check "the guest booted from the disk: its boot sector speaks on the serial console" grep -q XLDMR-DISK-BOOT "$log"
pid=$("$XL_DMR" list --json | json_get /dev/stdin 'd[0]["dm_pid"]')
tap_check "QEMU got the image as /dev/fdset/1, never its path" \
    bash -c 'c=$(tr "\0" " " < /proc/$1/cmdline); [[ "$c" == *"filename=/dev/fdset/1"* ]] && [[ "$c" != *"filename=$2"* ]]' _ "$pid" "$work/disk.img"
tap_check "... and its uid could not open that path even outside the chroot" \
    bash -c '! setpriv --reuid 131073 --regid 131072 --clear-groups head -c1 "$1" >/dev/null 2>&1' _ "$work/disk.img"
"$XL_DMR" destroy diskboot
tap_check "destroy: nothing left" [ ! -e /run/xl-dmr ]
tap_done
