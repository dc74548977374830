#!/bin/sh
# The committed seed corpora are what gen_corpus.c writes (CTest
# fuzz_corpus_current; `make fuzz-corpus` rewrites them).
#
#   sh tests/fuzz/check-corpus.sh GENERATOR SOURCE_DIR SCRATCH_DIR
set -eu
if [ $# -ne 3 ]; then
    echo "usage: $0 GENERATOR SOURCE_DIR SCRATCH_DIR" >&2
    exit 64
fi
rm -rf "$3"
"$1" "$2" "$3"
if ! diff -r "$3" "$2/tests/fuzz/corpus"; then
    echo "tests/fuzz/corpus differs from what gen_corpus.c writes:" \
         "run make fuzz-corpus and commit the result" >&2
    exit 1
fi
