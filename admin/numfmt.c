/* numfmt.c: numbers for people, with thousands separators.
 *
 * numfmt_fixed() rounds half away from zero (the 四舍五入 of statistical
 * reports) on the shortest decimal form of the value that reads back as
 * the same double (15 to 17 significant digits). So a value written as
 * 4355.005 prints as "4,355.01" although the nearest double lies just
 * below it, and 0.5 with no decimals prints "1", not printf's "0". The
 * digits are taken from "%e" output by skipping anything that is not a
 * digit, so the locale's decimal point cannot change the result.
 *
 * INVARIANTS
 *   1. Every result is NUL-terminated within the caller's buffer when its
 *      length is not zero, even with asserts compiled out.
 *   2. No global mutable state: every function is reentrant.
 */
#include "admin/numfmt.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A double's shortest round-trip form has DBL_DIG (15) to
 * DBL_DECIMAL_DIG (17) significant digits. */
#define MIN_SIG 15
#define MAX_SIG 17
#define MAX_DECIMALS 6


/* Longest result: sign, 309 integer digits of DBL_MAX, 102 separators,
 * point, 6 decimals, NUL. */
#define NUM_MAX 432

/* Copy @p src into @p buf of @p len bytes, truncating; NUL-terminated
 * when len > 0, untouched when len == 0. */
static void copy_out(char *buf, size_t len, const char *src)
{
    if (len == 0) {
        return;
    }
    size_t n = strlen(src);
    if (n > len - 1) {
        n = len - 1;
    }
    memcpy(buf, src, n);
    buf[n] = '\0';
}

/* Append @p c to @p out (capacity @p cap) unless that would leave no room
 * for the NUL; keeps put_grouped() memory-safe even with asserts off. */
static void put_ch(char *out, size_t cap, size_t *o, char c)
{
    if (*o + 1 < cap) {
        out[(*o)++] = c;
    }
}

/* Write sign, @p idigits (ASCII digits) grouped by thousands and, when
 * @p frac is not empty, '.' and @p frac into @p buf (truncated to @p len,
 * always NUL-terminated when len > 0). */
static void put_grouped(bool neg, const char *idigits, const char *frac,
                        char *buf, size_t len)
{
    char out[NUM_MAX];
    size_t n = strlen(idigits);
    size_t o = 0;

    assert(n > 0 && n + n / 3 + strlen(frac) + 3 <= sizeof out);
    if (neg) {
        put_ch(out, sizeof out, &o, '-');
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            put_ch(out, sizeof out, &o, ',');
        }
        put_ch(out, sizeof out, &o, idigits[i]);
    }
    if (frac[0] != '\0') {
        put_ch(out, sizeof out, &o, '.');
        for (size_t i = 0; frac[i] != '\0'; i++) {
            put_ch(out, sizeof out, &o, frac[i]);
        }
    }
    out[o] = '\0';
    copy_out(buf, len, out);
}

void numfmt_int(int64_t v, char *buf, size_t len)
{
    /* Unsigned negation is defined for INT64_MIN, unlike -v. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char rev[24];
    char digits[24];
    size_t n = 0;

    do {
        rev[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u > 0);
    for (size_t i = 0; i < n; i++) {
        digits[i] = rev[n - 1 - i];
    }
    digits[n] = '\0';
    put_grouped(v < 0, digits, "", buf, len);
}

/* Round finite @p a >= 0 half away from zero to @p decimals places on its
 * shortest round-trip decimal form. Writes the integer digits (no leading
 * zeros, at least "0") to @p idig and exactly @p decimals fraction digits
 * to @p fdig. */
static void round_decimal(double a, int decimals, char *idig, size_t ilen,
                          char *fdig)
{
    char m[40];
    int dig[MAX_SIG];
    int nd = 0;
    int pos = 0;

    for (int p = MIN_SIG; p <= MAX_SIG; p++) {
        /* "d.ddd...e+XX" with p significant digits. */
        snprintf(m, sizeof m, "%.*e", p - 1, a);
        if (p == MAX_SIG || strtod(m, NULL) == a) {
            break;
        }
    }
    const char *e = strchr(m, 'e');
    assert(e != NULL);
    for (const char *q = m; q < e && nd < MAX_SIG; q++) {
        if (*q >= '0' && *q <= '9') {
            dig[nd++] = *q - '0';
        }
    }
    /* pos: how many of the digits lie left of the decimal point. */
    pos = (int)strtol(e + 1, NULL, 10) + 1;
    int keep = pos + decimals;

    if (keep < 0) {
        memset(dig, 0, sizeof dig);
    } else if (keep < nd) {
        bool up = dig[keep] >= 5;
        for (int i = keep; i < nd; i++) {
            dig[i] = 0;
        }
        for (int i = keep - 1; up && i >= 0; i--) {
            dig[i]++;
            up = dig[i] == 10;
            if (up) {
                dig[i] = 0;
            }
        }
        if (up) {
            /* Carried out of the first digit (9.99 -> 10.0). The digit
             * shifted out at the end is one of the zeroed ones. */
            memmove(dig + 1, dig, (size_t)(nd - 1) * sizeof dig[0]);
            dig[0] = 1;
            pos++;
        }
    }

    /* Digit i stands for 10^(pos - 1 - i); outside 0..nd-1 it is 0. */
    size_t o = 0;
    for (int place = pos > 0 ? pos - 1 : 0; place >= 0; place--) {
        int i = pos - 1 - place;
        int d = i >= 0 && i < nd ? dig[i] : 0;
        if ((o > 0 || d != 0 || place == 0) && o + 1 < ilen) {
            idig[o++] = (char)('0' + d);
        }
    }
    idig[o] = '\0';
    for (int k = 1; k <= decimals; k++) {
        int i = pos - 1 + k;
        fdig[k - 1] = (char)('0' + (i >= 0 && i < nd ? dig[i] : 0));
    }
    fdig[decimals] = '\0';
}

void numfmt_fixed(double v, int decimals, char *buf, size_t len)
{
    char idig[NUM_MAX];
    char fdig[MAX_DECIMALS + 1];

    if (!isfinite(v)) {
        copy_out(buf, len, "-");
        return;
    }
    if (decimals < 0) {
        decimals = 0;
    }
    if (decimals > MAX_DECIMALS) {
        decimals = MAX_DECIMALS;
    }
    round_decimal(fabs(v), decimals, idig, sizeof idig, fdig);

    /* "-0.00" is not a number people write: drop the sign of a zero. */
    bool zero = strspn(idig, "0") == strlen(idig) &&
                strspn(fdig, "0") == strlen(fdig);
    put_grouped(v < 0 && !zero, idig, fdig, buf, len);
}
