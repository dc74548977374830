/* csvin.c: read an office's CSV of monthly figures into validated rows.
 *
 * Pipeline, all in csvin_parse():
 *
 *   bytes --to_utf8()--> UTF-8 text --csv.c--> header --map_header()-->
 *   column map --check_row() per data row--> rows[] or the error list
 *
 * Encoding: bytes that are valid UTF-8 after an optional BOM are used as
 * they are (csv.c skips the BOM); anything else is converted from
 * GB18030, the superset of GBK that Excel in China writes, with iconv(3).
 * GBK text is almost never valid UTF-8 (its lead bytes 0x81..0xFE are
 * mostly UTF-8 continuation or invalid bytes), so the guess is safe for
 * real files. A file that is neither is refused with the byte offset of
 * the first byte iconv could not convert.
 *
 * Validation is all or nothing: every row is checked, every bad field is
 * reported as "NAME:LINE: FIELD: reason" (FIELD being the canonical column
 * name, LINE the CSV line where the row starts), and rows are handed out
 * only when there was no error. Header problems stop the parse after the
 * header, since the columns of the data rows are then unknown. Fields are
 * trimmed of ASCII spaces and tabs after CSV unquoting.
 *
 * A file may carry value, numerator and denominator all three: a count
 * indicator's row then needs value and must leave numerator/denominator
 * empty, a ratio indicator's row the reverse, so that no figure in the
 * file is silently ignored.
 *
 * Fields are parsed and checked by the domain layer (common/update), the
 * same rules the collector applies: this module owns only what is
 * particular to a file (encoding, columns, which columns a row fills).
 *
 * INVARIANTS
 *   1. On ERR_OK, *errors == NULL and every returned row passes
 *      update_check() against the scope (with seq 0).
 *   2. On failure *rows == NULL, *n == 0 and *errors is a non-empty,
 *      NUL-terminated list of at most CSVIN_MAX_ERRORS + 1 lines.
 *   3. Error messages never contain a control byte from the input (those
 *      are shown as '?'), so the list splits cleanly at '\n'.
 *   4. n_rows <= CSVIN_MAX_ROWS.
 */
#include "agent/csvin.h"

#include <assert.h>
#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/csv.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/period.h"
#include "common/text.h"

enum col {
    COL_INDICATOR,
    COL_PERIOD,
    COL_VALUE,
    COL_NUMERATOR,
    COL_DENOMINATOR,
    COL_REGION,
    COL_COUNT
};

/* Canonical names, by enum col; also the FIELD of error messages. */
static const char *const col_name[COL_COUNT] = {
    "indicator", "period", "value", "numerator", "denominator", "region",
};

/* Every accepted header name. ASCII ones compare case-insensitively. */
static const struct {
    const char *name;
    enum col col;
} col_alias[] = {
    {"indicator", COL_INDICATOR},     {"指标", COL_INDICATOR},
    {"period", COL_PERIOD},           {"月份", COL_PERIOD},
    {"期间", COL_PERIOD},             {"value", COL_VALUE},
    {"数值", COL_VALUE},              {"值", COL_VALUE},
    {"numerator", COL_NUMERATOR},     {"分子", COL_NUMERATOR},
    {"denominator", COL_DENOMINATOR}, {"分母", COL_DENOMINATOR},
    {"region", COL_REGION},           {"地区", COL_REGION},
    {"地区代码", COL_REGION},
};

/* State of one parse. */
struct ctx {
    const char *name;
    const update_scope_t *o;
    buf_t errs;         /* lines joined by '\n', no NUL yet */
    size_t n_errors;    /* all errors, listed or not */
    int col[COL_COUNT]; /* field index of each column, -1 if absent */
    size_t n_cols;      /* fields in the header */
    csvin_row_t *rows;
    size_t n_rows;
    size_t cap_rows;
};

/* --- messages --------------------------------------------------------- */

/* Append one message line (without its trailing newline). */
static void add_msg(struct ctx *c, const char *msg)
{
    c->n_errors++;
    if (c->n_errors > CSVIN_MAX_ERRORS) {
        return;
    }
    if (c->errs.len > 0) {
        buf_put(&c->errs, "\n", 1);
    }
    buf_put(&c->errs, msg, strlen(msg));
}

