/*
 * The cluster wire format (docs/cluster.md, "Wire format"): four message
 * kinds, each starting with a 4-byte magic and a 16-bit version, all
 * integers little-endian, floats IEEE 754. Messages arrive from the network:
 * the parsers treat every byte as hostile (fuzz/fuzz_cluster_wire.c).
 *
 * The core library's bounded reader and writer (lib/core/bytes.c) are
 * hidden inside libhotspot.so, which this library links as any user does;
 * the small reader below follows the same rules (a read past the end sets a
 * flag and yields zeros, checked once per record).
 */
#include "wire.h"

#include "hash.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hs_status hsc_error(hs_ctx *ctx, hs_status status, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hs_ctx_set_error(ctx, status, msg);
}

bool hsc_name_ok(const char *s, size_t max)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* ---- writer --------------------------------------------------------------- */

void hsc_put(hsc_buf *b, const void *src, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        /* not realloc: the old block may hold biometric data to wipe */
        uint8_t *p = malloc(cap);
        if (!p) {
            b->failed = true;
            return;
        }
        if (b->len)
            memcpy(p, b->p, b->len);
        if (b->p) {
            volatile uint8_t *v = b->p;
            for (size_t i = 0; i < b->cap; i++)
                v[i] = 0;
            free(b->p);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

void hsc_put_u8(hsc_buf *b, uint8_t v) { hsc_put(b, &v, 1); }

void hsc_put_u16(hsc_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    hsc_put(b, x, 2);
}

void hsc_put_u32(hsc_buf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    hsc_put(b, x, 4);
}

void hsc_put_u64(hsc_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    hsc_put(b, x, 8);
}

void hsc_put_f32(hsc_buf *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    hsc_put_u32(b, u);
}

void hsc_put_f64(hsc_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    hsc_put_u64(b, u);
}

void hsc_buf_free(hsc_buf *b)
{
    if (b->p) {
        volatile uint8_t *v = b->p;
        for (size_t i = 0; i < b->cap; i++)
            v[i] = 0;
        free(b->p);
    }
    memset(b, 0, sizeof *b);
}

/* ---- reader --------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t size, pos;
    bool overrun;
} rd;

static const uint8_t *take(rd *r, size_t n)
{
    if (r->overrun || n > r->size - r->pos) {
        r->overrun = true;
        return NULL;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += n;
    return q;
}

static uint8_t g8(rd *r)
{
    const uint8_t *q = take(r, 1);
    return q ? q[0] : 0;
}

static uint16_t g16(rd *r)
{
    const uint8_t *q = take(r, 2);
    return q ? (uint16_t)((unsigned)q[0] | (unsigned)q[1] << 8) : 0;
}

static uint32_t g32(rd *r)
{
    const uint8_t *q = take(r, 4);
    return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24
             : 0;
}

static uint64_t g64(rd *r)
{
    uint64_t lo = g32(r);
    return lo | (uint64_t)g32(r) << 32;
}

static float gf32(rd *r)
{
    uint32_t u = g32(r);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double gf64(rd *r)
{
    uint64_t u = g64(r);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* A text field of n bytes into dst (cap bytes with the NUL): no NUL or
 * control bytes inside. */
static bool gtext(rd *r, char *dst, size_t cap, size_t n)
{
    if (n >= cap)
        return false;
    const uint8_t *q = take(r, n);
    if (!q)
        return false;
    for (size_t i = 0; i < n; i++)
        if (q[i] < 0x20 || q[i] == 0x7f)
            return false;
    memcpy(dst, q, n);
    dst[n] = 0;
    return true;
}

#define TRUNC(what)                                                                              \
    hsc_error(ctx, HS_ERR_TRUNCATED, "cluster %s: ends at offset %zu of %zu", what, r.pos, size)
#define BAD(what, field)                                                                         \
    hsc_error(ctx, HS_ERR_CORRUPT, "cluster %s: bad %s at offset %zu", what, field, at)

/* "shard I of N" (1 <= I <= N <= HS_CLUSTER_SHARDS_MAX), as every message
 * that names a shard carries it. */
static hs_status shard_pair(hs_ctx *ctx, rd *r, const char *what, uint32_t *shard,
                            uint32_t *shards)
{
    size_t at = r->pos;
    *shard = g32(r);
    *shards = g32(r);
    if (!r->overrun && (*shards == 0 || *shards > HS_CLUSTER_SHARDS_MAX || *shard == 0 ||
                        *shard > *shards))
        return BAD(what, "shard number");
    return HS_OK;
}

/* Magic and version; returns HS_OK or the error. */
static hs_status head(hs_ctx *ctx, rd *r, const void *dst, const void *data, size_t size,
                      const char *magic, const char *what, uint16_t *extra)
{
    if (!dst || (!data && size))
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster %s: NULL argument", what);
    *r = (rd){data, size, 0, false};
    const uint8_t *m = take(r, 4);
    if (!m || memcmp(m, magic, 4))
        return hsc_error(ctx, HS_ERR_FORMAT, "cluster %s: not a %.4s message", what, magic);
    uint16_t v = g16(r);
    *extra = g16(r);
    if (r->overrun)
        return hsc_error(ctx, HS_ERR_TRUNCATED, "cluster %s: header truncated", what);
    if (v != HSC_WIRE_VERSION)
        return hsc_error(ctx, v > HSC_WIRE_VERSION ? HS_ERR_VERSION : HS_ERR_CORRUPT,
                         "cluster %s: wire version %u (this library speaks %u)", what, v,
                         HSC_WIRE_VERSION);
    return HS_OK;
}

/* head() of a message whose 16-bit header field is reserved (zero), then
 * its shard pair. */
static hs_status head_shard(hs_ctx *ctx, rd *r, const void *dst, const void *data, size_t size,
                            const char *magic, const char *what, uint32_t *shard,
                            uint32_t *shards)
{
    uint16_t reserved = 0;
    hs_status s = head(ctx, r, dst, data, size, magic, what, &reserved);
    if (s)
        return s;
    size_t at = 6;
    if (reserved)
        return BAD(what, "reserved field");
    return shard_pair(ctx, r, what, shard, shards);
}

static hs_status tail(hs_ctx *ctx, const rd *r, const char *what)
{
    if (r->overrun)
        return hsc_error(ctx, HS_ERR_TRUNCATED, "cluster %s: truncated (%zu bytes)", what,
                         r->size);
    if (r->pos != r->size)
        return hsc_error(ctx, HS_ERR_CORRUPT, "cluster %s: %zu bytes after the end at offset %zu",
                         what, r->size - r->pos, r->pos);
    return HS_OK;
}

/* The header every message starts with: magic, wire version, a 16-bit
 * field (operation, answer state, or reserved zero). */
static void put_head(hsc_buf *b, const char *magic, uint16_t field)
{
    hsc_put(b, magic, 4);
    hsc_put_u16(b, HSC_WIRE_VERSION);
    hsc_put_u16(b, field);
}

/* put_head() and the shard pair. */
static void put_head_shard(hsc_buf *b, const char *magic, uint16_t field, uint32_t shard,
                           uint32_t shards)
{
    put_head(b, magic, field);
    hsc_put_u32(b, shard);
    hsc_put_u32(b, shards);
}

/* ---- updates -------------------------------------------------------------- */

void hsc_update_encode(hsc_buf *b, uint32_t op, const char *id, const void *subject,
                       size_t subject_size)
{
    size_t n = strlen(id);
    put_head(b, "HSCU", (uint16_t)op);
    hsc_put_u16(b, (uint16_t)n);
    hsc_put(b, id, n);
    hsc_put_u32(b, (uint32_t)subject_size);
    hsc_put(b, subject, subject_size);
}

hs_status hsc_update_parse(hs_ctx *ctx, hsc_update *u, const void *data, size_t size)
{
    const char *what = "update";
    rd r;
    uint16_t op = 0;
    hs_status s = head(ctx, &r, u, data, size, "HSCU", what, &op);
    if (s)
        return s;
    size_t at = r.pos;
    if (op < HSC_OP_ENROL || op > HSC_OP_REMOVE)
        return hsc_error(ctx, HS_ERR_CORRUPT, "cluster update: unknown operation %u at offset 6",
                         op);
    at = r.pos;
    uint16_t idn = g16(&r);
    if (r.overrun)
        return TRUNC(what);
    if (idn == 0 || !gtext(&r, u->id, sizeof u->id, idn))
        return r.overrun ? TRUNC(what) : BAD(what, "id");
    at = r.pos;
    uint32_t n = g32(&r);
    if (r.overrun)
        return TRUNC(what);
    if ((op == HSC_OP_REMOVE) != (n == 0))
        return BAD(what, "subject length");
    const uint8_t *q = take(&r, n);
    if ((s = tail(ctx, &r, what)) != HS_OK)
        return s;
    u->op = op;
    u->subject = n ? q : NULL;
    u->subject_size = n;
    return HS_OK;
}

/* ---- probes --------------------------------------------------------------- */

void hsc_probe_encode(hsc_buf *b, const hsc_probe *p)
{
    put_head_shard(b, "HSCQ", 0, p->shard, p->shards);
    hsc_put_u64(b, p->min_sequence);
    hsc_put_u32(b, p->wait_ms);
    hsc_put_u32(b, p->max_candidates);
    hsc_put_u32(b, p->flags);
    hsc_put_u32(b, p->rescore);
    hsc_put_u32(b, p->face_model);
    hsc_put_f64(b, p->fmr);
    hsc_put_u32(b, (uint32_t)p->fingers_size);
    hsc_put(b, p->fingers, p->fingers_size);
    hsc_put_u32(b, p->face_dim);
    for (uint32_t i = 0; i < p->face_dim; i++)
        hsc_put_f32(b, p->face[i]);
}

hs_status hsc_probe_parse(hs_ctx *ctx, hsc_probe *p, const void *data, size_t size)
{
    const char *what = "probe";
    rd r;
    hsc_probe q;
    memset(&q, 0, sizeof q);
    hs_status s = head_shard(ctx, &r, p, data, size, "HSCQ", what, &q.shard, &q.shards);
    if (s)
        return s;
    size_t at;
    q.min_sequence = g64(&r);
    at = r.pos;
    q.wait_ms = g32(&r);
    if (!r.overrun && q.wait_ms > 600000)
        return BAD(what, "wait");
    at = r.pos;
    q.max_candidates = g32(&r);
    if (!r.overrun && (q.max_candidates < 1 || q.max_candidates > 1000))
        return BAD(what, "candidate count");
    at = r.pos;
    q.flags = g32(&r);
    if (!r.overrun && (q.flags & ~(HS_WATCHLIST_EXHAUSTIVE | HS_WATCHLIST_HITS_ONLY)))
        return BAD(what, "flags");
    q.rescore = g32(&r);
    at = r.pos;
    q.face_model = g32(&r);
    if (!r.overrun && q.face_model > 65535)
        return BAD(what, "face model");
    at = r.pos;
    q.fmr = gf64(&r);
    if (!r.overrun && !(q.fmr >= 1e-12 && q.fmr <= 0.5))
        return BAD(what, "fmr");
    at = r.pos;
    uint32_t n = g32(&r);
    q.fingers = take(&r, n);
    q.fingers_size = n;
    if (!n)
        q.fingers = NULL;
    if (r.overrun)
        return TRUNC(what);
    at = r.pos;
    q.face_dim = g32(&r);
    if (!r.overrun && q.face_dim > HS_WATCHLIST_FACE_DIM_MAX)
        return BAD(what, "face dimension");
    if (!r.overrun && !q.face_dim && !q.fingers)
        return hsc_error(ctx, HS_ERR_CORRUPT, "cluster probe: neither fingers nor a face");
    for (uint32_t i = 0; i < q.face_dim && !r.overrun; i++) {
        at = r.pos;
        q.face[i] = gf32(&r);
        if (!r.overrun && !isfinite(q.face[i]))
            return BAD(what, "face value");
    }
    if ((s = tail(ctx, &r, what)) != HS_OK)
        return s;
    *p = q;
    return HS_OK;
}

/* ---- answers -------------------------------------------------------------- */

void hsc_answer_encode(hsc_buf *b, const hsc_answer *a)
{
    put_head_shard(b, "HSCA", (uint16_t)a->state, a->shard, a->shards);
    hsc_put_u64(b, a->sequence);
    hsc_put_u64(b, a->subjects);
    hsc_put_u64(b, a->rescored);
    hsc_put_u32(b, a->search_us);
    size_t n = strlen(a->replica);
    hsc_put_u8(b, (uint8_t)n);
    hsc_put(b, a->replica, n);
    n = strlen(a->message);
    hsc_put_u8(b, (uint8_t)n);
    hsc_put(b, a->message, n);
    hsc_put_u32(b, a->count);
    for (uint32_t i = 0; i < a->count; i++) {
        const hsc_cand *c = &a->cand[i];
        n = strlen(c->id);
        hsc_put_u8(b, (uint8_t)n);
        hsc_put(b, c->id, n);
        hsc_put_u8(b, (uint8_t)c->hit);
        hsc_put_f64(b, c->score);
        hsc_put_f64(b, c->finger_score);
        hsc_put_f64(b, c->face_score);
        hsc_put_f64(b, c->face_similarity);
        hsc_put_u8(b, (uint8_t)c->finger_count);
        for (uint32_t f = 0; f < c->finger_count; f++) {
            hsc_put_f32(b, c->finger_similarity[f]);
            hsc_put_u8(b, (uint8_t)c->finger_position[f]);
        }
    }
}

void hsc_answer_clear(hsc_answer *a)
{
    if (a) {
        free(a->cand);
        a->cand = NULL;
        a->count = 0;
    }
}

hs_status hsc_answer_parse(hs_ctx *ctx, hsc_answer *a, const void *data, size_t size)
{
    const char *what = "answer";
    rd r;
    uint16_t state = 0;
    hs_status s = head(ctx, &r, a, data, size, "HSCA", what, &state);
    if (s)
        return s;
    size_t at = 6;
    if (state != HSC_ANSWER_OK && state != HSC_ANSWER_BEHIND && state != HSC_ANSWER_FAILED)
        return BAD(what, "state");
    hsc_answer x;
    memset(&x, 0, sizeof x);
    x.state = state;
    s = shard_pair(ctx, &r, what, &x.shard, &x.shards);
    if (s)
        return s;
    x.sequence = g64(&r);
    x.subjects = g64(&r);
    x.rescored = g64(&r);
    x.search_us = g32(&r);
    at = r.pos;
    uint8_t n = g8(&r);
    if (r.overrun)
        return TRUNC(what);
    if (n && !gtext(&r, x.replica, sizeof x.replica, n))
        return r.overrun ? TRUNC(what) : BAD(what, "replica name");
    if (n && !hsc_name_ok(x.replica, HS_CLUSTER_REPLICA_MAX))
        return BAD(what, "replica name");
    at = r.pos;
    n = g8(&r);
    if (r.overrun)
        return TRUNC(what);
    if (n && !gtext(&r, x.message, sizeof x.message, n))
        return r.overrun ? TRUNC(what) : BAD(what, "message");
    at = r.pos;
    uint32_t count = g32(&r);
    if (r.overrun)
        return TRUNC(what);
    /* each candidate takes at least 35 bytes: no allocation beyond what
     * the message can hold */
    if (count > 1000 || (state != HSC_ANSWER_OK && count) || count > (size - r.pos) / 35)
        return count > 1000 || state != HSC_ANSWER_OK ? BAD(what, "candidate count")
                                                      : TRUNC(what);
    if (count && !(x.cand = calloc(count, sizeof *x.cand)))
        return hsc_error(ctx, HS_ERR_NOMEM, "cluster answer: out of memory");
    for (uint32_t i = 0; i < count; i++) {
        hsc_cand *c = &x.cand[i];
        at = r.pos;
        n = g8(&r);
        if (!r.overrun && (n == 0 || !gtext(&r, c->id, sizeof c->id, n))) {
            s = r.overrun ? TRUNC(what) : BAD(what, "candidate id");
            goto fail;
        }
        at = r.pos;
        c->hit = g8(&r);
        c->score = gf64(&r);
        c->finger_score = gf64(&r);
        c->face_score = gf64(&r);
        c->face_similarity = gf64(&r);
        if (!r.overrun && (c->hit > 1 || !isfinite(c->score) || !isfinite(c->finger_score) ||
                           !isfinite(c->face_score) || !(c->face_similarity >= -2.0 &&
                                                         c->face_similarity <= 1.0))) {
            s = BAD(what, "candidate scores");
            goto fail;
        }
        at = r.pos;
        c->finger_count = g8(&r);
        if (!r.overrun && c->finger_count > HS_WATCHLIST_FINGERS_MAX) {
            s = BAD(what, "finger count");
            goto fail;
        }
        for (uint32_t f = 0; f < HS_WATCHLIST_FINGERS_MAX; f++)
            c->finger_position[f] = 255;
        for (uint32_t f = 0; f < c->finger_count && !r.overrun; f++) {
            at = r.pos;
            c->finger_similarity[f] = gf32(&r);
            c->finger_position[f] = g8(&r);
            if (!r.overrun && (!(c->finger_similarity[f] >= 0.0f &&
                                 c->finger_similarity[f] <= 1.0f) ||
                               (c->finger_position[f] > 10 && c->finger_position[f] != 255))) {
                s = BAD(what, "finger entry");
                goto fail;
            }
        }
        if (r.overrun)
            break;
    }
    if ((s = tail(ctx, &r, what)) != HS_OK)
        goto fail;
    x.count = count;
    *a = x;
    return HS_OK;
fail:
    free(x.cand);
    return s;
}

/* ---- status reports ------------------------------------------------------- */

void hsc_state_encode(hsc_buf *b, const hsc_state *st)
{
    put_head_shard(b, "HSCS", (uint16_t)st->flags, st->shard, st->shards);
    hsc_put_u64(b, st->sequence);
    hsc_put_u64(b, st->subjects);
    hsc_put_u64(b, st->fingers);
    hsc_put_u64(b, st->refused);
    hsc_put_u64(b, st->saved_sequence);
    size_t n = strlen(st->replica);
    hsc_put_u8(b, (uint8_t)n);
    hsc_put(b, st->replica, n);
    if (st->flags & HSC_STATE_DUPLICATES)
        hsc_put_u64(b, st->duplicates);
    if (st->flags & HSC_STATE_LEADER_READS)
        hsc_put_u64(b, st->leader_reads);
}

hs_status hsc_state_parse(hs_ctx *ctx, hsc_state *st, const void *data, size_t size)
{
    const char *what = "status";
    rd r = {0};
    hsc_state x;
    memset(&x, 0, sizeof x);
    uint16_t flags = 0;
    hs_status s = head(ctx, &r, st, data, size, "HSCS", what, &flags);
    if (s)
        return s;
    size_t at = 6;
    if ((flags & ~(HSC_STATE_DUPLICATES | HSC_STATE_LEADER_READS)) ||
        ((flags & HSC_STATE_LEADER_READS) && !(flags & HSC_STATE_DUPLICATES)))
        return BAD(what, "flags");
    x.flags = flags;
    if ((s = shard_pair(ctx, &r, what, &x.shard, &x.shards)) != HS_OK)
        return s;
    x.sequence = g64(&r);
    x.subjects = g64(&r);
    x.fingers = g64(&r);
    x.refused = g64(&r);
    x.saved_sequence = g64(&r);
    at = r.pos;
    uint8_t n = g8(&r);
    if (r.overrun)
        return TRUNC(what);
    if (!gtext(&r, x.replica, sizeof x.replica, n) ||
        !hsc_name_ok(x.replica, HS_CLUSTER_REPLICA_MAX))
        return r.overrun ? TRUNC(what) : BAD(what, "replica name");
    if (flags & HSC_STATE_DUPLICATES)
        x.duplicates = g64(&r);
    if (flags & HSC_STATE_LEADER_READS)
        x.leader_reads = g64(&r);
    if ((s = tail(ctx, &r, what)) != HS_OK)
        return s;
    *st = x;
    return HS_OK;
}

/* ---- merge order ---------------------------------------------------------- */

int hsc_cand_cmp(const hsc_cand *a, const hsc_cand *b)
{
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    float fa = 0, fb = 0;
    for (int i = 0; i < HS_WATCHLIST_FINGERS_MAX; i++) {
        fa += a->finger_similarity[i];
        fb += b->finger_similarity[i];
    }
    if (fa != fb)
        return fa > fb ? -1 : 1;
    if (a->face_similarity != b->face_similarity)
        return a->face_similarity > b->face_similarity ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* ---- routing -------------------------------------------------------------- */

uint32_t hs_cluster_shard_of(const char *id, uint32_t shards)
{
    if (!id || shards == 0 || shards > HS_CLUSTER_SHARDS_MAX)
        return 0;
    /* FNV-1a 64 over the id's bytes, then the SplitMix64 finaliser so that
     * ids differing in their last bytes spread over all 64 bits */
    uint64_t h = hsc_fnv1a(HSC_FNV1A_OFFSET, id);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    /* jump consistent hash: growing N to N+1 moves 1/(N+1) of the ids */
    int64_t b = -1, j = 0;
    while (j < (int64_t)shards) {
        b = j;
        h = h * 2862933555777941757ull + 1;
        j = (int64_t)((double)(b + 1) * ((double)(1ll << 31) / (double)((h >> 33) + 1)));
    }
    return (uint32_t)b + 1;
}

/* ---- verdicts --------------------------------------------------------------- */

void hsc_verdict_encode(hsc_buf *b, const hsc_verdict *v)
{
    put_head(b, "HSCR", (uint16_t)v->kind);
    hsc_put(b, v->id, 16);
    hsc_put(b, v->device, 32);
    hsc_put_u64(b, (uint64_t)v->time_ms);
    hsc_put_u32(b, (uint32_t)v->decision);
    hsc_put_u32(b, (uint32_t)v->status);
    hsc_put_u64(b, v->gallery_sequence);
    hsc_put_u16(b, (uint16_t)v->shards);
    hsc_put_u16(b, (uint16_t)v->missing);
    hsc_put_u16(b, (uint16_t)v->fingers);
    size_t r = strlen(v->reason);
    hsc_put_u16(b, (uint16_t)r);
    hsc_put(b, v->reason, r);
    hsc_put_u16(b, (uint16_t)v->count);
    for (uint32_t i = 0; i < v->count; i++) {
        size_t n = strlen(v->cand[i].id);
        hsc_put_u8(b, (uint8_t)n);
        hsc_put(b, v->cand[i].id, n);
        hsc_put_f64(b, v->cand[i].score);
        hsc_put_u8(b, (uint8_t)v->cand[i].hit);
    }
}

void hsc_verdict_clear(hsc_verdict *v)
{
    if (v) {
        free(v->cand);
        v->cand = NULL;
        v->count = 0;
    }
}

hs_status hsc_verdict_parse(hs_ctx *ctx, hsc_verdict *v, size_t *signed_size, const void *data,
                            size_t size)
{
    static const char what[] = "verdict";
    rd r;
    uint16_t kind = 0;
    hs_status s = head(ctx, &r, v, data, size, "HSCR", what, &kind);
    if (s)
        return s;
    memset(v, 0, sizeof *v);
    size_t at = 6;
    if (kind < HS_CLUSTER_VERDICT_COMPLETE || kind > HS_CLUSTER_VERDICT_REFUSED)
        return BAD(what, "kind");
    v->kind = kind;
    const uint8_t *q = take(&r, 16);
    if (q)
        memcpy(v->id, q, 16);
    q = take(&r, 32);
    if (q)
        memcpy(v->device, q, 32);
    at = r.pos;
    v->time_ms = (int64_t)g64(&r);
    if (!r.overrun && v->time_ms < 0)
        return BAD(what, "time");
    at = r.pos;
    v->decision = (int32_t)g32(&r);
    if (!r.overrun && (v->decision < HS_ENCOUNTER_NO_HIT || v->decision > HS_ENCOUNTER_NOT_SEARCHED ||
                       (kind != HS_CLUSTER_VERDICT_COMPLETE &&
                        v->decision != HS_ENCOUNTER_NOT_SEARCHED)))
        return BAD(what, "decision");
    at = r.pos;
    v->status = (int32_t)g32(&r);
    if (!r.overrun && (v->status > 0 || v->status < -1000 ||
                       (kind == HS_CLUSTER_VERDICT_COMPLETE) != (v->status == 0)))
        return BAD(what, "status");
    v->gallery_sequence = g64(&r);
    at = r.pos;
    v->shards = g16(&r);
    v->missing = g16(&r);
    if (!r.overrun && (v->shards > HS_CLUSTER_SHARDS_MAX || v->missing > v->shards ||
                       (kind == HS_CLUSTER_VERDICT_COMPLETE && v->missing)))
        return BAD(what, "shard counts");
    at = r.pos;
    v->fingers = g16(&r);
    if (!r.overrun && v->fingers > HS_WATCHLIST_FINGERS_MAX)
        return BAD(what, "finger count");
    at = r.pos;
    uint16_t rl = g16(&r);
    if (r.overrun)
        return TRUNC(what);
    if (rl >= sizeof v->reason || (rl && !gtext(&r, v->reason, sizeof v->reason, rl)))
        return r.overrun ? TRUNC(what) : BAD(what, "reason");
    at = r.pos;
    uint16_t count = g16(&r);
    if (r.overrun)
        return TRUNC(what);
    if (count > HSC_VERDICT_CANDIDATES_MAX || (count && kind != HS_CLUSTER_VERDICT_COMPLETE))
        return BAD(what, "candidate count");
    if ((size_t)count * 11 > size - r.pos)
        return TRUNC(what);
    if (count && !(v->cand = calloc(count, sizeof *v->cand)))
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    v->count = count;
    for (uint32_t i = 0; i < count; i++) {
        hsc_vcand *c = &v->cand[i];
        at = r.pos;
        uint8_t n = g8(&r);
        if (!r.overrun && (n == 0 || !gtext(&r, c->id, sizeof c->id, n)))
            s = r.overrun ? TRUNC(what) : BAD(what, "candidate id");
        at = r.pos;
        c->score = gf64(&r);
        if (!s && !r.overrun && !isfinite(c->score))
            s = BAD(what, "candidate score");
        at = r.pos;
        c->hit = g8(&r);
        if (!s && !r.overrun && c->hit > 1)
            s = BAD(what, "candidate hit");
        if (!s && r.overrun)
            s = TRUNC(what);
        if (s) {
            hsc_verdict_clear(v);
            return s;
        }
    }
    *signed_size = r.pos;
    if (size - r.pos != HSC_VERDICT_SIG_BYTES) {
        hsc_verdict_clear(v);
        return size - r.pos < HSC_VERDICT_SIG_BYTES
                   ? TRUNC(what)
                   : hsc_error(ctx, HS_ERR_CORRUPT, "cluster verdict: %zu bytes after the end",
                               size - r.pos - HSC_VERDICT_SIG_BYTES);
    }
    return HS_OK;
}
