/** @file buf.h
 *  @brief Byte buffers: big-endian encoding and bounds-checked decoding.
 *
 *  All byte-level work on keys, records and spool entries happens here, so
 *  no other module does pointer arithmetic on stored or received bytes.
 *  Integers are big-endian so that encoded keys sort in numeric order.
 *
 *  Owns: a buf_t owns its data block, freed by buf_fini(); embed it and do
 *  not copy it while in use. A buf_reader_t owns nothing: it borrows the
 *  bytes it reads, which must stay unchanged while the reader, and any
 *  string buf_get_str() returned, is in use.
 *
 *  INVARIANTS
 *    1. len <= cap, and data is NULL only while cap == 0. A put never
 *       fails: running out of memory aborts (common/mem).
 *    2. A reader never reads outside its [p, p + len).
 *    3. Once a get runs past the end, bad stays 1, off no longer moves and
 *       every later get returns 0 or "", so one buf_done() at the end
 *       checks a whole decode.
 *    4. Each buf_get_*() reads back what the matching buf_put_*() wrote:
 *       integers big-endian, an i64 as its two's-complement u64, a string
 *       with its NUL.
 */
#ifndef HRSS_BUF_H
#define HRSS_BUF_H
#include <stddef.h>
#include <stdint.h>

/** Growable output buffer. Embed it and use buf_init()/buf_fini(). */
typedef struct buf {
    unsigned char *data; /**< owned; NULL until the first put */
    size_t len;
    size_t cap;
} buf_t;

void buf_init(buf_t *b);
void buf_fini(buf_t *b);
/** Forget the contents, keep the allocation. */
void buf_reset(buf_t *b);
/** Hand over the contents: their block, trimmed to its length (NULL when
 *  @p b holds nothing), with the length in *@p len; @p b is left empty,
 *  as buf_init() leaves it. Caller owns return value and must free() it.
 */
unsigned char *buf_take(buf_t *b, size_t *len);
void buf_put(buf_t *b, const void *p, size_t n);
void buf_put_u8(buf_t *b, uint8_t v);
void buf_put_u32(buf_t *b, uint32_t v);
void buf_put_u64(buf_t *b, uint64_t v);
void buf_put_i64(buf_t *b, int64_t v);
/** A string and its terminating NUL. */
void buf_put_str(buf_t *b, const char *s);

/** Cursor over borrowed bytes. Once a get runs past the end, `bad` stays
 *  set and every later get returns 0 or "", so a caller checks once at the
 *  end (the dropbear buf pattern). */
typedef struct buf_reader {
    const unsigned char *p; /**< borrowed */
    size_t len;
    size_t off;
    int bad;
} buf_reader_t;

void buf_reader_init(buf_reader_t *r, const void *p, size_t len);
uint8_t buf_get_u8(buf_reader_t *r);
uint32_t buf_get_u32(buf_reader_t *r);
uint64_t buf_get_u64(buf_reader_t *r);
int64_t buf_get_i64(buf_reader_t *r);
/** A NUL-terminated string inside the buffer. Borrowed; valid as long as
 *  the underlying bytes. Returns "" and sets bad if no NUL is found. */
const char *buf_get_str(buf_reader_t *r);
/** Bytes not consumed yet. */
size_t buf_remaining(const buf_reader_t *r);
/** Nonzero when every byte was consumed and no get failed. */
int buf_done(const buf_reader_t *r);

#endif
