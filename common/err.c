/* err.c: text for the project's error codes.
 *
 * INVARIANTS
 *   1. Every value of enum err_code has a distinct message here.
 */
#include "common/err.h"

const char *err_str(int code)
{
    switch (code) {
    case ERR_OK: return "success";
    case ERR_NOMEM: return "out of memory";
    case ERR_IO: return "input/output error";
    case ERR_PROTO: return "protocol error";
    case ERR_NOTFOUND: return "not found";
    case ERR_FULL: return "storage full";
    case ERR_CORRUPT: return "data corrupt";
    case ERR_INVAL: return "invalid input";
    case ERR_VERSION: return "unsupported format version";
    case ERR_TIMEOUT: return "timed out";
    case ERR_DENIED: return "not authorized";
    default: return "unknown error";
    }
}
