#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel's count of a uid's tasks (kernel_counts_no_task, reaper.c),
# which a create and a destroy ask before they read every process's
# status: against real processes of uids no one on this host has, next
# to the walk of /proc it spares.
set -u
. "$srcdir/tests/lib/tap.sh"
HELPER=$builddir/tests/integration/uid_count
procs=()
trap 'for p in "${procs[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT
if [ "$(id -u)" != 0 ]; then
    tap_skip "the kernel's count of a uid's tasks" "needs root (the helper takes the uid)"
    tap_done; exit
fi
# Uids no user has here; each case has its own.
U=3917000
taken() { local u; for u in $(seq $1 $(($1 + 9))); do getent passwd $u > /dev/null || [ -n "$(ps -o pid= -u $u)" ] && return 0; done; return 1; }
while taken $U; do U=$((U + 100)); done
count() { "$HELPER" "$@"; }
# has_uid PID U: wait (5 s at most) until PID's real uid is U.
has_uid() {
    local _
    for _ in $(seq 50); do
        [ "$(awk '/^Uid:/ { print $2 }' /proc/$1/status 2>/dev/null)" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
as_uid() { echo setpriv --reuid "$1" --regid "$1" --clear-groups; }  # exec'd: $! is the process

tap_check "a uid with no task: none" [ "$(count $((U + 1)))" = none ]

$(as_uid $((U + 2))) sleep 600 & procs+=($!); has_uid $! $((U + 2))
tap_check "a live process with the real uid: some, and the walk names it" [ "$(count $((U + 2)))" = "some $!" ]
kill -9 $!; wait $! 2>/dev/null
tap_check "... once it is killed and reaped: none" [ "$(count $((U + 2)))" = none ]

# A zombie: a parent (root) whose child took the uid and exited; the
# parent reaps it once its stdin closes.
coproc ZOMBIE_PARENT { python3 -c '
import os, sys
u = int(sys.argv[1])
pid = os.fork()
if pid == 0:
    os.setresgid(u, u, u); os.setresuid(u, u, u); os._exit(0)
print(pid, flush=True)
sys.stdin.read()
os.waitpid(pid, 0)' $((U + 3)); }
procs+=($ZOMBIE_PARENT_PID); parent=$ZOMBIE_PARENT_PID
read -r -t 10 zombie <&"${ZOMBIE_PARENT[0]}"
for _ in $(seq 50); do grep -q '^State:.*Z' /proc/$zombie/status 2>/dev/null && break; sleep 0.1; done
tap_check "a zombie of the uid not yet reaped: some (the kernel counts it), the walk names none" \
    [ "$(count $((U + 3)))" = some ]
tap_check "... named as a process of the uid that exited: none" [ "$(count $((U + 3)) $zombie)" = none ]
$(as_uid $((U + 3))) sleep 600 & procs+=($!); has_uid $! $((U + 3))
tap_check "... and a live one besides: some (the zombie's room hides no other)" \
    [ "$(count $((U + 3)) $zombie)" = "some $!" ]
kill -9 $!; wait $! 2>/dev/null
exec {ZOMBIE_PARENT[1]}>&-
wait $parent
tap_check "... once its parent reaped it: none" [ "$(count $((U + 3)))" = none ]

# A zombie named as exited gives room only if it is of the uid: one of
# another uid (a DM that died before it took its uid) hides nothing.
coproc OTHER_PARENT { python3 -c '
import os, sys
pid = os.fork()
if pid == 0:
    os._exit(0)
print(pid, flush=True)
sys.stdin.read()
os.waitpid(pid, 0)'; }
procs+=($OTHER_PARENT_PID); other_parent=$OTHER_PARENT_PID
read -r -t 10 root_zombie <&"${OTHER_PARENT[0]}"
for _ in $(seq 50); do grep -q '^State:.*Z' /proc/$root_zombie/status 2>/dev/null && break; sleep 0.1; done
$(as_uid $((U + 7))) sleep 600 & procs+=($!); has_uid $! $((U + 7))
tap_check "a root zombie named as exited, a live process of the uid: some" \
    [ "$(count $((U + 7)) $root_zombie)" = "some $!" ]
kill -9 $!; wait $! 2>/dev/null
exec {OTHER_PARENT[1]}>&-
wait $other_parent

# A process of the uid that stops the count's child (SIGSTOP, over and
# over): the count gives up within its deadline and the walk decides.
$(as_uid $((U + 8))) bash -c 'while :; do kill -STOP -1 2>/dev/null; done' & procs+=($!); stopper=$!
has_uid $stopper $((U + 8))
start=$(date +%s%N)
answer=$(timeout 10 "$HELPER" $((U + 8)))
took=$(( ($(date +%s%N) - start) / 1000000 ))
kill -9 $stopper; wait $stopper 2>/dev/null
left=$(ps -o pid= -u $((U + 8)) | tr -d ' ' | tr '\n' ' ')
[ -n "${left// /}" ] && kill -9 $left 2>/dev/null
tap_check "a process of the uid that keeps stopping the count's child: some, within 2 s (${took} ms)" \
    bash -c '[ "${1%% *}" = some ] && [ "$2" -lt 2000 ]' _ "$answer" "$took"

if $(as_uid $((U + 4))) unshare -U true 2>/dev/null; then
    $(as_uid $((U + 4))) unshare -U sleep 600 & procs+=($!); has_uid $! $((U + 4))
    tap_check "a process in a user namespace the uid made: some" [ "$(count $((U + 4)))" = "some $!" ]
    kill -9 $!; wait $! 2>/dev/null
else
    tap_skip "a process in a user namespace the uid made" "this kernel lets no unprivileged user make one"
fi

# A user namespace root made, with the uid mapped in: its tasks are
# counted under root (who made it), not the uid. The plan counts only a
# uid no subordinate range covers (uid_counted); the walk sees them.
coproc ROOT_NS { python3 -c '
import ctypes, os, sys
u = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
r, w = os.pipe(); r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        os._exit(1)
    os.write(w, b"x"); os.read(r2, 1)
    os.setresgid(0, 0, 0); os.setresuid(0, 0, 0)
    os.execvp("sleep", ["sleep", "600"])
os.read(r, 1)
for f, text in (("uid_map", "0 %d 1" % u), ("setgroups", "deny"), ("gid_map", "0 %d 1" % u)):
    with open("/proc/%d/%s" % (pid, f), "w") as out:
        out.write(text)
os.write(w2, b"x")
print(pid, flush=True)
sys.stdin.read()
os.kill(pid, 9)
os.waitpid(pid, 0)' $((U + 9)); }
procs+=($ROOT_NS_PID); ns_parent=$ROOT_NS_PID
read -r -t 10 in_ns <&"${ROOT_NS[0]}"
if [ -n "$in_ns" ] && has_uid $in_ns $((U + 9)); then
    tap_check "a process in a user namespace root made, mapped to the uid: the kernel counts none (documented), the walk names it" \
        [ "$(count $((U + 9)))" = "none $in_ns" ]
else
    tap_skip "a process in a user namespace root made" "root could not make one here"
fi
exec {ROOT_NS[1]}>&-
wait $ns_parent

# What only root makes: effective (and saved) uid alone. The kernel counts
# tasks by real uid; the walk sees it (design.md, "Reaping: asking the
# kernel first").
setpriv --euid $((U + 5)) sleep 600 & procs+=($!)
for _ in $(seq 50); do [ "$(awk '/^Uid:/ { print $3 }' /proc/$!/status 2>/dev/null)" = $((U + 5)) ] && break; sleep 0.1; done
tap_check "a process root gave the effective uid alone: the kernel counts none (documented), the walk names it" \
    [ "$(count $((U + 5)))" = "none $!" ]
kill -9 $!; wait $! 2>/dev/null

# A caller whose capabilities survive a change of uid: RLIMIT_NPROC does
# not bind the child, and the count says so rather than "none".
tap_check "a caller that keeps its capabilities across setuid: some (cannot tell), not none" \
    [ "$(setpriv --securebits +no_setuid_fixup "$HELPER" $((U + 6)))" = some ]
tap_check "root (uid 0) is never answered none" [ "$(count 0 | cut -d' ' -f1)" = some ]
tap_done
