/* suggest.c: the nearest indicators to a key nobody knows.
 *
 * Design
 * ------
 * Moved here from store/resolve.c, whose answers hrssctl shows, so that
 * the office's agent suggests by the same rule. Levenshtein distance,
 * one row on the stack (keys are at most SUGGEST_MAX_INPUT units long).
 * An ASCII key is compared with the codes byte by byte, exactly as
 * before the move; a key with other characters is a name: it is folded
 * (full-width forms to ASCII, common/text) and compared, code point by
 * code point, with each Chinese name and with that name less its "其中:"
 * prefix, the nearer counting. Ties keep catalog order (a later entry
 * must be strictly nearer to pass an earlier one).
 *
 * INVARIANTS
 *   1. distance() only sees sequences of at most SUGGEST_MAX_INPUT units.
 *   2. append() never writes past cap - 1 and leaves whole UTF-8
 *      characters.
 *   3. A malformed UTF-8 byte counts as one code point of its own, so
 *      decoding always advances.
 *   4. A candidate is offered only when its distance is at most
 *      SUGGEST_CUT_NUM / SUGGEST_CUT_DEN of the key's length (a typo, a
 *      word left off) or the key, of SUGGEST_PART_MIN bytes or more, is
 *      a part of its code or name ("pension", "postdoc"): not any
 *      indicator at all ("qqqqqqq" and "nope" get none).
 */
#include "common/suggest.h"

#include <string.h>

#include "common/text.h"

/* INVARIANT 4: at most 2/5 of the key's units may differ. */
#define SUGGEST_CUT_NUM 2u
#define SUGGEST_CUT_DEN 5u
/* INVARIANT 4: a part of a code or name counts from 3 bytes on (one
 * Chinese character). */
#define SUGGEST_PART_MIN 3u

/* The "of which" prefix of the plan's names, after folding. */
#define PART_PREFIX "其中:"

/* Levenshtein distance between @p a[la] and @p b[lb], both at most
 * SUGGEST_MAX_INPUT long. */
static size_t distance(const unsigned *a, size_t la, const unsigned *b,
                       size_t lb)
{
    size_t row[SUGGEST_MAX_INPUT + 1];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0u : 1u);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The units of @p s into @p out: bytes (@p chars 0) or code points.
 * @return how many, or SIZE_MAX when more than SUGGEST_MAX_INPUT. */
static size_t units(const char *s, int chars, unsigned *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    size_t i = 0;
    while (u[i] != '\0') {
        int ok = 0;
        size_t k = chars ? text_next_char(u + i, &ok) : 1;
        unsigned cp = u[i];
        if (n == SUGGEST_MAX_INPUT) {
            return SIZE_MAX;
        }
        if (chars && ok && k > 1) {
            cp = u[i] & (0xFFu >> (k + 1));
            for (size_t j = 1; j < k; j++) {
                cp = (cp << 6) | (u[i + j] & 0x3Fu);
            }
        } else if (chars && !ok) {
            k = 1; /* INVARIANT 3 */
            cp = 0x110000u + u[i];
        }
        out[n++] = cp;
        i += k;
    }
    return n;
}

/* Append @p s to @p msg, cut at a character boundary to fit @p cap. */
static void append(char *msg, size_t cap, const char *s)
{
    size_t used = strlen(msg);
    size_t n = strlen(s);
    if (used + 1 >= cap) {
        return;
    }
    if (n > cap - 1 - used) {
        n = cap - 1 - used;
        while (n > 0 && ((unsigned char)s[n] & 0xC0u) == 0x80u) {
            n--;
        }
    }
    memcpy(msg + used, s, n);
    msg[used + n] = '\0';
}

static int is_ascii(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s >= 0x80u) {
            return 0;
        }
    }
    return 1;
}

/* Distance from the key's units to indicator @p ind's code (ASCII key)
 * or name; SIZE_MAX when it cannot be compared. */
static size_t how_far(const indicator_t *ind, int by_name,
                      const unsigned *k, size_t lk)
{
    unsigned c[SUGGEST_MAX_INPUT];
    if (!by_name) {
        size_t lc = units(ind->code, 0, c);
        return lc == SIZE_MAX ? SIZE_MAX : distance(k, lk, c, lc);
    }
    size_t best = SIZE_MAX;
    const char *name = ind->name_zh;
    for (int pass = 0; pass < 2; pass++) {
        size_t lc = units(name, 1, c);
        if (lc != SIZE_MAX) {
            size_t d = distance(k, lk, c, lc);
            best = d < best ? d : best;
        }
        if (strncmp(name, PART_PREFIX, strlen(PART_PREFIX)) != 0) {
            break;
        }
        name += strlen(PART_PREFIX);
    }
    return best;
}

void suggest_indicators(const catalog_t *cat, const char *key, char *msg,
                        size_t cap)
{
    char folded[SUGGEST_MAX_INPUT + 1];
    unsigned k[SUGGEST_MAX_INPUT];
    size_t best_d[SUGGEST_MAX];
    size_t best_i[SUGGEST_MAX];
    size_t nbest = 0;
    size_t len = strlen(key);
    int by_name = !is_ascii(key);

    if (len > SUGGEST_MAX_INPUT || cap == 0) {
        return;
    }
    memcpy(folded, key, len + 1);
    if (by_name) {
        text_fold_width(folded);
    }
    size_t lk = units(folded, by_name, k);
    if (lk == SIZE_MAX) {
        return;
    }
    for (size_t i = 0; i < catalog_indicator_count(cat); i++) {
        const indicator_t *ind = catalog_indicator(cat, i);
        size_t d = how_far(ind, by_name, k, lk);
        /* INVARIANT 4: near enough, or the key is a part of it. */
        if (d == SIZE_MAX ||
            (d * SUGGEST_CUT_DEN > lk * SUGGEST_CUT_NUM &&
             !(len >= SUGGEST_PART_MIN &&
               strstr(by_name ? ind->name_zh : ind->code, folded) != NULL))) {
            continue;
        }
        size_t at = nbest;
        while (at > 0 && best_d[at - 1] > d) {
            at--;
        }
        if (at >= SUGGEST_MAX) {
            continue;
        }
        size_t last = nbest < SUGGEST_MAX ? nbest : SUGGEST_MAX - 1;
        for (size_t j = last; j > at; j--) {
            best_d[j] = best_d[j - 1];
            best_i[j] = best_i[j - 1];
        }
        best_d[at] = d;
        best_i[at] = i;
        if (nbest < SUGGEST_MAX) {
            nbest++;
        }
    }
    for (size_t j = 0; j < nbest; j++) {
        const indicator_t *ind = catalog_indicator(cat, best_i[j]);
        append(msg, cap, j == 0 ? "; did you mean: " : ", ");
        append(msg, cap, by_name ? ind->name_zh : ind->code);
    }
    if (nbest > 0) {
        append(msg, cap, "?");
    }
}
