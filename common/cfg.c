/* cfg.c: INI configuration files for the daemons' --config option.
 *
 * The file is read whole (common/file, at most CFG_MAX_FILE bytes), or
 * taken from memory (cfg_load_mem, the same limit), copied, and split
 * into lines at LF; a CR before the LF is dropped, so CRLF files
 * load too.
 * Each line, with surrounding spaces and tabs trimmed, is one of:
 *
 *   (empty)                      skipped
 *   # text   or   ; text        comment, skipped
 *   [name]                       starts section "name" (spaces inside the
 *                                brackets are trimmed)
 *   key = value                  value trimmed; may be "double quoted" to
 *                                keep spaces, with \" and \\ inside
 *
 * Names of keys and sections are [A-Za-z0-9_.-]+ and case-sensitive.
 * There are no inline comments: an unquoted value runs to the end of the
 * line ('#' is a legal character in a password or a path), and anything
 * but blanks after a closing quote or a closing bracket is an error, so a
 * stray "# note" never silently changes a value.
 *
 * A section may be opened more than once; its keys merge, and a key given
 * twice in one section is an error wherever the second one is. Entries
 * keep file order (cfg_unknown_key reports the first unknown one) and are
 * also indexed by (section, key) in a common/hmap, so a large hostile file
 * costs linear time.
 *
 * INVARIANTS
 *   1. Every entry's section and key match [A-Za-z0-9_.-]+ (section may
 *      also be "", the global section); section/key pairs are unique.
 *   2. index maps exactly the n entries' (section, key) pairs, each to
 *      that entry's position in e[].
 *   3. A cfg handed out carries magic CFG_MAGIC; destroy overwrites it.
 */
#include "common/cfg.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/file.h"
#include "common/hmap.h"
#include "common/mem.h"
#include "common/text.h"

/* Longest line in bytes, not counting the line end. */
#define CFG_MAX_LINE 4096
/* Largest config file (1 MiB). */
#define CFG_MAX_FILE ((size_t)1 << 20)

#define CFG_MAGIC 0x43464731u /* "CFG1" */
#define CFG_DEAD 0xDEADBEEFu

struct cfg_entry {
    char *section; /* "" for the global section */
    char *key;
    char *value;
    int line;
};

struct cfg {
    uint32_t magic;
    struct cfg_entry *e; /* file order */
    size_t n;
    size_t cap;
    hmap_t *index; /* section NUL key -> index in e */
};

#ifndef NDEBUG
static void check_invariants(const cfg_t *self)
{
    assert(self != NULL);
    assert(self->magic == CFG_MAGIC);
    assert(self->n <= self->cap);
    assert(hmap_count(self->index) == self->n);
}
#else
#define check_invariants(self) ((void)0)
#endif

/* --- the (section, key) index ----------------------------------------- */

/* The index key of (section, key): the bytes section, NUL, key. Names
 * hold no NUL, so ("ab", "c") and ("a", "bc") stay apart. Caller frees. */
static char *pair_of(const char *section, const char *key, size_t *len)
{
    size_t sl = strlen(section);
    size_t kl = strlen(key);
    char *pair = xmalloc(sl + 1 + kl);
    memcpy(pair, section, sl + 1);
    memcpy(pair + sl + 1, key, kl);
    *len = sl + 1 + kl;
    return pair;
}

/* Entry for (section, key) in exactly that section, or NULL. */
static const struct cfg_entry *lookup(const cfg_t *self, const char *section,
                                      const char *key)
{
    size_t len = 0;
    int64_t at = 0;
    char *pair = pair_of(section, key, &len);
    int found = hmap_get(self->index, pair, len, &at);
    free(pair);
    return found ? &self->e[at] : NULL;
}

/* Append an entry the caller checked is not a duplicate. */
static void add_entry(cfg_t *self, const char *section, const char *key,
                      const char *value, int line)
{
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 16;
        self->e = xreallocarray(self->e, self->cap, sizeof *self->e);
    }
    struct cfg_entry *e = &self->e[self->n];
    e->section = xstrdup(section);
    e->key = xstrdup(key);
    e->value = xstrdup(value);
    e->line = line;
    size_t len = 0;
    char *pair = pair_of(section, key, &len);
    int fresh = hmap_put(self->index, pair, len, (int64_t)self->n);
    assert(fresh == 1);
    (void)fresh;
    free(pair);
    self->n++;
}

