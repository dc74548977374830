#!/bin/sh
# package-test.sh: the .deb in a clean Debian 12 root, both daemons and
# hrss-web run as their systemd units run them, one figure delivered end
# to end and served by hrss-web (`make test-package`).
#
# usage: sh tests/deploy/package-test.sh DEB WORK_DIR
#
#  1. A Debian 12 minbase root (debootstrap; with systemd, whose
#     systemd-analyze verifies the installed units there), made once and
#     kept as WORK_DIR/base.tar; remade when the mirror or BASE_REV
#     change, or after a week (its apt lists go stale). Every run unpacks it afresh into WORK_DIR/root. Downloaded
#     .debs stay in WORK_DIR/apt-cache for the next run.
#  2. dpkg -i DEB, then apt-get -f install: the package's dependencies
#     come from the mirror. Checks: installed, user hrss, conffiles, files
#     only in Debian's places, units not enabled, every library found
#     (the linked ones by ldd; libmicrohttpd.so.12, which the daemons
#     dlopen for metrics and hrss-web to serve, by ldconfig),
#     `systemd-analyze verify` on the installed units;
#     /usr/share/doc/hrss/copyright (DEP-5) and changelog.Debian.gz (its
#     first line names the installed version), 0644 root's.
#  3. What README's "Operations" says to do: keys by hrssctl keygen and
#     hrss-agent keygen, made the user hrss's; an admin key; the office
#     enrolled with one line in /etc/hrss/agents and a reload. The example
#     configs are used as installed, with only the endpoints moved to
#     loopback (tcp://127.0.0.1:*: the kernel picks free ports) and their
#     commented-out metrics line turned on (127.0.0.1:0), so both daemons
#     load libmicrohttpd under their units' sandboxing.
#  4. Each daemon runs as its unit runs it: ExecStart, User, Group and
#     UMask read from the installed unit; StateDirectory= made as systemd
#     makes it; a private mount namespace where the root is read-only but
#     for ReadWritePaths= (ProtectSystem=strict), /tmp and /var/tmp are
#     private (PrivateTmp=) and /home, /root are empty (ProtectHome=);
#     setpriv drops to the user without capabilities
#     (CapabilityBoundingSet=) and with NoNewPrivileges=. Standard error
#     goes to WORK_DIR/NAME.log, where the journal would have it. The
#     system-call filter and the other sandboxing of the units are not
#     emulated: they need systemd itself.
#  5. hrss-agent submit + flush (as hrss), hrssctl total shows the figure;
#     systemctl reload as the unit's ExecReload does it; a backup and its
#     restore as README says; hrss-web, as its unit starts it but on a
#     free port (--listen 127.0.0.1:0 added, as a drop-in would), reads
#     the running collector's store: / answers the dashboard's page,
#     /api/progress and /api/total the very JSON hrssctl --json prints
#     (asked with the root's bash: /dev/tcp); SIGTERM stops all three with
#     status 0; the same .deb installed again (postinst is idempotent, an
#     edited conffile is kept); purge keeps the data.
#  6. lintian (Debian 12's, installed in the root last) on the .deb: any
#     E: tag fails, and so does a binary without the hardening flags
#     (I: hardening-*); W: tags are printed. About 15 s, 5 of them to fetch
#     lintian the first time; HRSS_LINTIAN=0 skips it.
#
# Runs as root (debootstrap, chroot, mount namespaces). Every mount is made
# in a private mount namespace of the process that needs it, so nothing
# stays mounted when a step is killed. Bounded: each step has a time limit,
# and all of them together stop after PKGTEST_LIMIT seconds (default
# 900). The daemons it started are stopped on any exit. On failure the
# root and the logs stay in WORK_DIR for a look; the next run starts
# afresh.
#
# Environment: PKGTEST_MIRROR (default http://deb.debian.org/debian),
# PKGTEST_SECURITY (default: the mirror's debian-security beside it, or
# none), PKGTEST_LIMIT, HRSS_LINTIAN (default 1; 0: no lintian).
#
# POSIX sh with coreutils, util-linux, tar, grep, sed and awk.

set -u

DEB=${1:-}
WORK=${2:-}
MIRROR=${PKGTEST_MIRROR:-http://deb.debian.org/debian}
case $MIRROR in
    */debian) SECURITY_DEFAULT=${MIRROR%/debian}/debian-security ;;
    *) SECURITY_DEFAULT= ;;
esac
SECURITY=${PKGTEST_SECURITY-$SECURITY_DEFAULT}
LIMIT=${PKGTEST_LIMIT:-900}
LINTIAN=${HRSS_LINTIAN:-1}
case $LINTIAN in
    0 | 1) ;;
    *) echo "package-test: HRSS_LINTIAN=$LINTIAN: 0 or 1" >&2; exit 2 ;;
esac
SUITE=bookworm
# What the base root holds beyond minbase: systemd for systemd-analyze.
INCLUDE=systemd
# Bump when the recipe of the base root changes.
BASE_REV=1
MARKER=.hrss-package-test
PATH_IN_ROOT=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

T0=$(date +%s)
PIDS=
DONE=0

