/* 1:N search: the stages in order (filter.c chooses the candidates,
 * rescore.c scores them, fusion.c fuses their evidence), then the best
 * candidates into a result. See watchlist.h for the fusion rule and
 * docs/watchlist-search.md for the stages and their figures. */
#include "internal/template.h"
#include "internal/threads.h"
#include "internal/topk.h"
#include "internal/watchlist_search.h"
#include "hotspot/face.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CANDIDATES 1000 /* of a result: hs_watchlist_search_options */
#define MAX_THOROUGH 1000   /* hs_watchlist_search_options.thorough */

/* ---- result ------------------------------------------------------------- */

struct hs_watchlist_result {
    hs_allocator alloc;
    uint32_t n;
    uint32_t nprobe;
    uint64_t rescored;
    hs__wl_cand *c;
};

uint32_t hs_watchlist_result_count(const hs_watchlist_result *r)
{
    return r ? r->n : 0;
}

uint64_t hs_watchlist_result_rescored(const hs_watchlist_result *r)
{
    return r ? r->rescored : 0;
}

void hs_watchlist_result_free(hs_watchlist_result *r)
{
    if (!r)
        return;
    hs__free_wiped(&r->alloc, r->c, (size_t)r->n * sizeof *r->c);
    HS__OBJECT_FREE(r, hs_watchlist_result, sizeof *r);
}

/* First published sizes of the search structs (1.0). */
#define CANDIDATE_SIZE_1_0 HS__SIZE_TO(hs_watchlist_candidate, finger_position)
#define SEARCH_OPTIONS_SIZE_1_0 HS__SIZE_TO(hs_watchlist_search_options, fmr)

hs_status hs_watchlist_result_candidate(const hs_watchlist_result *r, hs_watchlist_candidate *out,
                                        uint32_t index)
{
    if (!r || !out)
        return HS_ERR_INVALID_ARG;
    if (index >= r->n)
        return HS_ERR_NOT_FOUND;
    const hs__wl_cand *x = &r->c[index];
    hs_watchlist_candidate all, *c = &all;
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->hit = x->hit;
    c->id = x->id;
    c->score = x->score;
    c->finger_score = x->finger_score;
    c->face_score = x->face_score;
    c->face_similarity = x->face_sim;
    c->finger_count = r->nprobe;
    for (uint32_t i = 0; i < HS_WATCHLIST_FINGERS_MAX; i++) {
        c->finger_similarity[i] = i < r->nprobe ? x->fsim[i] : 0.0f;
        c->finger_position[i] = i < r->nprobe ? x->fpos[i] : 255;
    }
    return hs__struct_out(NULL, out, &all, sizeof all, CANDIDATE_SIZE_1_0,
                          "hs_watchlist_candidate");
}

/* ---- ranking -------------------------------------------------------------- */

/* The order of a result: fused score, then (equal fused scores) better raw
 * evidence, then id. A total order (ids are unique), so the best K are the
 * same whatever order the candidates come in: every top-K is the head of
 * the top-1000. */
