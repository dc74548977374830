/* screen.c: the width hrssctl fits its tables to.
 *
 * COLUMNS is read before the terminal because POSIX has it override the
 * terminal's own size, and because it is the one way to ask for a width
 * through a pipe (tests, `COLUMNS=100 hrssctl progress | less`). A value
 * that is not a plain decimal number in range (empty, "80x", "0",
 * "-1", huge) is ignored rather than refused: a stale or odd environment
 * must not stop a query. The terminal is asked with TIOCGWINSZ; one that
 * reports 0 columns (a serial line, some containers) counts as no
 * screen.
 *
 * INVARIANTS
 *   1. The result is 0 or 1..SCREEN_MAX.
 *   2. Nothing but the descriptor's window size is read from it.
 */
#include "admin/screen.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* COLUMNS as a width, or 0 when it is not one. */
static size_t columns_width(const char *columns)
{
    if (columns == NULL || columns[0] < '0' || columns[0] > '9') {
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(columns, &end, 10);
    if (errno != 0 || *end != '\0' || n == 0 || n > SCREEN_MAX) {
        return 0;
    }
    return (size_t)n;
}

size_t screen_width(int fd, const char *columns)
{
    size_t w = columns_width(columns);
    if (w > 0) {
        return w;
    }
    struct winsize ws;
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
        ws.ws_col <= SCREEN_MAX) {
        return ws.ws_col;
    }
    return 0;
}
