/** @file catalog.h
 *  @brief The plan's indicators and the regions, loaded from CSV data files.
 *
 *  Catalogs are data, not code: another plan's files load without a
 *  recompile. The indicator file has the columns of the plan's table (see
 *  catalog/indicators.csv); the baseline and target columns are named
 *  baseline_YYYY and target_YYYY, and those years are read from the
 *  header: they are the plan's baseline and target years, and the plan
 *  runs from the year after the baseline through the target year. The
 *  region file has code,name_zh,name_en,level,parent_code and the
 *  optional valid_from,valid_to (YYYY-MM, empty: open-ended): the months
 *  a region exists, so that one file holds the maps before and after a
 *  change (region-changes.csv, optional, says where territory went:
 *  effective_month,change,code,name_zh,successors,note). The plan file
 *  has a header "key,value" and the rows title_zh (required) and title_en,
 *  and optionally the deadline rules: time_zone (an IANA name of a zone
 *  with one fixed offset, or UTC+HH:MM; default Asia/Shanghai, UTC+8),
 *  deadline_day (1..31, default 10) and deadline_months_after (0..12,
 *  default 1): a month's figures are due by the end of that day of the
 *  month that many months later, in that zone (common/deadline.h). The
 *  indicator file may add the optional columns frequency (monthly,
 *  quarterly, yearly; empty: monthly), due_day and due_months_after
 *  (empty: the plan's); catalogs without them load with the defaults.
 *
 *  Targets are data per region: the targets file (targets.csv, columns
 *  indicator,region,year,target,basis) is where every target is read
 *  from: the province's (the root region's, at the plan's target year)
 *  and any city's or county's an office adds, yearly milestones
 *  included. The basis of a target is the indicator's target_basis
 *  (indicators.csv) moved to the target's year. indicators.csv's
 *  target_YYYY column is kept so that catalogs from before targets.csv
 *  load unchanged: when targets.csv gives the root's target for the
 *  target year, that column must be empty or the same number (one truth,
 *  checked); when targets.csv is absent or does not give it, the column
 *  is the root's target. Either way every indicator ends with the root's
 *  target-year target, in indicator_t.target and as a catalog_target_t.
 *  Targets never enter a fingerprint: they change no aggregate.
 *
 *  A catalog is immutable once loaded and may be shared read-only between
 *  threads.
 *
 *  Owns: a catalog owns a copy of each file's bytes, a pool holding every
 *  string it hands out, its arrays and its lookup maps. Every pointer it
 *  returns (indicator_t, region_t, catalog_plan_t, their strings and
 *  children, catalog_source()'s bytes) is borrowed, valid until
 *  catalog_destroy(). Borrows nothing: the paths, names and bytes given
 *  to a load are only read by the call.
 *
 *  INVARIANTS
 *    1. A loaded catalog has at least one indicator and one region, and
 *       exactly one root region (parent -1, depth 0).
 *    2. Every other region's parent is a loaded region, and parents lead
 *       to the root without a cycle: depth(child) == depth(parent) + 1,
 *       children are in file order, and subtree_size is 1 + the sum over
 *       the children, so the root's is catalog_region_count().
 *    3. Indicator codes ([a-z0-9_]+, at most CATALOG_CODE_MAX bytes) and
 *       name_zh are unique. Region codes are unique, 1 to 9 digits with
 *       no leading zero, so code and code_str map one to one.
 *    4. part_of is -1 or the index of another count indicator with the
 *       same over_time, and part_of links have no cycle. A ratio has a
 *       numerator_zh and a denominator_zh; a count has both "".
 *    5. The plan has a non-empty title_zh (title_en may be "");
 *       first_year == baseline_year + 1 <= last_year == target_year, and
 *       every indicator's basis_from..basis_to lies inside those years.
 *    6. Every indicator has a target for the root region at the target
 *       year, equal to indicator_t.target. No two targets share
 *       (indicator, region, year); every target's year lies in the
 *       plan's years and its basis is the indicator's basis kind ending
 *       in that year (a cumulative one starting where the indicator's
 *       does).
 *    7. Indexes are file order, and the same files always give the same
 *       fingerprints (the store keeps them on disk). Deadlines are not in
 *       any fingerprint: they change no aggregate.
 *    8. plan.tz_offset lies in -14 h..+14 h; every indicator's due_day is
 *       1..31 and due_months_after 0..12 (the plan's when the row leaves
 *       them empty).
 *    9. Every region has valid_from <= valid_to. Every change names a
 *       loaded region and loaded successors; an abolished region's
 *       valid_to is the month before the change, a created one's
 *       valid_from the change's month; region_t.changes lists exactly
 *       the changes naming the region, by month.
 */
