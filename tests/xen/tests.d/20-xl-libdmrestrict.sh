# SPDX-License-Identifier: GPL-2.0-or-later
# Xen's own xl, with the libxl of tools/xen-patches/4.17 built
# --with-libdmrestrict (make install-xen-tools) overlaid on the dom0, and
# stock command names: xl create, cd-insert, cd-eject, pci-attach,
# destroy (sourced by dom0-tests.sh; its helpers: ok, not_ok, skip, diag,
# check, check_eq, wait_for, mark, procs_of_uid, cmdline_of; XD_PCI from
# 10-xl-dmr.sh).  The tests match the library's own messages, so stock
# libxl cannot pass them.
#
#  1. xl create of an HVM guest with dm_restrict=1, an 8 MiB writable
#     file disk, an empty cdrom, a vif on a bridge made here, vnc on
#     127.0.0.1 and serial="pty": the DM's uids are range base + domid,
#     CapEff 0, chrooted, -xen-domid-restrict, FSIZE covers the disk (the
#     guest's write 2 MiB in lands, once `xl unpause` has it running, and
#     it has not reset or crashed: on_reboot and on_crash are preserve),
#     NIC and VNC on its command line;
#     libxl recorded it and `xl-dmr dm-audit` passes;
#  2. xl cd-insert / cd-eject: the image reaches the DM as a descriptor,
#     none is left after the eject;
#  3. xl pci-attach to it: refused with the library's reason, nothing
#     assigned;
#  4. a second guest at the same time gets its own uid;
#  5. xl destroy: no process of the uid, no chroot, no record;
#  6. pci= with dm_restrict=1: refused by the library before the domain
#     exists; with dm_restrict=0: its warning, then libxl's own no-IOMMU
#     refusal (nested Xen has none);
#  7. a root DM (dm_restrict=0): recorded; xl pci-attach warns, then
#     libxl tries (and, without an IOMMU, fails);
#  8. when the library cannot answer: a facts error refuses a
#     dm_restrict=1 domain before it exists; without the library
#     installed, libxenlight does not load and nothing is made.

XP_BASE=131072
XP_ERR=/tmp/xp.err
XP_DISK=/tmp/xp-disk.img

xp_cfg() {  # NAME DISK [KEY=VALUE lines...]
    local name=$1 disk=$2; shift 2
    printf 'name = "%s"\ntype = "hvm"\nmemory = 64\nvcpus = 1\ndm_restrict = 1\n' "$name"
    printf 'disk = [ "format=raw,vdev=hda,access=rw,target=%s", "vdev=hdc,access=ro,devtype=cdrom,target=" ]\n' "$disk"
    # A reset or crash keeps the domain, for the diagnostics: with xl's
    # default (restart) it would come back under the next domid, a DM and
    # a pty the test does not watch.
    printf 'boot = "c"\non_poweroff = "preserve"\non_reboot = "preserve"\non_crash = "preserve"\n'
    printf '%s\n' "$@"
}
xp_dm_pid() { xenstore-read "/local/domain/$1/image/device-model-pid" 2>/dev/null; }
xp_fds_naming() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c -- "-> $2\$"; }
xp_domains() { xenstore-list /local/domain 2>/dev/null | tr '\n' ' '; }
xp_recorded() { "$XL_DMR" list 2>/dev/null | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }'; }

# xp_state DOMID: its state in xl list (r b p s c d, a dash for each flag
# not set: "------" is runnable but not on a CPU); empty: no such domain
xp_state() { xl list 2>/dev/null | awk -v d="$1" '$2 == d { print $5 }'; }
# xp_stuck_diag DOMID PID: what the domain and its DM are doing
xp_stuck_diag() {
    diag "xl list: $(xl list 2>&1 | awk -v d="$1" '$2 == d') (s: it shut down: a reset, or no bootable disk, say)"
    diag "DM $2: $(awk '$1 == "State:"' "/proc/$2/status" 2>&1), wchan $(cat "/proc/$2/wchan" 2>&1)"
    diag "DM threads' states: $(cat /proc/$2/task/*/stat 2>/dev/null | awk '{ print $3 }' | sort | uniq -c | tr '\n' ' ')"
    diag "xenstore device-model state: $(xenstore-read "/local/domain/0/device-model/$1/state" 2>&1)"
    diag "serial read: $(wc -c < /tmp/xp1.serial 2>&1) bytes; reader ${reader:-none}"
    diag_file /var/log/xen/qemu-dm-xp1.log
    diag "the guest's firmware, hvmloader and SeaBIOS (xl dmesg, (d$1) lines):"
    xl dmesg 2>&1 | grep -a "(d$1)" | tail -n 25 | sed 's/^/#   /'
    diag_file /var/log/xen/xl-xp1.log 15
}