/* "NAME:LINE: FIELD: reason"; @p field NULL leaves out "FIELD: ", @p line
 * 0 leaves out "LINE:". */
__attribute__((format(printf, 4, 5))) static void
row_error(struct ctx *c, size_t line, const char *field, const char *fmt,
          ...)
{
    char why[ERR_LEN];
    char where[64] = "";
    buf_t msg;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (line > 0) {
        snprintf(where, sizeof where, ":%zu", line);
    }
    buf_init(&msg);
    buf_put(&msg, c->name, strlen(c->name));
    buf_put(&msg, where, strlen(where));
    buf_put(&msg, ": ", 2);
    if (field != NULL) {
        buf_put(&msg, field, strlen(field));
        buf_put(&msg, ": ", 2);
    }
    buf_put_str(&msg, why);
    add_msg(c, (const char *)msg.data);
    buf_fini(&msg);
}

/* --- encoding --------------------------------------------------------- */

/* 1 when @p p[0, len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF). */
static int valid_utf8(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char b = p[i];
        size_t k = 0;
        unsigned char lo = 0x80u;
        unsigned char hi = 0xBFu;
        if (b < 0x80u) {
            i++;
            continue;
        }
        if (b >= 0xC2u && b <= 0xDFu) {
            k = 1;
        } else if (b >= 0xE0u && b <= 0xEFu) {
            k = 2;
            lo = b == 0xE0u ? 0xA0u : 0x80u;
            hi = b == 0xEDu ? 0x9Fu : 0xBFu;
        } else if (b >= 0xF0u && b <= 0xF4u) {
            k = 3;
            lo = b == 0xF0u ? 0x90u : 0x80u;
            hi = b == 0xF4u ? 0x8Fu : 0xBFu;
        } else {
            return 0;
        }
        if (len - i <= k) {
            return 0;
        }
        if (p[i + 1] < lo || p[i + 1] > hi) {
            return 0;
        }
        for (size_t j = 2; j <= k; j++) {
            if ((p[i + j] & 0xC0u) != 0x80u) {
                return 0;
            }
        }
        i += k + 1;
    }
    return 1;
}

/* Convert GB18030 @p data (@p len bytes) to UTF-8. On failure sets
 * *bad_at to the offset of the first byte that did not convert.
 * @return ERR_OK or ERR_INVAL. Caller owns *out and must free() it. */
static int gb18030_to_utf8(const char *data, size_t len, char **out,
                           size_t *out_len, size_t *bad_at)
{
    int rc = ERR_OK;
    iconv_t cd = (iconv_t)-1;
    char *in_copy = NULL; /* iconv wants a non-const input pointer */
    char *res = NULL;
    char *in = NULL;
    char *o = NULL;
    size_t in_left = len;
    size_t cap = len * 2 + 16; /* GB18030 -> UTF-8 grows at most 1.5x */
    size_t out_left = cap;

    cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) {
        *bad_at = SIZE_MAX; /* no converter: nothing to point at */
        rc = ERR_INVAL;
        goto out;
    }
    in_copy = xmalloc(len + 1);
    if (len > 0) {
        memcpy(in_copy, data, len);
    }
    res = xmalloc(cap);
    in = in_copy;
    o = res;
    while (in_left > 0) {
        size_t r = iconv(cd, &in, &in_left, &o, &out_left);
        if (r != (size_t)-1) {
            break;
        }
        if (errno == E2BIG) {
            size_t used = (size_t)(o - res);
            cap *= 2;
            res = xreallocarray(res, cap, 1);
            o = res + used;
            out_left = cap - used;
            continue;
        }
        /* EILSEQ (invalid) or EINVAL (truncated at the end). */
        *bad_at = (size_t)(in - in_copy);
        rc = ERR_INVAL;
        goto out;
    }
    *out_len = (size_t)(o - res);
    *out = res;
    res = NULL;

out:
    free(res);
    free(in_copy);
    if (cd != (iconv_t)-1) {
        iconv_close(cd);
    }
    return rc;
}

/* --- header ----------------------------------------------------------- */