say() {
    printf 'package-test: %s\n' "$*"
}

die() {
    printf 'package-test: FAIL: %s\n' "$*" >&2
    exit 1
}

elapsed() {
    echo $(($(date +%s) - T0))
}

# Run "$@" for at most $1 seconds, and never past the whole test's limit.
limited() {
    s=$1
    shift
    left=$((LIMIT - $(elapsed)))
    [ "$left" -gt 0 ] || die "out of time (PKGTEST_LIMIT=$LIMIT s)"
    [ "$s" -le "$left" ] || s=$left
    timeout -k 5 "$s" "$@"
}

# Run "$@" for at most $1 s in directory root $2, with /proc, the host's
# /dev/pts (apt's log) and the apt cache bound to its archives, all in a
# private mount namespace.
run_in() {
    s=$1 r=$2
    shift 2
    limited "$s" unshare --mount --propagation private -- sh -c '
        r=$1 cache=$2
        shift 2
        mount -t proc proc "$r/proc" &&
            mount --bind /dev/pts "$r/dev/pts" &&
            mount --bind "$cache" "$r/var/cache/apt/archives" || exit 125
        exec chroot "$r" /usr/bin/env -i PATH="'"$PATH_IN_ROOT"'" \
            LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive HOME=/root "$@"
    ' sh "$r" "$WORK/apt-cache" "$@"
}

# The same in the test's root, for at most 120 s.
in_root() {
    run_in 120 "$ROOT" "$@"
}

# Mounts of the host namespace under WORK (there should be none).
mounts_under_work() {
    awk -v w="$WORK/" 'index($5 "/", w) == 1 { print $5 }' \
        /proc/self/mountinfo
}

# Remove directory $1 inside WORK, unless something is mounted there.
remove_tree() {
    [ -e "$1" ] || return 0
    m=$(mounts_under_work)
    [ -z "$m" ] || die "mounted under $WORK, not deleting: $m"
    rm -rf "$1" || die "cannot remove $1"
}

# 0 while pid $1 runs (not a zombie).
alive() {
    [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 1)
    [ -n "$st" ] && [ "$st" != Z ]
}

# SIGTERM pid $1, as systemctl stop does, and wait for it: its exit status,
# or 137 after SIGKILL when it did not stop within 30 s.
stop_pid() {
    kill -TERM "$1" 2>/dev/null
    i=0
    while alive "$1" && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    alive "$1" && kill -KILL "$1" 2>/dev/null
    wait "$1"
}

forget_pid() {
    rest=
    for p in $PIDS; do
        [ "$p" = "$1" ] || rest="$rest $p"
    done
    PIDS=$rest
}

cleanup() {
    status=$?
    trap - EXIT INT TERM HUP
    for p in $PIDS; do
        stop_pid "$p" > /dev/null 2>&1
    done
    PIDS=
    [ -z "$(mounts_under_work)" ] ||
        say "still mounted under $WORK (unexpected): $(mounts_under_work)" >&2
    if [ "$DONE" = 1 ] && [ "$status" = 0 ]; then
        [ -n "$(mounts_under_work)" ] || rm -rf "$ROOT"
        say "passed in $(elapsed) s"
    else
        [ "$status" -ne 0 ] || status=1
        [ -z "${ROOT:-}" ] || [ ! -d "$ROOT" ] ||
            say "failed after $(elapsed) s; root and logs kept in $WORK" >&2
    fi
    exit "$status"
}

# --- the unit files ---------------------------------------------------------

# The value of the last KEY= line of unit file $1 (systemd: a later one
# wins), or $3 when there is none.
unit_get() {
    v=$(sed -n "s/^$2=//p" "$1" | tail -n 1)
    printf '%s\n' "${v:-${3:-}}"
}

# Every value of list key $2 of unit file $1, one word a line.
unit_list() {
    sed -n "s/^$2=//p" "$1" | tr ' ' '\n' | grep .
}

