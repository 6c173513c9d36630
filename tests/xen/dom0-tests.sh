#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dom0-tests.sh: the tests run inside the Xen-tier dom0 (Xen 4.17 + Debian 12
# under QEMU TCG; see tests/xen/README).  /init (tests/xen/dom0-init) runs it
# as root between the console markers XLDMR-XEN-TIER-BEGIN/-END; it prints
# TAP lines on standard output:
#     ok N - description
#     not ok N - description
#     ok N # SKIP reason
#     # diagnostic text
#     1..N                        (the plan, at the end)
# and exits 1 if any test failed.  run-tier on the host prints those lines
# and fails on any "not ok".
#
# Layout, so tests can be added without touching the rest:
#   * TAP helpers: ok, not_ok, skip, diag, check, check_eq, wait_for
#   * section "environment"   : Xen, the dom0 user, the paths libxl uses
#   * section "stock xl"      : xl create/destroy of an HVM guest with
#                               dm_restrict=1 and the stock libxl
#   * section "project"       : xl-dmr from the project's make install
#                               tree (/usr/local/sbin), then every
#                               /opt/xl-dmr-tests/tests.d/*.sh, sourced in
#                               this shell (so they use the same helpers and
#                               numbering) in name order
# Set XLDMR_TESTS (dom0 kernel arg xldmr.tests=..., run-tier --tests) to a
# list of section names (env, xl, project) or tests.d file names (without
# .sh), separated by "," or "+", to run only those.

set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
TESTDIR=$(dirname "$(readlink -f "$0")")

# --- TAP helpers ---------------------------------------------------------------
TAP_N=0
TAP_FAILED=0
ok()     { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
skip()   { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $*"; }
diag()   { local l; while IFS= read -r l; do echo "# $l"; done <<< "$*"; }
# diag_file FILE [MAXLINES]: a file's (last) lines as diagnostics
diag_file() {
    [ -r "$1" ] || { diag "($1: not readable)"; return 0; }
    tail -n "${2:-40}" "$1" | sed 's/^/#   /'
}
# check DESC COMMAND...: ok if COMMAND succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# check_eq DESC GOT WANT
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "got '$2', want '$3'"; fi
}
# wait_for SECONDS COMMAND...: poll COMMAND every 0.2 s until it succeeds
wait_for() {
    local end=$(( $(date +%s) + $1 )); shift
    while ! "$@"; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.2
    done
}
# mark TEXT: a diagnostic with dom0's uptime, to see where the time goes
mark() { diag "[$(now) s] $*"; }
# now: seconds since boot, with centiseconds (for timings)
now() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# want SECTION: whether XLDMR_TESTS selects SECTION (all when unset)
want() {
    [ -z "${XLDMR_TESTS:-}" ] && return 0
    case ",${XLDMR_TESTS//+/,}," in *",$1,"*) return 0 ;; esac
    return 1
}
# procs_of_uid UID: pids of processes whose real, effective, saved or fs uid is UID
procs_of_uid() {
    grep -H '^Uid:' /proc/[0-9]*/status 2>/dev/null |
        awk -v u="$1" '{ for (i = 2; i <= 5; i++) if ($i == u) { split($1, p, "/"); print p[3]; next } }'
}
# cmdline_of PID: the process's argv, space-separated
cmdline_of() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null; }

