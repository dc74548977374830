#!/bin/sh
# deploy/demo.sh: the whole hrss demo on this machine (`make demo`).
#
# usage: sh deploy/demo.sh [DEMO_DIR]          (default ./demo-data)
#
# Generates five years of monthly figures for the 11 cities and 92
# counties (hrss-demo-gen; four of Hangzhou's districts only for the
# months they exist, around the 2021 map change), starts a collector on
# loopback and one agent per office, has every office submit its CSV,
# waits until the collector has confirmed everything, shows the plan's
# progress with hrssctl, starts the dashboard (hrss-web) on the store and
# prints its URL, and stops what it started. Run from the repository
# root after `make`.
#
# Environment:
#   HRSS_BIN      the programs (default build/bin)
#   HRSS_CATALOG  the catalog (default build/share/hrss/catalog)
#   DEMO_PORT     fixed ingest port (query on DEMO_PORT + 1); default: free
#                 ports chosen by the collector, so two users never clash
#   KEEP=1        leave the collector and the dashboard running at the
#                 end, to query them and open the dashboard's URL
#   DEMO_WEB      the dashboard's ADDR:PORT (default 127.0.0.1:0, a free
#                 port; its URL is printed)
#   DEMO_KEYS     where the CurveZMQ keys live (default: demo-keys beside
#                 DEMO_DIR); made on the first run and kept, like an
#                 office's key: the collector's, an administrator's and one
#                 per office, plus the agents and admins files
#
# DEMO_DIR is removed and made again on every run, but only if it holds
# the marker file .hrss-demo that this script writes: a directory it did
# not make is never deleted. A collector left running by KEEP=1 is
# stopped first. Interrupted or failed, the script stops every process it
# started. Exit status: 0 when every figure was delivered and everything
# stopped cleanly, 1 otherwise.
#
# POSIX sh with coreutils, grep, sed and awk only (Debian 12 base).

set -u

DEMO_DIR=${1:-./demo-data}
HRSS_BIN=${HRSS_BIN:-build/bin}
HRSS_CATALOG=${HRSS_CATALOG:-build/share/hrss/catalog}
DEMO_PORT=${DEMO_PORT:-}
DEMO_WEB=${DEMO_WEB:-127.0.0.1:0}
KEEP=${KEEP:-0}
WEB_PID=
WEB_URL=
MARKER=.hrss-demo
# The one figure hrss-demo-gen gets wrong on purpose (deploy/demo/gen.h).
# The office that reports its December late (timeliness), and the city
# whose December is approved and accepted (approvals).
LATE_REGION=330182
LATE_NAME=建德市
APPR_CITY=330500
APPR_NAME=湖州市
VIOL_REGION=330106
VIOL_NAME=西湖区
VIOL_PERIOD=2025-06

COLLECTOR_PID=
AGENT_PIDS=
FAILED=0
DONE=0
MADE=0
INLINE=0

say() {
    printf '%s\n' "$*"
}

die() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

now_ms() {
    date +%s%3N
}

# Seconds elapsed since $1 (from now_ms), with one decimal.
since() {
    awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'
}

# 0 if pid $1 is a live process named $2 (not one of our children, which
# could be a zombie: those are reaped with wait).
is_running() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
    comm=
    read -r comm 2>/dev/null < "/proc/$1/comm" || return 1
    [ "$comm" = "$2" ]
}

# 0 if our child $1 has not exited yet. The shell may already have
# reaped it (wait still reports its status), or not yet (a zombie, state
# Z). With $2, also only if its name starts with $2 (not yet exec'd: the
# name is still the shell's).
child_alive() {
    line=
    [ -r "/proc/$1/stat" ] || return 1
    read -r line 2>/dev/null < "/proc/$1/stat" || return 1
    case $line in
        *"(${2:-}"*) ;;
        *) return 1 ;;
    esac
    rest=${line##*) }
    [ "${rest%% *}" != Z ]
}

