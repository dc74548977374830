/** @file catalog_int.h
 *  @brief Internals of the catalog module, shared by its source files.
 *
 *  Not for other modules: include common/catalog.h. The catalog is one
 *  module in four files, split for size:
 *
 *    catalog.c       the object: lifecycle, the load entry points,
 *                    lookups and fingerprints
 *    catalog_load.c  what every catalog file shares ("FILE:LINE: reason"
 *                    messages, years and region codes, the header and row
 *                    reader), and plan.csv
 *    catalog_ind.c   indicators.csv
 *    catalog_reg.c   regions.csv
 *    catalog_tgt.c   targets.csv, and the root's targets from
 *                    indicators.csv where targets.csv has none
 *    catalog_chg.c   region-changes.csv, and the regions' validity
 *                    (lookups, expected counts)
 *
 *  The loaders fill a catalog_t that catalog.c made and hand back to it;
 *  only catalog.c hands a catalog out, after check_invariants(). They run
 *  in the order indicators, regions, plan, targets, region changes: the
 *  indicator header
 *  gives the plan's years, which the plan file does not repeat, and a
 *  target names an indicator and a region.
 *
 *  Owns: struct catalog owns everything it points to: the files' bytes
 *  (src), their parsed copies (text: each file's bytes parsed in place,
 *  fields unquoted, NUL-terminated and trimmed where they lie, which every
 *  string of indicator_t, region_t and catalog_plan_t points into), the
 *  row and child arrays, the three maps and the region index; part_code
 *  lives only while loading. A catalog_table_t owns its CSV reader and
 *  borrows its path and the catalog's text buffer, in which the fields it
 *  hands out lie: they stay valid as long as the catalog.
 *
 *  INVARIANTS
 *    1. ind, ind_line and part_code grow together and have n_ind entries,
 *       in file order; reg, reg_line and parent_code likewise have n_reg.
 *       by_code, by_name and region_slot index exactly the rows added
 *       so far; by_short holds -2 for a stripped name several rows share.
 *    2. root is -1 until the region row with an empty parent_code is
 *       read; a second such row is refused.
 *    3. After catalog_load_indicators() succeeds: plan.first_year ==
 *       baseline_year + 1 <= last_year == target_year, and every part_of
 *       is -1 or another count row with the same over_time, with no cycle.
 *    4. After catalog_load_regions() succeeds: every region but the root
 *       has a parent, children lists are in file order, depths and
 *       subtree sizes are filled in (subtree_size(root) == n_reg), and
 *       the fingerprint is set.
 *    5. After catalog_table_init() succeeds, col[k] is a distinct CSV
 *       position for every spec column k < ncols (or -1: an optional
 *       column, spec name ending in '?', that the file lacks) and the
 *       header has nfields fields; catalog_table_next() hands out only
 *       rows with exactly nfields fields; catalog_table_fini() is safe after any
 *       catalog_table_init(), failed or not.
 *    6. A loader that fails leaves the catalog for catalog.c to destroy.
 *    7. After catalog_load_targets() succeeds, tgt is sorted by
 *       (indicator, region, year), by_target maps each key to its index,
 *       and every indicator has its root target at the target year.
 */
#ifndef HRSS_CATALOG_INT_H
#define HRSS_CATALOG_INT_H
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/csv.h"
#include "common/err.h"
#include "common/hmap.h"

struct catalog {
    uint32_t magic;
    indicator_t *ind;
    size_t n_ind;
    size_t cap_ind;
    size_t *ind_line;        /* CSV line of each indicator row */
    const char **part_code;  /* part_of text of each row, until resolved */
    catalog_plan_t plan;     /* years from the indicator header, titles
                                from the plan file */

    region_t *reg;
    size_t n_reg;
    size_t cap_reg;
    size_t *reg_line;        /* CSV line of each region row */
    uint32_t *parent_code;   /* 0 for the root */
    int *child_store;        /* all children arrays, back to back */
    int root;
    uint64_t fingerprint;

