/* fuzz_text.c: libFuzzer target for the one rule for foreign text
 * (common/text): the input, up to its first NUL, is a string from the
 * wire or a file; the first byte (when there is one) also picks the
 * flags and a small output capacity.
 *
 * text_clean() is what stands between a hostile agent's name or message
 * and an operator's terminal, and text_check() what refuses such text at
 * the ingest socket: their promises are checked against each other.
 *
 * INVARIANTS (text.h; checked, a break aborts and libFuzzer keeps the
 * input)
 *   1. text_clean() with room for everything writes its return value's
 *      bytes and a NUL, at most 3 * strlen(s), and what it writes is
 *      clean (LF allowed with TEXT_KEEP_LF) and a fixed point: cleaned
 *      again it is unchanged.
 *   2. text_check(s) == TEXT_CLEAN exactly when text_clean(s) == s; on a
 *      fault, `at` lies inside s, and s up to `at` is clean.
 *   3. With a smaller capacity, text_clean() writes at most cap - 1
 *      bytes and a NUL, a prefix of the whole result that ends on a
 *      character boundary, and returns the same length.
 *   4. text_put_clean() writes exactly what text_clean() gives.
 *   5. text_trim() returns a pointer into the string, at its first byte
 *      that is not a space or tab, and leaves no space or tab at the end.
 *   6. text_valid_utf8(s) is 0 exactly when text_check(), resumed after
 *      each control character, finds TEXT_BAD_UTF8; text_is_clean(s)
 *      exactly when text_check(s) is TEXT_CLEAN.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dup_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL) {
        abort();
    }
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* 1 when @p s is clean, or clean but for line feeds when @p keep_lf. */
static int clean_enough(const char *s, int keep_lf)
{
    size_t at = 0;
    enum text_fault f = text_check(s, &at);
    while (f == TEXT_CONTROL && keep_lf && s[at] == '\n') {
        s += at + 1;
        f = text_check(s, &at);
    }
    return f == TEXT_CLEAN;
}

/* 1 when text_check() finds an ill-formed sequence anywhere in @p s,
 * going on past control characters. */
static int has_bad_utf8(const char *s)
{
    size_t at = 0;
    enum text_fault f = text_check(s, &at);
    while (f == TEXT_CONTROL) {
        int ok = 0;
        size_t n = text_next_char((const unsigned char *)s + at, &ok);
        if (!ok || n == 0) {
            fuzz_fail("text_check's control at %zu does not decode", at);
        }
        s += at + n;
        f = text_check(s, &at);
    }
    return f == TEXT_BAD_UTF8;
}

static void check_clean(const char *s, unsigned flags, unsigned small)
{
    size_t len = strlen(s);
    size_t cap = 3 * len + 1;
    char *full = malloc(cap);
    if (full == NULL) {
        abort();
    }
    size_t n = text_clean(full, cap, s, flags);
    if (n > 3 * len || strlen(full) != n) {
        fuzz_fail("text_clean: %zu bytes of %zu, returned %zu",
                  strlen(full), len, n);
    }
    if (!clean_enough(full, (flags & TEXT_KEEP_LF) != 0)) {
        fuzz_fail("text_clean wrote text that is not clean");
    }
    char *again = malloc(n + 1);
    if (again == NULL) {
        abort();
    }
    if (text_clean(again, n + 1, full, flags) != n ||
        strcmp(again, full) != 0) {
        fuzz_fail("text_clean is not a fixed point");
    }
    free(again);

    /* INVARIANT 2 */
    size_t at = (size_t)-1;
    enum text_fault f = text_check(s, &at);
    int same = flags == 0 && strcmp(full, s) == 0;
    if (flags == 0 && (f == TEXT_CLEAN) != same) {
        fuzz_fail("text_check says %d, text_clean %s the text", (int)f,
                  same ? "keeps" : "changes");
    }
    if (f != TEXT_CLEAN) {
        if (at >= len) {
            fuzz_fail("text_check fault at %zu of %zu", at, len);
        }
        char *head = malloc(at + 1);
        if (head == NULL) {
            abort();
        }
        memcpy(head, s, at);
        head[at] = '\0';
        if (text_check(head, NULL) != TEXT_CLEAN) {
            fuzz_fail("the text before the first fault is not clean");
        }
        free(head);
    } else if (at != (size_t)-1) {
        fuzz_fail("text_check wrote `at` for clean text");
    }
    if (text_valid_utf8(s) == has_bad_utf8(s) ||
        text_is_clean(s) != (f == TEXT_CLEAN)) {
        fuzz_fail("text_valid_utf8 / text_is_clean disagree with "
                  "text_check (%d)", (int)f);
    }

    /* INVARIANT 3 */
    size_t c = small % (n + 2);
    char *part = malloc(c + 1);
    if (part == NULL) {
        abort();
    }
    memset(part, 'X', c + 1);
    if (text_clean(c ? part : NULL, c, s, flags) != n) {
        fuzz_fail("text_clean with cap %zu returns another length", c);
    }
    if (c > 0) {
        size_t pl = strnlen(part, c);
        if (pl >= c || strncmp(part, full, pl) != 0 ||
            !clean_enough(part, (flags & TEXT_KEEP_LF) != 0)) {
            fuzz_fail("text_clean with cap %zu: not a clean prefix", c);
        }
        /* On a boundary: the rest of the full text starts a character. */
        if (pl < n && ((unsigned char)full[pl] & 0xC0) == 0x80) {
            fuzz_fail("text_clean with cap %zu cut a character", c);
        }
    }
    if (part[c] != 'X') {
        fuzz_fail("text_clean wrote past cap %zu", c);
    }
    free(part);

    /* INVARIANT 4 */
    char *mem = NULL;
    size_t memlen = 0;
    FILE *fp = open_memstream(&mem, &memlen);
    if (fp == NULL) {
        abort();
    }
    text_put_clean(fp, s, flags);
    fclose(fp);
    if (memlen != n || memcmp(mem, full, n) != 0) {
        fuzz_fail("text_put_clean wrote %zu bytes, text_clean %zu", memlen,
                  n);
    }
    free(mem);
    free(full);
}

static void check_trim(char *s)
{
    size_t len = strlen(s);
    char *t = text_trim(s);
    if (t < s || t > s + len) {
        fuzz_fail("text_trim returned a pointer outside the string");
    }
    for (char *p = s; p < t; p++) {
        if (*p != ' ' && *p != '\t') {
            fuzz_fail("text_trim skipped a byte 0x%02x",
                      (unsigned char)*p);
        }
    }
    size_t tl = strlen(t);
    if (t[0] == ' ' || t[0] == '\t' ||
        (tl > 0 && (t[tl - 1] == ' ' || t[tl - 1] == '\t'))) {
        fuzz_fail("text_trim left a blank at an end");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags = size > 0 && (data[0] & 1) ? TEXT_KEEP_LF : 0;
    unsigned small = size > 0 ? data[0] >> 1 : 0;
    char *s = dup_str(data, size);
    check_clean(s, flags, small);
    check_clean(s, flags ^ TEXT_KEEP_LF, small);
    check_trim(s);
    free(s);
    return 0;
}