# SIGTERM our child processes "$@" and reap them. SIGTERM is repeated every
# 2 s (hrss-agent can miss one: see the demo's report), SIGKILL after
# 30 s. Returns the number that did not exit 0.
stop_children() {
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null
    live="$*"
    i=0
    while [ -n "$live" ]; do
        sleep 0.1
        i=$((i + 1))
        still=
        for p in $live; do
            if child_alive "$p" hrss-; then
                still="$still $p"
            fi
        done
        live=$still
        [ -n "$live" ] || break
        if [ $i -ge 300 ]; then
            # shellcheck disable=SC2086
            kill -KILL $live 2>/dev/null
            break
        elif [ $((i % 20)) -eq 0 ]; then
            # shellcheck disable=SC2086
            kill -TERM $live 2>/dev/null
        fi
    done
    bad=0
    for p in "$@"; do
        wait "$p" || bad=$((bad + 1))
    done
    return $bad
}

# SIGTERM the processes named $1 among pids $2... that are not our
# children (a kept collector, or what a killed run left over) and wait
# until they are gone; SIGKILL after 30 s. Returns 1 if any remains.
stop_foreign() {
    name=$1
    shift
    live=
    for p in "$@"; do
        if is_running "$p" "$name"; then
            kill -TERM "$p" 2>/dev/null
            live="$live $p"
        fi
    done
    i=0
    while [ -n "$live" ]; do
        still=
        for p in $live; do
            if is_running "$p" "$name"; then
                still="$still $p"
            fi
        done
        live=$still
        [ -n "$live" ] || break
        i=$((i + 1))
        if [ $i -eq 300 ]; then
            # shellcheck disable=SC2086
            kill -KILL $live 2>/dev/null
        elif [ $i -gt 310 ]; then
            return 1
        fi
        sleep 0.1
    done
    return 0
}

# Pids of the hrss daemons that are our children, recorded or not (a
# signal can come between starting one and noting its pid).
hrss_children() {
    for f in /proc/[0-9]*/stat; do
        line=
        read -r line 2>/dev/null < "$f" || continue
        case $line in
            *'(hrss-'*) ;;
            *) continue ;;
        esac
        rest=${line##*) }
        rest=${rest#* }
        [ "${rest%% *}" != "$$" ] || echo "${line%% *}"
    done
}

# Pids of hrss daemons working in directory $1 (any parent): what a run
# that was killed outright, or KEEP=1, left running there.
hrss_in_dir() {
    for f in $(grep -l -F -e "$1/" /proc/[0-9]*/cmdline 2>/dev/null); do
        p=${f#/proc/}
        p=${p%/cmdline}
        comm=
        read -r comm 2>/dev/null < "/proc/$p/comm" || continue
        case $comm in
            hrss-agent | hrss-collector | hrss-web) echo "$p" ;;
        esac
    done
}

# On any exit: stop the agents, and the collector unless the demo
# completed with KEEP=1. Exit status 1 if the demo did not complete.
cleanup() {
    status=$?
    trap - EXIT INT TERM HUP
    # A closed stdout (`make demo | head`) must not stop the cleanup.
    trap '' PIPE
    keep=
    if [ "$DONE" = 1 ] && [ "$KEEP" = 1 ]; then
        keep=1
    fi
    # Agents first (they say goodbye to the collector), then the collector;
    # twice, for a daemon that was still starting during the first pass.
    for pass in 1 2; do
        agents=
        others=
        for p in $(hrss_children); do
            if [ -n "$keep" ] &&
                { [ "$p" = "$COLLECTOR_PID" ] || [ "$p" = "$WEB_PID" ]; }; then
                continue
            elif [ "$p" = "$COLLECTOR_PID" ]; then
                others="$others $p"
            else
                agents="$agents $p"
            fi
        done
        # shellcheck disable=SC2086
        stop_children $agents
        # shellcheck disable=SC2086
        stop_children $others
        [ "$pass" = 2 ] || sleep 0.2
    done
    if [ -z "$keep" ]; then
        rm -f "$DEMO_DIR/collector.pid" "$DEMO_DIR/web.pid"
    fi
    if [ "$DONE" = 0 ]; then
        [ "$INLINE" = 0 ] || printf '\n'
        [ "$MADE" = 0 ] ||
            say "demo: stopped before the end; logs are in $DEMO_DIR" >&2
        [ "$status" -ne 0 ] || status=1
    fi
    exit "$status"
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# --- 0. what we need --------------------------------------------------
for prog in hrss-collector hrss-agent hrss-demo-gen; do
    [ -x "$HRSS_BIN/$prog" ] ||
        die "$HRSS_BIN/$prog not found: run \`make\` first (or set HRSS_BIN)"
done
[ -r "$HRSS_CATALOG/indicators.csv" ] && [ -r "$HRSS_CATALOG/regions.csv" ] &&
    [ -r "$HRSS_CATALOG/plan.csv" ] && [ -r "$HRSS_CATALOG/targets.csv" ] ||
    die "no catalog in $HRSS_CATALOG: run \`make\` first (or set HRSS_CATALOG)"
case $DEMO_PORT in
    '') ;;
    *[!0-9]*) die "DEMO_PORT must be a port number" ;;
    *) [ "$DEMO_PORT" -ge 1 ] && [ "$DEMO_PORT" -le 65534 ] ||
           die "DEMO_PORT must be 1..65534" ;;
