/** @file gen.h
 *  @brief hrss-demo-gen: plausible, deterministic monthly figures for the
 *         demo, one CSV per office.
 *
 *  The figures are calibrated so that the province totals start near the
 *  plan's 2020 baselines and move towards its 2025 targets, about two
 *  thirds of the indicators on track and one third short. Every "of which"
 *  rule of the catalog holds in every row except one deliberate violation
 *  (DEMO_VIOLATION_*), so that the violations list has something to show.
 *
 *  Owns nothing: demo_gen_write() borrows the catalog for the call and
 *  keeps nothing once it returns; the files it writes are the caller's.
 *
 *  INVARIANTS
 *    1. The output is a pure function of the catalog and the seed: there
 *       is no global PRNG state, and no figure depends on the order in
 *       which anything is generated.
 *    2. Every count lies in 0..UPDATE_MAX_VALUE; every ratio has a
 *       denominator > 0 and 0 <= numerator <= denominator.
 *    3. In every row an "of which" child is at most its parent, except
 *       the one DEMO_VIOLATION_* cell, where it is greater (when the
 *       catalog has both indicators, as counts).
 *    4. Every office writes only the months its region exists, and the
 *       sum over any region's offices, per indicator and month, is the
 *       same as with a catalog whose regions all exist in every month
 *       (when every region that ends during the demo's years has a
 *       sibling that begins the month after, as in the shipped catalog).
 */
#ifndef HRSS_DEMO_GEN_H
#define HRSS_DEMO_GEN_H
#include <stdint.h>

#include "common/catalog.h"
#include "common/err.h"

/** The months generated: DEMO_FIRST_YEAR-01 .. DEMO_LAST_YEAR-12. */
#define DEMO_FIRST_YEAR 2021
#define DEMO_LAST_YEAR 2025
#define DEMO_MONTHS ((DEMO_LAST_YEAR - DEMO_FIRST_YEAR + 1) * 12)

/** Header row of every generated file. */
#define DEMO_CSV_HEADER "indicator,period,value,numerator,denominator"

/** The one deliberate "of which" violation: in that office's file, the
 *  child indicator exceeds its parent in that month. */
#define DEMO_VIOLATION_REGION 330106u
#define DEMO_VIOLATION_CHILD "senior_title_talent"
#define DEMO_VIOLATION_PARENT "professional_technical_talent"
#define DEMO_VIOLATION_YEAR 2025
#define DEMO_VIOLATION_MONTH 6
/** The same month as text. */
#define DEMO_VIOLATION_PERIOD "2025-06"

/** Default of --seed. */
#define DEMO_DEFAULT_SEED 1u

/** Write OUT_DIR/<region code>.csv for every region of @p cat except the
 *  root (the offices: cities and counties), each with one row per
 *  indicator per month of DEMO_FIRST_YEAR..DEMO_LAST_YEAR that its region
 *  exists (catalog_region_valid()), in catalog order. Across a change of
 *  the map the totals of every ancestor are what they would be without
 *  it: a region that ends during those years and a sibling that begins
 *  the month after report each other's figures in the months the other
 *  does not exist (gen.c). Counts are whole persons, ratios whole numerator/denominator.
 *  The output depends only on the catalog and @p seed: two calls give
 *  byte-identical files.
 *  @param[in]  cat      Borrowed; not kept.
 *  @param[in]  out_dir  Created (one level) if missing; existing files of
 *                       the same names are overwritten.
 *  @param[in]  seed     Seeds the PRNG together with each region code.
 *  @param[out] err      On failure: what went wrong, naming the file.
 *  @return ERR_OK, ERR_IO (cannot create the directory or write a file;
 *          files written before the failure are left in place), ERR_INVAL
 *          (the catalog has no region below its root). */
int demo_gen_write(const catalog_t *cat, const char *out_dir, uint64_t seed,
                   char err[ERR_LEN]);

#endif
