/** @file cell.h
 *  @brief One typed value of an answer, and how it reads in each output
 *         form: for people (a table cell), in CSV and in JSON.
 *
 *  Commands turn what the collector answered into cells; admin/render
 *  lays rows of them out. The type decides how a value reads; for
 *  people / in CSV / in JSON:
 *
 *  - ABSENT:    "" / "" / the key is left out
 *  - NONE:      a placeholder ("-") / "" / null
 *  - TEXT:      the text / the text / a string
 *  - INT:       1,234 / 1234 / 1234 (persons, counts)
 *  - ID:        1234 / 1234 / 1234 (row and sequence numbers)
 *  - REAL:      %g / %.10g / %.10g
 *  - BOOL:      yes / true / true
 *  - FIGURE:    1,234 or 82.17% (91 / 110) / 1234 or 0.8272727273 / the
 *               same, or nested: 1234 or {"numerator": 91, ...}
 *  - PLAN:      4,355 or 〔500〕 or 548.46 (the plan's display unit) /
 *               43550000 or 0.055 (raw) / the same
 *  - SHARE:     109.7% / 1.0969226 / 1.0969226
 *  - OF:        101/102 / two fields 101,102 / two keys
 *  - TIME:      2025-11-25 00:00:00 / the same / unix seconds
 *  - REGION:    西湖区 330106 / two fields 330106,西湖区 / "330106"
 *  - INDICATOR: its Chinese name / two fields code,name / its code
 *  - LIST:      a, b (or a placeholder) / a b / ["a", "b"]
 *
 *  So CSV and JSON always carry raw units (whole persons, fractions, no
 *  separators, no 〔〕, codes apart from names) and tables the plan's
 *  units. Times are shown at the display offset (admin/zone).
 *
 *  Owns nothing. A cell made by a cell_*() constructor borrows its
 *  strings: they must stay valid until the cell is copied
 *  (render_add_row() copies). A cell_dup() copy owns its strings until
 *  cell_fini(); the text cell_show() and cell_csv() return is the
 *  caller's.
 *
 *  INVARIANTS
 *    1. cell_csv() fills exactly cell_fields(col) strings, whatever the
 *       cell (a NONE or ABSENT cell in a two-field column gives two).
 *    2. No output for scripts holds a thousands separator, a 〔〕 or a
 *       percent sign that the value itself did not contain.
 *    3. A cell_dup() copy shares no memory with its original.
 */
#ifndef HRSS_CELL_H
#define HRSS_CELL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/catalog.h"

enum cell_type {
    CELL_ABSENT,
    CELL_NONE,
    CELL_TEXT,
    CELL_INT,
    CELL_ID,
    CELL_REAL,
    CELL_BOOL,
    CELL_FIGURE,
    CELL_PLAN,
    CELL_SHARE,
    CELL_OF,
    CELL_TIME,
    CELL_REGION,
    CELL_INDICATOR,
    CELL_LIST,
};

/** The most CSV fields one cell takes (CELL_OF, CELL_REGION,
 *  CELL_INDICATOR). */
#define CELL_MAX_FIELDS 2

/** A count, or a ratio num / den. */
struct cell_figure {
    int is_ratio;
    int64_t num;
    int64_t den;    /**< ratios only; <= 0 means no value */
};

/** A value of the plan in its display unit. */
struct cell_plan {
    double shown;   /**< in the display unit */
    int decimals;   /**< for people: < 0 prints %g, else rounded */
    int bracket;    /**< for people: in 〔〕 (a cumulative target) */
    double raw;     /**< persons or a fraction */
    int is_ratio;   /**< raw is a fraction; else whole persons */
};

struct cell_of {
    uint64_t n;
    uint64_t m;
};

/** A code with its name (the name may be NULL). */
struct cell_coded {
    const char *code;
    const char *name;
};

struct cell_list {
    const char *const *items;
    size_t n;
    const char *shown;  /**< for people instead of the items, or NULL */
};

