#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Churn: real guests created, audited, given and relieved of a cdrom and
# destroyed, all at once, for CHURN_SECONDS (60) by CHURN_WORKERS (8)
# workers on distinct domains; beside them, two creates of one name
# racing, a create racing the destroy of its name, and creates killed
# (SIGKILL) at random moments, then destroyed. The library picks every
# domid (the lowest free one, under the lock), so workers also race for
# domids and for the run directories, which the last domain to go
# removes. Afterwards nothing is left (no process, run directory, socket,
# chroot or state), and every failure is one the races must give, in one
# line: the loser of two creates of one name, and a destroy of a domain
# not there yet or still being created.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/leftovers.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
DURATION=${CHURN_SECONDS:-60}
WORKERS=${CHURN_WORKERS:-8}
work=$(mktemp -d /tmp/dmr-churn.XXXXXX)
destroy_all() {
    local name
    for name in $("$XL_DMR" list --json 2> /dev/null | python3 -c 'import json, sys; print(" ".join(d["name"] for d in json.load(sys.stdin)))'); do
        "$XL_DMR" destroy "$name"
    done
}
trap 'jobs -p | xargs -r kill -9 2> /dev/null; wait; destroy_all > /dev/null 2>&1; umount /etc 2> /dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
[ -x /usr/bin/qemu-system-x86_64 ] || { tap_skip "churn" "no QEMU"; tap_done; exit; }
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
truncate -s 1M "$work/a.iso" "$work/b.iso"
cfg() {  # cfg NAME: a restricted guest with a disk and a cdrom
    truncate -s 1M "$work/$1.img"
    cat > "$work/$1.cfg" <<CFG
name = "$1"
type = "hvm"
memory = 32
dm_restrict = 1
accel = "tcg"
disk = [ '$work/$1.img,raw,hda,rw', '$work/a.iso,raw,hdc,cdrom' ]
CFG
}

# op JOURNAL NAME EXPECTED-FAILURES XL-DMR-ARGS...: run one command; journal
# "ok|expected|UNEXPECTED <op> <name> rc=<rc> lines=<n>: <first line>".
# EXPECTED-FAILURES is a regular expression its error may match.
op() {
    local journal=$1 name=$2 expected=$3; shift 3
    local err rc verdict=ok
    err=$("$XL_DMR" "$@" 2>&1 > /dev/null)
    rc=$?
    if [ $rc != 0 ]; then
        verdict=UNEXPECTED
        [ -n "$expected" ] && [[ $err =~ $expected ]] && verdict=expected
    fi
    local lines=0
    [ -n "$err" ] && lines=$(printf '%s\n' "$err" | wc -l)
    echo "$verdict $1 $name rc=$rc lines=$lines: ${err%%$'\n'*}" >> "$journal"
    return $rc
}

# Distinct domains: each worker creates, audits, changes its cdrom, destroys.
worker() {
    local name=w$1 j=$work/journal.w$1
    cfg "$name"
    while [ $SECONDS -lt $deadline ]; do
        op "$j" "$name" "" create "$work/$name.cfg" || continue
        op "$j" "$name" "" dm-audit "$name"
        op "$j" "$name" "" cd-insert "$name" hdc "$work/b.iso"
        op "$j" "$name" "" cd-eject "$name" hdc
        op "$j" "$name" "" destroy "$name"
    done
}

# Two creates of one name at once: one wins, the other is told the name is taken.
same_name_pair() {
    local j=$work/journal.pair
    cfg p1
    while [ $SECONDS -lt $deadline ]; do
        op "$j" p1 'a domain named "p1" exists' create "$work/p1.cfg" &
        op "$j" p1 'a domain named "p1" exists' create "$work/p1.cfg" &
        wait
        op "$j" p1 "" destroy p1
    done
}

# A create and, a random moment later, a destroy of its name.
create_vs_destroy() {
    local j=$work/journal.race
    cfg r1
    while [ $SECONDS -lt $deadline ]; do
        op "$j" r1 "" create "$work/r1.cfg" &
        sleep "$((RANDOM % 2)).$((RANDOM % 10))"
        op "$j" r1race 'no domain r1|domain [0-9]+ is being created' destroy r1
        wait
        op "$j" r1 'no domain r1' destroy r1
    done
}