# Exec line $1 of unit $2 as words, refusing what this test does not
# emulate (quotes, specifiers, prefixes, variables other than $MAINPID).
check_exec() {
    case $1 in
        '') die "$2: no such Exec line" ;;
        [-@:+!]*) die "$2: Exec prefix in '$1' is not emulated here" ;;
        *\"* | *\'* | *\\* | *%*) die "$2: '$1': quoting or specifiers" \
                                      "are not emulated here" ;;
    esac
    printf '%s\n' "$1" | sed 's/\$MAINPID//g' | grep -q '\$' &&
        die "$2: '$1': variables are not emulated here"
    prog=${1%% *}
    case $prog in
        /*) ;;
        *) die "$2: '$prog' is not an absolute path" ;;
    esac
    [ -f "$ROOT$prog" ] && [ -x "$ROOT$prog" ] ||
        die "$2: $prog (from '$1') is not an installed program:" \
            "systemd would fail to start it"
}

# Start unit $1 as systemd would (see the header), in the background;
# its pid goes to $MAINPID and PIDS, its stdout and stderr to WORK/$1.log.
# Words after $1 are added to its ExecStart, as a drop-in would.
start_unit() {
    unit=$ROOT/lib/systemd/system/$1.service
    [ -f "$unit" ] || die "$1.service is not installed"
    exec_start=$(unit_get "$unit" ExecStart)
    check_exec "$exec_start" "$1.service ExecStart"
    name=$1
    shift
    [ $# -eq 0 ] || exec_start="$exec_start $*"
    set -- "$name"
    user=$(unit_get "$unit" User root)
    group=$(unit_get "$unit" Group "$user")
    umask=$(unit_get "$unit" UMask 0022)
    mode=$(unit_get "$unit" StateDirectoryMode 0755)
    home=$(grep "^$user:" "$ROOT/etc/passwd" | cut -d: -f6)
    [ -n "$home" ] ||
        die "$1.service: User=$user does not exist (postinst makes it)"
    for d in $(unit_list "$unit" StateDirectory); do
        mkdir -p "$ROOT/var/lib/$d" &&
            chroot "$ROOT" chown "$user:$group" "/var/lib/$d" &&
            chmod "$mode" "$ROOT/var/lib/$d" ||
            die "$1.service: cannot make StateDirectory $d"
    done
    rw=
    for p in $(unit_list "$unit" ReadWritePaths); do
        case $p in
            -*) p=${p#-}; [ -e "$ROOT$p" ] || continue ;;
        esac
        [ -d "$ROOT$p" ] || die "$1.service: ReadWritePaths=$p does not" \
            "exist: systemd would refuse to start it"
        rw="$rw $p"
    done
    # shellcheck disable=SC2086
    unshare --mount --propagation private -- sh -c '
        r=$1 um=$2 user=$3 group=$4 home=$5
        shift 5
        mount --bind "$r" "$r" || exit 125
        while [ "$1" != -- ]; do
            mount --bind "$r$1" "$r$1" || exit 125
            shift
        done
        shift
        mount -o remount,bind,ro "$r" &&
            mount -t proc proc "$r/proc" &&
            mount -t tmpfs -o mode=1777 tmpfs "$r/tmp" &&
            mount -t tmpfs -o mode=1777 tmpfs "$r/var/tmp" &&
            mount -t tmpfs -o ro,mode=755 tmpfs "$r/home" &&
            mount -t tmpfs -o ro,mode=700 tmpfs "$r/root" || exit 125
        exec chroot "$r" /usr/bin/env -i PATH="'"$PATH_IN_ROOT"'" \
            LANG=C.UTF-8 HOME="$home" USER="$user" LOGNAME="$user" \
            /bin/sh -c "umask $um && exec \"\$@\"" sh \
            setpriv --reuid="$user" --regid="$group" --init-groups \
            --no-new-privs --bounding-set=-all --inh-caps=-all -- "$@"
    ' sh "$ROOT" "$umask" "$user" "$group" "$home" $rw -- $exec_start \
        < /dev/null >> "$WORK/$1.log" 2>&1 9>&- &
    MAINPID=$!
    PIDS="$PIDS $MAINPID"
    say "$1: started as its unit starts it (pid $MAINPID):" \
        "$exec_start, as $user, umask $umask"
}

# Run unit $1's ExecReload for main pid $2, as the unit's user.
reload_unit() {
    unit=$ROOT/lib/systemd/system/$1.service
    line=$(unit_get "$unit" ExecReload)
    check_exec "$line" "$1.service ExecReload"
    user=$(unit_get "$unit" User root)
    group=$(unit_get "$unit" Group "$user")
    # shellcheck disable=SC2046
    in_root setpriv --reuid="$user" --regid="$group" --init-groups \
        --no-new-privs -- $(printf '%s\n' "$line" | sed "s/\\\$MAINPID/$2/g") ||
        die "$1.service: ExecReload '$line' failed"
}

# Wait up to $3 s until file $1 (in the root) holds a line matching $2
# while pid $4 runs.
wait_for() {
    i=0
    while ! grep -q -e "$2" "$1" 2>/dev/null; do
        [ -z "${4:-}" ] || alive "$4" || return 1
        i=$((i + 1))
        [ $i -lt $(($3 * 10)) ] || return 1
        sleep 0.1
    done
}

# GET path $2 from ADDR:PORT $1 with the root's bash (its /dev/tcp: the
# root has no other HTTP client), for at most 20 s: the answer, status
# line, headers and body, without CRs, into WORK/$3.
http_get() {
    run_in 20 "$ROOT" bash -c '
        exec 3<> "/dev/tcp/${1%:*}/${1##*:}" || exit 1
        printf "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" \
            "$2" "$1" >&3 && cat <&3
    ' sh "$1" "$2" > "$WORK/$3.part" &&
        tr -d '\r' < "$WORK/$3.part" > "$WORK/$3" &&
        rm -f "$WORK/$3.part"
}

# GET $2 from hrss-web at ADDR:PORT $1; it must answer status $3 with a
# Content-Type that starts with $4. The body goes to WORK/$5.
http_expect() {
    http_get "$1" "$2" "$5.http" ||
        die "hrss-web: GET $2 got no answer (see $WORK/hrss-web.log)"
    st=$(head -n 1 "$WORK/$5.http")
    case $st in
        "HTTP/1.1 $3 "*) ;;
        *) die "hrss-web: GET $2 answered '$st', not $3" ;;
    esac
    ct=$(sed -n '1,/^$/s/^[Cc]ontent-[Tt]ype: *//p' "$WORK/$5.http")
    case $ct in
        "$4"*) ;;
        *) die "hrss-web: GET $2 answered Content-Type '$ct', not $4" ;;
    esac
    sed '1,/^$/d' "$WORK/$5.http" > "$WORK/$5"
}

