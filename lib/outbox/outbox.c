/* The device's outbox of sealed encounters: one append-only segment file
 * with CRC-32C checked records (docs/outbox-format.md).
 *
 * Why CRC-32C and not a cryptographic hash: the checksums guard against
 * torn writes and media errors, not against an attacker. Authenticity is the
 * sealed encounter's own Ed25519 signature (checked on append and by
 * hs_outbox_verify) and tamper evidence is the audit log's hash chain.
 * CRC-32C detects every single flipped bit and every burst up to 32 bits
 * with certainty (a hash only with high probability), runs on the CPU's CRC
 * instruction, is the checksum of the template and watchlist formats
 * already, and needs no libsodium. */
#define _GNU_SOURCE /* fdatasync, O_NOFOLLOW under _POSIX_C_SOURCE */
#include "internal/core.h"
#include "hotspot/outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEG_NAME "outbox.seg"
#define FILE_MAGIC "HSOUTBOX"
#define FILE_VERSION 1u
#define FILE_HEAD 56u
#define REC_MAGIC 0x524f5348u /* "HSOR" little-endian */
#define REC_HEAD 32u
#define META_MAX (256u << 20)
#define BODY_MAX (64u << 20)
#define ID_BYTES 16u
#define SHOWN_MAX 127u

enum rec_type {
    REC_ENCOUNTER = 1,
    REC_EXPORTED = 2,
    REC_ACKED = 3,
    REC_PURGED = 4,
    REC_FORGOTTEN = 5
};

#define OPTIONS_SIZE_1_1 sizeof(hs_outbox_options)
#define ENTRY_SIZE_1_1 sizeof(hs_outbox_entry)
#define INFO_SIZE_1_1 sizeof(hs_outbox_info)
#define VINFO_SIZE_1_1 sizeof(hs_outbox_verify_info)

typedef struct ob_entry {
    uint8_t id[ID_BYTES];
    int64_t time_ms, appended_ms, exported_ms;
    int32_t decision;
    uint32_t candidates;
    uint32_t state;
    uint32_t meta_len, body_len;
    uint64_t off; /* record offset in the segment */
    char shown[SHOWN_MAX + 1];
} ob_entry;

/* A growable array of 16-byte ids (nonces or forgotten encounter ids). */
typedef struct idset {
    uint8_t *v;
    size_t n, cap;
    int sorted;
} idset;

struct hs_outbox {
    hs_allocator alloc;
    char *path;
    int fd;
    hs_file_lock *lock;
    uint32_t flags;
    uint64_t max_bytes;
    uint32_t max_count;
    int64_t retention_ms;
    hs_audit *audit;
    char *operator_id;
    uint8_t device_public[32];
    uint8_t authority_public[32];
    int have_authority;
    ob_entry *e;
    size_t n, cap;
    uint32_t *slot; /* id index: open addressing, entry index + 1, 0 = empty */
    uint32_t nslot; /* a power of two, at least twice n */
    idset nonces, forgotten;
    uint64_t end; /* bytes of the segment that hold records */
    uint64_t dropped;
    int broken; /* lost its file after a failed compaction: refuse everything */
};

/* ---- small helpers ------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hex16(char out[33], const uint8_t id[16])
{
    static const char d[] = "0123456789abcdef";
    for (unsigned i = 0; i < 16; i++) {
        out[2 * i] = d[id[i] >> 4];
        out[2 * i + 1] = d[id[i] & 15];
    }
    out[32] = 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* A run of 32 zero bytes: what a crash leaves where a page of the last
 * record never reached the disk. Sealed bytes, ids and nonces are random
 * and the rest of a record is short fields, so a record written whole
 * never holds one, and a flipped bit cannot make one. */
static int has_zero_run(const uint8_t *p, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        run = p[i] ? 0 : run + 1;
        if (run >= 32)
            return 1;
    }
    return 0;
}

static hs_status pread_all(hs_ctx *ctx, int fd, void *buf, size_t n, uint64_t off,
                           const char *path)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return hs__error(ctx, HS_ERR_IO, "%s: read at offset %llu: %s", path,
                             (unsigned long long)off, strerror(errno));
        if (r == 0)
            return hs__error(ctx, HS_ERR_IO, "%s: shrank while read (offset %llu)", path,
                             (unsigned long long)off);
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return HS_OK;
}

static hs_status write_all(hs_ctx *ctx, int fd, const void *buf, size_t n, const char *path)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return hs__error(ctx, HS_ERR_IO, "%s: write: %s", path,
                             w < 0 ? strerror(errno) : "no progress");
        p += w;
        n -= (size_t)w;
    }
    return HS_OK;
}

/* HS_ENCOUNTER_RECEIPT_INIT names struct_size only, which -Wextra's
 * missing-field-initializers refuses in the library's own build. */
static void receipt_init(hs_encounter_receipt *rc)
{
    memset(rc, 0, sizeof *rc);
    rc->struct_size = sizeof *rc;
}

static int id_cmp(const void *a, const void *b) { return memcmp(a, b, ID_BYTES); }

static hs_status idset_add(const hs_allocator *a, idset *s, const uint8_t *id)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint8_t *v = hs__realloc(a, s->v, cap * ID_BYTES);
        if (!v)
            return HS_ERR_NOMEM;
        s->v = v;
        s->cap = cap;
    }
    memcpy(s->v + s->n * ID_BYTES, id, ID_BYTES);
    s->n++;
    s->sorted = 0;
    return HS_OK;
}

/* Room for `more` ids beyond those the set holds, so that adding them
 * cannot fail. */
static hs_status idset_reserve(const hs_allocator *a, idset *s, size_t more)
{
    size_t need = s->n + more;
    if (need <= s->cap)
        return HS_OK;
    uint8_t *v = hs__realloc(a, s->v, need * ID_BYTES);
    if (!v)
        return HS_ERR_NOMEM;
    s->v = v;
    s->cap = need;
    return HS_OK;
}

static void idset_sort(idset *s)
{
    if (!s->sorted && s->n > 1)
        qsort(s->v, s->n, ID_BYTES, id_cmp);
    s->sorted = 1;
}

static int idset_has(idset *s, const uint8_t *id)
{
    idset_sort(s);
    return s->n && bsearch(id, s->v, s->n, ID_BYTES, id_cmp) != NULL;
}

static void idset_free(const hs_allocator *a, idset *s)
{
    hs__free_wiped(a, s->v, s->cap * ID_BYTES);
    memset(s, 0, sizeof *s);
}

/* The id index: an outbox of 10,000 encounters with an export record
 * naming them all took 10^8 comparisons to open with a linear search. Ids
 * are random (an app that sets its own only makes the probes longer). */
static size_t id_slot(const hs_outbox *ob, const uint8_t *id)
{
    uint64_t h;
    memcpy(&h, id, sizeof h);
    return (size_t)((h * 0x9E3779B97F4A7C15ull) >> 32) & (ob->nslot - 1);
}

static void index_insert(hs_outbox *ob, size_t i)
{
    size_t k = id_slot(ob, ob->e[i].id);
    while (ob->slot[k])
        k = (k + 1) & (ob->nslot - 1);
    ob->slot[k] = (uint32_t)(i + 1);
}

/* Refill the index from the entries, in place (no allocation: the entries
 * only ever shrink in place, after a compaction). */
static void index_refill(hs_outbox *ob)
{
    if (!ob->nslot)
        return;
    memset(ob->slot, 0, ob->nslot * sizeof *ob->slot);
    for (size_t i = 0; i < ob->n; i++)
        index_insert(ob, i);
}

