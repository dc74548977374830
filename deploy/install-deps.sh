#!/bin/sh
# Install the build and test dependencies of hrss on Debian 12, idempotently.
# Only what pkg-config (or PATH, or dpkg) cannot find is installed;
# `apt-get update` runs only when a package is not found in the current
# lists.
#
#   sh deploy/install-deps.sh          what make, make demo, make bench need
#   sh deploy/install-deps.sh --test   also what make test and make fuzz
#                                      need: clang with libFuzzer and the
#                                      sanitizer runtimes, groff for the
#                                      man page check, ip, tc and
#                                      iptables for the partition test,
#                                      tmux for hrssctl's tables in a
#                                      terminal, Chromium and a CJK
#                                      font for the dashboard's test
#   sh deploy/install-deps.sh --package
#                                      also what make package and make
#                                      test-package need: dpkg-shlibdeps
#                                      and file (CPack's dependencies of
#                                      the .deb), debootstrap (a clean
#                                      Debian 12 root), unshare and
#                                      setpriv (util-linux)
set -eu

with_test=0
with_package=0
case "${1:-}" in
"") ;;
--test) with_test=1 ;;
--package) with_package=1 ;;
*) echo "usage: $0 [--test | --package]" >&2; exit 64 ;;
esac

missing=""
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_deb() {
    if ! dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null |
       grep -qx installed; then
        missing="$missing $1"
    fi
}
need_pc() {
    if ! command -v pkg-config >/dev/null 2>&1 ||
       ! pkg-config --exists "$1"; then
        missing="$missing $2"
    fi
}

need_cmd cc gcc
need_cmd make make
need_cmd cmake cmake
need_cmd pkg-config pkg-config
need_cmd protoc-c protobuf-c-compiler
need_pc libzmq libzmq3-dev
need_pc libprotobuf-c libprotobuf-c-dev
need_pc lmdb liblmdb-dev
# /metrics of both daemons (common/httpd): the build needs its header, and
# the daemons dlopen its libmicrohttpd12 for --metrics (the tests use it).
need_pc libmicrohttpd libmicrohttpd-dev
need_pc criterion libcriterion-dev
# hrss-web's users file: argon2id password hashes (admin/web_users.c).
need_pc libsodium libsodium-dev
if [ "$with_test" -eq 1 ]; then
    # The fuzz targets (tests/fuzz): clang-14 alone has neither libFuzzer
    # nor the ASan/UBSan/LSan runtimes; Debian ships them apart.
    need_cmd clang clang
    need_deb libclang-rt-14-dev
    need_deb libfuzzer-14-dev
    need_cmd groff groff-base
    # tests/integration/test_partition.c: network namespaces and a veth
    # pair (ip), a slow link (tc tbf), packet loss (iptables' statistic
    # match, as this kernel has no netem).
    need_deb iproute2
    need_deb iptables
    # tests/integration/test_width.c: hrssctl's tables in terminals 80
    # and 120 columns wide (tmux panes); it fails without tmux.
    need_cmd tmux tmux
    # tests/integration/test_dashboard.c: the dashboard's pages in
    # headless Chromium, with a font for the Chinese names.
    need_cmd chromium chromium
    need_deb fonts-noto-cjk
fi
if [ "$with_package" -eq 1 ]; then
    need_cmd dpkg-shlibdeps dpkg-dev
    need_cmd file file
    need_cmd debootstrap debootstrap
    need_cmd unshare util-linux
    need_cmd setpriv util-linux
    need_cmd timeout coreutils
    need_cmd flock util-linux
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $missing; then
    apt-get update
    apt-get install -y --no-install-recommends $missing
fi