/* --- parsing ---------------------------------------------------------- */

static int is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static int is_name(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s; s++) {
        if (!is_name_char(*s)) {
            return 0;
        }
    }
    return 1;
}

__attribute__((format(printf, 4, 5))) static int
line_error(char err[ERR_LEN], const char *path, int line, const char *fmt,
           ...)
{
    va_list ap;
    int n = 0;

    if (err == NULL) {
        return ERR_INVAL;
    }
    /* A path near ERR_LEN long leaves no room for the reason, which is
     * then cut short; the location always comes first. */
    n = snprintf(err, ERR_LEN, "%s:%d: ", path, line);
    if (n >= 0 && n < ERR_LEN) {
        va_start(ap, fmt);
        vsnprintf(err + n, (size_t)(ERR_LEN - n), fmt, ap);
        va_end(ap);
    }
    return ERR_INVAL;
}

/* Unquote the value at @p v (starting with '"') in place. Returns 0 when
 * the quote is unterminated, -1 when text follows the closing quote. */
static int unquote(char *v)
{
    char *in = v + 1;
    char *out = v;
    for (;;) {
        if (*in == '\0') {
            return 0;
        }
        if (*in == '"') {
            in++;
            break;
        }
        if (*in == '\\' && (in[1] == '"' || in[1] == '\\')) {
            in++;
        }
        *out++ = *in++;
    }
    *out = '\0';
    return *text_trim(in) == '\0' ? 1 : -1;
}

/* Parse the section header line @p s ("[name]") into @p section. */
static int parse_section(char *s, char *section, const char *path, int line,
                         char err[ERR_LEN])
{
    char *close = strchr(s, ']');
    if (close == NULL) {
        return line_error(err, path, line, "unterminated section header");
    }
    if (*text_trim(close + 1) != '\0') {
        return line_error(err, path, line, "text after section header");
    }
    *close = '\0';
    const char *name = text_trim(s + 1);
    if (!is_name(name)) {
        return line_error(err, path, line,
                          "bad section name '%s' (expected letters, "
                          "digits, '_', '.', '-')",
                          name);
    }
    memmove(section, name, strlen(name) + 1);
    return ERR_OK;
}

/* Parse one trimmed, non-empty, non-comment line @p s. @p section is the
 * current section (CFG_MAX_LINE + 1 bytes), updated by a header line. */
static int parse_line(cfg_t *self, char *s, char *section, const char *path,
                      int line, char err[ERR_LEN])
{
    int rc = ERR_OK;
    char *eq = NULL;
    char *key = NULL;
    char *value = NULL;
    const struct cfg_entry *prev = NULL;

    if (s[0] == '[') {
        rc = parse_section(s, section, path, line, err);
        goto out;
    }

    eq = strchr(s, '=');
    if (eq == NULL) {
        rc = line_error(err, path, line, "expected key = value");
        goto out;
    }
    *eq = '\0';
    key = text_trim(s);
    value = text_trim(eq + 1);
    if (!is_name(key)) {
        if (*key == '\0') {
            rc = line_error(err, path, line, "expected key = value");
        } else {
            rc = line_error(err, path, line,
                            "bad key '%s' (expected letters, digits, '_', "
                            "'.', '-')",
                            key);
        }
        goto out;
    }
    if (value[0] == '"') {
        int q = unquote(value);
        if (q == 0) {
            rc = line_error(err, path, line, "unterminated quoted value");
            goto out;
        }
        if (q < 0) {
            rc = line_error(err, path, line, "text after closing quote");
            goto out;
        }
    }
    prev = lookup(self, section, key);
    if (prev != NULL) {
        if (section[0] == '\0') {
            rc = line_error(err, path, line,
                            "duplicate key '%s' in the global section "
                            "(first on line %d)",
                            key, prev->line);
        } else {
            rc = line_error(err, path, line,
                            "duplicate key '%s' in section [%s] "
                            "(first on line %d)",
                            key, section, prev->line);
        }
        goto out;
    }
    add_entry(self, section, key, value, line);

out:
    return rc;
}

/* Parse the @p len bytes at @p data, which the parser may change: they
 * are followed by one spare byte (file_read's NUL). @p name is for
 * messages. */
