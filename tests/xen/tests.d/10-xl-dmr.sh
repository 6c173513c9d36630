# SPDX-License-Identifier: GPL-2.0-or-later
# xl-dmr's xen backend on real Xen 4.17 and qemu-xen, in the tier's dom0
# (sourced by dom0-tests.sh after its sections; its helpers: ok, not_ok,
# skip, diag, check, check_eq, wait_for, mark, procs_of_uid, cmdline_of).
#
#  1. an HVM guest made by `xl-dmr create` with dm_restrict=1: its DM runs
#     as range-base + domid with -xen-domid-restrict and the chroot, and
#     is audited clean (at create, and by dm-audit);
#  2. libxl's RLIMIT_FSIZE (256 KiB) raised: the guest's own write 2 MiB
#     into its disk lands (stock xl, as a control, makes it fail);
#  3. cd-insert / cd-eject through libxl (add-fd), no descriptor of an
#     ejected image left in the DM;
#  4. pci-attach refused on it, nothing assigned;
#  5. a second "device model" of the domain, as root, named by dm-audit
#     and killed by destroy;
#  6. destroy: no domain, no process of the uid, no chroot, no state;
#  7. the legacy-PCI rule: dm_restrict off with pci= plans root with a
#     warning, dm_restrict on is refused; the real assignment is tried and
#     libxl refuses it here (nested Xen has no IOMMU), leaving nothing;
#  8. serial = "pty": qemu-xen's own pty is planned, the guest is created
#     and audited clean, libxl records the pty for xl console;
#  9. a cfg with keys the xen backend does not carry to libxl (vif, vnc):
#     refused, both named, and nothing of the domain made.

XD_BASE=131072
XD_DISK=/tmp/xd-disk.img
XD_SERIAL=/tmp/xd.serial
XD_ERR=/tmp/xd.err

