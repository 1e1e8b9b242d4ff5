/* The device's audit log: an append-only file of hash-chained entries, each
 * signed with the device's Ed25519 key. Formats and threat model:
 * docs/audit.md.
 *
 * Log file ("audit.log"):
 *   header (72 bytes)
 *     0  8  magic "HSAUDIT1"
 *     8  2  format version (1)          10  2  header size (72)
 *    12  4  flags (0)                   16 16  log id (random)
 *    32  8  creation time (ms, UTC)     40 32  device public key at creation
 *   entries, one after the other (140..588 bytes each, little-endian)
 *     0  4  length of the entry (all of it, signature included)
 *     4  4  event                        8  8  sequence number (0, 1, ...)
 *    16  8  time (ms, UTC)              24  4  decision (-1 = none)
 *    28  4  count                       32  2  operator bytes
 *    34  2  ref bytes                   36  2  detail bytes
 *    38  2  reserved (0)                40 32  hash of the previous entry
 *                                              (of the header for entry 0)
 *    72  .  operator, ref, detail (UTF-8, no terminator)
 *     . 64  Ed25519 signature of "hotspot audit entry 1\0" + the bytes before
 *     .  4  length of the entry again (end marker: the last entry is found
 *           from the end of the file)
 *   An entry's hash is BLAKE2b-256 of all its bytes, signature and end
 *   marker included.
 *
 * Export (hs_audit_export):
 *     0  8  magic "HSAUDEX1"             8  2  version (1)
 *    10  6  reserved (0)                16  8  from (first sequence number)
 *    24  8  to (one past the last)      32 72  the log's header
 *   104  .  entries from .. to-1, as stored
 *     . 32  hash of entry to-1 (of the header when to is 0)
 *     .  8  export time (ms, UTC)
 *     . 64  Ed25519 signature of "hotspot audit head 1\0" + log id + to
 *           (8 bytes) + that hash + the time
 */
#define _GNU_SOURCE
#include "internal/core.h"
#include "internal/watchlist.h" /* hs__wl_utf8_ok */
#include "hotspot/audit.h"
#include "hotspot/device.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef HOTSPOT_HAVE_SODIUM
#include <sodium.h>
#endif

#define LOG_MAGIC "HSAUDIT1"
#define EXP_MAGIC "HSAUDEX1"
#define FORMAT_VERSION 1
#define HDR 72
#define EXP_HDR (32 + HDR)
#define FIXED 72
#define SIG 64
#define FOOT 4 /* the entry's length again, so that the last entry can be found from the end */
#define ENTRY_MIN (FIXED + SIG + FOOT)
#define ENTRY_MAX (ENTRY_MIN + HS_AUDIT_OPERATOR_MAX + HS_AUDIT_REF_MAX + HS_AUDIT_DETAIL_MAX)
#define TRAILER (32 + 8 + SIG)
#define EVENT_MAX 8
#define KEY_PREFIX "ed25519:"
#define ENTRY_DOMAIN "hotspot audit entry 1"
#define HEAD_DOMAIN "hotspot audit head 1"
#define NONE UINT64_MAX

static const size_t str_max[3] = {HS_AUDIT_OPERATOR_MAX, HS_AUDIT_REF_MAX, HS_AUDIT_DETAIL_MAX};
static const char *const str_name[3] = {"operator_id", "ref", "detail"};

/* ---- little-endian helpers ------------------------------------------------ */

#ifdef HOTSPOT_HAVE_SODIUM /* the writers and the clock serve appends and exports */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif

/* ---- entry framing (no cryptography) -------------------------------------- */

/* UTF-8 without C0, DEL or C1 controls (a C1 control is U+0080..U+009F,
 * encoded C2 80..C2 9F), so that `audit show` prints nothing a terminal
 * would act on. */
static bool text_ok(const uint8_t *s, size_t n)
{
    if (!hs__wl_utf8_ok(s, n))
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == 0xc2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
            return false;
    return true;
}

typedef struct rec {
    uint32_t len, event, count;
    int32_t decision;
    uint64_t seq;
    int64_t time_ms;
    uint16_t slen[3];
    const uint8_t *base, *prev, *str[3], *sig;
} rec;

/* Parse one entry at p (avail bytes to the end of the input; @p off its
 * offset, for messages). HS_ERR_TRUNCATED when the input ends inside it
 * (*torn set: an incomplete tail), else a framing error or HS_OK. */
static hs_status parse_rec(hs_ctx *ctx, rec *r, const uint8_t *p, size_t avail, uint64_t off,
                           uint64_t index, bool *torn)
{
    *torn = false;
    if (avail < 4 || avail < hs__get_le32(p)) {
        if (avail >= 4 && (hs__get_le32(p) < ENTRY_MIN || hs__get_le32(p) > ENTRY_MAX))
            goto bad_len;
        /* A torn write leaves a prefix of the entry: what is there must
         * agree with the length, so that a damaged length field in an
         * earlier entry is corruption, never mistaken for a torn tail. */
        if (avail >= 40) {
            size_t total = ENTRY_MIN;
            for (int i = 0; i < 3; i++)
                total += hs__get_le16(p + 32 + 2 * i);
            if (total != hs__get_le32(p) || hs__get_le16(p + 38) != 0)
                return hs__error(ctx, HS_ERR_CORRUPT,
                                 "entry %llu (offset %llu): length %u disagrees with its fields "
                                 "(%zu) or reserved bytes set",
                                 (unsigned long long)index, (unsigned long long)off,
                                 (unsigned)hs__get_le32(p), total);
        }
        if (avail >= 16 && hs__get_le64(p + 8) != index)
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "entry %llu (offset %llu): sequence number %llu, %llu expected",
                             (unsigned long long)index, (unsigned long long)off,
                             (unsigned long long)hs__get_le64(p + 8), (unsigned long long)index);
        *torn = true;
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "entry %llu (offset %llu): incomplete, %zu bytes to the end",
                         (unsigned long long)index, (unsigned long long)off, avail);
    }
    r->len = hs__get_le32(p);
    if (r->len < ENTRY_MIN || r->len > ENTRY_MAX)
        goto bad_len;
    r->base = p;
    r->event = hs__get_le32(p + 4);
    r->seq = hs__get_le64(p + 8);
    r->time_ms = (int64_t)hs__get_le64(p + 16);
    r->decision = (int32_t)hs__get_le32(p + 24);
    r->count = hs__get_le32(p + 28);
    size_t total = ENTRY_MIN;
    for (int i = 0; i < 3; i++) {
        r->slen[i] = hs__get_le16(p + 32 + 2 * i);
        if (r->slen[i] > str_max[i])
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "entry %llu (offset %llu): %s of %u bytes (at most %zu)",
                             (unsigned long long)index, (unsigned long long)off, str_name[i],
                             (unsigned)r->slen[i], str_max[i]);
        total += r->slen[i];
    }
    if (hs__get_le16(p + 38) != 0 || total != r->len)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "entry %llu (offset %llu): length %u disagrees with its fields (%zu) "
                         "or reserved bytes set",
                         (unsigned long long)index, (unsigned long long)off, (unsigned)r->len,
                         total);
    r->prev = p + 40;
    const uint8_t *s = p + FIXED;
    for (int i = 0; i < 3; i++) {
        r->str[i] = s;
        if (!text_ok(s, r->slen[i]))
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "entry %llu (offset %llu): %s is not printable UTF-8",
                             (unsigned long long)index, (unsigned long long)(off + (uint64_t)(s - p)),
                             str_name[i]);
        s += r->slen[i];
    }
    r->sig = s;
    if (hs__get_le32(s + SIG) != r->len)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "entry %llu (offset %llu): its end marker (%u) disagrees with its "
                         "length (%u)",
                         (unsigned long long)index, (unsigned long long)(off + r->len - FOOT),
                         (unsigned)hs__get_le32(s + SIG), (unsigned)r->len);
    return HS_OK;
