/* The watchlist container: subjects by id, file encoding, atomic save and
 * one-read load. File layout: docs/watchlist-format.md. */
/* pthread_rwlockattr_setkind_np (glibc) for a writer-preferring lock. */
#define _GNU_SOURCE
#include "internal/watchlist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WL_MAGIC "HSWL"
#define WL_FORMAT_VERSION HS__WL_FORMAT
#define WL_HEADER_SIZE 64
#define WL_CODE_SCHEME 1
#define WL_MAX_SUBJECTS 0x7fffffffu

/* ---- hash table of ids --------------------------------------------------- */

static uint64_t id_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static const uint8_t *entry_id(const hs__wl_entry *e)
{
    return e->rec + 1;
}

long hs__wl_find(const hs_watchlist *wl, const char *id, size_t id_len)
{
    if (!wl->hcap)
        return -1;
    uint32_t mask = wl->hcap - 1;
    uint32_t h = (uint32_t)id_hash((const uint8_t *)id, id_len) & mask;
    for (;; h = (h + 1) & mask) {
        uint32_t v = wl->hash[h];
        if (!v)
            return -1;
        const hs__wl_entry *e = &wl->e[v - 1];
        if (e->id_len == id_len && !memcmp(entry_id(e), id, id_len))
            return (long)(v - 1);
    }
}

static void hash_put(hs_watchlist *wl, uint32_t idx)
{
    uint32_t mask = wl->hcap - 1;
    const hs__wl_entry *e = &wl->e[idx];
    uint32_t h = (uint32_t)id_hash(entry_id(e), e->id_len) & mask;
    while (wl->hash[h])
        h = (h + 1) & mask;
    wl->hash[h] = idx + 1;
}

/* Slot holding idx (which must be present). */
static uint32_t hash_slot(const hs_watchlist *wl, uint32_t idx)
{
    uint32_t mask = wl->hcap - 1;
    const hs__wl_entry *e = &wl->e[idx];
    uint32_t h = (uint32_t)id_hash(entry_id(e), e->id_len) & mask;
    while (wl->hash[h] != idx + 1)
        h = (h + 1) & mask;
    return h;
}

/* Linear-probing deletion with backward shift (no tombstones). */
static void hash_del_slot(hs_watchlist *wl, uint32_t slot)
{
    uint32_t mask = wl->hcap - 1;
    uint32_t i = slot;
    wl->hash[i] = 0;
    for (uint32_t j = (i + 1) & mask; wl->hash[j]; j = (j + 1) & mask) {
        const hs__wl_entry *e = &wl->e[wl->hash[j] - 1];
        uint32_t k = (uint32_t)id_hash(entry_id(e), e->id_len) & mask;
        /* move j back to i when its home k is not cyclically in (i, j] */
        bool move = (i <= j) ? (k <= i || k > j) : (k <= i && k > j);
        if (move) {
            wl->hash[i] = wl->hash[j];
            wl->hash[j] = 0;
            i = j;
        }
    }
}

static bool reserve(hs_watchlist *wl, uint32_t n)
{
    if (n > wl->cap) {
        uint32_t ncap = wl->cap ? wl->cap : 16;
        while (ncap < n)
            ncap = ncap > WL_MAX_SUBJECTS / 2 ? WL_MAX_SUBJECTS : ncap * 2;
        hs__wl_entry *ne = hs__realloc(&wl->alloc, wl->e, (size_t)ncap * sizeof *ne);
        if (!ne)
            return false;
        wl->e = ne;
        wl->cap = ncap;
    }
    if ((uint64_t)n * 2 > wl->hcap) {
        if (!hs__slots_grow(&wl->alloc, &wl->hash, &wl->hcap, (uint64_t)n * 2, 32))
            return false;
        for (uint32_t i = 0; i < wl->n; i++)
            hash_put(wl, i);
    }
    return true;
}

/* ---- list ---------------------------------------------------------------- */

