#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The example toolstack (docs/examples/toolstack.c) built as an outsider
# builds it: against the library installed into a scratch DESTDIR, with
# only what `pkg-config --cflags --libs libdmrestrict` gives. Then what a
# toolstack that is libxl itself needs of that library (no libxenlight,
# no libxlutil, versioned exports), and what the example's scenarios
# print. It runs in a private mount namespace with a tmpfs over /run, so
# the domain it records (/run/xl-dmr) never reaches the host's.
set -u
. "$srcdir/tests/lib/tap.sh"
name=$(basename "$0" .sh)
skip_all() { tap_skip "$name" "$1"; tap_done; exit 0; }
# The build and ABI checks need no root; running the scenarios does (a
# recorded domain is written to /run/xl-dmr, made private here).
can_run=yes
if [ -z "${DMR_IN_PRIVATE_NS:-}" ]; then
    if [ "$(id -u)" != 0 ]; then
        can_run="not root (recording a domain writes /run/xl-dmr)"
    elif ! unshare -m true 2>/dev/null; then
        can_run="cannot create a mount namespace (unshare -m)"
    else
        DMR_IN_PRIVATE_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
    fi
fi
for tool in cc pkg-config objdump ldd python3; do
    command -v $tool > /dev/null || skip_all "no $tool"
done
tmp=$(mktemp -d /tmp/dmr-example.XXXXXX)
# Only this test's own /run is ever unmounted (in its private namespace).
trap '[ -n "${DMR_IN_PRIVATE_NS:-}" ] && umount /run 2>/dev/null; rm -rf "$tmp"' EXIT
facts=$srcdir/docs/examples/toolstack.facts
stage=$tmp/stage

# The install, as a packager does it.
if ! make -C "$builddir" install DESTDIR="$stage" > "$tmp/install.log" 2>&1; then
    tap_fail "make install DESTDIR=..." "$(tail -5 "$tmp/install.log")"
    tap_done; exit
fi
# Where it went: the build tree's .pc says (with ${prefix} expanded).
built_pc() { PKG_CONFIG_PATH=$builddir/libdmrestrict pkg-config --variable="$1" libdmrestrict; }
libdir=$(built_pc libdir)
header=$stage$(built_pc includedir)/libdmrestrict.h
lib=$stage$libdir/libdmrestrict.so
export PKG_CONFIG_PATH=$stage$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
tap_check "make install DESTDIR=... puts libdmrestrict.so and its .pc in $libdir" \
    test -e "$lib" -a -e "$PKG_CONFIG_PATH/libdmrestrict.pc"

# What a toolstack linking it gets.
flags="$(pkg-config --cflags libdmrestrict) $(pkg-config --libs libdmrestrict)"
# A sanitizer build's library needs its callers built the same way (ASan first).
sanitize=
objdump -p "$lib" | grep -q 'NEEDED.*libasan' && sanitize="-fsanitize=address,undefined -fno-omit-frame-pointer"
cc -Wall -Wextra -D_GNU_SOURCE $sanitize -o "$tmp/toolstack" "$srcdir/docs/examples/toolstack.c" \
    $flags > "$tmp/cc.log" 2>&1
rc=$?
tap_check "the example compiles and links, without a warning, with only pkg-config's flags" \
    bash -c "[ $rc = 0 ] && [ ! -s $tmp/cc.log ]"
[ -s "$tmp/cc.log" ] && sed 's/^/# /' "$tmp/cc.log" | head -20
tap_check "its link line names no xenlight or xlutil ($flags)" \
    bash -c "! grep -qE 'xenlight|xlutil' <<< '$flags'"
tap_check "libdmrestrict.so NEEDs no libxenlight or libxlutil" \
    bash -c "objdump -p '$lib' | grep -q NEEDED && ! objdump -p '$lib' | grep NEEDED | grep -qE 'libxenlight|libxlutil'"
requires=$(pkg-config --print-requires --print-requires-private libdmrestrict | tr '\n' ' ')
tap_check "pkg-config requires names neither ($requires)" \
    bash -c "! grep -qE 'xenlight|xlutil' <<< '$requires'"
