/** @file csvin_decode.h
 *  @brief The bytes of an office's file as UTF-8 text, whatever the
 *         office's computer saved: UTF-8 (BOM or not), UTF-16 with a BOM
 *         (little or big endian), or GBK/GB18030; and a plain word for
 *         what it is when it is none of them (an Excel workbook, a PDF,
 *         binary data ...).
 *
 *  Owns nothing between calls; a converted text is the caller's.
 *
 *  INVARIANTS
 *    1. ERR_OK: the text is valid UTF-8 (a UTF-8 BOM may lead it; csv.c
 *       skips it) and *conv is NULL exactly when the text is the input.
 *    2. Failure: *conv is NULL and @p why says what the bytes look like
 *       and, where it helps, how to save them instead; it quotes none of
 *       the input.
 */
#ifndef HRSS_CSVIN_DECODE_H
#define HRSS_CSVIN_DECODE_H
#include <stddef.h>

#include "common/err.h"

/** Read @p len bytes at @p data as text.
 *  @param[out] conv      NULL when the bytes are used as they are, else
 *                        the converted text, which the caller owns and
 *                        must free().
 *  @param[out] text      The UTF-8 text: @p data or *conv. Borrowed.
 *  @param[out] text_len  Its length.
 *  @param[out] why       On ERR_INVAL: why not (no name, no newline).
 *  @return ERR_OK or ERR_INVAL. */
int csvin_decode_text(const char *data, size_t len, char **conv, const char **text,
                size_t *text_len, char why[ERR_LEN]);

/** 1 when @p p[0, len) is well-formed UTF-8 (no overlongs, surrogates or
 *  code points above U+10FFFF; NUL allowed), else 0. */
int csvin_decode_valid_utf8(const unsigned char *p, size_t len);

#endif
