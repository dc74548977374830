/** @file text.h
 *  @brief Small in-place helpers for text fields read from files.
 */
#ifndef HRSS_TEXT_H
#define HRSS_TEXT_H

/** Trim ASCII spaces and tabs from both ends of @p s, in place: the
 *  trailing ones are overwritten with NULs. Nothing else (CR, LF, non-ASCII
 *  spaces such as U+3000) is trimmed.
 *  @return The first byte that is not a space or tab, inside @p s.
 *          Borrowed: it is @p s, or a pointer into it. */
char *text_trim(char *s);

#endif