/* Map the header row; on any problem report all of them and fail. */
static int map_header(struct ctx *c, char **f, size_t nf, size_t line)
{
    int rc = ERR_OK;
    const int *col = c->col;

    for (size_t k = 0; k < COL_COUNT; k++) {
        c->col[k] = -1;
    }
    c->n_cols = nf;
    for (size_t j = 0; j < nf; j++) {
        const char *h = text_trim(f[j]);
        char q[UPDATE_QUOTE_LEN];
        int which = -1;
        for (size_t a = 0; a < sizeof col_alias / sizeof col_alias[0]; a++) {
            if (strcasecmp(h, col_alias[a].name) == 0) {
                which = (int)col_alias[a].col;
                break;
            }
        }
        update_quote(q, sizeof q, h);
        if (which < 0) {
            row_error(c, line, "header",
                      "unknown column '%s' (expected indicator, period, "
                      "value, numerator, denominator, region)",
                      q);
            rc = ERR_INVAL;
            continue;
        }
        if (c->col[which] >= 0) {
            if (strcasecmp(h, col_name[which]) == 0) {
                row_error(c, line, "header", "duplicate column '%s'", q);
            } else {
                row_error(c, line, "header",
                          "duplicate column '%s' (another name for %s)", q,
                          col_name[which]);
            }
            rc = ERR_INVAL;
            continue;
        }
        c->col[which] = (int)j;
    }
    for (int k = COL_INDICATOR; k <= COL_PERIOD; k++) {
        if (col[k] < 0) {
            row_error(c, line, "header", "missing column '%s'",
                      col_name[k]);
            rc = ERR_INVAL;
        }
    }
    if (col[COL_NUMERATOR] >= 0 && col[COL_DENOMINATOR] < 0) {
        row_error(c, line, "header",
                  "missing column 'denominator' (numerator needs it)");
        rc = ERR_INVAL;
    } else if (col[COL_DENOMINATOR] >= 0 && col[COL_NUMERATOR] < 0) {
        row_error(c, line, "header",
                  "missing column 'numerator' (denominator needs it)");
        rc = ERR_INVAL;
    } else if (col[COL_VALUE] < 0 && col[COL_NUMERATOR] < 0) {
        row_error(c, line, "header",
                  "missing column 'value' (or 'numerator' and "
                  "'denominator')");
        rc = ERR_INVAL;
    }
    return rc;
}

/* --- rows ------------------------------------------------------------- */

/* Trimmed field of column @p k, or "" when the file has no such column. */
static const char *field(const struct ctx *c, char **f, enum col k)
{
    return c->col[k] >= 0 ? text_trim(f[c->col[k]]) : "";
}

/* Parse the amount in column @p k; empty (or no column) gives 0.
 * Reports a bad one. @return ERR_OK or ERR_INVAL. */
static int amount(struct ctx *c, char **f, enum col k, size_t line,
                  int64_t *v)
{
    const char *s = field(c, f, k);
    char why[ERR_LEN];

    *v = 0;
    if (s[0] == '\0') {
        return ERR_OK;
    }
    if (update_parse_amount(s, v, why, sizeof why) != ERR_OK) {
        row_error(c, line, col_name[k], "%s", why);
        return ERR_INVAL;
    }
    return ERR_OK;
}

/* Report a broken rule of the domain layer under its field. */
static void rule_error(struct ctx *c, size_t line, enum update_reason r,
                       const value_t *v, const char *msg)
{
    row_error(c, line, update_reason_field(r, v), "%s", msg);
}

/* The region column: empty means the agent's own region. */
static int check_region(struct ctx *c, const char *s, size_t line,
                        uint32_t *code)
{
    char why[ERR_LEN];
    char msg[UPDATE_MSG_LEN];
    int ri = -1;

    if (s[0] == '\0') {
        *code = catalog_region(c->o->cat, (size_t)c->o->home)->code;
        return ERR_OK;
    }
    if (update_parse_region(s, code, why, sizeof why) != ERR_OK) {
        row_error(c, line, "region", "%s", why);
        return ERR_INVAL;
    }
    enum update_reason r = update_check_region(c->o, *code, &ri, msg);
    if (r != UPDATE_OK) {
        rule_error(c, line, r, NULL, msg);
        return ERR_INVAL;
    }
    return ERR_OK;
}

