#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xl-dmr create -n --json against real NSS look-ups, the real QEMU probe
# and real /etc/subuid, with test users that exist only in a private
# mount namespace (tests/lib/userns.sh).
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"

XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-nss.XXXXXX)
trap 'umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
cat > "$work/g.cfg" <<'CFG'
name = "nss1"
type = "hvm"
memory = 128
dm_restrict = 1
CFG

# plan NAME [ARGS...]: run create -n --json, keep stdout/stderr/status.
plan() {
    local name=$1; shift
    "$XL_DMR" create -n --json "$@" > "$work/$name.json" 2> "$work/$name.err"
    echo $? > "$work/$name.rc"
}
get() { json_get "$work/$1.json" "$2"; }
rc() { cat "$work/$1.rc"; }

# 1. The range: uid = base + domid, gid = base's group, reaper = base.
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
plan range --domid 1 "$work/g.cfg"
tap_check "range: exit 0" [ "$(rc range)" = 0 ]
tap_check "range: user is range-base+1" [ "$(get range 'd["dm"]["user"]')" = '"xen-qemuuser-range-base+1"' ]
tap_check "range: uid 131073 gid 131072" [ "$(get range '[d["dm"]["uid"], d["dm"]["gid"]]')" = "[131073, 131072]" ]
tap_check "range: source range, kill_by_uid, reaper 131072" \
    [ "$(get range '[d["dm"]["source"], d["dm"]["kill_by_uid"], d["dm"]["reaper_uid"]]')" = '["range", true, 131072]' ]
tap_check "range: restricted, chroot per domid" \
    [ "$(get range '[d["dm"]["restricted"], d["dm"]["chroot"], d["backend"]]')" = '[true, "/run/xl-dmr/qemu-root-1", "qemu"]' ]
tap_check "range: argv has -runas 131073:131072, -chroot and the sandbox" \
    [ "$(get range '[d["argv"][i + 1] for i, a in enumerate(d["argv"]) if a in ("-runas", "-chroot", "-sandbox")]')" = \
      '["on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny", "/run/xl-dmr/qemu-root-1", "131073:131072"]' ]
plan range5 --domid 5 "$work/g.cfg"
tap_check "range: --domid 5 gives uid 131077" [ "$(get range5 'd["dm"]["uid"]')" = 131077 ]

# 2. Lowest free domid when none is asked for.
plan auto "$work/g.cfg"
tap_check "range: no --domid picks domid 1" [ "$(get auto 'd["domid"]')" = 1 ]

# 3. A uid clash found through getpwuid: both names in the refusal.
userns_add_user dmrtest-alice 131073 1000
plan clash --domid 1 "$work/g.cfg"
tap_check "clash: exit 1" [ "$(rc clash)" = 1 ]
tap_check "clash: JSON error REFUSED naming the owner" \
    grep -q '"code": "REFUSED".*dmrtest-alice' <(get clash 'd')
tap_check "clash: one line on stderr" [ "$(wc -l < "$work/clash.err")" = 1 ]

# 4. Subordinate range overlap: a warning, not a refusal.
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
echo "dmrtest-bob:100000:65536" > /etc/subuid
plan subuid --domid 1 "$work/g.cfg"
tap_check "subuid: exit 0 with a warning naming the owner" \
    grep -q "dmrtest-bob's subordinate uid range 100000-165535" <(get subuid 'd["warnings"]')
: > /etc/subuid

# 5. The older per-domain user, then the shared user.
userns_reset
userns_add_user xen-qemuuser-domid3 5003 5003
userns_add_user xen-qemuuser-reaper 990 990
plan domid_user --domid 3 "$work/g.cfg"
tap_check "domid user: source domid_user, uid 5003, reaper 990" \
    [ "$(get domid_user '[d["dm"]["source"], d["dm"]["uid"], d["dm"]["reaper_uid"]]')" = '["domid_user", 5003, 990]' ]
