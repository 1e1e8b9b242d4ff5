/* 1:N face search: a gallery of int8 embeddings in one contiguous matrix
 * (rows padded to 32 bytes for aligned SIMD loads), scanned in blocks by
 * hs__face_scan() and reduced to the top-K with a heap per thread (internal/topk.h).
 * 1,000,000 rows of 128-d take 128 MB; a scan is bound by memory bandwidth. */
#include "internal/core.h"
#include "internal/face.h"
#include "internal/threads.h"
#include "internal/topk.h"
#include "hotspot/face.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS (1u << 31)
#define MAX_HITS 100000u
#define BLOCK 1024

struct hs_face_gallery {
    hs_allocator alloc;
    uint32_t dim;
    size_t stride;   /* bytes per row, dim rounded up to 32 */
    size_t count, cap;
    int8_t *rows;    /* count * stride */
    float *scales;   /* per row */
    uint64_t *labels;
};

hs_status hs_face_gallery_new(hs_ctx *ctx, hs_face_gallery **out, uint32_t dim)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_new: NULL out");
    *out = NULL;
    if (dim < 1 || dim > HS_FACE_MAX_DIM)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_new: dimension %u outside 1..%u",
                         dim, (unsigned)HS_FACE_MAX_DIM);
    hs_status st;
    hs_face_gallery *g = HS__OBJECT_ALLOC(ctx, &st, hs_face_gallery);
    if (!g)
        return st;
    g->dim = dim;
    g->stride = ((size_t)dim + 31) & ~(size_t)31;
    *out = g;
    return HS_OK;
}

/* Wipes and frees the three arrays (cap rows each). */
static void free_arrays(hs_face_gallery *g)
{
    hs__free_wiped(&g->alloc, g->rows, g->cap * g->stride);
    hs__free_wiped(&g->alloc, g->scales, g->cap * sizeof *g->scales);
    hs__free_wiped(&g->alloc, g->labels, g->cap * sizeof *g->labels);
}

void hs_face_gallery_free(hs_face_gallery *g)
{
    if (!g)
        return;
    free_arrays(g);
    HS__OBJECT_FREE(g, hs_face_gallery, 0);
}

uint32_t hs_face_gallery_count(const hs_face_gallery *g) { return g ? (uint32_t)g->count : 0; }
uint32_t hs_face_gallery_dim(const hs_face_gallery *g) { return g ? g->dim : 0; }

/* Grow the three arrays together; on failure nothing changes (an array that
 * did grow keeps its old contents and just has spare room). */
static hs_status reserve(hs_ctx *ctx, hs_face_gallery *g, size_t want)
{
    if (want <= g->cap)
        return HS_OK;
    if (want > MAX_ROWS)
        return hs__error(ctx, HS_ERR_LIMIT, "gallery: more than %u rows", MAX_ROWS);
    size_t ncap = hs__grown_cap(g->cap, want, 64, MAX_ROWS);
    size_t rb, sb, lb;
    if (!hs__mul_ok(ncap, g->stride, &rb) || !hs__mul_ok(ncap, sizeof(float), &sb) ||
        !hs__mul_ok(ncap, sizeof(uint64_t), &lb))
        return hs__error(ctx, HS_ERR_LIMIT, "gallery: size overflow");
    /* Fresh buffers rather than realloc, so that the old rows can be wiped. */
    int8_t *r = hs__malloc(&g->alloc, rb);
    float *s = hs__malloc(&g->alloc, sb);
    uint64_t *l = hs__malloc(&g->alloc, lb);
    if (!r || !s || !l) {
        hs__free(&g->alloc, r);
        hs__free(&g->alloc, s);
        hs__free(&g->alloc, l);
        return hs__error(ctx, HS_ERR_NOMEM, "gallery: out of memory for %zu rows", ncap);
    }
    if (g->count) {
        memcpy(r, g->rows, g->count * g->stride);
        memcpy(s, g->scales, g->count * sizeof *s);
        memcpy(l, g->labels, g->count * sizeof *l);
    }
    free_arrays(g);
    g->rows = r;
    g->scales = s;
    g->labels = l;
    g->cap = ncap;
    return HS_OK;
}

