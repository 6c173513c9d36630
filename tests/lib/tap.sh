# SPDX-License-Identifier: LGPL-2.1-or-later
# TAP for the shell tests: ok / not ok / skip, counted by tests/run-suite.
# Source it; call tap_done at the end.
TAP_N=0
TAP_FAILED=0

tap_ok()   { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
tap_fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# A test that cannot run here: counted as skipped, with its reason.
tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }

# tap_check NAME CONDITION-COMMAND...: ok when the command succeeds.
tap_check() {
    local name=$1; shift
    if "$@"; then tap_ok "$name"; else tap_fail "$name" "failed: $*"; fi
}

# tap_one_line NAME FILE: ok when FILE (an error output) is one line; else
# not ok, with its lines.
tap_one_line() {
    if [ "$(wc -l < "$2")" = 1 ]; then tap_ok "$1"; else local l; mapfile -t l < "$2"; tap_fail "$1" "${l[@]}"; fi
}

tap_done() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }

# json_get FILE EXPR: a value from a JSON file, by a python expression on d.
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps($2))" "$1"; }