static int cmp_cand(const void *pa, const void *pb)
{
    const hs__wl_cand *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    float fa = 0, fb = 0;
    for (int i = 0; i < HS_WATCHLIST_FINGERS_MAX; i++) {
        fa += a->fsim[i];
        fb += b->fsim[i];
    }
    if (fa != fb)
        return fa > fb ? -1 : 1;
    if (a->face_sim != b->face_sim)
        return a->face_sim > b->face_sim ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* Heap elements are indexes into the candidate array (ctx). */
static inline bool cand_worse(const void *ctx, const uint32_t *a, const uint32_t *b)
{
    const hs__wl_cand *c = ctx;
    return cmp_cand(&c[*a], &c[*b]) > 0;
}
HS__TOPK_DEFINE(best_cands, uint32_t, cand_worse)

/* Copy the best k of c[0..n) (k <= MAX_CANDIDATES) to out, sorted. They
 * are selected before sorting: exhaustive search of a large list would
 * otherwise sort every subject's record. */
static void top_k(hs__wl_cand *out, const hs__wl_cand *c, uint32_t n, uint32_t k)
{
    uint32_t h[MAX_CANDIDATES], hn = 0;
    for (uint32_t i = 0; i < n; i++)
        best_cands_push(h, &hn, k, c, i);
    for (uint32_t i = 0; i < hn; i++)
        out[i] = c[h[i]];
    qsort(out, hn, sizeof *out, cmp_cand);
}

/* ---- stages ----------------------------------------------------------------- */

static hs_status check_args(hs_ctx *ctx, hs_watchlist_search_options *o,
                            const hs_watchlist_search_options *opts, const hs_template *fingers,
                            const float *face, uint32_t face_dim)
{
    hs_watchlist_search_options def = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    *o = def;
    hs_status st = hs__struct_in(ctx, o, sizeof *o, opts, SEARCH_OPTIONS_SIZE_1_0,
                                 "hs_watchlist_search_options");
    if (st)
        return st;
    if (o->max_candidates < 1 || o->max_candidates > MAX_CANDIDATES || o->threads < 1 ||
        o->threads > HS__THREADS_MAX || !(o->fmr >= 1e-12 && o->fmr <= 0.5) ||
        (o->flags & ~(HS_WATCHLIST_EXHAUSTIVE | HS_WATCHLIST_HITS_ONLY)) ||
        o->thorough > MAX_THOROUGH)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "options out of range (max_candidates 1..%u, threads 1..%u, "
                         "fmr 1e-12..0.5, known flags, thorough 0..%u)",
                         MAX_CANDIDATES, HS__THREADS_MAX, MAX_THOROUGH);
    /* a field a later header may give the padding's place */
    if (o->reserved)
        return hs__error(ctx, HS_ERR_UNSUPPORTED,
                         "hs_watchlist_search_options.reserved is set; it needs a newer library");
    uint32_t nprobe = fingers ? fingers->nviews : 0;
    if (nprobe > HS_WATCHLIST_FINGERS_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "probe of %u fingers (at most %d)", nprobe,
                         HS_WATCHLIST_FINGERS_MAX);
    if (face && (face_dim < 1 || face_dim > HS_WATCHLIST_FACE_DIM_MAX))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face dimension %u", face_dim);
    if (!nprobe && !face)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "empty probe: give fingers or a face");
    if (face) {
        double ss = 0;
        for (uint32_t i = 0; i < face_dim; i++) {
            if (!isfinite(face[i]))
                return hs__error(ctx, HS_ERR_INVALID_ARG, "face value %u not finite", i);
            ss += (double)face[i] * face[i];
        }
        if (!(ss > 0) || !isfinite(ss))
            return hs__error(ctx, HS_ERR_INVALID_ARG, "face embedding has zero length");
    }
    return HS_OK;
}

/* Every subject (exhaustive search), or every subject with a face (a
 * face-only search: exact anyway, the face costs little). */
static hs_status all_candidates(hs_ctx *ctx, uint32_t **cidx, uint32_t *ncand,
                                const hs_watchlist *wl, bool faces_only)
{
    *ncand = 0;
    *cidx = hs__malloc(hs__ctx_allocator(ctx), (size_t)wl->n * sizeof **cidx);
    if (!*cidx)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory for %u candidates", wl->n);
    for (uint32_t i = 0; i < wl->n; i++)
        if (!faces_only || wl->e[i].nfaces > 0)
            (*cidx)[(*ncand)++] = i;
    return HS_OK;
}

/* The candidates the matcher re-scores: all of them, or the filter's. */
static hs_status choose_candidates(hs_ctx *ctx, uint32_t **cidx, uint32_t *ncand,
                                   const hs_watchlist *wl, const hs_template *fingers,
                                   const hs__wl_face *face, const hs_watchlist_search_options *o)
{
    *cidx = NULL;
    *ncand = 0;
    if (o->flags & HS_WATCHLIST_EXHAUSTIVE)
        return all_candidates(ctx, cidx, ncand, wl, false);
    if (!fingers || !fingers->nviews)
        return all_candidates(ctx, cidx, ncand, wl, true);
    hs__wl_filter *flt = NULL;
    hs_status st = hs__wl_filter_new(ctx, &flt, fingers);
    if (!st)
        st = hs__wl_filter_select(ctx, cidx, ncand, flt, wl, face, o->rescore, o->threads);
    hs__wl_filter_free(flt);
    return st;
}

/* The best max_candidates (only the hits with HS_WATCHLIST_HITS_ONLY). */
static hs_status result_fill(hs_ctx *ctx, hs_watchlist_result *r, const hs__wl_cand *c,
                             uint32_t n, const hs_watchlist_search_options *o)
{
    uint32_t k = n < o->max_candidates ? n : o->max_candidates;
    if (!k)
        return HS_OK;
    r->c = hs__malloc(&r->alloc, (size_t)k * sizeof *r->c);
    if (!r->c)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory for %u candidates", k);
    top_k(r->c, c, n, k);
    uint32_t keep = 0;
    while (keep < k && !((o->flags & HS_WATCHLIST_HITS_ONLY) && !r->c[keep].hit))
        keep++;
    hs__memzero(r->c + keep, (size_t)(k - keep) * sizeof *r->c);
    r->n = keep;
    return HS_OK;
}

/* The second stage (options.thorough): the best `thorough` of the n
 * scored candidates, in the result's order (a total order, so the same
 * subjects whatever the thread count), scored again by the matcher in
 * HS_MATCH_THOROUGH mode and fused again; they replace their first-stage
 * records in c, and the ranking that follows sees the new scores. */