/* Room in the index (and the entry array) for one more entry. */
static hs_status index_reserve(hs_outbox *ob)
{
    if (ob->n == ob->cap) {
        size_t cap = ob->cap ? ob->cap * 2 : 64;
        ob_entry *v = hs__realloc(&ob->alloc, ob->e, cap * sizeof *v);
        if (!v)
            return HS_ERR_NOMEM;
        ob->e = v;
        ob->cap = cap;
    }
    if ((ob->n + 1) * 2 <= ob->nslot)
        return HS_OK;
    if (!hs__slots_grow(&ob->alloc, &ob->slot, &ob->nslot, (uint64_t)(ob->n + 1) * 2, 128))
        return HS_ERR_NOMEM;
    index_refill(ob);
    return HS_OK;
}

static ob_entry *find_entry(hs_outbox *ob, const uint8_t *id)
{
    if (!ob->nslot)
        return NULL;
    for (size_t k = id_slot(ob, id); ob->slot[k]; k = (k + 1) & (ob->nslot - 1)) {
        ob_entry *e = &ob->e[ob->slot[k] - 1];
        if (!memcmp(e->id, id, ID_BYTES))
            return e;
    }
    return NULL;
}

static int live(const ob_entry *e)
{
    return e->state == HS_OUTBOX_QUEUED || e->state == HS_OUTBOX_EXPORTED;
}

/* ---- record encoding ---------------------------------------------------- */

/* A record: 32-byte head, meta, body (see docs/outbox-format.md). */
static void rec_head(uint8_t h[REC_HEAD], unsigned type, const uint8_t *meta, uint32_t meta_len,
                     const uint8_t *body, uint32_t body_len)
{
    memset(h, 0, REC_HEAD);
    hs__put_le32(h, REC_MAGIC);
    h[4] = (uint8_t)type;
    hs__put_le32(h + 8, meta_len);
    hs__put_le32(h + 12, body_len);
    hs__put_le32(h + 16, hs__crc32c(0, meta, meta_len));
    hs__put_le32(h + 20, hs__crc32c(0, body, body_len));
    hs__put_le32(h + 24, hs__crc32c(0, h, 24));
}

static void file_head(uint8_t h[FILE_HEAD], const uint8_t device_public[32])
{
    memset(h, 0, FILE_HEAD);
    memcpy(h, FILE_MAGIC, 8);
    hs__put_le32(h + 8, FILE_VERSION);
    memcpy(h + 16, device_public, 32);
    hs__put_le32(h + 48, hs__crc32c(0, h, 48));
}

/* Append one record and make it durable. On failure the file is cut back
 * to where it was, so that no half record stays behind. */
static hs_status append_record(hs_ctx *ctx, hs_outbox *ob, unsigned type, const uint8_t *meta,
                               size_t meta_len, const uint8_t *body, size_t body_len)
{
    const hs_allocator *a = &ob->alloc;
    if (meta_len > META_MAX || body_len > BODY_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "%s: record too large", ob->path);
    size_t total = REC_HEAD + meta_len + body_len;
    uint8_t *buf = hs__malloc(a, total);
    if (!buf)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    rec_head(buf, type, meta, (uint32_t)meta_len, body, (uint32_t)body_len);
    if (meta_len)
        memcpy(buf + REC_HEAD, meta, meta_len);
    if (body_len)
        memcpy(buf + REC_HEAD + meta_len, body, body_len);
    hs_status s = write_all(ctx, ob->fd, buf, total, ob->path);
    if (!s && fdatasync(ob->fd) != 0)
        s = hs__error(ctx, HS_ERR_IO, "%s: fdatasync: %s", ob->path, strerror(errno));
    hs__free_wiped(a, buf, total);
    if (s) {
        /* Best effort: a failed cut leaves a torn tail, dropped at the next open. */
        if (ftruncate(ob->fd, (off_t)ob->end) == 0)
            (void)fdatasync(ob->fd);
        return s;
    }
    ob->end += total;
    return HS_OK;
}

/* ---- audit -------------------------------------------------------------- */

static hs_status audit_log(hs_ctx *ctx, hs_outbox *ob, uint32_t event, const char *ref,
                           int32_t decision, uint32_t count, const char *detail)
{
    if (!ob->audit)
        return HS_OK;
    hs_audit_entry en = HS_AUDIT_ENTRY_INIT;
    en.event = event;
    en.time_ms = now_ms();
    en.operator_id = ob->operator_id;
    en.ref = ref;
    en.decision = decision;
    en.count = count;
    en.detail = detail;
    return hs_audit_append(ctx, ob->audit, &en);
}

/* ---- scanning ----------------------------------------------------------- */

typedef struct scan {
    hs_ctx *ctx;
    hs_outbox *ob; /* NULL when verifying only */
    int fd;
    const char *path;
    const hs_allocator *a;
    uint64_t size;
    int verify; /* read and check every body and receipt */
    uint32_t records, encounters;
    uint64_t torn_off; /* offset of a torn tail, UINT64_MAX if none */
    uint64_t bad_off;
    uint8_t device_public[32];
} scan;

static hs_status bad(scan *sc, hs_status st, uint64_t off, const char *what)
{
    sc->bad_off = off;
    return hs__error(sc->ctx, st, "%s: record %u at offset %llu: %s", sc->path,
                     (unsigned)sc->records + 1, (unsigned long long)off, what);
}

/* Apply a state record's id list; the reader is at the count. */
static hs_status read_ids(scan *sc, hs__reader *r, uint64_t off, const uint8_t **ids,
                          uint32_t *count)
{
    *count = hs__rd_le32(r);
    if (r->overrun || (uint64_t)*count * ID_BYTES > hs__reader_left(r))
        return bad(sc, HS_ERR_CORRUPT, off, "id count beyond the record");
    *ids = r->p + r->pos;
    hs__skip(r, (size_t)*count * ID_BYTES);
    return HS_OK;
}

/* Read the id list that ends a state record and check that nothing follows it. */
static hs_status read_last_ids(scan *sc, hs__reader *r, uint32_t body_len, uint64_t off,
                               const uint8_t **ids, uint32_t *count)
{
    hs_status s = read_ids(sc, r, off, ids, count);
    if (s)
        return s;
    if (hs__reader_left(r) || body_len)
        return bad(sc, HS_ERR_CORRUPT, off, "state record has trailing bytes");
    return HS_OK;
}

/* The encounters named by ids leave the outbox: a live one takes state `to`
 * and each id is remembered as forgotten, so it never comes back. */
static hs_status settle_ids(scan *sc, const uint8_t *ids, uint32_t count, uint32_t to)
{
    hs_outbox *ob = sc->ob;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *id = ids + (size_t)i * ID_BYTES;
        ob_entry *e = find_entry(ob, id);
        if (e && live(e))
            e->state = to;
        if (idset_add(&ob->alloc, &ob->forgotten, id))
            return hs__error(sc->ctx, HS_ERR_NOMEM, "out of memory");
    }
    return HS_OK;
}

static hs_status parse_encounter_meta(scan *sc, const uint8_t *meta, uint32_t len, uint64_t off,
                                      ob_entry *e)
{
    hs__reader r;
    hs__reader_init(&r, meta, len);
    memset(e, 0, sizeof *e);
    hs__rd_bytes(&r, e->id, ID_BYTES);
    e->time_ms = (int64_t)hs__rd_le64(&r);
    e->appended_ms = (int64_t)hs__rd_le64(&r);
    e->decision = (int32_t)hs__rd_le32(&r);
    e->candidates = hs__rd_le32(&r);
    uint8_t dev[32];
    hs__rd_bytes(&r, dev, 32);
    uint32_t shown = hs__rd_le16(&r);
    if (r.overrun || shown > SHOWN_MAX || hs__reader_left(&r) != shown)
        return bad(sc, HS_ERR_CORRUPT, off, "encounter receipt has a bad length");
    hs__rd_bytes(&r, e->shown, shown);
    e->shown[shown] = 0;
    if (memchr(e->shown, 0, shown))
        return bad(sc, HS_ERR_CORRUPT, off, "receipt text holds a NUL byte");
    if (memcmp(dev, sc->device_public, 32))
        return bad(sc, HS_ERR_CORRUPT, off, "encounter of another device");
    e->state = HS_OUTBOX_QUEUED;
    return HS_OK;
}