/* Which figure columns a count's row fills: value, and nothing else. */
static int count_columns(struct ctx *c, char **f, size_t line,
                         const indicator_t *ind, value_t *v)
{
    int rc = ERR_OK;
    int has_val = field(c, f, COL_VALUE)[0] != '\0';
    int has_num = field(c, f, COL_NUMERATOR)[0] != '\0';
    int has_den = field(c, f, COL_DENOMINATOR)[0] != '\0';

    if (c->col[COL_VALUE] < 0) {
        row_error(c, line, "value",
                  "%s is a count, but the file has no value column",
                  ind->code);
        return ERR_INVAL;
    }
    if (!has_val) {
        row_error(c, line, "value", "empty (%s is a count%s)", ind->code,
                  has_num || has_den
                      ? ": give value, not numerator and denominator"
                      : "");
        return ERR_INVAL;
    }
    if (has_num || has_den) {
        row_error(c, line, has_num ? "numerator" : "denominator",
                  "must be empty for a count (%s)", ind->code);
        rc = ERR_INVAL;
    }
    if (amount(c, f, COL_VALUE, line, &v->num) != ERR_OK) {
        rc = ERR_INVAL;
    }
    v->is_ratio = 0;
    v->den = 0;
    return rc;
}

/* Which figure columns a ratio's row fills: numerator and denominator. */
static int ratio_columns(struct ctx *c, char **f, size_t line,
                         const indicator_t *ind, value_t *v)
{
    int rc = ERR_OK;
    int has_val = field(c, f, COL_VALUE)[0] != '\0';
    int has_num = field(c, f, COL_NUMERATOR)[0] != '\0';
    int has_den = field(c, f, COL_DENOMINATOR)[0] != '\0';

    if (c->col[COL_NUMERATOR] < 0) {
        row_error(c, line, "numerator",
                  "%s is a ratio, but the file has no numerator and "
                  "denominator columns",
                  ind->code);
        return ERR_INVAL;
    }
    if (has_val && !has_num && !has_den) {
        row_error(c, line, "value",
                  "%s is a ratio: give numerator and denominator, not "
                  "value",
                  ind->code);
        return ERR_INVAL;
    }
    if (has_val) {
        row_error(c, line, "value", "must be empty for a ratio (%s)",
                  ind->code);
        rc = ERR_INVAL;
    }
    if (!has_num) {
        row_error(c, line, "numerator", "empty (%s is a ratio)", ind->code);
        rc = ERR_INVAL;
    } else if (amount(c, f, COL_NUMERATOR, line, &v->num) != ERR_OK) {
        rc = ERR_INVAL;
    }
    if (!has_den) {
        row_error(c, line, "denominator", "empty (%s is a ratio)",
                  ind->code);
        rc = ERR_INVAL;
    } else if (amount(c, f, COL_DENOMINATOR, line, &v->den) != ERR_OK) {
        rc = ERR_INVAL;
    }
    v->is_ratio = 1;
    return rc;
}

/* Check the figures of a row; @p ind is NULL when the indicator is
 * unknown, and then only the syntax of each number can be checked. Only
 * the columns the indicator's kind uses are parsed: a figure in a column
 * that must stay empty is reported as such, whatever it looks like. */
static int check_figures(struct ctx *c, char **f, size_t line,
                         const indicator_t *ind, value_t *v)
{
    char msg[UPDATE_MSG_LEN];

    if (ind == NULL) {
        int64_t ignored = 0;
        (void)amount(c, f, COL_VALUE, line, &ignored);
        (void)amount(c, f, COL_NUMERATOR, line, &ignored);
        (void)amount(c, f, COL_DENOMINATOR, line, &ignored);
        return ERR_INVAL;
    }
    int rc = ind->kind == IND_COUNT ? count_columns(c, f, line, ind, v)
                                    : ratio_columns(c, f, line, ind, v);
    if (rc != ERR_OK) {
        return rc;
    }
    enum update_reason r = update_check_value(ind, v, msg);
    if (r != UPDATE_OK) {
        rule_error(c, line, r, v, msg);
        return ERR_INVAL;
    }
    return ERR_OK;
}