xp_section() {
    mark "xl with the patched libxl"
    if ! ldd /usr/lib/xen-4.17/bin/xl 2>/dev/null | grep -q libdmrestrict; then
        skip "xl's libxl is not built with libdmrestrict (no make install-xen-tools in this dom0)"
        return 0
    fi
    if [ -z "$XL_DMR" ] || [ ! -s "$TESTDIR/diskwrite.img" ]; then
        skip "no xl-dmr or no diskwrite.img in this dom0"
        return 0
    fi
    ip link add xenbr0 type bridge 2>/dev/null
    ip link set xenbr0 up

    dd if=/dev/zero of="$XP_DISK" bs=1M count=8 status=none
    dd if="$TESTDIR/diskwrite.img" of="$XP_DISK" conv=notrunc status=none
    xp_cfg xp1 "$XP_DISK" "vif = [ 'bridge=xenbr0' ]" 'vnc = 1' 'vnclisten = "127.0.0.1"' \
        'serial = "pty"' > /tmp/xp1.cfg
    local rc t domid pid uid cmd
    t=$(now)
    xl create -p /tmp/xp1.cfg > /tmp/xp.out 2> "$XP_ERR"; rc=$?
    if [ "$rc" != 0 ]; then
        not_ok "xl create (HVM, dm_restrict=1, vif, vnc, serial=pty, 8 MiB disk, empty cdrom): exit $rc"
        diag_file "$XP_ERR"
        diag_file /var/log/xen/qemu-dm-xp1.log
        xl destroy xp1 > /dev/null 2>&1
        return 0
    fi
    ok "xl create (HVM, dm_restrict=1, vif, vnc, serial=pty, 8 MiB disk, empty cdrom) in $(elapsed "$t") s"
    diag_file "$XP_ERR" 10
    domid=$(xl domid xp1)
    pid=$(xp_dm_pid "$domid")
    uid=$((XP_BASE + domid))
    check_eq "its DM runs as range base + domid ($uid: real, effective, saved, fs)" \
        "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")" "$uid $uid $uid $uid"
    check_eq "... with no capabilities (CapEff)" \
        "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$pid/status")" 0000000000000000
    check_eq "... chrooted in /run/xen/qemu-root-$domid" "$(readlink "/proc/$pid/root")" "/run/xen/qemu-root-$domid"
    cmd=$(cmdline_of "$pid")
    check "... with -xen-domid-restrict" grep -q -- " -xen-domid-restrict " <<< " $cmd "
    check_eq "... with RLIMIT_FSIZE fitted to the 8 MiB disk (stock libxl: 256 KiB)" \
        "$(awk '/^Max file size/ { print $4, $5 }' "/proc/$pid/limits")" "8388608 8388608"
    local devices=
    grep -q -- "-netdev type=tap,id=net0,ifname=vif$domid.0-emu,br=xenbr0" <<< "$cmd" && devices=nic
    grep -q -- "-vnc 127.0.0.1:" <<< "$cmd" && devices="$devices+vnc"
    check_eq "... its NIC (a tap on xenbr0) and VNC (127.0.0.1) on its command line" "$devices" "nic+vnc"
    diag "cmdline: $cmd"
    check "libxl recorded it with the library: xl-dmr list shows xp1" xp_recorded xp1
    "$XL_DMR" dm-audit xp1 > /tmp/xp.audit 2>&1; rc=$?
    check_eq "xl-dmr dm-audit of the domain xl made: every check passes" "$rc" 0
    diag_file /tmp/xp.audit 30

    # The guest writes a sector 2 MiB into its disk and says so on its
    # serial, a pty here: read it from the terminal libxl recorded.
    local tty reader
    tty=$(xenstore-read "/local/domain/$domid/serial/0/tty" 2>/dev/null)
    rm -f /tmp/xp1.serial
    if [ -c "$tty" ]; then
        cat "$tty" > /tmp/xp1.serial 2>/dev/null &
        reader=$!
    fi
    # xl unpause exits 0 whatever libxl says (xl_vmcontrol.c): what it
    # did is looked at instead, and what libxl said shown if it failed.
    t=$(now)
    xl unpause xp1 2> "$XP_ERR"
    local st
    st=$(xp_state "$domid")
    check_eq "xl unpause: domain $domid runs, no longer paused (libxl's QMP cont, then Xen's unpause)" \
        "$(case "$st" in '' | *p*) echo "paused or gone ('$st')" ;; *) echo unpaused ;; esac)" unpaused
    grep -q . "$XP_ERR" && diag_file "$XP_ERR"
    if wait_for 90 grep -q "XLDMR-DISK-WRITE" /tmp/xp1.serial; then
        check_eq "the guest's write 2 MiB into its disk lands (its serial, on the pty $tty) in $(elapsed "$t") s" \
            "$(grep -ao 'XLDMR-DISK-WRITE [a-z]*' /tmp/xp1.serial)" "XLDMR-DISK-WRITE ok"
    else
        not_ok "the guest says on its pty ($tty) whether its write worked (nothing in 90 s; state $(xp_state "$domid"))"
        xp_stuck_diag "$domid" "$pid"
    fi
    st=$(xp_state "$domid")
    check_eq "... and it has not shut down or crashed meanwhile (a reset is kept: on_reboot = preserve)" \
        "$(case "$st" in '' | *s* | *c*) echo "shut down, crashed or gone ('$st')" ;; *) echo alive ;; esac)" alive
    diag "the DM's log, $(wc -l < /var/log/xen/qemu-dm-xp1.log) lines; its last:"
    diag_file /var/log/xen/qemu-dm-xp1.log 6
    [ -n "${reader:-}" ] && kill "$reader" 2>/dev/null && wait "$reader" 2>/dev/null

    mark "xl cd-insert / cd-eject"
    dd if=/dev/zero of=/tmp/xp-cd.iso bs=1M count=1 status=none
    xl cd-insert xp1 hdc /tmp/xp-cd.iso > /dev/null 2> "$XP_ERR"; rc=$?
    check "xl cd-insert: exit 0, the DM holds the image by the descriptor libxl gave it" \
        sh -c "[ $rc = 0 ] && [ \$(ls -l /proc/$pid/fd | grep -c -- '-> /tmp/xp-cd.iso\$') -ge 1 ]"
    if [ "$rc" != 0 ] || [ "$(xp_fds_naming "$pid" /tmp/xp-cd.iso)" = 0 ]; then
        diag "cd-insert: exit $rc; the DM's descriptors: $(ls -l "/proc/$pid/fd" 2>&1 | awk 'NR > 1 { print $NF }' | sort | uniq -c | tr '\n' ' ')"
        diag_file "$XP_ERR"
        diag_file /var/log/xen/qemu-dm-xp1.log 10
    fi
    "$XL_DMR" dm-audit xp1 > /tmp/xp.audit 2>&1; rc=$?
    check_eq "... dm-audit still passes" "$rc" 0
    [ "$rc" = 0 ] || diag_file /tmp/xp.audit
    xl cd-eject xp1 hdc > /dev/null 2> "$XP_ERR"; rc=$?
    wait_for 5 sh -c "[ \$(ls -l /proc/$pid/fd | grep -c -- '-> /tmp/xp-cd.iso\$') = 0 ]"
    check_eq "xl cd-eject: exit 0, no descriptor of the image left" \
        "$rc:$(xp_fds_naming "$pid" /tmp/xp-cd.iso)" "0:0"

    if [ -n "${XD_PCI:-}" ]; then
        local driver_before
        driver_before=$(readlink "/sys/bus/pci/devices/$XD_PCI/driver" 2>/dev/null)
        xl pci-attach xp1 "$XD_PCI" > /dev/null 2> "$XP_ERR"; rc=$?
        diag_file "$XP_ERR"
        check "xl pci-attach $XD_PCI: refused with the library's reason (a DM not root)" \
            sh -c "[ $rc != 0 ] && grep -q 'not root, and Xen PCI passthrough in QEMU needs root: it opens /dev/mem' $XP_ERR"
        check_eq "... nothing assigned: xl pci-list empty, the device's driver unchanged" \
            "$(xl pci-list xp1 2>&1 | tail -n +2):$(readlink "/sys/bus/pci/devices/$XD_PCI/driver" 2>/dev/null)" \
            ":$driver_before"
    else
        skip "xl pci-attach: the tier's QEMU gave dom0 no edu device"
    fi

    mark "a second guest"
    local domid2 pid2 uid2
    dd if=/dev/zero of=/tmp/xp2.img bs=1M count=1 status=none
    # No vnc= line: libxl's default display (VNC on 127.0.0.1, the first
    # free port: 5901 here, xp1 has 5900), before libxl's setdefault ran.
    xp_cfg xp2 /tmp/xp2.img 'serial = "file:/tmp/xp2.serial"' > /tmp/xp2.cfg
    if xl create -p /tmp/xp2.cfg > /dev/null 2> "$XP_ERR"; then
        domid2=$(xl domid xp2)
        pid2=$(xp_dm_pid "$domid2")
        uid2=$((XP_BASE + domid2))
        check "a second guest at the same time (no vnc= line) gets its own uid ($uid2, not $uid)" \
            sh -c "[ $uid2 != $uid ] && [ \"\$(awk '\$1 == \"Uid:\" { print \$3 }' /proc/$pid2/status)\" = $uid2 ]"
        "$XL_DMR" dm-audit xp2 > /tmp/xp.audit 2>&1; rc=$?
        check "... audited clean, its VNC on the next free port" \
            sh -c "[ $rc = 0 ] && grep -q 'vnc 127.0.0.1:59[0-9][0-9] listening' /tmp/xp.audit"
        [ "$rc" = 0 ] || diag_file /tmp/xp.audit
    else
        not_ok "a second guest at the same time: xl create"
        diag_file "$XP_ERR"
    fi

    mark "xl destroy"
    xl destroy xp1 2> "$XP_ERR"; rc=$?
    check_eq "xl destroy: exit 0" "$rc" 0
    wait_for 10 test -z "$(procs_of_uid "$uid")"
    check_eq "... no process of uid $uid" "$(procs_of_uid "$uid" | tr '\n' ' ')" ""
    check "... no chroot /var/run/xen/qemu-root-$domid" test ! -e "/var/run/xen/qemu-root-$domid"
    local recorded=no
    xp_recorded xp1 && recorded=yes
    check_eq "... no record: xl-dmr list does not show it, no state file" \
        "$recorded:$(ls /run/xl-dmr/domains/$domid.json 2>/dev/null)" "no:"
    if [ -n "${domid2:-}" ]; then
        xl destroy xp2 2> "$XP_ERR"
        wait_for 10 test -z "$(procs_of_uid "$uid2")"
        check_eq "the second guest's destroy: no process of its uid, no chroot, no record" \
            "$(procs_of_uid "$uid2" | tr '\n' ' ')$(ls -d /var/run/xen/qemu-root-$domid2 /run/xl-dmr/domains/$domid2.json 2>/dev/null)" ""
    fi

    xp_pci_at_create
    xp_root_dm
    xp_cannot_answer
}

