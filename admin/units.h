/** @file units.h
 *  @brief The plan's display units (万人, %, 人, 万人次, 万张) against raw
 *         units (whole persons for counts, fractions for ratios).
 *
 *  The plan writes its baselines and targets in display units; the store
 *  and every script-facing output (--json, --csv) use raw units; tables
 *  for people show the plan's units.
 *
 *  Owns nothing: pure functions of the indicator (borrowed) and the value.
 *
 *  INVARIANTS
 *    1. units_display(ind, units_raw(ind, v)) == v up to rounding.
 *    2. A value converts to the same double whichever caller converts it,
 *       so raw targets compare and print alike (progress, --json).
 */
#ifndef HRSS_UNITS_H
#define HRSS_UNITS_H

#include "common/catalog.h"

/** A figure written in @p ind's display unit, in raw units: 500 万人 ->
 *  5000000 persons, 5.5 % -> 0.055. */
double units_raw(const indicator_t *ind, double shown);

/** A raw value in @p ind's display unit: 5484613 persons -> 548.4613 万人,
 *  0.0479 -> 4.79 %. */
double units_display(const indicator_t *ind, double raw);

/** Decimals a measured value gets in the display unit: 1 for a
 *  percentage, 2 for 万 units, 0 for whole persons. */
int units_decimals(const indicator_t *ind);

#endif
