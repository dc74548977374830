/* csvin.c: read an office's CSV of monthly figures into validated rows.
 *
 * Pipeline, all in csvin_parse_ex():
 *
 *   bytes --csvin_decode_text()--> UTF-8 text --csv.c--> rows
 *   --find_header() (first CSVIN_HEADER_SEARCH rows)--> column map
 *   --check_row() per data row--> rows[] --csvin_rules_check()-->
 *   rows[] or the error list; warnings and notes beside either
 *
 * Encoding is csvin_decode.c's: UTF-8, UTF-16 with a BOM, GB18030, or a
 * plain word for what else the file is (an Excel workbook ...).
 *
 * Validation is all or nothing: every row is checked, every bad field is
 * reported as "NAME:LINE: FIELD: reason" (FIELD being the canonical column
 * name, LINE the CSV line where the row starts), and rows are handed out
 * only when there was no error. Header problems stop the parse after the
 * header, since the columns of the data rows are then unknown. Every
 * field is folded (full-width forms to ASCII, common/text) and trimmed of
 * ASCII spaces and tabs after CSV unquoting, so "其中：", "（含…）" and
 * "２０２５年１０月" read as their ASCII forms.
 *
 * Offices' files carry more than the figures: a title row or two above
 * the header (the header is the first of the first CSVIN_HEADER_SEARCH
 * rows to name both indicator and period; with none, the first row is
 * taken and its problems listed), Excel's blank rows (",,,,,": skipped
 * wherever they are, as are extra blank fields at a row's end), columns
 * of their own (备注: ignored, named in a note, as long as the header has
 * what it needs; unnamed columns silently). Months come as YYYY年MM月[份]
 * and YYYY.MM too (csvin_fields.c); YYYY.1 is refused as ambiguous, since
 * Excel writes 2025.10 as 2025.1. A region may be given by its catalog
 * name: one exact match, or one among those at or below the agent's
 * region; several are refused, listed.
 *
 * A file may carry value, numerator and denominator all three: a count
 * indicator's row then needs value and must leave numerator/denominator
 * empty, a ratio indicator's row the reverse, so that no figure in the
 * file is silently ignored.
 *
 * Fields are parsed and checked by the domain layer (common/update), the
 * same rules the collector applies: this module owns only what is
 * particular to a file (encoding, columns, which columns a row fills), the
 * plan-period rule (a month before the catalog's plan is refused unless
 * opts->allow_before_plan), and the rules about rows together
 * (csvin_rules.c).
 *
 * INVARIANTS
 *   1. On ERR_OK, *errors == NULL and every returned row passes
 *      update_check() against the scope (with seq 0).
 *   2. On failure *rows == NULL, *n == 0 and *errors is a non-empty,
 *      NUL-terminated list of at most CSVIN_MAX_ERRORS + 1 lines.
 *   3. Messages never contain a control byte from the input (those are
 *      shown as '?' by update_quote()), so the lists split cleanly at
 *      '\n'; every quoted field goes through update_quote().
 *   4. n_rows <= CSVIN_MAX_ROWS.
 *   5. Folding only shortens a field, in place in the reader's buffer.
 */
#include "agent/csvin.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/csvin_decode.h"
#include "agent/csvin_fields.h"
#include "agent/csvin_rules.h"
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
    {"地区代码", COL_REGION},         {"地区名称", COL_REGION},
    {"指标名称", COL_INDICATOR},      {"指标代码", COL_INDICATOR},
    {"年月", COL_PERIOD},
};

/* State of one parse. */
struct ctx {
    const char *name;
    const update_scope_t *o;
    csvin_opts_t opts;
    buf_t errs;         /* lines joined by '\n', no NUL yet */
    size_t n_errors;    /* all errors, listed or not */
    buf_t warns;        /* warnings and notes, as errs */
    size_t n_warnings;
    int col[COL_COUNT]; /* field index of each column, -1 if absent */
    size_t n_cols;      /* fields in the header */
    csvin_row_t *rows;
    size_t n_rows;
    size_t cap_rows;
};

/* --- messages --------------------------------------------------------- */