xd_disk() {  # a 4 MiB raw disk whose boot sector writes itself to LBA 4096
    dd if=/dev/zero of="$1" bs=1M count=4 status=none
    dd if="$TESTDIR/diskwrite.img" of="$1" conv=notrunc status=none
}
xd_written() {  # did the guest's sector land 2 MiB in?
    cmp -s <(dd if="$1" bs=512 skip=4096 count=1 status=none) "$TESTDIR/diskwrite.img"
}
xd_not_written() { ! xd_written "$1"; }
xd_cfg() {  # NAME DISK SERIAL [KEY=VALUE lines...]
    local name=$1 disk=$2 serial=$3; shift 3
    printf 'name = "%s"\ntype = "hvm"\nmemory = 64\nvcpus = 1\ndm_restrict = 1\n' "$name"
    printf 'disk = [ "format=raw,vdev=hda,access=rw,target=%s", "vdev=hdc,access=ro,devtype=cdrom,target=" ]\n' "$disk"
    printf 'boot = "c"\nserial = "file:%s"\n' "$serial"
    printf '%s\n' "$@"
}
xd_fds_naming() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c -- "-> $2\$"; }
# The edu device the tier's QEMU adds: a PCI device no driver takes.
XD_PCI=$(for d in /sys/bus/pci/devices/*; do
             [ "$(cat "$d/vendor" "$d/device" 2>/dev/null | tr '\n' ' ')" = "0x1234 0x11e8 " ] && basename "$d"
         done | head -n1)

xd_section() {
    mark "xl-dmr: the xen backend"
    if [ -z "$XL_DMR" ] || [ ! -s "$TESTDIR/diskwrite.img" ]; then
        skip "no xl-dmr or no diskwrite.img in this dom0"
        return 0
    fi
    # First the control (stock xl), which also leaves its domid "recent".
    xd_control_stock_xl
    xd_disk "$XD_DISK"
    rm -f "$XD_SERIAL"
    xd_cfg dmr1 "$XD_DISK" "$XD_SERIAL" > /tmp/dmr1.cfg
    diag "domid-history: $(tr '\n' ';' < /var/run/xen/domid-history 2>/dev/null)"

    local plan rc t domid pid uid
    plan=$("$XL_DMR" create -n /tmp/dmr1.cfg 2>&1); rc=$?
    diag "$plan"
    check_eq "create -n: plans the range user, libxl's own search (no device_model_user)" \
        "$rc:$(grep -c 'libxl: device_model_user unset' <<< "$plan")" "0:1"
    check "create -n: plans FSIZE raised to the disk's 4 MiB" grep -q 'raises it to 4194304' <<< "$plan"
    check "create -n: says qemu-xen has no seccomp filter (Debian builds it without)" \
        grep -q 'qemu-xen runs without a seccomp filter' <<< "$plan"
    domid=$(sed -n 's/^Domain \([0-9]*\) .*/\1/p' <<< "$plan")
    check "create -n: skips domids libxl used in the last 60 s (planned $domid)" \
        sh -c "! grep -q ' $domid\$' /var/run/xen/domid-history 2>/dev/null"

    t=$(now)
    "$XL_DMR" create /tmp/dmr1.cfg > /tmp/xd.out 2> "$XD_ERR"; rc=$?
    if [ "$rc" = 0 ]; then
        ok "xl-dmr create (HVM, dm_restrict=1) through libxl in $(elapsed "$t") s"
    else
        not_ok "xl-dmr create (HVM, dm_restrict=1) through libxl: exit $rc"
        diag_file "$XD_ERR"
        diag_file /var/log/xen/qemu-dm-dmr1.log
        xl destroy dmr1 > /dev/null 2>&1
        return 0
    fi
    check_eq "libxl made the planned domid" "$(xl domid dmr1 2>&1)" "$domid"
    pid=$(xenstore-read "/local/domain/$domid/image/device-model-pid" 2>/dev/null)
    uid=$((XD_BASE + domid))
    check_eq "its DM runs as range-base + domid ($uid: real, effective, saved, fs)" \
        "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")" "$uid $uid $uid $uid"
    local cmd
    cmd=$(cmdline_of "$pid")
    check "... with -xen-domid-restrict and -chroot /var/run/xen/qemu-root-$domid" \
        grep -q -- "-xen-domid-restrict -chroot /var/run/xen/qemu-root-$domid " <<< "$cmd "
    check_eq "... chrooted there" "$(readlink "/proc/$pid/root")" "/run/xen/qemu-root-$domid"
    check_eq "... with RLIMIT_FSIZE raised to 4 MiB (libxl set 256 KiB)" \
        "$(awk '/^Max file size/ { print $4, $5 }' "/proc/$pid/limits")" "4194304 4194304"
    grep -q "audit" "$XD_ERR" && diag_file "$XD_ERR"
    "$XL_DMR" dm-audit dmr1 > /tmp/xd.audit 2>&1; rc=$?
    check_eq "dm-audit on qemu-xen: every check passes" "$rc" 0
    diag_file /tmp/xd.audit

    if wait_for 60 grep -q "XLDMR-DISK-WRITE" "$XD_SERIAL"; then
        check_eq "the guest's write 2 MiB into its disk succeeds (its serial)" \
            "$(grep -ao 'XLDMR-DISK-WRITE [a-z]*' "$XD_SERIAL")" "XLDMR-DISK-WRITE ok"
    else
        not_ok "the guest says whether its write worked (no XLDMR-DISK-WRITE in 60 s)"
        diag_file /var/log/xen/qemu-dm-dmr1.log
    fi
    check "... and its sector is in the image at 2 MiB" xd_written "$XD_DISK"

    mark "cdrom through libxl"
    # cdrom: libxl opens the image and passes it by add-fd.
    dd if=/dev/zero of=/tmp/cd1.iso bs=1M count=1 status=none
    dd if=/dev/zero of=/tmp/cd2.iso bs=1M count=1 status=none
    "$XL_DMR" cd-insert dmr1 hdc /tmp/cd1.iso 2> "$XD_ERR"; rc=$?
    check_eq "cd-insert through libxl: exit 0 ($(head -c 200 "$XD_ERR"))" "$rc" 0
    # (two: the fdset's, and the one QEMU's block layer dup()ed from /dev/fdset/N)
    check "... the DM holds cd1.iso by the descriptors it was given" \
        [ "$(xd_fds_naming "$pid" /tmp/cd1.iso)" -ge 1 ]
    "$XL_DMR" dm-audit dmr1 > /tmp/xd.audit 2>&1; rc=$?
    check_eq "... and dm-audit still passes (the medium libxl records)" "$rc" 0
    [ "$rc" = 0 ] || diag_file /tmp/xd.audit
    "$XL_DMR" cd-insert dmr1 hdc /tmp/cd2.iso 2> "$XD_ERR"; rc=$?
    check "cd-insert of another image: exit 0, no descriptor of cd1.iso left, cd2.iso held" \
        [ "$rc:$(xd_fds_naming "$pid" /tmp/cd1.iso):$(xd_fds_naming "$pid" /tmp/cd2.iso | sed 's/^[1-9][0-9]*$/held/')" = "0:0:held" ]
    "$XL_DMR" cd-eject dmr1 hdc 2> "$XD_ERR"; rc=$?
    check_eq "cd-eject: exit 0, no descriptor of cd2.iso left" "$rc:$(xd_fds_naming "$pid" /tmp/cd2.iso)" "0:0"
    [ "$rc" = 0 ] || diag_file "$XD_ERR"

    # PCI passthrough on Xen needs a root DM: refused, nothing assigned.
    if [ -n "$XD_PCI" ]; then
        "$XL_DMR" pci-attach dmr1 "$XD_PCI" 2> "$XD_ERR"; rc=$?
        check "pci-attach $XD_PCI to the restricted DM: refused, exit 1, one line" \
            sh -c "[ $rc = 1 ] && [ \$(wc -l < $XD_ERR) = 1 ] && grep -q 'not root, and Xen PCI passthrough in QEMU needs root' $XD_ERR"
        check_eq "... nothing assigned (xl pci-list)" "$(xl pci-list dmr1 2>&1 | tail -n +2)" ""
    else
        skip "pci-attach: the tier's QEMU gave dom0 no edu device"
    fi

    # A second device model of the domain, running as root (as libxl's
    # xenpv QEMU for a PV guest with a vfb does): named, then killed.
    sh -c 'while :; do sleep 1; done' -xen-domid "$domid" &
    local rogue=$!
    "$XL_DMR" dm-audit dmr1 > /tmp/xd.audit 2>&1; rc=$?
    check "dm-audit names another device model of the domain, as root: exit 3" \
        sh -c "[ $rc = 3 ] && grep -q 'device_models.*pid $rogue as uid 0 (root: NOT restricted)' /tmp/xd.audit"

    mark "destroy"
    t=$(now)
    "$XL_DMR" destroy dmr1 2> "$XD_ERR"; rc=$?
    check_eq "xl-dmr destroy through libxl: exit 0 (in $(elapsed "$t") s)" "$rc" 0
    check "... names the leftover device model as root, and killed it" grep -q "pid $rogue, uid 0: root, NOT restricted) survived libxl's destroy: killed" "$XD_ERR"
    diag_file "$XD_ERR"
    wait "$rogue" 2> /dev/null
    check "... the domain is gone" sh -c "! xl domid dmr1 > /dev/null 2>&1"
    check_eq "... no process with uid $uid" "$(procs_of_uid "$uid" | tr '\n' ' ')" ""
    check "... no chroot /var/run/xen/qemu-root-$domid" test ! -e "/var/run/xen/qemu-root-$domid"
    check "... no state (/run/xl-dmr)" test ! -e "/run/xl-dmr/domains/$domid.json"
    check_eq "... no process given -xen-domid $domid" "$(pgrep -f -- "-xen-domid $domid\$" | tr '\n' ' ')" ""

    xd_audit_refuses_wrong_identity
    xd_serial_pty
    xd_keys_not_carried
    xd_root_dm_pci_attach
    xd_legacy_pci
    xd_pv_vfb
}

