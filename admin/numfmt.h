/** @file numfmt.h
 *  @brief Numbers for people: thousands separators, and decimals rounded
 *         the way statistical reports round (half away from zero).
 *
 *  Owns nothing: pure functions that write into the caller's buffer.
 *
 *  INVARIANTS
 *    1. A result is NUL-terminated within the caller's buffer whenever
 *       its length is not zero, even with asserts compiled out; a buffer
 *       of length zero is left untouched.
 *    2. The output never depends on the locale.
 *    3. No global mutable state: every function is reentrant.
 */
#ifndef HRSS_NUMFMT_H
#define HRSS_NUMFMT_H
#include <stddef.h>
#include <stdint.h>

/** @p v with thousands separators into @p buf of @p len bytes (truncated,
 *  NUL-terminated when len > 0, untouched when len == 0): 1234567 ->
 *  "1,234,567", -1234 -> "-1,234". 32 bytes always suffice. */
void numfmt_int(int64_t v, char *buf, size_t len);

/** @p v rounded to @p decimals (clamped to 0..6) with thousands
 *  separators in the integer part: 4355.004 with 2 -> "4,355.00".
 *  Non-finite -> "-"; a value that rounds to zero has no sign. Truncated
 *  to @p len like numfmt_int(). */
void numfmt_fixed(double v, int decimals, char *buf, size_t len);

#endif
