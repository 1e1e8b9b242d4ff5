/* Re-scoring: the full matcher (match.h) on the subjects the filter chose,
 * or on every subject (exhaustive search), and the prepared cache that
 * saves it the preparation of the stored fingers. */
#include "internal/match.h"
#include "internal/template.h"
#include "internal/threads.h"
#include "internal/watchlist_search.h"

#include <string.h>

/* Read stored finger f's minutiae (at most HS_WATCHLIST_MINUTIAE_MAX). */
static uint32_t finger_minutiae(const hs__wl_fview *f, hs_minutia *m)
{
    uint32_t n = f->count > HS_WATCHLIST_MINUTIAE_MAX ? HS_WATCHLIST_MINUTIAE_MAX : f->count;
    for (uint32_t i = 0; i < n; i++)
        hs__wl_minutia_read(f, i, &m[i]);
    return n;
}

/* Stored finger f prepared for the matcher with allocator a, its field too
 * (validated when the record entered the list: only its header is read
 * again); NULL when out of memory. */
static hs_finger_prepared *prepared_of(const hs_allocator *a, const hs__wl_fview *f)
{
    hs_minutia m[HS_WATCHLIST_MINUTIAE_MAX];
    uint32_t n = finger_minutiae(f, m);
    uint32_t h[5], c64;
    const uint8_t *grid = hs__field_grid(f->field, f->field_len, f->ppi_x, f->ppi_y, h, &c64);
    hs_finger_prepared *p = hs__prepared_new_field(a, n, grid, h[1], h[2], h[3], h[4], c64);
    if (p)
        hs__finger_prepare_into(p, m, n, f->ppi_x, f->ppi_y, f->position);
    hs__memzero(m, n * sizeof *m);
    return p;
}

/* ---- re-scoring ---------------------------------------------------------- */

/* Per thread: a matcher and room to prepare one stored finger. */
typedef struct rescore_worker {
    hs_finger_matcher *m;
    hs__prepared_scratch *scratch;
} rescore_worker;

typedef struct rescore_run {
    const hs_watchlist *wl;
    const uint32_t *cidx;
    hs__wl_cand *out;
    uint32_t ncand, nthreads;
    const hs__wl_probe *probe;
    const hs__wl_face *face;
    const hs__wl_fusion *fu;
    rescore_worker w[HS__THREADS_MAX];
} rescore_run;

/* The matcher's evidence on subject e: per probe finger its best score
 * against the compatible stored fingers (c->fsim, c->fpos) and the number
 * of those comparisons (ncomp). */
static void match_subject(const rescore_run *r, const rescore_worker *w, uint32_t idx,
                          const hs__wl_entry *e, hs__wl_cand *c, uint32_t *ncomp)
{
    const hs_watchlist *wl = r->wl;
    uint32_t off = e->fingers_off + 1;
    for (uint32_t g = 0; g < e->nfingers; g++) {
        hs__wl_fview f;
        off = hs__wl_finger_read(e->rec, off, &f);
        bool any = false;
        for (uint32_t v = 0; v < r->probe->n; v++)
            any = any || hs__wl_compatible(r->probe->pos[v], f.position);
        if (!any)
            continue;
        const hs_finger_prepared *gp =
            wl->cache ? wl->cache[(size_t)idx * HS_WATCHLIST_FINGERS_MAX + g] : NULL;
        if (!gp) {
            hs_minutia m[HS_WATCHLIST_MINUTIAE_MAX];
            uint32_t n = finger_minutiae(&f, m);
            gp = hs__prepared_scratch_fill(w->scratch, m, n, f.ppi_x, f.ppi_y, f.position,
                                           f.field, f.field_len);
            hs__memzero(m, n * sizeof *m);
        }
        for (uint32_t v = 0; v < r->probe->n; v++) {
            if (!hs__wl_compatible(r->probe->pos[v], f.position))
                continue;
            float s = 0;
            if (hs_finger_match(w->m, &s, r->probe->p[v], gp) != HS_OK)
                s = 0;
            ncomp[v]++;
            if (c->fpos[v] == 255 || s > c->fsim[v]) {
                c->fsim[v] = s;
                c->fpos[v] = f.position;
            }
        }
    }
}

static hs_status rescore_task(void *arg, uint32_t t, hs__task_error *err)
{
    (void)err;
    const rescore_run *r = arg;
    for (uint32_t ci = t; ci < r->ncand; ci += r->nthreads) {
        hs__wl_cand *c = &r->out[ci];
        const uint32_t idx = r->cidx[ci];
        const hs__wl_entry *e = &r->wl->e[idx];
        memset(c, 0, sizeof *c);
        c->idx = idx;
        c->face_sim = -2.0;
        uint32_t ncomp[HS_WATCHLIST_FINGERS_MAX];
        for (uint32_t v = 0; v < r->probe->n; v++) {
            c->fpos[v] = 255;
            ncomp[v] = 0;
        }
        if (r->probe->n)
            match_subject(r, &r->w[t], idx, e, c, ncomp);
        if (r->face->q && e->nfaces)
            c->face_sim = hs__wl_face_best(r->face, e);
        hs__wl_fuse(r->fu, c, r->probe->n, ncomp);
        memcpy(c->id, e->rec + 1, e->id_len);
        c->id[e->id_len] = 0;
    }
    return HS_OK;
}