bad_len:
    return hs__error(ctx, HS_ERR_CORRUPT, "entry %llu (offset %llu): length %u (%d..%d)",
                     (unsigned long long)index, (unsigned long long)off, (unsigned)hs__get_le32(p),
                     ENTRY_MIN, ENTRY_MAX);
}

/* The header of a log file (72 bytes at p). */
static hs_status check_header(hs_ctx *ctx, const uint8_t *p, size_t avail, uint64_t off)
{
    if (avail < 8 || memcmp(p, LOG_MAGIC, 8) != 0) {
        if (avail < 8 && !memcmp(p, LOG_MAGIC, avail))
            return hs__error(ctx, HS_ERR_TRUNCATED, "audit log header truncated (%zu bytes)",
                             avail);
        return hs__error(ctx, HS_ERR_FORMAT, "not an audit log (bad magic at offset %llu)",
                         (unsigned long long)off);
    }
    if (avail < HDR)
        return hs__error(ctx, HS_ERR_TRUNCATED, "audit log header truncated (%zu of %d bytes)",
                         avail, HDR);
    unsigned v = hs__get_le16(p + 8);
    if (v != FORMAT_VERSION)
        return hs__error(ctx, v > FORMAT_VERSION ? HS_ERR_VERSION : HS_ERR_CORRUPT,
                         "audit log format version %u (this library reads %d)", v,
                         FORMAT_VERSION);
    if (hs__get_le16(p + 10) != HDR || hs__get_le32(p + 12) != 0)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "audit log header (offset %llu): size %u (expected %d) or flags set",
                         (unsigned long long)off, (unsigned)hs__get_le16(p + 10), HDR);
    return HS_OK;
}

/* The layout of an input: log file or export. */
typedef struct layout {
    int exported;
    const uint8_t *hdr;    /* the log header */
    size_t first;          /* offset of the first entry */
    size_t end;            /* offset one past the entries (the trailer of an export) */
    uint64_t from, to;     /* export range; a log: 0 and unknown */
} layout;

static hs_status parse_layout(hs_ctx *ctx, layout *l, const uint8_t *p, size_t size)
{
    memset(l, 0, sizeof *l);
    if (size >= 8 && !memcmp(p, EXP_MAGIC, 8)) {
        if (size < EXP_HDR + TRAILER)
            return hs__error(ctx, HS_ERR_TRUNCATED, "audit export of %zu bytes (at least %d)",
                             size, EXP_HDR + TRAILER);
        unsigned v = hs__get_le16(p + 8);
        if (v != FORMAT_VERSION)
            return hs__error(ctx, v > FORMAT_VERSION ? HS_ERR_VERSION : HS_ERR_CORRUPT,
                             "audit export format version %u (this library reads %d)", v,
                             FORMAT_VERSION);
        for (int i = 10; i < 16; i++)
            if (p[i])
                return hs__error(ctx, HS_ERR_CORRUPT, "audit export: reserved byte %d set", i);
        l->exported = 1;
        l->from = hs__get_le64(p + 16);
        l->to = hs__get_le64(p + 24);
        if (l->to < l->from)
            return hs__error(ctx, HS_ERR_CORRUPT, "audit export: range %llu..%llu",
                             (unsigned long long)l->from, (unsigned long long)l->to);
        hs_status s = check_header(ctx, p + 32, size - 32, 32);
        if (s)
            return s;
        l->hdr = p + 32;
        l->first = EXP_HDR;
        l->end = size - TRAILER;
        return HS_OK;
    }
    hs_status s = check_header(ctx, p, size, 0);
    if (s)
        return s;
    l->hdr = p;
    l->first = HDR;
    l->end = size;
    return HS_OK;
}

/* ---- cryptography ------------------------------------------------------------ */

#ifdef HOTSPOT_HAVE_SODIUM

static void hash_bytes(uint8_t out[32], const uint8_t *p, size_t n)
{
    crypto_generichash(out, 32, p, n, NULL, 0);
}

/* Sign or verify "domain\0" + msg (msg at most ENTRY_MAX bytes). */
static size_t domain_msg(uint8_t *buf, const char *domain, const uint8_t *msg, size_t n)
{
    size_t d = strlen(domain) + 1;
    memcpy(buf, domain, d);
    memcpy(buf + d, msg, n);
    return d + n;
}

static void sign_msg(uint8_t sig[64], const char *domain, const uint8_t *msg, size_t n,
                     const uint8_t sk[64])
{
    uint8_t buf[32 + ENTRY_MAX];
    size_t len = domain_msg(buf, domain, msg, n);
    crypto_sign_detached(sig, NULL, buf, len, sk);
}

static bool verify_msg(const uint8_t sig[64], const char *domain, const uint8_t *msg, size_t n,
                       const uint8_t pk[32])
{
    uint8_t buf[32 + ENTRY_MAX];
    size_t len = domain_msg(buf, domain, msg, n);
    return crypto_sign_verify_detached(sig, buf, len, pk) == 0;
}