# A PV guest with a vfb under dm_restrict (made by stock xl: xl-dmr makes
# only HVM guests) gets a xenpv QEMU that libxl runs as root, and that
# outlives libxl's destroy (seen with stock xl destroy in this dom0: the
# README). xl-dmr destroy takes xl's domains too: afterwards no device
# model of the domain is left, and the survivor is named as root.
xd_pv_vfb() {
    mark "a PV guest with a vfb"
    if [ ! -s "$TESTDIR/vmlinuz" ]; then
        skip "PV guest with a vfb: no kernel in $TESTDIR"
        return 0
    fi
    local domid dms rc
    printf '%s\n' 'name = "dmr-pv"' 'type = "pv"' "kernel = \"$TESTDIR/vmlinuz\"" \
        'memory = 128' 'vcpus = 1' 'dm_restrict = 1' 'extra = "console=hvc0"' \
        'vfb = [ "vnc=1,vnclisten=127.0.0.1" ]' 'on_crash = "preserve"' \
        'on_poweroff = "preserve"' 'on_reboot = "preserve"' > /tmp/dmr-pv.cfg
    # The patched libxl (tools/xen-patches, 0007) refuses it, in setdefault:
    # its message has no "Domain N:" yet (a domain built first would have).
    if ldd /usr/lib/xen-4.17/bin/xl 2>/dev/null | grep -q libdmrestrict; then
        local before
        before=$(xenstore-list /local/domain 2>/dev/null | tr '\n' ' ')
        xl create /tmp/dmr-pv.cfg > /tmp/xd.out 2>&1; rc=$?
        diag_file /tmp/xd.out 5
        check "PV guest with a vfb, dm_restrict=1: the patched xl refuses it before the domain exists (its xenpv QEMU would run as root)" \
            sh -c "[ $rc != 0 ] && grep -q 'needs a QEMU in dom0 (for its vfb, qdisk disks, 9pfs or channels), which libxl cannot run restricted' /tmp/xd.out && grep -q 'xenpv_refuse: dm_restrict=1' /tmp/xd.out"
        wait_for 10 sh -c "[ \"\$(xenstore-list /local/domain 2>/dev/null | tr '\n' ' ')\" = '$before' ]"
        check_eq "... and destroys what it had made: no domain left, no QEMU" \
            "$(xenstore-list /local/domain 2>/dev/null | tr '\n' ' ')$(pgrep -f -- '-name dmr-pv')" "$before"
    fi
    # Debian's libxl runs it, its xenpv QEMU as root: what xl-dmr destroy meets.
    if ! xl_debian create /tmp/dmr-pv.cfg > /tmp/xd.out 2>&1; then
        not_ok "PV guest with a vfb: xl create with Debian's libxl"
        diag_file /tmp/xd.out
        return 0
    fi
    domid=$(xl domid dmr-pv)
    dms=$(pgrep -f -- "-xen-domid $domid " | while read -r p; do
              echo "pid $p uid $(awk '$1 == "Uid:" { print $3 }' /proc/$p/status)"; done)
    check "PV guest with a vfb, dm_restrict=1, Debian's libxl: its xenpv QEMU runs as root ($dms)" \
        grep -q "uid 0\$" <<< "$dms"
    "$XL_DMR" destroy dmr-pv 2> "$XD_ERR"; rc=$?
    diag_file "$XD_ERR"
    check "xl-dmr destroy of xl's PV domain: exit 0, the domain is gone" \
        sh -c "[ $rc = 0 ] && ! xl domid dmr-pv > /dev/null 2>&1"
    check_eq "... and no device model of it is left" "$(pgrep -f -- "-xen-domid $domid " | tr '\n' ' ')" ""
    if grep -q "survived libxl's destroy" "$XD_ERR"; then
        check "... the root xenpv QEMU that outlived libxl's destroy: named as root, killed" \
            grep -q "uid 0: root, NOT restricted) survived libxl's destroy: killed" "$XD_ERR"
    else
        skip "naming a surviving root xenpv QEMU: libxl's destroy left none this time"
    fi
}