hs_status hs__wl_probe_prepare(hs_ctx *ctx, hs__wl_probe *p, const hs_template *fingers)
{
    memset(p, 0, sizeof *p);
    hs_status st = HS_OK;
    uint32_t n = fingers ? fingers->nviews : 0;
    for (uint32_t v = 0; v < n && !st; v++) {
        st = hs_finger_prepare(ctx, &p->p[v], fingers, v);
        p->pos[v] = fingers->views[v].info.finger_position;
        p->n = v + 1;
    }
    if (st)
        hs__wl_probe_free(p);
    return st;
}

void hs__wl_probe_free(hs__wl_probe *p)
{
    for (uint32_t v = 0; v < p->n; v++)
        hs_finger_prepared_free(p->p[v]);
    memset(p, 0, sizeof *p);
}

hs_status hs__wl_rescore(hs_ctx *ctx, hs__wl_cand *out, const hs_watchlist *wl,
                         const uint32_t *cidx, uint32_t ncand, const hs__wl_probe *probe,
                         const hs__wl_face *face, const hs__wl_fusion *fu, uint32_t threads,
                         bool thorough)
{
    if (!ncand)
        return HS_OK;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    rescore_run r = {.wl = wl,
                     .cidx = cidx,
                     .out = out,
                     .ncand = ncand,
                     .nthreads = threads > ncand ? ncand : threads,
                     .probe = probe,
                     .face = face,
                     .fu = fu};
    hs_status st = HS_OK;
    /* everything the workers need is made here, on the caller's thread and
     * with its context: the workers cannot fail */
    for (uint32_t t = 0; t < r.nthreads && r.probe->n && !st; t++) {
        st = hs_finger_matcher_new(ctx, &r.w[t].m);
        if (!st && thorough && hs_finger_matcher_set(r.w[t].m, HS_MATCH_THOROUGH, 1) != HS_OK)
            st = hs__error(ctx, HS_ERR_INTERNAL, "the matcher refused its thorough mode");
        if (!st && !wl->cache) {
            r.w[t].scratch = hs__malloc(a, sizeof *r.w[t].scratch);
            if (!r.w[t].scratch)
                st = hs__error(ctx, HS_ERR_NOMEM, "out of memory for the matcher's scratch");
        }
    }
    if (!st)
        st = hs__run_tasks(ctx, r.nthreads, rescore_task, &r);
    for (uint32_t t = 0; t < r.nthreads; t++) {
        hs_finger_matcher_free(r.w[t].m);
        hs__free_wiped(a, r.w[t].scratch, sizeof *r.w[t].scratch);
    }
    return st;
}

/* ---- the prepared cache -------------------------------------------------------- */

typedef struct cache_run {
    hs_watchlist *wl;
    uint32_t nthreads;
    uint64_t bytes[HS__THREADS_MAX];
} cache_run;

/* Prepare the fingers of thread t's share of the subjects into the cache,
 * with the list's allocator (the cache belongs to the list). */
static hs_status cache_task(void *arg, uint32_t t, hs__task_error *err)
{
    cache_run *r = arg;
    hs_watchlist *wl = r->wl;
    uint32_t begin, end;
    hs__task_share(wl->n, t, r->nthreads, &begin, &end);
    for (uint32_t i = begin; i < end; i++) {
        const hs__wl_entry *e = &wl->e[i];
        uint32_t off = e->fingers_off + 1;
        for (uint32_t g = 0; g < e->nfingers; g++) {
            hs__wl_fview f;
            off = hs__wl_finger_read(e->rec, off, &f);
            hs_finger_prepared *p = prepared_of(&wl->alloc, &f);
            if (!p)
                return hs__task_fail(err, HS_ERR_NOMEM,
                                     "out of memory preparing the cache (subject %u, finger %u)",
                                     i, g);
            wl->cache[(size_t)i * HS_WATCHLIST_FINGERS_MAX + g] = p;
            r->bytes[t] += p->block;
        }
    }
    return HS_OK;
}

void hs__wl_cache_drop(hs_watchlist *wl)
{
    if (!wl->cache)
        return;
    for (size_t i = 0; i < (size_t)wl->n * HS_WATCHLIST_FINGERS_MAX; i++)
        hs_finger_prepared_free(wl->cache[i]);
    hs__free(&wl->alloc, wl->cache);
    wl->cache = NULL;
    wl->cache_bytes = 0;
}

static hs_status cache_prepared_locked(hs_ctx *ctx, hs_watchlist *wl, uint32_t threads)
{
    hs__wl_cache_drop(wl);
    if (!wl->n)
        return HS_OK;
    wl->cache = hs__calloc(&wl->alloc, (size_t)wl->n * HS_WATCHLIST_FINGERS_MAX,
                           sizeof *wl->cache);
    if (!wl->cache)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    cache_run r = {.wl = wl, .nthreads = threads > wl->n ? wl->n : threads};
    hs_status st = hs__run_tasks(ctx, r.nthreads, cache_task, &r);
    if (st) {
        hs__wl_cache_drop(wl);
        return st;
    }
    uint64_t bytes = (uint64_t)wl->n * HS_WATCHLIST_FINGERS_MAX * sizeof *wl->cache;
    for (uint32_t t = 0; t < r.nthreads; t++)
        bytes += r.bytes[t];
    wl->cache_bytes = bytes;
    return HS_OK;
}

hs_status hs_watchlist_cache_prepared(hs_ctx *ctx, hs_watchlist *wl, uint32_t threads)
{
    if (!wl || threads < 1 || threads > HS__THREADS_MAX)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL list or threads outside 1..%u",
                         HS__THREADS_MAX);
    hs__wl_wrlock(wl); /* the cache is part of the list: searches wait */
    hs_status st = cache_prepared_locked(ctx, wl, threads);
    hs__wl_unlock(wl);
    return st;
}
