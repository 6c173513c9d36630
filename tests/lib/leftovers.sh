# SPDX-License-Identifier: LGPL-2.1-or-later
# What an operation left behind, named, one thing a line; nothing when it
# left nothing. Zombies are not counted: they hold nothing, and pid 1
# reaps them when it will. Source tap.sh first.
#
# leftovers [-u UID]... [-m TEXT]... [-p PATH]...
#   -u UID   a live process whose real, effective or saved uid is UID
#   -m TEXT  a live process whose command line contains TEXT
#   -p PATH  PATH exists: it and what it holds; and for each QMP socket
#            in it that still answers, its fdsets
# A bad option: a message on stderr and status 2.
leftovers() {
    local uids=() texts=() paths=()
    while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || { echo "leftovers: $1 needs a value" >&2; return 2; }
        case $1 in
        -u) uids+=("$2") ;;
        -m) texts+=("$2") ;;
        -p) paths+=("$2") ;;
        *) echo "leftovers: unknown option $1" >&2; return 2 ;;
        esac
        shift 2
    done
    local status pid key value state ids cmd u t hit
    for status in /proc/[0-9]*/status; do
        pid=${status#/proc/}; pid=${pid%/status}
        [ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
        state= ids=
        { while read -r key value; do
            case $key in State:) state=$value ;; Uid:) ids=$value ;; esac
        done < "$status"; } 2> /dev/null
        [ -n "$state" ] && [ "${state:0:1}" != Z ] && [ "${state:0:1}" != X ] || continue
        hit=
        read -r -a ids <<< "$ids"
        [ ${#ids[@]} -ge 3 ] || continue  # gone while its status was read
        for u in "${uids[@]}"; do
            [ "${ids[0]}" = "$u" ] || [ "${ids[1]}" = "$u" ] || [ "${ids[2]}" = "$u" ] && hit=1
        done
        cmd=$({ tr '\0' ' ' < "/proc/$pid/cmdline"; } 2> /dev/null)
        for t in "${texts[@]}"; do
            [[ $cmd == *"$t"* ]] && hit=1
        done
        [ -n "$hit" ] && echo "process $pid (uids ${ids[*]:0:3}, ${state%% *}): ${cmd:0:200}"
    done
    local p sock sets
    for p in "${paths[@]}"; do
        [ -e "$p" ] || [ -L "$p" ] || continue
        find "$p" -maxdepth 3 2> /dev/null | head -20 | sed 's/^/path /'
        while IFS= read -r sock; do
            sets=$(timeout 5 python3 "$srcdir/tests/lib/qmp.py" "$sock" query-fdsets 2> /dev/null) &&
                [ "$sets" != "[]" ] && echo "fdsets of $sock: ${sets:0:300}"
        done < <(find "$p" -maxdepth 1 -type s 2> /dev/null)
    done
    return 0
}

# tap_nothing_left NAME LEFTOVERS-OPTIONS...: ok when nothing is left,
# else not ok with each thing named.
tap_nothing_left() {
    local name=$1; shift
    local left
    if ! left=$(leftovers "$@" 2>&1); then
        tap_fail "$name" "leftovers $*: $left"
    elif [ -z "$left" ]; then
        tap_ok "$name"
    else
        local lines=()
        mapfile -t lines <<< "$left"
        tap_fail "$name" "${lines[@]/#/left: }"
    fi
}