/* The head message: log id, count, hash, time. */
static size_t head_msg(uint8_t *m, const uint8_t log_id[16], uint64_t count,
                       const uint8_t hash[32], int64_t time_ms)
{
    memcpy(m, log_id, 16);
    hs__put_le64(m + 16, count);
    memcpy(m + 24, hash, 32);
    hs__put_le64(m + 56, (uint64_t)time_ms);
    return 64;
}

#endif

#ifdef HOTSPOT_HAVE_SODIUM

/* A KEY_CHANGE entry's ref naming the new key: "ed25519:" + 64 lowercase
 * hex digits. Returns 1 and the key, 0 when the ref is not of that form. */
static int key_ref(const uint8_t *s, size_t n, uint8_t key[32])
{
    size_t pl = strlen(KEY_PREFIX);
    if (n != pl + 64 || memcmp(s, KEY_PREFIX, pl) != 0)
        return 0;
    for (size_t i = 0; i < 32; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            uint8_t c = s[pl + 2 * i + (size_t)k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0)
                return 0;
            v = v * 16 + d;
        }
        key[i] = (uint8_t)v;
    }
    return 1;
}

static bool has_key_prefix(const uint8_t *s, size_t n)
{
    size_t pl = strlen(KEY_PREFIX);
    return n >= pl && !memcmp(s, KEY_PREFIX, pl);
}

#endif

const char *hs_audit_event_name(uint32_t event)
{
    static const char *const names[EVENT_MAX + 1] = {
        "unknown",      "search",     "package_install", "outbox_append", "outbox_export",
        "outbox_ack",   "outbox_purge", "key_change",     "unlock_failed"};
    return event <= EVENT_MAX ? names[event] : "unknown";
}

/* ---- the appending handle ------------------------------------------------------ */

struct hs_audit {
    hs_allocator alloc;
    char *path; /* dir/audit.log */
    int fd;
    uint32_t flags;
    uint64_t max_bytes;
    uint8_t secret[64];
    uint8_t pub[32];
    uint8_t key[32]; /* the key in force for the next entry */
    uint8_t header[HDR];
    uint64_t count; /* next sequence number */
    uint8_t last_hash[32];
    int64_t last_time;
    uint64_t end; /* bytes of header and complete entries */
};

#ifdef HOTSPOT_HAVE_SODIUM

static hs_status full_pread(hs_ctx *ctx, const hs_audit *l, uint8_t *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(l->fd, buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return hs__error(ctx, HS_ERR_IO, "%s: read: %s", l->path,
                             r < 0 ? strerror(errno) : "file shrank");
        got += (size_t)r;
    }
    return HS_OK;
}

static hs_status flush_fd(hs_ctx *ctx, const hs_audit *l)
{
    if (fdatasync(l->fd) != 0)
        return hs__error(ctx, HS_ERR_IO, "%s: fdatasync: %s", l->path, strerror(errno));
    return HS_OK;
}

/* Read the entries from l->end to the end of the file (entries appended by
 * others, or all of them at open): framing, sequence and hash links;
 * advance the chain; follow key changes. An incomplete last entry (its
 * writer died: appenders hold the lock while they write) is cut off. The
 * last complete entry read is copied to last/last_key (when not NULL) for
 * its signature check. */
static hs_status catch_up(hs_ctx *ctx, hs_audit *l, uint8_t *last, uint32_t *last_len,
                          uint8_t last_key[32])
{
    struct stat st;
    if (fstat(l->fd, &st) != 0)
        return hs__error(ctx, HS_ERR_IO, "%s: %s", l->path, strerror(errno));
    /* the path must still name the file this handle appends to: a log
     * removed or replaced under a running app would swallow its entries */
    struct stat pst;
    if (stat(l->path, &pst) != 0 || pst.st_dev != st.st_dev || pst.st_ino != st.st_ino)
        return hs__error(ctx, HS_ERR_STATE, "%s: the log file was removed or replaced: reopen",
                         l->path);
    uint64_t size = (uint64_t)st.st_size;
    if (size < l->end)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "%s: the file shrank from %llu to %llu bytes under the writer",
                         l->path, (unsigned long long)l->end, (unsigned long long)size);
    enum { WIN = 65536 };
    uint8_t *win = NULL;
    hs_status s = HS_OK;
    while (l->end < size) {
        if (!win && !(win = hs__malloc(&l->alloc, WIN)))
            return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        size_t avail = size - l->end < WIN ? (size_t)(size - l->end) : WIN;
        if ((s = full_pread(ctx, l, win, avail, l->end)))
            break;
        size_t off = 0;
        for (;;) {
            rec r;
            bool torn;
            const uint8_t *p = win + off;
            s = parse_rec(ctx, &r, p, avail - off, l->end + off, l->count, &torn);
            if (s == HS_ERR_TRUNCATED && torn) {
                s = HS_OK;
                if (l->end + avail == size) {
                    /* the window reaches the end of the file: an incomplete
                     * last entry, whose writer died; cut it off */
                    uint64_t cut = l->end + off;
                    if (ftruncate(l->fd, (off_t)cut) != 0)
                        s = hs__error(ctx, HS_ERR_IO, "%s: cannot cut an incomplete entry: %s",
                                      l->path, strerror(errno));
                    else
                        s = flush_fd(ctx, l);
                    size = cut;
                }
                break;
            }
            if (s)
                break;
            if (r.seq != l->count) {
                s = hs__error(ctx, HS_ERR_CORRUPT,
                              "%s: entry at offset %llu has sequence number %llu, %llu expected",
                              l->path, (unsigned long long)(l->end + off),
                              (unsigned long long)r.seq, (unsigned long long)l->count);
                break;
            }
            if (sodium_memcmp(r.prev, l->last_hash, 32) != 0) {
                s = hs__error(ctx, HS_ERR_CORRUPT,
                              "%s: entry %llu (offset %llu) does not link to the one before",
                              l->path, (unsigned long long)r.seq,
                              (unsigned long long)(l->end + off));
                break;
            }
            if (last) {
                memcpy(last, p, r.len);
                *last_len = r.len;
                memcpy(last_key, l->key, 32);
            }
            hash_bytes(l->last_hash, p, r.len);
            if (r.event == HS_AUDIT_KEY_CHANGE)
                key_ref(r.str[1], r.slen[1], l->key);
            l->last_time = r.time_ms;
            l->count++;
            off += r.len;
        }
        /* the entries read so far are part of the chain state either way */
        l->end += off;
        if (s)
            break;
        if (off == 0 && l->end < size) {
            /* cannot happen: a window holds any whole entry */
            s = hs__error(ctx, HS_ERR_INTERNAL, "%s: no progress at offset %llu", l->path,
                          (unsigned long long)l->end);
            break;
        }
    }
    hs__free(&l->alloc, win);
    return s;
}