# --- 0. what we need ----------------------------------------------------------
[ -n "$DEB" ] && [ -n "$WORK" ] ||
    { echo "usage: $0 DEB WORK_DIR" >&2; exit 64; }
[ "$(id -u)" -eq 0 ] ||
    die "runs as root (debootstrap, chroot and mount namespaces)"
for t in debootstrap unshare chroot setpriv flock timeout tar dpkg-deb; do
    command -v "$t" > /dev/null 2>&1 ||
        die "$t not found: sh deploy/install-deps.sh --package installs it"
done
[ -r "$DEB" ] || die "no package $DEB: build it with make package"
DEB=$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")
mkdir -p "$WORK" || die "cannot create $WORK"
WORK=$(cd "$WORK" && pwd)
case $WORK in
    / | /usr | /usr/* | /etc | /etc/* | /var | /home | /root)
        die "WORK_DIR $WORK: not there" ;;
esac
if [ ! -f "$WORK/$MARKER" ]; then
    [ -z "$(ls -A "$WORK")" ] ||
        die "$WORK is not empty and was not made by this test"
    : > "$WORK/$MARKER"
fi
# One run at a time in WORK.
exec 9> "$WORK/.lock" && flock -n 9 ||
    die "another package test runs in $WORK"
ROOT=$WORK/root
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
rm -f "$WORK"/*.log
mkdir -p "$WORK/apt-cache/partial"
say "$(basename "$DEB") in a Debian 12 root under $WORK"

# --- 1. the base root: made once, then unpacked afresh ------------------------
want="rev=$BASE_REV suite=$SUITE mirror=$MIRROR security=$SECURITY include=$INCLUDE"
# Remade after a week too: its apt lists name the versions of that day,
# and the mirror drops superseded .debs.
if [ -f "$WORK/base.tar" ] && [ "$(cat "$WORK/base.stamp" 2>/dev/null)" = "$want" ] &&
    [ -n "$(find "$WORK/base.tar" -mtime -7)" ]
then
    say "base root: cached ($WORK/base.tar)"
else
    say "base root: debootstrap $SUITE minbase from $MIRROR (once; cached)"
    rm -f "$WORK/base.tar" "$WORK/base.stamp"
    remove_tree "$WORK/base"
    # debootstrap mounts /proc and /sys in the target: keep those mounts
    # in a namespace of its own.
    limited 900 unshare --mount --propagation private -- \
        debootstrap --variant=minbase --include="$INCLUDE" \
        "$SUITE" "$WORK/base" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 || {
        tail -n 15 "$WORK/debootstrap.log" >&2
        die "debootstrap from $MIRROR failed (see $WORK/debootstrap.log)"
    }
    {
        echo "deb $MIRROR $SUITE main"
        echo "deb $MIRROR $SUITE-updates main"
        [ -z "$SECURITY" ] || echo "deb $SECURITY $SUITE-security main"
    } > "$WORK/base/etc/apt/sources.list"
    run_in 300 "$WORK/base" apt-get update \
        > "$WORK/apt-update.log" 2>&1 || {
        tail -n 15 "$WORK/apt-update.log" >&2
        die "apt-get update in the base root failed"
    }
    # The security and updates suites may be newer than the base.
    run_in 300 "$WORK/base" apt-get -y dist-upgrade \
        >> "$WORK/apt-update.log" 2>&1 ||
        die "apt-get dist-upgrade in the base root failed"
    run_in 60 "$WORK/base" apt-get clean
    limited 300 tar -C "$WORK/base" --numeric-owner -cf "$WORK/base.tar.part" . ||
        die "cannot write $WORK/base.tar"
    mv "$WORK/base.tar.part" "$WORK/base.tar" &&
        printf '%s\n' "$want" > "$WORK/base.stamp" || die "cannot keep the base"
    remove_tree "$WORK/base"
    say "base root: made in $(elapsed) s"
fi
remove_tree "$ROOT"
mkdir "$ROOT" && limited 300 tar -C "$ROOT" --numeric-owner -xf "$WORK/base.tar" ||
    die "cannot unpack $WORK/base.tar"

# --- 2. install the package -----------------------------------------------------
for lib in libzmq5 libprotobuf-c1 liblmdb0 libsodium23 libmicrohttpd12 \
    procps; do
    ! in_root dpkg-query -W "$lib" > /dev/null 2>&1 ||
        die "the base root already has $lib: it cannot show the package's" \
            "dependencies"
done
cp "$DEB" "$ROOT/tmp/hrss.deb" || die "cannot copy $DEB"
say "dpkg -i $(basename "$DEB"), then apt-get -f install"
in_root dpkg -i /tmp/hrss.deb > "$WORK/install.log" 2>&1
run_in 300 "$ROOT" apt-get -f install -y --no-install-recommends \
    >> "$WORK/install.log" 2>&1 || {
    tail -n 15 "$WORK/install.log" >&2
    die "apt-get -f install failed (see $WORK/install.log)"
}
st=$(in_root dpkg-query -W -f '${db:Status-Status}' hrss 2>/dev/null)
[ "$st" = installed ] || {
    tail -n 15 "$WORK/install.log" >&2
    die "hrss is '$st' after apt-get -f install, not installed"
}
pulled=$(sed -n 's/^Setting up \([^:( ]*\).*/\1/p' "$WORK/install.log" |
    tr '\n' ' ')
