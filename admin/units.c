/* units.c: the plan's display units against raw units.
 *
 * unit_scale is persons per display unit for counts (10000 for 万人, 1
 * for 人) and display units per whole for ratios (100 for %). A ratio's
 * raw value is its plan value times 1 / unit_scale, computed in that
 * order so that the raw targets are the same doubles whichever caller
 * converts them (progress compares against them, --json prints them).
 *
 * INVARIANTS
 *   1. units_display(ind, units_raw(ind, v)) == v up to rounding.
 *   2. Pure functions of the indicator and the value.
 */
#include "admin/units.h"

double units_raw(const indicator_t *ind, double shown)
{
    double scale = ind->kind == IND_RATIO ? 1.0 / ind->unit_scale
                                          : ind->unit_scale;
    return shown * scale;
}

double units_display(const indicator_t *ind, double raw)
{
    return ind->kind == IND_RATIO ? raw * ind->unit_scale
                                  : raw / ind->unit_scale;
}

int units_decimals(const indicator_t *ind)
{
    return ind->kind == IND_RATIO ? 1 : ind->unit_scale > 1 ? 2 : 0;
}
