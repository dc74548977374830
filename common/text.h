/** @file text.h
 *  @brief Small helpers for text fields: trimming what files carry, and
 *         deciding whether bytes from outside are clean text.
 *
 *  Hand-edited CSV and INI files often carry "a, b" or "key = value "; the
 *  catalog, the office CSV reader and the config reader all trim with
 *  text_trim(), so they agree on what a blank is.
 *
 *  Strings from the network (agent names, indicator codes) are stored,
 *  logged and shown to people; text_check() is the one definition of what
 *  may be: valid UTF-8 without control characters (common/wire applies it
 *  to every string of an agent's message).
 *
 *  Owns nothing: works in place on the caller's string, or only reads it.
 *
 *  INVARIANTS
 *    1. text_trim() never writes outside the string it was given and
 *       returns a pointer into it, never past its terminating NUL.
 *    2. The blanks are ASCII space and tab, and only they.
 *    3. text_check() reads exactly the @p n bytes it is given (a NUL among
 *       them is a control character, not an end) and writes nothing but
 *       its *at output.
 */
#ifndef HRSS_TEXT_H
#define HRSS_TEXT_H
#include <stddef.h>

/** Trim ASCII spaces and tabs from both ends of @p s, in place: the
 *  trailing ones are overwritten with NULs. Nothing else (CR, LF, non-ASCII
 *  spaces such as U+3000) is trimmed.
 *  @return The first byte that is not a space or tab, inside @p s.
 *          Borrowed: it is @p s, or a pointer into it. */
char *text_trim(char *s);

/** What text_check() found wrong first. */
enum text_fault {
    TEXT_CLEAN = 0,   /**< valid UTF-8, no control character */
    TEXT_BAD_UTF8,    /**< not UTF-8: a stray or missing continuation
                           byte, an overlong form, a surrogate (U+D800..
                           U+DFFF) or a code point above U+10FFFF */
    TEXT_CONTROL,     /**< a control character: C0 (U+0000..U+001F, NUL,
                           tab and newlines included), DEL (U+007F) or C1
                           (U+0080..U+009F) */
};

/** Check that the @p n bytes at @p s are clean text: valid UTF-8 (RFC
 *  3629, shortest forms only) with no control character.
 *  @param[out] at  May be NULL; on a fault, the offset of the first byte
 *                  of the offending sequence; untouched when clean.
 *  @return TEXT_CLEAN, or the first fault. */
enum text_fault text_check(const char *s, size_t n, size_t *at);

/** 1 when the @p n bytes at @p s are valid UTF-8 (control characters
 *  allowed), else 0. */
int text_valid_utf8(const char *s, size_t n);

/** 1 when text_check(@p s, @p n) finds nothing, else 0. */
int text_is_clean(const char *s, size_t n);

/** A short English phrase for @p f ("invalid UTF-8", "a control
 *  character"); never NULL. */
const char *text_fault_str(enum text_fault f);

#endif