static hs_status thorough_stage(hs_ctx *ctx, hs__wl_cand *c, uint32_t n, const hs_watchlist *wl,
                                const hs__wl_probe *probe, const hs__wl_face *face,
                                const hs__wl_fusion *fu, const hs_watchlist_search_options *o)
{
    uint32_t k = n < o->thorough ? n : o->thorough;
    if (!k)
        return HS_OK;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    uint32_t h[MAX_THOROUGH], hn = 0;
    for (uint32_t i = 0; i < n; i++)
        best_cands_push(h, &hn, k, c, i);
    uint32_t *cidx = hs__malloc(a, (size_t)hn * sizeof *cidx);
    hs__wl_cand *t = hs__calloc(a, hn, sizeof *t);
    hs_status st = HS_OK;
    if (!cidx || !t)
        st = hs__error(ctx, HS_ERR_NOMEM, "out of memory for %u thorough candidates", hn);
    for (uint32_t i = 0; i < hn && !st; i++)
        cidx[i] = c[h[i]].idx;
    if (!st)
        st = hs__wl_rescore(ctx, t, wl, cidx, hn, probe, face, fu, o->threads, true);
    for (uint32_t i = 0; i < hn && !st; i++)
        c[h[i]] = t[i];
    hs__free_wiped(a, t, (size_t)hn * sizeof *t);
    hs__free(a, cidx);
    return st;
}

/* ---- search ------------------------------------------------------------------- */

hs_status hs_watchlist_search(hs_ctx *ctx, hs_watchlist_result **out, const hs_watchlist *wl,
                              const hs_template *fingers, const float *face, uint32_t face_dim,
                              const hs_watchlist_search_options *opts)
{
    hs_status st = hs__out_and_input(ctx, out, wl, "watchlist");
    if (st)
        return st;
    hs_watchlist_search_options o;
    st = check_args(ctx, &o, opts, fingers, face, face_dim);
    if (st)
        return st;
    int8_t fq[HS_WATCHLIST_FACE_DIM_MAX];
    float fscale;
    hs__wl_face fp = {face ? fq : NULL, face_dim, o.face_model};
    hs__wl_fusion fu;
    uint32_t *cidx = NULL, ncand = 0;
    hs__wl_cand *cands = NULL;
    hs__wl_probe probe = {.n = 0};
    hs_watchlist_result *r = HS__OBJECT_ALLOC(ctx, &st, hs_watchlist_result);
    if (!r)
        return st;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    r->nprobe = fingers ? fingers->nviews : 0;

    if (face)
        st = hs_face_quantize(ctx, fq, &fscale, face, face_dim);
    hs__wl_fusion_init(&fu, face != NULL, o.face_model, o.fmr);
    hs__wl_rdlock(wl); /* the stages read the list; the candidates copy their ids */
    /* A probe no stored face can be compared with was silently ignored (the
     * CLI exited 0, Python gave similarity -2): a wrong model or a flattened
     * array. Refused when the list holds faces, none of this length. */
    if (!st && face && wl->nfaces && !wl->face_dims[face_dim]) {
        uint32_t some = 0;
        for (uint32_t d = 1; d <= HS_WATCHLIST_FACE_DIM_MAX && !some; d++)
            if (wl->face_dims[d])
                some = d;
        st = hs__error(ctx, HS_ERR_INVALID_ARG,
                       "probe face has %u values; the list's faces have %u (and no face of "
                       "%u): another face model?",
                       face_dim, some, face_dim);
    }
    if (!st && wl->n)
        st = choose_candidates(ctx, &cidx, &ncand, wl, fingers, &fp, &o);
    if (!st && ncand && !(cands = hs__calloc(a, ncand, sizeof *cands)))
        st = hs__error(ctx, HS_ERR_NOMEM, "out of memory for %u candidates", ncand);
    /* the probe's fingers are prepared once, for both matcher stages */
    if (!st && ncand)
        st = hs__wl_probe_prepare(ctx, &probe, fingers);
    if (!st)
        st = hs__wl_rescore(ctx, cands, wl, cidx, ncand, &probe, &fp, &fu, o.threads, false);
    if (!st && o.thorough && r->nprobe)
        st = thorough_stage(ctx, cands, ncand, wl, &probe, &fp, &fu, &o);
    hs__wl_probe_free(&probe);
    hs__wl_unlock(wl);
    r->rescored = ncand;
    if (!st)
        st = result_fill(ctx, r, cands, ncand, &o);

    if (!st) {
        *out = r;
        r = NULL;
    }
    hs__free_wiped(a, cands, (size_t)ncand * sizeof *cands);
    hs__free(a, cidx);
    hs__memzero(fq, sizeof fq);
    hs_watchlist_result_free(r);
    return st;
}