# A qemu-xen that drops libxl's -runas (through device_model_override): it
# runs as root, the audit at create fails, and the domain is destroyed.
xd_audit_refuses_wrong_identity() {
    mark "a qemu-xen that drops -runas"
    cat > /tmp/qemu-no-runas <<'WRAP'
#!/bin/sh
# Drop "-runas USER" from libxl's arguments, then run the real qemu-xen.
n=$#; i=0; skip=
for a in "$@"; do
    i=$((i + 1))
    if [ -n "$skip" ]; then skip=; elif [ "$a" = -runas ]; then skip=1; else set -- "$@" "$a"; fi
done
shift "$n"
exec /usr/libexec/xen-qemu-system-i386 "$@"
WRAP
    chmod 755 /tmp/qemu-no-runas
    xd_disk /tmp/xd-wrap.img
    xd_cfg dmr-wrap /tmp/xd-wrap.img /tmp/xd-wrap.serial 'device_model_override = "/tmp/qemu-no-runas"' \
        > /tmp/dmr-wrap.cfg
    local rc domid
    "$XL_DMR" create /tmp/dmr-wrap.cfg > /tmp/xd.out 2> "$XD_ERR"; rc=$?
    diag_file "$XD_ERR"
    domid=$(sed -n 's/.*Domain \([0-9]*\): audit: .*/\1/p' "$XD_ERR" | head -n1)
    check "a qemu-xen that drops -runas: the audit at create fails on its uid, exit 1" \
        sh -c "[ $rc = 1 ] && grep -q 'audit: uid: real, effective, saved, fs: 0 0 0 0' $XD_ERR && grep -q 'not restricted as planned; the domain is destroyed' $XD_ERR"
    check "... the domain is destroyed, nothing of it left (domain, DM, state, chroot)" \
        sh -c "! xl domid dmr-wrap > /dev/null 2>&1 && [ -z \"\$(pgrep -f -- '-xen-domid $domid\$')\" ] && [ ! -e /run/xl-dmr/domains/$domid.json ] && [ ! -e /var/run/xen/qemu-root-$domid ]"
}