/* Check a sealed body against the receipt stored beside it. */
static hs_status check_receipt(scan *sc, const uint8_t *body, uint32_t len, const ob_entry *m,
                               uint64_t off)
{
    hs_encounter_receipt rc;
    receipt_init(&rc);
    hs_status s = hs_encounter_sealed_receipt(sc->ctx, &rc, body, len);
    if (s == HS_ERR_NOT_BUILT) {
        /* no libsodium: the checksums are all this build can check */
        hs_ctx_clear_error(sc->ctx);
        return HS_OK;
    }
    if (s) {
        char msg[HS__ERRMSG_MAX];
        snprintf(msg, sizeof msg, "sealed encounter does not check: %s",
                 hs_ctx_last_error(sc->ctx));
        return bad(sc, s, off, msg);
    }
    if (memcmp(rc.id, m->id, ID_BYTES) || rc.time_ms != m->time_ms ||
        rc.decision != m->decision || rc.candidate_count != m->candidates ||
        memcmp(rc.device_public, sc->device_public, 32))
        return bad(sc, HS_ERR_CORRUPT, off, "stored receipt differs from the sealed encounter");
    return HS_OK;
}

/* Apply one record to the index (open) or check it (verify). */
static hs_status apply(scan *sc, unsigned type, const uint8_t *meta, uint32_t meta_len,
                       const uint8_t *body, uint32_t body_len, uint64_t off)
{
    hs_outbox *ob = sc->ob;
    hs__reader r;
    hs__reader_init(&r, meta, meta_len);
    const uint8_t *ids = NULL;
    uint32_t count = 0;
    hs_status s;
    switch (type) {
    case REC_ENCOUNTER: {
        ob_entry e;
        if ((s = parse_encounter_meta(sc, meta, meta_len, off, &e)))
            return s;
        if (body_len == 0)
            return bad(sc, HS_ERR_CORRUPT, off, "encounter without sealed bytes");
        if (sc->verify && body && (s = check_receipt(sc, body, body_len, &e, off)))
            return s;
        sc->encounters++;
        if (!ob)
            return HS_OK;
        if (find_entry(ob, e.id))
            return bad(sc, HS_ERR_CORRUPT, off, "encounter id appended twice");
        if ((s = index_reserve(ob)))
            return hs__error(sc->ctx, s, "out of memory");
        e.off = off;
        e.meta_len = meta_len;
        e.body_len = body_len;
        ob->e[ob->n++] = e;
        index_insert(ob, ob->n - 1);
        return HS_OK;
    }
    case REC_EXPORTED:
    case REC_PURGED: {
        int64_t t = (int64_t)hs__rd_le64(&r);
        if ((s = read_last_ids(sc, &r, body_len, off, &ids, &count)))
            return s;
        if (!ob)
            return HS_OK;
        if (type == REC_PURGED)
            return settle_ids(sc, ids, count, HS_OUTBOX_PURGED);
        for (uint32_t i = 0; i < count; i++) {
            ob_entry *e = find_entry(ob, ids + (size_t)i * ID_BYTES);
            if (e && e->state == HS_OUTBOX_QUEUED)
                e->state = HS_OUTBOX_EXPORTED;
            if (e && t > e->exported_ms)
                e->exported_ms = t;
        }
        return HS_OK;
    }
    case REC_ACKED: {
        hs__rd_le64(&r); /* local time */
        hs__rd_le64(&r); /* the authority's time */
        uint8_t nonce[16];
        hs__rd_bytes(&r, nonce, 16);
        if ((s = read_last_ids(sc, &r, body_len, off, &ids, &count)))
            return s;
        if (!ob)
            return HS_OK;
        if (idset_add(&ob->alloc, &ob->nonces, nonce))
            return hs__error(sc->ctx, HS_ERR_NOMEM, "out of memory");
        return settle_ids(sc, ids, count, HS_OUTBOX_ACKNOWLEDGED);
    }
    case REC_FORGOTTEN: {
        const uint8_t *nonces = NULL;
        uint32_t nn = 0;
        if ((s = read_ids(sc, &r, off, &nonces, &nn)) ||
            (s = read_last_ids(sc, &r, body_len, off, &ids, &count)))
            return s;
        if (!ob)
            return HS_OK;
        for (uint32_t i = 0; i < nn; i++)
            if (idset_add(&ob->alloc, &ob->nonces, nonces + (size_t)i * ID_BYTES))
                return hs__error(sc->ctx, HS_ERR_NOMEM, "out of memory");
        for (uint32_t i = 0; i < count; i++)
            if (idset_add(&ob->alloc, &ob->forgotten, ids + (size_t)i * ID_BYTES))
                return hs__error(sc->ctx, HS_ERR_NOMEM, "out of memory");
        return HS_OK;
    }
    default:
        return bad(sc, HS_ERR_CORRUPT, off, "unknown record type");
    }
}

static hs_status scan_header(scan *sc)
{
    uint8_t h[FILE_HEAD];
    if (sc->size < FILE_HEAD) {
        sc->bad_off = 0;
        return hs__error(sc->ctx, HS_ERR_TRUNCATED, "%s: truncated at offset %llu, inside the %u-byte file header", sc->path,
                         (unsigned long long)sc->size, FILE_HEAD);
    }
    hs_status s = pread_all(sc->ctx, sc->fd, h, FILE_HEAD, 0, sc->path);
    if (s)
        return s;
    sc->bad_off = 0;
    if (memcmp(h, FILE_MAGIC, 8))
        return hs__error(sc->ctx, HS_ERR_FORMAT, "%s: file header at offset 0: not an outbox segment (bad magic)",
                         sc->path);
    if (hs__get_le32(h + 48) != hs__crc32c(0, h, 48))
        return hs__error(sc->ctx, HS_ERR_CHECKSUM, "%s: file header at offset 0: checksum mismatch",
                         sc->path);
    uint32_t ver = hs__get_le32(h + 8);
    if (ver > FILE_VERSION)
        return hs__error(sc->ctx, HS_ERR_VERSION, "%s: file header at offset 8: format version %u, this library reads %u",
                         sc->path, (unsigned)ver, FILE_VERSION);
    if (ver == 0 || hs__get_le32(h + 12) || hs__get_le32(h + 52))
        return hs__error(sc->ctx, HS_ERR_CORRUPT, "%s: file header at offset 0: bad version or flags",
                         sc->path);
    memcpy(sc->device_public, h + 16, 32);
    sc->bad_off = UINT64_MAX;
    return HS_OK;
}

/* Walk every record. A record that does not check is a torn tail (dropped
 * by a writable open, HS_ERR_TRUNCATED for verify) only when nothing valid
 * can follow it: it runs past the end of the file, or it is the last one
 * and holds the zero run of a page that never reached the disk, or all
 * that follows its start is zeros. Anything else is damage, reported with
 * its offset. */