hs_status hs_face_gallery_add(hs_ctx *ctx, hs_face_gallery *g, uint64_t label, const float *v,
                              uint32_t dim)
{
    if (!g || !v)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_add: NULL argument");
    if (dim != g->dim)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "gallery_add: embedding dimension %u, gallery holds %u", dim, g->dim);
    int8_t q[HS_FACE_MAX_DIM];
    float sc;
    float tmp[HS_FACE_MAX_DIM];
    memcpy(tmp, v, dim * sizeof *tmp);
    hs_status s = hs_face_embedding_normalize(ctx, tmp, dim);
    if (!s)
        s = hs_face_quantize(ctx, q, &sc, tmp, dim);
    hs__memzero(tmp, dim * sizeof *tmp);
    if (!s)
        s = hs_face_gallery_add_q8(ctx, g, label, q, sc, dim);
    hs__memzero(q, dim);
    return s;
}

hs_status hs_face_gallery_add_q8(hs_ctx *ctx, hs_face_gallery *g, uint64_t label,
                                 const int8_t *q, float scale, uint32_t dim)
{
    if (!g || !q)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_add: NULL argument");
    if (dim != g->dim)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "gallery_add: embedding dimension %u, gallery holds %u", dim, g->dim);
    if (!isfinite(scale) || !(scale > 0))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_add: scale not finite and > 0");
    bool nonzero = false;
    for (uint32_t i = 0; i < dim && !nonzero; i++)
        nonzero = q[i] != 0;
    if (!nonzero)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_add: zero vector");
    hs_status s = reserve(ctx, g, g->count + 1);
    if (s)
        return s;
    int8_t *row = g->rows + g->count * g->stride;
    memcpy(row, q, dim);
    memset(row + dim, 0, g->stride - dim);
    g->scales[g->count] = scale;
    g->labels[g->count] = label;
    g->count++;
    return HS_OK;
}

hs_status hs_face_gallery_remove(hs_face_gallery *g, uint32_t *removed, uint64_t label)
{
    if (removed)
        *removed = 0;
    if (!g)
        return HS_ERR_INVALID_ARG;
    uint32_t n = 0;
    for (size_t i = 0; i < g->count;) {
        if (g->labels[i] != label) {
            i++;
            continue;
        }
        size_t last = g->count - 1;
        if (i != last) {
            memcpy(g->rows + i * g->stride, g->rows + last * g->stride, g->stride);
            g->scales[i] = g->scales[last];
            g->labels[i] = g->labels[last];
        }
        hs__memzero(g->rows + last * g->stride, g->stride);
        g->count--;
        n++;
    }
    if (removed)
        *removed = n;
    return n ? HS_OK : HS_ERR_NOT_FOUND;
}

/* ---- search --------------------------------------------------------- */

/* Order of the hits: score, then (equal scores) the lower row first. */
static inline bool hit_worse(const void *ctx, const hs_face_hit *a, const hs_face_hit *b)
{
    (void)ctx;
    return a->score < b->score || (a->score == b->score && a->index > b->index);
}
HS__TOPK_DEFINE(best_hits, hs_face_hit, hit_worse)

/* The best hits of one thread's rows. */
typedef struct topk {
    hs_face_hit *h;
    uint32_t n, cap;
    bool one_per_label;
    float min_score;
} topk;

/* Offer one hit. With one_per_label a label already kept is updated in place
 * (its score only rises, so it sinks away from the root). */
static void offer(topk *t, hs_face_hit hit)
{
    if (!(hit.score >= t->min_score) || !best_hits_admits(t->h, t->n, t->cap, NULL, &hit))
        return;
    if (t->one_per_label) {
        for (uint32_t i = 0; i < t->n; i++) {
            if (t->h[i].label != hit.label)
                continue;
            if (hit_worse(NULL, &t->h[i], &hit)) {
                t->h[i] = hit;
                best_hits_sift_down(t->h, t->n, NULL, i);
            }
            return;
        }
    }
    best_hits_push(t->h, &t->n, t->cap, NULL, hit);
}

typedef struct search_run {
    const hs_face_gallery *g;
    const int8_t *probe;
    float ps;
    uint32_t nthreads;
    topk t[HS__THREADS_MAX];
} search_run;

/* Thread t scans its share of the rows in blocks. */
static hs_status search_task(void *arg, uint32_t t, hs__task_error *err)
{
    (void)err;
    search_run *r = arg;
    const hs_face_gallery *g = r->g;
    topk *k = &r->t[t];
    uint32_t begin, end; /* (at most 2^31 rows) */
    hs__task_share((uint32_t)g->count, t, r->nthreads, &begin, &end);
    float sc[BLOCK];
    for (size_t b = begin; b < end; b += BLOCK) {
        size_t n = end - b < BLOCK ? end - b : BLOCK;
        hs__face_scan(sc, r->probe, r->ps, g->rows + b * g->stride, g->scales + b, n, g->dim,
                      g->stride);
        float floor_score = k->n == k->cap ? k->h[0].score : -INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (sc[i] < floor_score)
                continue;
            hs_face_hit h = {g->labels[b + i], (uint32_t)(b + i), sc[i]};
            offer(k, h);
            floor_score = k->n == k->cap ? k->h[0].score : -INFINITY;
        }
    }
    return HS_OK;
}