# serial = "pty": qemu-xen opens /dev/ptmx itself (before it chroots) and
# libxl reads the pty's name over QMP for xl console. Before it was
# planned, create failed the audit on that descriptor.
xd_serial_pty() {
    mark "serial = \"pty\""
    local rc domid pid tty
    xd_disk /tmp/xd-pty.img
    xd_cfg dmr-pty /tmp/xd-pty.img /dev/null | grep -v '^serial' > /tmp/dmr-pty.cfg
    echo 'serial = "pty"' >> /tmp/dmr-pty.cfg
    "$XL_DMR" create -n /tmp/dmr-pty.cfg > /tmp/xd.plan 2>&1; rc=$?
    check "serial=\"pty\", create -n: qemu-xen's own pty is planned" \
        sh -c "[ $rc = 0 ] && grep -q '^Serial: a pty QEMU opens itself (/dev/ptmx' /tmp/xd.plan"
    "$XL_DMR" create /tmp/dmr-pty.cfg > /tmp/xd.out 2> "$XD_ERR"; rc=$?
    check_eq "xl-dmr create of an HVM guest with serial=\"pty\", dm_restrict=1: exit 0 (the audit at create passes)" "$rc" 0
    if [ "$rc" != 0 ]; then
        diag_file "$XD_ERR"
        diag_file /var/log/xen/qemu-dm-dmr-pty.log
        xl destroy dmr-pty > /dev/null 2>&1
        return 0
    fi
    domid=$(xl domid dmr-pty)
    pid=$(xenstore-read "/local/domain/$domid/image/device-model-pid" 2>/dev/null)
    check "... its DM holds the pty it opened (/dev/ptmx)" [ "$(xd_fds_naming "$pid" /dev/ptmx)" -ge 1 ]
    tty=$(xenstore-read "/local/domain/$domid/serial/0/tty" 2>/dev/null)
    check "... and libxl recorded its terminal for xl console ($tty)" \
        sh -c "case '$tty' in /dev/pts/[0-9]*) exit 0;; *) exit 1;; esac"
    "$XL_DMR" dm-audit dmr-pty > /tmp/xd.audit 2>&1; rc=$?
    check "... dm-audit passes, counting the pty as planned" \
        sh -c "[ $rc = 0 ] && grep -q 'serial pty (/dev/ptmx) 1' /tmp/xd.audit"
    diag_file /tmp/xd.audit
    "$XL_DMR" destroy dmr-pty 2> "$XD_ERR"; rc=$?
    check "... destroy: exit 0, the domain and its DM gone" \
        sh -c "[ $rc = 0 ] && ! xl domid dmr-pty > /dev/null 2>&1 && [ -z \"\$(pgrep -f -- '-xen-domid $domid\$')\" ]"
}

