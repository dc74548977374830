/** @file zone.h
 *  @brief Times as the operator reads and writes them: wall-clock time at
 *         a fixed offset from UTC (hrssctl --tz-offset-hours; China
 *         Standard Time, UTC+8, by default).
 *
 *  Offsets are seconds east of UTC. No time zone database and no locale
 *  are consulted, so the same command prints the same text everywhere.
 *
 *  Owns nothing: pure functions that write into the caller's buffers.
 *
 *  INVARIANTS
 *    1. zone_parse_time(zone_format_time(t, o), o) == t for every t a
 *       struct tm can hold.
 *    2. No global mutable state: every function is reentrant.
 */
#ifndef HRSS_ZONE_H
#define HRSS_ZONE_H
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/** China Standard Time, the default display offset. */
#define ZONE_DEFAULT_OFFSET (8L * 3600)
/** Buffer size for zone_format_time() ("YYYY-MM-DD HH:MM:SS"). */
#define ZONE_TIME_LEN 32
/** Buffer size for zone_format_iso() ("YYYY-MM-DDTHH:MM:SS+HH:MM"). */
#define ZONE_ISO_LEN 40
/** Buffer size for zone_label() ("UTC+14", "UTC-9:30"). */
#define ZONE_LABEL_LEN 16

/** "YYYY-MM-DD HH:MM:SS" of unix time @p t at @p offset into @p buf of
 *  @p len bytes (ZONE_TIME_LEN is enough; truncated when shorter). */
void zone_format_time(int64_t t, long offset, char *buf, size_t len);

/** ISO 8601 of unix time @p t at @p offset, with the offset:
 *  "2025-01-01T23:59:59+08:00" ("+00:00" for UTC), into @p buf of @p len
 *  bytes (ZONE_ISO_LEN is enough). admin/when.h reads it back. */
void zone_format_iso(int64_t t, long offset, char *buf, size_t len);

/** Parse @p s as unix seconds, or as YYYY-MM-DD[(T| )HH:MM[:SS]]
 *  read at @p offset.
 *  @param[out] out  Unix seconds on success; untouched on failure.
 *  @return ERR_OK or ERR_INVAL. */
int zone_parse_time(const char *s, long offset, int64_t *out);

/** The name of @p offset for headers: "UTC+8", "UTC-5", "UTC+5:30", and
 *  "UTC" for 0, into @p buf (ZONE_LABEL_LEN is enough). */
void zone_label(long offset, char *buf, size_t len);

#endif