static hs_status scan_records(scan *sc)
{
    uint64_t off = FILE_HEAD;
    uint8_t *buf = NULL;
    size_t cap = 0;
    hs_status s = HS_OK;
    /* the last whole record, when its body was not read (see below) */
    uint64_t prev_off = UINT64_MAX;
    uint32_t prev_meta = 0, prev_body = 0, prev_crc = 0;
    sc->torn_off = UINT64_MAX;
    while (off < sc->size) {
        uint64_t rem = sc->size - off;
        uint8_t h[REC_HEAD];
        if (rem < REC_HEAD) {
            sc->torn_off = off;
            break;
        }
        if ((s = pread_all(sc->ctx, sc->fd, h, REC_HEAD, off, sc->path)))
            break;
        if (hs__get_le32(h) != REC_MAGIC || hs__get_le32(h + 24) != hs__crc32c(0, h, 24) || h[5] || h[6] ||
            h[7] || hs__get_le32(h + 28)) {
            /* zeros to the end: a tail page that never reached the disk */
            int zeros = all_zero(h, REC_HEAD);
            for (uint64_t o = off + REC_HEAD; zeros && o < sc->size;) {
                uint8_t z[4096];
                size_t k = sc->size - o < sizeof z ? (size_t)(sc->size - o) : sizeof z;
                if ((s = pread_all(sc->ctx, sc->fd, z, k, o, sc->path)))
                    goto out;
                zeros = all_zero(z, k);
                o += k;
            }
            if (zeros) {
                sc->torn_off = off;
                break;
            }
            s = bad(sc, hs__get_le32(h) == REC_MAGIC ? HS_ERR_CHECKSUM : HS_ERR_CORRUPT, off,
                    hs__get_le32(h) == REC_MAGIC ? "record header checksum mismatch"
                                          : "no record header here");
            break;
        }
        uint32_t type = h[4], meta_len = hs__get_le32(h + 8), body_len = hs__get_le32(h + 12);
        if (meta_len > META_MAX || body_len > BODY_MAX) {
            s = bad(sc, HS_ERR_CORRUPT, off, "record length out of range");
            break;
        }
        uint64_t len = (uint64_t)REC_HEAD + meta_len + body_len;
        if (len > rem) {
            sc->torn_off = off; /* a whole header, the rest cut short */
            break;
        }
        int last = len == rem;
        size_t need = meta_len + ((sc->verify || last) ? body_len : 0);
        if (need > cap) {
            uint8_t *nb = hs__realloc(sc->a, buf, need);
            if (!nb) {
                s = hs__error(sc->ctx, HS_ERR_NOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap = need;
        }
        if ((s = pread_all(sc->ctx, sc->fd, buf, need, off + REC_HEAD, sc->path)))
            break;
        const uint8_t *body = need > meta_len ? buf + meta_len : NULL;
        int meta_ok = hs__get_le32(h + 16) == hs__crc32c(0, buf, meta_len);
        int body_ok = !body || hs__get_le32(h + 20) == hs__crc32c(0, body, body_len);
        if (!meta_ok || !body_ok) {
            if (last && has_zero_run(buf, need)) {
                sc->torn_off = off;
                break;
            }
            s = bad(sc, HS_ERR_CHECKSUM, off,
                    !meta_ok ? "metadata checksum mismatch" : "sealed body checksum mismatch");
            break;
        }
        if ((s = apply(sc, type, buf, meta_len, body, body_len, off)))
            break;
        sc->records++;
        prev_off = body ? UINT64_MAX : off;
        prev_meta = meta_len;
        prev_body = body_len;
        prev_crc = hs__get_le32(h + 20);
        off += len;
    }
    /* Dropping a torn tail makes the record before it the last one, which
     * every open reads whole: check its body now, so that an open never
     * succeeds on a file the next open refuses (fuzz_outbox found one). It
     * was flushed before the torn append began: a mismatch is damage. */
    if (!s && sc->torn_off != UINT64_MAX && prev_off != UINT64_MAX && prev_body) {
        uint8_t *b = hs__malloc(sc->a, prev_body);
        if (!b) {
            s = hs__error(sc->ctx, HS_ERR_NOMEM, "out of memory");
        } else {
            s = pread_all(sc->ctx, sc->fd, b, prev_body, prev_off + REC_HEAD + prev_meta,
                          sc->path);
            if (!s && hs__crc32c(0, b, prev_body) != prev_crc) {
                sc->bad_off = prev_off;
                s = hs__error(sc->ctx, HS_ERR_CHECKSUM,
                              "%s: record %u at offset %llu: sealed body checksum mismatch",
                              sc->path, (unsigned)sc->records, (unsigned long long)prev_off);
            }
            hs__free_wiped(sc->a, b, prev_body);
        }
    }
out:
    hs__free_wiped(sc->a, buf, cap);
    return s;
}

static hs_status open_fd(hs_ctx *ctx, int *fd, uint64_t *size, const char *path, int writable)
{
    *fd = open(path, (writable ? O_RDWR | O_APPEND : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK |
                         O_CLOEXEC);
    if (*fd < 0)
        return hs__error(ctx, errno == ENOENT ? HS_ERR_NOT_FOUND : HS_ERR_IO, "%s: %s", path,
                         strerror(errno));
    struct stat st;
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return hs__error(ctx, HS_ERR_IO, "%s: not a regular file", path);
    }
    *size = (uint64_t)st.st_size;
    return HS_OK;
}

static char *seg_path(const hs_allocator *a, const char *dir)
{
    size_t n = strlen(dir);
    char *p = hs__malloc(a, n + sizeof SEG_NAME + 1);
    if (p) {
        memcpy(p, dir, n);
        p[n] = '/';
        memcpy(p + n + 1, SEG_NAME, sizeof SEG_NAME);
    }
    return p;
}

/* ---- compaction ---------------------------------------------------------- */

static int exp_cmp(const void *a, const void *b)
{
    const ob_entry *x = *(const ob_entry *const *)a, *y = *(const ob_entry *const *)b;
    return x->exported_ms < y->exported_ms ? -1 : x->exported_ms > y->exported_ms;
}

/* Overwrite a file we are about to let go of: the old segment after its
 * replacement was renamed over it. Flash may keep the old blocks anyway;
 * what it held was sealed to the authority, so this is defence in depth. */
static void wipe_fd(int fd, uint64_t size)
{
    uint8_t z[16384];
    memset(z, 0, sizeof z);
    for (uint64_t o = 0; o < size;) {
        size_t k = size - o < sizeof z ? (size_t)(size - o) : sizeof z;
        ssize_t w = pwrite(fd, z, k, (off_t)o);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        o += (uint64_t)w;
    }
    (void)fdatasync(fd);
}

/* Rewrite the segment with the live encounters only, through the atomic
 * save, then overwrite the old file. Every copied record is checked first:
 * a damaged one stops the compaction (nothing is lost, the old file stays). */
static hs_status compact(hs_ctx *ctx, hs_outbox *ob)
{
    const hs_allocator *a = &ob->alloc;
    size_t nlive = 0;
    for (size_t i = 0; i < ob->n; i++)
        nlive += live(&ob->e[i]);
    uint64_t *newoff = hs__calloc(a, ob->n ? ob->n : 1, sizeof *newoff);
    const ob_entry **ex = hs__calloc(a, nlive ? nlive : 1, sizeof *ex);
    hs__writer w;
    hs__writer_init(&w, a);
    if (!newoff || !ex) {
        hs__free(a, newoff);
        hs__free(a, ex);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    idset_sort(&ob->forgotten);
    uint8_t fh[FILE_HEAD];
    file_head(fh, ob->device_public);
    hs__wr_bytes(&w, fh, FILE_HEAD);
    /* the remembered nonces and ids come first */
    hs__writer m;
    hs__writer_init(&m, a);
    hs__wr_le32(&m, (uint32_t)ob->nonces.n);
    hs__wr_bytes(&m, ob->nonces.v, ob->nonces.n * ID_BYTES);
    hs__wr_le32(&m, (uint32_t)ob->forgotten.n);
    hs__wr_bytes(&m, ob->forgotten.v, ob->forgotten.n * ID_BYTES);
    uint8_t rh[REC_HEAD];
    if (!m.failed) {
        rec_head(rh, REC_FORGOTTEN, m.buf, (uint32_t)m.len, NULL, 0);
        hs__wr_bytes(&w, rh, REC_HEAD);
        hs__wr_bytes(&w, m.buf, m.len);
    }
    hs__writer_free(&m);
    hs_status s = HS_OK;
    hs__atomic_file af;
    if (m.failed || w.failed) {
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = hs__atomic_open(ctx, &af, ob->path, HS_FILE_PRIVATE)))
        goto done;
    uint64_t pos = w.len;
    if ((s = write_all(ctx, af.fd, w.buf, w.len, ob->path))) {
        hs__atomic_abort(&af);
        goto done;
    }
    size_t nex = 0;
    uint8_t *rec = NULL;
    size_t rcap = 0;
    for (size_t i = 0; i < ob->n && !s; i++) {
        const ob_entry *e = &ob->e[i];
        if (!live(e))
            continue;
        size_t len = REC_HEAD + (size_t)e->meta_len + e->body_len;
        if (len > rcap) {
            uint8_t *nb = hs__realloc(a, rec, len);
            if (!nb) {
                s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
                break;
            }
            rec = nb;
            rcap = len;
        }
        if ((s = pread_all(ctx, ob->fd, rec, len, e->off, ob->path)))
            break;
        if (hs__get_le32(rec + 16) != hs__crc32c(0, rec + REC_HEAD, e->meta_len) ||
            hs__get_le32(rec + 20) != hs__crc32c(0, rec + REC_HEAD + e->meta_len, e->body_len)) {
            s = hs__error(ctx, HS_ERR_CHECKSUM,
                          "%s: record at offset %llu: checksum mismatch (not compacted)",
                          ob->path, (unsigned long long)e->off);
            break;
        }
        s = write_all(ctx, af.fd, rec, len, ob->path);
        newoff[i] = pos;
        pos += len;
        if (e->state == HS_OUTBOX_EXPORTED)
            ex[nex++] = e;
    }
    hs__free_wiped(a, rec, rcap);
    /* one EXPORTED record per export time, so that each keeps its time */
    if (!s && nex) {
        qsort(ex, nex, sizeof *ex, exp_cmp);
        for (size_t i = 0; i < nex && !s;) {
            size_t j = i;
            while (j < nex && ex[j]->exported_ms == ex[i]->exported_ms)
                j++;
            hs__writer_init(&m, a);
            hs__wr_le64(&m, (uint64_t)ex[i]->exported_ms);
            hs__wr_le32(&m, (uint32_t)(j - i));
            for (size_t k = i; k < j; k++)
                hs__wr_bytes(&m, ex[k]->id, ID_BYTES);
            if (m.failed) {
                s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
            } else {
                rec_head(rh, REC_EXPORTED, m.buf, (uint32_t)m.len, NULL, 0);
                s = write_all(ctx, af.fd, rh, REC_HEAD, ob->path);
                if (!s)
                    s = write_all(ctx, af.fd, m.buf, m.len, ob->path);
                pos += REC_HEAD + m.len;
            }
            hs__writer_free(&m);
            i = j;
        }
    }
    if (s) {
        hs__atomic_abort(&af);
        goto done;
    }
    if ((s = hs__atomic_commit(ctx, &af))) {
        /* the rename may have happened with only the directory flush
         * failing: reopen below decides */
        struct stat st;
        if (stat(ob->path, &st) != 0 || (uint64_t)st.st_size != pos)
            goto done;
        s = HS_OK;
    }
    /* The new file is in place: overwrite the old one, switch to the new. */
    uint64_t oldsize = ob->end;
    int oldfd = ob->fd;
    uint64_t nsize;
    int nfd;
    hs_status so = open_fd(ctx, &nfd, &nsize, ob->path, 1);
    wipe_fd(oldfd, oldsize);
    close(oldfd);
    if (so) {
        ob->fd = -1;
        ob->broken = 1;
        s = so;
        goto done;
    }
    ob->fd = nfd;
    ob->end = nsize;
    size_t k = 0;
    for (size_t i = 0; i < ob->n; i++) {
        if (!live(&ob->e[i])) {
            hs__memzero(&ob->e[i], sizeof ob->e[i]);
            continue;
        }
        ob->e[i].off = newoff[i];
        ob->e[k++] = ob->e[i];
    }
    ob->n = k;
    index_refill(ob);
done:
    hs__writer_free(&w);
    hs__free(a, newoff);
    hs__free(a, ex);
    return s;
}

static int pending_wipe(const hs_outbox *ob)
{
    for (size_t i = 0; i < ob->n; i++)
        if (!live(&ob->e[i]))
            return 1;
    return 0;
}

/* ---- open / close -------------------------------------------------------- */

void hs_outbox_close(hs_outbox *ob)
{
    if (!ob)
        return;
    const hs_allocator *a = &ob->alloc;
    if (ob->fd >= 0)
        close(ob->fd);
    hs_file_lock_release(ob->lock);
    hs__free_wiped(a, ob->e, ob->cap * sizeof *ob->e);
    hs__free(a, ob->slot);
    idset_free(a, &ob->nonces);
    idset_free(a, &ob->forgotten);
    hs__free(a, ob->path);
    hs__free(a, ob->operator_id);
    HS__OBJECT_FREE(ob, hs_outbox, sizeof *ob);
}

static hs_status check_options(hs_ctx *ctx, hs_outbox_options *o, const hs_outbox_options *opts)
{
    hs_outbox_options def = HS_OUTBOX_OPTIONS_INIT;
    *o = def;
    hs_status s = hs__struct_in(ctx, o, sizeof *o, opts, OPTIONS_SIZE_1_1, "outbox options");
    if (s)
        return s;
    if (o->flags & ~(uint32_t)(HS_OUTBOX_OPEN_READONLY | HS_OUTBOX_OPEN_NOWAIT))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "outbox options: unknown flags 0x%x",
                         (unsigned)o->flags);
    if (!o->max_bytes)
        o->max_bytes = HS_OUTBOX_DEFAULT_MAX_BYTES;
    if (!o->max_count)
        o->max_count = HS_OUTBOX_DEFAULT_MAX_COUNT;
    if (!o->retention_ms)
        o->retention_ms = HS_OUTBOX_DEFAULT_RETENTION_MS;
    if (o->max_bytes < 65536 || o->max_bytes > (1ull << 40))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "outbox options: max_bytes %llu outside 65536..2^40",
                         (unsigned long long)o->max_bytes);
    if (o->max_count > 10000000u)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "outbox options: max_count %u outside 1..10000000",
                         (unsigned)o->max_count);
    if (o->retention_ms < 1 || o->retention_ms > 100ll * 366 * 24 * 3600 * 1000)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "outbox options: retention_ms outside 1 ms..100 years");
    if (o->reserved)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "outbox options: reserved is not zero");
    return HS_OK;
}