/* Append one line (without its trailing newline) to @p list. */
static void add_line(buf_t *list, size_t *count, const char *msg)
{
    (*count)++;
    if (*count > CSVIN_MAX_ERRORS) {
        return;
    }
    if (list->len > 0) {
        buf_put(list, "\n", 1);
    }
    buf_put(list, msg, strlen(msg));
}

static void add_msg(struct ctx *c, const char *msg)
{
    add_line(&c->errs, &c->n_errors, msg);
}

/* What a message line is. */
enum msg_kind { MSG_ERROR, MSG_WARNING, MSG_NOTE };

/* "NAME:LINE: [warning: |note: ]FIELD: reason"; @p field NULL leaves out
 * "FIELD: ", @p line 0 leaves out "LINE:". */
__attribute__((format(printf, 5, 0))) static void
vreport(struct ctx *c, enum msg_kind kind, size_t line, const char *field,
        const char *fmt, va_list ap)
{
    static const char *const label[] = {"", "warning: ", "note: "};
    char why[ERR_LEN];
    char where[64] = "";
    buf_t msg;

    vsnprintf(why, sizeof why, fmt, ap);
    if (line > 0) {
        snprintf(where, sizeof where, ":%zu", line);
    }
    buf_init(&msg);
    buf_put(&msg, c->name, strlen(c->name));
    buf_put(&msg, where, strlen(where));
    buf_put(&msg, ": ", 2);
    buf_put(&msg, label[kind], strlen(label[kind]));
    if (field != NULL) {
        buf_put(&msg, field, strlen(field));
        buf_put(&msg, ": ", 2);
    }
    buf_put_str(&msg, why);
    if (kind == MSG_ERROR) {
        add_msg(c, (const char *)msg.data);
    } else {
        add_line(&c->warns, &c->n_warnings, (const char *)msg.data);
    }
    buf_fini(&msg);
}

__attribute__((format(printf, 4, 5))) static void
row_error(struct ctx *c, size_t line, const char *field, const char *fmt,
          ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, MSG_ERROR, line, field, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 5, 6))) static void
row_note(struct ctx *c, enum msg_kind kind, size_t line, const char *field,
         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, kind, line, field, fmt, ap);
    va_end(ap);
}

/* --- header ----------------------------------------------------------- */

/* Fold and trim every field of a row in place (INVARIANT 5). */
static void clean_fields(char **f, size_t nf)
{
    for (size_t j = 0; j < nf; j++) {
        size_t len = text_fold_width(f[j]);
        f[j] = text_trim_len(f[j], len);
    }
}

/* The column a header name stands for, or -1. */
static int col_of(const char *h)
{
    for (size_t a = 0; a < sizeof col_alias / sizeof col_alias[0]; a++) {
        if (strcasecmp(h, col_alias[a].name) == 0) {
            return (int)col_alias[a].col;
        }
    }
    return -1;
}

/* Whether a (cleaned) row names both the indicator and the period
 * columns: the header, rather than a title above it. */
static int is_header(char **f, size_t nf)
{
    int seen = 0;
    for (size_t j = 0; j < nf; j++) {
        int k = col_of(f[j]);
        seen |= k == COL_INDICATOR ? 1 : k == COL_PERIOD ? 2 : 0;
    }
    return seen == 3;
}

