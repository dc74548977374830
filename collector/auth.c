/* auth.c: the agents and admins files, and the ZAP handler (see auth.h).
 *
 * Lists are built whole from both files into a fresh `lists` and swapped
 * in under the mutex, so the handler never sees half a reload and a bad
 * file changes nothing (INVARIANT 2). Keys are looked up by their Z85
 * text in a hash map; agents also by name.
 *
 * The ZAP handler follows RFC 27 with a REP socket on
 * inproc://zeromq.zap.01: a request is [version "1.0", request id,
 * domain, address, routing id, mechanism, credentials...], the reply
 * [version, request id, status code, status text, user id, metadata]. A
 * malformed request still gets a well-formed "400" when it can: libzmq
 * fails the handshake on a malformed reply.
 *
 * INVARIANTS
 *   1. `cur` is only replaced under `mu`, by the owning thread.
 *   2. Every entry's key is a valid Z85 key; every agent's `allowed` has
 *      one byte per catalog region.
 */
#include "collector/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common/file.h"
#include "common/hmap.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/wire.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
/* Largest agents or admins file. */
#define LIST_MAX_FILE (16u << 20)
/* Longest admin name (User-Id "admin:NAME"). */
#define NAME_MAX_LEN 64

enum role { ROLE_AGENT, ROLE_READ, ROLE_ADMIN };

typedef struct entry {
    char key[KEYS_Z85_LEN];
    char *name;
    enum role role;
    unsigned char *allowed; /* per catalog region index */
} entry_t;

/* One generation of both files. */
typedef struct lists {
    entry_t *agents;
    size_t n_agents;
    entry_t *admins;
    size_t n_admins;
    hmap_t *agent_by_key;
    hmap_t *agent_by_name;
    hmap_t *admin_by_key;
    auth_agent_t *views; /* auth_agent() answers, one per agent */
} lists_t;

struct auth {
    const catalog_t *cat;
    char *agents_path;
    char *admins_path;
    pthread_mutex_t mu;
    lists_t *cur;
    void *zap;
    pthread_t thread;
    int started;
    time_t last_refusal;      /* handler thread: refusals logged per second */
    unsigned long refusals_unlogged;
};

static void entries_free(entry_t *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].name);
        free(e[i].allowed);
    }
    free(e);
}

static void lists_free(lists_t *l)
{
    if (l == NULL) {
        return;
    }
    entries_free(l->agents, l->n_agents);
    entries_free(l->admins, l->n_admins);
    hmap_destroy(&l->agent_by_key);
    hmap_destroy(&l->agent_by_name);
    hmap_destroy(&l->admin_by_key);
    free(l->views);
    free(l);
}

/* ---------------------------------------------------------------------- */
/* parsing the files                                                       */

/* Mark region @p ri, and with @p subtree everything below it. */
static void allow(const catalog_t *cat, unsigned char *allowed, int ri,
                  int subtree)
{
    allowed[ri] = 1;
    if (!subtree) {
        return;
    }
    const region_t *r = catalog_region(cat, (size_t)ri);
    for (size_t i = 0; i < r->n_children; i++) {
        allow(cat, allowed, r->children[i], 1);
    }
}

/* Parse a comma-separated list of region codes, each maybe followed by
 * a slash and a star (its subtree), into a fresh region set. */