hs_status hs__wl_format_version(hs_ctx *ctx, const uint8_t *p, const char *what, uint32_t *fv)
{
    *fv = hs__get_le16(p + 4);
    if (*fv >= 1 && *fv <= WL_FORMAT_VERSION)
        return HS_OK;
    return hs__error(ctx, *fv > WL_FORMAT_VERSION ? HS_ERR_VERSION : HS_ERR_CORRUPT,
                     "%s format version %u (this library reads 1..%d)", what, *fv,
                     WL_FORMAT_VERSION);
}

hs_status hs_watchlist_new(hs_ctx *ctx, hs_watchlist **out)
{
    hs_status st;
    hs_watchlist *wl = HS__OBJECT_NEW(ctx, &st, out, hs_watchlist);
    if (!wl)
        return st;
    wl->file_format = HS__WL_FORMAT_BASE;
    /* Writer preference: an update (a device receiving a package while an
     * officer searches) waits for the searches running now, and searches
     * that start after it wait for the update, so a stream of searches
     * cannot starve it. */
    pthread_rwlockattr_t attr;
    int rc = pthread_rwlockattr_init(&attr);
    if (!rc) {
#if defined(__GLIBC__)
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
        rc = pthread_rwlock_init(&wl->lock, &attr);
        pthread_rwlockattr_destroy(&attr);
    }
    if (rc) {
        HS__OBJECT_FREE(wl, hs_watchlist, 0);
        return hs__error(ctx, HS_ERR_NOMEM, "cannot create the list's lock");
    }
    *out = wl;
    return HS_OK;
}

void hs__wl_rdlock(const hs_watchlist *wl)
{
    pthread_rwlock_rdlock((pthread_rwlock_t *)(uintptr_t)&wl->lock);
}

void hs__wl_wrlock(hs_watchlist *wl) { pthread_rwlock_wrlock(&wl->lock); }

void hs__wl_unlock(const hs_watchlist *wl)
{
    pthread_rwlock_unlock((pthread_rwlock_t *)(uintptr_t)&wl->lock);
}

void hs__wl_face_dims_update(hs_watchlist *wl, const hs__wl_entry *e, int sign)
{
    for (uint32_t j = 0; j < e->nfaces; j++) {
        uint32_t dim, model;
        float scale;
        const int8_t *vals;
        hs__wl_face_read(e, j, &dim, &model, &scale, &vals);
        if (dim <= HS_WATCHLIST_FACE_DIM_MAX) { /* checked by the record validation */
            wl->face_dims[dim] += (uint32_t)sign;
            wl->nfaces += (uint32_t)sign;
        }
    }
}

static void entry_free(hs_watchlist *wl, hs__wl_entry *e)
{
    if (e->owned) {
        uint8_t *p = (uint8_t *)(uintptr_t)e->rec;
        hs__free_wiped(&wl->alloc, p, e->len);
    }
    e->rec = NULL;
}

void hs_watchlist_free(hs_watchlist *wl)
{
    if (!wl)
        return;
    hs__wl_cache_drop(wl);
    const hs_allocator *a = &wl->alloc;
    for (uint32_t i = 0; i < wl->n; i++)
        entry_free(wl, &wl->e[i]);
    hs__free(a, wl->e);
    hs__free(a, wl->hash);
    hs__free_wiped(a, wl->blob, wl->blob_size);
    pthread_rwlock_destroy(&wl->lock);
    HS__OBJECT_FREE(wl, hs_watchlist, sizeof *wl);
}

static uint64_t count_unlocked(const hs_watchlist *wl)
{
    return wl ? wl->n : 0;
}

static uint64_t finger_count_unlocked(const hs_watchlist *wl)
{
    return wl ? wl->nfingers : 0;
}

static uint64_t memory_bytes_unlocked(const hs_watchlist *wl)
{
    if (!wl)
        return 0;
    return sizeof *wl + wl->rec_bytes + (uint64_t)wl->cap * sizeof(hs__wl_entry) +
           (uint64_t)wl->hcap * sizeof(uint32_t) + wl->cache_bytes;
}

static uint64_t version_unlocked(const hs_watchlist *wl)
{
    return wl ? wl->version : 0;
}

