#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xl-dmr create/destroy for real: a restricted QEMU whose identity, chroot,
# limits and descriptors are checked in /proc against the plan; kill by
# uid before create and at destroy; dm_restrict=0; the shared user with
# two guests; writes and logs past 256 KiB; and faults that must leave
# nothing behind. Test users exist only in a private mount namespace.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"

XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
QMP="python3 $srcdir/tests/lib/qmp.py"
work=$(mktemp -d /tmp/dmr-launch.XXXXXX)
squatters=()
cleanup() {
    for d in $("$XL_DMR" list --json 2>/dev/null | json_get /dev/stdin '" ".join(str(x["domid"]) for x in d)' | tr -d '"'); do
        "$XL_DMR" destroy "$d" 2>/dev/null
    done
    for p in "${squatters[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -f /run/xl-dmr/qemu-root-9
    umount /etc 2>/dev/null
    rm -rf "$DMR_ETC_COPY"; cp $work/*.err /tmp/lastrun/ 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x /usr/bin/qemu-system-x86_64 ]; then
    tap_skip "launch tests" "no /usr/bin/qemu-system-x86_64"; tap_done; exit
fi
if [ -e /run/xl-dmr/domains ] && [ -n "$(ls /run/xl-dmr/domains)" ]; then
    tap_skip "launch tests" "xl-dmr domains are running on this host"; tap_done; exit
fi

BASE=131072
userns_reset
userns_add_user xen-qemuuser-range-base $BASE $BASE
truncate -s 2M "$work/disk.img"
cat > "$work/r1.cfg" <<CFG
name = "r1"
type = "hvm"
memory = 64
dm_restrict = 1
accel = "tcg"
disk = [ '$work/disk.img,raw,hda,rw' ]
CFG

# A squatter: a process with the uid domain 1's DM will get.
squat() { setpriv --reuid "$1" --regid "$2" --clear-groups sleep 600 & squatters+=($!); }
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
dead() { ! alive "$1"; }
live_pids_of_uid() {
    for s in /proc/[0-9]*/status; do
        awk -v u="$1" '/^Uid:/ { if ($2 == u || $3 == u || $4 == u) hit = 1 }
                       /^State:/ { if ($2 == "Z") zombie = 1 }
                       END { exit !(hit && !zombie) }' "$s" 2>/dev/null && echo "${s#/proc/}"
    done | cut -d/ -f1
}

# --- 1. kill by uid before create ---------------------------------------
squat $((BASE + 1)) $BASE
early=$!
"$XL_DMR" create --domid 1 "$work/r1.cfg" 2> "$work/r1.err"
tap_check "restricted create: exit 0" [ $? = 0 ]
# No sleep: the reaper returns once what it killed is dead.
tap_check "a process with the DM's uid before create is gone after it" bash -c "! kill -0 $early 2>/dev/null || grep -q '^State:.*Z' /proc/$early/status"
tap_check "... and create logged it" grep -q "killed 1 process(es) left with uid $((BASE + 1)) before starting the device model: $early" "$work/r1.err"

pid=$("$XL_DMR" list --json | json_get /dev/stdin 'd[0]["dm_pid"]')
"$XL_DMR" create -n --json --domid 1 "$work/r1.cfg" > "$work/r1.plan" 2>/dev/null  # (domid 1 is taken now)
status=/proc/$pid/status
field() { awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "$status" | tr -s ' \t' ' ' | sed 's/ $//'; }

# --- 2. the kernel's view of the running DM, against the plan -------------
tap_check "Uid: all four are range-base + domid" [ "$(field Uid)" = "$((BASE + 1)) $((BASE + 1)) $((BASE + 1)) $((BASE + 1))" ]
tap_check "Gid: all four are the planned gid" [ "$(field Gid)" = "$BASE $BASE $BASE $BASE" ]
tap_check "Groups: empty or exactly the gid" bash -c '[ -z "$1" ] || [ "$1" = "$2" ]' _ "$(field Groups)" "$BASE"
tap_check "CapEff 0, NoNewPrivs 1, Seccomp 2" [ "$(field CapEff) $(field NoNewPrivs) $(field Seccomp)" = "0000000000000000 1 2" ]
tap_check "root is the chroot /run/xl-dmr/qemu-root-1" [ "$(readlink /proc/$pid/root)" = /run/xl-dmr/qemu-root-1 ]
tap_check "its root is an empty tmpfs of its own, mode 0755, root's" \
    [ "$(stat -f -c %T /proc/$pid/root/) $(stat -c '%a %U' /proc/$pid/root/) $(ls -A /proc/$pid/root/ | wc -l)" = "tmpfs 755 root 0" ]
