#!/bin/sh
# check-man.sh: the man pages in deploy/man/ against the programs' --help.
#
# usage: sh tests/deploy/check-man.sh BIN_DIR MAN_DIR
#
# For each program: every option (--name) and every command its --help
# shows must appear in its man page, and every option the man page lists
# as a tag (.TP, under OPTIONS or COMMANDS) must be in --help, so neither
# can grow an option the other does not know. With groff, each page must
# also format without a warning. Exit 0 when all agree, 1 otherwise.
set -u

BIN=${1:?usage: check-man.sh BIN_DIR MAN_DIR}
MAN=${2:?usage: check-man.sh BIN_DIR MAN_DIR}
fail=0

bad() {
    printf 'check-man: %s\n' "$*" >&2
    fail=1
}

# The --name options in text on stdin, one per line, sorted.
options() {
    grep -o -e '--[a-z][a-z-]*[a-z]' | sort -u
}

# The man page's text without troff's escapes: \- becomes -, fonts go.
plain() {
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$1"
}

# The lines that head a .TP paragraph, without their font macro.
tags() {
    plain "$1" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' |
        sed -e 's/^\.[BIR]* *//' -e 's/^"//'
}

# The options in those heads; --help goes without saying in --help.
tagged_options() {
    tags "$1" | options | grep -v -x -e --help
}

check() {
    prog=$1
    page=$MAN/$2
    shift 2
    [ -x "$BIN/$prog" ] || { bad "$BIN/$prog not found"; return; }
    [ -r "$page" ] || { bad "$page not found"; return; }
    help=$("$BIN/$prog" --help) || { bad "$prog --help failed"; return; }
    text=$(plain "$page")
    for o in $(printf '%s\n' "$help" | options); do
        printf '%s\n' "$text" | grep -q -e "$o\\([^a-z-]\\|\$\\)" ||
            bad "$page does not describe $o (in $prog --help)"
    done
    for o in $(tagged_options "$page"); do
        printf '%s\n' "$help" | grep -q -e "$o\\([^a-z-]\\|\$\\)" ||
            bad "$page lists $o, which $prog --help does not know"
    done
    for c in "$@"; do
        printf '%s\n' "$help" | grep -q -e "^  $c\\( \\|\$\\)" ||
            bad "$prog --help does not list the command $c"
        tags "$page" | grep -q -e "^$c\\([ \"]\\|\$\\)" ||
            bad "$page has no paragraph for the command $c"
    done
    if command -v groff > /dev/null 2>&1; then
        warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
        [ -z "$warn" ] || bad "groff warns about $page: $warn"
    fi
}

# The commands each --help lists, by name.
CTL_COMMANDS="indicators regions total breakdown series progress completeness
diff history rejections agents violations outliers approve unapprove accept \
unaccept except unexcept approvals comment followups reconcile ranges backup \
check audit export keygen"
check hrss-collector hrss-collector.8
check hrss-web hrss-web.8
check hrss-agent hrss-agent.8 submit run flush status receipts check keygen \
    indicators regions
# shellcheck disable=SC2086
check hrssctl hrssctl.1 $CTL_COMMANDS

# Every command of hrssctl's --help is in the list above.
listed=$("$BIN/hrssctl" --help |
    sed -n 's/^  \([a-z][a-z]*\)\( .*\)\{0,1\}$/\1/p')
for c in $listed; do
    printf '%s\n' $CTL_COMMANDS | grep -q -x -e "$c" ||
        bad "hrssctl --help lists $c, which check-man.sh does not check"
done

[ "$fail" -eq 0 ] && echo "check-man: the man pages agree with --help"
exit "$fail"