static hs_status set_version_unlocked(hs_watchlist *wl, uint64_t version)
{
    if (!wl)
        return HS_ERR_INVALID_ARG;
    wl->version = version;
    return HS_OK;
}

#ifdef HOTSPOT_TESTING
void hs__watchlist_set_save_fault(hs_watchlist *wl, int stage)
{
    if (wl)
        wl->save_fault = stage;
}
#endif

/* Adds (sign 1) or takes away (sign -1) entry e's share of the list's totals. */
static void entry_count(hs_watchlist *wl, const hs__wl_entry *e, int sign)
{
    hs__wl_face_dims_update(wl, e, sign);
    if (sign > 0) {
        wl->nfingers += e->nfingers;
        wl->rec_bytes += e->len;
        wl->nfmt[hs__wl_record_format(e)]++;
    } else {
        wl->nfingers -= e->nfingers;
        wl->rec_bytes -= e->len;
        wl->nfmt[hs__wl_record_format(e)]--;
    }
}

/* Appends entry e (room reserved) and counts it. */
static void entry_push(hs_watchlist *wl, const hs__wl_entry *e)
{
    wl->e[wl->n] = *e;
    hash_put(wl, wl->n);
    wl->n++;
    entry_count(wl, e, 1);
}

/* Insert (or replace) a record. With copy, the record is copied into an
 * owned allocation; otherwise ownership of rec passes to the list on
 * success (it must have been allocated with wl->alloc). */
hs_status hs__wl_insert_entry(hs_ctx *ctx, hs_watchlist *wl, const uint8_t *rec, uint32_t len,
                              bool copy, bool replace)
{
    hs__wl_entry e;
    memset(&e, 0, sizeof e);
    const char *why = hs__wl_record_check(rec, len, HS__WL_FORMAT, &e);
    if (why)
        return hs__error(ctx, HS_ERR_CORRUPT, "subject record: %s", why);
    long at = hs__wl_find(wl, (const char *)rec + 1, e.id_len);
    char q[96];
    if (at >= 0 && !replace)
        return hs__error(ctx, HS_ERR_EXISTS, "subject %s is already in the list",
                         hs__quote(q, sizeof q, (const char *)rec + 1));
    if (at < 0 && replace)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "no subject %s in the list",
                         hs__quote(q, sizeof q, (const char *)rec + 1));
    hs__wl_cache_drop(wl);
    if (at < 0 && wl->n >= WL_MAX_SUBJECTS)
        return hs__error(ctx, HS_ERR_LIMIT, "the list is full");
    if (at < 0 && !reserve(wl, wl->n + 1))
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    const uint8_t *stored = rec;
    if (copy) {
        uint8_t *c = hs__malloc(&wl->alloc, len);
        if (!c)
            return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        memcpy(c, rec, len);
        stored = c;
    }
    e.rec = stored;
    e.len = len;
    e.owned = 1;
    if (at >= 0) {
        hs__wl_entry *old = &wl->e[at];
        entry_count(wl, old, -1);
        entry_free(wl, old);
        *old = e; /* same id: the hash slot stays valid */
        entry_count(wl, old, 1);
    } else {
        entry_push(wl, &e);
    }
    return HS_OK;
}

static hs_status add_or_replace(hs_ctx *ctx, hs_watchlist *wl, const hs_watchlist_subject *s,
                                bool replace)
{
    if (!wl || !s)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    uint8_t *rec;
    uint32_t len;
    hs_status st = hs__wl_record_build(ctx, &wl->alloc, s, &rec, &len);
    if (st)
        return st;
    st = hs__wl_insert_entry(ctx, wl, rec, len, false, replace);
    if (st)
        hs__free_wiped(&wl->alloc, rec, len);
    return st;
}

hs_status hs__wl_remove_index(hs_watchlist *wl, uint32_t i)
{
    hs__wl_cache_drop(wl);
    hs__wl_entry *e = &wl->e[i];
    hash_del_slot(wl, hash_slot(wl, i));
    entry_count(wl, e, -1);
    entry_free(wl, e);
    uint32_t last = wl->n - 1;
    if (i != last) {
        uint32_t slot = hash_slot(wl, last);
        wl->e[i] = wl->e[last];
        wl->hash[slot] = i + 1;
    }
    wl->n--;
    return HS_OK;
}

