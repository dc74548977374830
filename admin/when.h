/** @file when.h
 *  @brief The moment an as-of answer is for (hrssctl --as-of, diff
 *         --from/--to): ISO 8601 with an offset, a date in the plan's
 *         time zone (the end of that day), or unix seconds.
 *
 *  Owns nothing: pure functions.
 *
 *  INVARIANTS
 *    1. A date YYYY-MM-DD means everything received before the next day
 *       began in the plan's zone: its last second, midnight - 1.
 *    2. A time of day without an offset is refused (it would be read in
 *       some zone the operator did not name).
 */
#ifndef HRSS_ADMIN_WHEN_H
#define HRSS_ADMIN_WHEN_H
#include <stddef.h>
#include <stdint.h>

/** Parse @p s: `YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM|+HHMM|+HH)`,
 *  `YYYY-MM-DD` (its last second at @p plan_tz, seconds east of UTC), or
 *  unix seconds (digits only).
 *  @param[out] out  Unix seconds on success; untouched on failure.
 *  @param[out] why  On failure, the reason (no flag name), @p len bytes.
 *  @return 0 or -1. */
int when_parse(const char *s, long plan_tz, int64_t *out, char *why,
               size_t len);

/** when_parse(), for a moment the store can answer for: not after
 *  @p now. A date whose day has begun (today) means @p now: "as of
 *  today" is the store as it stands. Anything later is refused ("is in
 *  the future"). Same outputs and return as when_parse(). */
int when_parse_past(const char *s, long plan_tz, int64_t now, int64_t *out,
                    char *why, size_t len);

#endif