tap_check "... mounted in its namespace only: the host's directory is another, empty one" \
    bash -c '[ "$(stat -c %d /proc/$1/root/)" != "$(stat -c %d /run/xl-dmr/qemu-root-1)" ] && [ -z "$(ls -A /run/xl-dmr/qemu-root-1)" ]' _ $pid
limit() { awk -v n="$1" 'index($0, n) == 1 { print $(NF-2) " " $(NF-1) }' /proc/$pid/limits; }
tap_check "FSIZE is the writable raw image's size (2 MiB)" [ "$(limit 'Max file size')" = "2097152 2097152" ]
tap_check "CORE, MEMLOCK, MSGQUEUE, LOCKS are 0" \
    [ "$(limit 'Max core file size')|$(limit 'Max locked memory')|$(limit 'Max msgqueue size')|$(limit 'Max file locks')" = "0 0|0 0|0 0|0 0" ]
tap_check "NPROC is not 0 (QEMU needs threads)" [ "$(limit 'Max processes' | cut -d' ' -f1)" != 0 ]
unexpected=
for fd in /proc/$pid/fd/*; do
    t=$(readlink "$fd")
    case "$t" in
    /dev/null|pipe:*|socket:*|anon_inode:*|/dev/kvm|"$work/disk.img") ;;
    *) unexpected="$unexpected ${fd##*/}->$t" ;;
    esac
done
tap_check "every descriptor is planned or QEMU's own kind${unexpected:+ (not:$unexpected)}" [ -z "$unexpected" ]
tap_check "the QMP socket is descriptor 3, and the disk is open (QEMU moved it into its fdset)" \
    bash -c '[ "$(readlink /proc/$1/fd/3 | cut -d: -f1)" = socket ] && ls -l /proc/$1/fd | grep -q " -> $2\$"' _ "$pid" "$work/disk.img"
tap_check "xl-dmr list --json: domid, name, dm_pid, dm_uid" \
    [ "$("$XL_DMR" list --json | json_get /dev/stdin '[d[0][k] for k in ("domid", "name", "dm_uid")]')" = "[1, \"r1\", $((BASE + 1))]" ]
tap_check "state file written" [ -s /run/xl-dmr/domains/1.json ]
keeper=$(awk '{ print $4 }' /proc/$pid/stat)
tap_check "the DM's parent is its keeper: recorded, root, dmr-keeper, no descriptor, its own session" \
    bash -c '[ "$2" = "$1" ] &&
             [ "$(stat -c %u /proc/$1) $(cat /proc/$1/comm) $(ls /proc/$1/fd | wc -l)" = "0 dmr-keeper 0" ] &&
             [ "$(ps -o sid= -p $1 | tr -d " ")" = "$1" ]' _ "$keeper" "$(json_get /run/xl-dmr/domains/1.json 'd["keeper_pid"]')"

# --- 3. writes and logs past 256 KiB --------------------------------------
$QMP /run/xl-dmr/qmp-1.sock human-monitor-command '{"command-line": "qemu-io -d hda \"write -P 0xab 1M 64k\""}' > /dev/null
tap_check "a write at 1 MiB of the disk arrives (FSIZE fitted to the image)" \
    [ "$(python3 -c 'import sys; f = open(sys.argv[1], "rb"); f.seek(1 << 20); print(f.read(65536) == b"\xab" * 65536)' "$work/disk.img")" = True ]
