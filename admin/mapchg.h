/** @file mapchg.h
 *  @brief How hrssctl shows a map that changes: a breakdown row's months,
 *         a series' marks and footnotes, a region's validity.
 *
 *  Concern: the words and formats only (the collector decides what a
 *  row's months are and which changes a series crosses: store/answer_map.c).
 *  Months print as YYYY-MM; a range inside one year as 2021-01..03.
 *
 *  INVARIANTS
 *    1. Every function writes a NUL-terminated string that fits @p len,
 *       or "" when there is nothing to say.
 *    2. Nothing here allocates or keeps a pointer.
 */
#ifndef HRSS_MAPCHG_H
#define HRSS_MAPCHG_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "admin/ctl.h"
#include "proto/hrss.pb-c.h"

/** Room for any text below but a footnote. */
#define MAPCHG_LEN 48

/** YYYYMM @p yyyymm as "YYYY-MM". */
void mapchg_yyyymm(uint32_t yyyymm, char *out, size_t len);

/** A breakdown row's months: the region's months of the row's period
 *  (its validity inside the period) and, when the collector gave it, how
 *  many have a figure: "2021-01..03 (3)", "2021-04..12 (9)",
 *  "2021-01..12 (12)"; "" for a row with neither. */
void mapchg_months(const Hrss__Total *t, char *out, size_t len);

/** 1 when mapchg_months() of @p t says something. */
int mapchg_has_months(const Hrss__Total *t);

/** The point of @p s a change's mark goes on: the first point that holds
 *  or follows @p c's month, else (an abolished region's series ends
 *  before it) the last point; -1 without points. */
long mapchg_mark_point(const Hrss__TotalList *s, const Hrss__RegionChange *c);

/** A series' footnote for change @p c of region @p region, mark @p k:
 *  "*1 2021-04: 上城区 redrawn: the former 上城区 ...", with "; to
 *  330105 拱墅区" when territory went elsewhere. */
void mapchg_footnote(const ctl_t *x, uint32_t region,
                     const Hrss__RegionChange *c, size_t k, char *out,
                     size_t len);

/** "2021-04 redrawn" (the series CSV's map_change field). */
void mapchg_brief(const Hrss__RegionChange *c, char *out, size_t len);

/** @p c as a JSON object: {"month": "2021-04", "change": "redrawn",
 *  "note": ..., "successors": ["330105"]}. */
void mapchg_json(const Hrss__RegionChange *c, FILE *f);

/** A region's validity: "..2021-03", "2021-04..", "2019-01..2021-03",
 *  "" for always. */
void mapchg_validity(const region_t *r, char *out, size_t len);

#endif
