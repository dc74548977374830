/* csvin_decode.c: an office's file as UTF-8, or a plain word for what it is.
 *
 * Decision, in this order (csvin_decode_text):
 *
 *   empty ------------------------------------------> the bytes (csvin
 *                                                      says "empty file")
 *   a known signature (PK zip, OLE2, %PDF, gzip, RTF, XML/HTML, images)
 *                    --------------------------------> refused, named
 *   FF FE / FE FF ----iconv UTF-16LE/BE--------------> converted
 *   EF BB BF? + valid UTF-8 -------------------------> the bytes
 *   NUL bytes in a UTF-16 pattern (no BOM) ---------> refused, named
 *   else ------------iconv GB18030-------------------> converted, or
 *                                                      refused with the
 *                                                      byte offset
 *
 * Excel's own formats come first: an .xlsx is a zip (PK\3\4) and an .xls
 * an OLE2 compound file (D0 CF 11 E0 A1 B1 1A E1), and an office that
 * drops one wants to hear "save it as CSV", not a byte offset. UTF-16 is
 * what Excel's "Unicode text" writes, always with a BOM; without one it
 * cannot be told from other data safely, so it is named, not guessed.
 * GBK text is almost never valid UTF-8 (its lead bytes 0x81..0xFE are
 * mostly UTF-8 continuation or invalid bytes), so trying UTF-8 first is
 * safe for real files; GB18030 is GBK's superset.
 *
 * INVARIANTS
 *   1. ERR_OK: the text is valid UTF-8; *conv owns it when converted.
 *   2. Failure: *conv is NULL, nothing leaks, and why quotes no input
 *      byte (it names offsets and kinds only).
 *   3. convert() never reads past len nor writes past its buffer; the
 *      buffer grows on E2BIG.
 */
#include "agent/csvin_decode.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"

/* What to say of a file that is not CSV text. */
#define SAVE_AS_CSV "save it as CSV (UTF-8 or GBK)"

/* Signatures of files that are not CSV text, at offset 0. */
static const struct {
    const char *sig;
    size_t len;
    int nocase;
    const char *what;
} signatures[] = {
    {"PK\x03\x04", 4, 0, "this is an Excel workbook: " SAVE_AS_CSV},
    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, 0,
     "this is an Excel workbook: " SAVE_AS_CSV},
    {"%PDF-", 5, 0, "this is a PDF document, not a table: " SAVE_AS_CSV
                    " from the spreadsheet it came from"},
    {"\x1F\x8B", 2, 0, "this is a gzip-compressed file: unpack it first"},
    {"Rar!", 4, 0, "this is a RAR archive: unpack it first"},
    {"7z\xBC\xAF\x27\x1C", 6, 0, "this is a 7-Zip archive: unpack it first"},
    {"\x89PNG", 4, 0, "this is a PNG image, not a table"},
    {"\xFF\xD8\xFF", 3, 0, "this is a JPEG image, not a table"},
    {"{\\rtf", 5, 0, "this is an RTF document (Word, WordPad): "
                     SAVE_AS_CSV " from the spreadsheet"},
    {"<?xml", 5, 1, "this is an XML file (Excel's \"XML Spreadsheet\"?): "
                    SAVE_AS_CSV},
    {"<html", 5, 1, "this is a web page (Excel's \"Web Page\"?): "
                    SAVE_AS_CSV},
    {"<!DOCTYPE", 9, 1, "this is a web page (Excel's \"Web Page\"?): "
                        SAVE_AS_CSV},
};

int csvin_decode_valid_utf8(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char b = p[i];
        size_t k = 0;
        unsigned char lo = 0x80u;
        unsigned char hi = 0xBFu;
        if (b < 0x80u) {
            i++;
            continue;
        }
        if (b >= 0xC2u && b <= 0xDFu) {
            k = 1;
        } else if (b >= 0xE0u && b <= 0xEFu) {
            k = 2;
            lo = b == 0xE0u ? 0xA0u : 0x80u;
            hi = b == 0xEDu ? 0x9Fu : 0xBFu;
        } else if (b >= 0xF0u && b <= 0xF4u) {
            k = 3;
            lo = b == 0xF0u ? 0x90u : 0x80u;
            hi = b == 0xF4u ? 0x8Fu : 0xBFu;
        } else {
            return 0;
        }
        if (len - i <= k) {
            return 0;
        }
        if (p[i + 1] < lo || p[i + 1] > hi) {
            return 0;
        }
        for (size_t j = 2; j <= k; j++) {
            if ((p[i + j] & 0xC0u) != 0x80u) {
                return 0;
            }
        }
        i += k + 1;
    }
    return 1;
}

/* Convert @p len bytes at @p data from @p from to UTF-8. On failure sets
 * *bad_at to the offset of the first byte that did not convert (SIZE_MAX:
 * no converter). @return ERR_OK or ERR_INVAL. Caller owns *out. */