# A create killed at a random moment; its destroy then finds what it left.
killed_creates() {
    local j=$work/journal.kill pid
    cfg k1
    while [ $SECONDS -lt $deadline ]; do
        "$XL_DMR" create "$work/k1.cfg" > /dev/null 2>&1 &
        pid=$!
        sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
        kill -9 $pid 2> /dev/null
        { wait $pid; } 2> /dev/null
        [ $? = 137 ] && echo "killed create" >> "$work/kills"
        op "$j" k1 'no domain k1' destroy k1
        # Its DM is gone as soon as destroy returns.
        leftovers -m "guest=k1" >> "$work/kill-left"
    done
}

deadline=$((SECONDS + DURATION))
for i in $(seq 1 "$WORKERS"); do worker "$i" & done
same_name_pair &
create_vs_destroy &
killed_creates &
wait
cat "$work"/journal.* > "$work/journal"

count() { grep -c "$@" "$work/journal"; }
total=$(wc -l < "$work/journal")
creates=$(count '^ok create')
changes=$(count '^ok cd-')
tap_check "$WORKERS workers and 3 racers ran ${DURATION} s: $total calls, $creates creates, $changes cdrom changes, $(count '^ok destroy') destroys, $(cat "$work/kills" 2> /dev/null | wc -l) creates killed" \
    [ "$creates" -ge "$WORKERS" ]
for i in $(seq 1 "$WORKERS"); do
    n=$(grep -c "^ok destroy" "$work/journal.w$i")
    [ "$n" -ge 1 ] || break
done
tap_check "every worker went round at least once (created, audited, changed its cdrom, destroyed)" [ "$n" -ge 1 ]
unexpected=$(grep '^UNEXPECTED' "$work/journal" | sort | uniq -c | sort -rn | head -5)
tap_check "no failure but those the races must give${unexpected:+: $unexpected}" [ -z "$unexpected" ]
multi=$(grep -v '^ok' "$work/journal" | grep -v 'lines=1:' | head -3)
tap_check "every failure said why in one line${multi:+: $multi}" [ -z "$multi" ]
chatty=$(grep '^ok' "$work/journal" | grep -v 'lines=0:' | head -3)
tap_check "every call that succeeded said nothing${chatty:+: $chatty}" [ -z "$chatty" ]
pairs_won=$(grep -c '^ok create p1' "$work/journal.pair")
pairs_lost=$(grep -c '^expected create p1' "$work/journal.pair")
pair_rounds=$(grep -c '^ok destroy p1' "$work/journal.pair")
one_wins() { [ "$pairs_won" -ge 1 ] && [ "$pairs_won" = "$pairs_lost" ] && [ "$pairs_won" = "$pair_rounds" ]; }
tap_check "two creates of one name: one wins each round ($pairs_won won, $pairs_lost told the name is taken)" one_wins
race_won=$(grep -c '^ok create r1' "$work/journal.race")
creates_win() { [ "$race_won" -ge 1 ] && ! grep -qv '^ok create r1\|destroy r1' "$work/journal.race"; }
early=$(grep -c '^expected destroy r1race .*no domain r1' "$work/journal.race")
during=$(grep -c '^expected destroy r1race .*being created' "$work/journal.race")
after=$(grep -c '^ok destroy r1race' "$work/journal.race")
tap_check "a create racing the destroy of its name always succeeds ($race_won; the destroy came before it: $early, during it: $during, after it: $after)" creates_win
tap_check "a killed create's DM is gone once its destroy returns" [ ! -s "$work/kill-left" ]
tap_check "no domain is listed" [ "$("$XL_DMR" list --json)" = "[]" ]
uids=()
for d in $(seq 1 64); do uids+=(-u $((131072 + d))); done
tap_nothing_left "nothing is left: no process of a DM's uid, no DM, logger or xl-dmr, no run directory" \
    -p /run/xl-dmr "${uids[@]}" -m "$work/" -m "guest=w" -m "guest=p1" -m "guest=r1" -m "guest=k1"
tap_done
