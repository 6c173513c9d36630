#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The display of a restricted guest on the qemu backend, with a real QEMU
# (TCG): a VNC client (tests/lib/vnc_client.py) authenticates with the
# cfg's vncpasswd and reads ServerInit's display size (the VGA text mode
# SeaBIOS leaves, 720x400); a wrong password is refused; vncunused takes
# the next port when 5900 is held; dm-audit passes with exactly that
# listener; the password is in no command line, plan, state file, log or
# `list` output. Everything runs in a network namespace of its own (VNC on
# its loopback, nothing listens on the host's) and a private mount
# namespace for the test users.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
name=$(basename "$0" .sh)
if [ -z "${DMR_IN_NETNS:-}" ]; then
    if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
        tap_skip "$name" "needs root and a network namespace (VNC listens only in one)"
        tap_done; exit 0
    fi
    DMR_IN_NETNS=1 exec unshare -n "$BASH" "$0" "$@"
fi
userns_enter "$@"
if ! python3 -W ignore -c 'import cryptography' 2>/dev/null; then
    tap_skip "$name" "python3 has no cryptography module (scripts/install-deps: python3-cryptography)"
    tap_done; exit 0
fi
ip link set lo up
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
VNC="python3 -W ignore $srcdir/tests/lib/vnc_client.py"
work=$(mktemp -d /tmp/dmr-vnc.XXXXXX)
holder=
trap '"$XL_DMR" destroy vnc1 2>/dev/null; [ -n "$holder" ] && kill "$holder" 2>/dev/null; [ -n "${KEEP:-}" ] && cp -r "$work" /tmp/dmr-vnc-kept;
      umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT

userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
# A password nobody else has: any copy of it found below is a leak.
secret=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 8)
cat > "$work/vnc.cfg" <<CFG
name = "vnc1"
type = "hvm"
memory = 64
dm_restrict = 1
accel = "tcg"
machine = "pc"
vnc = 1
vnclisten = "127.0.0.1"
vncunused = 1
vncpasswd = "$secret"
vga = "stdvga"
usbdevice = "tablet"
keymap = "de"
CFG

# Port 5900 (display 0) is taken: vncunused must go on to 5901.
python3 -c 'import socket,time
s = socket.socket(); s.bind(("127.0.0.1", 5900)); s.listen(1)
print("held", flush=True); time.sleep(600)' > "$work/holder.out" &
holder=$!
for _ in $(seq 50); do grep -q held "$work/holder.out" && break; sleep 0.1; done

"$XL_DMR" create -n "$work/vnc.cfg" > "$work/plan.txt" 2>&1
"$XL_DMR" create -n --json "$work/vnc.cfg" > "$work/plan.json" 2>&1
tap_check "create -n shows the listener QEMU binds and says the password is set" \
    grep -q "VNC: QEMU binds 127.0.0.1 port 5900-5999 (the first free one; create says which) at init, before it chroots; display 0; password: set" "$work/plan.txt"

"$XL_DMR" create "$work/vnc.cfg" > "$work/create.out" 2>&1
tap_check "create: exit 0" [ $? = 0 ]
tap_check "create says which port vncunused took: 5901, 5900 being held" \
    grep -q "vnc: listening on 127.0.0.1 port 5901 (display 1)" "$work/create.out"

out=$(VNC_PASSWORD=$secret $VNC 127.0.0.1 5901)
tap_check "the VNC client authenticates with vncpasswd (got: $out)" \
    bash -c '[[ $0 == ok\ * ]]' "$out"
