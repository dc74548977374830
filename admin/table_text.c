/* table_text.c: display width of UTF-8 text and where a line of it may
 * wrap, for admin/table.c (the module's other half).
 *
 * Display width is computed from our own UTF-8 decoder and a small East
 * Asian Width table, never from the locale or wcwidth(): hrssctl must line
 * up the same way under LANG=C, in cron mail and over ssh. Wide (W) and
 * Fullwidth (F) ranges take two columns; combining marks, zero-width
 * format characters and controls take none; everything else takes one.
 * A byte that does not start a valid UTF-8 sequence (bad lead, missing
 * continuation, overlong form, surrogate, beyond U+10FFFF) counts as one
 * column and decoding resumes at the next byte.
 *
 * Wrapping breaks a line before a space (the space is dropped), before a
 * wide character (CJK text has no spaces) unless it is closing
 * punctuation or follows opening punctuation, before an opening bracket,
 * after a '_' or '/' (indicator codes, paths) and after a '-' between a
 * letter and a letter or digit (agent ids; never inside 2025-01 or
 * 2021-2025); a run with no such place is cut where it reaches the width.
 *
 * INVARIANTS
 *   1. zero_ranges and wide_ranges are sorted and do not overlap.
 *   2. table_decode() consumes at least one byte and never reads past
 *      the terminating NUL.
 *   3. table_wrap_line() takes at least one character, so wrapping
 *      always moves on.
 *   4. No global mutable state: every function is reentrant.
 */
#include "admin/table.h"
#include "admin/table_int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_range {
    uint32_t lo;
    uint32_t hi;
};

/* Zero-width code points: combining marks, zero-width and bidi format
 * characters, variation selectors, tags. Sorted, non-overlapping. */
static const struct cp_range zero_ranges[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},
    {0x0610, 0x061A},   {0x064B, 0x065F},   {0x1160, 0x11FF},
    {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF},   {0x200B, 0x200F},
    {0x202A, 0x202E},   {0x2060, 0x2064},   {0x20D0, 0x20FF},
    {0x302A, 0x302D},   {0x3099, 0x309A},   {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F},   {0xFEFF, 0xFEFF},   {0xE0000, 0xE007F},
    {0xE0100, 0xE01EF},
};

/* East Asian Wide and Fullwidth code points. Sorted, non-overlapping.
 * Checked after zero_ranges, so the combining marks inside CJK blocks
 * (U+302A.., U+3099..) stay zero. */
static const struct cp_range wide_ranges[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},
    {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
    {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F},
    {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},
    {0x1B000, 0x1B16F}, {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF},
    {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static bool in_ranges(uint32_t cp, const struct cp_range *r, size_t n)
{
    size_t lo = 0;
    size_t hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo) {
            hi = mid;
        } else if (cp > r[mid].hi) {
            lo = mid + 1;
        } else {
            return true;
        }
    }
    return false;
}

bool table_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

size_t table_cp_width(uint32_t cp)
{
    if (table_is_control(cp)) {
        return 0;
    }
    if (in_ranges(cp, zero_ranges,
                  sizeof zero_ranges / sizeof zero_ranges[0])) {
        return 0;
    }
    if (in_ranges(cp, wide_ranges,
                  sizeof wide_ranges / sizeof wide_ranges[0])) {
        return 2;
    }
    return 1;
}

/* Decode the sequence starting at s[0] of a NUL-terminated string (s[0]
 * is not NUL). Sets *n to the bytes consumed (1 for an invalid byte) and
 * returns the code point or TABLE_BAD_CP. The terminating NUL is not a
 * continuation byte, so a truncated sequence never reads past it. */
uint32_t table_decode(const unsigned char *s, size_t *n)
{
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned char b0 = s[0];
    size_t len = 0;
    uint32_t cp = 0;

    *n = 1;
    if (b0 < 0x80) {
        return b0;
    }
    if (b0 >= 0xC0 && b0 < 0xE0) {
        len = 2;
        cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 < 0xF0) {
        len = 3;
        cp = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 < 0xF8) {
        len = 4;
        cp = b0 & 0x07u;
    } else {
        return TABLE_BAD_CP;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0u) != 0x80u) {
            return TABLE_BAD_CP;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min_cp[len] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return TABLE_BAD_CP;
    }
    *n = len;
    return cp;
}