esac

T0=$(now_ms)
say "== hrss demo in $DEMO_DIR"

# --- 1. a fresh demo directory -----------------------------------------
if [ -e "$DEMO_DIR" ] || [ -L "$DEMO_DIR" ]; then
    [ -d "$DEMO_DIR" ] && [ ! -L "$DEMO_DIR" ] && [ -f "$DEMO_DIR/$MARKER" ] ||
        die "$DEMO_DIR exists and was not made by this demo (no $MARKER" \
            "in it): not touching it; remove it yourself or choose another" \
            "directory"
    # A collector kept by KEEP=1, and whatever a run that was killed
    # outright (no cleanup) left running: agents first, then collectors.
    abs=$(cd "$DEMO_DIR" && pwd) || die "cannot enter $DEMO_DIR"
    old=
    if [ -f "$DEMO_DIR/collector.pid" ]; then
        old=$(cat "$DEMO_DIR/collector.pid")
        if is_running "$old" hrss-collector; then
            say "stopping the collector of the previous run (pid $old)"
        fi
    fi
    left=$(hrss_in_dir "$abs")
    if [ -f "$DEMO_DIR/collector.pid" ] && is_running "$old" hrss-collector
    then
        left="$left $old"
    fi
    if [ -f "$DEMO_DIR/web.pid" ]; then
        left="$left $(cat "$DEMO_DIR/web.pid")"
    fi
    if [ -n "$left" ]; then
        # shellcheck disable=SC2086
        stop_foreign hrss-agent $left &&
            stop_foreign hrss-web $left &&
            stop_foreign hrss-collector $left ||
            die "processes of a previous run in $DEMO_DIR do not stop:" $left
    fi
    rm -rf "$DEMO_DIR" || die "cannot remove $DEMO_DIR"
fi
mkdir -p "$DEMO_DIR/csv" "$DEMO_DIR/agents" || die "cannot create $DEMO_DIR"
: > "$DEMO_DIR/$MARKER"
MADE=1
# Absolute from here on: the daemons and the printed commands need no cwd.
DEMO_DIR=$(cd "$DEMO_DIR" && pwd) || die "cannot enter $DEMO_DIR"
AG=$DEMO_DIR/agents

# --- 2. the offices' figures --------------------------------------------
"$HRSS_BIN/hrss-demo-gen" --catalog "$HRSS_CATALOG" --out "$DEMO_DIR/csv" \
    > "$DEMO_DIR/gen.log" 2>&1 ||
    die "hrss-demo-gen failed: $(cat "$DEMO_DIR/gen.log")"
CODES=
N_OFFICES=0
for f in "$DEMO_DIR"/csv/*.csv; do
    [ -f "$f" ] || continue
    code=${f##*/}
    CODES="$CODES ${code%.csv}"
    N_OFFICES=$((N_OFFICES + 1))
