/** @file suggest.h
 *  @brief "did you mean ...?" for an indicator nobody knows: the one rule
 *         shared by the collector's answers (store/resolve, what hrssctl
 *         shows) and the office's agent (agent/csvin, submit).
 *
 *  A key written in ASCII is compared with the catalog's codes, byte by
 *  byte; a key with other characters (a Chinese name) with the catalog's
 *  Chinese names, character by character, after folding full-width forms
 *  (common/text). The SUGGEST_MAX nearest by edit distance are named,
 *  ties in catalog order: codes for an ASCII key, Chinese names for the
 *  other, so that the suggestion is written the way the user writes.
 *
 *  Owns nothing; borrows the catalog for the call.
 *
 *  INVARIANTS
 *    1. The text written is NUL-terminated and never longer than the
 *       caller's buffer; what was in the buffer before stays.
 *    2. A key longer than SUGGEST_MAX_INPUT bytes gets no suggestion
 *       (nothing is close to it), so the work per call is bounded.
 *    3. Every name suggested is a catalog code or a catalog name_zh,
 *       which the same catalog's lookup accepts.
 */
#ifndef HRSS_SUGGEST_H
#define HRSS_SUGGEST_H
#include <stddef.h>

#include "common/catalog.h"

/** How many indicators a suggestion names. */
#define SUGGEST_MAX 3
/** Longer keys get no suggestion. */
#define SUGGEST_MAX_INPUT (2 * CATALOG_CODE_MAX)

/** Append "; did you mean: a, b, c?" to the NUL-terminated text in
 *  @p msg (a buffer of @p cap bytes), naming the indicators nearest to
 *  @p key; cut at @p cap (at a character boundary). Nothing is appended
 *  when @p key is too long or the catalog has nothing to suggest. */
void suggest_indicators(const catalog_t *cat, const char *key, char *msg,
                        size_t cap);

#endif