static int cmp_hits(const void *a, const void *b)
{
    const hs_face_hit *x = a, *y = b;
    return hit_worse(NULL, x, y) ? 1 : hit_worse(NULL, y, x) ? -1 : 0;
}

hs_status hs_face_gallery_search(hs_ctx *ctx, hs_face_hit *hits, uint32_t cap,
                                 uint32_t *count, const hs_face_gallery *g,
                                 const float *probe, uint32_t dim, const hs_face_search_options *opt)
{
    if (count)
        *count = 0;
    if (!g || !probe || !hits || !count)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_search: NULL argument");
    if (dim != g->dim)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "gallery_search: probe dimension %u, gallery holds %u", dim, g->dim);
    if (cap == 0 || cap > MAX_HITS)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_search: cap %u outside 1..%u", cap,
                         MAX_HITS);
    uint32_t threads = 1, one = 0;
    float min_score = -1.0f;
    if (opt) {
        hs_face_search_options o = {sizeof o, 1, -1.0f, 0};
        hs_status st = hs__struct_in(ctx, &o, sizeof o, opt,
                                     HS__SIZE_TO(hs_face_search_options, one_per_label),
                                     "hs_face_search_options");
        if (st)
            return st;
        threads = o.threads ? o.threads : 1;
        min_score = o.min_score;
        one = o.one_per_label;
        if (threads > HS__THREADS_MAX)
            return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_search: %u threads > %u",
                             threads, HS__THREADS_MAX);
        if (isnan(min_score))
            return hs__error(ctx, HS_ERR_INVALID_ARG, "gallery_search: min_score is NaN");
    }
    int8_t q[HS_FACE_MAX_DIM];
    float tmp[HS_FACE_MAX_DIM], ps;
    memcpy(tmp, probe, dim * sizeof *tmp);
    hs_status s = hs_face_embedding_normalize(ctx, tmp, dim);
    if (!s)
        s = hs_face_quantize(ctx, q, &ps, tmp, dim);
    hs__memzero(tmp, dim * sizeof *tmp);
    if (s)
        return s;
    if (g->count == 0)
        return HS_OK;
    /* Fewer threads than 64k rows each are not worth starting. */
    size_t max_useful = g->count / 65536 + 1;
    if (threads > max_useful)
        threads = (uint32_t)max_useful;

    const hs_allocator *a = hs__ctx_allocator(ctx);
    size_t nheap;
    if (!hs__mul_ok((size_t)threads * cap, sizeof(hs_face_hit), &nheap))
        return hs__error(ctx, HS_ERR_LIMIT, "gallery_search: size overflow");
    hs_face_hit *heaps = hs__malloc(a, nheap);
    search_run *r = hs__calloc(a, 1, sizeof *r);
    if (!heaps || !r) {
        hs__free(a, heaps);
        hs__free(a, r);
        hs__memzero(q, sizeof q);
        return hs__error(ctx, HS_ERR_NOMEM, "gallery_search: out of memory");
    }
    r->g = g;
    r->probe = q;
    r->ps = ps;
    r->nthreads = threads;
    for (uint32_t i = 0; i < threads; i++) {
        topk *t = &r->t[i];
        t->h = heaps + (size_t)i * cap;
        t->cap = cap;
        t->one_per_label = one != 0;
        t->min_score = min_score;
    }
    s = hs__run_tasks(ctx, threads, search_task, r);
    if (!s) {
        /* Merge the per-thread heaps into the first one. */
        topk *t = &r->t[0];
        for (uint32_t i = 1; i < threads; i++)
            for (uint32_t k = 0; k < r->t[i].n; k++)
                offer(t, r->t[i].h[k]);
        qsort(t->h, t->n, sizeof *t->h, cmp_hits);
        /* int8 rounding can push a self-match a hair past 1 */
        for (uint32_t k = 0; k < t->n; k++)
            t->h[k].score = t->h[k].score > 1 ? 1 : t->h[k].score < -1 ? -1 : t->h[k].score;
        memcpy(hits, t->h, t->n * sizeof *hits);
        *count = t->n;
    }
    hs__memzero(q, sizeof q);
    hs__free_wiped(a, heaps, nheap);
    hs__free(a, r);
    return s;
}