    char *src[CATALOG_NFILES]; /* the files' bytes, by enum catalog_file */
    size_t src_len[CATALOG_NFILES];
    char *text[CATALOG_NFILES]; /* src parsed in place: the strings' home
                                   (src_len + 1 bytes each) */

    catalog_target_t *tgt;   /* sorted by indicator, region, year */
    size_t n_tgt;
    size_t cap_tgt;
    hmap_t *by_target;       /* (indicator, region, year) -> index */

    region_change_t *chg;    /* region-changes.csv rows, file order */
    size_t n_chg;
    int *chg_store;          /* successors and the regions' change lists,
                                back to back (catalog_chg.c) */
    int *bounded;            /* regions with a bounded validity */
    size_t n_bounded;

    hmap_t *by_code;         /* indicator code -> index */
    hmap_t *by_name;         /* name_zh -> index */
    hmap_t *by_short;        /* name_zh without a 其中: prefix -> index,
                                or -2 when several rows share it */
    int *region_slot;        /* region code -> index: 1 + an index into
                                reg, or 0 for an empty slot
                                (catalog_reg.c) */
    unsigned region_bits;    /* 2^region_bits slots; 0 before the first
                                reservation */
};

/* --- catalog.c --------------------------------------------------------- */

/** The index stored under string @p key in @p m, or -1 when absent. */
int catalog_find_str(const hmap_t *m, const char *key);


/* --- catalog_load.c ---------------------------------------------------- */

/** Most columns a catalog file has (indicators.csv has 16 and 3
 *  optional ones). */
#define CATALOG_MAX_COLS 19

/** Write "PATH:LINE: reason" into @p err (may be NULL).
 *  @return ERR_INVAL, so that callers can `return catalog_bad(...)`. */
