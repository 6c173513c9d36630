#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An OVMF guest under a restricted device model: the firmware is found
# through QEMU's descriptors (/usr/share/qemu/firmware, Debian's ovmf
# package), the toolstack makes the domain's VARS copy (mode 0600) and
# hands CODE and VARS over as pflash blockdevs over fdsets; OVMF then
# boots the test guest's kernel through fw_cfg (direct kernel boot) under
# TCG. dm-audit passes, a second start reuses the copy, destroy leaves
# only the copy (persistent by design), and a symlink planted in its place
# is refused without being followed. /var/lib/xl-dmr is a tmpfs of this
# test's private mount namespace: the host's copies are never touched.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/guest.sh"
. "$srcdir/tests/lib/leftovers.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-ovmf.XXXXXX)
trap '"$XL_DMR" destroy ovmf1 2>/dev/null; umount /var/lib/xl-dmr 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT

if ! grep -qs '"uefi"' /usr/share/qemu/firmware/*.json; then
    tap_skip "an OVMF guest boots" "no UEFI firmware descriptor in /usr/share/qemu/firmware (install ovmf)"
    tap_done
    exit
fi
guest_or_skip "an OVMF guest boots"
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
mkdir -p /var/lib/xl-dmr
mount -t tmpfs -o mode=0755 xl-dmr-test /var/lib/xl-dmr
vars=/var/lib/xl-dmr/nvram/ovmf1_VARS.fd
template=/usr/share/OVMF/OVMF_VARS_4M.fd
cat > "$work/ovmf.cfg" <<CFG
name = "ovmf1"
type = "hvm"
memory = 256
dm_restrict = 1
accel = "tcg"
bios = "ovmf"
kernel = "$KERNEL"
ramdisk = "$INITRD"
cmdline = "$CMDLINE"
CFG

"$XL_DMR" create -n --json --domid 1 "$work/ovmf.cfg" > "$work/plan.json"
tap_check "create -n: OVMF from the descriptor without secure boot" \
    [ "$(json_get "$work/plan.json" 'd["firmware"]["descriptor"]')" = '"/usr/share/qemu/firmware/60-edk2-x86_64.json"' ]
tap_check "... CODE read-only and the VARS copy read-write, as fdsets" \
    [ "$(json_get "$work/plan.json" '[(r["kind"], r["writable"], r["fdset"] is not None) for r in d["resources"] if r["kind"] in ("firmware", "nvram")]')" = '[["firmware", false, true], ["nvram", true, true]]' ]
tap_check "... RLIMIT_FSIZE covers the VARS template ($(stat -c %s $template) bytes)" \
    [ "$(json_get "$work/plan.json" 'd["rlimits"]["FSIZE"]')" -ge "$(stat -c %s $template)" ]
tap_check "... the ROMs QEMU reads before it chroots are listed" \
    [ "$(json_get "$work/plan.json" 'd["firmware"]["read_before_chroot"]')" = '["/usr/share/qemu/kvmvapic.bin", "/usr/share/qemu/linuxboot_dma.bin"]' ]
tap_check "create -n made no VARS copy" [ ! -e "$vars" ]

"$XL_DMR" create --domid 1 "$work/ovmf.cfg" 2> "$work/create.err"
tap_check "create: exit 0" [ $? = 0 ]
log=/var/log/xl-dmr/qemu-dm-ovmf1.log
# OVMF under TCG on a loaded host: allow a few minutes.
for _ in $(seq 480); do grep -aq XLDMR-GUEST-READY "$log" 2>/dev/null && break; sleep 0.5; done
tap_check "OVMF boots the guest's kernel (its up marker on the console log)" grep -aq XLDMR-GUEST-READY "$log"
"$XL_DMR" dm-audit ovmf1 > "$work/audit"
tap_check "dm-audit passes" bash -c "[ $? = 0 ] && ! grep -q FAIL $work/audit"
tap_check "the VARS copy: root's, mode 0600, the template's size" \
    [ "$(stat -c '%u %a %s' "$vars")" = "0 600 $(stat -c %s $template)" ]
pid=$(json_get /run/xl-dmr/domains/1.json 'd["dm_pid"]')
tap_check "QEMU holds CODE and VARS by descriptor (it could not open them in its root)" \
    bash -c "ls -l /proc/$pid/fd | grep -q OVMF_CODE_4M.fd && ls -l /proc/$pid/fd | grep -q $vars"
inode=$(stat -c %i "$vars")
"$XL_DMR" destroy ovmf1
left=$(leftovers -u 131073 -m qemu-root-1 -p /run/xl-dmr)
tap_check "destroy: only the VARS copy is left" bash -c "[ -z '$left' ] && [ -f $vars ]"

"$XL_DMR" create --domid 1 "$work/ovmf.cfg" 2> "$work/create2.err"
tap_check "a second start: exit 0" [ $? = 0 ]
tap_check "... it reuses the VARS copy (same inode)" [ "$(stat -c %i "$vars")" = "$inode" ]
"$XL_DMR" dm-audit ovmf1 > /dev/null
tap_check "... dm-audit passes" [ $? = 0 ]
"$XL_DMR" destroy ovmf1

# Every machine key at once, on SeaBIOS: QEMU 7.2 takes the command line
# restricted, and the audit passes.
cat > "$work/keys.cfg" <<CFG
name = "ovmf1"
type = "hvm"
memory = 128
vcpus = 1
maxvcpus = 2
dm_restrict = 1
accel = "tcg"
boot = "dc"
uuid = "6F9C1A52-8e0b-4c5e-9d3a-1b2c3d4e5f60"
localtime = 1
rtc_timeoffset = "-3600"
acpi = 0
soundhw = "hda"
device_model_args = [ "-global", "ICH9-LPC.disable_s3=1" ]
CFG
"$XL_DMR" create --domid 1 "$work/keys.cfg" 2> "$work/keys.err"
tap_check "machine keys (maxvcpus, uuid, boot, rtc, acpi, soundhw, device_model_args): create exit 0" [ $? = 0 ]
"$XL_DMR" dm-audit ovmf1 > /dev/null
tap_check "... dm-audit passes" [ $? = 0 ]
pid=$(json_get /run/xl-dmr/domains/1.json 'd["dm_pid"]')
tap_check "... QEMU runs them" bash -c "tr '\\0' ' ' < /proc/$pid/cmdline | grep -q -- '-smp 1,maxcpus=2 -uuid 6f9c1a52-8e0b-4c5e-9d3a-1b2c3d4e5f60.*-boot order=dc -rtc base=.*-audiodev none,id=audio0 -device intel-hda'"
"$XL_DMR" destroy ovmf1
"$XL_DMR" create --domid 1 "$work/keys.cfg" device_model_args='[ "-device", "e1000,romfile=/etc/shadow" ]' 2> "$work/keys2.err"
rc=$?
left=$(leftovers -u 131073 -m qemu-root-1 -p /run/xl-dmr)
tap_check "device_model_args naming a path property: refused by name, nothing left" \
    bash -c "[ $rc != 0 ] && grep -q 'romfile= is the plan' $work/keys2.err && [ -z '$left' ]"

rm -f "$vars"
echo "not firmware" > "$work/target"
chmod 0644 "$work/target"
ln -s "$work/target" "$vars"
"$XL_DMR" create --domid 1 "$work/ovmf.cfg" 2> "$work/create3.err"
rc=$?
left=$(leftovers -u 131073 -m qemu-root-1 -p /run/xl-dmr)
tap_check "a symlink as the VARS copy: refused, one line naming it" \
    bash -c "[ $rc != 0 ] && grep -q 'VARS copy $vars' $work/create3.err"
tap_check "... not followed (the target unchanged), nothing left" \
    bash -c "[ -L $vars ] && [ \"\$(cat $work/target)\" = 'not firmware' ] && [ \"\$(stat -c %a $work/target)\" = 644 ] && [ -z '$left' ]"
tap_done
