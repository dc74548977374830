/* perm.c: which permission stops this user from using a path (perm.h).
 *
 * Asked after a failure, never before (the answer is for the message,
 * not a decision): each directory from the root to the path's own is
 * asked for search permission, then the parent for write permission
 * (to create), then the path itself. faccessat(AT_EACCESS) answers for
 * the effective ids, as the open or mkdir that failed was checked; root
 * is told yes for everything but a read-only file system.
 *
 * INVARIANTS
 *   1. Nothing is written or changed: faccessat, stat, getpwuid only.
 *   2. The text is "" or names a path, what is missing, and the user.
 */
#include "common/perm.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int perm_errno(int err)
{
    return err == EACCES || err == EPERM || err == EROFS;
}

static void user_name(char *out, size_t cap)
{
    struct passwd *pw = getpwuid(geteuid());
    if (pw != NULL) {
        snprintf(out, cap, "%s", pw->pw_name);
    } else {
        snprintf(out, cap, "uid %u", (unsigned)geteuid());
    }
}

/* " (owner NAME, mode 0750)" of @p path, or "". */
static void owner_mode(const char *path, char *out, size_t cap)
{
    struct stat sb;
    out[0] = '\0';
    if (stat(path, &sb) != 0) {
        return;
    }
    struct passwd *pw = getpwuid(sb.st_uid);
    char owner[64];
    if (pw != NULL) {
        snprintf(owner, sizeof owner, "%s", pw->pw_name);
    } else {
        snprintf(owner, sizeof owner, "uid %u", (unsigned)sb.st_uid);
    }
    snprintf(out, cap, " (owner %s, mode %04o)", owner,
             (unsigned)(sb.st_mode & 07777));
}

/* Whether this process may @p mode the path: 1 yes, 0 no (errno says
 * why), -1 it does not exist. */
static int may(const char *path, int mode)
{
    if (faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0) {
        return 1;
    }
    return errno == ENOENT || errno == ENOTDIR ? -1 : 0;
}

/* "the directory P is not WHAT by user U (owner, mode)" into @p out. */
static char *say(const char *path, int is_dir, const char *what, char *out,
                 size_t cap)
{
    char user[64];
    char om[128];
    if (errno == EROFS) {
        snprintf(out, cap, "%.300s is on a read-only file system", path);
        return out;
    }
    user_name(user, sizeof user);
    owner_mode(path, om, sizeof om);
    snprintf(out, cap, "the %s %.300s is not %s by user %s%s",
             is_dir ? "directory" : "file", path, what, user, om);
    return out;
}

char *perm_why(const char *path, enum perm_want want, char *out,
               size_t cap)
{
    char abs[4096];
    out[0] = '\0';
    if (path[0] == '/') {
        snprintf(abs, sizeof abs, "%s", path);
    } else {
        char cwd[2048];
        if (getcwd(cwd, sizeof cwd) == NULL) {
            return out;
        }
        snprintf(abs, sizeof abs, "%s/%s", cwd, path);
    }
    size_t len = strlen(abs);
    while (len > 1 && abs[len - 1] == '/') {
        abs[--len] = '\0';
    }
    /* Each directory on the way: search permission. */
    char dir[4096];
    for (size_t i = 1; i < len; i++) {
        if (abs[i] != '/') {
            continue;
        }
        snprintf(dir, sizeof dir, "%.*s", (int)i, abs);
        int ok = may(dir, X_OK);
        if (ok < 0) {
            return out; /* missing: not a permission problem */
        }
        if (ok == 0) {
            return say(dir, 1, "searchable (x)", out, cap);
        }
    }
    if (want == PERM_CREATE) {
        const char *slash = strrchr(abs, '/');
        snprintf(dir, sizeof dir, "%.*s",
                 slash == abs ? 1 : (int)(slash - abs), abs);
        if (may(dir, W_OK | X_OK) == 0) {
            return say(dir, 1, "writable", out, cap);
        }
        return out;
    }
    struct stat sb;
    int is_dir = stat(abs, &sb) == 0 && S_ISDIR(sb.st_mode);
    int mode = want == PERM_READ ? R_OK : R_OK | W_OK;
    if (is_dir) {
        mode |= X_OK;
    }
    if (may(abs, mode) == 0) {
        return say(abs, is_dir, want == PERM_READ ? "readable" : "writable",
                   out, cap);
    }
    return out;
}

char *perm_why_lmdb(const char *dir, int readonly, char *out, size_t cap)
{
    char path[4200];
    perm_why(dir, readonly ? PERM_READ : PERM_WRITE, out, cap);
    const char *file[] = {"data.mdb", "lock.mdb"};
    for (size_t i = 0; i < 2 && out[0] == '\0'; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, file[i]);
        struct stat sb;
        if (stat(path, &sb) != 0) {
            perm_why(path, PERM_CREATE, out, cap);
        } else {
            perm_why(path, readonly && i == 0 ? PERM_READ : PERM_WRITE, out,
                     cap);
        }
    }
    return out;
}
