#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xl-dmr host check and host setup, against a private copy of /etc (the
# whole directory bind-mounted in a private mount namespace: adduser and
# useradd rename files in it). The host's own users are never touched.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-host.XXXXXX)
trap 'umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
item() { grep -E "^$1 +$2 " "$work/out" > /dev/null; }   # STATUS NAME

# Debian's defaults: /etc/subuid exists, useradd hands out 100000..600100000.
userns_reset
printf 'UID_MIN 1000\nUID_MAX 60000\nSUB_UID_MIN 100000\nSUB_UID_MAX 600100000\nSUB_GID_MIN 100000\nSUB_GID_MAX 600100000\n' > /etc/login.defs
"$XL_DMR" host check > "$work/out"
rc=$?
tap_check "no users yet: exit 0, the range base a warning with its fix" \
    bash -c "[ $rc = 0 ] && grep -qE '^warn +range base' $work/out && grep -q 'fix: xl-dmr host setup' $work/out"
passwd_before=$(md5sum < /etc/passwd)
"$XL_DMR" host setup --dry-run > "$work/out"
tap_check "setup --dry-run on Debian's defaults picks 65536, and says 131072 is where useradd hands out subordinate ids" \
    bash -c "grep -q 'would run adduser --system --group --no-create-home --uid 65536 xen-qemuuser-range-base' $work/out && grep -q '131072: useradd hands out subordinate ids' $work/out"
tap_check "... and changes nothing" [ "$passwd_before" = "$(md5sum < /etc/passwd)" ]

"$XL_DMR" host setup > "$work/out" 2> "$work/err"
rc=$?
tap_check "setup creates the three users ($(head -c 120 "$work/err"))" \
    bash -c "[ $rc = 0 ] && [ \"\$(getent passwd xen-qemuuser-range-base | cut -d: -f3)\" = 65536 ] && getent passwd xen-qemuuser-shared > /dev/null && getent passwd xen-qemuuser-reaper > /dev/null"
tap_check "... the range base with a group of its own, gid 65536" \
    [ "$(getent group xen-qemuuser-range-base | cut -d: -f3)" = 65536 ]
tap_check "... the others with system uids" \
    bash -c '[ $(getent passwd xen-qemuuser-reaper | cut -d: -f3) -lt 1000 ] && [ $(getent passwd xen-qemuuser-shared | cut -d: -f3) -lt 1000 ]'
passwd_after=$(md5sum < /etc/passwd)
"$XL_DMR" host setup > "$work/out"
tap_check "setup again: nothing to do, each user already there" \
    bash -c "[ \$(grep -c 'already there' $work/out) = 3 ] && [ '$passwd_after' = \"\$(md5sum < /etc/passwd)\" ]"
"$XL_DMR" host check > "$work/out"
rc=$?
tap_check "then host check: exit 0, range base, owners, subordinate ids and reaper ok" \
    bash -c "[ $rc = 0 ] && grep -qE '^ok +range base +xen-qemuuser-range-base is uid 65536' $work/out && grep -qE '^ok +range owners' $work/out && grep -qE '^ok +subordinate ids' $work/out && grep -qE '^ok +future subordinate ids' $work/out && grep -qE '^ok +reaper user' $work/out"
tap_check "... and the shared user is never chosen" grep -qE '^ok +shared user .*never chosen' "$work/out"

# Without /etc/subuid useradd hands out no ranges: 131072, as the Xen docs.
userns_reset
rm -f /etc/subuid /etc/subgid
"$XL_DMR" host setup --dry-run > "$work/out"
tap_check "no /etc/subuid: setup picks 131072" grep -q -- '--uid 131072 xen-qemuuser-range-base (131072..163823 meets no user' "$work/out"

# The usual base, with trouble.
userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
userns_add_user dmrtest-bob 131080 131080
"$XL_DMR" host check > "$work/out"
rc=$?
tap_check "a passwd entry inside the range: FAIL naming it, exit 3" \
    bash -c "[ $rc = 3 ] && grep -qE '^FAIL +range owners +other passwd entries hold device-model uids: uid 131080 \(dmrtest-bob\)' $work/out"
tap_check "... with its fix" grep -q 'fix: move those users' "$work/out"

userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
echo 'alice:100000:65536' > /etc/subuid
"$XL_DMR" host check > "$work/out"
rc=$?
tap_check "Debian's first user's subuid range 100000-165535 covers the DM uids: FAIL, exit 3" \
    bash -c "[ $rc = 3 ] && grep -qE \"^FAIL +subordinate ids +device-model uids lie in alice's subuid range 100000-165535\" $work/out"
: > /etc/subuid
echo 'alice:100000:65536' > /etc/subgid
"$XL_DMR" host check > "$work/out"
tap_check "a subgid range alone: FAIL too" grep -qE "^FAIL +subordinate ids .*alice's subgid range" "$work/out"
: > /etc/subgid
"$XL_DMR" host check > "$work/out"
rc=$?
tap_check "no range yet, but useradd's span meets 131072: a warning, exit 0" \
    bash -c "[ $rc = 0 ] && grep -qE '^warn +future subordinate ids' $work/out"

# Setup around an occupied 65536 block: past useradd's whole span.
userns_reset
userns_add_user dmrtest-carol 65540 65540
"$XL_DMR" host setup --dry-run > "$work/out"
tap_check "65536 taken too: setup goes past SUB_UID_MAX to 600113152" \
    bash -c "grep -q -- '--uid 600113152 xen-qemuuser-range-base' $work/out && grep -q '65536: uid 65540 (dmrtest-carol)' $work/out"
"$XL_DMR" host bogus 2> "$work/err"
tap_check "host with a bad word: usage error, exit 2" bash -c "[ $? = 2 ] && [ \$(wc -l < $work/err) = 1 ]"
tap_done