userns_reset
userns_add_user xen-qemuuser-shared 5000 5000
plan shared --domid 2 "$work/g.cfg"
tap_check "shared: kill_by_uid off, warned" \
    [ "$(get shared '[d["dm"]["source"], d["dm"]["kill_by_uid"], len(d["warnings"]) > 0]')" = '["shared", false, true]' ]
plan shared_dmu --domid 2 "$work/g.cfg" 'device_model_user="xen-qemuuser-shared"'
tap_check "shared named as device_model_user: still the shared case" \
    [ "$(get shared_dmu '[d["dm"]["source"], d["dm"]["kill_by_uid"]]')" = '["shared", false]' ]

# 6. device_model_user: found, missing, and uid 0 behind another name.
userns_reset
userns_add_user dmrtest-qemu 1500 1500
plan dmu --domid 2 "$work/g.cfg" 'device_model_user="dmrtest-qemu"' dm_restrict=0
tap_check "device_model_user unrestricted: -runas 1500:1500, no chroot" \
    [ "$(get dmu '[d["dm"]["uid"], d["dm"]["chroot"], "-runas" in d["argv"], "-chroot" in d["argv"]]')" = '[1500, null, true, false]' ]
tap_check "device_model_user not the toolstack's: never killed by uid, said in a notice" \
    [ "$(get dmu '[d["dm"]["kill_by_uid"], any("killed through its pidfd" in n for n in d["notices"])]')" = '[false, true]' ]
# A process already runs with that uid: refused (nothing of it would be killed,
# and the DM could signal it). The process is this test's own, killed by pid.
setpriv --reuid=1500 --regid=1500 --clear-groups sleep 60 &
squatter=$!
plan dmu_busy --domid 2 "$work/g.cfg" 'device_model_user="dmrtest-qemu"' dm_restrict=0
kill "$squatter"; wait "$squatter" 2>/dev/null
tap_check "device_model_user with a process running as it: refused, counted" \
    [ "$(rc dmu_busy):$(get dmu_busy '"already runs 1 process(es)" in d["error"]["message"]')" = '1:true' ]
plan ghost --domid 2 "$work/g.cfg" 'device_model_user="dmrtest-ghost"'
tap_check "missing device_model_user: NOTFOUND" grep -q '"NOTFOUND"' <(get ghost 'd')
userns_add_user dmrtest-toor 0 0
plan toor --domid 2 "$work/g.cfg" 'device_model_user="dmrtest-toor"'
tap_check "device_model_user with uid 0: refused" \
    [ "$(rc toor):$(get toor 'd["error"]["code"]')" = '1:"REFUSED"' ]

# 7. Nobody to run as: restricted refuses, unrestricted is root.
userns_reset
plan none --domid 1 "$work/g.cfg"
tap_check "no users, dm_restrict=1: refused, never root" \
    [ "$(rc none):$(get none 'd["error"]["code"]')" = '1:"REFUSED"' ]
plan root --domid 1 "$work/g.cfg" dm_restrict=0
tap_check "no users, dm_restrict=0: root with a notice" \
    [ "$(get root '[d["dm"]["user"], d["dm"]["uid"], d["sandbox"], len(d["notices"])]')" = '["root", 0, null, 1]' ]

# 8. The human-readable plan says the same.
userns_add_user xen-qemuuser-range-base 131072 131072
"$XL_DMR" create -n --domid 1 "$work/g.cfg" > "$work/text.out" 2>&1
tap_check "text plan names the user and the chroot" \
    grep -q 'Device model user: xen-qemuuser-range-base+1 (uid 131073, gid 131072)' "$work/text.out"

# 9. Same input, same bytes (on the live host, facts gathered twice).
plan det1 --domid 4 "$work/g.cfg"
plan det2 --domid 4 "$work/g.cfg"
tap_check "determinism: two runs give identical JSON" cmp -s "$work/det1.json" "$work/det2.json"

tap_done
