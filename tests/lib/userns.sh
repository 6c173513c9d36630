# SPDX-License-Identifier: LGPL-2.1-or-later
# Test identities without touching the host's: re-run the calling script
# in a private mount namespace where /etc is a private copy of the host's
# (bind-mounted as a whole, since useradd renames files in it). Users and
# subordinate ranges are then written into that copy only.
#
# Usage, at the top of a test script:  . "$srcdir/tests/lib/userns.sh"; userns_enter "$@"
userns_enter() {
    if [ -z "${DMR_IN_PRIVATE_NS:-}" ]; then
        if ! unshare -m true 2>/dev/null; then
            echo "ok 1 - $(basename "$0") # SKIP cannot create a mount namespace (unshare -m: not root?)"
            echo "1..1"
            exit 0
        fi
        DMR_IN_PRIVATE_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
    fi
    DMR_ETC_COPY=$(mktemp -d /tmp/dmr-etc.XXXXXX)
    trap 'umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY"' EXIT
    cp -a /etc/. "$DMR_ETC_COPY/"
    mount --bind "$DMR_ETC_COPY" /etc
    # Start from no subordinate ranges; tests add the ones they need.
    : > /etc/subuid
    : > /etc/subgid
}

# userns_add_user NAME UID GID: a passwd entry and its group, in the copy.
userns_add_user() {
    echo "$1:x:$2:$3::/nonexistent:/usr/sbin/nologin" >> /etc/passwd
    getent group "$3" >/dev/null || echo "$1:x:$3:" >> /etc/group
}

# userns_reset: the copy's passwd/group as the host has them, no ranges.
userns_reset() {
    grep -vE '^(xen-qemuuser-|dmrtest)' /etc/passwd > /etc/passwd.new && cat /etc/passwd.new > /etc/passwd && rm -f /etc/passwd.new
    grep -vE '^(xen-qemuuser-|dmrtest)' /etc/group > /etc/group.new && cat /etc/group.new > /etc/group && rm -f /etc/group.new
    : > /etc/subuid
    : > /etc/subgid
}