$QMP /run/xl-dmr/qmp-1.sock human-monitor-command '{"command-line": "log exec,in_asm,int,cpu"}' > /dev/null
sleep 2
$QMP /run/xl-dmr/qmp-1.sock human-monitor-command '{"command-line": "log none"}' > /dev/null
logged=$(cat /var/log/xl-dmr/qemu-dm-r1.log* | wc -c)
tap_check "the DM logged past 256 KiB ($logged bytes) and lives" bash -c "[ $logged -gt 262144 ] && kill -0 $pid"
tap_check "the log is capped at 1 MiB a file" [ "$(stat -c %s /var/log/xl-dmr/qemu-dm-r1.log)" -le 1048576 ]

# --- 4. busy domid, name in use -------------------------------------------
"$XL_DMR" create --domid 1 "$work/r1.cfg" 'name="other"' 2> "$work/busy.err"
tap_check "a busy domid: exit 1, one line" bash -c "[ $? = 1 ] && [ \$(wc -l < $work/busy.err) = 1 ]"
"$XL_DMR" create "$work/r1.cfg" 2> "$work/name.err"
tap_check "a name in use: exit 1, names the domain" bash -c "[ $? = 1 ] && grep -q 'a domain named \"r1\" exists (domid 1)' $work/name.err"

# --- 5. kill by uid at destroy ---------------------------------------------
squat $((BASE + 1)) $BASE
late=$!
"$XL_DMR" destroy r1 2> "$work/destroy.err"
tap_check "destroy: exit 0" [ $? = 0 ]
tap_check "a process started with the DM's uid while it ran is gone" dead "$late"
tap_check "the DM is gone" bash -c "! [ -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status"
tap_check "no live process has uid $((BASE + 1))" [ -z "$(live_pids_of_uid $((BASE + 1)))" ]
zombies_of_uid() { ps -o pid=,stat= -u $((BASE + 1)) | awk -v sq=$late '$2 ~ /^Z/ && $1 != sq'; }
tap_check "no zombie of the uid either (the keeper reaped the DM, the watcher its parser)" \
    [ -z "$(zombies_of_uid)" ]
tap_check "the keeper is gone" bash -c "! [ -d /proc/$keeper ] || grep -q '^State:.*Z' /proc/$keeper/status"
tap_check "no chroot, socket, state or run directory remains" [ ! -e /run/xl-dmr ]

# --- 5b. two creates at once take different domids (the lock) --------------
printf 'name = "p1"\ntype = "hvm"\nmemory = 32\ndm_restrict = 1\naccel = "tcg"\n' > "$work/p.cfg"
"$XL_DMR" create "$work/p.cfg" 2> "$work/p1.err" & a=$!
"$XL_DMR" create "$work/p.cfg" 'name="p2"' 2> "$work/p2.err" & b=$!
wait $a; ra=$?; wait $b; rb=$?
tap_check "two creates at once without --domid: both start, on domids 1 and 2" \
    [ "$ra $rb $("$XL_DMR" list --json | json_get /dev/stdin 'sorted(x["domid"] for x in d)')" = "0 0 [1, 2]" ]
"$XL_DMR" destroy p1; "$XL_DMR" destroy p2

# --- 6. a DM that died is destroyed quietly ---------------------------------
"$XL_DMR" create --domid 5 "$work/r1.cfg" dm_restrict=0 'name="dead"' 'disk=[]' 2>/dev/null
kill -9 "$("$XL_DMR" list --json | json_get /dev/stdin 'd[0]["dm_pid"]')"
"$XL_DMR" destroy dead 2> "$work/dead.err"
tap_check "destroy of a domain whose DM died: exit 0, no error, nothing left" \
    bash -c "[ $? = 0 ] && [ ! -s $work/dead.err ] && [ ! -e /run/xl-dmr ]"

