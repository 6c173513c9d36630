#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dm-audit with real QEMU: every check passes on a correct launch, and
# each fails when its property is broken for real. A DM that breaks the
# plan from the start (run through a wrapper that drops -runas, drops
# -sandbox, leaks a descriptor or lowers a limit) is caught by create's
# own audit, before the guest runs, and destroyed; one broken later (a
# rogue process with its uid, a file dropped into its root) by dm-audit.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-audit.XXXXXX)
rogue=
trap '[ -n "$rogue" ] && kill $rogue 2>/dev/null; "$XL_DMR" destroy aud1 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
QEMU=/usr/bin/qemu-system-x86_64
[ -x "$QEMU" ] || { tap_skip "dm-audit" "no $QEMU"; tap_done; exit; }

userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
truncate -s 1M "$work/disk.img"
cat > "$work/a.cfg" <<CFG
name = "aud1"
type = "hvm"
memory = 64
dm_restrict = 1
accel = "tcg"
disk = [ '$work/disk.img,raw,hda,rw' ]
CFG
check_of() { json_get "$1" "[c for c in d['checks'] if c['name'] == '$2'][0]['ok']"; }

"$XL_DMR" create --domid 1 "$work/a.cfg" 2> "$work/create.err"
tap_check "a correct launch passes create's audit" [ $? = 0 ]
"$XL_DMR" dm-audit aud1 > "$work/table"
tap_check "dm-audit: every check ok, exit 0" bash -c "[ $? = 0 ] && ! grep -q FAIL $work/table"
"$XL_DMR" dm-audit --json aud1 > "$work/a.json"
tap_check "dm-audit --json: the named checks" \
    [ "$(json_get "$work/a.json" '" ".join(c["name"] for c in d["checks"])')" = '"uid gid groups capabilities no_new_privs seccomp root chroot_contents rlimit_fsize rlimit_core rlimit_memlock rlimit_msgqueue rlimit_locks mount_namespace ipc_namespace descriptors processes"' ]
tap_check "... the disk counted as its fdset, the QMP socket and this audit's connection as QMP" \
    bash -c "grep -q 'QMP 2, fdsets 2' $work/table"
pid=$(json_get /run/xl-dmr/domains/1.json 'd["dm_pid"]')

# Broken after the start, found by dm-audit.
setpriv --reuid=131073 --regid=131072 --clear-groups sleep 600 &
rogue=$!
sleep 0.2
"$XL_DMR" dm-audit --json aud1 > "$work/b.json"
rc=$?
tap_check "a rogue process with the DM's uid: processes fails, exit 3" \
    bash -c "[ $rc = 3 ] && [ $(check_of "$work/b.json" processes) = false ] && grep -q 'pid $rogue' $work/b.json"
kill $rogue; wait $rogue 2>/dev/null; rogue=
nsenter -t "$pid" -m touch /run/xl-dmr/qemu-root-1/dropped
"$XL_DMR" dm-audit --json aud1 > "$work/c.json"
rc=$?
tap_check "a file dropped into its root: chroot_contents fails, exit 3" \
    bash -c "[ $rc = 3 ] && [ $(check_of "$work/c.json" chroot_contents) = false ] && grep -q '/dropped is not in the plan' $work/c.json"
tap_check "... and only that check" \
    [ "$(json_get "$work/c.json" 'sum(not c["ok"] for c in d["checks"])')" = 1 ]
nsenter -t "$pid" -m rm /run/xl-dmr/qemu-root-1/dropped
"$XL_DMR" dm-audit aud1 > /dev/null
tap_check "removed again: passes" [ $? = 0 ]
"$XL_DMR" destroy aud1

# Broken from the start, caught by create before the guest runs.
wrapper() {  # NAME SHELL-LINES: a QEMU that does something wrong, then execs the real one
    {
        echo '#!/bin/bash'
        echo 'args=()'
        echo 'while [ $# -gt 0 ]; do'
        echo "$2"
        echo 'args+=("$1"); shift; done'
        echo "$3"
        echo "exec $QEMU \"\${args[@]}\""
    } > "$work/$1"
    chmod 755 "$work/$1"
}
wrapper no-runas 'case "$1" in -runas) shift 2; continue ;; esac' ''
wrapper no-sandbox 'case "$1" in -sandbox) shift 2; continue ;; esac' ''
wrapper leaky '' 'exec 7< /etc/hostname'
wrapper small-fsize '' 'ulimit -f 1000'
caught() {  # WRAPPER CHECK: create refuses it, names the check, leaves nothing
    "$XL_DMR" create --domid 1 "$work/a.cfg" "device_model_override=\"$work/$1\"" 2> "$work/$1.err"
    local rc=$?
    tap_check "a DM $3: create's audit fails $2, it is destroyed, nothing left ($(grep -o "audit: $2: .*" "$work/$1.err" | head -1 | cut -c1-120))" \
        bash -c '[ "$1" = 1 ] && grep -q "audit: $2: " "$3" && grep -q "is destroyed" "$3" && [ ! -e /run/xl-dmr ] && ! ps -o stat= -u 131073 | grep -qv Z && ! pgrep -f "guest=[a]ud1" > /dev/null' \
        _ "$rc" "$2" "$work/$1.err"
}
caught no-runas uid "started without the user change"
caught no-sandbox seccomp "started without -sandbox"
caught leaky descriptors "given a descriptor the plan does not list"
caught small-fsize rlimit_fsize "with a limit not the plan's"
"$XL_DMR" create -p --domid 1 "$work/a.cfg" 2>/dev/null
tap_check "create -p: audited, then left paused (QEMU says prelaunch)" \
    bash -c "python3 $srcdir/tests/lib/qmp.py /run/xl-dmr/qmp-1.sock query-status | grep -q prelaunch"
"$XL_DMR" destroy aud1

# Last, since the DM killed here stays a zombie until pid 1 reaps it.
"$XL_DMR" create --domid 1 "$work/a.cfg" 2>/dev/null
pid=$(json_get /run/xl-dmr/domains/1.json 'd["dm_pid"]')
kill -KILL "$pid"
sleep 0.2
"$XL_DMR" dm-audit --json aud1 > "$work/d.json" 2> "$work/d.err"
rc=$?
tap_check "no DM left to audit: exit 1 and the error object" \
    [ "$rc $(json_get "$work/d.json" 'd["error"]["code"]')" = '1 "NOTFOUND"' ]
"$XL_DMR" destroy aud1 2>/dev/null
"$XL_DMR" dm-audit aud1 2> "$work/e.err"
tap_check "no such domain: exit 1, one line" bash -c "[ $? = 1 ] && [ \$(wc -l < $work/e.err) = 1 ]"

tap_done