# --- environment -----------------------------------------------------------------
QEMU_XEN=
HVMLOADER=
section_env() {
    mark "section env: Xen, dom0 users, paths"
    local info
    if info=$(xl info 2>&1); then
        ok "xl info works"
        diag "$(grep -E '^(xen_version|xen_caps|virt_caps|total_memory|free_memory|nr_cpus|xen_commandline|dom0_commandline|xen_scheduler|cc_compiler)' <<< "$info" |
                sed 's/ \{2,\}/ /')"
    else
        not_ok "xl info works"
        diag "$info"
    fi
    local caps
    caps=$(sed -n 's/^virt_caps *: *//p' <<< "$info")
    case " $caps " in
        *" hvm "*) ok "Xen offers HVM guests (virt_caps: $caps)" ;;
        *) not_ok "Xen offers HVM guests (virt_caps: $caps)" ;;
    esac
    case " $caps " in
        *" hap "*) ok "Xen has HAP (NPT) for HVM guests (no shadow paging in Debian's build)" ;;
        *) not_ok "Xen has HAP (NPT) for HVM guests (virt_caps: $caps)" ;;
    esac

    local line uid
    line=$(grep '^xen-qemuuser-range-base:' /etc/passwd || true)
    uid=$(cut -d: -f3 <<< "$line")
    check_eq "dom0 /etc/passwd has xen-qemuuser-range-base with uid 131072" "$uid" 131072
    diag "passwd: $line"
    diag "group: $(grep -E '^(xen-qemuuser-range-base|nogroup):' /etc/group | tr '\n' ' ')"

    # The device model binary libxl runs for device_model_version=qemu-xen:
    # Debian's libxl has /usr/libexec/xen-qemu-system-i386 compiled in
    # (from qemu-system-xen).  Check what the library actually contains.
    local lib
    lib=$(ls /usr/lib/x86_64-linux-gnu/libxenlight.so.4.17* 2>/dev/null | head -n1)
    QEMU_XEN=$(grep -ao '/usr/[a-z/_-]*qemu-system-i386[a-z-]*' "$lib" 2>/dev/null | head -n1)
    if [ -n "$QEMU_XEN" ] && [ -x "$QEMU_XEN" ]; then
        ok "libxl's qemu-xen is $QEMU_XEN and it is installed"
        diag "$QEMU_XEN: $(dpkg -S "$QEMU_XEN" 2>/dev/null | cut -d: -f1), $("$QEMU_XEN" -version 2>&1 | head -n1)"
    else
        not_ok "libxl's qemu-xen (${QEMU_XEN:-not found in $lib}) is installed"
    fi
    # Information: can this qemu-xen take -sandbox (seccomp)?  libxl 4.17
    # never passes it; xl-dmr may want to.
    if [ -n "$QEMU_XEN" ] && [ -x "$QEMU_XEN" ]; then
        # QEMU parses its options in order: -sandbox before -version is
        # either refused ("not supported by this QEMU binary") or accepted.
        local sb
        sb=$(timeout 10 "$QEMU_XEN" -sandbox on -version 2>&1 | head -n1)
        diag "qemu-xen links libseccomp: $(ldd "$QEMU_XEN" | grep -q libseccomp && echo yes || echo no); '$QEMU_XEN -sandbox on -version' says: $sb"
    fi
    HVMLOADER=$(ls /usr/lib/xen-4.17/boot/hvmloader 2>/dev/null || true)
    check "hvmloader is at /usr/lib/xen-4.17/boot/hvmloader" test -r "$HVMLOADER"
    diag "xenstored: $(tr "\0" " " < "/proc/$(cat /run/xenstore.pid 2>/dev/null)/cmdline" 2>/dev/null)"
    diag "dom0: $(uname -r), $(nproc) vcpus, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"
}

