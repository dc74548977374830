/* test_crc32c.c: CRC-32C (common/crc32c): the standard check value, known
 * vectors, continuation across every split, and the slice-by-8 path
 * against a bit-at-a-time reference on every length and alignment. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/crc32c.h"

/* Bit-at-a-time CRC-32C: the definition, for comparison. */
static uint32_t reference(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++) {
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        }
    }
    return ~c;
}

Test(crc32c, standard_check_value)
{
    cr_assert_eq(crc32c(0, "123456789", 9), 0xe3069283u);
    cr_assert_eq(crc32c(0, "", 0), 0u);
    unsigned char zeros[32] = {0};
    /* RFC 3720 B.4: 32 bytes of zeros. */
    cr_assert_eq(crc32c(0, zeros, sizeof zeros), 0x8a9136aau);
    unsigned char ones[32];
    memset(ones, 0xff, sizeof ones);
    cr_assert_eq(crc32c(0, ones, sizeof ones), 0x62a8ab43u);
}

Test(crc32c, equals_the_bitwise_definition_at_every_length_and_offset)
{
    unsigned char buf[300];
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] = (unsigned char)(i * 151u + 7u);
    }
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n + off <= sizeof buf; n += 1 + n / 16) {
            cr_assert_eq(crc32c(0, buf + off, n), reference(buf + off, n),
                         "offset %zu length %zu", off, n);
            cr_assert_eq(crc32c_portable(0, buf + off, n),
                         reference(buf + off, n), "table path: offset %zu "
                         "length %zu", off, n);
        }
    }
}

Test(crc32c, says_which_path_it_takes)
{
    cr_log_info("crc32c: %s", crc32c_hardware() ? "SSE4.2 instruction"
                                                : "table");
    cr_assert_eq(crc32c_portable(0, "123456789", 9), 0xe3069283u);
}

Test(crc32c, continues_across_any_split)
{
    const char *s = "浙江省人力资源和社会保障事业发展\"十四五\"规划";
    size_t n = strlen(s);
    uint32_t whole = crc32c(0, s, n);
    for (size_t i = 0; i <= n; i++) {
        cr_assert_eq(crc32c(crc32c(0, s, i), s + i, n - i), whole,
                     "split at %zu", i);
    }
}

Test(crc32c, every_single_bit_flip_changes_it)
{
    unsigned char rec[64];
    for (size_t i = 0; i < sizeof rec; i++) {
        rec[i] = (unsigned char)i;
    }
    uint32_t good = crc32c(0, rec, sizeof rec);
    for (size_t bit = 0; bit < sizeof rec * 8; bit++) {
        rec[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        cr_assert_neq(crc32c(0, rec, sizeof rec), good, "bit %zu", bit);
        rec[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
}