static int convert(const char *from, const char *data, size_t len,
                   char **out, size_t *out_len, size_t *bad_at)
{
    int rc = ERR_OK;
    iconv_t cd = iconv_open("UTF-8", from);
    char *in_copy = NULL; /* iconv wants a non-const input pointer */
    char *res = NULL;
    size_t cap = len * 2 + 16; /* grows on E2BIG */
    size_t in_left = len;
    size_t out_left = cap;

    if (cd == (iconv_t)-1) {
        *bad_at = SIZE_MAX;
        return ERR_INVAL;
    }
    in_copy = xmalloc(len + 1);
    if (len > 0) {
        memcpy(in_copy, data, len);
    }
    res = xmalloc(cap);
    char *in = in_copy;
    char *o = res;
    while (in_left > 0) {
        if (iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1) {
            break;
        }
        if (errno == E2BIG) {
            size_t used = (size_t)(o - res);
            cap *= 2;
            res = xreallocarray(res, cap, 1);
            o = res + used;
            out_left = cap - used;
            continue;
        }
        /* EILSEQ (invalid) or EINVAL (cut at the end). */
        *bad_at = (size_t)(in - in_copy);
        rc = ERR_INVAL;
        goto out;
    }
    *out_len = (size_t)(o - res);
    *out = res;
    res = NULL;
out:
    free(res);
    free(in_copy);
    iconv_close(cd);
    return rc;
}

/* The signature's message when @p data starts with one, else NULL. */
static const char *signature(const char *data, size_t len)
{
    for (size_t i = 0; i < sizeof signatures / sizeof signatures[0]; i++) {
        size_t n = signatures[i].len;
        if (len < n) {
            continue;
        }
        if (signatures[i].nocase ? strncasecmp(data, signatures[i].sig, n)
                                         == 0
                                 : memcmp(data, signatures[i].sig, n) == 0) {
            return signatures[i].what;
        }
    }
    return NULL;
}

/* Whether the NUL bytes of the first 4 KiB all fall on one parity, as in
 * UTF-16 text (each ASCII character has a NUL half; CJK ones mostly do
 * not, so their share is no guide). */
static int looks_utf16(const unsigned char *p, size_t len)
{
    size_t zero[2] = {0, 0};
    size_t n = len < 4096 ? len : 4096;
    for (size_t i = 0; i < n; i++) {
        zero[i % 2] += p[i] == 0;
    }
    return (zero[0] >= 2 && zero[1] == 0) || (zero[1] >= 2 && zero[0] == 0);
}

int csvin_decode_text(const char *data, size_t len, char **conv, const char **text,
                size_t *text_len, char why[ERR_LEN])
{
    const unsigned char *u = (const unsigned char *)data;
    const char *what = NULL;
    size_t bad_at = 0;
    size_t skip = 0;

    *conv = NULL;
    *text = data;
    *text_len = len;
    if (len == 0) {
        return ERR_OK;
    }
    what = signature(data, len);
    if (what != NULL) {
        snprintf(why, ERR_LEN, "%s", what);
        return ERR_INVAL;
    }
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) ||
                     (u[0] == 0xFE && u[1] == 0xFF))) {
        const char *from = u[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
        if (convert(from, data + 2, len - 2, conv, text_len, &bad_at) ==
            ERR_OK) {
            *text = *conv;
            return ERR_OK;
        }
        if (bad_at == SIZE_MAX) {
            snprintf(why, ERR_LEN, "UTF-16, and iconv has no %s converter",
                     from);
        } else {
            snprintf(why, ERR_LEN,
                     "starts like %s text (a byte order mark) but is not "
                     "(byte offset %zu)",
                     from, bad_at + 2);
        }
        return ERR_INVAL;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        skip = 3;
    }
    if (csvin_decode_valid_utf8(u + skip, len - skip)) {
        return ERR_OK;
    }
    if (looks_utf16(u, len)) {
        snprintf(why, ERR_LEN,
                 "this looks like UTF-16 text without a byte order mark: "
                 "%s",
                 SAVE_AS_CSV);
        return ERR_INVAL;
    }
    /* A UTF-8 BOM means nothing in GB18030: leave it out. */
    if (convert("GB18030", data + skip, len - skip, conv, text_len,
                &bad_at) == ERR_OK) {
        *text = *conv;
        return ERR_OK;
    }
    if (bad_at == SIZE_MAX) {
        snprintf(why, ERR_LEN,
                 "not UTF-8, and iconv has no GB18030 converter");
    } else if (memchr(data, '\0', len) != NULL) {
        snprintf(why, ERR_LEN,
                 "not UTF-8 and not GBK/GB18030 text (byte offset %zu): "
                 "it holds NUL bytes, so it looks like binary data, not "
                 "a table saved as CSV",
                 bad_at + skip);
    } else {
        snprintf(why, ERR_LEN,
                 "not UTF-8 and not GBK/GB18030 text (byte offset %zu)",
                 bad_at + skip);
    }
    return ERR_INVAL;
}