#ifndef HRSS_CATALOG_H
#define HRSS_CATALOG_H
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/** The files of a catalog, in the order the loader reads them. */
enum catalog_file {
    CATALOG_INDICATORS, /**< indicators.csv: the plan's table */
    CATALOG_REGIONS,    /**< regions.csv: the region tree */
    CATALOG_PLAN,       /**< plan.csv: the plan's title (key,value rows) */
    CATALOG_TARGETS,    /**< targets.csv: targets per region and year;
                             optional */
    CATALOG_REGION_CHANGES, /**< region-changes.csv: where territory went
                                 when the map changed; optional */
    CATALOG_NFILES
};
/** Longest indicator code, in bytes (codes are [a-z0-9_]+). */
#define CATALOG_CODE_MAX 63

enum ind_kind { IND_COUNT, IND_RATIO };
enum ind_over_time { OVER_SUM, OVER_LAST };
enum ind_basis {
    BASIS_CUMULATIVE, /**< cumulative_YYYY_YYYY: total over those years */
    BASIS_LEVEL,      /**< level_YYYY: the value for that year */
    BASIS_ANNUAL,     /**< annual_YYYY: the total of that year */
};
enum ind_direction { DIR_AT_LEAST, DIR_AT_MOST };
/** How often an indicator is due: every month, the last month of each
 *  quarter (03, 06, 09, 12), or December. */
enum ind_frequency { FREQ_MONTHLY, FREQ_QUARTERLY, FREQ_YEARLY };

/** One indicator. Plain value struct; strings owned by the catalog. */
typedef struct indicator {
    int no;             /**< row number in the plan's table */
    const char *code;   /**< stable key, [a-z0-9_]+ */
    const char *name_zh;
    const char *name_en;
    const char *group_zh;
    const char *unit_zh;  /**< display unit: 万人, %, 人, 万人次, 万张 */
    double unit_scale;    /**< persons per display unit: 10000 for 万..., 1
                               for 人; 100 for % (value * 100) */
    enum ind_kind kind;
    enum ind_over_time over_time;
    int has_baseline;     /**< 0 when the plan gives no baseline */
    double baseline;      /**< in display units (as in the plan) */
    int has_target;
    double target;        /**< in display units */
    enum ind_basis basis;
    int basis_from;       /**< first year of the basis (== basis_to for
                               level/annual) */
    int basis_to;         /**< last year of the basis */
    enum ind_direction direction;
    const char *attribute; /**< "expected" or "binding" (约束性) */
    int part_of;          /**< index of the parent indicator ("of which"),
                               or -1 */
    const char *numerator_zh;   /**< ratios only, else "" */
    const char *denominator_zh; /**< ratios only, else "" */
    enum ind_frequency frequency; /**< optional column `frequency`;
                                       default monthly */
    int due_day;          /**< day of the due month (1..31; a day past
                               the month's end is its last day): optional
                               column `due_day`, else the plan's
                               deadline_day */
    int due_months_after; /**< the due month is the reported month plus
                               this (0..12): optional column
                               `due_months_after`, else the plan's */
} indicator_t;

/** The plan as a whole. Plain value struct; strings owned by the
 *  catalog. */
typedef struct catalog_plan {
    const char *title_zh;  /**< e.g. 浙江省人力资源和社会保障“十四五”规划 */
    const char *title_en;  /**< may be "" */
    int baseline_year;     /**< from the baseline_YYYY column */
    int target_year;       /**< from the target_YYYY column */
    int first_year;        /**< baseline_year + 1: the plan's first year */
    int last_year;         /**< target_year: the plan's last year */
    const char *time_zone; /**< plan.csv time_zone as written (default
                                "Asia/Shanghai") */
    long tz_offset;        /**< its fixed offset, seconds east of UTC */
    int deadline_day;      /**< plan.csv deadline_day, default 10 */
    int deadline_months_after; /**< plan.csv deadline_months_after,
                                    default 1 (the following month) */
} catalog_plan_t;

/** One target: what @p region should reach for @p indicator in @p year
 *  (the plan's target year, or an earlier milestone). Plain value
 *  struct. */
typedef struct catalog_target {
    int indicator;        /**< index of the indicator */
    int region;           /**< index of the region */
    int year;             /**< the year it is for */
    double target;        /**< in display units, as indicator_t.target */
    enum ind_basis basis; /**< the indicator's basis kind */
    int basis_from;       /**< first year of the basis */
    int basis_to;         /**< == year */
} catalog_target_t;