/** One value. Plain value struct; see the file comment for ownership. */
typedef struct cell {
    enum cell_type type;
    union {
        const char *text;       /**< CELL_TEXT; CELL_NONE's placeholder */
        int64_t i;              /**< CELL_INT, CELL_TIME */
        uint64_t id;            /**< CELL_ID */
        double real;            /**< CELL_REAL, CELL_SHARE */
        int flag;               /**< CELL_BOOL */
        struct cell_figure fig; /**< CELL_FIGURE */
        struct cell_plan plan;  /**< CELL_PLAN */
        struct cell_of of;      /**< CELL_OF */
        struct cell_coded coded; /**< CELL_REGION, CELL_INDICATOR */
        struct cell_list list;  /**< CELL_LIST */
    } v;
} cell_t;

cell_t cell_absent(void);
/** No value; people see @p shown ("-", or "" when NULL). */
cell_t cell_none(const char *shown);
/** Text; NULL reads as "". */
cell_t cell_text(const char *s);
/** A whole number of persons or things. */
cell_t cell_int(int64_t v);
/** A number that names something: a row number, a sequence number. */
cell_t cell_id(uint64_t v);
/** A real number for scripts (a pace, a scale). */
cell_t cell_real(double v);
cell_t cell_bool(int v);
/** A count (@p is_ratio 0: @p num) or a ratio @p num / @p den. */
cell_t cell_figure(int is_ratio, int64_t num, int64_t den);
/** A baseline or target as the plan writes it, @p shown in @p ind's
 *  display unit: %g when @p decimals < 0, else rounded to @p decimals;
 *  in 〔〕 when @p bracket. Scripts get units_raw(). */
cell_t cell_plan(const indicator_t *ind, double shown, int decimals,
                 int bracket);
/** A measured @p raw value, shown in @p ind's display unit with
 *  units_decimals() decimals. */
cell_t cell_measure(const indicator_t *ind, double raw);
/** A fraction shown as a percentage with one decimal; non-finite: "-" for
 *  people, nothing for scripts. */
cell_t cell_share(double fraction);
/** @p n of @p m. */
cell_t cell_of(uint64_t n, uint64_t m);
/** Unix seconds. */
cell_t cell_time(int64_t t);
/** A region: "name code" for people. */
cell_t cell_region(const char *code, const char *name);
/** An indicator: its name for people (its code when @p name is NULL). */
cell_t cell_indicator(const char *code, const char *name);
/** @p n codes; people see @p shown instead when it is not NULL. */
cell_t cell_list(const char *const *items, size_t n, const char *shown);

/** CSV fields a column of type @p t takes (1 or CELL_MAX_FIELDS). */
size_t cell_fields(enum cell_type t);

/** Deep copy: the copy owns its strings. Caller owns the copy and must
 *  cell_fini() it. */
cell_t cell_dup(const cell_t *c);
/** Free what a cell_dup() copy owns; the cell becomes CELL_ABSENT. Only
 *  for copies made by cell_dup(). */
void cell_fini(cell_t *c);

/** The cell for people, times at @p tz seconds east of UTC.
 *  Caller owns return value and must free() it. */
char *cell_show(const cell_t *c, long tz);

/** The raw CSV text of the cell's fields (not yet quoted) into @p out:
 *  cell_fields(@p col) strings, where @p col is the column's type (a
 *  CELL_ABSENT or CELL_NONE cell fills that many empty fields).
 *  Caller owns each out[i] and must free() it. */
void cell_csv(const cell_t *c, enum cell_type col, long tz,
              char *out[CELL_MAX_FIELDS]);

/** Write the cell's JSON member(s) to @p f: "key": value, and for
 *  CELL_OF also , "key2": m. A CELL_FIGURE ratio is its fraction (null
 *  without a denominator), or with @p nest {"numerator": n,
 *  "denominator": d}. Writes nothing for CELL_ABSENT. */
void cell_put_json(const cell_t *c, const char *key, const char *key2,
                   int nest, FILE *f);

#endif
