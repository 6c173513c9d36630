#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The frontend's own tests (bad input, NSS users) again, with every
# xl-dmr under valgrind's memcheck: no error and no definite or indirect
# leak. (Starting guests cannot run under Debian 12's valgrind 3.19: it
# does not know pidfd_open.) Skipped without valgrind, and in a sanitizer
# build, whose binaries valgrind cannot run.
set -u
. "$srcdir/tests/lib/tap.sh"
BIN=$builddir/tools/.libs/xl-dmr
[ -x "$BIN" ] || BIN=$builddir/tools/xl-dmr
if ! command -v valgrind > /dev/null; then
    tap_skip "valgrind over the frontend tests" "no valgrind (apt-get install valgrind)"; tap_done; exit
fi
if ldd "$BIN" 2>/dev/null | grep -q 'libasan'; then
    tap_skip "valgrind over the frontend tests" "a sanitizer build: valgrind cannot run ASan binaries"; tap_done; exit
fi
work=$(mktemp -d /tmp/dmr-valgrind.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/xl-dmr" <<WRAP
#!/bin/sh
exec env LD_LIBRARY_PATH=$builddir/libdmrestrict/.libs valgrind -q --leak-check=full \\
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \\
    --log-file=$work/vg.%p.log "$BIN" "\$@"
WRAP
chmod +x "$work/xl-dmr"
for t in test_cli_bad_input test_cli_nss; do
    XL_DMR=$work/xl-dmr bash "$srcdir/tests/integration/$t.sh" > "$work/$t.out" 2>&1
    tap_check "$t under valgrind: its own checks pass ($(grep -c '^ok' "$work/$t.out") ok)" \
        bash -c "! grep -q '^not ok' $work/$t.out && grep -q '^1\.\.' $work/$t.out"
done
runs=$(ls "$work"/vg.*.log 2>/dev/null | wc -l)
tap_check "valgrind ran xl-dmr $runs times: no error, no leak" \
    bash -c "[ $runs -gt 20 ] && ! grep -h '^==' $work/vg.*.log | grep -v '^==[0-9]*== *\$' | grep -q ."
grep -h '^==' "$work"/vg.*.log 2>/dev/null | grep -v '^==[0-9]*== *$' | head -20 | sed 's/^/# /'
tap_done