hs_status hs_outbox_open(hs_ctx *ctx, hs_outbox **out, const char *dir,
                         const hs_outbox_options *opts)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!dir || !*dir)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "outbox: NULL or empty directory");
    hs_outbox_options o;
    hs_status s = check_options(ctx, &o, opts);
    if (s)
        return s;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    hs_outbox *ob = hs__calloc(a, 1, sizeof *ob);
    if (!ob)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    ob->alloc = *a;
    ob->fd = -1;
    ob->flags = o.flags;
    ob->max_bytes = o.max_bytes;
    ob->max_count = o.max_count;
    ob->retention_ms = o.retention_ms;
    ob->audit = o.audit;
    ob->path = seg_path(a, dir);
    if (o.operator_id) {
        size_t n = strlen(o.operator_id);
        ob->operator_id = hs__malloc(a, n + 1);
        if (ob->operator_id)
            memcpy(ob->operator_id, o.operator_id, n + 1);
    }
    if (!ob->path || (o.operator_id && !ob->operator_id)) {
        hs_outbox_close(ob);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    static const uint8_t zero[32];
    int have_dev = memcmp(o.device_public, zero, 32) != 0;
    ob->have_authority = memcmp(o.authority_sign_public, zero, 32) != 0;
    memcpy(ob->authority_public, o.authority_sign_public, 32);
    int writable = !(o.flags & HS_OUTBOX_OPEN_READONLY);
    if (writable &&
        (s = hs_file_lock_acquire(ctx, &ob->lock, ob->path,
                                  (o.flags & HS_OUTBOX_OPEN_NOWAIT) ? HS_FILE_LOCK_NOWAIT : 0))) {
        hs_outbox_close(ob);
        return s;
    }
    uint64_t size;
    s = open_fd(ctx, &ob->fd, &size, ob->path, writable);
    if (s == HS_ERR_NOT_FOUND && writable && have_dev) {
        /* a new outbox: its header, written whole through the atomic save */
        uint8_t fh[FILE_HEAD];
        file_head(fh, o.device_public);
        s = hs__write_file_atomic(ctx, ob->path, fh, FILE_HEAD, HS_FILE_PRIVATE);
        if (!s)
            s = open_fd(ctx, &ob->fd, &size, ob->path, writable);
    } else if (s == HS_ERR_NOT_FOUND) {
        s = hs__error(ctx, HS_ERR_NOT_FOUND, "%s: no outbox here%s", ob->path,
                      writable ? " (a device key is needed to create one)" : "");
    }
    if (s) {
        hs_outbox_close(ob);
        return s;
    }
    scan sc;
    memset(&sc, 0, sizeof sc);
    sc.ctx = ctx;
    sc.ob = ob;
    sc.fd = ob->fd;
    sc.path = ob->path;
    sc.a = a;
    sc.size = size;
    if (!(s = scan_header(&sc))) {
        memcpy(ob->device_public, sc.device_public, 32);
        if (have_dev && memcmp(o.device_public, sc.device_public, 32))
            s = hs__error(ctx, HS_ERR_STATE, "%s: the outbox belongs to another device key",
                          ob->path);
    }
    if (!s)
        s = scan_records(&sc);
    if (s) {
        hs_outbox_close(ob);
        return s;
    }
    ob->end = sc.torn_off != UINT64_MAX ? sc.torn_off : size;
    ob->dropped = size - ob->end;
    if (writable && ob->dropped) {
        if (ftruncate(ob->fd, (off_t)ob->end) != 0 || fdatasync(ob->fd) != 0) {
            s = hs__error(ctx, HS_ERR_IO, "%s: cannot drop the torn tail at offset %llu: %s",
                          ob->path, (unsigned long long)ob->end, strerror(errno));
            hs_outbox_close(ob);
            return s;
        }
    }
    idset_sort(&ob->forgotten);
    for (size_t i = 0; i < ob->n; i++)
        if (live(&ob->e[i]) && idset_has(&ob->forgotten, ob->e[i].id) &&
            ob->e[i].state == HS_OUTBOX_QUEUED)
            ob->e[i].state = HS_OUTBOX_ACKNOWLEDGED; /* forgotten before: never comes back */
    /* a crash between an ack or purge and its compaction: finish it */
    if (writable && pending_wipe(ob) && (s = compact(ctx, ob))) {
        hs_outbox_close(ob);
        return s;
    }
    *out = ob;
    return HS_OK;
}

