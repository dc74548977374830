/** @file refused.h
 *  @brief The cells whose figures the collector refused and nothing of
 *         this office's has been taken or queued for since: still due,
 *         for `hrss-agent status`'s deadlines (agent/status.c).
 *
 *  A cell (indicator, region, month) is refused when the spool's
 *  receipts (spool_receipts()) hold at least one refusal for it, none
 *  "accepted" or "unknown", and no update of it is queued. A refused
 *  revision of a figure the collector accepted before leaves the
 *  accepted one in place: that cell is not refused. Receipts came after
 *  the spool format: a spool whose first receipt is not seq 1 acked
 *  updates without them, so only cells first queued after that receipt's
 *  update (spool_cell_t.first_at > refused_t.from) can be told.
 *
 *  A spool whose queue or receipts cannot be read gives an error; status
 *  then tells no cell refused (the damage is named by status and check).
 *
 *  Owns: a refused_t owns its array (refused_fini()).
 *
 *  INVARIANTS
 *    1. cells is sorted by (code, region, yyyymm), without duplicates;
 *       each names the reason of the cell's latest refusal (highest seq).
 */
#ifndef HRSS_REFUSED_H
#define HRSS_REFUSED_H
#include <stddef.h>
#include <stdint.h>

#include "agent/spool.h"
#include "common/err.h"

/** One refused cell. Plain value struct. */
typedef struct refused_cell {
    char code[CATALOG_CODE_MAX + 1];
    uint32_t region;
    uint32_t yyyymm;
    char reason[SPOOL_OUTCOME_MAX + 1]; /**< the latest refusal's name */
} refused_cell_t;

/** The refused cells of a spool. */
typedef struct refused {
    refused_cell_t *cells;
    size_t n;
    int64_t from; /**< 0: the receipts speak for every cell; > 0: only
                       for cells first queued after this time (unix s) */
} refused_t;

/** Read the receipts and the queue of @p sp into @p out (zeroed first;
 *  refused_fini() it either way). Works on read-only handles.
 *  @return ERR_OK, or the spool's error (ERR_CORRUPT, ERR_IO) in @p err. */
int refused_load(spool_t *sp, refused_t *out, char err[ERR_LEN]);

/** The refused cell (@p code, @p region, @p yyyymm), or NULL. */
const refused_cell_t *refused_find(const refused_t *r, const char *code,
                                   uint32_t region, uint32_t yyyymm);

/** Whether @p r speaks for a cell first queued at @p first_at. */
int refused_knows(const refused_t *r, int64_t first_at);

/** Free what @p r owns and zero it; no-op on NULL. */
void refused_fini(refused_t *r);

#endif