# --- 7. dm_restrict=0 -------------------------------------------------------
"$XL_DMR" create --domid 2 "$work/r1.cfg" dm_restrict=0 'name="open"' 2> "$work/open.err"
pid=$("$XL_DMR" list --json | json_get /dev/stdin 'd[0]["dm_pid"]')
tap_check "dm_restrict=0: runs as root" [ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' /proc/$pid/status)" = 0000 ]
tap_check "dm_restrict=0: no -runas, -chroot or -sandbox" bash -c "! tr '\\0' '\\n' < /proc/$pid/cmdline | grep -qE '^-(runas|chroot|sandbox)$'"
tap_check "dm_restrict=0: create says so" grep -q "runs as root" "$work/open.err"
"$XL_DMR" destroy open

# --- 8. the shared user: two guests, no kill by uid ------------------------
userns_reset
userns_add_user xen-qemuuser-shared 5000 5000
# No disk here: two QEMUs cannot both hold one image writable.
printf 'name = "s1"\ntype = "hvm"\nmemory = 64\ndm_restrict = 1\naccel = "tcg"\n' > "$work/s.cfg"
"$XL_DMR" create --domid 3 "$work/s.cfg" 2> "$work/s1.err"
"$XL_DMR" create --domid 4 "$work/s.cfg" 'name="s2"' 2> "$work/s2.err"
tap_check "shared: two guests start" [ "$("$XL_DMR" list --json | json_get /dev/stdin 'len(d)')" = 2 ]
pids=$("$XL_DMR" list --json | json_get /dev/stdin '" ".join(str(x["dm_pid"]) for x in d)' | tr -d '"')
s1=${pids% *} s2=${pids#* }
tap_check "shared: both DMs run as uid 5000" \
    [ "$(awk '/^Uid:/ { print $2 }' /proc/$s1/status) $(awk '/^Uid:/ { print $2 }' /proc/$s2/status)" = "5000 5000" ]
tap_check "shared: create warns" grep -q "cannot be killed by uid" "$work/s1.err"
"$XL_DMR" destroy s1
tap_check "shared: destroying one leaves the other's DM alive" alive "$s2"
"$XL_DMR" destroy s2
both_gone() { dead "$s2" && [ ! -e /run/xl-dmr ]; }
tap_check "shared: both gone, nothing left" both_gone

# --- 9. faults leave nothing behind ----------------------------------------
userns_reset
userns_add_user xen-qemuuser-range-base $BASE $BASE
fake_qemu() {  # $1 name, $2 what it does when started for real
    printf '#!/bin/sh\ncase "$1" in -help|-machine|-device|-version|-sandbox) exec /usr/bin/qemu-system-x86_64 "$@";; esac\n%s\n' "$2" > "$work/$1"
    chmod +x "$work/$1"
}
nothing_left() {
    local left
    left="$(ls -A /run/xl-dmr 2>/dev/null) $(live_pids_of_uid $((BASE + 9))) $(pgrep -f "$work/")"
    [ -z "${left// /}" ] || { echo "# left: $left"; return 1; }
}
fake_qemu dies 'echo "fake QEMU: cannot initialise the machine" >&2; exit 1'
"$XL_DMR" create --domid 9 "$work/r1.cfg" "device_model_override=\"$work/dies\"" 2> "$work/dies.err"
tap_check "a QEMU that exits at start: exit 1, its log's tail in the error" \
    bash -c "[ $? = 1 ] && grep -q 'exited at start.*fake QEMU: cannot initialise the machine' $work/dies.err"
tap_check "... and nothing is left" nothing_left
fake_qemu mute 'exec sleep 600'
"$XL_DMR" create --domid 9 "$work/r1.cfg" "device_model_override=\"$work/mute\"" 2> "$work/mute.err"
tap_check "a QMP that never answers: exit 1, timed out" bash -c "[ $? = 1 ] && grep -q 'no answer from QEMU in time' $work/mute.err"
tap_check "... and nothing is left" nothing_left
mkdir -p /run/xl-dmr && ln -s /tmp /run/xl-dmr/qemu-root-9
"$XL_DMR" create --domid 9 "$work/r1.cfg" 2> "$work/link.err"
tap_check "a symlink in the chroot's place: refused, one line" \
    bash -c "[ $? = 1 ] && [ \$(wc -l < $work/link.err) = 1 ] && grep -q 'is a symlink or not a directory' $work/link.err"
tap_check "... the symlink is untouched and nothing else is left" \
    bash -c "[ -L /run/xl-dmr/qemu-root-9 ] && [ \"\$(ls /run/xl-dmr)\" = qemu-root-9 ]"
rm -f /run/xl-dmr/qemu-root-9; rmdir /run/xl-dmr 2>/dev/null
tap_done