/* ---- queries -------------------------------------------------------------- */

uint32_t hs_outbox_count(const hs_outbox *ob) { return ob ? (uint32_t)ob->n : 0; }

hs_status hs_outbox_entry_at(const hs_outbox *ob, hs_outbox_entry *e, uint32_t index)
{
    if (!ob || !e)
        return HS_ERR_INVALID_ARG;
    if (index >= ob->n)
        return HS_ERR_NOT_FOUND;
    const ob_entry *x = &ob->e[index];
    hs_outbox_entry v;
    memset(&v, 0, sizeof v); /* hs__struct_out sets struct_size */
    v.state = x->state;
    memcpy(v.id, x->id, ID_BYTES);
    v.time_ms = x->time_ms;
    v.appended_ms = x->appended_ms;
    v.exported_ms = x->exported_ms;
    v.decision = x->decision;
    v.candidate_count = x->candidates;
    v.sealed_bytes = x->body_len;
    memcpy(v.shown, x->shown, sizeof v.shown);
    hs_status s = hs__struct_out(NULL, e, &v, sizeof v, ENTRY_SIZE_1_1, "outbox entry");
    hs__memzero(&v, sizeof v);
    return s;
}

/* Read and check the sealed body of entry i into a new buffer. */
static hs_status read_body(hs_ctx *ctx, const hs_outbox *ob, const ob_entry *e, uint8_t **out)
{
    *out = NULL;
    const hs_allocator *a = &ob->alloc;
    uint8_t h[REC_HEAD];
    hs_status s = pread_all(ctx, ob->fd, h, REC_HEAD, e->off, ob->path);
    if (s)
        return s;
    uint8_t *b = hs__malloc(a, e->body_len);
    if (!b)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    s = pread_all(ctx, ob->fd, b, e->body_len, e->off + REC_HEAD + e->meta_len, ob->path);
    if (!s && hs__get_le32(h + 20) != hs__crc32c(0, b, e->body_len))
        s = hs__error(ctx, HS_ERR_CHECKSUM,
                      "%s: record at offset %llu: sealed body checksum mismatch", ob->path,
                      (unsigned long long)e->off);
    if (s) {
        hs__free(a, b);
        return s;
    }
    *out = b;
    return HS_OK;
}

hs_status hs_outbox_sealed(hs_ctx *ctx, void *buf, size_t *size, const hs_outbox *ob,
                           uint32_t index)
{
    if (!ob || !size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "outbox_sealed: NULL argument");
    if (ob->broken)
        return hs__error(ctx, HS_ERR_STATE, "%s: outbox lost its file; reopen it", ob->path);
    if (index >= ob->n || !live(&ob->e[index]))
        return hs__error(ctx, HS_ERR_NOT_FOUND, "outbox: no encounter at index %u",
                         (unsigned)index);
    const ob_entry *e = &ob->e[index];
    if (!buf) {
        *size = e->body_len;
        return HS_OK;
    }
    if (*size < e->body_len) {
        size_t have = *size;
        *size = e->body_len;
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "sealed encounter needs %u bytes, buffer has %zu",
                         (unsigned)e->body_len, have);
    }
    uint8_t *b;
    hs_status s = read_body(ctx, ob, e, &b);
    if (s)
        return s;
    memcpy(buf, b, e->body_len);
    *size = e->body_len;
    hs__free(&ob->alloc, b);
    return HS_OK;
}

static uint32_t fill_permille(const hs_outbox *ob)
{
    uint64_t c = (uint64_t)ob->n * 1000 / ob->max_count;
    uint64_t b = ob->end * 1000 / ob->max_bytes;
    uint64_t m = c > b ? c : b;
    return (uint32_t)(m > 1000 ? 1000 : m);
}

hs_status hs_outbox_info_get(const hs_outbox *ob, hs_outbox_info *info)
{
    if (!ob || !info)
        return HS_ERR_INVALID_ARG;
    hs_outbox_info v;
    memset(&v, 0, sizeof v);
    v.struct_size = sizeof v;
    v.count = (uint32_t)ob->n;
    for (size_t i = 0; i < ob->n; i++) {
        const ob_entry *e = &ob->e[i];
        v.queued += e->state == HS_OUTBOX_QUEUED;
        v.exported += e->state == HS_OUTBOX_EXPORTED;
        if (!v.oldest_ms || e->appended_ms < v.oldest_ms)
            v.oldest_ms = e->appended_ms;
    }
    v.max_count = ob->max_count;
    v.fill_permille = fill_permille(ob);
    v.bytes = ob->end;
    v.max_bytes = ob->max_bytes;
    v.dropped_bytes = ob->dropped;
    v.acks_applied = (uint32_t)ob->nonces.n;
    v.forgotten = (uint32_t)ob->forgotten.n;
    return hs__struct_out(NULL, info, &v, sizeof v, INFO_SIZE_1_1, "outbox info");
}