say "installed; apt-get brought: $pulled"

# The user the units run as: a system user without a login.
pw=$(grep '^hrss:' "$ROOT/etc/passwd") || die "postinst made no user hrss"
uid=$(printf '%s\n' "$pw" | cut -d: -f3)
[ "$uid" -lt 1000 ] || die "hrss is not a system user: $pw"
case $pw in
    *:/var/lib/hrss:/usr/sbin/nologin) ;;
    *) die "hrss: home or shell unexpected: $pw" ;;
esac
grep -q '^hrss:' "$ROOT/etc/group" || die "postinst made no group hrss"

# Conffiles: the example configurations.
conf=$(in_root dpkg-query -W -f '${Conffiles}' hrss | awk '{ print $1 }' |
    sort | tr '\n' ' ')
[ "$conf" = "/etc/hrss/agent.ini /etc/hrss/collector.ini " ] ||
    die "conffiles are '$conf', not /etc/hrss/agent.ini and collector.ini"

# Only Debian's places.
bad=$(in_root dpkg -L hrss | grep -v -x \
    -e '/\.' -e /etc -e /lib -e /lib/systemd -e /usr -e /usr/bin \
    -e /usr/share -e /usr/share/doc -e /usr/share/man \
    -e '/etc/hrss\(/[a-z]*\.ini\)\{0,1\}' \
    -e '/lib/systemd/system\(/hrss-[a-z]*\.service\)\{0,1\}' \
    -e '/usr/bin/hrss[a-z-]*' \
    -e '/usr/share/hrss\(/catalog\(/[a-z-]*\.csv\)\{0,1\}\)\{0,1\}' \
    -e '/usr/share/doc/hrss\(/.*\)\{0,1\}' \
    -e '/usr/share/man/man[18]\(/hrss[a-z-]*\.[18]\.gz\)\{0,1\}')
[ -z "$bad" ] || die "files outside Debian's places:" $bad
for f in /usr/bin/hrss-collector /usr/bin/hrss-agent /usr/bin/hrssctl \
    /usr/bin/hrss-web \
    /usr/share/hrss/catalog/indicators.csv \
    /usr/share/hrss/catalog/targets.csv \
    /usr/share/hrss/catalog/region-changes.csv \
    /usr/share/man/man8/hrss-collector.8.gz \
    /usr/share/man/man8/hrss-agent.8.gz /usr/share/man/man1/hrssctl.1.gz \
    /usr/share/man/man8/hrss-web.8.gz \
    /lib/systemd/system/hrss-collector.service \
    /lib/systemd/system/hrss-agent.service \
    /lib/systemd/system/hrss-web.service; do
    [ -f "$ROOT$f" ] || die "the package has no $f"
done

# What Debian policy asks of every package (12.5, 12.7): the copyright in
# the machine-readable format, and the Debian changelog of this version
# (gzip -9n), both 0644 root's.
DOC=/usr/share/doc/hrss
for f in $DOC/copyright $DOC/changelog.Debian.gz; do
    [ -f "$ROOT$f" ] || die "the package has no $f (Debian policy 12.5, 12.7)"
    m=$(stat -c '%a %u:%g' "$ROOT$f")
    [ "$m" = "644 0:0" ] || die "$f: mode and owner '$m', not '644 0:0'"
done
dep5=Format:\ https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
[ "$(head -n 1 "$ROOT$DOC/copyright")" = "$dep5" ] ||
    die "$DOC/copyright does not begin with '$dep5':" \
        "$(head -n 1 "$ROOT$DOC/copyright")"
ver=$(in_root dpkg-query -W -f '${Version}' hrss) && [ -n "$ver" ] ||
    die "dpkg-query shows no version of hrss"
first=$(in_root sh -c "zcat $DOC/changelog.Debian.gz | head -n 1")
case $first in
    "hrss ($ver) "*) ;;
    *) die "$DOC/changelog.Debian.gz begins '$first', not 'hrss ($ver) ...'" ;;
esac

# Every library found (a missing Depends shows here by name).
for b in hrss-collector hrss-agent hrssctl hrss-web; do
    nf=$(in_root ldd "/usr/bin/$b" | grep 'not found')
    [ -z "$nf" ] || die "/usr/bin/$b: libraries not installed by the" \
        "package's dependencies:" $nf