/* The period column: a month, not later than the current one. */
static int check_period(struct ctx *c, const char *s, size_t line,
                        uint32_t *yyyymm)
{
    char why[ERR_LEN];
    char msg[UPDATE_MSG_LEN];
    int32_t month = 0;

    if (s[0] == '\0') {
        row_error(c, line, "period", "empty");
        return ERR_INVAL;
    }
    if (update_parse_month(s, &month, why, sizeof why) != ERR_OK) {
        row_error(c, line, "period", "%s", why);
        return ERR_INVAL;
    }
    enum update_reason r = update_check_month(c->o, month, msg);
    if (r != UPDATE_OK) {
        rule_error(c, line, r, NULL, msg);
        return ERR_INVAL;
    }
    *yyyymm = month_to_yyyymm(month);
    return ERR_OK;
}

/* Validate one data row and append it when it is good. */
static void check_row(struct ctx *c, char **f, size_t nf, size_t line)
{
    const catalog_t *cat = c->o->cat;
    const indicator_t *ind = NULL;
    char msg[UPDATE_MSG_LEN];
    csvin_row_t r;
    int bad = 0;
    int i = -1;

    memset(&r, 0, sizeof r);
    r.line = line;
    if (nf != c->n_cols) {
        row_error(c, line, NULL, "row has %zu fields, header has %zu", nf,
                  c->n_cols);
        return;
    }

    const char *s = field(c, f, COL_INDICATOR);
    if (s[0] == '\0') {
        row_error(c, line, "indicator", "empty");
        bad = 1;
    } else if (update_check_indicator(cat, s, 1, &i, msg) != UPDATE_OK) {
        rule_error(c, line, UPDATE_UNKNOWN_INDICATOR, NULL, msg);
        bad = 1;
    } else {
        ind = catalog_indicator(cat, (size_t)i);
        r.indicator = i;
        r.update.indicator = ind->code;
    }
    if (check_period(c, field(c, f, COL_PERIOD), line, &r.update.yyyymm) !=
        ERR_OK) {
        bad = 1;
    }
    if (check_region(c, field(c, f, COL_REGION), line, &r.update.region) !=
        ERR_OK) {
        bad = 1;
    }
    if (check_figures(c, f, line, ind, &r.update.value) != ERR_OK) {
        bad = 1;
    }
    if (bad || c->n_errors > 0) {
        return; /* no row will be handed out: skip the copy */
    }
    if (c->n_rows == c->cap_rows) {
        c->cap_rows = c->cap_rows ? c->cap_rows * 2 : 64;
        c->rows = xreallocarray(c->rows, c->cap_rows, sizeof *c->rows);
    }
    c->rows[c->n_rows] = r;
    c->n_rows++;
}

/* --- entry points ----------------------------------------------------- */

/* Hand the error list over as a NUL-terminated string. */
static char *take_errors(struct ctx *c)
{
    char tail[64];
    char *s = NULL;

    if (c->n_errors > CSVIN_MAX_ERRORS) {
        size_t more = c->n_errors - CSVIN_MAX_ERRORS;
        snprintf(tail, sizeof tail, ": %zu more error%s", more,
                 more == 1 ? "" : "s");
        buf_put(&c->errs, "\n", 1);
        buf_put(&c->errs, c->name, strlen(c->name));
        buf_put(&c->errs, tail, strlen(tail));
    }
    buf_put(&c->errs, "", 1);
    s = (char *)c->errs.data;
    buf_init(&c->errs);
    return s;
}

/* The text of @p data as UTF-8: the bytes themselves (after a BOM, which
 * csv.c skips), or their conversion from GB18030 into *conv (caller
 * frees). A problem is reported in @p c. @return ERR_OK or ERR_INVAL. */
