/* test_buf.c: buf_take() hands a buffer's contents over and leaves it
 * empty. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

Test(buf, take_hands_over_the_contents_and_leaves_it_empty)
{
    buf_t b;
    buf_init(&b);
    for (int i = 0; i < 1000; i++) {
        buf_put(&b, "abc", 3);
    }
    size_t len = 0;
    unsigned char *p = buf_take(&b, &len);
    cr_assert_not_null(p);
    cr_assert_eq(len, 3000);
    cr_expect_eq(memcmp(p, "abc", 3), 0);
    cr_expect_eq(memcmp(p + 2997, "abc", 3), 0);
    cr_expect_null(b.data);
    cr_expect_eq(b.len, 0);
    cr_expect_eq(b.cap, 0);
    /* Usable again, independent of what was taken. */
    buf_put_u32(&b, 7);
    cr_expect_eq(b.len, 4);
    cr_expect_eq(p[0], 'a');
    free(p);
    buf_fini(&b);
}

Test(buf, take_of_an_empty_buffer_gives_null)
{
    buf_t b;
    buf_init(&b);
    size_t len = 99;
    cr_expect_null(buf_take(&b, &len));
    cr_expect_eq(len, 0);
    /* Emptied by buf_reset: its block is freed, not handed over. */
    buf_put(&b, "x", 1);
    buf_reset(&b);
    len = 99;
    cr_expect_null(buf_take(&b, &len));
    cr_expect_eq(len, 0);
    cr_expect_null(b.data);
    buf_fini(&b);
}