done
# Not linked, so not in ldd: the daemons dlopen it for --metrics and
# hrss-web to serve (common/httpd.c), and dpkg-shlibdeps does not see it.
in_root ldconfig -p | grep -q '^[[:space:]]*libmicrohttpd\.so\.12 ' ||
    die "libmicrohttpd.so.12 (dlopened for --metrics and by hrss-web) is" \
        "not installed by the package's dependencies (Depends:" \
        "libmicrohttpd12)"

# Installed disabled: nothing enabled, nothing started.
en=$(find "$ROOT/etc/systemd/system" -name 'hrss-*' 2>/dev/null)
[ -z "$en" ] || die "the package enabled units:" $en

out=$(in_root systemd-analyze verify --man=no \
    /lib/systemd/system/hrss-collector.service \
    /lib/systemd/system/hrss-agent.service \
    /lib/systemd/system/hrss-web.service 2>&1)
rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] || {
    printf '%s\n' "$out" >&2
    die "systemd-analyze verify on the installed units: exit $rc"
}
say "user hrss, conffiles, Debian places, libraries, units disabled," \
    "systemd-analyze verify: ok"

# --- 3. keys and configuration, as README's "Operations" says -----------------
E=/etc/hrss
in_root sh -e -c "
    hrssctl keygen --out $E/collector > /dev/null
    chown hrss:hrss $E/collector.key
    hrssctl keygen --out /root/admin > /dev/null
    printf '%s ops admin\n' \"\$(cat /root/admin.pub)\" > $E/admins
    : > $E/agents
    sed -i -e 's|^ingest = .*|ingest = tcp://127.0.0.1:*|' \
        -e 's|^query = .*|query = tcp://127.0.0.1:*|' \
        -e 's|^# metrics = .*|metrics = 127.0.0.1:0|' $E/collector.ini
" || die "making the collector's keys and lists failed"
grep -q '^ingest = tcp://127.0.0.1:\*$' "$ROOT$E/collector.ini" ||
    die "collector.ini has no 'ingest = ' line to move to loopback"
grep -q '^metrics = 127.0.0.1:0$' "$ROOT$E/collector.ini" ||
    die "collector.ini has no '# metrics = ' line to turn on"

# --- 4. the collector, as hrss-collector.service starts it --------------------
DATA=/var/lib/hrss/collector
start_unit hrss-collector
COLLECTOR=$MAINPID
wait_for "$ROOT$DATA/endpoints" '^query=' 30 "$COLLECTOR" || {
    tail -n 5 "$WORK/hrss-collector.log" >&2
    die "the collector did not start (see $WORK/hrss-collector.log)"
}
INGEST=$(sed -n 's/^ingest=//p' "$ROOT$DATA/endpoints")
QUERY=$(sed -n 's/^query=//p' "$ROOT$DATA/endpoints")
say "collector: ingest $INGEST, query $QUERY"
case "$INGEST $QUERY" in
    "tcp://127.0.0.1:"*" tcp://127.0.0.1:"*) ;;
    *) die "the collector is not on loopback only: $INGEST $QUERY" ;;
esac
# Its metrics server started: libmicrohttpd was loaded (else it refuses
# to start).
grep -q '^metrics=http://127.0.0.1:' "$ROOT$DATA/endpoints" ||
    die "the collector serves no metrics (see $WORK/hrss-collector.log)"
[ "$(stat -c %u "$ROOT$DATA/data.mdb")" = "$uid" ] ||
    die "$DATA/data.mdb does not belong to hrss"
# Keep these ports for the restarts below, as a fixed port would be.
sed -i -e "s|^ingest = .*|ingest = $INGEST|" -e "s|^query = .*|query = $QUERY|" \
    "$ROOT$E/collector.ini" || die "cannot edit collector.ini"

# Enrol the office: its key made at the office, one line in the agents
# file, systemctl reload.
in_root sh -e -c "
    hrss-agent keygen --out $E/office > /dev/null
    chown hrss:hrss $E/office.key
    printf '%s 330100 330100\n' \"\$(cat $E/office.pub)\" >> $E/agents
    sed -i -e 's|^collector = .*|collector = $INGEST|' \
        -e 's|^# metrics = .*|metrics = 127.0.0.1:0|' $E/agent.ini
" || die "enrolling the office failed"
grep -q '^metrics = 127.0.0.1:0$' "$ROOT$E/agent.ini" ||
    die "agent.ini has no '# metrics = ' line to turn on"
reload_unit hrss-collector "$COLLECTOR"
wait_for "$WORK/hrss-collector.log" 'SIGHUP: 1 agent keys and 1 admin keys' \
    10 "$COLLECTOR" || {
    tail -n 5 "$WORK/hrss-collector.log" >&2
    die "the reload did not list the office's key"
}
say "office enrolled: one line in $E/agents, reload (SIGHUP): ok"

# --- 5. the agent, as hrss-agent.service starts it ----------------------------
start_unit hrss-agent
AGENT=$MAINPID
wait_for "$WORK/hrss-agent.log" 'connected to collector' 30 "$AGENT" || {
    tail -n 5 "$WORK/hrss-agent.log" >&2
    die "the agent did not connect (see $WORK/hrss-agent.log)"
}
grep -q '^metrics=http://127.0.0.1:' "$ROOT/var/lib/hrss/agent/endpoints" ||
    die "the agent serves no metrics (see $WORK/hrss-agent.log)"
