#!/bin/sh
# tests/deploy/demo-test.sh: `make demo` end to end (deploy/demo.sh) on the
# programs of a build tree, in a directory of its own.
#
# usage: sh tests/deploy/demo-test.sh BIN_DIR CATALOG_DIR SOURCE_DIR
#
# The demo must succeed (exit 0: every figure delivered, every command it
# runs answered, everything stopped cleanly) and keep its showcase:
#   - one file per office: 103 (the shipped catalog's 104 regions but the
#     province; 下城区 and 江干区 until 2021-03, 临平区 and 钱塘区 from
#     2021-04) and 115140 figures;
#   - 建德市 (330182) sends its December after the deadline;
#   - 湖州市 (330500) accepted, its five counties approved (was: the
#     county list was read with parent_code as the last column of
#     regions.csv, which ends with valid_from,valid_to: nothing was
#     approved below the city and the demo failed);
#   - `outliers --period 2024..2025` lists exactly one figure: 西湖区's
#     deliberate senior_title_talent of 2025-06.
# Exit status 0 when all holds, 1 otherwise (the demo's output printed).
#
# POSIX sh with coreutils, grep and awk.

set -u

[ $# -eq 3 ] || {
    echo "usage: sh tests/deploy/demo-test.sh BIN_DIR CATALOG_DIR" \
        "SOURCE_DIR" >&2
    exit 2
}
BIN=$(cd "$1" && pwd) || exit 1
CAT=$(cd "$2" && pwd) || exit 1
SRC=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hrss-demo-test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
OUT=$TMP/out

fail()
{
    echo "demo-test: $*"
    echo "--- the demo's output:"
    cat "$OUT"
    exit 1
}

cd "$SRC" || exit 1
HRSS_BIN=$BIN HRSS_CATALOG=$CAT DEMO_KEYS=$TMP/keys \
    sh deploy/demo.sh "$TMP/demo" > "$OUT" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "deploy/demo.sh exited $rc"

grep -q '^generated 115140 monthly figures (2021-01\.\.2025-12) for 103 offices ' \
    "$OUT" || fail "not 115140 figures for 103 offices"
grep -q '^建德市 (330182) sent its December on .*, after the deadline' \
    "$OUT" || fail "建德市's December is not late"

# The approvals table of 330500: the city accepted, five counties
# approved, nothing else.
n=$(awk '/approvals --period 2025-12 --region 330500/ { on = 1; next }
         on && /^$/ && rows > 0 { exit }
         on && / 3305[0-9][0-9] / { rows++; print $3 }' "$OUT" |
    sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
[ "$n" = "accepted:1 approved:5 " ] ||
    fail "approvals of 湖州市: '$n', want 'accepted:1 approved:5 '"

# The outliers of 2024..2025: the table's rows after its dashes.
rows=$(awk '/outliers --period 2024\.\.2025/ { on = 1; next }
            on && /^---/ { dashes = 1; next }
            on && dashes && /^$/ { exit }
            on && dashes { print }' "$OUT")
nrows=$(printf '%s\n' "$rows" | grep -c .)
[ "$nrows" -eq 1 ] || fail "$nrows outliers in 2024..2025, want 1"
printf '%s\n' "$rows" |
    grep -q '^其中:高级职称人才数量  *西湖区 330106  *2025-06 ' ||
    fail "the outlier is not 西湖区's senior titles of 2025-06: $rows"
exit 0