# A cfg with keys the xen backend does not pass to libxl: refused before
# anything is made, naming each, pointing at the patched xl create.
xd_keys_not_carried() {
    mark "keys the xen backend does not carry"
    local rc
    xd_cfg dmr-keys /tmp/xd-stock.img /tmp/xd-keys.serial "vif = [ 'bridge=xenbr0' ]" 'vnc = 1' \
        > /tmp/dmr-keys.cfg
    "$XL_DMR" create /tmp/dmr-keys.cfg > /tmp/xd.out 2> "$XD_ERR"; rc=$?
    diag_file "$XD_ERR"
    check "a cfg with vif and vnc: refused, exit 1, one line naming both, pointing at the patched xl create" \
        sh -c "[ $rc = 1 ] && [ \$(wc -l < $XD_ERR) = 1 ] && grep -q \"/tmp/dmr-keys.cfg: vif, vnc: not carried by xl-dmr's xen backend; use xl create (with the libdmrestrict patches) for this config\" $XD_ERR"
    check "... nothing of it made: no domain, no state, no device model, no log" \
        sh -c "! xl domid dmr-keys > /dev/null 2>&1 && ! grep -qs '\"name\":\"dmr-keys\"' /run/xl-dmr/domains/*.json && [ -z \"\$(pgrep -f -- '-name [d]mr-keys')\" ] && [ ! -e /var/log/xen/qemu-dm-dmr-keys.log ]"
    "$XL_DMR" create -n /tmp/dmr-keys.cfg 'vif=[]' 'vnc=0' > /dev/null 2> "$XD_ERR"; rc=$?
    check_eq "... the same cfg without them (vif=[], vnc=0 overrides) plans" "$rc" 0
}