say "both daemons serve metrics (libmicrohttpd loaded under their units)"

A="runuser -u hrss -- hrss-agent --config $E/agent.ini"
Q="hrssctl --connect $QUERY --key /root/admin.key --collector-key $E/collector.pub"

# One figure: submit (as hrss, into the spool the daemon sends from),
# flush, and ask the collector.
deliver() { # PERIOD VALUE
    # shellcheck disable=SC2086
    in_root $A submit --indicator urban_new_jobs --period "$1" --value "$2" \
        > "$WORK/submit.log" 2>&1 || {
        cat "$WORK/submit.log" >&2
        die "hrss-agent submit failed"
    }
    # shellcheck disable=SC2086
    in_root $A flush --timeout 60 > "$WORK/flush.log" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || {
        cat "$WORK/flush.log" >&2
        tail -n 5 "$WORK/hrss-agent.log" >&2
        die "hrss-agent flush: exit $rc, not everything confirmed"
    }
}

# `hrssctl total` of urban_new_jobs in 330100 for period $1 is $2.
expect_total() {
    # shellcheck disable=SC2086
    got=$(in_root $Q total urban_new_jobs --period "$1" --region 330100 \
        --json 2> "$WORK/hrssctl.log") || {
        cat "$WORK/hrssctl.log" >&2
        die "hrssctl total failed"
    }
    printf '%s\n' "$got" | grep -q "\"value\": *$2[,}]" ||
        die "hrssctl total for $1 shows '$got', not the value $2"
}

deliver 2025-10 1234
expect_total 2025-10 1234
say "one figure end to end: submit, flush, hrssctl total shows 1234"

# --- 6. backup and restore, as README says ------------------------------------
# shellcheck disable=SC2086
in_root $Q backup pkgtest > "$WORK/hrssctl.log" 2>&1 || {
    cat "$WORK/hrssctl.log" >&2
    die "hrssctl backup failed"
}
[ -f "$ROOT/var/lib/hrss/backup/pkgtest/data.mdb" ] ||
    die "hrssctl backup wrote no /var/lib/hrss/backup/pkgtest/data.mdb"
stop_pid "$COLLECTOR"
rc=$?
forget_pid "$COLLECTOR"
[ "$rc" -eq 0 ] || die "the collector exited $rc on SIGTERM, not 0"
in_root sh -e -c "
    mv $DATA $DATA.before-restore
    install -d -o hrss -g hrss -m 0750 $DATA
    install -o hrss -g hrss -m 0640 /var/lib/hrss/backup/pkgtest/data.mdb $DATA/
" || die "restoring the backup failed"
start_unit hrss-collector
COLLECTOR=$MAINPID
wait_for "$ROOT$DATA/endpoints" '^query=' 30 "$COLLECTOR" ||
    die "the collector did not start on the restored store"
[ "$(sed -n 's/^ingest=//p' "$ROOT$DATA/endpoints")" = "$INGEST" ] ||
    die "the collector did not take its configured port again"
expect_total 2025-10 1234
# The agent reconnects by itself: the next figure goes through.
deliver 2025-11 567
expect_total 2025-11 567
say "backup, stop, restore, start: the figure is there; the next one too"

