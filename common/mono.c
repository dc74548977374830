/* mono.c: the monotonic clock in the two units the daemons use.
 *
 * Design
 * ------
 * One clock_gettime(CLOCK_MONOTONIC) each; five modules had their own
 * copy of the same four lines.
 *
 * INVARIANTS
 *   1. Neither value ever decreases within a process.
 */
#include "common/mono.h"

#include <time.h>

int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