xp_pci_at_create() {
    mark "pci= at create"
    if [ -z "${XD_PCI:-}" ]; then
        skip "pci= at create: the tier's QEMU gave dom0 no edu device"
        return 0
    fi
    local rc before
    dd if=/dev/zero of=/tmp/xp-pci.img bs=1M count=1 status=none
    xp_cfg xp-pci /tmp/xp-pci.img "pci = [ '$XD_PCI' ]" 'vnc = 0' > /tmp/xp-pci.cfg
    before=$(xp_domains)
    xl create /tmp/xp-pci.cfg > /dev/null 2> "$XP_ERR"; rc=$?
    diag_file "$XP_ERR"
    check "pci= with dm_restrict=1: refused with the library's message" \
        sh -c "[ $rc != 0 ] && grep -q 'dm_restrict=1 with PCI passthrough ($XD_PCI) on the xen backend: qemu-xen needs root' $XP_ERR"
    check "... before the domain exists (no domain made, no IOMMU message)" \
        sh -c "[ '$(xp_domains)' = '$before' ] && ! grep -q 'passthrough not supported' $XP_ERR"
    xl create /tmp/xp-pci.cfg dm_restrict=0 > /dev/null 2> "$XP_ERR"; rc=$?
    diag_file "$XP_ERR"
    check "pci= with dm_restrict=0: the warning, then libxl's own no-IOMMU refusal" \
        sh -c "[ $rc != 0 ] && grep -q 'Cannot run QEMU as non-root when PCI devices are being assigned to the guest VM' $XP_ERR && grep -q 'passthrough not supported on this platform' $XP_ERR"
    check_eq "... no domain made" "$(xp_domains)" "$before"
}