/** A region valid since forever / until further notice. */
#define CATALOG_OPEN_FROM INT32_MIN
#define CATALOG_OPEN_TO INT32_MAX

/** What a change of the map did to a region. */
enum region_change_kind {
    CHANGE_ABOLISHED, /**< the region ends the month before */
    CHANGE_CREATED,   /**< the region begins that month */
    CHANGE_REDRAWN,   /**< the region goes on with other territory */
};

/** One row of region-changes.csv. Plain value struct; strings and the
 *  successor array owned by the catalog. */
typedef struct region_change {
    int32_t month;        /**< effective month index: the first month
                               reported under the new map */
    enum region_change_kind kind;
    int region;           /**< index of the region it concerns */
    const int *successors; /**< indexes of the regions territory went to */
    size_t n_successors;
    const char *note;     /**< may be "" */
} region_change_t;

/** One region. Plain value struct; strings owned by the catalog. */
typedef struct region {
    uint32_t code;        /**< GB/T 2260 code, e.g. 330100 */
    const char *code_str; /**< the same, as text */
    const char *name_zh;
    const char *name_en;
    const char *level;    /**< "province", "city", "county", ... */
    int parent;           /**< index of the parent region, -1 for the root */
    int depth;            /**< 0 for the root */
    const int *children;  /**< indexes of the child regions, in file order */
    size_t n_children;
    size_t subtree_size;  /**< this region plus all below it (whatever
                               their validity) */
    int32_t valid_from;   /**< first month index it exists (optional
                               column valid_from, YYYY-MM), or
                               CATALOG_OPEN_FROM */
    int32_t valid_to;     /**< last month index it exists (valid_to), or
                               CATALOG_OPEN_TO */
    const int *changes;   /**< indexes (catalog_change()) of the changes
                               that concern it, by month */
    size_t n_changes;
} region_t;

typedef struct catalog catalog_t;

/** Load and validate the catalog files, @p paths indexed by enum
 *  catalog_file.
 *  Rejects, with "FILE:LINE: reason" in @p err: a missing or unknown
 *  column, a wrong field count, an empty required field, a bad number or
 *  enum value, a duplicate code or Chinese name, an unknown part_of or
 *  parent, a part_of that is not a count with the same over_time, a
 *  parent cycle, zero or several roots, a target year not after the
 *  baseline year, a target_basis outside the plan's years, in the plan
 *  file a missing, unknown or repeated key, and in the targets file an
 *  unknown indicator or region, a year outside the plan, a duplicate
 *  (indicator, region, year), a bad or negative number (a ratio's above
 *  100%), a basis the indicator cannot have in that year, a root target
 *  that differs from indicators.csv's, and an indicator left without the
 *  root's target; in regions.csv a valid_from or valid_to that is not
 *  YYYY-MM or valid_from after valid_to; in region-changes.csv an
 *  unknown region or successor, a bad month or kind, and a change that
 *  disagrees with regions.csv (an abolished region's valid_to must be
 *  the month before, a created one's valid_from the effective month).
 *  @p paths[CATALOG_TARGETS] and @p paths[CATALOG_REGION_CHANGES] may be
 *  NULL: no such file.
 *  @param[out] out  Receives the catalog on success; untouched on failure.
 *  @return ERR_OK, ERR_IO (file unreadable), ERR_INVAL (malformed).
 *  Caller owns *out and must catalog_destroy() it. */
int catalog_load(catalog_t **out, const char *const paths[CATALOG_NFILES],
                 char err[ERR_LEN]);

/** One catalog file in memory. Plain value struct; borrowed pointers. */
typedef struct catalog_bytes {
    const char *name;  /**< used in error messages */
    const void *data;
    size_t len;
} catalog_bytes_t;

/** catalog_load() from bytes in memory (a catalog received from a
 *  collector), @p files indexed by enum catalog_file. The bytes are
 *  copied. files[CATALOG_TARGETS].data or
 *  files[CATALOG_REGION_CHANGES].data NULL: no such file. */
int catalog_load_mem(catalog_t **out,
                     const catalog_bytes_t files[CATALOG_NFILES],
                     char err[ERR_LEN]);

/** The bytes file @p which was loaded from (NULL and 0 for a targets
 *  file the catalog was loaded without). Borrowed; valid until
 *  destroy. */
void catalog_source(const catalog_t *self, enum catalog_file which,
                    const char **data, size_t *len);

/** The file name of @p which inside a catalog directory
 *  ("indicators.csv", "regions.csv", "plan.csv", "targets.csv",
 *  "region-changes.csv"). */
const char *catalog_file_name(enum catalog_file which);

