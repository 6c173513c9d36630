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
as_uid() { echo setpriv --reuid "$1" --regid "$1" --clear-groups; }  # exec'd: $! is the process

tap_check "a uid with no task: none" [ "$(count $((U + 1)))" = none ]

$(as_uid $((U + 2))) sleep 600 & procs+=($!); sleep 0.2
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
$(as_uid $((U + 3))) sleep 600 & procs+=($!); sleep 0.2
tap_check "... and a live one besides: some (the zombie's room hides no other)" \
    [ "$(count $((U + 3)) $zombie)" = "some $!" ]
kill -9 $!; wait $! 2>/dev/null
exec {ZOMBIE_PARENT[1]}>&-
wait $parent
tap_check "... once its parent reaped it: none" [ "$(count $((U + 3)))" = none ]

if $(as_uid $((U + 4))) unshare -U true 2>/dev/null; then
    $(as_uid $((U + 4))) unshare -U sleep 600 & procs+=($!); sleep 0.2
    tap_check "a process in a user namespace the uid made: some" [ "$(count $((U + 4)))" = "some $!" ]
    kill -9 $!; wait $! 2>/dev/null
else
    tap_skip "a process in a user namespace the uid made" "this kernel lets no unprivileged user make one"
fi

# What only root makes: effective (and saved) uid alone. The kernel counts
# tasks by real uid; the walk sees it (design.md, "Reaping: asking the
# kernel first").
setpriv --euid $((U + 5)) sleep 600 & procs+=($!); sleep 0.2
tap_check "a process root gave the effective uid alone: the kernel counts none (documented), the walk names it" \
    [ "$(count $((U + 5)))" = "none $!" ]
kill -9 $!; wait $! 2>/dev/null

# A caller whose capabilities survive a change of uid: RLIMIT_NPROC does
# not bind the child, and the count says so rather than "none".
tap_check "a caller that keeps its capabilities across setuid: some (cannot tell), not none" \
    [ "$(setpriv --securebits +no_setuid_fixup "$HELPER" $((U + 6)))" = some ]
tap_check "root (uid 0) is never answered none" [ "$(count 0 | cut -d' ' -f1)" = some ]
tap_done