/* The columns the header lacks; each reported. @return ERR_INVAL if any. */
static int missing_columns(struct ctx *c, size_t line)
{
    int rc = ERR_OK;
    const int *col = c->col;
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

/* Map the (cleaned) header row; on any problem report all of them, in
 * header order, and fail. Columns of other names are ignored with a note
 * when the header has all it needs, and are errors otherwise (one is
 * likely a misspelt column); unnamed ones are ignored. */
static int map_header(struct ctx *c, char **f, size_t nf, size_t line)
{
    int rc = ERR_OK;
    int first[COL_COUNT]; /* the first field of each column */

    for (size_t k = 0; k < COL_COUNT; k++) {
        first[k] = -1;
    }
    for (size_t j = nf; j-- > 0;) {
        int which = col_of(f[j]);
        if (which >= 0) {
            first[which] = (int)j;
        }
    }
    int complete = first[COL_INDICATOR] >= 0 && first[COL_PERIOD] >= 0 &&
                   (first[COL_NUMERATOR] >= 0) ==
                       (first[COL_DENOMINATOR] >= 0) &&
                   (first[COL_VALUE] >= 0 || first[COL_NUMERATOR] >= 0);
    for (size_t k = 0; k < COL_COUNT; k++) {
        c->col[k] = -1;
    }
    c->n_cols = nf;
    for (size_t j = 0; j < nf; j++) {
        const char *h = f[j];
        char q[UPDATE_QUOTE_LEN];
        int which = col_of(h);
        update_quote(q, sizeof q, h);
        if (which < 0 && h[0] == '\0') {
            continue;
        }
        if (which < 0 && complete) {
            row_note(c, MSG_NOTE, line, "header",
                     "column '%s' ignored (not one of indicator, period, "
                     "value, numerator, denominator, region)",
                     q);
            continue;
        }
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
    if (missing_columns(c, line) != ERR_OK) {
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
        /* 246.88 in a count: a figure in 万人, as the plan prints them. */
        int in_wan = k == COL_VALUE && strchr(s, '.') != NULL &&
                     strstr(why, "not a whole number") != NULL;
        row_error(c, line, col_name[k], "%s%s", why,
                  in_wan ? ": counts are whole persons, not 万人" : "");
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

/* The region column: empty means the agent's own region; digits are a
 * code, anything else a name. */
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
    if (strspn(s, "0123456789") != strlen(s)) {
        if (csvin_fields_region(c->o, s, code, why) != ERR_OK) {
            row_error(c, line, "region", "%s", why);
            return ERR_INVAL;
        }
    } else if (update_parse_region(s, code, why, sizeof why) != ERR_OK) {
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

/* The period column: a month, not later than the current one, and not
 * before the plan's first unless allowed. */
static int check_period(struct ctx *c, const char *s, size_t line,
                        uint32_t *yyyymm)
{
    char why[ERR_LEN];
    char msg[UPDATE_MSG_LEN];
    char q[UPDATE_QUOTE_LEN];
    int32_t month = 0;
    uint32_t ym = 0;

    if (s[0] == '\0') {
        row_error(c, line, "period", "empty");
        return ERR_INVAL;
    }
    update_quote(q, sizeof q, s);
    int form = csvin_fields_month(s, &ym);
    if (form < 0) {
        row_error(c, line, "period",
                  "'%s' is ambiguous: Excel writes 2025.10 as 2025.1; "
                  "write 2025-01 or 2025-10",
                  q);
        return ERR_INVAL;
    }
    if (form > 0 && !month_from_yyyymm(ym, &month)) {
        row_error(c, line, "period", "'%s': month must be 1..12", q);
        return ERR_INVAL;
    }
    if (form == 0 &&
        update_parse_month(s, &month, why, sizeof why) != ERR_OK) {
        row_error(c, line, "period", "%s", why);
        return ERR_INVAL;
    }
    enum update_reason r = update_check_month(c->o, month, msg);
    if (r != UPDATE_OK) {
        rule_error(c, line, r, NULL, msg);
        return ERR_INVAL;
    }
    if (!c->opts.allow_before_plan &&
        csvin_fields_before_plan(c->o->cat, month, why)) {
        row_error(c, line, "period", "%s", why);
        return ERR_INVAL;
    }
    *yyyymm = month_to_yyyymm(month);
    return ERR_OK;
}

/* Whether every field of a row is empty (after cleaning): Excel's
 * ",,,,," below (or between) the figures. */
static int blank_row(char **f, size_t nf)
{
    for (size_t j = 0; j < nf; j++) {
        if (f[j][0] != '\0') {
            return 0;
        }
    }
    return 1;
}

/* Validate one data row and append it when it is good. Good rows are
 * kept after an error too, so that the rules about rows together
 * (csvin_rules) can list their findings beside the others. */
static void check_row(struct ctx *c, char **f, size_t nf, size_t line)
{
    const catalog_t *cat = c->o->cat;
    const indicator_t *ind = NULL;
    char why[ERR_LEN];
    csvin_row_t r;
    int bad = 0;
    int i = -1;

    memset(&r, 0, sizeof r);
    r.line = line;
    /* Extra fields past the header's are fine when blank (Excel pads
     * rows to the widest one). */
    if (nf < c->n_cols ||
        (nf > c->n_cols && !blank_row(f + c->n_cols, nf - c->n_cols))) {
        row_error(c, line, NULL, "row has %zu fields, header has %zu", nf,
                  c->n_cols);
        return;
    }

    const char *s = field(c, f, COL_INDICATOR);
    if (s[0] == '\0') {
        row_error(c, line, "indicator", "empty");
        bad = 1;
    } else if ((i = csvin_fields_indicator(cat, s, why)) < 0) {
        row_error(c, line, "indicator", "%s", why);
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
    int region_ok = check_region(c, field(c, f, COL_REGION), line,
                                 &r.update.region) == ERR_OK;
    if (!region_ok) {
        bad = 1;
    }
    int32_t month = 0;
    if (region_ok && r.update.yyyymm != 0 &&
        month_from_yyyymm(r.update.yyyymm, &month)) {
        /* The region must exist in the row's month: the collector's
         * update_check() would refuse it as region_not_valid. */
        char msg[UPDATE_MSG_LEN];
        int ri = catalog_region_find(cat, r.update.region);
        enum update_reason vr =
            ri < 0 ? UPDATE_OK : update_check_valid(cat, ri, month, msg);
        if (vr != UPDATE_OK) {
            rule_error(c, line, vr, NULL, msg);
            bad = 1;
        }
    }
    if (check_figures(c, f, line, ind, &r.update.value) != ERR_OK) {
        bad = 1;
    }
    if (bad) {
        return;
    }
    if (c->n_rows == c->cap_rows) {
        c->cap_rows = c->cap_rows ? c->cap_rows * 2 : 64;
        c->rows = xreallocarray(c->rows, c->cap_rows, sizeof *c->rows);
    }
    c->rows[c->n_rows] = r;
    c->n_rows++;
}

/* --- entry points ----------------------------------------------------- */

/* Hand a message list over as a NUL-terminated string, with a last line
 * counting those not listed. */
static char *take_list(const char *name, buf_t *list, size_t count,
                       const char *what)
{
    char tail[64];
    char *s = NULL;

    if (count > CSVIN_MAX_ERRORS) {
        size_t more = count - CSVIN_MAX_ERRORS;
        snprintf(tail, sizeof tail, ": %zu more %s%s", more, what,
                 more == 1 ? "" : "s");
        buf_put(list, "\n", 1);
        buf_put(list, name, strlen(name));
        buf_put(list, tail, strlen(tail));
    }
    buf_put(list, "", 1);
    s = (char *)list->data;
    buf_init(list);
    return s;
}

/* csvin_rules' findings, as this file's errors and warnings. */
static void rule_found(void *arg, int is_error, size_t line,
                       const char *field, const char *msg)
{
    struct ctx *c = arg;
    if (is_error) {
        row_error(c, line, field, "%s", msg);
    } else {
        row_note(c, MSG_WARNING, line, field, "%s", msg);
    }
}

/* The header: the first of the first CSVIN_HEADER_SEARCH rows that names
 * both indicator and period, the rows above it being titles; when none
 * does, the first row, whose problems are then listed. The data rows
 * after it go to check_row(). */
static void read_rows(struct ctx *c, csv_reader_t *rd)
{
    char err[ERR_LEN];
    char **f = NULL;
    char *first[CSV_MAX_FIELDS]; /* the first row's fields (csv.h: the
                                    text stays, the array does not) */
    size_t first_nf = 0;
    size_t first_line = 0;
    size_t nf = 0;
    size_t line = 0;
    size_t n_data = 0;
    size_t seen = 0;
    int got = 0;

    for (;;) {
        got = csv_next(rd, &nf, &f, &line, err);
        if (got <= 0) {
            break;
        }
        clean_fields(f, nf);
        if (blank_row(f, nf)) {
            continue;
        }
        if (seen == 0) {
            memcpy(first, f, nf * sizeof *f);
            first_nf = nf;
            first_line = line;
        }
        seen++;
        if (is_header(f, nf) || seen == CSVIN_HEADER_SEARCH) {
            break;
        }
    }
    if (got < 0) {
        add_msg(c, err);
        return;
    }
    if (seen == 0) {
        row_error(c, 0, NULL, "empty file (no header row)");
        return;
    }
    if (got == 0 || !is_header(f, nf)) {
        /* No header among them: the first row's problems say why. */
        (void)map_header(c, first, first_nf, first_line);
        if (c->n_errors == 0) {
            row_error(c, 0, NULL, "no data rows");
        }
        return;
    }
    if (seen > 1) {
        row_note(c, MSG_NOTE, first_line, NULL,
                 "%zu row%s above the header (line %zu) skipped as a title",
                 seen - 1, seen == 2 ? "" : "s", line);
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
        clean_fields(f, nf);
        if (blank_row(f, nf)) {
            continue;
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
    if (n_data <= CSVIN_MAX_ROWS) {
        csvin_rules_check(c->o->cat, c->rows, c->n_rows, rule_found, c);
    }
}

int csvin_parse_ex(const char *name, const char *data, size_t len,
                   const update_scope_t *o, const csvin_opts_t *opts,
                   csvin_row_t **rows, size_t *n, char **errors,
                   char **warnings)
{
    int rc = ERR_OK;
    struct ctx c;
    csv_reader_t *rd = NULL;
    char *conv = NULL;
    const char *text = NULL;
    size_t text_len = 0;
    char why[ERR_LEN];

    assert(name != NULL);
    assert(data != NULL || len == 0);
    assert(o != NULL && o->cat != NULL);
    assert(o->home >= 0 &&
           (size_t)o->home < catalog_region_count(o->cat));
    assert(rows != NULL && n != NULL && errors != NULL);
    memset(&c, 0, sizeof c);
    c.name = name;
    c.o = o;
    if (opts != NULL) {
        c.opts = *opts;
    }
    buf_init(&c.errs);
    buf_init(&c.warns);
    *rows = NULL;
    *n = 0;
    *errors = NULL;
    if (warnings != NULL) {
        *warnings = NULL;
    }

    if (len > CSV_MAX_FILE) {
        row_error(&c, 0, NULL, "file larger than %zu bytes", CSV_MAX_FILE);
    } else if (csvin_decode_text(data, len, &conv, &text, &text_len, why) !=
               ERR_OK) {
        row_error(&c, 0, NULL, "%s", why);
    } else {
        rc = csv_open_mem(&rd, name, text, text_len);
        assert(rc == ERR_OK);
        read_rows(&c, rd);
    }
    if (c.n_errors > 0) {
        rc = ERR_INVAL;
        *errors = take_list(name, &c.errs, c.n_errors, "error");
    } else {
        *rows = c.rows;
        *n = c.n_rows;
        c.rows = NULL;
    }
    if (warnings != NULL && c.n_warnings > 0) {
        *warnings = take_list(name, &c.warns, c.n_warnings, "warning");
    }
    free(c.rows);
    buf_fini(&c.errs);
    buf_fini(&c.warns);
    csv_destroy(&rd);
    free(conv);
    return rc;
}

int csvin_parse(const char *name, const char *data, size_t len,
                const update_scope_t *o, csvin_row_t **rows, size_t *n,
                char **errors)
{
    return csvin_parse_ex(name, data, len, o, NULL, rows, n, errors, NULL);
}

int csvin_read_file_ex(const char *path, const update_scope_t *o,
                       const csvin_opts_t *opts, csvin_row_t **rows,
                       size_t *n, char **errors, char **warnings)
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
    if (warnings != NULL) {
        *warnings = NULL;
    }
    /* A file past the limit is ERR_INVAL, refused data like a bad row. */
    rc = file_read(path, CSV_MAX_FILE, &data, &len, err);
    if (rc != ERR_OK) {
        *errors = xstrdup(err);
        return rc;
    }
    rc = csvin_parse_ex(path, data, len, o, opts, rows, n, errors,
                        warnings);
    free(data);
    return rc;
}

int csvin_read_file(const char *path, const update_scope_t *o,
                    csvin_row_t **rows, size_t *n, char **errors)
{
    return csvin_read_file_ex(path, o, NULL, rows, n, errors, NULL);
}
