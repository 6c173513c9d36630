#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xl's command-line habits (xl-dmr(1), OPTIONS): every subcommand answers
# -h/--help with its usage and exit 0; options go anywhere after the
# subcommand and -- ends them; list NAME... and list -l (which never shows
# a VNC password); info; and, run as a user other than root, a command
# that needs root says so in one line, exit 1, while create -n, list and
# info still work.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/leftovers.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-cliopt.XXXXXX)
chmod 755 "$work"  # read by the unprivileged runs below
trap '"$XL_DMR" destroy cliopt1 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072

# -h and --help on every subcommand of the table (from xl-dmr --help).
cmds=$("$XL_DMR" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
tap_check "xl-dmr --help lists the subcommands ($(echo $cmds | wc -w))" [ "$(echo $cmds | wc -w)" -ge 19 ]
bad_help=
for c in $cmds; do
    for h in --help -h; do
        "$XL_DMR" $c $h > "$work/out" 2> "$work/err"
        rc=$?
        [ $rc = 0 ] && grep -q "^Usage: xl-dmr $c " "$work/out" && [ ! -s "$work/err" ] ||
            bad_help="$bad_help $c $h (exit $rc)"
    done
done
tap_check "every subcommand: -h and --help print its usage on stdout, exit 0${bad_help:+:$bad_help}" [ -z "$bad_help" ]
"$XL_DMR" pci-list foo --help > "$work/out" 2>&1
tap_check "--help after an operand is still --help" bash -c "[ $? = 0 ] && grep -q '^Usage: xl-dmr pci-list' $work/out"

# Usage errors: one line on stderr, exit 2.
usage() {
    local name=$1 pattern=$2; shift 2
    "$XL_DMR" "$@" > "$work/out" 2> "$work/err"
    local rc=$?
    if [ $rc = 2 ] && [ "$(wc -l < "$work/err")" = 1 ] && grep -q -- "$pattern" "$work/err" && [ ! -s "$work/out" ]; then
        tap_ok "$name"
    else
        tap_fail "$name" "exit $rc" "$(cat "$work/err")"
    fi
}
usage "destroy without a domain" "destroy: takes DOMAIN" destroy
usage "destroy with two" "too many arguments (\"b\")" destroy a b
usage "an unknown long option" "unknown option --frob" pause --frob x
usage "an unknown short option" "unknown option -q" reboot x -q
usage "an option's argument missing at the end" "option --domid needs an argument" create x.cfg --domid
usage "list -l and --json together" "one of -l and --json" list -l --json
usage "host check takes no --dry-run" "takes check, or setup" host check --dry-run

# Options after the operands (GNU permutation), -- ends them.
cat > "$work/c.cfg" <<CFG
name = "cliopt1"
type = "hvm"
memory = 32
dm_restrict = 1
accel = "tcg"
vnc = 1
vnclisten = "127.0.0.1"
vncunused = 1
CFG
chmod 644 "$work/c.cfg"
"$XL_DMR" create "$work/c.cfg" -n --json memory=48 > "$work/plan.json" 2> "$work/err"
tap_check "create CFG -n --json KEY=VALUE: a dry run, the override applied" \
    bash -c "[ $? = 0 ] && [ \"\$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[\"name\"], \"48M\" in d[\"argv\"])' $work/plan.json)\" = 'cliopt1 True' ]"
"$XL_DMR" create -n -- "$work/c.cfg" > /dev/null 2> "$work/err"
tap_check "create -n -- CFG" [ $? = 0 ]
"$XL_DMR" create -- "$work/c.cfg" -n > /dev/null 2> "$work/err"
tap_check "after --, -n is an operand (not a KEY=VALUE): an error, nothing started" \
    bash -c "[ $? != 0 ] && ! $XL_DMR list cliopt1 >/dev/null 2>&1"

# The unprivileged side, before any domain exists: as nobody.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$XL_DMR" "$@"; }
if ! setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    tap_skip "needs root" "cannot run as nobody (setpriv)"
else
    bad_root=
    for args in "create $work/c.cfg" "destroy cliopt1" "pause cliopt1" "unpause cliopt1" \
        "shutdown -w cliopt1" "reboot cliopt1" "console cliopt1" "cd-insert cliopt1 hdc /dev/null" \
        "cd-eject cliopt1 hdc" "pci-assignable-add 0000:03:00.0" "pci-assignable-remove 0000:03:00.0" \
        "pci-attach cliopt1 0000:03:00.0" "pci-detach cliopt1 0000:03:00.0" "pci-list cliopt1" \
        "dm-audit cliopt1" "host setup"; do
        as_nobody $args > "$work/out" 2> "$work/err"
        rc=$?
        c=${args%% *}; [ "$c" = host ] && c="host setup"
        [ $rc = 1 ] && [ "$(cat "$work/err")" = "xl-dmr $c: needs root (run it as root or with sudo)" ] ||
            bad_root="$bad_root [$args: exit $rc, $(head -1 "$work/err")]"
    done
    tap_check "as nobody, each command that needs root says so in one line, exit 1${bad_root:+:$bad_root}" [ -z "$bad_root" ]
    as_nobody create -n "$work/c.cfg" > /dev/null 2> "$work/err"
    tap_check "as nobody, create -n works" [ $? = 0 ]
    as_nobody host setup --dry-run > /dev/null 2> "$work/err"
    tap_check "as nobody, host setup --dry-run works" [ $? = 0 ]
    as_nobody list > /dev/null 2> "$work/err"
    tap_check "as nobody, list works" [ $? = 0 ]
    as_nobody info > "$work/info" 2> "$work/err"
    tap_check "as nobody, info works" bash -c "[ $? = 0 ] && grep -q '^qemu_caps *: ' $work/info"
fi

# xl-dmr info: key : value lines.
"$XL_DMR" info > "$work/info" 2> "$work/err"
tap_check "info: versions, backend, QEMU's capabilities, the users" \
    bash -c "[ $? = 0 ] && grep -q '^xl_dmr_version *: [0-9]' $work/info && grep -q '^backend *: \(qemu\|xen\)' $work/info && grep -q '^qemu_version *: QEMU emulator version' $work/info && grep -q '^qemu_caps *: .*runas' $work/info && grep -q '^range_base_user *: ' $work/info"

# A real domain: options after its name; list NAME and -l.
"$XL_DMR" info > "$work/info" 2> "$work/err"
tap_check "info names the range base user and its uid" \
    grep -q '^range_base_user *: xen-qemuuser-range-base (uid 131072)' "$work/info"
# A password nobody else has: any copy of it found below is a leak.
secret=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 8)
"$XL_DMR" create "$work/c.cfg" -p "vncpasswd=\"$secret\"" > /dev/null 2> "$work/create.err"
tap_check "a restricted domain with a VNC password starts paused (create CFG -p KEY=VALUE)" \
    bash -c "[ $? = 0 ] && $XL_DMR list cliopt1 > /dev/null"