size=${out#ok }; size=${size%% *}
# SeaBIOS leaves the VGA card in text mode: 80x25 of 9x16 cells; before
# the guest touches it, QEMU shows a 640x480 surface.
tap_check "ServerInit gives the VGA display's size, $size (720x400 text mode, or 640x480)" \
    bash -c '[ "$0" = 720x400 ] || [ "$0" = 640x480 ]' "$size"
out=$(VNC_PASSWORD=${secret}x $VNC 127.0.0.1 5901)
tap_check "a longer password with the same first 8 characters passes (VNC keys on 8)" \
    bash -c '[[ $0 == ok\ * ]]' "$out"
out=$(VNC_PASSWORD=wrong-pw $VNC 127.0.0.1 5901)
tap_check "a wrong password is refused by the SecurityResult (got: $out)" \
    bash -c '[[ $0 == refused\ * ]]' "$out"
out=$($VNC 127.0.0.1 5901 < /dev/null; echo "status $?")
tap_check "no authentication at all is not offered" bash -c '[[ $0 == refused\ * ]]' "$out"

"$XL_DMR" dm-audit vnc1 > "$work/audit.out" 2>&1
tap_check "dm-audit passes with VNC on" [ $? = 0 ]
VNC_PASSWORD=$secret VNC_HOLD=30 $VNC 127.0.0.1 5901 > "$work/viewer.out" 2>&1 &
viewer=$!
for _ in $(seq 100); do grep -q "^ok" "$work/viewer.out" && break; sleep 0.1; done
"$XL_DMR" dm-audit vnc1 >> "$work/audit.out" 2>&1
tap_check "dm-audit passes while a viewer is connected (its socket is the server's)" [ $? = 0 ]
kill "$viewer" 2>/dev/null; wait "$viewer" 2>/dev/null
read -r domid pid < <("$XL_DMR" list --json | python3 -c 'import json,sys
d = [d for d in json.load(sys.stdin) if d["name"] == "vnc1"][0]; print(d["domid"], d["dm_pid"])')
tap_check "the state holds the audit to the one port QEMU took" \
    grep -q '"ports":\[5901,5901\]' "/run/xl-dmr/domains/$domid.json"
"$XL_DMR" list > "$work/list.out" 2>&1
"$XL_DMR" list --json > "$work/list.json" 2>&1
tr '\0' ' ' < "/proc/$pid/cmdline" > "$work/cmdline"
tap_check "the DM's command line has password=on, and no password" \
    bash -c 'grep -q "127.0.0.1:0,password=on,to=99" "$0/cmdline" && ! grep -q "$1" "$0/cmdline"' "$work" "$secret"
leaks=$(grep -rl -- "$secret" /run/xl-dmr /var/log/xl-dmr/qemu-dm-vnc1.log "$work/plan.txt" \
        "$work/plan.json" "$work/create.out" "$work/audit.out" "$work/list.out" "$work/list.json" 2>/dev/null)
tap_check "the password is in no plan, state file, log or list output${leaks:+ (in: $leaks)}" [ -z "$leaks" ]

# vncunused=0 on the held port: QEMU cannot bind it and exits; create
# says why (QEMU's log) and leaves nothing. A keymap QEMU lacks: the same.
"$XL_DMR" create "$work/vnc.cfg" 'name="vnc2"' 'vncunused=0' > "$work/held.err" 2>&1
tap_check "vncunused=0 on a held port: create fails, quoting QEMU's bind error" \
    bash -c '[ "$1" != 0 ] && grep -q "Address already in use" "$0"' "$work/held.err" $?
"$XL_DMR" create "$work/vnc.cfg" 'name="vnc3"' 'keymap="xx-nowhere"' > "$work/keymap.err" 2>&1
tap_check "a keymap QEMU lacks: create fails, quoting QEMU" \
    bash -c '[ "$1" != 0 ] && grep -q "keymap" "$0"' "$work/keymap.err" $?
tap_check "the failed creates left no domain" \
    bash -c '! "$0" list | grep -qE "^vnc[23] "' "$XL_DMR"

"$XL_DMR" destroy vnc1
tap_check "destroy: nothing listens on 5901 any more" \
    bash -c '! python3 -W ignore "$0" 127.0.0.1 5901 x >/dev/null 2>&1' "$srcdir/tests/lib/vnc_client.py"
tap_check "destroy: nothing left" bash -c '[ ! -e "/run/xl-dmr/domains/$0.json" ] && [ ! -e "/run/xl-dmr/qemu-root-$0" ]' "$domid"
tap_done