# --- stock xl, dm_restrict=1 -------------------------------------------------------
GUEST=xldmr-smoke
GUEST_SERIAL=/tmp/guest.serial
GUEST_DISK=/tmp/smoke-disk.img
BOOT_MARK=XLDMR-DISK-BOOT
section_xl() {
    mark "section xl: stock xl create of an HVM guest with dm_restrict=1"
    local base=131072
    if [ ! -s "$TESTDIR/bootsector.img" ]; then
        skip "no $TESTDIR/bootsector.img: cannot make the guest's disk"
        return 0
    fi
    # A 1 MiB raw disk whose boot sector writes XLDMR-DISK-BOOT to COM1.
    dd if=/dev/zero of="$GUEST_DISK" bs=1M count=1 status=none
    dd if="$TESTDIR/bootsector.img" of="$GUEST_DISK" conv=notrunc status=none
    rm -f "$GUEST_SERIAL"
    cat > /tmp/$GUEST.cfg <<EOF
name = "$GUEST"
type = "hvm"
memory = 64
vcpus = 1
device_model_version = "qemu-xen"
dm_restrict = 1
disk = [ "format=raw,vdev=hda,access=rw,target=$GUEST_DISK" ]
boot = "c"
serial = "file:$GUEST_SERIAL"
vga = "none"
vnc = 0
sdl = 0
nographic = 1
vif = [ ]
on_poweroff = "preserve"
on_reboot = "preserve"
on_crash = "preserve"
EOF
    diag "config /tmp/$GUEST.cfg:"
    diag_file /tmp/$GUEST.cfg

    local t out domid pid
    t=$(now)
    if out=$(timeout 120 xl -v create /tmp/$GUEST.cfg 2>&1); then
        ok "xl create (HVM, qemu-xen, dm_restrict=1) succeeds in $(elapsed "$t") s"
    else
        not_ok "xl create (HVM, qemu-xen, dm_restrict=1) succeeds (after $(elapsed "$t") s)"
        diag "$out"
        diag_file /var/log/xen/qemu-dm-$GUEST.log
        diag_file /var/log/xen/xl-$GUEST.log
        xl destroy "$GUEST" >/dev/null 2>&1
        return 0
    fi
    diag "$(tail -n 5 <<< "$out")"
    domid=$(xl domid "$GUEST" 2>/dev/null)
    mark "domid $domid; xl list:"
    diag "$(xl list 2>&1)"

    pid=$(xenstore-read "/local/domain/$domid/image/device-model-pid" 2>/dev/null || true)
    if [ -z "$pid" ]; then
        pid=$(pgrep -f -- "-xen-domid $domid " | head -n1 || true)
    fi
    if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
        ok "the device model runs (pid $pid)"
    else
        not_ok "the device model runs (pid '${pid}')"
        diag_file /var/log/xen/qemu-dm-$GUEST.log
        xl destroy "$GUEST" >/dev/null 2>&1
        return 0
    fi
    local want_uid=$((base + domid)) uids exe cmd
    uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' /proc/$pid/status)
    check_eq "device model runs as uid $base+$domid (real, effective, saved, fs)" \
        "$uids" "$want_uid $want_uid $want_uid $want_uid"
    diag "Gid: $(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' /proc/$pid/status)  Groups: $(awk '$1 == "Groups:" { $1 = ""; print }' /proc/$pid/status)"
    exe=$(readlink /proc/$pid/exe)
    cmd=$(cmdline_of "$pid")
    check_eq "device model binary is libxl's qemu-xen" "$exe" "${QEMU_XEN:-/usr/libexec/xen-qemu-system-i386}"
    case " $cmd " in
        *" -xen-domid-restrict "*) ok "device model has -xen-domid-restrict" ;;
        *) not_ok "device model has -xen-domid-restrict" ;;
    esac
    case " $cmd " in
        *" -chroot "*) ok "device model has -chroot" ;;
        *) not_ok "device model has -chroot" ;;
    esac
    case " $cmd " in
        *" -runas "*) ok "device model has -runas" ;;
        *) not_ok "device model has -runas" ;;
    esac
    diag "cmdline: $cmd"
    diag "root: $(readlink /proc/$pid/root)  cwd: $(readlink /proc/$pid/cwd)"
    diag "xenstore image/device-model-kill-uid: $(xenstore-read "/local/domain/$domid/image/device-model-kill-uid" 2>&1)"
    diag "status: $(grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/$pid/status | tr '\t' ' ' | tr '\n' ';')"
    diag "limits (soft/hard, those not unlimited):"
    diag "$(awk 'NR > 1' /proc/$pid/limits | grep -v 'unlimited *unlimited')"
    local ns nsdiff=
    for ns in /proc/$pid/ns/*; do
        [ "$(readlink "$ns")" = "$(readlink "/proc/1/ns/${ns##*/}")" ] || nsdiff="$nsdiff ${ns##*/}"
    done
    diag "namespaces not shared with init:${nsdiff:- none}"
    diag "qmp sockets: $(ls /var/run/xen/qmp-libxl-* 2>/dev/null | tr '\n' ' ')"
    diag "open fds: $(ls -l /proc/$pid/fd 2>/dev/null | awk 'NR > 1 { print $NF }' | sort | uniq -c | awk '{ printf "%s%s ", ($1 > 1 ? $1 "x" : ""), $2 }')"
    diag "other processes of uid $want_uid: $(procs_of_uid "$want_uid" | grep -vx "$pid" | tr '\n' ' ')"

    # Does the guest run code?  hvmloader -> SeaBIOS -> the boot sector, which
    # writes XLDMR-DISK-BOOT to COM1 (the DM's serial, a file here), then
    # "cli; hlt": Xen takes a vCPU halted with interrupts off as going down,
    # and the domain shuts down (poweroff) -- hence on_poweroff = "preserve",
    # so that the domain and its DM stay until xl destroy.
    mark "waiting for $BOOT_MARK on the guest's serial"
    t=$(now)
    if wait_for 90 grep -q "$BOOT_MARK" "$GUEST_SERIAL"; then
        ok "the HVM guest boots from its disk: $BOOT_MARK on its serial after $(elapsed "$t") s more"
    else
        not_ok "the HVM guest boots from its disk ($BOOT_MARK on its serial within 90 s)"
        diag "guest serial:"
        diag_file "$GUEST_SERIAL"
        diag "qemu-dm log:"
        diag_file /var/log/xen/qemu-dm-$GUEST.log
        diag "xl dmesg:"
        xl dmesg 2>/dev/null | tail -n 30 | sed 's/^/#   /'
    fi

    sleep 1
    mark "after the boot: $(xl list "$GUEST" 2>&1 | tail -n +2)"
    diag "DM still running: $([ -d /proc/$pid ] && echo yes || echo no)"
    t=$(now)
    if out=$(timeout 60 xl destroy "$GUEST" 2>&1); then
        ok "xl destroy succeeds in $(elapsed "$t") s"
    else
        not_ok "xl destroy succeeds"
        diag "$out"
    fi
    wait_for 10 sh -c "! xl domid $GUEST >/dev/null 2>&1"
    check "the domain is gone" sh -c "! xl domid $GUEST >/dev/null 2>&1"
    local left
    wait_for 10 test -z "$(procs_of_uid "$want_uid")"
    left=$(procs_of_uid "$want_uid" | tr '\n' ' ')
    check_eq "no process left with uid $want_uid" "$left" ""
    check "the device model (pid $pid) is gone" test ! -d "/proc/$pid"
    mark "left in /var/run/xen: $(ls /var/run/xen 2>/dev/null | tr '\n' ' ')"
}