"$XL_DMR" dm-audit cliopt1 --json > "$work/audit.json" 2> "$work/err"
tap_check "dm-audit NAME --json: JSON, every check ok" \
    bash -c "[ $? = 0 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(c[\"ok\"] for c in d[\"checks\"])' $work/audit.json"
"$XL_DMR" list cliopt1 --json > "$work/list.json"
tap_check "list NAME --json: only that domain" \
    [ "$(json_get "$work/list.json" '[x["name"] for x in d]')" = '["cliopt1"]' ]
domid=$(json_get "$work/list.json" 'd[0]["domid"]')
"$XL_DMR" list cliopt1 nosuch > "$work/out" 2> "$work/err"
tap_check "list with an unknown name: exit 1, one line naming it" \
    bash -c "[ $? = 1 ] && [ \"\$(cat $work/err)\" = 'xl-dmr list: no domain nosuch' ]"
"$XL_DMR" list -l cliopt1 > "$work/long.json" 2> "$work/err"
tap_check "list -l NAME: the plan and the state, as JSON" \
    bash -c "[ $? = 0 ] && [ \"\$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); x=d[0]; print(len(d), x[\"name\"], x[\"state\"], x[\"plan\"][\"name\"], x[\"record\"][\"dm_user\"])' $work/long.json)\" = '1 cliopt1 p cliopt1 xen-qemuuser-range-base+$domid' ]"
tap_check "... the plan says there is a VNC password" \
    [ "$(json_get "$work/long.json" 'd[0]["plan"]["display"]["vnc"]["password"]')" = true ]
"$XL_DMR" list -l > "$work/all.json" 2>&1
all_rc=$?
as_nobody list -l > "$work/nobody.json" 2>&1
nobody_rc=$?
tap_check "list -l as root and as nobody: exit 0, JSON naming the domain (so the next check reads real output)" \
    bash -c "[ $all_rc = 0 ] && [ $nobody_rc = 0 ] && for f in $work/all.json $work/nobody.json; do python3 -c 'import json,sys; assert any(x[\"name\"] == \"cliopt1\" for x in json.load(open(sys.argv[1])))' \$f || exit 1; done"
tap_check "the VNC password is in no list -l output (root's, nobody's) nor the state files" \
    bash -c "! grep -rq '$secret' $work/long.json $work/all.json $work/nobody.json /run/xl-dmr/domains"

tap_check "the plan is a file of its own beside the record (the record holds no plan)" \
    bash -c "[ -s /run/xl-dmr/domains/$domid.plan.json ] && ! grep -q '\"plan\"' /run/xl-dmr/domains/$domid.json"
# A record from before the plan had a file of its own held it as "plan".
python3 - "/run/xl-dmr/domains/$domid" <<'PY'
import json, os, sys
base = sys.argv[1]
record = json.load(open(base + ".json"))
record["plan"] = json.load(open(base + ".plan.json"))
json.dump(record, open(base + ".json.tmp", "w"))
os.rename(base + ".json.tmp", base + ".json")
os.unlink(base + ".plan.json")
PY
"$XL_DMR" list -l cliopt1 > "$work/old.json" 2> "$work/err"
tap_check "list -l of such a record: the plan from its member, left out of the record" \
    [ "$(json_get "$work/old.json" '[d[0]["plan"]["name"], "plan" in d[0]["record"]]')" = '["cliopt1", false]' ]

"$XL_DMR" destroy cliopt1 2> "$work/err"
tap_check "destroy" [ $? = 0 ]
left=$(leftovers -u $((131072 + domid)) -m cliopt1 -p /run/xl-dmr/domains/$domid.json \
       -p /run/xl-dmr/domains/$domid.plan.json)
tap_check "nothing left behind${left:+: $left}" [ -z "$left" ]
tap_done
