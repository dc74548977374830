#!/bin/sh
# verify-units.sh: `systemd-analyze verify` on the systemd units this
# build installs (deploy/systemd/).
#
# usage: sh tests/deploy/verify-units.sh BUILD_DIR STAGE_DIR
#
# Installs BUILD_DIR into STAGE_DIR (DESTDIR), points each unit's ExecStart
# at the staged program (the real path, /usr/bin/..., exists only once the
# package is installed; tests/deploy/package-test.sh verifies the units
# unchanged inside a Debian root) and the man page lookup at the staged
# pages, then verifies the three units. Any message fails the test: verify
# reports unknown keys and bad values as warnings with exit status 0.
# Exit 77 (skipped) without systemd-analyze: deploy/install-deps.sh
# --package installs systemd.
set -u

BUILD=${1:?usage: verify-units.sh BUILD_DIR STAGE_DIR}
STAGE=${2:?usage: verify-units.sh BUILD_DIR STAGE_DIR}

if ! command -v systemd-analyze > /dev/null 2>&1; then
    echo "verify-units: no systemd-analyze here: skipped"
    exit 77
fi
case $STAGE in
    /*) ;;
    *) STAGE=$(pwd)/$STAGE ;;
esac
rm -rf "$STAGE" && mkdir -p "$STAGE/check" || exit 1
DESTDIR=$STAGE/root cmake --install "$BUILD" > "$STAGE/install.log" 2>&1 || {
    cat "$STAGE/install.log" >&2
    echo "verify-units: cmake --install failed" >&2
    exit 1
}
units=$(find "$STAGE/root" -path '*/systemd/system/hrss-*.service' | sort)
n=$(printf '%s\n' "$units" | grep -c .)
if [ "$n" -ne 3 ]; then
    echo "verify-units: expected 3 installed units, found $n:" $units >&2
    exit 1
fi
for u in $units; do
    sed "s|^ExecStart=/|ExecStart=$STAGE/root/|" "$u" \
        > "$STAGE/check/${u##*/}" || exit 1
done
man=$(find "$STAGE/root" -type d -path '*/share/man' | head -n 1)
out=$(cd "$STAGE/check" && MANPATH=$man SYSTEMD_LOG_COLOR=0 \
    systemd-analyze verify ./hrss-collector.service ./hrss-agent.service \
        ./hrss-web.service 2>&1)
rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
    printf '%s\n' "$out" >&2
    echo "verify-units: systemd-analyze verify: exit $rc" >&2
    exit 1
fi
echo "verify-units: systemd-analyze verify passes on" \
    "hrss-collector.service, hrss-agent.service and hrss-web.service"