# --- project tests ---------------------------------------------------------------
# make install puts xl-dmr in /usr/local/sbin (automake sbin_PROGRAMS); look
# in both.
XL_DMR=
section_project() {
    XL_DMR=$(command -v xl-dmr || true)
    mark "section project: ${XL_DMR:-no xl-dmr}"
    if [ -z "$XL_DMR" ]; then
        skip "no xl-dmr in /usr/local/{bin,sbin} (build-dom0 ran without --install-dir)"
        return 0
    fi
    local missing out rc
    missing=$(ldd "$XL_DMR" 2>&1 | grep 'not found' || true)
    check_eq "$XL_DMR finds all its libraries" "$missing" ""
    diag "$(ls /usr/local/lib/libdmrestrict* 2>/dev/null | tr '\n' ' ')"
    out=$("$XL_DMR" --help 2>&1); rc=$?
    check_eq "xl-dmr --help exits 0" "$rc" 0
    # Information only (not a test yet): what xl-dmr plans for the smoke
    # guest's config on a real Xen dom0.
    if [ -r /tmp/$GUEST.cfg ]; then
        out=$("$XL_DMR" create -n /tmp/$GUEST.cfg 2>&1); rc=$?
        diag "xl-dmr create -n /tmp/$GUEST.cfg: exit $rc"
        diag "$(head -n 60 <<< "$out")"
    fi
    # More project tests: drop files into tests/xen/tests.d/ (NN-name.sh);
    # they are sourced after this section, in name order, with the helpers
    # above ($XL_DMR, $GUEST, /tmp/$GUEST.cfg, $TESTDIR/bootsector.img).
}

run_tests_d() {
    local f name
    for f in "$TESTDIR"/tests.d/*.sh; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .sh)
        want project || want "$name" || continue
        mark "tests.d/$name"
        # shellcheck disable=SC1090
        . "$f"
    done
}

# --- main ----------------------------------------------------------------------
diag "dom0-tests.sh on $(uname -n), uptime $(now) s, XLDMR_TESTS='${XLDMR_TESTS:-}'"
want env && section_env
# The stock-xl smoke test is the recipe's own check, run when asked for
# (run-tier --tests xl): tests.d repeats its checks with xl-dmr, and its
# control runs stock xl.
[ -n "${XLDMR_TESTS:-}" ] && want xl && section_xl
want project && section_project
run_tests_d
echo "1..$TAP_N"
diag "$TAP_FAILED of $TAP_N failed; uptime $(now) s"
[ "$TAP_FAILED" -eq 0 ]
