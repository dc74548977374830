/** @file text.h
 *  @brief Small in-place helpers for text fields read from files.
 *
 *  Hand-edited CSV and INI files often carry "a, b" or "key = value "; the
 *  catalog, the office CSV reader and the config reader all trim with
 *  text_trim(), so they agree on what a blank is.
 *
 *  Text that came from the wire or from files (names, messages, codes)
 *  is shown through text_clean() or text_put_clean(): one rule for every
 *  table, CSV and status line, so that no such text can send escape
 *  sequences to a terminal or put invalid UTF-8 into output. (common/json
 *  applies the same rule to JSON strings, escaping rather than replacing
 *  controls.) text_check() applies that rule as a test, to refuse such
 *  text where it comes in (common/wire: every string of an agent's
 *  message).
 *
 *  Owns nothing: works in place on the caller's string, or writes into
 *  the caller's buffer or stream.
 *
 *  INVARIANTS
 *    1. text_trim() never writes outside the string it was given and
 *       returns a pointer into it, never past its terminating NUL.
 *    2. The blanks are ASCII space and tab, and only they.
 *    3. What text_clean() and text_put_clean() write is valid UTF-8 with
 *       no C0 control (but LF when asked), DEL or C1 control; text that
 *       is already so is written unchanged.
 *    4. text_check(s) == TEXT_CLEAN exactly when text_clean() (without
 *       TEXT_KEEP_LF) would copy s unchanged: both decode with
 *       text_next_char() and call the same characters controls.
 */
#ifndef HRSS_TEXT_H
#define HRSS_TEXT_H
#include <stddef.h>
#include <stdio.h>

/** Trim ASCII spaces and tabs from both ends of @p s, in place: the
 *  trailing ones are overwritten with NULs. Nothing else (CR, LF, non-ASCII
 *  spaces such as U+3000) is trimmed.
 *  @return The first byte that is not a space or tab, inside @p s.
 *          Borrowed: it is @p s, or a pointer into it. */
char *text_trim(char *s);

/** text_trim() of @p s, whose length @p len (its strlen) the caller knows,
 *  so that it is not measured again. Same result, same writes. */
char *text_trim_len(char *s, size_t len);

/** Fold the full-width forms that Chinese input methods type into their
 *  ASCII twins, in place, as Unicode's NFKC does for them: U+FF01..U+FF5E
 *  ("：", "（", "，", "０".."９", "Ａ".."ｚ") become U+0021..U+007E, and
 *  the ideographic space U+3000 becomes ' '. Nothing else changes (an
 *  invalid byte is left as it is). Each folded character shrinks from
 *  three bytes to one, so the text only ever gets shorter.
 *  @return The new length (strlen) of @p s. */
size_t text_fold_width(char *s);

/* ------------------------------------------------------------------ */
/* Text safe to show (text_clean, text_put_clean)                      */

/** Flag for text_clean() and text_put_clean(): keep line feeds (text of
 *  several lines, such as a table's footer). */
#define TEXT_KEEP_LF 1u

/** Copy @p s as text that is safe to print to a terminal or into CSV,
 *  whatever bytes it holds: valid UTF-8 without control characters.
 *  - Every C0 control (U+0000..U+001F: ESC, TAB, CR and LF included; LF
 *    kept with TEXT_KEEP_LF), DEL (U+007F) and every C1 control
 *    (U+0080..U+009F) becomes U+FFFD.
 *  - Every ill-formed UTF-8 sequence becomes U+FFFD, one per maximal
 *    subpart (Unicode 3.9, U+FFFD substitution): a byte that cannot start
 *    a character, a truncated sequence, an overlong form, a surrogate,
 *    a code point past U+10FFFF.
 *  - All else is copied byte for byte: text without controls or bad
 *    bytes comes out unchanged.
 *  Like snprintf: at most @p cap - 1 bytes and a NUL are written to
 *  @p dst (nothing when @p cap is 0, and @p dst may then be NULL), never
 *  a part of a character.
 *  @return The length of the whole cleaned text (without the NUL), at
 *          most 3 * strlen(@p s). */
size_t text_clean(char *dst, size_t cap, const char *s, unsigned flags);

/** The UTF-8 character at @p s[0] (not NUL): its length in bytes with
 *  *@p ok = 1, or the length of its maximal ill-formed subpart (at least
 *  1) with *@p ok = 0. The one UTF-8 decoder of text_clean() and JSON
 *  output (common/json). */
size_t text_next_char(const unsigned char *s, int *ok);

/** Write @p s to @p f cleaned as text_clean() does. Stream errors are
 *  not reported: check ferror(@p f). */
void text_put_clean(FILE *f, const char *s, unsigned flags);

/* ------------------------------------------------------------------ */
/* Text to refuse (text_check)                                         */

/** What text_check() found wrong first. */
enum text_fault {
    TEXT_CLEAN = 0,   /**< valid UTF-8, no control character */
    TEXT_BAD_UTF8,    /**< an ill-formed sequence: a byte that cannot
                           start a character, a truncated sequence, an
                           overlong form, a surrogate (U+D800..U+DFFF),
                           a code point past U+10FFFF */
    TEXT_CONTROL,     /**< a control character: C0 (U+0001..U+001F, TAB
                           and LF included), DEL (U+007F) or C1
                           (U+0080..U+009F) */
};

/** Whether the string @p s is clean text: valid UTF-8 with no control
 *  character, which text_clean() copies unchanged (INVARIANT 4). It sees
 *  @p s up to its NUL: a caller whose bytes may hold a NUL must check
 *  their length itself (common/wire does, by their encoding).
 *  @param[out] at  May be NULL; on a fault, the offset of the first byte
 *                  of the offending character or ill-formed sequence;
 *                  untouched when clean.
 *  @return TEXT_CLEAN, or the first fault. */
enum text_fault text_check(const char *s, size_t *at);

/** 1 when @p s is valid UTF-8 (control characters allowed), else 0. */
int text_valid_utf8(const char *s);

/** 1 when text_check(@p s) finds nothing, else 0. */
int text_is_clean(const char *s);

/** A short English phrase for @p f ("invalid UTF-8", "a control
 *  character"); never NULL. */
const char *text_fault_str(enum text_fault f);

#endif