/* The entry of subject id, or HS_ERR_NOT_FOUND naming it (quoted). */
static hs_status find_id(hs_ctx *ctx, const hs_watchlist *wl, const char *id, uint32_t *at)
{
    long i = hs__wl_find(wl, id, strlen(id));
    if (i < 0) {
        char q[96];
        return hs__error(ctx, HS_ERR_NOT_FOUND, "no subject %s in the list",
                         hs__quote(q, sizeof q, id));
    }
    *at = (uint32_t)i;
    return HS_OK;
}

static hs_status remove_unlocked(hs_ctx *ctx, hs_watchlist *wl, const char *id)
{
    if (!wl || !id)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    uint32_t at = 0;
    hs_status st = find_id(ctx, wl, id, &at);
    return st ? st : hs__wl_remove_index(wl, at);
}

/* A copy of the subject named id, or (id NULL) of the one at index. */
static hs_status lookup_unlocked(hs_ctx *ctx, hs_watchlist_subject **out, const hs_watchlist *wl,
                                 const char *id, uint64_t index)
{
    uint32_t at = 0;
    hs_status st = HS_OK;
    if (id)
        st = find_id(ctx, wl, id, &at);
    else if (index >= wl->n)
        st = hs__error(ctx, HS_ERR_NOT_FOUND, "no subject at index %llu",
                       (unsigned long long)index);
    else
        at = (uint32_t)index;
    return st ? st : hs__wl_record_to_subject(ctx, wl->e[at].rec, wl->e[at].len, out);
}

static const char *id_at_unlocked(const hs_watchlist *wl, uint64_t index)
{
    if (!wl || index >= wl->n)
        return NULL;
    return (const char *)entry_id(&wl->e[index]);
}

/* ---- encoding ------------------------------------------------------------ */

static uint64_t payload_size(const hs_watchlist *wl)
{
    return wl->rec_bytes + 4ull * wl->n;
}

/* Format version a list is written in: the oldest that holds its records
 * (3 when a stored finger has an orientation field, 2 with pose bytes), and
 * at least the version it was loaded from up to 2 (a new list:
 * HS__WL_FORMAT_BASE), so that loading and saving a file of version 1 or 2
 * gives the same bytes, and a list whose last field is removed goes back to
 * 2, which readers of 1.0 read. */
uint32_t hs__wl_list_format(const hs_watchlist *wl)
{
    uint32_t fmt = wl->file_format < HS__WL_FORMAT_BASE ? wl->file_format : HS__WL_FORMAT_BASE;
    for (uint32_t v = fmt + 1; v <= WL_FORMAT_VERSION; v++)
        if (wl->nfmt[v])
            fmt = v;
    return fmt;
}

static void make_header(const hs_watchlist *wl, uint32_t payload_crc, uint8_t h[WL_HEADER_SIZE])
{
    memset(h, 0, WL_HEADER_SIZE);
    memcpy(h, WL_MAGIC, 4);
    h[4] = (uint8_t)hs__wl_list_format(wl);
    h[6] = WL_HEADER_SIZE;
    hs__put_le32(h + 12, wl->n);
    hs__put_le64(h + 16, wl->nfingers);
    hs__put_le64(h + 24, wl->version);
    hs__put_le64(h + 32, payload_size(wl));
    hs__put_le32(h + 40, payload_crc);
    hs__put_le32(h + 44, WL_CODE_SCHEME);
    hs__put_le32(h + 60, hs__crc32c(0, h, 60));
}

