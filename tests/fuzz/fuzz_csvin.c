/* fuzz_csvin.c: libFuzzer target for the agent's CSV reader: the input is
 * a whole office file, read by csvin_parse() with the shipped catalog as
 * the office of 杭州市 (330100) would, in December 2025.
 *
 * INVARIANTS (checked; a break aborts, and libFuzzer keeps the input)
 *   1. ERR_OK: no error text, at most CSVIN_MAX_ROWS rows, each passing
 *      update_check() against the same scope and landing on the row's
 *      catalog indicator (csvin invariant 1).
 *   2. Failure: no rows, and a non-empty error text of at most
 *      CSVIN_MAX_ERRORS + 1 lines, with no control byte but '\n'
 *      (csvin invariants 2 and 3).
 *   3. Warnings, on either outcome: NULL or a non-empty text held to the
 *      same rule as the errors.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/csvin.h"
#include "common/period.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rows(const update_scope_t *sc, const csvin_row_t *rows,
                       size_t n)
{
    if (n > CSVIN_MAX_ROWS) {
        fuzz_fail("%zu rows", n);
    }
    for (size_t i = 0; i < n; i++) {
        update_cell_t cell;
        char msg[UPDATE_MSG_LEN] = "";
        enum update_reason r = update_check(sc, &rows[i].update, &cell, msg);
        if (r != UPDATE_OK) {
            fuzz_fail("row of line %zu fails update_check: %s",
                      rows[i].line, msg);
        }
        if (cell.indicator != rows[i].indicator) {
            fuzz_fail("row of line %zu: indicator %d, update_check says %d",
                      rows[i].line, rows[i].indicator, cell.indicator);
        }
    }
}

static void check_errors(const char *errors)
{
    size_t lines = 1;
    if (errors == NULL || errors[0] == '\0') {
        fuzz_fail("failure without an error text");
    }
    for (const char *p = errors; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n') {
            lines++;
        } else if (c < 0x20 || c == 0x7f) {
            fuzz_fail("control byte 0x%02x in the error text", c);
        }
    }
    if (lines > CSVIN_MAX_ERRORS + 2) { /* a final '\n' starts no line */
        fuzz_fail("%zu error lines", lines);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const catalog_t *cat = fuzz_catalog();
    update_scope_t sc = {cat, catalog_region_find(cat, 330100),
                         month_make(2025, 12), NULL};
    csvin_row_t *rows = NULL;
    size_t n = 0;
    char *errors = NULL;
    char *warnings = NULL;
    /* The last byte says whether months before the plan are allowed, so
     * both paths are explored. */
    csvin_opts_t opts = {size > 0 && (data[size - 1] & 1u)};
    int rc = csvin_parse_ex("fuzz.csv", (const char *)data, size, &sc,
                            &opts, &rows, &n, &errors, &warnings);
    if (warnings != NULL) {
        check_errors(warnings);
    }
    if (rc == ERR_OK) {
        if (errors != NULL) {
            fuzz_fail("ERR_OK with an error text");
        }
        check_rows(&sc, rows, n);
    } else {
        if (rows != NULL || n != 0) {
            fuzz_fail("failure (%d) with %zu rows", rc, n);
        }
        check_errors(errors);
    }
    free(rows);
    free(errors);
    free(warnings);
    return 0;
}
