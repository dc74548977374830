/* text.c: in-place text helpers shared by the file readers.
 *
 * Hand-edited CSV and INI files often carry "a, b" or "key = value "; the
 * catalog, the office CSV reader and the config reader all trim the same
 * two bytes, space and tab, so one definition keeps them in agreement.
 *
 * INVARIANTS
 *   1. text_trim never writes outside the string it was given and never
 *      returns a pointer past its terminating NUL.
 */
#include "common/text.h"

#include <assert.h>
#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t'; }

char *text_trim(char *s)
{
    size_t n = 0;

    assert(s != NULL);
    while (is_blank(*s)) {
        s++;
    }
    n = strlen(s);
    while (n > 0 && is_blank(s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}