static hs_status lock_log(hs_ctx *ctx, hs_audit *l, hs_file_lock **lock)
{
    return hs_file_lock_acquire(ctx, lock, l->path,
                                (l->flags & HS_AUDIT_NOWAIT) ? HS_FILE_LOCK_NOWAIT : 0);
}

/* Create the header of a new (or torn-at-creation, empty) log. */
static hs_status write_header(hs_ctx *ctx, hs_audit *l)
{
    uint8_t *h = l->header;
    memset(h, 0, HDR);
    memcpy(h, LOG_MAGIC, 8);
    hs__put_le16(h + 8, FORMAT_VERSION);
    hs__put_le16(h + 10, HDR);
    randombytes_buf(h + 16, 16);
    hs__put_le64(h + 32, (uint64_t)now_ms());
    memcpy(h + 40, l->pub, 32);
    if (ftruncate(l->fd, 0) != 0)
        return hs__error(ctx, HS_ERR_IO, "%s: %s", l->path, strerror(errno));
    ssize_t w;
    do
        w = write(l->fd, h, HDR);
    while (w < 0 && errno == EINTR);
    if (w != HDR)
        return hs__error(ctx, HS_ERR_IO, "%s: write: %s", l->path,
                         w < 0 ? strerror(errno) : "short write");
    return flush_fd(ctx, l);
}

static hs_status fsync_dir(hs_ctx *ctx, const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return hs__error(ctx, HS_ERR_IO, "%s: %s", dir, strerror(errno));
    int r = fsync(dfd);
    int e = errno;
    close(dfd);
    if (r != 0 && e != EINVAL && e != EBADF)
        return hs__error(ctx, HS_ERR_IO, "%s: fsync: %s", dir, strerror(e));
    return HS_OK;
}

/* The quick open of a log that ends with a complete entry signed by this
 * handle's key: found from the end (its end marker gives its length), its
 * framing, signature and sequence number checked, the chain continued from
 * it without reading the rest (hs_audit_verify reads the rest). False when
 * anything disagrees: the caller then reads the log from the start, which
 * cuts an incomplete tail and says precisely what is wrong. */
static bool open_from_end(hs_audit *l, uint64_t size)
{
    uint8_t e[ENTRY_MAX];
    if (size < HDR + ENTRY_MIN || full_pread(NULL, l, e, FOOT, size - FOOT))
        return false;
    uint32_t n = hs__get_le32(e);
    if (n < ENTRY_MIN || n > ENTRY_MAX || n > size - HDR || full_pread(NULL, l, e, n, size - n))
        return false;
    rec r;
    bool torn;
    if (parse_rec(NULL, &r, e, n, size - n, 0, &torn) || r.len != n)
        return false;
    /* seq+1 entries between the header and the end */
    uint64_t body = size - HDR;
    if (r.seq >= body / ENTRY_MIN || body > (r.seq + 1) * (uint64_t)ENTRY_MAX)
        return false;
    if (!verify_msg(r.sig, ENTRY_DOMAIN, e, n - SIG - FOOT, l->pub))
        return false;
    uint8_t key[32];
    memcpy(key, l->pub, 32);
    if (r.event == HS_AUDIT_KEY_CHANGE)
        key_ref(r.str[1], r.slen[1], key);
    if (sodium_memcmp(key, l->pub, 32) != 0)
        return false; /* the slow path explains */
    l->end = size;
    l->count = r.seq + 1;
    hash_bytes(l->last_hash, e, n);
    l->last_time = r.time_ms;
    memcpy(l->key, key, 32);
    return true;
}

static hs_status open_locked(hs_ctx *ctx, hs_audit *l, const char *dir)
{
    bool created = false;
    l->fd = open(l->path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (l->fd >= 0)
        created = true;
    else if (errno == EEXIST)
        l->fd = open(l->path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (l->fd < 0)
        return hs__error(ctx, HS_ERR_IO, "%s: %s", l->path, strerror(errno));
    struct stat st;
    if (fstat(l->fd, &st) != 0)
        return hs__error(ctx, HS_ERR_IO, "%s: %s", l->path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return hs__error(ctx, HS_ERR_IO, "%s: not a regular file", l->path);
    hs_status s;
    uint64_t size = (uint64_t)st.st_size;
    if (size < HDR) {
        /* A new log, or one whose creation was cut short (the header is
         * written once, in one write): start it afresh. Anything else
         * this short is not ours. */
        uint8_t head[HDR];
        if (size && (s = full_pread(ctx, l, head, (size_t)size, 0)))
            return s;
        if (memcmp(head, LOG_MAGIC, size < 8 ? (size_t)size : 8) != 0)
            return hs__error(ctx, HS_ERR_FORMAT, "%s: not an audit log (bad magic)", l->path);
        if ((s = write_header(ctx, l)))
            return s;
        if (created && (s = fsync_dir(ctx, dir)))
            return s;
        l->end = HDR;
        hash_bytes(l->last_hash, l->header, HDR);
        memcpy(l->key, l->pub, 32);
        return HS_OK;
    }
    if ((s = full_pread(ctx, l, l->header, HDR, 0)))
        return s;
    if ((s = check_header(ctx, l->header, HDR, 0))) {
        char m[HS__ERRMSG_MAX];
        snprintf(m, sizeof m, "%s", hs_ctx_last_error(ctx));
        return hs__error(ctx, s, "%s: %s", l->path, m);
    }
    if (size > HDR && open_from_end(l, size))
        return HS_OK;
    /* A new log, an incomplete last entry, a key change or damage: read
     * every entry from the start. */
    l->end = HDR;
    l->count = 0;
    hash_bytes(l->last_hash, l->header, HDR);
    memcpy(l->key, l->header + 40, 32);
    uint8_t last[ENTRY_MAX], last_key[32];
    uint32_t last_len = 0;
    if ((s = catch_up(ctx, l, last, &last_len, last_key)))
        return s;
    if (last_len && !verify_msg(last + last_len - SIG - FOOT, ENTRY_DOMAIN, last,
                                last_len - SIG - FOOT, last_key))
        return hs__error(ctx, HS_ERR_SIGNATURE,
                         "%s: the last entry (%llu) does not verify: run hs_audit_verify()",
                         l->path, (unsigned long long)(l->count - 1));
    if (sodium_memcmp(l->key, l->pub, 32) != 0)
        return hs__error(ctx, HS_ERR_STATE,
                         "%s: the log is signed by another device key (log a key change with "
                         "the old key first)",
                         l->path);
    return HS_OK;
}

hs_status hs_audit_open(hs_ctx *ctx, hs_audit **out, const char *dir,
                        const uint8_t device_sign_secret[64], const hs_audit_options *opts)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!dir || !*dir || !device_sign_secret)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "audit_open: NULL or empty argument");
    hs_audit_options o = HS_AUDIT_OPTIONS_INIT;
    hs_status s = hs__struct_in(ctx, &o, sizeof o, opts, sizeof o, "hs_audit_options");
    if (s)
        return s;
    if (o.flags & ~HS_AUDIT_NOWAIT)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "audit options: unknown flags 0x%x",
                         (unsigned)(o.flags & ~HS_AUDIT_NOWAIT));
    if (sodium_init() < 0)
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    hs_audit *l = HS__OBJECT_ALLOC(ctx, &s, hs_audit);
    if (!l)
        return s;
    size_t dl = strlen(dir), fl = strlen(HS_AUDIT_FILE_NAME);
    char *path = hs__malloc(&l->alloc, dl + fl + 2);
    if (!path) {
        hs__free(&l->alloc, l);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    memcpy(path, dir, dl);
    path[dl] = '/';
    memcpy(path + dl + 1, HS_AUDIT_FILE_NAME, fl + 1);
    l->path = path;
    l->fd = -1;
    l->flags = o.flags;
    l->max_bytes = o.max_bytes;
    memcpy(l->secret, device_sign_secret, 64);
    if ((s = hs_device_sign_public(ctx, l->pub, l->secret))) {
        hs_audit_close(l);
        return s;
    }
    hs_file_lock *lock;
    if ((s = lock_log(ctx, l, &lock))) {
        hs_audit_close(l);
        return s;
    }
    s = open_locked(ctx, l, dir);
    hs_file_lock_release(lock);
    if (s) {
        hs_audit_close(l);
        return s;
    }
    *out = l;
    return HS_OK;
}

