#!/bin/sh
# bench/run.sh: issue 10's benchmark suite (`make bench`).
#
# usage: sh bench/run.sh [BUILD_DIR]            (default build)
#
# Runs, in order, each with its own time limit: bench_store (group commit
# at the store), bench_ingest, bench_peer, bench_scale, bench_asof (as-of
# totals), bench_agent. Each
# prints its figures as it goes and appends one record per figure to a
# results file; at the end this script prints one summary table: figure,
# value, baseline, ratio, target, MET / MISSED. Every benchmark makes its
# temporary directories inside this script's own /tmp/hrss-bench-run-*
# directory, which is removed at the end, also when a benchmark had to be
# killed; nothing else is touched.
#
# Environment:
#   BENCH_ONLY="ingest scale"  run only these (store ingest peer scale asof
#                              agent)
#   BENCH_QUICK=1              smaller amounts (a smoke test, not figures)
#   HRSS_BIN, HRSS_CATALOG     the programs and the catalog (default:
#                              BUILD_DIR/bin, BUILD_DIR/share/hrss/catalog)
#
# Exit status: 0 when every benchmark ran to its end (targets may still be
# MISSED: that is a figure, not a failure), 1 otherwise.

set -u

BUILD=${1:-build}
BIN=${HRSS_BIN:-$BUILD/bin}
CAT=${HRSS_CATALOG:-$BUILD/share/hrss/catalog}
ONLY=${BENCH_ONLY:-store ingest peer scale asof agent}
QUICK=
[ "${BENCH_QUICK:-0}" = 1 ] && QUICK=--quick

for prog in hrss-collector hrss-agent hrssctl bench_store bench_ingest \
    bench_peer bench_scale bench_asof bench_agent; do
    [ -x "$BIN/$prog" ] || {
        echo "bench: $BIN/$prog not found: run \`make bench\`" >&2
        exit 1
    }
done
BIN=$(cd "$BIN" && pwd)
CAT=$(cd "$CAT" && pwd)

RUN_DIR=$(mktemp -d /tmp/hrss-bench-run-XXXXXX) || exit 1
cleanup() {
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
RESULTS=$RUN_DIR/results.tsv
: > "$RESULTS"
HRSS_BENCH_RESULTS=$RESULTS
HRSS_BENCH_TMP=$RUN_DIR
export HRSS_BENCH_RESULTS HRSS_BENCH_TMP

now() {
    date +%s
}

T0=$(now)
FAILED=0
CPU=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)
VERSION=$("$BIN/hrss-collector" --version 2>&1 | head -n 1)
echo "== hrss benchmarks: $(nproc) cores, $CPU, $(uname -r)"
echo "   $VERSION; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# bench NAME LIMIT_S COMMAND...: run one benchmark within LIMIT_S seconds.
bench() {
    name=$1
    limit=$2
    shift 2
    case " $ONLY " in
        *" $name "*) ;;
        *) return 0 ;;
    esac
    t=$(now)
    timeout -k 10 "$limit" "$@"
    st=$?
    if [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; then
        echo "bench: $name did not finish within $limit s: stopped" >&2
        printf '%s\t%s\t-\t-\t-\t-\tFAILED\n' "$name" \
            "did not finish within $limit s" >> "$RESULTS"
        FAILED=1
    elif [ "$st" -ne 0 ]; then
        echo "bench: $name failed (exit $st)" >&2
        printf '%s\t%s\t-\t-\t-\t-\tFAILED\n' "$name" "exit status $st" \
            >> "$RESULTS"
        FAILED=1
    fi
    echo "   ($name: $(($(now) - t)) s)"
}

if case " $ONLY " in *" store "*) true ;; *) false ;; esac; then
    echo "== store: group commit (bench_store)"
    out=$(timeout -k 10 60 "$BIN/bench_store" "$CAT" 20000 100 32)
    st=$?
    printf '%s\n' "$out"
    if [ "$st" -eq 0 ]; then
        one=$(printf '%s\n' "$out" |
            sed -n 's/.*one transaction per batch: *\([0-9]*\).*/\1/p')
        grp=$(printf '%s\n' "$out" |
            sed -n 's/.*batches per transaction: *\([0-9]*\).*/\1/p')
        ratio=$(awk -v a="$grp" -v b="$one" \
            'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
        printf 'store\t%s\t%s\t%s\t%s\t-\t-\n' \
            "store_apply, 32 batches of 100 per commit (upd/s)" "$grp" \
            "$one one per commit" "$ratio" >> "$RESULTS"
    else
        FAILED=1
    fi
fi
bench ingest 360 "$BIN/bench_ingest" "$BIN" "$CAT" $QUICK
bench peer 120 "$BIN/bench_peer" "$BIN" "$CAT" $QUICK
bench scale 480 "$BIN/bench_scale" "$BIN" "$CAT" $QUICK
bench asof 420 "$BIN/bench_asof" "$BIN" "$CAT" $QUICK
bench agent 240 "$BIN/bench_agent" "$BIN" "$CAT" $QUICK

ELAPSED=$(($(now) - T0))
echo
echo "== summary ($ELAPSED s; ratios are to baselines measured in this run)"
awk -F '\t' '
    {
        for (i = 1; i <= 7; i++) {
            c[NR, i] = $i
            if (length($i) > w[i]) w[i] = length($i)
        }
    }
    END {
        split("bench|figure|value|baseline|ratio|target|verdict", h, "|")
        for (i = 1; i <= 7; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
        line = ""
        for (i = 1; i <= 7; i++) line = line sprintf("%-" w[i] "s  ", h[i])
        print line
        line = ""
        for (i = 1; i <= 7; i++) {
            d = ""
            for (j = 0; j < w[i]; j++) d = d "-"
            line = line d "  "
        }
        print line
        for (r = 1; r <= NR; r++) {
            line = ""
            for (i = 1; i <= 7; i++) {
                f = (i == 3 || i == 5) ? "%" w[i] "s  " : "%-" w[i] "s  "
                line = line sprintf(f, c[r, i])
            }
            print line
        }
    }' "$RESULTS"
met=$(awk -F '\t' '$7 == "MET"' "$RESULTS" | wc -l)
missed=$(awk -F '\t' '$7 == "MISSED"' "$RESULTS" | wc -l)
skipped=$(awk -F '\t' '$7 == "SKIPPED"' "$RESULTS" | wc -l)
echo
echo "targets: $met met, $missed missed, $skipped skipped; $ELAPSED s in all"
exit "$FAILED"