xp_root_dm() {
    mark "a root DM (dm_restrict=0)"
    local rc domid
    dd if=/dev/zero of=/tmp/xp-root.img bs=1M count=1 status=none
    xp_cfg xp-root /tmp/xp-root.img 'serial = "file:/tmp/xp-root.serial"' 'vnc = 0' > /tmp/xp-root.cfg
    if ! xl create -p /tmp/xp-root.cfg dm_restrict=0 > /dev/null 2> "$XP_ERR"; then
        not_ok "xl create with dm_restrict=0"
        diag_file "$XP_ERR"
        return 0
    fi
    domid=$(xl domid xp-root)
    check_eq "xl create with dm_restrict=0: its DM runs as root" \
        "$(awk '$1 == "Uid:" { print $3 }' "/proc/$(xp_dm_pid "$domid")/status")" 0
    check "... and libxl recorded it: xl-dmr list shows it" xp_recorded xp-root
    if [ -n "${XD_PCI:-}" ]; then
        xl pci-attach xp-root "$XD_PCI" > /dev/null 2> "$XP_ERR"; rc=$?
        diag_file "$XP_ERR"
        check "xl pci-attach to a root DM: the library's warning, then the attach (which libxl refuses here: no IOMMU)" \
            sh -c "grep -q 'device model runs as root and is not restricted' $XP_ERR && grep -q 'cannot be assigned - no IOMMU' $XP_ERR"
    fi
    xl destroy xp-root 2> "$XP_ERR"
    local state=gone
    xl domid xp-root > /dev/null 2>&1 && state=domain
    xp_recorded xp-root && state="$state+record"
    check_eq "... xl destroy: no domain, no record" "$state" gone
}