/** catalog_load() of the files named by catalog_file_name() in @p dir;
 *  a directory without targets.csv or region-changes.csv loads without
 *  it. */
int catalog_load_dir(catalog_t **out, const char *dir, char err[ERR_LEN]);

/** Destroy and set *self_p to NULL; no-op on NULL. */
void catalog_destroy(catalog_t **self_p);

/** The plan's title and years. Borrowed; valid until destroy. */
const catalog_plan_t *catalog_plan(const catalog_t *self);

size_t catalog_indicator_count(const catalog_t *self);
/** Indicator @p i (0-based, file order). Borrowed; valid until destroy. */
const indicator_t *catalog_indicator(const catalog_t *self, size_t i);
/** Index of the indicator whose code or Chinese name is @p key, or -1.
 *  A name "其中:NAME" is also found as NAME when no other row shares it. */
int catalog_indicator_find(const catalog_t *self, const char *key);

size_t catalog_region_count(const catalog_t *self);
/** Region @p i (0-based, file order). Borrowed; valid until destroy. */
const region_t *catalog_region(const catalog_t *self, size_t i);
/** Index of the region with GB/T code @p code, or -1. */
int catalog_region_find(const catalog_t *self, uint32_t code);
/** Index of the region whose code text is @p code_str, or -1. */
int catalog_region_find_str(const catalog_t *self, const char *code_str);
/** Index of the root region (the province). */
int catalog_region_root(const catalog_t *self);
/** 1 when region @p i is @p ancestor or lies below it, else 0. */
int catalog_region_within(const catalog_t *self, int i, int ancestor);

/** 1 when region @p i exists in month index @p month. */
int catalog_region_valid(const catalog_t *self, int i, int32_t month);
/** 1 when region @p i exists in some month of @p first..@p last. */
int catalog_region_valid_in(const catalog_t *self, int i, int32_t first,
                            int32_t last);
/** The regions whose validity is not open at both ends (few: those a
 *  change of the map created or abolished), as indexes in file order;
 *  *n = 0 for a catalog without validity. Borrowed; valid until
 *  destroy. */
const int *catalog_region_bounded(const catalog_t *self, size_t *n);
/** The regions of @p i's subtree expected to report for the months
 *  @p first..@p last: for a stock (@p stock nonzero) those valid at
 *  @p last, for a flow those valid in some month of the range.
 *  Costs O(bounded regions), not O(subtree). */
size_t catalog_region_expected(const catalog_t *self, int i, int32_t first,
                               int32_t last, int stock);

/** Number of rows of region-changes.csv (0 without the file). */
size_t catalog_change_count(const catalog_t *self);
/** Change @p i, in file order. Borrowed; valid until destroy. */
const region_change_t *catalog_change(const catalog_t *self, size_t i);
/** "abolished", "created" or "redrawn". */
const char *catalog_change_kind_name(enum region_change_kind kind);

/** Number of targets (the root's for every indicator, and the rest). */
size_t catalog_target_count(const catalog_t *self);
/** Target @p i, ordered by indicator, region, year. Borrowed; valid until
 *  destroy. */
const catalog_target_t *catalog_target(const catalog_t *self, size_t i);
/** The target of indicator @p ind for region @p region in @p year, or
 *  NULL. Borrowed; valid until destroy. */
const catalog_target_t *catalog_target_find(const catalog_t *self,
                                            size_t ind, int region,
                                            int year);
/** The target region @p region is measured against at a period ending in
 *  @p year: its milestone of that year when it has one, else its target
 *  for the plan's target year, else NULL (it has no target: the
 *  province's is not its own). Borrowed; valid until destroy. */
const catalog_target_t *catalog_target_at(const catalog_t *self,
                                          size_t ind, int region, int year);
/** 1 when region @p region has a target of its own for any indicator. */
int catalog_region_has_targets(const catalog_t *self, int region);

/** 64-bit FNV-1a fingerprint of the region tree (codes and parents), used
 *  by the store to notice that its aggregates were built for another tree. */
uint64_t catalog_region_fingerprint(const catalog_t *self);

/** Fingerprint of everything aggregates depend on: the region tree and,
 *  for each indicator in file order, its code, kind, over_time and
 *  part_of ("code|kind|over_time|parent;", FNV-1a continued from the
 *  region fingerprint), then, only when some region's validity is
 *  bounded, each such region's "code|from|to;" (so a catalog without
 *  validity keeps its fingerprint). Stored by the store: its value must
 *  never change for the same catalog. Targets are not in it: they change
 *  no aggregate. */
uint64_t catalog_rules_fingerprint(const catalog_t *self);

#endif