int catalog_bad(char err[ERR_LEN], const char *path, size_t line,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** A finite decimal number ([0-9+-.eE] only: hex, inf and nan are
 *  refused). @return 1 and *out, or 0. */
int catalog_parse_number(const char *s, double *out);

/** A target_basis: cumulative_YYYY_YYYY (from <= to), level_YYYY or
 *  annual_YYYY. @return 1 and the outputs, or 0. */
int catalog_parse_basis(const char *s, enum ind_basis *basis, int *from,
                        int *to);

/** Parse exactly 4 ASCII digits forming a year in 1900..9999 (what
 *  follows them is not looked at). @return 1 and *out, or 0. */
int catalog_parse_year4(const char *s, int *out);

/** Parse a region code: 1 to 9 digits, no leading zero, so that code text
 *  and number map one to one. @return 1 and *out, or 0. */
int catalog_parse_region_code(const char *s, uint32_t *out);

/** One catalog CSV file being read: its header mapped onto a column spec,
 *  then its data rows, fields trimmed and put in spec order. Embedded
 *  struct: catalog_table_init() / catalog_table_fini(). */
typedef struct catalog_table {
    csv_reader_t *rd;
    const char *path;       /* for messages; borrowed */
    size_t ncols;           /* columns in the spec */
    size_t nfields;         /* columns in the file: ncols less the
                               optional ones it lacks */
    size_t header_line;
    char **header;          /* the header's fields, trimmed. Borrowed;
                               valid until the first catalog_table_next() */
    int col[CATALOG_MAX_COLS];  /* CSV position of spec column k; -1 for
                                   an optional one the file lacks */
    int year[CATALOG_MAX_COLS]; /* the year of a _YYYY spec column, else 0 */
} catalog_table_t;

/** Start reading file @p which of @p c, named @p path in messages: parse
 *  c->text[which] (a copy of its bytes) in place, read the header and
 *  find each of the @p ncols names of @p spec in it. A spec name ending
 *  in "_YYYY" matches its prefix followed by a four-digit year; one
 *  ending in '?' is optional (the name without it; absent, its fields
 *  read as ""). Every header column must match exactly one spec column
 *  and every spec column but the optional ones must be present.
 *  @return ERR_OK, or ERR_INVAL with "PATH:LINE: reason" in @p err (an
 *          empty file, a CSV syntax error, an unknown, duplicate or
 *          missing column, a bad year). catalog_table_fini() is needed
 *          either way. */
int catalog_table_init(catalog_table_t *t, catalog_t *c,
                       enum catalog_file which, const char *path,
                       const char *const *spec, size_t ncols,
                       char err[ERR_LEN]);

/** Read the next data row into @p v: v[k] is the trimmed field of spec
 *  column k. Borrowed: the strings lie in the catalog's text and are
 *  valid until catalog_destroy() (a loader keeps them as they are).
 *  @param[out] line  The CSV line where the row starts.
 *  @return 1 for a row, 0 at the end, ERR_INVAL for a CSV syntax error or
 *          a row whose field count differs from the header's. */
int catalog_table_next(catalog_table_t *t, char **v, size_t *line,
                       char err[ERR_LEN]);

/** Release what catalog_table_init() took. */
void catalog_table_fini(catalog_table_t *t);

/** The plan's time zone when plan.csv names none, and its deadline day. */
#define CATALOG_DEFAULT_TIME_ZONE "Asia/Shanghai"
#define CATALOG_DEFAULT_DEADLINE_DAY 10

/** A time_zone value: an IANA name of a zone with one fixed offset
 *  (Asia/Shanghai, Asia/Chongqing, Asia/Hong_Kong, Asia/Taipei,
 *  Asia/Tokyo, UTC, ...) or UTC+HH:MM / UTC-HH[:MM] (hours 0..14).
 *  @return 1 and *offset (seconds east of UTC), or 0. */
int catalog_parse_time_zone(const char *s, long *offset);

/** 1 or 2 ASCII digits forming a number in @p lo..@p hi.
 *  @return 1 and *out, or 0. */
int catalog_parse_small(const char *s, int lo, int hi, int *out);

/** Load plan.csv (titles and deadline rules) from c->src.
 *  @return ERR_OK, ERR_INVAL. */
int catalog_load_plan(catalog_t *c, const char *path, char err[ERR_LEN]);

/* --- catalog_ind.c, catalog_reg.c ---------------------------------------- */

/** Load indicators.csv from c->src: the plan's years from its header,
 *  then the rows, part_of links and short names.
 *  @return ERR_OK, ERR_INVAL. */
int catalog_load_indicators(catalog_t *c, const char *path,
                            char err[ERR_LEN]);

/** Give every indicator whose row left due_day or due_months_after
 *  empty (-1) the plan's; called once plan.csv is read. */
void catalog_fill_deadlines(catalog_t *c);

/** Load targets.csv from c->src when the catalog has one, then give
 *  every indicator without a targets.csv row for the root at the target
 *  year the target of indicators.csv; sort and index the targets.
 *  @param ind_path  indicators.csv's name, for "no target" messages.
 *  @return ERR_OK, ERR_INVAL. */
int catalog_load_targets(catalog_t *c, const char *path,
                         const char *ind_path, char err[ERR_LEN]);

/** The index of the region with code @p code, or -1 when absent. */
int catalog_find_region(const catalog_t *c, uint32_t code);

/** Load regions.csv from c->src and link the tree: parents, children,
 *  depths, subtree sizes, the fingerprint, validity (valid_from and
 *  valid_to; the bounded list). @return ERR_OK, ERR_INVAL. */
int catalog_load_regions(catalog_t *c, const char *path, char err[ERR_LEN]);

/** A YYYY-MM month of a catalog file. @return 1 and *out, or 0. */
int catalog_parse_month(const char *s, int32_t *out);

/* --- catalog_chg.c ------------------------------------------------------ */

/** Load region-changes.csv from c->src when the catalog has one, check it
 *  against the regions' validity, and give each region its list of
 *  changes. @p reg_path: regions.csv's name, for messages.
 *  @return ERR_OK, ERR_INVAL. */
int catalog_load_changes(catalog_t *c, const char *path,
                         const char *reg_path, char err[ERR_LEN]);

#endif
