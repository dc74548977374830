/** @file cfg.h
 *  @brief INI configuration files: `[section]`, `key = value`, comments.
 *
 *  Every command-line flag of the daemons can also be set in a config file
 *  given with --config; flags win (common/flags merges the two). Keys are
 *  the long flag names without the dashes (`data-dir = /var/lib/hrss`).
 *
 *  Owns: a cfg owns a copy of every section name, key and value it read;
 *  the strings cfg_get() and cfg_unknown_key() return are borrowed, valid
 *  until cfg_destroy(). Borrows nothing: @p path, or the name and bytes
 *  given to cfg_load_mem(), are only read by the call.
 *
 *  INVARIANTS
 *    1. Section and key names match [A-Za-z0-9_.-]+ and are
 *       case-sensitive; keys before any section are in the global
 *       section "".
 *    2. A (section, key) pair appears once: a key repeated in a section
 *       is refused at load, never silently overridden; a section opened
 *       twice merges.
 *    3. A value is the text after '=', trimmed, or a quoted value without
 *       its quotes and escapes. There are no inline comments: '#' inside
 *       an unquoted value is kept.
 *    4. A file is at most 1 MiB, a line at most 4096 bytes; a NUL byte is
 *       refused.
 *    5. A loaded cfg is only read, so lookups may run from several
 *       threads.
 */
#ifndef HRSS_CFG_H
#define HRSS_CFG_H
#include <stddef.h>

#include "common/err.h"

typedef struct cfg cfg_t;

/** Parse the INI file at @p path. Lines: `[section]`, `key = value`
 *  (spaces around both trimmed; a value may be double-quoted to keep
 *  spaces), blank, or comments starting with `#` or `;`. Keys before any
 *  section belong to the global section "". A duplicate key in one section
 *  is an error.
 *  @param[out] out  Receives the config; untouched on failure.
 *  @param[out] err  On failure "PATH:LINE: reason" (or "PATH: strerror").
 *  @return ERR_OK, ERR_IO, ERR_INVAL. Caller owns *out and must
 *          cfg_destroy() it. */
int cfg_load(cfg_t **out, const char *path, char err[ERR_LEN]);

/** cfg_load() from @p len bytes in memory (the same rules and limits);
 *  @p name stands for the path in messages ("NAME:LINE: reason", or
 *  "NAME: file larger than N bytes"). The bytes are copied.
 *  @param[in]  data  Borrowed for the call; may be NULL when @p len is 0.
 *  @param[out] out   Receives the config; untouched on failure.
 *  @return ERR_OK, ERR_INVAL. Caller owns *out and must cfg_destroy()
 *          it. */
int cfg_load_mem(cfg_t **out, const char *name, const void *data,
                 size_t len, char err[ERR_LEN]);

/** Destroy and set *self_p to NULL; no-op on NULL. */
void cfg_destroy(cfg_t **self_p);

/** Value of @p key in @p section, else in the global section, else NULL.
 *  Borrowed; valid until cfg_destroy(). */
const char *cfg_get(const cfg_t *self, const char *section, const char *key);

/** Name of the first key of @p section (or the global section) that is
 *  not in the NULL-terminated list @p known, or NULL when all are known;
 *  with its line number in *line. For "unknown setting" errors. */
const char *cfg_unknown_key(const cfg_t *self, const char *section,
                            const char *const *known, int *line);

/** Parse a boolean: 1/0, true/false, yes/no, on/off.
 *  @return 1, 0, or -1 when @p s is none of these. */
int cfg_bool(const char *s);

#endif