static int parse_regions(const catalog_t *cat, char *list,
                         unsigned char **out, const char *path, int line,
                         char err[ERR_LEN])
{
    unsigned char *allowed =
        xcalloc(catalog_region_count(cat), sizeof *allowed);
    for (char *tok = list; tok != NULL;) {
        char *comma = strchr(tok, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        size_t n = strlen(tok);
        int subtree = n > 2 && strcmp(tok + n - 2, "/*") == 0;
        if (subtree) {
            tok[n - 2] = '\0';
        }
        int ri = catalog_region_find_str(cat, tok);
        if (ri < 0) {
            snprintf(err, ERR_LEN, "%s:%d: '%.32s' is not a region code of "
                     "the catalog", path, line, tok);
            free(allowed);
            return ERR_INVAL;
        }
        allow(cat, allowed, ri, subtree);
        tok = comma != NULL ? comma + 1 : NULL;
    }
    *out = allowed;
    return ERR_OK;
}

/* Split @p l in place into at most @p max words separated by spaces or
 * tabs. @return how many, or max + 1 when there are more. */
static size_t words(char *l, char **w, size_t max)
{
    size_t n = 0;
    for (;;) {
        l += strspn(l, " \t");
        if (*l == '\0') {
            return n;
        }
        if (n == max) {
            return max + 1;
        }
        w[n++] = l;
        l += strcspn(l, " \t");
        if (*l != '\0') {
            *l++ = '\0';
        }
    }
}

/* Parse one non-comment line into @p e. @p admins: an admins file. */
static int parse_line(const catalog_t *cat, char *l, int admins, entry_t *e,
                      const char *path, int line, char err[ERR_LEN])
{
    char *w[4];
    size_t n = words(l, w, 4);
    if (n < 3 || n > (admins ? 4u : 3u)) {
        snprintf(err, ERR_LEN, "%s:%d: expected %s", path, line,
                 admins ? "'<public key> <name> read|admin [<regions>]'"
                        : "'<public key> <agent name> <regions>'");
        return ERR_INVAL;
    }
    if (!keys_z85_ok(w[0])) {
        snprintf(err, ERR_LEN, "%s:%d: not a 40-character Z85 public key",
                 path, line);
        return ERR_INVAL;
    }
    if (!wire_name_ok(w[1]) || strlen(w[1]) > NAME_MAX_LEN) {
        snprintf(err, ERR_LEN, "%s:%d: bad name: 1..%d characters, no "
                 "spaces or control characters", path, line, NAME_MAX_LEN);
        return ERR_INVAL;
    }
    memset(e, 0, sizeof *e);
    memcpy(e->key, w[0], KEYS_Z85_LEN);
    e->role = ROLE_AGENT;
    const char *regions = w[2];
    if (admins) {
        if (strcmp(w[2], "read") != 0 && strcmp(w[2], "admin") != 0) {
            snprintf(err, ERR_LEN, "%s:%d: the role must be read or admin, "
                     "not '%.16s'", path, line, w[2]);
            return ERR_INVAL;
        }
        e->role = strcmp(w[2], "admin") == 0 ? ROLE_ADMIN : ROLE_READ;
        regions = n == 4 ? w[3] : NULL;
    }
    char root[16];
    if (regions == NULL) {
        snprintf(root, sizeof root, "%s/*",
                 catalog_region(cat, (size_t)catalog_region_root(cat))
                     ->code_str);
        regions = root;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", regions);
    int rc = parse_regions(cat, buf, &e->allowed, path, line, err);
    if (rc == ERR_OK) {
        e->name = xstrdup(w[1]);
    }
    return rc;
}

/* The next line of *@p s; NUL-terminated in place, trimmed of a CR. */
static char *take_line(char **s)
{
    if (**s == '\0') {
        return NULL;
    }
    char *l = *s;
    char *nl = strchr(l, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *s = nl + 1;
    } else {
        *s = l + strlen(l);
    }
    size_t n = strlen(l);
    if (n > 0 && l[n - 1] == '\r') {
        l[n - 1] = '\0';
    }
    return l;
}

/* Read one list file into @p out / @p n, indexing keys (and agent
 * names) into the maps. Duplicates are errors (INVARIANT 1). */
static int read_list(const catalog_t *cat, const char *path, int admins,
                     entry_t **out, size_t *n, hmap_t *by_key,
                     hmap_t *by_name, char err[ERR_LEN])
{
    char *text = NULL;
    size_t len = 0;
    int rc = file_read(path, LIST_MAX_FILE, &text, &len, err);
    size_t cap = 0;
    entry_t *list = NULL;
    int line = 0;
    char *s = text;
    char *l;
    while (rc == ERR_OK && (l = take_line(&s)) != NULL) {
        line++;
        l += strspn(l, " \t");
        if (*l == '\0' || *l == '#') {
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            list = xreallocarray(list, cap, sizeof *list);
        }
        entry_t *e = &list[*n];
        rc = parse_line(cat, l, admins, e, path, line, err);
        if (rc != ERR_OK) {
            break;
        }
        (*n)++;
        if (hmap_get_str(by_key, e->key, NULL)) {
            snprintf(err, ERR_LEN, "%s:%d: this key is listed twice", path,
                     line);
            rc = ERR_INVAL;
        } else if (by_name != NULL && hmap_get_str(by_name, e->name, NULL)) {
            snprintf(err, ERR_LEN, "%s:%d: agent name '%s' is listed twice",
                     path, line, e->name);
            rc = ERR_INVAL;
        } else {
            hmap_put_str(by_key, e->key, (int64_t)(*n - 1));
            if (by_name != NULL) {
                hmap_put_str(by_name, e->name, (int64_t)(*n - 1));
            }
        }
    }
    free(text);
    *out = list;
    return rc;
}

/* Both files into a new generation, or NULL with @p err. */
static lists_t *lists_load(const auth_t *a, int *rc, char err[ERR_LEN])
{
    lists_t *l = xcalloc(1, sizeof *l);
    l->agent_by_key = hmap_new();
    l->agent_by_name = hmap_new();
    l->admin_by_key = hmap_new();
    *rc = read_list(a->cat, a->agents_path, 0, &l->agents, &l->n_agents,
                    l->agent_by_key, l->agent_by_name, err);
    if (*rc == ERR_OK && a->admins_path != NULL) {
        *rc = read_list(a->cat, a->admins_path, 1, &l->admins,
                        &l->n_admins, l->admin_by_key, NULL, err);
    }
    if (*rc != ERR_OK) {
        lists_free(l);
        return NULL;
    }
    l->views = xcalloc(l->n_agents ? l->n_agents : 1, sizeof *l->views);
    for (size_t i = 0; i < l->n_agents; i++) {
        l->views[i].name = l->agents[i].name;
        l->views[i].allowed = l->agents[i].allowed;
    }
    return l;
}

/* ---------------------------------------------------------------------- */
/* lifecycle                                                               */

int auth_new(auth_t **out, const catalog_t *cat, const char *agents_path,
             const char *admins_path, char err[ERR_LEN])
{
    auth_t *a = xcalloc(1, sizeof *a);
    a->cat = cat;
    a->agents_path = xstrdup(agents_path);
    a->admins_path = admins_path != NULL ? xstrdup(admins_path) : NULL;
    pthread_mutex_init(&a->mu, NULL);
    int rc = ERR_OK;
    a->cur = lists_load(a, &rc, err);
    if (a->cur == NULL) {
        auth_destroy(&a);
        return rc;
    }
    *out = a;
    return ERR_OK;
}

int auth_reload(auth_t *self, char err[ERR_LEN])
{
    int rc = ERR_OK;
    lists_t *fresh = lists_load(self, &rc, err);
    if (fresh == NULL) {
        return rc; /* INVARIANT 2: the old lists stay */
    }
    pthread_mutex_lock(&self->mu);
    lists_t *old = self->cur;
    self->cur = fresh;
    pthread_mutex_unlock(&self->mu);
    lists_free(old);
    return ERR_OK;
}

void auth_destroy(auth_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    auth_t *a = *self_p;
    auth_zap_stop(a);
    lists_free(a->cur);
    pthread_mutex_destroy(&a->mu);
    free(a->agents_path);
    free(a->admins_path);
    free(a);
    *self_p = NULL;
}

const auth_agent_t *auth_agent(const auth_t *self, const char *name)
{
    int64_t i = 0;
    if (name == NULL || !hmap_get_str(self->cur->agent_by_name, name, &i)) {
        return NULL;
    }
    return &self->cur->views[i];
}

int auth_admin_scope(auth_t *self, const char *name, unsigned char *out)
{
    int found = 0;
    pthread_mutex_lock(&self->mu);
    const lists_t *l = self->cur;
    for (size_t i = 0; i < l->n_admins && !found; i++) {
        if (strcmp(l->admins[i].name, name) == 0) {
            memcpy(out, l->admins[i].allowed,
                   catalog_region_count(self->cat));
            found = 1;
        }
    }
    pthread_mutex_unlock(&self->mu);
    return found;
}

void auth_counts(const auth_t *self, size_t *agents, size_t *admins)
{
    *agents = self->cur->n_agents;
    *admins = self->cur->n_admins;
}

/* ---------------------------------------------------------------------- */
/* the ZAP handler                                                         */

/* Receive one frame into @p buf (NUL-terminated; at most size - 1 bytes
 * kept). @return its full size, -1 on error or ETERM; *more says whether
 * frames follow. */
static int recv_frame(void *sock, char *buf, size_t size, int *more)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int n = zmq_msg_recv(&m, sock, 0);
    if (n < 0) {
        zmq_msg_close(&m);
        return -1;
    }
    size_t keep = (size_t)n < size - 1 ? (size_t)n : size - 1;
    memcpy(buf, zmq_msg_data(&m), keep);
    buf[keep] = '\0';
    *more = zmq_msg_more(&m);
    zmq_msg_close(&m);
    return n;
}

static void send_reply(void *sock, const char *reqid, size_t reqid_len,
                       const char *status, const char *text,
                       const char *user)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, reqid, reqid_len, ZMQ_SNDMORE);
    zmq_send(sock, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

/* The User-Id for a CURVE key in @p domain, or "" when it is not listed
 * there. */
static void decide(auth_t *a, const char *domain, const uint8_t key[32],
                   char *user, size_t size)
{
    char z85[KEYS_Z85_LEN];
    int64_t i = 0;
    user[0] = '\0';
    if (zmq_z85_encode(z85, key, 32) == NULL) {
        return;
    }
    pthread_mutex_lock(&a->mu);
    const lists_t *l = a->cur;
    if (strcmp(domain, AUTH_DOMAIN_INGEST) == 0 &&
        hmap_get_str(l->agent_by_key, z85, &i)) {
        snprintf(user, size, "%s", l->agents[i].name);
    } else if (strcmp(domain, AUTH_DOMAIN_QUERY) == 0 &&
               hmap_get_str(l->admin_by_key, z85, &i)) {
        snprintf(user, size, "%s:%s",
                 l->admins[i].role == ROLE_ADMIN ? "admin" : "read",
                 l->admins[i].name);
    }
    pthread_mutex_unlock(&a->mu);
}

/* Log a refused peer, at most one line a second with a count of those
 * not logged, so that a flood of bad keys cannot flood the log. */
static void log_refusal(auth_t *a, const char *domain, const char *mech,
                        const uint8_t *key, const char *address)
{
    time_t now = time(NULL);
    if (now == a->last_refusal) {
        a->refusals_unlogged++;
        return;
    }
    char z85[KEYS_Z85_LEN] = "-";
    if (key != NULL && zmq_z85_encode(z85, key, 32) == NULL) {
        snprintf(z85, sizeof z85, "?");
    }
    if (a->refusals_unlogged > 0) {
        log_warn("refused %lu more connections in the last second",
                 a->refusals_unlogged);
        a->refusals_unlogged = 0;
    }
    a->last_refusal = now;
    log_warn("refused a %s connection from %s on %s: key %s is not listed "
             "(add it to the %s file and send SIGHUP)",
             mech[0] != '\0' ? mech : "?", address, domain, z85,
             strcmp(domain, AUTH_DOMAIN_QUERY) == 0 ? "admins" : "agents");
}

/* Read and answer one ZAP request. @return -1 when the context ends. */
static int zap_one(auth_t *a)
{
    char version[8];
    char reqid[256];
    char domain[64];
    char address[64];
    char mech[16] = "";
    char junk[64];
    uint8_t key[32];
    int more = 0;
    int reqid_len = 0;
    if (recv_frame(a->zap, version, sizeof version, &more) < 0) {
        return -1;
    }
    int n = more ? recv_frame(a->zap, reqid, sizeof reqid, &more) : -1;
    reqid_len = n < 0 ? 0 : (n < (int)sizeof reqid ? n : 0);
    int ok = n >= 0 && more &&
             recv_frame(a->zap, domain, sizeof domain, &more) >= 0 && more &&
             recv_frame(a->zap, address, sizeof address, &more) >= 0 &&
             more && recv_frame(a->zap, junk, sizeof junk, &more) >= 0 &&
             more &&
             recv_frame(a->zap, mech, sizeof mech, &more) >= 0;
    int have_key = 0;
    while (ok && more) {
        char cred[64];
        int c = recv_frame(a->zap, cred, sizeof cred, &more);
        if (c < 0) {
            return -1;
        }
        if (c == 32 && !have_key) {
            memcpy(key, cred, 32);
            have_key = 1;
        }
    }
    char user[NAME_MAX_LEN + 16] = "";
    if (ok && strcmp(version, "1.0") == 0 && strcmp(mech, "CURVE") == 0 &&
        have_key) {
        decide(a, domain, key, user, sizeof user);
    }
    if (user[0] != '\0') {
        send_reply(a->zap, reqid, (size_t)reqid_len, "200", "OK", user);
    } else {
        send_reply(a->zap, reqid, (size_t)reqid_len, "400",
                   "key not listed", "");
        log_refusal(a, ok ? domain : "?", mech, have_key ? key : NULL,
                    ok ? address : "?");
    }
    return 0;
}

static void *zap_main(void *arg)
{
    auth_t *a = arg;
    while (zap_one(a) == 0) {
    }
    int linger = 0;
    zmq_setsockopt(a->zap, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(a->zap);
    a->zap = NULL;
    return NULL;
}

int auth_zap_start(auth_t *self, void *zctx, char err[ERR_LEN])
{
    self->zap = zmq_socket(zctx, ZMQ_REP);
    if (self->zap == NULL || zmq_bind(self->zap, ZAP_ENDPOINT) != 0) {
        snprintf(err, ERR_LEN, "cannot bind the ZAP handler: %s",
                 zmq_strerror(zmq_errno()));
        if (self->zap != NULL) {
            zmq_close(self->zap);
            self->zap = NULL;
        }
        return ERR_IO;
    }
    if (pthread_create(&self->thread, NULL, zap_main, self) != 0) {
        snprintf(err, ERR_LEN, "cannot start the ZAP handler's thread");
        zmq_close(self->zap);
        self->zap = NULL;
        return ERR_IO;
    }
    self->started = 1;
    return ERR_OK;
}

void auth_zap_stop(auth_t *self)
{
    if (self->started) {
        pthread_join(self->thread, NULL);
        self->started = 0;
    }
}