hs_status hs__wl_encode(hs_ctx *ctx, void *buf, size_t *size, const hs_watchlist *wl)
{
    if (!wl || !size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    uint64_t need64 = WL_HEADER_SIZE + payload_size(wl);
    if (need64 > SIZE_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "list too large for memory");
    size_t need = (size_t)need64;
    if (!buf) {
        *size = need;
        return HS_OK;
    }
    if (*size < need) {
        *size = need;
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "need %zu bytes", need);
    }
    uint8_t *p = buf;
    uint8_t *q = p + WL_HEADER_SIZE;
    for (uint32_t i = 0; i < wl->n; i++) {
        hs__put_le32(q, wl->e[i].len);
        memcpy(q + 4, wl->e[i].rec, wl->e[i].len);
        q += 4 + (size_t)wl->e[i].len;
    }
    make_header(wl, hs__crc32c(0, p + WL_HEADER_SIZE, need - WL_HEADER_SIZE), p);
    *size = need;
    return HS_OK;
}

/* Parse a whole file image. With take, buf (allocated with the ctx
 * allocator) becomes the list's blob and records point into it. */
static hs_status decode(hs_ctx *ctx, hs_watchlist **out, uint8_t *buf, size_t size, bool take)
{
    const uint8_t *p = buf;
    if (size < 4 || memcmp(p, WL_MAGIC, 4) != 0) {
        if (size < 4 && !memcmp(p, WL_MAGIC, size))
            return hs__error(ctx, HS_ERR_TRUNCATED, "watchlist file of %zu bytes", size);
        return hs__error(ctx, HS_ERR_FORMAT, "not a watchlist file (bad magic)");
    }
    if (size < WL_HEADER_SIZE)
        return hs__error(ctx, HS_ERR_TRUNCATED, "watchlist header truncated (%zu bytes)", size);
    if (hs__crc32c(0, p, 60) != hs__get_le32(p + 60))
        return hs__error(ctx, HS_ERR_CHECKSUM, "watchlist header checksum mismatch");
    uint32_t fv;
    hs_status st = hs__wl_format_version(ctx, p, "watchlist", &fv);
    if (st)
        return st;
    uint32_t hsize = (uint32_t)p[6] | ((uint32_t)p[7] << 8);
    if (hsize != WL_HEADER_SIZE || hs__get_le32(p + 8) != 0)
        return hs__error(ctx, HS_ERR_CORRUPT, "unexpected header size or flags");
    if (hs__get_le32(p + 44) != WL_CODE_SCHEME)
        return hs__error(ctx, HS_ERR_VERSION, "unknown filter code scheme %u",
                         hs__get_le32(p + 44));
    for (int i = 48; i < 60; i++)
        if (p[i])
            return hs__error(ctx, HS_ERR_CORRUPT, "reserved header bytes not zero");
    uint32_t nsub = hs__get_le32(p + 12);
    uint64_t nfing = hs__get_le64(p + 16);
    uint64_t psize = hs__get_le64(p + 32);
    if (psize > size - WL_HEADER_SIZE)
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "watchlist file truncated: payload of %llu bytes, %zu present",
                         (unsigned long long)psize, size - WL_HEADER_SIZE);
    if (psize < size - WL_HEADER_SIZE)
        return hs__error(ctx, HS_ERR_CORRUPT, "%zu bytes after the end of the watchlist",
                         (size_t)(size - WL_HEADER_SIZE - psize));
    if (hs__crc32c(0, p + WL_HEADER_SIZE, (size_t)psize) != hs__get_le32(p + 40))
        return hs__error(ctx, HS_ERR_CHECKSUM, "watchlist payload checksum mismatch");
    if (nsub > WL_MAX_SUBJECTS || (uint64_t)nsub * 8 > psize + 8)
        return hs__error(ctx, HS_ERR_CORRUPT, "subject count %u impossible for the payload",
                         nsub);
    hs_watchlist *wl;
    st = hs_watchlist_new(ctx, &wl);
    if (st)
        return st;
    wl->version = hs__get_le64(p + 24);
    wl->file_format = fv;
    if (!reserve(wl, nsub)) {
        hs_watchlist_free(wl);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory for %u subjects", nsub);
    }
    const uint8_t *recs = p + WL_HEADER_SIZE;
    if (!take) {
        uint8_t *copy = hs__malloc(&wl->alloc, (size_t)psize);
        if (!copy) {
            hs_watchlist_free(wl);
            return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        }
        memcpy(copy, recs, (size_t)psize);
        wl->blob = copy;
        wl->blob_size = (size_t)psize;
        recs = copy;
    }
    size_t off = 0;
    for (uint32_t i = 0; i < nsub; i++) {
        if (psize - off < 4) {
            st = hs__error(ctx, HS_ERR_CORRUPT, "subject %u: record length missing", i);
            goto fail;
        }
        uint32_t len = hs__get_le32(recs + off);
        off += 4;
        if (len > psize - off) {
            st = hs__error(ctx, HS_ERR_CORRUPT, "subject %u: record beyond the payload", i);
            goto fail;
        }
        hs__wl_entry e;
        memset(&e, 0, sizeof e);
        const char *why = hs__wl_record_check(recs + off, len, fv, &e);
        if (why) {
            st = hs__error(ctx, HS_ERR_CORRUPT, "subject %u: %s", i, why);
            goto fail;
        }
        e.rec = recs + off;
        e.len = len;
        e.owned = 0;
        if (hs__wl_find(wl, (const char *)e.rec + 1, e.id_len) >= 0) {
            st = hs__error(ctx, HS_ERR_CORRUPT, "subject %u: duplicate id", i);
            goto fail;
        }
        entry_push(wl, &e);
        off += len;
    }
    if (off != psize) {
        st = hs__error(ctx, HS_ERR_CORRUPT, "payload holds bytes after the last subject");
        goto fail;
    }
    if (wl->nfingers != nfing) {
        st = hs__error(ctx, HS_ERR_CORRUPT, "finger count %llu in the header, %llu stored",
                       (unsigned long long)nfing, (unsigned long long)wl->nfingers);
        goto fail;
    }
    if (take) {
        /* the header stays in front of the records: the whole buffer is kept */
        wl->blob = buf;
        wl->blob_size = size;
    }
    *out = wl;
    return HS_OK;
