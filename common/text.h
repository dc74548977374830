/** @file text.h
 *  @brief Small in-place helpers for text fields read from files.
 *
 *  Hand-edited CSV and INI files often carry "a, b" or "key = value "; the
 *  catalog, the office CSV reader and the config reader all trim with
 *  text_trim(), so they agree on what a blank is.
 *
 *  Owns nothing: works in place on the caller's string.
 *
 *  INVARIANTS
 *    1. text_trim() never writes outside the string it was given and
 *       returns a pointer into it, never past its terminating NUL.
 *    2. The blanks are ASCII space and tab, and only they.
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