/* Check an entry given to append; returns its strings and their lengths. */
static hs_status check_entry(hs_ctx *ctx, hs_audit_entry *e, const hs_audit_entry *in,
                             const char *str[3], size_t len[3])
{
    hs_audit_entry def = HS_AUDIT_ENTRY_INIT;
    *e = def;
    hs_status s = hs__struct_in(ctx, e, sizeof *e, in, sizeof *e, "hs_audit_entry");
    if (s)
        return s;
    if (e->event < 1 || e->event > EVENT_MAX)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "audit entry: event %u (1..%d)",
                         (unsigned)e->event, EVENT_MAX);
    if (e->time_ms < 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "audit entry: negative time");
    str[0] = e->operator_id;
    str[1] = e->ref;
    str[2] = e->detail;
    for (int i = 0; i < 3; i++) {
        len[i] = str[i] ? strnlen(str[i], str_max[i] + 1) : 0;
        if (len[i] > str_max[i])
            return hs__error(ctx, HS_ERR_INVALID_ARG, "audit entry: %s longer than %zu bytes",
                             str_name[i], str_max[i]);
        if (!text_ok((const uint8_t *)(str[i] ? str[i] : ""), len[i]))
            return hs__error(ctx, HS_ERR_INVALID_ARG,
                             "audit entry: %s is not UTF-8 or has a control character",
                             str_name[i]);
    }
    if (e->event == HS_AUDIT_KEY_CHANGE && has_key_prefix((const uint8_t *)(str[1] ? str[1] : ""), len[1])) {
        uint8_t k[32];
        if (!key_ref((const uint8_t *)str[1], len[1], k))
            return hs__error(ctx, HS_ERR_INVALID_ARG,
                             "audit entry: a key change ref is \"ed25519:\" and 64 lowercase hex "
                             "digits");
    }
    return HS_OK;
}

hs_status hs_audit_append(hs_ctx *ctx, hs_audit *l, const hs_audit_entry *entry)
{
    if (!l || !entry)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "audit_append: NULL argument");
    hs_audit_entry e;
    const char *str[3];
    size_t len[3];
    hs_status s = check_entry(ctx, &e, entry, str, len);
    if (s)
        return s;
    hs_file_lock *lock;
    if ((s = lock_log(ctx, l, &lock)))
        return s;
    if ((s = catch_up(ctx, l, NULL, NULL, NULL)))
        goto out;
    if (sodium_memcmp(l->key, l->pub, 32) != 0) {
        s = hs__error(ctx, HS_ERR_STATE,
                      "%s: the device key was changed (entry %llu): reopen with the new key",
                      l->path, (unsigned long long)(l->count - 1));
        goto out;
    }
    uint8_t r[ENTRY_MAX];
    size_t n = ENTRY_MIN + len[0] + len[1] + len[2];
    if (l->max_bytes && l->end + n > l->max_bytes) {
        s = hs__error(ctx, HS_ERR_FULL, "%s: %llu bytes, an entry of %zu would pass the limit of %llu",
                      l->path, (unsigned long long)l->end, n, (unsigned long long)l->max_bytes);
        goto out;
    }
    int64_t t = e.time_ms ? e.time_ms : now_ms();
    hs__put_le32(r, (uint32_t)n);
    hs__put_le32(r + 4, e.event);
    hs__put_le64(r + 8, l->count);
    hs__put_le64(r + 16, (uint64_t)t);
    hs__put_le32(r + 24, (uint32_t)e.decision);
    hs__put_le32(r + 28, e.count);
    size_t o = FIXED;
    for (int i = 0; i < 3; i++) {
        hs__put_le16(r + 32 + 2 * i, (uint16_t)len[i]);
        if (len[i])
            memcpy(r + o, str[i], len[i]);
        o += len[i];
    }
    hs__put_le16(r + 38, 0);
    memcpy(r + 40, l->last_hash, 32);
    sign_msg(r + o, ENTRY_DOMAIN, r, o, l->secret);
    hs__put_le32(r + o + SIG, (uint32_t)n);
    /* One write on the O_APPEND file; a short write (disk full) is cut back
     * so that no half entry stays behind this writer's back. */
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(l->fd, r + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = w < 0 ? errno : ENOSPC;
            if (done && ftruncate(l->fd, (off_t)l->end) == 0)
                (void)fdatasync(l->fd);
            s = hs__error(ctx, HS_ERR_IO, "%s: write: %s", l->path, strerror(err));
            goto out;
        }
        done += (size_t)w;
    }
    if ((s = flush_fd(ctx, l))) {
        /* The entry may or may not be durable; the next catch_up re-reads
         * it if it is, so the chain stays right either way. */
        goto out;
    }
    hash_bytes(l->last_hash, r, n);
    if (e.event == HS_AUDIT_KEY_CHANGE)
        key_ref(r + FIXED + len[0], len[1], l->key);
    l->last_time = t;
    l->count++;
    l->end += n;
