#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A restricted guest on a bridge, with real QEMU, in a network namespace
# this test makes (a bridge with an address; nothing of the host's
# network is touched): xl-dmr create runs inside it, makes the vif's tap
# there, puts it on the bridge and hands QEMU the descriptor; QEMU alone
# holds the tap, dm-audit passes, the guest's address answers the host
# side's ping, and destroy leaves no tap. A missing bridge is refused at
# plan time, naming it, leaving nothing; a start that fails leaves no tap.
# DMR_GUEST_DIR: a test guest already built (vmlinuz, initrd.img) to use
# instead of tests/guest/build-guest's.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/guest.sh"
. "$srcdir/tests/lib/leftovers.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-net.XXXXXX)
ns=dmrnet$$
in_ns() { ip netns exec "$ns" "$@"; }
trap 'in_ns "$XL_DMR" destroy net1 2>/dev/null; ip netns del "$ns" 2>/dev/null;
      umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
QEMU=/usr/bin/qemu-system-x86_64
[ -x "$QEMU" ] || { tap_skip "a guest on a bridge" "no $QEMU"; tap_done; exit; }
if ! ip netns add "$ns" 2>/dev/null; then
    tap_skip "a guest on a bridge" "cannot make a network namespace (ip netns add)"
    tap_done; exit
fi
PING=ping
command -v ping > /dev/null || PING="busybox ping"
in_ns ip link set lo up
in_ns ip link add brdmr type bridge
in_ns ip addr add 10.99.0.1/24 dev brdmr
in_ns ip link set brdmr up
if [ -n "${DMR_GUEST_DIR:-}" ]; then
    KERNEL=$DMR_GUEST_DIR/vmlinuz INITRD=$DMR_GUEST_DIR/initrd.img CMDLINE='console=ttyS0 panic=-1 quiet'
else
    guest_or_skip "a guest on a bridge"
fi

userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
cfg() {  # NAME VIF [EXTRA]: a restricted guest with that vif
    cat <<CFG
name = "$1"
type = "hvm"
memory = 128
dm_restrict = 1
dm_backend = "qemu"
accel = "tcg"
kernel = "$KERNEL"
ramdisk = "$INITRD"
cmdline = "$CMDLINE dmr.ip=10.99.0.2/24"
vif = [ '$2' ]
${3:-}
CFG
}
taps() { in_ns ip -o link show type tun 2>/dev/null; }
# Every process holding a descriptor of tap $1, by its fdinfo: pids, one a line.
tap_holders() {
    local fd pid
    for fd in /proc/[0-9]*/fd/*; do
        [ "$(readlink "$fd" 2>/dev/null)" = /dev/net/tun ] || continue
        pid=${fd#/proc/}; pid=${pid%%/*}
        grep -qx "iff:	$1" "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null && echo "$pid"
    done | sort -u
}

# A bridge that does not exist: refused at plan time, naming it.
cfg net0 'bridge=nobr0,model=e1000' > "$work/missing.cfg"
in_ns "$XL_DMR" create "$work/missing.cfg" 2> "$work/missing.err"
rc=$?
tap_check "a missing bridge: create fails" [ $rc != 0 ]
tap_check "... naming the bridge, at plan time" grep -q "bridge nobr0 does not exist" "$work/missing.err"
tap_one_line "... in one line" "$work/missing.err"
tap_check "... leaving no tap, no domain" bash -c "[ -z \"\$(ip netns exec $ns ip -o link show type tun)\" ] && ! grep -qs '\"net0\"' /run/xl-dmr/domains/*.json"

# A start that fails once the tap is made: the tap goes with it.
cat > "$work/failing-qemu" <<EOF
#!/bin/sh
# Probes pass; the start itself fails.
case "\$*" in *-name*) echo "failing on purpose" >&2; exit 1 ;; esac
exec $QEMU "\$@"
EOF
chmod 755 "$work/failing-qemu"
cfg net0 'bridge=brdmr,model=e1000' "device_model_override = \"$work/failing-qemu\"" > "$work/fail.cfg"
in_ns "$XL_DMR" create "$work/fail.cfg" 2> "$work/fail.err"
rc=$?
tap_check "a failed start: create fails, saying why" bash -c "[ $rc != 0 ] && grep -q 'failing on purpose' $work/fail.err"
left=$(leftovers -m "$work/failing-qemu")
tap_check "... and leaves no tap, no process, no domain" \
    bash -c "[ -z \"\$(ip netns exec $ns ip -o link show type tun)\" ] && ! grep -qs '\"net0\"' /run/xl-dmr/domains/*.json && [ -z '$left' ]"

# The guest on the bridge.
cfg net1 'bridge=brdmr,model=e1000,mac=00:16:3e:00:99:01' > "$work/net.cfg"
in_ns "$XL_DMR" create -n "$work/net.cfg" > "$work/plan.txt" 2>&1
tap_check "create -n shows the tap, on its bridge, as a descriptor QEMU gets" \
    grep -Eq "^Network: vif 0 is tap vif[0-9]+\.0-emu on bridge brdmr, e1000 mac 00:16:3e:00:99:01: the toolstack makes it, QEMU gets fd [0-9]+ and opens nothing" "$work/plan.txt"
in_ns "$XL_DMR" create "$work/net.cfg" 2> "$work/create.err"
tap_check "create with a vif on the bridge: exit 0" [ $? = 0 ]
domid=$(python3 -c "import json,sys; print([d for d in json.load(sys.stdin) if d['name'] == 'net1'][0]['domid'])" < <(in_ns "$XL_DMR" list --json))
pid=$(json_get "/run/xl-dmr/domains/$domid.json" 'd["dm_pid"]')
tap=vif$domid.0-emu
tap_check "the tap $tap is on the bridge and up" \
    bash -c "ip netns exec $ns ip -o link show $tap | grep -q 'master brdmr' && ip netns exec $ns ip -o link show $tap | grep -q ',UP'"
tap_check "... held by QEMU alone" [ "$(tap_holders "$tap")" = "$pid" ]
tap_check "... given by descriptor: QEMU's command line names no /dev/net/tun, no ifname, no script" \
    bash -c "tr '\0' ' ' < /proc/$pid/cmdline | grep -Eq -- '-netdev tap,id=net0,fd=[0-9]+ ' && ! tr '\0' ' ' < /proc/$pid/cmdline | grep -Eq 'tun|ifname=|script='"
in_ns "$XL_DMR" dm-audit net1 > "$work/audit" 2>&1
tap_check "dm-audit passes, the tap counted as planned" \
    bash -c "[ $? = 0 ] && ! grep -q FAIL $work/audit && grep -q '; tap 1' $work/audit"
log=/var/log/xl-dmr/qemu-dm-net1.log
# /init says NET (or NET-FAIL) before READY, when it takes dmr.ip at all.
for _ in $(seq 240); do grep -q "XLDMR-GUEST-NET\|XLDMR-GUEST-READY" "$log" 2>/dev/null && break; sleep 0.5; done
if grep -q "XLDMR-GUEST-NET-FAIL\|XLDMR-GUEST-NET eth0" "$log" 2>/dev/null; then
    tap_check "the guest brings eth0 up with 10.99.0.2" grep -q "XLDMR-GUEST-NET eth0 10.99.0.2 up" "$log"
    tap_check "the bridge's side pings the guest through its restricted DM" \
        bash -c "ip netns exec $ns $PING -c 3 -W 2 10.99.0.2 > $work/ping.out 2>&1"
elif grep -q XLDMR-GUEST-READY "$log" 2>/dev/null; then
    tap_skip "the guest brings eth0 up" "this test guest takes no dmr.ip (tests/guest/build-guest)"
    tap_skip "the bridge's side pings the guest" "no address in the guest"
else
    tap_fail "the guest boots" "its log ends:" "$(tail -5 "$log" 2>&1)"
fi
in_ns "$XL_DMR" dm-audit net1 > /dev/null 2>&1
tap_check "dm-audit still passes after the traffic" [ $? = 0 ]
in_ns "$XL_DMR" destroy net1
tap_check "destroy: exit 0" [ $? = 0 ]
tap_check "... no tap left, nobody holds one" bash -c "[ -z \"\$(ip netns exec $ns ip -o link show type tun)\" ]"
left=$(leftovers -u $((131072 + domid)) -m guest=net1)
tap_check "... nothing of the domain left" bash -c "[ ! -e /run/xl-dmr/domains/$domid.json ] && [ -z '$left' ]"
tap_done