fail:
    wl->n = 0; /* records are not owned: nothing per entry to free */
    hs_watchlist_free(wl);
    return st;
}

hs_status hs_watchlist_decode(hs_ctx *ctx, hs_watchlist **out, const void *data, size_t size)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!data && size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "data is NULL");
    static const uint8_t empty[1] = {0};
    return decode(ctx, out, (uint8_t *)(uintptr_t)(data ? data : empty), size, false);
}

hs_status hs_watchlist_load(hs_ctx *ctx, hs_watchlist **out, const char *path)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    uint8_t *buf;
    size_t size;
    hs_status st = hs__read_file(ctx, path, &buf, &size);
    if (st)
        return st;
    /* Unlike hs__load_file, the list keeps the bytes (it reads its records
     * in place); only a failed decode gives them back. */
    st = decode(ctx, out, buf, size, true);
    if (st) {
        hs__free_wiped(hs__ctx_allocator(ctx), buf, size);
        hs__error_prefix(ctx, st, path);
    }
    return st;
}

/* ---- save ---------------------------------------------------------------- */

typedef struct file_sink {
    int fd;
    uint8_t buf[1 << 16];
    size_t len;
    uint64_t written;
    uint64_t fail_at; /* HOTSPOT_TESTING: fail once this many bytes were written */
    int err;
} file_sink;

static bool sink_flush(file_sink *s)
{
    size_t off = 0;
    while (off < s->len) {
        size_t n = s->len - off;
#ifdef HOTSPOT_TESTING
        if (s->fail_at && s->written + n > s->fail_at) {
            n = (size_t)(s->fail_at - s->written);
            if (n == 0) {
                s->err = EIO;
                return false;
            }
        }
#endif
        ssize_t w = write(s->fd, s->buf + off, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            s->err = errno;
            return false;
        }
        off += (size_t)w;
        s->written += (uint64_t)w;
    }
    s->len = 0;
    return true;
}

static bool sink_put(file_sink *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n) {
        size_t k = sizeof s->buf - s->len;
        if (k > n)
            k = n;
        memcpy(s->buf + s->len, p, k);
        s->len += k;
        p += k;
        n -= k;
        if (s->len == sizeof s->buf && !sink_flush(s))
            return false;
    }
    return true;
}