static hs_status writable(hs_ctx *ctx, const hs_outbox *ob)
{
    if (ob->broken)
        return hs__error(ctx, HS_ERR_STATE, "%s: outbox lost its file; reopen it", ob->path);
    if (ob->flags & HS_OUTBOX_OPEN_READONLY)
        return hs__error(ctx, HS_ERR_STATE, "%s: outbox opened read-only", ob->path);
    return HS_OK;
}

/* ---- append ---------------------------------------------------------------- */

hs_status hs_outbox_append(hs_ctx *ctx, hs_outbox *ob, const void *sealed, size_t size)
{
    if (!ob || !sealed || !size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "outbox_append: NULL or empty argument");
    hs_status s = writable(ctx, ob);
    if (s)
        return s;
    if (size > BODY_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "sealed encounter of %zu bytes (limit %u)", size,
                         BODY_MAX);
    hs_encounter_receipt rc;
    receipt_init(&rc);
    if ((s = hs_encounter_sealed_receipt(ctx, &rc, sealed, size)))
        return s;
    if (memcmp(rc.device_public, ob->device_public, 32))
        return hs__error(ctx, HS_ERR_STATE, "sealed encounter signed by another device");
    char hex[33];
    hex16(hex, rc.id);
    if (find_entry(ob, rc.id) || idset_has(&ob->forgotten, rc.id))
        return hs__error(ctx, HS_ERR_EXISTS, "encounter %s is already in the outbox%s", hex,
                         find_entry(ob, rc.id) ? "" : " (acknowledged or purged)");
    /* receipt meta */
    size_t shown = strnlen(rc.shown, sizeof rc.shown);
    if (shown > SHOWN_MAX)
        shown = SHOWN_MAX;
    uint8_t meta[16 + 8 + 8 + 4 + 4 + 32 + 2 + SHOWN_MAX];
    size_t ml = 0;
    int64_t t = now_ms();
    memcpy(meta, rc.id, 16);
    ml = 16;
    for (int i = 0; i < 8; i++)
        meta[ml++] = (uint8_t)((uint64_t)rc.time_ms >> (8 * i));
    for (int i = 0; i < 8; i++)
        meta[ml++] = (uint8_t)((uint64_t)t >> (8 * i));
    hs__put_le32(meta + ml, (uint32_t)rc.decision);
    ml += 4;
    hs__put_le32(meta + ml, rc.candidate_count);
    ml += 4;
    memcpy(meta + ml, rc.device_public, 32);
    ml += 32;
    meta[ml++] = (uint8_t)shown;
    meta[ml++] = 0;
    memcpy(meta + ml, rc.shown, shown);
    ml += shown;
    uint64_t rec = REC_HEAD + ml + size;
    if (ob->n + 1 > ob->max_count || ob->end + rec > ob->max_bytes)
        return hs__error(ctx, HS_ERR_FULL,
                         "outbox full: %zu encounters (limit %u), %llu bytes (limit %llu); "
                         "export and acknowledge, or purge",
                         ob->n, (unsigned)ob->max_count, (unsigned long long)ob->end,
                         (unsigned long long)ob->max_bytes);
    if ((s = index_reserve(ob)))
        return hs__error(ctx, s, "out of memory");
    uint64_t off = ob->end;
    if ((s = append_record(ctx, ob, REC_ENCOUNTER, meta, ml, sealed, size)))
        return s;
    ob_entry *e = &ob->e[ob->n++];
    memset(e, 0, sizeof *e);
    memcpy(e->id, rc.id, 16);
    e->time_ms = rc.time_ms;
    e->appended_ms = t;
    e->decision = rc.decision;
    e->candidates = rc.candidate_count;
    e->state = HS_OUTBOX_QUEUED;
    e->meta_len = (uint32_t)ml;
    e->body_len = (uint32_t)size;
    e->off = off;
    memcpy(e->shown, rc.shown, shown);
    index_insert(ob, ob->n - 1);
    hs__memzero(&rc, sizeof rc);
    return audit_log(ctx, ob, HS_AUDIT_OUTBOX_APPEND, hex, e->decision, e->candidates, NULL);
}

/* ---- export ---------------------------------------------------------------- */

hs_status hs_outbox_export(hs_ctx *ctx, hs_outbox *ob, uint32_t *exported, const char *path,
                           uint32_t flags)
{
    if (exported)
        *exported = 0;
    if (!ob || !path || (flags & ~HS_OUTBOX_EXPORT_NEW_ONLY))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "outbox_export: NULL argument or bad flags");
    hs_status s = writable(ctx, ob);
    if (s)
        return s;
    const hs_allocator *a = &ob->alloc;
    size_t n = 0;
    for (size_t i = 0; i < ob->n; i++)
        n += (flags & HS_OUTBOX_EXPORT_NEW_ONLY) ? ob->e[i].state == HS_OUTBOX_QUEUED
                                                 : live(&ob->e[i]);
    if (!n)
        return HS_OK;
    uint8_t **bodies = hs__calloc(a, n, sizeof *bodies);
    size_t *sizes = hs__calloc(a, n, sizeof *sizes);
    size_t *which = hs__calloc(a, n, sizeof *which);
    uint8_t *batch = NULL;
    size_t bsize = 0;
    hs__writer m;
    hs__writer_init(&m, a);
    if (!bodies || !sizes || !which) {
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < ob->n && !s; i++) {
        const ob_entry *e = &ob->e[i];
        if ((flags & HS_OUTBOX_EXPORT_NEW_ONLY) ? e->state != HS_OUTBOX_QUEUED : !live(e))
            continue;
        which[k] = i;
        sizes[k] = e->body_len;
        s = read_body(ctx, ob, e, &bodies[k]);
        k++;
    }
    if (s)
        goto done;
    if ((s = hs_encounter_batch_encode(ctx, NULL, &bsize, (const void *const *)bodies, sizes,
                                       (uint32_t)n)))
        goto done;
    if (!(batch = hs__malloc(a, bsize))) {
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = hs_encounter_batch_encode(ctx, batch, &bsize, (const void *const *)bodies, sizes,
                                       (uint32_t)n)))
        goto done;
    /* the state record is ready before the batch is written, so that an
     * allocation failure cannot come between the two */
    int64_t t = now_ms();
    hs__wr_le64(&m, (uint64_t)t);
    hs__wr_le32(&m, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        hs__wr_bytes(&m, ob->e[which[i]].id, ID_BYTES);
    if (m.failed) {
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = hs__write_file_atomic(ctx, path, batch, bsize, HS_FILE_PRIVATE)))
        goto done;
    if ((s = append_record(ctx, ob, REC_EXPORTED, m.buf, m.len, NULL, 0)))
        goto done;
    for (size_t i = 0; i < n; i++) {
        ob_entry *e = &ob->e[which[i]];
        e->state = HS_OUTBOX_EXPORTED;
        e->exported_ms = t;
    }
    if (exported)
        *exported = (uint32_t)n;
    {
        const char *base = strrchr(path, '/');
        s = audit_log(ctx, ob, HS_AUDIT_OUTBOX_EXPORT, base ? base + 1 : path, -1, (uint32_t)n,
                      NULL);
    }