out:
    hs_file_lock_release(lock);
    return s;
}

#endif /* HOTSPOT_HAVE_SODIUM */

void hs_audit_close(hs_audit *l)
{
    if (!l)
        return;
    if (l->fd >= 0)
        close(l->fd);
    hs__free(&l->alloc, l->path);
    HS__OBJECT_FREE(l, hs_audit, sizeof *l);
}

hs_status hs_audit_head_get(hs_ctx *ctx, hs_audit_head *head, const hs_audit *l)
{
    if (!head || !l)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "audit_head_get: NULL argument");
    hs_audit_head h = HS_AUDIT_HEAD_INIT;
    h.count = l->count;
    memcpy(h.log_id, l->header + 16, 16);
    memcpy(h.last_hash, l->last_hash, 32);
    h.time_ms = l->count ? l->last_time : 0;
    return hs__struct_out(ctx, head, &h, sizeof h, sizeof h, "hs_audit_head");
}

#ifdef HOTSPOT_HAVE_SODIUM

hs_status hs_audit_export(hs_ctx *ctx, void *buf, size_t *size, hs_audit *l, uint64_t from,
                          uint64_t to)
{
    if (!size || !l)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "audit_export: NULL argument");
    hs_file_lock *lock;
    hs_status s = lock_log(ctx, l, &lock);
    if (s)
        return s;
    uint8_t *file = NULL;
    size_t flen = 0;
    if ((s = catch_up(ctx, l, NULL, NULL, NULL)))
        goto out;
    if (to == UINT64_MAX)
        to = l->count;
    if (from > to || to > l->count) {
        s = hs__error(ctx, HS_ERR_INVALID_ARG, "audit export: range %llu..%llu of %llu entries",
                      (unsigned long long)from, (unsigned long long)to,
                      (unsigned long long)l->count);
        goto out;
    }
    if (l->end > SIZE_MAX || l->end > hs__limit(ctx, HS_LIMIT_MAX_FILE_BYTES)) {
        s = hs__error(ctx, HS_ERR_LIMIT, "%s: too large to export", l->path);
        goto out;
    }
    flen = (size_t)l->end;
    if (!(file = hs__malloc(&l->alloc, flen))) {
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory (%zu bytes)", flen);
        goto out;
    }
    if ((s = full_pread(ctx, l, file, flen, 0)))
        goto out;
    /* Find the byte range of entries from .. to-1 and the key in force
     * after them. The file was checked when this handle read it; its
     * framing is checked again here, as anyone with write access to the
     * directory may have changed it since. */
    size_t off = HDR, a = 0, b = 0;
    uint8_t last[32], key[32];
    hash_bytes(last, file, HDR);
    memcpy(key, file + 40, 32);
    for (uint64_t i = 0; i <= l->count; i++) {
        if (i == from)
            a = off;
        if (i == to) {
            b = off;
            break;
        }
        rec r;
        bool torn;
        if (parse_rec(NULL, &r, file + off, flen - off, off, i, &torn) || r.seq != i) {
            s = hs__error(ctx, HS_ERR_CORRUPT,
                          "%s: entry %llu (offset %zu) changed since it was written: run "
                          "hs_audit_verify()",
                          l->path, (unsigned long long)i, off);
            goto out;
        }
        if (r.event == HS_AUDIT_KEY_CHANGE)
            key_ref(r.str[1], r.slen[1], key);
        if (i + 1 == to)
            hash_bytes(last, file + off, r.len);
        off += r.len;
    }
    /* the head is signed with this handle's key: it must be the one a
     * verifier expects after entry to-1 */
    if (sodium_memcmp(key, l->pub, 32) != 0) {
        s = hs__error(ctx, HS_ERR_STATE,
                      "%s: another device key is in force after entry %llu: export with that "
                      "key (after a key change, reopen with the new key)",
                      l->path, (unsigned long long)(to ? to - 1 : 0));
        goto out;
    }
    size_t need = EXP_HDR + (b - a) + TRAILER;
    if (!buf) {
        *size = need;
        goto out;
    }
    if (*size < need) {
        *size = need;
        s = hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "audit export needs %zu bytes", need);
        goto out;
    }
    uint8_t *p = buf;
    memset(p, 0, EXP_HDR);
    memcpy(p, EXP_MAGIC, 8);
    hs__put_le16(p + 8, FORMAT_VERSION);
    hs__put_le64(p + 16, from);
    hs__put_le64(p + 24, to);
    memcpy(p + 32, file, HDR);
    memcpy(p + EXP_HDR, file + a, b - a);
    uint8_t *t = p + EXP_HDR + (b - a);
    int64_t now = now_ms();
    memcpy(t, last, 32);
    hs__put_le64(t + 32, (uint64_t)now);
    uint8_t m[64];
    size_t ml = head_msg(m, file + 16, to, last, now);
    sign_msg(t + 40, HEAD_DOMAIN, m, ml, l->secret);
    *size = need;
out:
    hs__free(&l->alloc, file);
    hs_file_lock_release(lock);
    return s;
}

#endif /* HOTSPOT_HAVE_SODIUM */

/* ---- verification ---------------------------------------------------------------- */

#ifdef HOTSPOT_HAVE_SODIUM

static void info_fail(hs_audit_verify_info *v, uint64_t index, uint64_t off)
{
    v->bad_index = index;
    v->bad_offset = off;
}