static hs_status save_unlocked(hs_ctx *ctx, const char *path, const hs_watchlist *wl)
{
    if (!wl || !path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    const hs_allocator *a = hs__ctx_allocator(ctx);
    file_sink *s = hs__calloc(a, 1, sizeof *s);
    if (!s)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    /* The core's atomic save (a fresh temporary beside path, fsync,
     * rename, directory fsync); the list is streamed into it. */
    hs__atomic_file af;
    hs_status st = hs__atomic_open(ctx, &af, path, HS_FILE_PRIVATE);
    if (st)
        goto out;
    s->fd = af.fd;
#ifdef HOTSPOT_TESTING
    uint64_t total = WL_HEADER_SIZE + payload_size(wl);
    if (wl->save_fault == 1)
        s->fail_at = total / 2 ? total / 2 : 1;
#endif
    /* header placeholder first; the real one (with the CRC) is written last */
    uint8_t hdr[WL_HEADER_SIZE];
    memset(hdr, 0, sizeof hdr);
    bool ok = sink_put(s, hdr, sizeof hdr);
    uint32_t crc = 0;
    for (uint32_t i = 0; ok && i < wl->n; i++) {
        uint8_t l[4];
        hs__put_le32(l, wl->e[i].len);
        crc = hs__crc32c(crc, l, 4);
        crc = hs__crc32c(crc, wl->e[i].rec, wl->e[i].len);
        ok = sink_put(s, l, 4) && sink_put(s, wl->e[i].rec, wl->e[i].len);
    }
    ok = ok && sink_flush(s);
    if (ok) {
        make_header(wl, crc, hdr);
        ok = pwrite(s->fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr;
        if (!ok)
            s->err = errno;
    }
    if (!ok) {
        st = hs__error(ctx, HS_ERR_IO, "%s: write failed: %s", path, strerror(s->err));
        hs__atomic_abort(&af);
        goto out;
    }
#ifdef HOTSPOT_TESTING
    if (wl->save_fault == 2) {
        st = hs__error(ctx, HS_ERR_IO, "%s: injected failure before the rename", path);
        hs__atomic_abort(&af);
        goto out;
    }
#endif
    st = hs__atomic_commit(ctx, &af);
out:
    hs__memzero(s->buf, sizeof s->buf);
    hs__free(a, s);
    return st;
}

/* ---- clone (used by delta packages) --------------------------------------- */

hs_status hs__wl_clone(hs_ctx *ctx, const hs_watchlist *src, hs_watchlist **out)
{
    *out = NULL;
    hs_watchlist *wl;
    hs_status st = hs_watchlist_new(ctx, &wl);
    if (st)
        return st;
    wl->version = src->version;
    wl->file_format = src->file_format;
    for (uint32_t i = 0; i < src->n; i++) {
        st = hs__wl_insert_entry(ctx, wl, src->e[i].rec, src->e[i].len, true, false);
        if (st) {
            hs_watchlist_free(wl);
            return st;
        }
    }
    *out = wl;
    return HS_OK;
}

/* ---- public entry points: each holds the list's lock ---------------- */

/* A getter that cannot fail, under the read lock. */
static uint64_t read_u64(const hs_watchlist *wl, uint64_t (*fn)(const hs_watchlist *))
{
    if (!wl)
        return 0;
    hs__wl_rdlock(wl);
    uint64_t r = fn(wl);
    hs__wl_unlock(wl);
    return r;
}

uint64_t hs_watchlist_count(const hs_watchlist *wl)
{
    return read_u64(wl, count_unlocked);
}

uint64_t hs_watchlist_finger_count(const hs_watchlist *wl)
{
    return read_u64(wl, finger_count_unlocked);
}

uint64_t hs_watchlist_memory_bytes(const hs_watchlist *wl)
{
    return read_u64(wl, memory_bytes_unlocked);
}

uint64_t hs_watchlist_version(const hs_watchlist *wl)
{
    return read_u64(wl, version_unlocked);
}

static uint64_t format_unlocked(const hs_watchlist *wl)
{
    return hs__wl_list_format(wl);
}

uint32_t hs_watchlist_format_version(const hs_watchlist *wl)
{
    return (uint32_t)read_u64(wl, format_unlocked);
}

hs_status hs_watchlist_set_version(hs_watchlist *wl, uint64_t version)
{
    if (!wl)
        return HS_ERR_INVALID_ARG;
    hs__wl_wrlock(wl);
    hs_status r = set_version_unlocked(wl, version);
    hs__wl_unlock(wl);
    return r;
}

/* hs_watchlist_add, hs_watchlist_replace (s) and hs_watchlist_remove (id),
 * under the write lock. */
typedef enum { SUBJECT_ADD, SUBJECT_REPLACE, SUBJECT_REMOVE } subject_op;

static hs_status write_subject(hs_ctx *ctx, hs_watchlist *wl, subject_op op,
                               const hs_watchlist_subject *s, const char *id)
{
    if (!wl)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    hs__wl_wrlock(wl);
    hs_status r = op == SUBJECT_REMOVE ? remove_unlocked(ctx, wl, id)
                                       : add_or_replace(ctx, wl, s, op == SUBJECT_REPLACE);
    hs__wl_unlock(wl);
    return r;
}

hs_status hs_watchlist_add(hs_ctx *ctx, hs_watchlist *wl, const hs_watchlist_subject *s)
{
    return write_subject(ctx, wl, SUBJECT_ADD, s, NULL);
}

hs_status hs_watchlist_replace(hs_ctx *ctx, hs_watchlist *wl, const hs_watchlist_subject *s)
{
    return write_subject(ctx, wl, SUBJECT_REPLACE, s, NULL);
}

hs_status hs_watchlist_remove(hs_ctx *ctx, hs_watchlist *wl, const char *id)
{
    return write_subject(ctx, wl, SUBJECT_REMOVE, NULL, id);
}

/* hs_watchlist_get (by id) and hs_watchlist_subject_at (id NULL: by index),
 * under the read lock. */
static hs_status lookup(hs_ctx *ctx, hs_watchlist_subject **out, const hs_watchlist *wl,
                        const char *id, uint64_t index)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!wl)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    hs__wl_rdlock(wl);
    hs_status r = lookup_unlocked(ctx, out, wl, id, index);
    hs__wl_unlock(wl);
    return r;
}