static int decode(struct ctx *c, const char *data, size_t len,
                  const char **text, size_t *text_len, char **conv)
{
    size_t skip = 0;
    size_t bad_at = 0;

    *text = data;
    *text_len = len;
    *conv = NULL;
    if (len > CSV_MAX_FILE) {
        row_error(c, 0, NULL, "file larger than %zu bytes", CSV_MAX_FILE);
        return ERR_INVAL;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        skip = 3;
    }
    if (len == 0 || valid_utf8((const unsigned char *)data + skip,
                               len - skip)) {
        return ERR_OK;
    }
    /* A UTF-8 BOM means nothing in GB18030: leave it out. */
    if (gb18030_to_utf8(data + skip, len - skip, conv, text_len, &bad_at) ==
        ERR_OK) {
        *text = *conv;
        return ERR_OK;
    }
    if (bad_at == SIZE_MAX) {
        row_error(c, 0, NULL,
                  "not UTF-8, and iconv has no GB18030 converter");
    } else {
        row_error(c, 0, NULL,
                  "not UTF-8 and not GBK/GB18030 text (byte offset %zu)",
                  bad_at + skip);
    }
    return ERR_INVAL;
}

/* The header and every data row of @p rd, checked into @p c. */
static void read_rows(struct ctx *c, csv_reader_t *rd)
{
    char err[ERR_LEN];
    char **f = NULL;
    size_t nf = 0;
    size_t line = 0;
    size_t n_data = 0;
    int got = csv_next(rd, &nf, &f, &line, err);

    if (got < 0) {
        add_msg(c, err);
        return;
    }
    if (got == 0) {
        row_error(c, 0, NULL, "empty file (no header row)");
        return;
    }
    if (map_header(c, f, nf, line) != ERR_OK) {
        return;
    }
    for (;;) {
        got = csv_next(rd, &nf, &f, &line, err);
        if (got == 0) {
            break;
        }
        if (got < 0) {
            add_msg(c, err);
            break;
        }
        n_data++;
        if (n_data > CSVIN_MAX_ROWS) {
            row_error(c, line, NULL, "more than %d data rows",
                      CSVIN_MAX_ROWS);
            break;
        }
        check_row(c, f, nf, line);
    }
    if (c->n_errors == 0 && n_data == 0) {
        row_error(c, 0, NULL, "no data rows");
    }
}

int csvin_parse(const char *name, const char *data, size_t len,
                const update_scope_t *o, csvin_row_t **rows, size_t *n,
                char **errors)
{
    int rc = ERR_OK;
    struct ctx c;
    csv_reader_t *rd = NULL;
    char *conv = NULL;
    const char *text = NULL;
    size_t text_len = 0;

    assert(name != NULL);
    assert(data != NULL || len == 0);
    assert(o != NULL && o->cat != NULL);
    assert(o->home >= 0 &&
           (size_t)o->home < catalog_region_count(o->cat));
    assert(rows != NULL && n != NULL && errors != NULL);
    memset(&c, 0, sizeof c);
    c.name = name;
    c.o = o;
    buf_init(&c.errs);
    *rows = NULL;
    *n = 0;
    *errors = NULL;

    if (decode(&c, data, len, &text, &text_len, &conv) == ERR_OK) {
        rc = csv_open_mem(&rd, name, text, text_len);
        assert(rc == ERR_OK);
        read_rows(&c, rd);
    }
    if (c.n_errors > 0) {
        rc = ERR_INVAL;
        *errors = take_errors(&c);
    } else {
        *rows = c.rows;
        *n = c.n_rows;
        c.rows = NULL;
    }
    free(c.rows);
    buf_fini(&c.errs);
    csv_destroy(&rd);
    free(conv);
    return rc;
}

int csvin_read_file(const char *path, const update_scope_t *o,
                    csvin_row_t **rows, size_t *n, char **errors)
{
    int rc = ERR_OK;
    char *data = NULL;
    size_t len = 0;
    char err[ERR_LEN];

    assert(path != NULL);
    assert(rows != NULL && n != NULL && errors != NULL);
    *rows = NULL;
    *n = 0;
    *errors = NULL;
    /* A file past the limit is ERR_INVAL, refused data like a bad row. */
    rc = file_read(path, CSV_MAX_FILE, &data, &len, err);
    if (rc != ERR_OK) {
        *errors = xstrdup(err);
        return rc;
    }
    rc = csvin_parse(path, data, len, o, rows, n, errors);
    free(data);
    return rc;
}