done
[ "$N_OFFICES" -gt 0 ] || die "hrss-demo-gen wrote no file"
# The late office holds its December back: it is sent after the deadline.
mkdir -p "$DEMO_DIR/csv/late" || die "cannot create $DEMO_DIR/csv/late"
f="$DEMO_DIR/csv/$LATE_REGION.csv"
{ head -n 1 "$f"; grep ',2025-12,' "$f"; } > "$DEMO_DIR/csv/late/$LATE_REGION.csv"
{ head -n 1 "$f"; tail -n +2 "$f" | grep -v ',2025-12,'; } > "$f.tmp" &&
    mv "$f.tmp" "$f" || die "cannot split $f"
N_ROWS=$(cat "$DEMO_DIR"/csv/*.csv | grep -vc '^indicator,')
N_LATE=$(grep -vc '^indicator,' "$DEMO_DIR/csv/late/$LATE_REGION.csv")
say "generated $((N_ROWS + N_LATE)) monthly figures (2021-01..2025-12) for" \
    "$N_OFFICES" \
    "offices in $DEMO_DIR/csv"
say "  one on purpose breaks an \"of which\" rule: $VIOL_NAME ($VIOL_REGION)," \
    "$VIOL_PERIOD, senior titles > professional and technical talent"

# --- 3. keys: made once, then kept ---------------------------------------
KEYS=${DEMO_KEYS:-$(dirname "$DEMO_DIR")/demo-keys}
mkdir -p "$KEYS" && chmod 700 "$KEYS" || die "cannot create $KEYS"
KEYS=$(cd "$KEYS" && pwd) || die "cannot enter $KEYS"
made_keys=0
for who in collector admin $CODES; do
    [ -f "$KEYS/$who.key" ] && continue
    "$HRSS_BIN/hrss-agent" keygen --out "$KEYS/$who" > /dev/null ||
        die "cannot make the key $KEYS/$who"
    made_keys=$((made_keys + 1))
done
# The collector's lists: each office may report for its own region.
: > "$KEYS/agents" || die "cannot write $KEYS/agents"
for code in $CODES; do
    printf '%s %s %s\n' "$(cat "$KEYS/$code.pub")" "$code" "$code" \
        >> "$KEYS/agents"
done
printf '%s demo-admin admin\n' "$(cat "$KEYS/admin.pub")" > "$KEYS/admins"
if [ "$made_keys" -gt 0 ]; then
    say "made $made_keys CurveZMQ key pairs in $KEYS (kept for the next run)"
else
    say "CurveZMQ keys from $KEYS"
fi
CTL_KEYS="--key $KEYS/admin.key --collector-key $KEYS/collector.pub"

# --- 4. the collector ---------------------------------------------------
if [ -n "$DEMO_PORT" ]; then
    ING_BIND="tcp://127.0.0.1:$DEMO_PORT"
    QRY_BIND="tcp://127.0.0.1:$((DEMO_PORT + 1))"
else
    ING_BIND='tcp://127.0.0.1:*'
    QRY_BIND='tcp://127.0.0.1:*'
fi
# The clock of receipt: every office sends on 2026-01-05 (its December
# due by the 10th, Asia/Shanghai), but the late one on 2026-01-20. The
# collector takes a moved clock for demos (HRSS_CLOCK_OFFSET_S).
ON_TIME_AT=$(date -d '2026-01-05 12:00 +0800' +%s)
LATE_AT=$(date -d '2026-01-20 12:00 +0800' +%s)
start_collector() { # $1: unix time the collector's clock should read
    HRSS_CLOCK_OFFSET_S=$(($1 - $(date +%s))) \
        "$HRSS_BIN/hrss-collector" --data-dir "$DEMO_DIR/store" \
        --ingest "$ING_BIND" --query "$QRY_BIND" --key "$KEYS/collector.key" \
        --agents "$KEYS/agents" --admins "$KEYS/admins" \
        --catalog "$HRSS_CATALOG" < /dev/null >> "$DEMO_DIR/collector.log" 2>&1 &
    COLLECTOR_PID=$!
    echo "$COLLECTOR_PID" > "$DEMO_DIR/collector.pid"
    i=0
    while [ ! -s "$DEMO_DIR/store/endpoints" ]; do
        if ! child_alive "$COLLECTOR_PID"; then
            wait "$COLLECTOR_PID"
            COLLECTOR_PID=
            tail -n 5 "$DEMO_DIR/collector.log" >&2
            die "the collector did not start (see $DEMO_DIR/collector.log)"
        fi
        i=$((i + 1))
        [ $i -lt 300 ] ||
            die "the collector did not bind within 30 s ($DEMO_DIR/collector.log)"
        sleep 0.1
    done
}
start_collector "$ON_TIME_AT"
INGEST=$(sed -n 's/^ingest=//p' "$DEMO_DIR/store/endpoints")
QUERY=$(sed -n 's/^query=//p' "$DEMO_DIR/store/endpoints")
[ -n "$INGEST" ] && [ -n "$QUERY" ] ||
    die "cannot read $DEMO_DIR/store/endpoints"
say "collector (pid $COLLECTOR_PID): ingest $INGEST, query $QUERY"

# --- 5. one agent per office --------------------------------------------
for code in $CODES; do
    "$HRSS_BIN/hrss-agent" --state-dir "$AG/$code" --region "$code" \
        --collector "$INGEST" --key "$KEYS/$code.key" \
        --collector-key "$KEYS/collector.pub" --catalog "$HRSS_CATALOG" run \
        < /dev/null > "$AG/$code.log" 2>&1 &
    AGENT_PIDS="$AGENT_PIDS $!"
done
say "started $N_OFFICES agents (logs in $AG/CODE.log)"

# --- 6. every office submits its file -------------------------------------
T1=$(now_ms)
# shellcheck disable=SC2086
printf '%s\n' $CODES | xargs -P 4 -n 1 sh -c \
    '"$1/hrss-agent" --state-dir "$2/$5" --region "$5" --catalog "$3" \
         submit "$4/csv/$5.csv" > "$2/$5.submit.log" 2>&1 ||
     { echo "demo: office $5 could not submit:" >&2;
       tail -n 3 "$2/$5.submit.log" >&2; exit 1; }' \
    sh "$HRSS_BIN" "$AG" "$HRSS_CATALOG" "$DEMO_DIR" ||
    die "submitting failed"
say "submitted: every office queued its file ($(since "$T1") s)"

# --- 7. wait until the collector confirmed everything ---------------------
printf 'delivering '
INLINE=1
n=0
for code in $CODES; do
    "$HRSS_BIN/hrss-agent" --state-dir "$AG/$code" --region "$code" \
        --collector "$INGEST" --key "$KEYS/$code.key" \
        --collector-key "$KEYS/collector.pub" --catalog "$HRSS_CATALOG" \
        flush --timeout 300 > "$AG/$code.flush.log" 2>&1 || {
        printf '\n'
        INLINE=0
        cat "$AG/$code.flush.log" >&2
        die "office $code did not deliver its figures"
    }
    n=$((n + 1))
    [ $((n % 10)) -ne 0 ] || printf '.'
done
printf ' %d offices\n' "$n"
INLINE=0

# Count what the collector confirmed and what it refused, from the agents.
ACKED=0
REJECTED=0
for code in $CODES; do
    "$HRSS_BIN/hrss-agent" --state-dir "$AG/$code" --region "$code" \
        --catalog "$HRSS_CATALOG" status --json > "$AG/$code.status.json" \
        2>&1 || die "hrss-agent status failed for $code"
    a=$(sed -n 's/^ *"last_acked_seq": *\([0-9]*\).*/\1/p' \
        "$AG/$code.status.json")
    q=$(sed -n 's/^ *"queued": *\([0-9]*\).*/\1/p' "$AG/$code.status.json")
    r=$(grep -c '"seq":' "$AG/$code.status.json")
    [ "${q:-x}" = 0 ] || die "office $code still has ${q:-?} queued updates"
    ACKED=$((ACKED + ${a:-0}))
    REJECTED=$((REJECTED + r))
done
say "delivered $ACKED updates from $N_OFFICES offices in $(since "$T1") s"
if [ "$ACKED" -ne "$N_ROWS" ] || [ "$REJECTED" -ne 0 ]; then
    say "demo: expected $N_ROWS updates confirmed and none refused;" \
        "$REJECTED refused (hrss-agent status lists them)" >&2
    FAILED=1
fi

# --- 7b. the late office: its December after the deadline -----------------
# The same endpoints, the clock on 2026-01-20; the agents reconnect.
stop_children "$COLLECTOR_PID" || die "the collector did not stop"
rm -f "$DEMO_DIR/store/endpoints"
ING_BIND=$INGEST
QRY_BIND=$QUERY
start_collector "$LATE_AT"
A="$HRSS_BIN/hrss-agent --state-dir $AG/$LATE_REGION --region $LATE_REGION \
    --collector $INGEST --key $KEYS/$LATE_REGION.key \
    --collector-key $KEYS/collector.pub --catalog $HRSS_CATALOG"
# shellcheck disable=SC2086
$A submit --wait --timeout 60 "$DEMO_DIR/csv/late/$LATE_REGION.csv" \
    > "$AG/$LATE_REGION.late.log" 2>&1 || {
    cat "$AG/$LATE_REGION.late.log" >&2
    die "the late office could not deliver its December"
}
say "$LATE_NAME ($LATE_REGION) sent its December on 2026-01-20, after the" \
    "deadline of 2026-01-10"

# --- 8. what the figures say ----------------------------------------------
CTL="$HRSS_BIN/hrssctl"
if [ -x "$CTL" ]; then
    say ""
    say "== $CTL --connect $QUERY $CTL_KEYS progress"
    # shellcheck disable=SC2086
    "$CTL" --connect "$QUERY" $CTL_KEYS progress || {
        say "demo: hrssctl progress failed" >&2
        FAILED=1
    }
else
    say ""
    say "note: $CTL is not built yet: no progress report (the store is in" \
        "$DEMO_DIR/store)"
fi
if [ -x "$CTL" ]; then
    C="$CTL --connect $QUERY $CTL_KEYS"
    say ""
    say "== $CTL ... completeness --period 2025-12 --region 330100" \
        "(the whole table: $DEMO_DIR/completeness.txt)"
    # shellcheck disable=SC2086
    $C completeness --period 2025-12 --region 330100 \
        > "$DEMO_DIR/completeness.txt" || FAILED=1
    grep -e '^code' -e "^$LATE_REGION" "$DEMO_DIR/completeness.txt" |
        cut -c 1-96 | sed 's/$/ .../'
    sed -n -e '/^deadline/p' -e '/^summary/,/^杭州市/p' \
        "$DEMO_DIR/completeness.txt"
    # Approvals: $APPR_NAME's counties that exist in 2025-12 (regions.csv:
    # code,name_zh,name_en,level,parent_code,valid_from,valid_to), then
    # the city, then the province accepts it.
    for r in $(awk -F, -v city="$APPR_CITY" -v m=2025-12 \
                   'NR > 1 && $5 == city && ($6 == "" || $6 <= m) &&
                    ($7 == "" || $7 >= m) { print $1 }' \
                   "$HRSS_CATALOG/regions.csv") $APPR_CITY; do
        # shellcheck disable=SC2086
        $C approve --region "$r" --period 2025-12 > /dev/null || FAILED=1
    done
    # shellcheck disable=SC2086
    $C accept --region "$APPR_CITY" --period 2025-12 > /dev/null || FAILED=1
    say ""
    say "== $CTL ... approvals --period 2025-12 --region $APPR_CITY"
    # shellcheck disable=SC2086
    $C approvals --period 2025-12 --region "$APPR_CITY" | head -n 10 ||
        FAILED=1
    say ""
    say "== $CTL ... outliers --period 2024..2025"
    # shellcheck disable=SC2086
    $C outliers --period 2024..2025 || FAILED=1
fi

# --- 8b. the dashboard on the store -------------------------------------
WEB="$HRSS_BIN/hrss-web"
if [ -x "$WEB" ]; then
    "$WEB" --data-dir "$DEMO_DIR/store" --catalog "$HRSS_CATALOG" \
        --listen "$DEMO_WEB" > "$DEMO_DIR/web.url" 2> "$DEMO_DIR/web.log" &
    WEB_PID=$!
    echo "$WEB_PID" > "$DEMO_DIR/web.pid"
    i=0
    while [ ! -s "$DEMO_DIR/web.url" ] && child_alive "$WEB_PID" &&
        [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    WEB_URL=$(head -n 1 "$DEMO_DIR/web.url")
    if [ -z "$WEB_URL" ]; then
        say "demo: the dashboard did not start (see $DEMO_DIR/web.log)" >&2
        FAILED=1
    fi
fi

say ""
say "Try (--data-dir reads the store directly, also once the collector" \
    "has stopped):"
S="$CTL --data-dir $DEMO_DIR/store"
say "  $S progress --period 2025"
say "  $S total urban_new_jobs --period 2021..2025"
say "  $S breakdown pension_insured --period 2025-12 --region 330100"
say "  $S series urban_surveyed_unemployment_rate --from 2021 --to 2025" \
    "--by year"
say "  $S completeness --period 2025-12 --region 330100"
say "  $S violations        # $VIOL_NAME $VIOL_PERIOD, made on purpose"
say "  $S history senior_title_talent --region $VIOL_REGION" \
    "--period $VIOL_PERIOD"
if [ "$KEEP" = 1 ]; then
    say "or ask the running collector:"
    say "  $CTL --connect $QUERY $CTL_KEYS violations"
fi

# --- 9. stop ----------------------------------------------------------------
say ""
# shellcheck disable=SC2086
stop_children $AGENT_PIDS
bad=$?
AGENT_PIDS=
if [ "$bad" -ne 0 ]; then
    say "demo: $bad agents did not stop cleanly (see $AG/*.log)" >&2
    FAILED=1
fi
if [ "$KEEP" = 1 ]; then
    say "stopped the agents; the collector and the dashboard keep running" \
        "(KEEP=1): stop them with"
    say "  kill \$(cat $DEMO_DIR/collector.pid $DEMO_DIR/web.pid)"
else
    if [ -n "$WEB_PID" ]; then
        stop_children "$WEB_PID" || {
            say "demo: the dashboard did not stop cleanly" \
                "(see $DEMO_DIR/web.log)" >&2
            FAILED=1
        }
        WEB_PID=
        rm -f "$DEMO_DIR/web.pid"
    fi
    stop_children "$COLLECTOR_PID" || {
        say "demo: the collector did not stop cleanly" \
            "(see $DEMO_DIR/collector.log)" >&2
        FAILED=1
    }
    COLLECTOR_PID=
    rm -f "$DEMO_DIR/collector.pid"
    say "stopped the agents and the collector"
fi
if grep -q '\] ERROR ' "$DEMO_DIR/collector.log"; then
    say "demo: the collector logged errors (see $DEMO_DIR/collector.log)" >&2
    FAILED=1
fi
n=$(cat "$AG"/*.log | grep -c '\] ERROR ')
if [ "$n" -ne 0 ]; then
    say "demo: the agents logged $n errors (see $AG/*.log)" >&2
    FAILED=1
fi
DONE=1
verdict="done"
[ "$FAILED" = 0 ] || verdict=FAILED
say "demo $verdict in $(since "$T0") s"
if [ -n "$WEB_URL" ] && [ "$KEEP" = 1 ]; then
    say ""
    say "Dashboard: $WEB_URL"
elif [ -n "$WEB_URL" ]; then
    say ""
    say "Dashboard: $WEB_URL (stopped with the demo; KEEP=1 make demo" \
        "keeps it running, or start it on this store:"
    say "  $HRSS_BIN/hrss-web --data-dir $DEMO_DIR/store" \
        "--catalog $HRSS_CATALOG"
    say "and open http://127.0.0.1:8480/)"
fi
exit "$FAILED"