static int parse_text(cfg_t **out, const char *name, char *data, size_t len,
                      char err[ERR_LEN])
{
    int rc = ERR_OK;
    size_t pos = 0;
    int line = 0;
    char *section = NULL;
    cfg_t *self = NULL;

    self = xcalloc(1, sizeof *self);
    self->magic = CFG_MAGIC;
    self->index = hmap_new();
    section = xcalloc(CFG_MAX_LINE + 1, 1);

    while (pos < len) {
        char *s = data + pos;
        size_t n = 0;
        line++;
        while (pos + n < len && s[n] != '\n') {
            if (s[n] == '\0') {
                rc = line_error(err, name, line, "NUL byte");
                goto fail;
            }
            n++;
        }
        pos += n + 1; /* past the LF, or one past the end */
        if (n > 0 && s[n - 1] == '\r') {
            n--;
        }
        if (n > CFG_MAX_LINE) {
            rc = line_error(err, name, line, "line longer than %d bytes",
                            CFG_MAX_LINE);
            goto fail;
        }
        s[n] = '\0';
        s = text_trim(s);
        if (s[0] == '\0' || s[0] == '#' || s[0] == ';') {
            continue;
        }
        rc = parse_line(self, s, section, name, line, err);
        if (rc != ERR_OK) {
            goto fail;
        }
    }
    check_invariants(self);
    *out = self;
    self = NULL;

fail:
    cfg_destroy(&self);
    free(section);
    return rc;
}

int cfg_load(cfg_t **out, const char *path, char err[ERR_LEN])
{
    int rc = ERR_OK;
    char *data = NULL;
    size_t len = 0;

    assert(out != NULL);
    assert(path != NULL);
    rc = file_read(path, CFG_MAX_FILE, &data, &len, err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = parse_text(out, path, data, len, err);

out:
    free(data);
    return rc;
}

int cfg_load_mem(cfg_t **out, const char *name, const void *data,
                 size_t len, char err[ERR_LEN])
{
    int rc = ERR_OK;
    char *copy = NULL;

    assert(out != NULL);
    assert(name != NULL);
    assert(data != NULL || len == 0);
    if (len > CFG_MAX_FILE) {
        if (err != NULL) {
            snprintf(err, ERR_LEN, "%s: file larger than %zu bytes", name,
                     CFG_MAX_FILE);
        }
        rc = ERR_INVAL;
        goto out;
    }
    /* The parser cuts lines in place and needs one spare byte. */
    copy = xmalloc(len + 1);
    if (len > 0) {
        memcpy(copy, data, len);
    }
    copy[len] = '\0';
    rc = parse_text(out, name, copy, len, err);

out:
    free(copy);
    return rc;
}

void cfg_destroy(cfg_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    cfg_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++) {
        free(self->e[i].section);
        free(self->e[i].key);
        free(self->e[i].value);
    }
    free(self->e);
    hmap_destroy(&self->index);
    self->magic = CFG_DEAD;
    free(self);
    *self_p = NULL;
}

const char *cfg_get(const cfg_t *self, const char *section, const char *key)
{
    const struct cfg_entry *e = NULL;

    check_invariants(self);
    assert(key != NULL);
    if (section != NULL && section[0] != '\0') {
        e = lookup(self, section, key);
    }
    if (e == NULL) {
        e = lookup(self, "", key);
    }
    return e != NULL ? e->value : NULL;
}

const char *cfg_unknown_key(const cfg_t *self, const char *section,
                            const char *const *known, int *line)
{
    check_invariants(self);
    assert(known != NULL);
    if (section == NULL) {
        section = "";
    }
    for (size_t i = 0; i < self->n; i++) {
        const struct cfg_entry *e = &self->e[i];
        int found = 0;
        if (e->section[0] != '\0' && strcmp(e->section, section) != 0) {
            continue;
        }
        for (size_t k = 0; known[k] != NULL; k++) {
            if (strcmp(known[k], e->key) == 0) {
                found = 1;
                break;
            }
        }
        if (!found) {
            if (line != NULL) {
                *line = e->line;
            }
            return e->key;
        }
    }
    if (line != NULL) {
        *line = 0;
    }
    return NULL;
}

int cfg_bool(const char *s)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};

    if (s == NULL) {
        return -1;
    }
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            return 1;
        }
        if (strcasecmp(s, no[i]) == 0) {
            return 0;
        }
    }
    return -1;
}
