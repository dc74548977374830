#!/bin/sh
# Run fuzz targets for a while each, on their corpora; fail if any crashes.
#
#   sh tests/fuzz/run.sh BIN_DIR WORK_DIR SECONDS [TARGET...]
#
# BIN_DIR holds fuzz_TARGET (a build with -DHRSS_FUZZ=ON). Each target
# reads its committed seeds (tests/fuzz/corpus/TARGET, never written) and
# WORK_DIR/corpus/TARGET, where new inputs go and stay for the next run;
# a crash, leak or timeout input is saved in WORK_DIR/artifacts/TARGET/
# and the output is in WORK_DIR/TARGET.log. Without TARGETs, all of them.
# Extra libFuzzer flags may be given in FUZZ_ARGS (e.g. -fork=2).
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 3 ]; then
    echo "usage: $0 BIN_DIR WORK_DIR SECONDS [TARGET...]" >&2
    exit 64
fi
bin=$1
work=$2
secs=$3
shift 3
[ $# -gt 0 ] || set -- ingest query csvin catalog config text web

# Longest input per target: above every seed, around what the code under
# test can meaningfully take.
max_len() {
    case $1 in
    ingest) echo 8192 ;;    # a batch of a few hundred updates
    query) echo 1024 ;;     # requests are a few short strings
    csvin) echo 8192 ;;
    catalog) echo 16384 ;;  # the shipped files are 0.2 to 5 KB
    config) echo 4096 ;;
    text) echo 1024 ;;      # names and messages are short
    web) echo 1024 ;;       # a request's path and query
    *) echo 4096 ;;
    esac
}

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
failed=""
for t in "$@"; do
    exe=$bin/fuzz_$t
    corpus=$work/corpus/$t
    art=$work/artifacts/$t
    log=$work/$t.log
    mkdir -p "$corpus" "$art"
    dict=""
    if [ -f "$here/dict/$t.dict" ]; then
        dict="-dict=$here/dict/$t.dict"
    fi
    echo "fuzz $t: ${secs}s, corpus $corpus, log $log"
    # shellcheck disable=SC2086
    "$exe" -max_total_time="$secs" -max_len="$(max_len "$t")" \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$art/" \
        $dict ${FUZZ_ARGS:-} "$corpus" "$here/corpus/$t" >"$log" 2>&1
    rc=$?
    # libFuzzer's last status line: coverage, features, corpus size.
    grep -E '^#[0-9]+' "$log" | tail -n 1 | sed "s/^/fuzz $t: /"
    grep -E '^stat::number_of_executed_units' "$log" | sed "s/^/fuzz $t: /"
    if [ "$rc" -ne 0 ]; then
        echo "fuzz $t: FAILED (exit $rc); the end of $log:" >&2
        tail -n 60 "$log" >&2
        echo "fuzz $t: inputs saved in $art/:" >&2
        ls -l "$art" >&2
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: FAILED:$failed" >&2
    exit 1
fi
echo "fuzz: no crash in: $*"