static hs_status verify_body(hs_ctx *ctx, hs_audit_verify_info *v, const uint8_t *p, size_t size,
                             const uint8_t pk[32], const hs_audit_head *anchor, uint8_t key[32])
{
    layout l;
    hs_status s = parse_layout(ctx, &l, p, size);
    if (s) {
        info_fail(v, NONE, 0);
        return s;
    }
    v->exported = (uint32_t)l.exported;
    v->first_seq = l.from;
    memcpy(v->head.log_id, l.hdr + 16, 16);
    memcpy(key, pk, 32);
    uint64_t hoff = (uint64_t)(l.hdr - p);
    if (l.from == 0 && sodium_memcmp(l.hdr + 40, pk, 32) != 0) {
        info_fail(v, NONE, hoff + 40);
        return hs__error(ctx, HS_ERR_SIGNATURE,
                         "audit log header (offset %llu): created with another device key",
                         (unsigned long long)(hoff + 40));
    }
    if (anchor && memcmp(anchor->log_id, l.hdr + 16, 16) != 0) {
        info_fail(v, NONE, hoff + 16);
        return hs__error(ctx, HS_ERR_STATE,
                         "audit log id differs from the anchor's: the log was replaced or "
                         "recreated");
    }
    if (anchor && anchor->count < l.from) {
        info_fail(v, l.from, l.first);
        return hs__error(ctx, HS_ERR_STATE,
                         "audit export starts at entry %llu, after the anchor's %llu: entries "
                         "missing between",
                         (unsigned long long)l.from, (unsigned long long)anchor->count);
    }
    uint8_t last[32];
    bool have = false;
    if (l.from == 0) {
        hash_bytes(last, l.hdr, HDR);
        have = true;
    }
    if (anchor && anchor->count == l.from) {
        if (have && sodium_memcmp(last, anchor->last_hash, 32) != 0) {
            info_fail(v, NONE, hoff);
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "audit log header does not match the anchor (header altered)");
        }
        memcpy(last, anchor->last_hash, 32);
        have = true;
    }
    size_t off = l.first;
    uint64_t seq = l.from;
    int64_t last_time = 0;
    while (off < l.end) {
        rec r;
        bool torn;
        s = parse_rec(ctx, &r, p + off, l.end - off, off, seq, &torn);
        if (s == HS_ERR_TRUNCATED && torn && !l.exported) {
            v->torn_bytes = l.end - off;
            s = HS_OK;
            break;
        }
        if (s) {
            info_fail(v, seq, off);
            return s;
        }
        if (r.seq != seq) {
            info_fail(v, seq, off + 8);
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "entry %llu (offset %llu): sequence number %llu, %llu expected "
                             "(an entry removed, inserted or moved)",
                             (unsigned long long)seq, (unsigned long long)off,
                             (unsigned long long)r.seq, (unsigned long long)seq);
        }
        if (have && sodium_memcmp(r.prev, last, 32) != 0) {
            info_fail(v, seq, off + 40);
            return hs__error(ctx, HS_ERR_CORRUPT,
                             seq == 0 ? "entry 0 (offset %llu): does not link to the header "
                                        "(header or entry altered)"
                                      : "entry %llu (offset %llu): does not link to the entry "
                                        "before (that entry altered, or one removed)",
                             (unsigned long long)(seq == 0 ? off : seq), (unsigned long long)off);
        }
        if (!verify_msg(r.sig, ENTRY_DOMAIN, r.base, r.len - SIG - FOOT, key)) {
            info_fail(v, seq, off);
            return hs__error(ctx, HS_ERR_SIGNATURE,
                             "entry %llu (offset %llu): signature does not verify (entry altered)",
                             (unsigned long long)seq, (unsigned long long)off);
        }
        hash_bytes(last, r.base, r.len);
        have = true;
        if (r.event == HS_AUDIT_KEY_CHANGE)
            key_ref(r.str[1], r.slen[1], key);
        last_time = r.time_ms;
        seq++;
        v->count++;
        if (anchor && seq == anchor->count && sodium_memcmp(last, anchor->last_hash, 32) != 0) {
            info_fail(v, seq - 1, off);
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "entry %llu (offset %llu): differs from the anchor's last entry",
                             (unsigned long long)(seq - 1), (unsigned long long)off);
        }
        off += r.len;
    }
    if (l.exported) {
        const uint8_t *t = p + l.end;
        if (seq != l.to) {
            info_fail(v, seq, l.end);
            return hs__error(ctx, HS_ERR_CORRUPT, "audit export: %llu entries, its header says %llu",
                             (unsigned long long)(seq - l.from),
                             (unsigned long long)(l.to - l.from));
        }
        if (have && sodium_memcmp(t, last, 32) != 0) {
            info_fail(v, NONE, l.end);
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "audit export head (offset %zu): hash differs from the last entry's",
                             l.end);
        }
        memcpy(last, t, 32);
        have = true;
        uint8_t m[64];
        size_t ml = head_msg(m, l.hdr + 16, l.to, t, (int64_t)hs__get_le64(t + 32));
        if (!verify_msg(t + 40, HEAD_DOMAIN, m, ml, key)) {
            info_fail(v, NONE, l.end);
            return hs__error(ctx, HS_ERR_SIGNATURE,
                             "audit export head (offset %zu): signature does not verify", l.end);
        }
    }
    if (anchor && anchor->count > seq) {
        info_fail(v, seq, off);
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "audit log ends after %llu entries; the anchor has %llu (entries cut off)",
                         (unsigned long long)seq, (unsigned long long)anchor->count);
    }
    v->head.count = seq;
    memcpy(v->head.last_hash, last, 32);
    v->head.time_ms = last_time;
    memcpy(v->key_public, key, 32);
    return HS_OK;
}

#endif

hs_status hs_audit_verify(hs_ctx *ctx, hs_audit_verify_info *info, const void *data, size_t size,
                          const uint8_t device_sign_public[32], const hs_audit_head *anchor)
{
    hs_audit_verify_info v = HS_AUDIT_VERIFY_INFO_INIT;
    v.bad_index = v.bad_offset = NONE;
    hs_status s;
    if (info && (info->struct_size < sizeof *info || info->struct_size % 4))
        return hs__struct_out(ctx, info, &v, sizeof v, sizeof v, "hs_audit_verify_info");
    hs_audit_head an = HS_AUDIT_HEAD_INIT;
    if ((s = hs__struct_in(ctx, &an, sizeof an, anchor, sizeof an, "hs_audit_head")))
        return s;
    if ((!data && size) || !device_sign_public) {
        s = hs__error(ctx, HS_ERR_INVALID_ARG, "audit_verify: NULL argument");
    } else {
#ifdef HOTSPOT_HAVE_SODIUM
        if (sodium_init() < 0) {
            s = hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
        } else {
            uint8_t key[32];
            static const uint8_t empty[1] = {0};
            s = verify_body(ctx, &v, data ? data : empty, size, device_sign_public,
                            anchor ? &an : NULL, key);
        }
#else
        s = hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
#endif
    }
    if (info) {
        hs_status so = hs__struct_out(NULL, info, &v, sizeof v, sizeof v, "hs_audit_verify_info");
        (void)so;
    }
    return s;
}

