#!/bin/sh
# Run the integration tests that exercise the collector's threads against
# daemons built with ThreadSanitizer (make test-tsan).
#
#   sh tests/tsan.sh ASAN_BUILD TSAN_BUILD
#
# The Criterion test programs come from ASAN_BUILD (Criterion itself does
# not run under TSan) and start the programs of TSAN_BUILD/bin
# (HRSS_TEST_BIN_DIR). Every TSan report goes to TSAN_BUILD/tsan-log/;
# any report fails the run. Tests that bound time (floods, fairness) or
# memory (the collector's peak size, which TSan's shadow inflates) are
# left out: TSan makes everything ~10 times slower and larger. So are
# test_drain (the agents' peak size against their backlog), test_frozen
# (two minutes, then a time bound; test_delivery's frozen collector runs
# here), test_rebuild (the collector's start-up, before its threads,
# within a time bound) and test_query_memory (the peaks of hrssctl and
# the collector's size after an export).
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 2 ]; then
    echo "usage: $0 ASAN_BUILD TSAN_BUILD" >&2
    exit 64
fi
asan=$(cd "$1" && pwd)
tsan=$(cd "$2" && pwd)
logs=$tsan/tsan-log
rm -rf "$logs"
mkdir -p "$logs"
export HRSS_TEST_BIN_DIR="$tsan/bin"
export TSAN_OPTIONS="suppressions=$here/tsan.supp log_path=$logs/tsan"
failed=""
run() {
    name=$1
    shift
    echo "tsan: $name $*"
    if ! "$asan/bin/$name" "$@" >"$logs/$name.out" 2>&1; then
        tail -n 40 "$logs/$name.out" >&2
        failed="$failed $name"
    fi
    tail -n 1 "$logs/$name.out"
}
run test_ingest --filter '!(*flood*)'
run test_auth
run test_query_socket --filter '!(*do_not_grow*)'
run test_delivery
run test_faults
reports=$(ls "$logs" | grep '^tsan\.' || true)
if [ -n "$reports" ]; then
    for r in $reports; do
        cat "$logs/$r" >&2
    done
    echo "tsan: ThreadSanitizer reports:" $reports >&2
    exit 1
fi
if [ -n "$failed" ]; then
    echo "tsan: FAILED:$failed" >&2
    exit 1
fi
echo "tsan: no data race reported"