# objdump -T: "ADDR g DF .text SIZE LIBDMRESTRICT_1 libdmr_x"; Base if unversioned.
objdump -T "$lib" | awk '$NF ~ /^libdmr_/ && !/\*UND\*/ { print $(NF-1), $NF }' > "$tmp/exports"
unversioned=$(grep -vE '^\(?LIBDMRESTRICT_1\)? ' "$tmp/exports" | cut -d' ' -f2 | tr '\n' ' ')
tap_check "objdump -T: each of the $(wc -l < "$tmp/exports") libdmr_ exports is in LIBDMRESTRICT_1 (not: ${unversioned:-none})" \
    bash -c "[ -s $tmp/exports ] && [ -z '$unversioned' ]"
grep -oE '\blibdmr_[a-z0-9_]+ *\(' "$header" | tr -d ' (' | sort -u > "$tmp/declared"
missing=$(cut -d' ' -f2 "$tmp/exports" | sort -u | comm -23 "$tmp/declared" - | tr '\n' ' ')
tap_check "every function the installed header declares is exported (missing: ${missing:-none})" \
    bash -c "[ -s $tmp/declared ] && [ -z '$missing' ]"

[ -x "$tmp/toolstack" ] || { tap_done; exit; }
tap_check "the example loads no libxenlight or libxlutil, not even through another library, and the installed libdmrestrict" \
    bash -c "LD_LIBRARY_PATH='$stage$libdir' ldd '$tmp/toolstack' > '$tmp/ldd' && ! grep -qE 'libxenlight|libxlutil' '$tmp/ldd' && grep -q 'libdmrestrict.so.* => $stage$libdir/' '$tmp/ldd'"

if [ "$can_run" != yes ]; then
    tap_skip "the example's scenarios" "$can_run"
    tap_done; exit
fi
# The scenarios, with this test's own /run.
mount -t tmpfs -o mode=0755 tmpfs /run
LD_LIBRARY_PATH=$stage$libdir "$tmp/toolstack" "$facts" > "$tmp/out" 2> "$tmp/err"
rc=$?
tap_check "the example exits 0: every result it expects held" [ $rc = 0 ]
[ $rc = 0 ] || sed 's/^/# /' "$tmp/err" | head -30
out=$tmp/out
base=$(json_get "$facts" 'd["users"]["range_base"]["uid"]')
size=$(json_get "$facts" '[i["size"] for i in d["images"] if i["path"] == "/srv/example/disk.img"][0]')
tap_check "a: HVM, PCI device, dm_restrict=1, xen: REFUSED, qemu-xen needs root" \
    grep -qE '^refused: REFUSED: .*qemu-xen needs root' "$out"
tap_check "b: before the toolstack picks a domid, no uid (NOTFOUND)" \
    grep -qE '^before domid: domid 0 .* uid NOTFOUND$' "$out"
tap_check "b: domid 5: xen-qemuuser-range-base+5, uid $base+5, gid $base, by the range rule" \
    grep -qE "^user: xen-qemuuser-range-base\+5 uid $((base + 5)) gid $base \(range: " "$out"
tap_check "b: rlimit FSIZE and libxl fsize are the writable disk's size, $size" \
    bash -c "grep -qx 'rlimit FSIZE $size' $out && grep -qx 'libxl fsize $size' $out"
pid=$(sed -n 's/^recorded: domain 5 "example" dm pid \([0-9]*\)$/\1/p' "$out")
tap_check "c: the foreign domain is recorded, and listed with its DM's pid (${pid:-none})" \
    bash -c "[ -n '$pid' ] && grep -qE '^list: 5 example dm pid $pid user xen-qemuuser-range-base\+5 uid $((base + 5))$' $out"
tap_check "c: the audit ran and failed (a root process is not uid $((base + 5)))" \
    grep -qE '^audit: domain 5 failed, [1-9][0-9]* checks$' "$out"
tap_check "c: pci-attach to it: REFUSE, its DM is not root and qemu-xen needs it" \
    grep -qE '^pci-attach: REFUSE 0000:01:00.0: .*needs root' "$out"
tap_check "c: forgotten, and the list is empty after" \
    bash -c "sed -n '/^forgotten: 5$/,\$p' $out | grep -qx 'list: empty'"
tap_check "c: the pretend device model is gone" \
    bash -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"
tap_done