/* ---- views ------------------------------------------------------------------------ */

typedef struct view_rec {
    uint64_t seq, offset;
    int64_t time_ms;
    uint32_t event, count;
    int32_t decision;
    uint32_t str_off[3]; /* into the arena; UINT32_MAX = none */
    uint8_t hash[32];
} view_rec;

struct hs_audit_view {
    hs_allocator alloc;
    uint8_t log_id[16];
    uint64_t first_seq;
    uint64_t n;
    view_rec *recs;
    char *arena;
};

hs_status hs_audit_view_new(hs_ctx *ctx, hs_audit_view **out, const void *data, size_t size)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!data && size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "data is NULL");
    hs_status s;
    static const uint8_t empty[1] = {0};
    const uint8_t *p = data ? data : empty;
    if ((uint64_t)size > hs__limit(ctx, HS_LIMIT_MAX_FILE_BYTES))
        return hs__error(ctx, HS_ERR_LIMIT, "audit log of %zu bytes exceeds HS_LIMIT_MAX_FILE_BYTES",
                         size);
    layout l;
    s = parse_layout(ctx, &l, p, size);
    if (s)
        return s;
    /* pass 1: framing, count, string bytes */
    uint64_t n = 0, seq = l.from;
    size_t off = l.first, strbytes = 0;
    while (off < l.end) {
        rec r;
        bool torn;
        s = parse_rec(ctx, &r, p + off, l.end - off, off, seq, &torn);
        if (s == HS_ERR_TRUNCATED && torn && !l.exported)
            break;
        if (s)
            return s;
        if (r.seq != seq)
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "entry %llu (offset %zu): sequence number %llu, %llu expected",
                             (unsigned long long)seq, off, (unsigned long long)r.seq,
                             (unsigned long long)seq);
        strbytes += (size_t)r.slen[0] + r.slen[1] + r.slen[2] + 3;
        n++;
        seq++;
        off += r.len;
    }
    if (l.exported && seq != l.to)
        return hs__error(ctx, HS_ERR_CORRUPT, "audit export: %llu entries, its header says %llu",
                         (unsigned long long)n, (unsigned long long)(l.to - l.from));
    if (strbytes > UINT32_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "audit log too large to view");
    hs_audit_view *v = HS__OBJECT_ALLOC(ctx, &s, hs_audit_view);
    if (!v)
        return s;
    const hs_allocator *a = &v->alloc;
    view_rec *recs = n ? hs__calloc(a, (size_t)n, sizeof *recs) : NULL;
    char *arena = hs__malloc(a, strbytes ? strbytes : 1);
    if ((n && !recs) || !arena) {
        hs__free(a, recs);
        hs__free(a, arena);
        hs__free(a, v);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    memcpy(v->log_id, l.hdr + 16, 16);
    v->first_seq = l.from;
    v->n = n;
    v->recs = recs;
    v->arena = arena;
    off = l.first;
    size_t ao = 0;
    for (uint64_t i = 0; i < n; i++) {
        rec r;
        bool torn;
        parse_rec(NULL, &r, p + off, l.end - off, off, i, &torn);
        view_rec *w = &recs[i];
        w->seq = r.seq;
        w->offset = off;
        w->time_ms = r.time_ms;
        w->event = r.event;
        w->count = r.count;
        w->decision = r.decision;
        for (int k = 0; k < 3; k++) {
            w->str_off[k] = r.slen[k] ? (uint32_t)ao : UINT32_MAX;
            memcpy(arena + ao, r.str[k], r.slen[k]);
            ao += r.slen[k];
            arena[ao++] = '\0';
        }
#ifdef HOTSPOT_HAVE_SODIUM
        if (sodium_init() >= 0)
            hash_bytes(w->hash, r.base, r.len);
#endif
        off += r.len;
    }
    *out = v;
    return HS_OK;
}

uint64_t hs_audit_view_count(const hs_audit_view *view) { return view ? view->n : 0; }

void hs_audit_view_ident(const hs_audit_view *view, uint8_t log_id[16], uint64_t *first_seq)
{
    if (!view)
        return;
    if (log_id)
        memcpy(log_id, view->log_id, 16);
    if (first_seq)
        *first_seq = view->first_seq;
}

hs_status hs_audit_view_entry(hs_ctx *ctx, hs_audit_record *rec_out, const hs_audit_view *view,
                              uint64_t index)
{
    if (!rec_out || !view)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "audit_view_entry: NULL argument");
    if (index >= view->n)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "audit entry %llu of %llu",
                         (unsigned long long)index, (unsigned long long)view->n);
    const view_rec *w = &view->recs[index];
    hs_audit_record r = HS_AUDIT_RECORD_INIT;
    r.event = w->event;
    r.seq = w->seq;
    r.offset = w->offset;
    r.time_ms = w->time_ms;
    const char **dst[3] = {&r.operator_id, &r.ref, &r.detail};
    for (int k = 0; k < 3; k++)
        *dst[k] = w->str_off[k] == UINT32_MAX ? NULL : view->arena + w->str_off[k];
    r.decision = w->decision;
    r.count = w->count;
    memcpy(r.hash, w->hash, 32);
    return hs__struct_out(ctx, rec_out, &r, sizeof r, sizeof r, "hs_audit_record");
}

void hs_audit_view_free(hs_audit_view *view)
{
    if (!view)
        return;
    hs__free(&view->alloc, view->recs);
    hs__free(&view->alloc, view->arena);
    HS__OBJECT_FREE(view, hs_audit_view, 0);
}

#ifndef HOTSPOT_HAVE_SODIUM

hs_status hs_audit_open(hs_ctx *ctx, hs_audit **out, const char *dir,
                        const uint8_t device_sign_secret[64], const hs_audit_options *opts)
{
    (void)dir, (void)device_sign_secret, (void)opts;
    if (out)
        *out = NULL;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}

hs_status hs_audit_append(hs_ctx *ctx, hs_audit *log, const hs_audit_entry *entry)
{
    (void)log, (void)entry;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}

hs_status hs_audit_export(hs_ctx *ctx, void *buf, size_t *size, hs_audit *log, uint64_t from,
                          uint64_t to)
{
    (void)buf, (void)size, (void)log, (void)from, (void)to;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}

#endif