done:
    hs__writer_free(&m);
    if (bodies) {
        for (size_t i = 0; i < n; i++)
            if (bodies[i]) /* sizes may be NULL when bodies is all NULL */
                hs__free_wiped(a, bodies[i], sizes[i]);
    }
    hs__free(a, bodies);
    hs__free(a, sizes);
    hs__free(a, which);
    hs__free_wiped(a, batch, bsize);
    return s;
}

/* ---- ack ------------------------------------------------------------------- */

hs_status hs_outbox_ack(hs_ctx *ctx, hs_outbox *ob, uint32_t *acknowledged, const void *data,
                        size_t size)
{
    if (acknowledged)
        *acknowledged = 0;
    if (!ob || !data || !size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "outbox_ack: NULL or empty argument");
    hs_status s = writable(ctx, ob);
    if (s)
        return s;
    if (!ob->have_authority)
        return hs__error(ctx, HS_ERR_STATE,
                         "outbox opened without the authority's key: cannot check acknowledgements");
    const hs_allocator *a = &ob->alloc;
    hs_encounter_ack *ack = NULL;
    if ((s = hs_encounter_ack_verify(ctx, &ack, data, size, ob->authority_public,
                                     ob->device_public)))
        return s;
    const uint8_t *nonce = hs_encounter_ack_nonce(ack);
    uint32_t count = hs_encounter_ack_count(ack);
    char nhex[33];
    hex16(nhex, nonce);
    hs__writer m;
    hs__writer_init(&m, a);
    uint32_t matched = 0;
    if (idset_has(&ob->nonces, nonce)) {
        s = hs__error(ctx, HS_ERR_REPLAY, "acknowledgement %s was applied before", nhex);
        goto done;
    }
    hs__wr_le64(&m, (uint64_t)now_ms());
    hs__wr_le64(&m, (uint64_t)hs_encounter_ack_time(ack));
    hs__wr_bytes(&m, nonce, 16);
    hs__wr_le32(&m, count);
    for (uint32_t i = 0; i < count; i++)
        hs__wr_bytes(&m, hs_encounter_ack_id(ack, i), ID_BYTES);
    /* room in memory for what the record makes us remember, before it is
     * written: after it nothing may fail for want of memory */
    if (!m.failed && !idset_add(a, &ob->nonces, nonce)) {
        ob->nonces.n--; /* reserved only */
        if (idset_reserve(a, &ob->forgotten, count))
            m.failed = true;
    } else {
        m.failed = true;
    }
    if (m.failed) {
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = append_record(ctx, ob, REC_ACKED, m.buf, m.len, NULL, 0)))
        goto done;
    idset_add(a, &ob->nonces, nonce); /* cannot fail: room reserved */
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *id = hs_encounter_ack_id(ack, i);
        ob_entry *e = find_entry(ob, id);
        if (e && live(e)) {
            e->state = HS_OUTBOX_ACKNOWLEDGED;
            matched++;
        }
        idset_add(a, &ob->forgotten, id);
    }
    if (acknowledged)
        *acknowledged = matched;
    {
        char detail[64];
        snprintf(detail, sizeof detail, "%u of %u ids in the outbox", (unsigned)matched,
                 (unsigned)count);
        hs_status sa = audit_log(ctx, ob, HS_AUDIT_OUTBOX_ACK, nhex, -1, matched, detail);
        s = compact(ctx, ob);
        if (!s)
            s = sa;
    }
done:
    hs__writer_free(&m);
    hs_encounter_ack_free(ack);
    return s;
}

/* ---- purge ----------------------------------------------------------------- */

hs_status hs_outbox_purge(hs_ctx *ctx, hs_outbox *ob, uint32_t *purged, int64_t now)
{
    if (purged)
        *purged = 0;
    if (!ob)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "outbox_purge: NULL outbox");
    hs_status s = writable(ctx, ob);
    if (s)
        return s;
    const hs_allocator *a = &ob->alloc;
    if (!now)
        now = now_ms();
    int64_t cutoff = now < INT64_MIN + ob->retention_ms ? INT64_MIN : now - ob->retention_ms;
    size_t n = 0;
    for (size_t i = 0; i < ob->n; i++)
        n += live(&ob->e[i]) && ob->e[i].appended_ms < cutoff;
    if (!n)
        return HS_OK;
    hs__writer m;
    hs__writer_init(&m, a);
    hs__wr_le64(&m, (uint64_t)now_ms());
    hs__wr_le32(&m, (uint32_t)n);
    for (size_t i = 0; i < ob->n; i++)
        if (live(&ob->e[i]) && ob->e[i].appended_ms < cutoff)
            hs__wr_bytes(&m, ob->e[i].id, ID_BYTES);
    if (!m.failed && idset_reserve(a, &ob->forgotten, n))
        m.failed = true;
    if (m.failed) {
        hs__writer_free(&m);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    s = append_record(ctx, ob, REC_PURGED, m.buf, m.len, NULL, 0);
    hs__writer_free(&m);
    if (s)
        return s;
    hs_status sa = HS_OK;
    char detail[64];
    if (ob->retention_ms % 86400000 == 0)
        snprintf(detail, sizeof detail, "not acknowledged within %lld days",
                 (long long)(ob->retention_ms / 86400000));
    else
        snprintf(detail, sizeof detail, "not acknowledged within %lld ms",
                 (long long)ob->retention_ms);
    for (size_t i = 0; i < ob->n; i++) {
        ob_entry *e = &ob->e[i];
        if (!live(e) || e->appended_ms >= cutoff)
            continue;
        e->state = HS_OUTBOX_PURGED;
        idset_add(a, &ob->forgotten, e->id); /* room reserved */
        char hex[33];
        hex16(hex, e->id);
        hs_status x = audit_log(ctx, ob, HS_AUDIT_OUTBOX_PURGE, hex, e->decision, 1, detail);
        if (x && !sa)
            sa = x;
    }
    if (purged)
        *purged = (uint32_t)n;
    s = compact(ctx, ob);
    return s ? s : sa;
}

/* ---- verify ---------------------------------------------------------------- */

hs_status hs_outbox_verify(hs_ctx *ctx, hs_outbox_verify_info *info, const char *dir)
{
    if (!dir || !*dir)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "outbox_verify: NULL or empty directory");
    const hs_allocator *a = hs__ctx_allocator(ctx);
    char *path = seg_path(a, dir);
    if (!path)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    scan sc;
    memset(&sc, 0, sizeof sc);
    sc.ctx = ctx;
    sc.path = path;
    sc.a = a;
    sc.verify = 1;
    sc.bad_off = UINT64_MAX;
    hs_status s = open_fd(ctx, &sc.fd, &sc.size, path, 0);
    if (!s) {
        s = scan_header(&sc);
        if (!s)
            s = scan_records(&sc);
        if (!s && sc.torn_off != UINT64_MAX) {
            sc.bad_off = sc.torn_off;
            s = hs__error(ctx, HS_ERR_TRUNCATED,
                          "%s: record %u at offset %llu: cut short (%llu bytes to the end of "
                          "the file): a torn or truncated tail",
                          path, (unsigned)sc.records + 1, (unsigned long long)sc.torn_off,
                          (unsigned long long)(sc.size - sc.torn_off));
        }
        close(sc.fd);
    }
    hs__free(a, path);
    if (info) {
        hs_outbox_verify_info v;
        memset(&v, 0, sizeof v); /* hs__struct_out sets struct_size */
        v.records = sc.records;
        v.encounters = sc.encounters;
        v.bytes = sc.size;
        v.bad_offset = s ? sc.bad_off : UINT64_MAX;
        hs_status so = hs__struct_out(ctx, info, &v, sizeof v, VINFO_SIZE_1_1,
                                      "outbox verify info");
        if (so && !s)
            s = so;
    }
    return s;
}