# --- 7. hrss-web, as hrss-web.service starts it -------------------------------
# On the running collector's store, read-only, as the user hrss; a free
# port instead of the unit's 8480 (this is the host's network).
start_unit hrss-web --listen 127.0.0.1:0
WEB=$MAINPID
URL_RE='^http://127\.0\.0\.1:[0-9][0-9]*/$'
wait_for "$WORK/hrss-web.log" "$URL_RE" 30 "$WEB" || {
    tail -n 5 "$WORK/hrss-web.log" >&2
    die "hrss-web did not print its URL (see $WORK/hrss-web.log)"
}
URL=$(grep -e "$URL_RE" "$WORK/hrss-web.log" | tail -n 1)
WEB_ADDR=${URL#http://}
WEB_ADDR=${WEB_ADDR%/}
say "hrss-web: serving $URL"
http_expect "$WEB_ADDR" / 200 text/html web-index.html
grep -q -i '^<!doctype html>' "$WORK/web-index.html" ||
    die "hrss-web: / is not the dashboard's page (see $WORK/web-index.html)"
http_expect "$WEB_ADDR" /api/progress 200 application/json web-progress.json
grep -q '^{"region": "330000", ' "$WORK/web-progress.json" ||
    die "hrss-web: /api/progress is not the province's progress:" \
        "$(head -c 200 "$WORK/web-progress.json")"
# The same JSON as hrssctl --json, byte for byte.
http_expect "$WEB_ADDR" \
    '/api/total?indicator=urban_new_jobs&period=2025-10&region=330100' \
    200 application/json web-total.json
# shellcheck disable=SC2086
in_root $Q total urban_new_jobs --period 2025-10 --region 330100 --json \
    > "$WORK/hrssctl-total.json" 2> "$WORK/hrssctl.log" || {
    cat "$WORK/hrssctl.log" >&2
    die "hrssctl total failed"
}
cmp -s "$WORK/web-total.json" "$WORK/hrssctl-total.json" ||
    die "hrss-web: /api/total answered '$(cat "$WORK/web-total.json")'," \
        "hrssctl total --json '$(cat "$WORK/hrssctl-total.json")'"
grep -q '"value": *1234[,}]' "$WORK/web-total.json" ||
    die "hrss-web: /api/total shows no 1234: $(cat "$WORK/web-total.json")"
stop_pid "$WEB"
rc=$?
forget_pid "$WEB"
[ "$rc" -eq 0 ] || die "hrss-web exited $rc on SIGTERM, not 0"
say "hrss-web: / is the dashboard, /api/progress JSON, /api/total as" \
    "hrssctl --json; SIGTERM: status 0"

# --- 8. stop, as systemctl stop does ------------------------------------------
stop_pid "$AGENT"
rc=$?
forget_pid "$AGENT"
[ "$rc" -eq 0 ] || die "the agent exited $rc on SIGTERM, not 0"
stop_pid "$COLLECTOR"
rc=$?
forget_pid "$COLLECTOR"
[ "$rc" -eq 0 ] || die "the collector exited $rc on SIGTERM, not 0"
errs=$(grep -h '\] ERROR ' "$WORK/hrss-collector.log" "$WORK/hrss-agent.log" \
    "$WORK/hrss-web.log")
[ -z "$errs" ] || die "the daemons or hrss-web logged errors: $errs"
say "SIGTERM: both stopped with status 0, no ERROR in their logs or" \
    "hrss-web's"

# --- 9. the same package again, then purge --------------------------------------
in_root dpkg -i /tmp/hrss.deb > "$WORK/reinstall.log" 2>&1 || {
    tail -n 15 "$WORK/reinstall.log" >&2
    die "installing the package a second time failed"
}
grep -q "^ingest = $INGEST\$" "$ROOT$E/collector.ini" ||
    die "installing again replaced the edited collector.ini"
in_root apt-get purge -y hrss > "$WORK/purge.log" 2>&1 || {
    tail -n 15 "$WORK/purge.log" >&2
    die "apt-get purge hrss failed"
}
for f in $E/collector.ini $E/agent.ini /lib/systemd/system/hrss-collector.service \
    /usr/bin/hrss-collector /lib/systemd/system/hrss-web.service \
    /usr/bin/hrss-web; do
    [ ! -e "$ROOT$f" ] || die "purge left $f"
done
for f in $DATA/data.mdb /var/lib/hrss/backup/pkgtest/data.mdb \
    $E/collector.key; do
    [ -e "$ROOT$f" ] || die "purge removed $f (the data must stay)"
done
say "installed again (conffile kept), purged (data, keys and user kept)"

# --- 10. lintian on the .deb ----------------------------------------------------
# Installed last, so that its 170-odd packages (perl, binutils, dpkg-dev;
# about 45 MB, kept in WORK_DIR/apt-cache) hide no missing dependency
# above. Every E: tag fails the test; W: tags are listed, not fatal.
if [ "$LINTIAN" = 1 ]; then
    t_lintian=$(elapsed)
    run_in 300 "$ROOT" apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-unsafe-io lintian \
        > "$WORK/lintian-install.log" 2>&1 || {
        tail -n 15 "$WORK/lintian-install.log" >&2
        die "apt-get install lintian failed (see $WORK/lintian-install.log)"
    }
    # As nobody: lintian warns when run as root. Exit status 2: error tags
    # (--fail-on error), listed below; 1: lintian itself failed.
    in_root runuser -u nobody -- lintian --no-cfg --display-info --fail-on error \
        /tmp/hrss.deb > "$WORK/lintian.log" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || {
        cat "$WORK/lintian.log" >&2
        die "lintian did not run: exit $rc (see $WORK/lintian.log)"
    }
    errs=$(grep '^E: ' "$WORK/lintian.log")
    [ -z "$errs" ] && [ "$rc" -eq 0 ] || {
        printf '%s\n' "$errs" >&2
        die "lintian: $(printf '%s\n' "$errs" | wc -l) error tag(s)" \
            "on $(basename "$DEB") (see $WORK/lintian.log)"
    }
    # Informational for lintian, but make package builds with Debian's
    # hardening flags (_FORTIFY_SOURCE, -z now): a binary without them is
    # a regression.
    hard=$(grep '^[A-Z]: hrss: hardening-' "$WORK/lintian.log")
    [ -z "$hard" ] || {
        printf '%s\n' "$hard" >&2
        die "lintian: binaries built without Debian's hardening flags" \
            "(make package passes dpkg-buildflags to CMake)"
    }
    warns=$(grep '^W: ' "$WORK/lintian.log")
    [ -z "$warns" ] || printf '%s\n' "$warns"
    say "lintian $(in_root dpkg-query -W -f '${Version}' lintian):" \
        "no error tag, $(printf '%s' "$warns" | grep -c '^W: ') warning(s)" \
        "($(($(elapsed) - t_lintian)) s with its installation)"
fi

DONE=1