hs_status hs_watchlist_get(hs_ctx *ctx, hs_watchlist_subject **out, const hs_watchlist *wl,
                           const char *id)
{
    if (!id) {
        if (out)
            *out = NULL;
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    }
    return lookup(ctx, out, wl, id, 0);
}

hs_status hs_watchlist_subject_at(hs_ctx *ctx, hs_watchlist_subject **out, const hs_watchlist *wl,
                                  uint64_t index)
{
    return lookup(ctx, out, wl, NULL, index);
}

const char *hs_watchlist_id_at(const hs_watchlist *wl, uint64_t index)
{
    if (!wl)
        return NULL;
    hs__wl_rdlock(wl);
    const char *r = id_at_unlocked(wl, index);
    hs__wl_unlock(wl);
    return r;
}

/* hs_watchlist_save (to_file: to path) and hs_watchlist_encode (into buf),
 * under the read lock. */
static hs_status write_list(hs_ctx *ctx, bool to_file, const char *path, void *buf, size_t *size,
                            const hs_watchlist *wl)
{
    if (!wl)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    hs__wl_rdlock(wl);
    hs_status r = to_file ? save_unlocked(ctx, path, wl) : hs__wl_encode(ctx, buf, size, wl);
    hs__wl_unlock(wl);
    return r;
}

hs_status hs_watchlist_save(hs_ctx *ctx, const char *path, const hs_watchlist *wl)
{
    return write_list(ctx, true, path, NULL, NULL, wl);
}

hs_status hs_watchlist_encode(hs_ctx *ctx, void *buf, size_t *size, const hs_watchlist *wl)
{
    return write_list(ctx, false, NULL, buf, size, wl);
}
