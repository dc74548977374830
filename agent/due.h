/** @file due.h
 *  @brief Which of an office's figures are due soon or overdue and not
 *         queued: what `hrss-agent status` lists under its deadlines.
 *
 *  For each of the office's regions and every indicator of the catalog,
 *  each month from the later of the plan's first month and 12 months
 *  before the current one, up to the current month (and not after the
 *  plan's last): a figure due that month (common/deadline) that the
 *  office never queued is
 *    due      when its deadline is still ahead and at most @p due_days
 *             local days away (0: today);
 *    overdue  when its deadline has passed, by deadline_days_late().
 *  "Queued" is the office's side: the province counts the collector's
 *  time of receipt (README, Deadlines and timeliness), so a figure queued
 *  in time but delivered late is late there all the same.
 *
 *  Months the spool cannot speak for (an older agent queued into it
 *  without cell records: spool_cells()'s since) are not listed; the
 *  result says which they are.
 *
 *  The current time is a parameter: the CLI passes time(NULL), tests a
 *  fixed instant.
 *
 *  Owns: a due_set_t owns its cells; a due_list_t owns its arrays.
 *
 *  INVARIANTS
 *    1. Every item is due that month (deadline_due) and not in the set;
 *       none is listed twice; due items have days >= 0, overdue >= 1.
 *    2. Items are ordered by deadline, then region (the office's own
 *       first, then by code), then catalog order of indicators.
 */
#ifndef HRSS_AGENT_DUE_H
#define HRSS_AGENT_DUE_H
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"

/** Default of `status --due-days`. */
#define DUE_DAYS_DEFAULT 14
/** Largest --due-days. */
#define DUE_DAYS_MAX 366
/** How many months back overdue figures are looked for. */
#define DUE_MONTHS_BACK 12

/** The cells an office queued. */
typedef struct due_set due_set_t;

/** A new, empty set. Caller owns return value and must destroy it. */
due_set_t *due_set_new(void);

/** Destroy and set *self_p to NULL; no-op on NULL. */
void due_set_destroy(due_set_t **self_p);

/** Add the cell (@p indicator code, @p region, @p yyyymm); @p indicator
 *  is copied (a code longer than CATALOG_CODE_MAX is ignored: no
 *  catalog indicator has it). */
void due_set_add(due_set_t *self, const char *indicator, uint32_t region,
                 uint32_t yyyymm);

/** 1 when the cell was added, else 0. */
int due_set_has(due_set_t *self, const char *indicator, uint32_t region,
                uint32_t yyyymm);

/** What to look at. Plain value struct; everything borrowed. */
typedef struct due_opts {
    const catalog_t *cat;
    const uint32_t *regions; /**< region codes, the office's own first */
    size_t n_regions;
    int64_t now;             /**< unix seconds: time(NULL) in production */
    int due_days;            /**< 0..DUE_DAYS_MAX */
    int64_t since;           /**< spool_cells()'s: 0 every queue known,
                                  > 0 known from then, -1 nothing known */
} due_opts_t;

/** One figure not queued. Plain value struct. */
typedef struct due_item {
    int indicator;    /**< catalog index */
    uint32_t region;
    int32_t month;    /**< month index (common/period) */
    int64_t deadline; /**< unix seconds (deadline_of) */
    int64_t days;     /**< due: local days left (0: today); overdue:
                           days overdue (>= 1) */
} due_item_t;

/** The result. Caller owns the arrays: due_list_fini(). */
typedef struct due_list {
    due_item_t *due;
    size_t n_due;
    due_item_t *overdue;
    size_t n_overdue;
    int32_t first_month;   /**< the months looked at: first_month .. */
    int32_t last_month;    /**< .. last_month (first > last: none) */
    int32_t unknown_last;  /**< months first_month .. unknown_last were
                                not looked at: the spool cannot tell
                                (first_month - 1: none) */
} due_list_t;

/** Compute the figures due within @p o->due_days and the overdue ones
 *  of @p o->regions not in @p queued (INVARIANTS 1, 2).
 *  @param[out] out  Filled; due_list_fini() it. */
void due_compute(const due_opts_t *o, due_set_t *queued, due_list_t *out);

/** Free the arrays of @p l and zero it; no-op on NULL. */
void due_list_fini(due_list_t *l);

#endif