size_t table_text_width(const char *s)
{
    size_t w = 0;
    size_t i = 0;
    if (s == NULL) {
        return 0;
    }
    const unsigned char *u = (const unsigned char *)s;
    while (u[i] != '\0') {
        size_t n = 0;
        uint32_t cp = table_decode(u + i, &n);
        w += cp == TABLE_BAD_CP ? 1 : table_cp_width(cp);
        i += n;
    }
    return w;
}

/* Opening punctuation: no line ends after it. */
static bool is_opener(uint32_t cp)
{
    static const uint32_t open[] = {'(',    '[',    '{',    0x2018, 0x201C,
                                    0x3008, 0x300A, 0x300C, 0x300E, 0x3010,
                                    0x3014, 0x3016, 0x3018, 0x301A, 0xFF08,
                                    0xFF3B, 0xFF5B};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        if (cp == open[i]) {
            return true;
        }
    }
    return false;
}

/* Closing punctuation: no line starts with it. */
static bool is_closer(uint32_t cp)
{
    static const uint32_t close[] = {
        ')',    ']',    '}',    ',',    '.',    ':',    ';',    '!',
        '?',    '%',    0x2019, 0x201D, 0x3001, 0x3002, 0x3009, 0x300B,
        0x300D, 0x300F, 0x3011, 0x3015, 0x3017, 0x3019, 0x301B, 0xFF01,
        0xFF05, 0xFF09, 0xFF0C, 0xFF0E, 0xFF1A, 0xFF1B, 0xFF1F, 0xFF3D,
        0xFF5D};
    for (size_t i = 0; i < sizeof close / sizeof close[0]; i++) {
        if (cp == close[i]) {
            return true;
        }
    }
    return false;
}

static bool is_digit(uint32_t cp)
{
    return cp >= '0' && cp <= '9';
}

static bool is_letter(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

/* Whether a line may end between @p prev and @p cp (neither a space;
 * @p before is the character before @p prev): around wide characters,
 * before an opening bracket, after the '_' or '/' inside a code or a
 * path, after a '-' between a letter and a letter or digit (not in a
 * period such as 2025-01). */
static bool may_break(uint32_t before, uint32_t prev, uint32_t cp)
{
    if (is_opener(prev) || is_closer(cp)) {
        return false;
    }
    if (prev == '-') {
        /* "office-330102", "330102-hangzhou"; never "2025-01" or
         * "--wide". */
        return (is_letter(before) && (is_letter(cp) || is_digit(cp))) ||
               (is_digit(before) && is_letter(cp));
    }
    return table_cp_width(cp) == 2 || is_opener(cp) || prev == '_' ||
           prev == '/';
}

/* The first line of @p s (sanitised: valid UTF-8, no control) wrapped at
 * @p w columns: *len bytes of @p s, *width columns, no trailing space.
 * At least one character is taken, even one wider than @p w.
 * @return where the next line starts (its leading spaces skipped). */
size_t table_wrap_line(const char *s, size_t w, size_t *len,
                       size_t *width)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    size_t col = 0;
    size_t brk = 0; /* 0: no place to break seen yet */
    size_t brk_col = 0;
    uint32_t prev = 0;
    uint32_t before = 0;
    while (u[i] != '\0') {
        size_t n = 0;
        uint32_t cp = table_decode(u + i, &n);
        size_t cw = table_cp_width(cp);
        if (i > 0 &&
            ((cp == ' ' && prev != ' ') ||
             (cp != ' ' && prev != ' ' && may_break(before, prev, cp)))) {
            brk = i;
            brk_col = col;
        }
        if (i > 0 && col + cw > w) {
            break;
        }
        col += cw;
        before = prev;
        prev = cp;
        i += n;
    }
    size_t next = i;
    if (u[i] != '\0' && brk > 0) {
        next = brk;
        col = brk_col;
    }
    *len = next;
    while (*len > 0 && s[*len - 1] == ' ') {
        (*len)--;
        col--;
    }
    *width = col;
    while (s[next] == ' ') {
        next++;
    }
    return next;
}
