/* Bounded byte readers and writers, whole-file I/O, CRC-32C. */
/* O_TMPFILE (Linux) for temporaries that vanish with a killed writer. */
#define _GNU_SOURCE
#include "internal/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- reader ------------------------------------------------------------ */

void hs__reader_init(hs__reader *r, const void *data, size_t size)
{
    r->p = (const uint8_t *)data;
    r->size = data ? size : 0;
    r->pos = 0;
    r->overrun = false;
}

size_t hs__reader_left(const hs__reader *r) { return r->size - r->pos; }

static const uint8_t *take(hs__reader *r, size_t n)
{
    if (r->overrun || n > r->size - r->pos) {
        r->overrun = true;
        r->pos = r->size;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint8_t hs__rd_u8(hs__reader *r)
{
    const uint8_t *p = take(r, 1);
    return p ? p[0] : 0;
}

uint16_t hs__rd_be16(hs__reader *r)
{
    const uint8_t *p = take(r, 2);
    return (uint16_t)(p ? (p[0] << 8) | p[1] : 0);
}

uint32_t hs__rd_be24(hs__reader *r)
{
    const uint8_t *p = take(r, 3);
    return p ? ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2] : 0;
}

uint32_t hs__rd_be32(hs__reader *r)
{
    const uint8_t *p = take(r, 4);
    return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
                   ((uint32_t)p[2] << 8) | p[3]
             : 0;
}

uint16_t hs__rd_le16(hs__reader *r)
{
    const uint8_t *p = take(r, 2);
    return (uint16_t)(p ? p[0] | (p[1] << 8) : 0);
}

uint32_t hs__rd_le32(hs__reader *r)
{
    const uint8_t *p = take(r, 4);
    return p ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                   ((uint32_t)p[3] << 24)
             : 0;
}

uint64_t hs__rd_le64(hs__reader *r)
{
    uint64_t lo = hs__rd_le32(r);
    uint64_t hi = hs__rd_le32(r);
    return lo | (hi << 32);
}

float hs__rd_lef32(hs__reader *r)
{
    uint32_t u = hs__rd_le32(r);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

bool hs__rd_bytes(hs__reader *r, void *dst, size_t n)
{
    const uint8_t *p = take(r, n);
    if (!p)
        return false;
    if (n)
        memcpy(dst, p, n);
    return true;
}

bool hs__skip(hs__reader *r, size_t n) { return take(r, n) != NULL || n == 0; }

/* ---- writer ------------------------------------------------------------ */

void hs__writer_init(hs__writer *w, const hs_allocator *alloc)
{
    memset(w, 0, sizeof *w);
    w->alloc = alloc;
}

void hs__writer_free(hs__writer *w)
{
    /* Encoded templates and images are biometric data: wipe them. */
    if (w->alloc)
        hs__free_wiped(w->alloc, w->buf, w->cap);
    w->buf = NULL;
    w->len = w->cap = 0;
}

static bool reserve(hs__writer *w, size_t n)
{
    if (w->failed)
        return false;
    if (n > SIZE_MAX - w->len) {
        w->failed = true;
        return false;
    }
    if (!w->alloc)
        return true; /* counting only */
    size_t need = w->len + n;
    if (need <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *nb = hs__realloc(w->alloc, w->buf, cap);
    if (!nb) {
        w->failed = true;
        return false;
    }
    w->buf = nb;
    w->cap = cap;
    return true;
}

void hs__wr_bytes(hs__writer *w, const void *src, size_t n)
{
    if (!reserve(w, n))
        return;
    if (w->alloc && n)
        memcpy(w->buf + w->len, src, n);
    w->len += n;
}

void hs__wr_u8(hs__writer *w, uint8_t v) { hs__wr_bytes(w, &v, 1); }

void hs__wr_be16(hs__writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    hs__wr_bytes(w, b, 2);
}

void hs__wr_be24(hs__writer *w, uint32_t v)
{
    uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    hs__wr_bytes(w, b, 3);
}

void hs__wr_be32(hs__writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    hs__wr_bytes(w, b, 4);
}

void hs__wr_le16(hs__writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    hs__wr_bytes(w, b, 2);
}

void hs__wr_le32(hs__writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    hs__wr_bytes(w, b, 4);
}

void hs__wr_le64(hs__writer *w, uint64_t v)
{
    hs__wr_le32(w, (uint32_t)v);
    hs__wr_le32(w, (uint32_t)(v >> 32));
}

void hs__wr_lef32(hs__writer *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    hs__wr_le32(w, u);
}

void hs__wr_patch_be32(hs__writer *w, size_t off, uint32_t v)
{
    if (!w->alloc || w->failed || off > w->len || w->len - off < 4)
        return;
    uint8_t *b = w->buf + off;
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

void hs__wr_patch_le32(hs__writer *w, size_t off, uint32_t v)
{
    if (!w->alloc || w->failed || off > w->len || w->len - off < 4)
        return;
    uint8_t *b = w->buf + off;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

hs_status hs__writer_output(hs_ctx *ctx, const hs__writer *w, void *buf, size_t *size)
{
    if (!size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "size pointer is NULL");
    if (w->failed)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory while encoding");
    if (!buf) {
        *size = w->len;
        return HS_OK;
    }
    if (*size < w->len) {
        size_t have = *size;
        *size = w->len;
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL,
                         "output needs %zu bytes, buffer has %zu", w->len, have);
    }
    if (w->len)
        memcpy(buf, w->buf, w->len);
    *size = w->len;
    return HS_OK;
}

/* ---- files ------------------------------------------------------------- */

hs_status hs__read_file(hs_ctx *ctx, const char *path, uint8_t **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    if (!path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "path is NULL");
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer; the file type is checked before anything is read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return hs__error(ctx, HS_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return hs__error(ctx, HS_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return hs__error(ctx, HS_ERR_IO, "%s: not a regular file (%s)", path,
                         S_ISDIR(st.st_mode)    ? "a directory"
                         : S_ISFIFO(st.st_mode) ? "a FIFO"
                         : S_ISCHR(st.st_mode)  ? "a character device"
                         : S_ISBLK(st.st_mode)  ? "a block device"
                         : S_ISSOCK(st.st_mode) ? "a socket"
                                                : "another file type");
    }
    uint64_t max = hs__limit(ctx, HS_LIMIT_MAX_FILE_BYTES);
    if (st.st_size < 0 || (uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return hs__error(ctx, HS_ERR_LIMIT,
                         "%s: %lld bytes exceeds the file limit of %llu (HS_LIMIT_MAX_FILE_BYTES)",
                         path, (long long)st.st_size, (unsigned long long)max);
    }
    size_t n = (size_t)st.st_size;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    uint8_t *buf = hs__malloc(a, n);
    if (!buf) {
        close(fd);
        return hs__error(ctx, HS_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : 0;
            close(fd);
            hs__free_wiped(a, buf, got);
            if (e)
                return hs__error(ctx, HS_ERR_IO, "%s: read error: %s", path, strerror(e));
            return hs__error(ctx, HS_ERR_IO, "%s: file shrank while being read", path);
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *size = n;
    return HS_OK;
}

/* Random part of a temporary name: the kernel's random bytes where there
 * are any, mixed with the time, the process and the attempt (O_EXCL makes
 * a guessed name harmless: it only costs a retry). */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static uint64_t temp_nonce(const void *where, unsigned attempt)
{
    uint64_t r = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &r, sizeof r) != (ssize_t)sizeof r)
            r = 0;
        close(fd);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return r ^ mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                     ((uint64_t)getpid() << 12) ^ (uint64_t)(uintptr_t)where ^ attempt);
}

/* The directory part of path ("." when there is none), in a new buffer. */
static char *dir_of(const hs_allocator *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *d = hs__malloc(a, n + 1);
    if (!d)
        return NULL;
    if (!slash)
        d[0] = '.';
    else
        memcpy(d, slash == path ? "/" : path, n);
    d[n] = '\0';
    return d;
}

hs_status hs__atomic_open(hs_ctx *ctx, hs__atomic_file *af, const char *path, uint32_t flags)
{
    memset(af, 0, sizeof *af);
    af->fd = -1;
    if (!path || !*path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "path is NULL or empty");
    af->alloc = hs__ctx_allocator(ctx);
    af->path = path;
    af->dir = dir_of(af->alloc, path);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = af->dir ? strlen(af->dir) : 0, cap = dlen + strlen(base) + 40;
    af->tmp = af->dir ? hs__malloc(af->alloc, cap) : NULL;
    if (!af->tmp) {
        hs__free(af->alloc, af->dir);
        af->dir = NULL;
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    /* The temporary file lives in the target's directory (rename does not
     * cross file systems), under a fresh random name, created exclusively:
     * neither a symlink planted there nor an old temporary file is used. */
    mode_t mode = (flags & HS_FILE_PRIVATE) ? 0600 : 0666;
    snprintf(af->tmp, cap, "%s/.%s.hs-%016llx.tmp", af->dir, base,
             (unsigned long long)temp_nonce(af, 0));
#ifdef O_TMPFILE
    /* Linked in by its /proc/self/fd name at commit, so /proc must be there. */
    if (access("/proc/self/fd", X_OK) == 0) {
        af->fd = open(af->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
        if (af->fd >= 0) {
            af->unnamed = 1;
            return HS_OK;
        }
    }
#endif
    for (unsigned attempt = 0; attempt < 16; attempt++) {
        snprintf(af->tmp, cap, "%s/.%s.hs-%016llx.tmp", af->dir, base,
                 (unsigned long long)temp_nonce(af, attempt));
        af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (af->fd >= 0 || errno != EEXIST)
            break;
    }
    if (af->fd < 0) {
        hs_status s = hs__error(ctx, HS_ERR_IO, "%s: cannot create a temporary file in %s: %s",
                                path, af->dir, strerror(errno));
        hs__free(af->alloc, af->tmp);
        hs__free(af->alloc, af->dir);
        af->tmp = af->dir = NULL;
        return s;
    }
    return HS_OK;
}

void hs__atomic_abort(hs__atomic_file *af)
{
    if (af->fd >= 0)
        close(af->fd);
    if (af->tmp && !af->unnamed)
        unlink(af->tmp);
    hs__free(af->alloc, af->tmp);
    hs__free(af->alloc, af->dir);
    af->fd = -1;
    af->tmp = af->dir = NULL;
}

hs_status hs__atomic_commit(hs_ctx *ctx, hs__atomic_file *af)
{
    hs_status s = HS_OK;
    if (fsync(af->fd) != 0) {
        s = hs__error(ctx, HS_ERR_IO, "%s: fsync: %s", af->path, strerror(errno));
        hs__atomic_abort(af);
        return s;
    }
    if (af->unnamed) {
        /* Only now, with every byte on disk, does the file get a name. */
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", af->fd);
        int r = -1;
        for (unsigned attempt = 0; attempt < 16; attempt++) {
            r = linkat(AT_FDCWD, proc, AT_FDCWD, af->tmp, AT_SYMLINK_FOLLOW);
            if (r == 0 || errno != EEXIST)
                break;
            /* another random part in place: "...hs-<16 hex>.tmp" */
            char hex[17];
            snprintf(hex, sizeof hex, "%016llx", (unsigned long long)temp_nonce(af, attempt + 1));
            memcpy(af->tmp + strlen(af->tmp) - 20, hex, 16);
        }
        if (r != 0) {
            s = hs__error(ctx, HS_ERR_IO, "%s: cannot link the temporary file: %s", af->path,
                          strerror(errno));
            hs__atomic_abort(af);
            return s;
        }
        af->unnamed = 0;
    }
    int r = close(af->fd);
    af->fd = -1;
    if (r != 0) {
        s = hs__error(ctx, HS_ERR_IO, "%s: close: %s", af->path, strerror(errno));
        hs__atomic_abort(af);
        return s;
    }
    if (rename(af->tmp, af->path) != 0) {
        s = hs__error(ctx, HS_ERR_IO, "%s: rename: %s", af->path, strerror(errno));
        hs__atomic_abort(af);
        return s;
    }
    /* The rename is durable once the directory is on disk. Some file
     * systems refuse fsync on a directory: the rename stands then. */
    int dfd = open(af->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        s = hs__error(ctx, HS_ERR_IO, "%s: %s", af->dir, strerror(errno));
    } else {
        if (fsync(dfd) != 0 && errno != EINVAL && errno != EBADF)
            s = hs__error(ctx, HS_ERR_IO, "%s: fsync: %s", af->dir, strerror(errno));
        close(dfd);
    }
    hs__free(af->alloc, af->tmp);
    hs__free(af->alloc, af->dir);
    af->tmp = af->dir = NULL;
    return s;
}

hs_status hs__write_file_atomic(hs_ctx *ctx, const char *path, const void *data, size_t size,
                                uint32_t flags)
{
    if (!data && size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "data is NULL");
    hs__atomic_file af;
    hs_status s = hs__atomic_open(ctx, &af, path, flags);
    if (s)
        return s;
    const uint8_t *p = (const uint8_t *)data;
    size_t left = size;
    while (left) {
        ssize_t w = write(af.fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s = hs__error(ctx, HS_ERR_IO, "%s: write failed: %s", path,
                          w < 0 ? strerror(errno) : "no progress");
            hs__atomic_abort(&af);
            return s;
        }
        p += w;
        left -= (size_t)w;
    }
    return hs__atomic_commit(ctx, &af);
}

/* ---- public file helpers ----------------------------------------------- */

hs_status hs_file_read(hs_ctx *ctx, void **data, size_t *size, const char *path)
{
    if (!data || !size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "file_read: NULL output");
    uint8_t *buf;
    hs_status s = hs__read_file(ctx, path, &buf, size);
    *data = buf;
    return s;
}

hs_status hs__load_file(hs_ctx *ctx, void *out, const char *path, hs__decode_fn decode,
                        const void *arg)
{
    uint8_t *data;
    size_t size;
    hs_status s = hs__read_file(ctx, path, &data, &size);
    if (!s) {
        s = decode(ctx, out, data, size, arg);
        hs__free_wiped(hs__ctx_allocator(ctx), data, size);
    }
    return s;
}

void hs_file_free(hs_ctx *ctx, void *data, size_t size)
{
    hs__free_wiped(hs__ctx_allocator(ctx), data, size);
}

hs_status hs_file_save(hs_ctx *ctx, const char *path, const void *data, size_t size,
                       uint32_t flags)
{
    if (flags & ~(uint32_t)HS_FILE_PRIVATE)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "unknown file flags 0x%x",
                         (unsigned)(flags & ~(uint32_t)HS_FILE_PRIVATE));
    return hs__write_file_atomic(ctx, path, data, size, flags);
}

/* ---- writer lock ---------------------------------------------------------- */

/* With the writer lock held no save of path is under way, so a temporary
 * of path still there was left by a writer that died (where the file system
 * has no unnamed temporaries, or between naming and renaming): remove it,
 * it may hold biometric data. */
static void remove_stale_temporaries(const hs_allocator *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char prefix[512];
    if (strlen(base) + 6 >= sizeof prefix)
        return;
    char *dir = dir_of(a, path);
    if (!dir)
        return; /* out of memory: the next writer cleans up */
    int pn = snprintf(prefix, sizeof prefix, ".%s.hs-", base);
    DIR *d = opendir(dir);
    hs__free(a, dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n == (size_t)pn + 20 && !strncmp(e->d_name, prefix, (size_t)pn) &&
            !strcmp(e->d_name + n - 4, ".tmp"))
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

struct hs_file_lock {
    hs_allocator alloc;
    int fd;
};

hs_status hs_file_lock_acquire(hs_ctx *ctx, hs_file_lock **out, const char *path, uint32_t flags)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!path || (flags & ~HS_FILE_LOCK_NOWAIT))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "lock: NULL path or unknown flag");
    const hs_allocator *a = hs__ctx_allocator(ctx);
    size_t n = strlen(path);
    char *lp = hs__malloc(a, n + 6);
    hs_file_lock *l = hs__malloc(a, sizeof *l);
    if (!lp || !l) {
        hs__free(a, lp);
        hs__free(a, l);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    memcpy(lp, path, n);
    memcpy(lp + n, ".lock", 6);
    hs_status st = HS_OK;
    int fd = open(lp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    struct stat sb;
    if (fd < 0) {
        st = hs__error(ctx, HS_ERR_IO, "%s: cannot open the lock file: %s", lp, strerror(errno));
    } else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = hs__error(ctx, HS_ERR_IO, "%s: the lock file is not a regular file", lp);
    } else {
        int r;
        do
            r = flock(fd, LOCK_EX | ((flags & HS_FILE_LOCK_NOWAIT) ? LOCK_NB : 0));
        while (r != 0 && errno == EINTR);
        if (r != 0)
            st = errno == EWOULDBLOCK
                     ? hs__error(ctx, HS_ERR_LOCKED, "%s: locked by another writer", path)
                     : hs__error(ctx, HS_ERR_IO, "%s: cannot lock: %s", lp, strerror(errno));
    }
    hs__free(a, lp);
    if (st) {
        if (fd >= 0)
            close(fd);
        hs__free(a, l);
        return st;
    }
    l->alloc = *a;
    l->fd = fd;
    remove_stale_temporaries(a, path);
    *out = l;
    return HS_OK;
}

void hs_file_lock_release(hs_file_lock *lock)
{
    if (!lock)
        return;
    flock(lock->fd, LOCK_UN);
    close(lock->fd);
    HS__OBJECT_FREE(lock, hs_file_lock, 0);
}

/* ---- CRC-32C ----------------------------------------------------------- */

/* Bitwise-reflected CRC-32C (Castagnoli), polynomial 0x82F63B78. Watchlist
 * files of a hundred thousand subjects are over 100 MB and their checksum
 * was most of the load time, so the CPU's CRC-32C instruction is used where
 * there is one (x86-64 SSE4.2, AArch64 CRC extension: about 20x the table),
 * chosen at run time; elsewhere a byte table (const: no mutable state). */
static const uint32_t crc32c_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
    0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
    0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
    0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
    0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
    0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
    0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
    0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
    0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
    0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
    0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
    0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
    0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
    0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
    0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
    0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
    0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
    0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
    0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
    0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
    0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
    0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
    0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
    0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
    0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

uint32_t hs__crc32c_portable(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (n--)
        crc = (crc >> 8) ^ crc32c_table[(crc ^ *p++) & 255u];
    return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HS__CRC_HW 1
#define HS__CRC_TARGET __attribute__((target("sse4.2")))
#define HS__CRC_U8(c, b) __builtin_ia32_crc32qi((c), (b))
#define HS__CRC_U64(c, w) ((uint32_t)__builtin_ia32_crc32di((c), (w)))
static bool crc_hw(void) { return __builtin_cpu_supports("sse4.2"); }
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
/* built for a CPU with the CRC extension: no check needed */
#include <arm_acle.h>
#define HS__CRC_HW 1
#define HS__CRC_TARGET
#define HS__CRC_U8(c, b) __crc32cb((c), (b))
#define HS__CRC_U64(c, w) __crc32cd((c), (w))
static bool crc_hw(void) { return true; }
#elif defined(__aarch64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
/* generic AArch64 build (GCC): the extension is checked at run time */
#include <sys/auxv.h>
#define HS__CRC_HW 1
#define HS__CRC_TARGET __attribute__((target("+crc")))
#define HS__CRC_U8(c, b) __builtin_aarch64_crc32cb((c), (b))
#define HS__CRC_U64(c, w) __builtin_aarch64_crc32cx((c), (w))
static bool crc_hw(void) { return (getauxval(AT_HWCAP) & (1ul << 7)) != 0; /* HWCAP_CRC32 */ }
#endif

#ifdef HS__CRC_HW
HS__CRC_TARGET static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n && ((uintptr_t)p & 7u)) {
        crc = HS__CRC_U8(crc, *p++);
        n--;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        crc = HS__CRC_U64(crc, w);
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = HS__CRC_U8(crc, *p++);
    return ~crc;
}

uint32_t hs__crc32c(uint32_t crc, const void *data, size_t n)
{
    if (n >= 16 && crc_hw())
        return crc32c_hw(crc, (const uint8_t *)data, n);
    return hs__crc32c_portable(crc, data, n);
}
#else
uint32_t hs__crc32c(uint32_t crc, const void *data, size_t n)
{
    return hs__crc32c_portable(crc, data, n);
}
#endif
