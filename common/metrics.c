/* metrics.c: the Prometheus text format (version 0.0.4), written into a
 * buf_t.
 *
 * A page is families, each "# HELP" and "# TYPE" then its samples, one a
 * line: `name{label="value",...} number`. The format's own escaping is
 * small: in a label value `\`, `"` and the line feed; in a help text `\`
 * and the line feed. Label values here may be agents' names, which the
 * wire already requires to be clean UTF-8; they are escaped anyway, and
 * any ill-formed UTF-8 becomes U+FFFD with common/text's decoder, so the
 * page is valid UTF-8 whatever it is given.
 *
 * Numbers: counters and most gauges are whole, written as integers;
 * reals (seconds, ratios) with 15 significant digits, enough for a unix
 * time in milliseconds; NaN and infinities as the format spells them.
 *
 * INVARIANTS
 *   1. Each call appends whole lines, each ending with '\n'.
 *   2. A label value or help text never puts a raw '"' (values), '\n' or
 *      a lone '\' into the page (metrics.h, 1 and 2).
 *   3. Bucket lines are cumulative and the last, le="+Inf", is count.
 */
#include "common/metrics.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/text.h"

/* Longest number text: "%.15g" of a double, or an int64. */
#define NUM_LEN 40
/* Labels a histogram sample may carry besides le. */
#define HIST_LABELS 7

#ifndef NDEBUG
/* [a-zA-Z_:][a-zA-Z0-9_:]*: metric and label names (INVARIANT 4). */
static int name_ok(const char *s)
{
    static const char first[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:";
    if (s == NULL || s[0] == '\0' || strchr(first, s[0]) == NULL) {
        return 0;
    }
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_:") == strlen(s);
}
#endif

static void put_str(buf_t *out, const char *s)
{
    buf_put(out, s, strlen(s));
}

/* @p v as the format writes a number, into num[NUM_LEN]. */
static void format_number(double v, char num[NUM_LEN])
{
    const double exact = 9007199254740992.0; /* 2^53 */
    if (isnan(v)) {
        snprintf(num, NUM_LEN, "NaN");
    } else if (isinf(v)) {
        snprintf(num, NUM_LEN, "%s", v > 0 ? "+Inf" : "-Inf");
    } else if (v >= -exact && v <= exact && (double)(int64_t)v == v) {
        snprintf(num, NUM_LEN, "%lld", (long long)(int64_t)v);
    } else {
        snprintf(num, NUM_LEN, "%.15g", v);
    }
}

/* @p s escaped for a label value (@p value 1) or a help text (0). */
static void put_escaped(buf_t *out, const char *s, int value)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (u[i] != '\0') {
        int ok = 0;
        size_t n = text_next_char(u + i, &ok);
        if (!ok) {
            put_str(out, "\xEF\xBF\xBD"); /* U+FFFD */
        } else if (u[i] == '\\') {
            put_str(out, "\\\\");
        } else if (u[i] == '\n') {
            put_str(out, "\\n");
        } else if (u[i] == '"' && value) {
            put_str(out, "\\\"");
        } else {
            buf_put(out, u + i, n);
        }
        i += n;
    }
}

static void put_labels(buf_t *out, const metrics_label_t *labels, size_t n)
{
    if (n == 0) {
        return;
    }
    buf_put_u8(out, '{');
    for (size_t i = 0; i < n; i++) {
        assert(name_ok(labels[i].name));
        if (i > 0) {
            buf_put_u8(out, ',');
        }
        put_str(out, labels[i].name);
        put_str(out, "=\"");
        put_escaped(out, labels[i].value != NULL ? labels[i].value : "", 1);
        buf_put_u8(out, '"');
    }
    buf_put_u8(out, '}');
}

/* NAME{LABELS} NUM\n, with NAME = @p name followed by @p suffix. */
static void put_sample(buf_t *out, const char *name, const char *suffix,
                       const metrics_label_t *labels, size_t n,
                       const char *num)
{
    assert(name_ok(name));
    put_str(out, name);
    put_str(out, suffix);
    put_labels(out, labels, n);
    buf_put_u8(out, ' ');
    put_str(out, num);
    buf_put_u8(out, '\n');
}

void metrics_hist_init(metrics_hist_t *h, const double *le, size_t n)
{
    assert(n >= 1 && n <= METRICS_HIST_MAX);
    memset(h, 0, sizeof *h);
    h->le = le;
    h->n = n;
#ifndef NDEBUG
    for (size_t i = 1; i < n; i++) {
        assert(le[i - 1] < le[i]);
    }
#endif
}

void metrics_hist_observe(metrics_hist_t *h, double v)
{
    for (size_t i = 0; i < h->n; i++) {
        if (v <= h->le[i]) {
            h->bucket[i]++;
            break;
        }
    }
    h->count++;
    h->sum += v;
}

void metrics_family(buf_t *out, const char *name, enum metrics_type type,
                    const char *help)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    assert(name_ok(name));
    assert((size_t)type < sizeof types / sizeof types[0]);
    put_str(out, "# HELP ");
    put_str(out, name);
    buf_put_u8(out, ' ');
    put_escaped(out, help, 0);
    put_str(out, "\n# TYPE ");
    put_str(out, name);
    buf_put_u8(out, ' ');
    put_str(out, types[type]);
    buf_put_u8(out, '\n');
}

void metrics_uint(buf_t *out, const char *name, const metrics_label_t *labels,
                  size_t n, uint64_t v)
{
    char num[NUM_LEN];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    put_sample(out, name, "", labels, n, num);
}

void metrics_double(buf_t *out, const char *name,
                    const metrics_label_t *labels, size_t n, double v)
{
    char num[NUM_LEN];
    format_number(v, num);
    put_sample(out, name, "", labels, n, num);
}

void metrics_histogram(buf_t *out, const char *name,
                       const metrics_label_t *labels, size_t n,
                       const metrics_hist_t *h)
{
    assert(n <= HIST_LABELS);
    metrics_label_t with_le[HIST_LABELS + 1];
    char le[NUM_LEN];
    char num[NUM_LEN];
    if (n > 0) {
        memcpy(with_le, labels, n * sizeof *labels);
    }
    with_le[n].name = "le";
    with_le[n].value = le;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h->n; i++) {
        cumulative += h->bucket[i];
        format_number(h->le[i], le);
        snprintf(num, sizeof num, "%llu", (unsigned long long)cumulative);
        put_sample(out, name, "_bucket", with_le, n + 1, num);
    }
    snprintf(le, sizeof le, "+Inf");
    snprintf(num, sizeof num, "%llu", (unsigned long long)h->count);
    put_sample(out, name, "_bucket", with_le, n + 1, num);
    format_number(h->sum, num);
    put_sample(out, name, "_sum", labels, n, num);
    snprintf(num, sizeof num, "%llu", (unsigned long long)h->count);
    put_sample(out, name, "_count", labels, n, num);
}