# pci-attach to a root DM (dm_restrict=0): warned, then libxl tries and,
# without an IOMMU, refuses; nothing changes.
xd_root_dm_pci_attach() {
    mark "pci-attach to a root DM"
    if [ -z "$XD_PCI" ]; then
        skip "pci-attach to a root DM: the tier's QEMU gave dom0 no edu device"
        return 0
    fi
    local rc
    xd_disk /tmp/xd-root.img
    xd_cfg dmr-root /tmp/xd-root.img /tmp/xd-root.serial > /tmp/dmr-root.cfg
    if ! "$XL_DMR" create /tmp/dmr-root.cfg dm_restrict=0 > /tmp/xd.out 2> "$XD_ERR"; then
        not_ok "create with dm_restrict=0 (a root DM)"
        diag_file "$XD_ERR"
        return 0
    fi
    local before
    before=$(cat /run/xl-dmr/domains/*.pci.json 2>/dev/null; xl pci-list dmr-root 2>&1)
    "$XL_DMR" pci-attach dmr-root "$XD_PCI" 2> "$XD_ERR"; rc=$?
    diag_file "$XD_ERR"
    check "pci-attach $XD_PCI to a root DM: warned that it is not restricted" \
        grep -q "device model runs as root and is not restricted" "$XD_ERR"
    check "... then libxl is asked, and refuses here (no IOMMU): exit 1, saying libxl could not" \
        sh -c "[ $rc = 1 ] && grep -q 'libxl could not attach it' $XD_ERR"
    check_eq "... nothing changed (xl pci-list, xl-dmr's record)" \
        "$(cat /run/xl-dmr/domains/*.pci.json 2>/dev/null; xl pci-list dmr-root 2>&1)" "$before"
    "$XL_DMR" destroy dmr-root 2> "$XD_ERR"
    check "... destroy of the root-DM domain: gone" sh -c "! xl domid dmr-root > /dev/null 2>&1"
}

# Debian's own libxl, where make install-xen-tools overlaid the patched
# one (build-dom0 keeps Debian's in /opt/xl-dmr-tests/debian-libxl).
xl_debian() { LD_LIBRARY_PATH=$TESTDIR/debian-libxl xl "$@"; }

# The control: stock xl with Debian's libxl, whose qemu-xen keeps libxl's
# 256 KiB FSIZE.
xd_control_stock_xl() {
    mark "control: stock xl, Debian's libxl's FSIZE"
    check "control: xl runs Debian's libxl ($TESTDIR/debian-libxl), not the patched one" \
        sh -c "LD_LIBRARY_PATH=$TESTDIR/debian-libxl ldd /usr/lib/xen-4.17/bin/xl | grep -q '$TESTDIR/debian-libxl/libxenlight' && ! LD_LIBRARY_PATH=$TESTDIR/debian-libxl ldd /usr/lib/xen-4.17/bin/xl | grep -q libdmrestrict"
    xd_disk /tmp/xd-stock.img
    rm -f /tmp/xd-stock.serial
    xd_cfg dmr-stock /tmp/xd-stock.img /tmp/xd-stock.serial 'device_model_version = "qemu-xen"' \
        > /tmp/dmr-stock.cfg
    if ! xl_debian create /tmp/dmr-stock.cfg > /tmp/xd.out 2>&1; then
        not_ok "control: stock xl create of the same guest"
        diag_file /tmp/xd.out
        return 0
    fi
    wait_for 60 grep -q "XLDMR-DISK-WRITE" /tmp/xd-stock.serial
    check_eq "control, stock xl (FSIZE 256 KiB): the same write fails in the guest" \
        "$(grep -ao 'XLDMR-DISK-WRITE [a-z]*' /tmp/xd-stock.serial)" "XLDMR-DISK-WRITE fail"
    check "... and is not in the image" xd_not_written /tmp/xd-stock.img
    diag "$(grep -i 'too large\|error' /var/log/xen/qemu-dm-dmr-stock.log | head -n 3)"
    xl_debian destroy dmr-stock > /dev/null 2>&1
}

# QEMU's Xen PCI passthrough needs root: dm_restrict off plans root and
# warns; dm_restrict on is refused before Xen is touched.
xd_legacy_pci() {
    mark "the legacy-PCI rule"
    if [ -z "$XD_PCI" ]; then
        skip "legacy PCI rule: the tier's QEMU gave dom0 no edu device"
        return 0
    fi
    local rc
    xd_cfg dmr-pci /tmp/xd-stock.img /tmp/xd-pci.serial "pci = [ '$XD_PCI' ]" > /tmp/dmr-pci.cfg
    "$XL_DMR" create -n /tmp/dmr-pci.cfg > /tmp/xd.out 2> "$XD_ERR"; rc=$?
    check "legacy PCI, dm_restrict=1: refused at plan, exit 1, saying why" \
        sh -c "[ $rc = 1 ] && grep -q 'dm_restrict=1 with PCI passthrough' $XD_ERR"
    "$XL_DMR" create -n /tmp/dmr-pci.cfg dm_restrict=0 > /tmp/xd.plan 2>&1; rc=$?
    diag_file /tmp/xd.plan
    check "legacy PCI, dm_restrict=0: planned as root, with the warning" \
        sh -c "[ $rc = 0 ] && grep -q '^Device model user: root' /tmp/xd.plan && grep -q 'Warning: Cannot run QEMU as non-root when PCI devices are being assigned' /tmp/xd.plan"
    # The real assignment: libxl needs an IOMMU, which nested Xen lacks.
    "$XL_DMR" create /tmp/dmr-pci.cfg dm_restrict=0 > /tmp/xd.out 2> "$XD_ERR"; rc=$?
    diag "create with pci=, dm_restrict=0 (exit $rc):"
    diag_file "$XD_ERR"
    check "... the real assignment fails here (no IOMMU under nested Xen), exit 1" [ "$rc" = 1 ]
    check "... and leaves no domain, no state, no device model" \
        sh -c "! xl domid dmr-pci > /dev/null 2>&1 && ! ls /run/xl-dmr/domains/*.json > /dev/null 2>&1 && [ -z \"\$(pgrep -f -- '-name [d]mr-pci')\" ]"
}


xd_section