xp_cannot_answer() {
    mark "when the library cannot answer"
    local rc before lib domid
    dd if=/dev/zero of=/tmp/xp-na.img bs=1M count=1 status=none
    xp_cfg xp-na /tmp/xp-na.img 'vnc = 0' 'serial = "file:/tmp/xp-na.serial"' > /tmp/xp-na.cfg
    # A library that cannot start (libdmr_ctx_alloc fails, as for an API
    # version mismatch): XL_DMR_SYSROOT that is not an absolute path.
    before=$(xp_domains)
    XL_DMR_SYSROOT=relative xl create -p /tmp/xp-na.cfg > /dev/null 2> "$XP_ERR"; rc=$?
    diag_file "$XP_ERR"
    check "the library cannot start, dm_restrict=1: refused before the domain exists" \
        sh -c "[ $rc != 0 ] && grep -q \"dm_restrict=1 needs libdmrestrict's plan, which it could not give\" $XP_ERR && [ '$(xp_domains)' = '$before' ]"
    XL_DMR_SYSROOT=relative xl create -p /tmp/xp-na.cfg dm_restrict=0 > /dev/null 2> "$XP_ERR"; rc=$?
    diag_file "$XP_ERR"
    check "the library cannot start, dm_restrict=0: warned, created by libxl's own rules" \
        sh -c "[ $rc = 0 ] && grep -q \"libdmrestrict could not plan the device model (above); dm_restrict=0: libxl's own rules decide who it runs as\" $XP_ERR"
    domid=$(xl domid xp-na 2>/dev/null)
    [ -n "$domid" ] && check_eq "... its DM runs as root, as stock libxl decides" \
        "$(awk '$1 == "Uid:" { print $3 }' "/proc/$(xp_dm_pid "$domid")/status" 2>/dev/null)" 0
    xl destroy xp-na > /dev/null 2>&1

    lib=$(ls /usr/local/lib/libdmrestrict.so.1 2>/dev/null)
    if [ -z "$lib" ]; then
        skip "library not installed: no /usr/local/lib/libdmrestrict.so.1 to hide"
        return 0
    fi
    mkdir -p /tmp/xp-hidden
    mv /usr/local/lib/libdmrestrict.so.1* /tmp/xp-hidden/ && ldconfig
    xl create /tmp/xp1.cfg > /dev/null 2> "$XP_ERR"; rc=$?
    check "the library not installed: xl does not start (libxenlight needs it), nothing made" \
        sh -c "[ $rc != 0 ] && grep -q 'libdmrestrict.so.1' $XP_ERR && [ '$(xp_domains)' = '$before' ]"
    diag_file "$XP_ERR" 3
    mv /tmp/xp-hidden/* /usr/local/lib/ && ldconfig
}

xp_section
