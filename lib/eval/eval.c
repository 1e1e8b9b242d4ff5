/* Error rates of a genuine/impostor score set (eval.h): EER, FMR100,
 * FMR1000, ZeroFMR as in the FVC reports (Maio et al.), thresholds for a
 * target FMR, DET points. Every function sorts copies of the two lists and
 * walks the operating points in threshold order. */
#include "hotspot/eval.h"
#include "internal/core.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The size of hs_eval_result as 1.0 published it. */
#define EVAL_RESULT_V1_SIZE HS__SIZE_TO(hs_eval_result, zero_fmr)

#define EVAL_FLAGS HS_EVAL_ACCEPT_ABOVE

static int dcmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Both lists copied and sorted ascending. */
typedef struct scores {
    const hs_allocator *alloc;
    double *g, *im;
    size_t ng, ni;
} scores;

static void scores_free(scores *s)
{
    hs__free(s->alloc, s->g);
    hs__free(s->alloc, s->im);
}

static hs_status copy_sorted(hs_ctx *ctx, double **out, const double *v, size_t n,
                             const char *what)
{
    if (!v)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s scores are NULL", what);
    if (n == 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "no %s scores", what);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return hs__error(ctx, HS_ERR_INVALID_ARG, "%s score %zu is not a finite number",
                             what, i);
    size_t bytes;
    if (!hs__mul_ok(n, sizeof *v, &bytes))
        return hs__error(ctx, HS_ERR_NOMEM, "%zu %s scores: size overflow", n, what);
    double *c = hs__malloc(hs__ctx_allocator(ctx), bytes);
    if (!c)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory copying %zu %s scores", n, what);
    memcpy(c, v, bytes);
    qsort(c, n, sizeof *c, dcmp);
    *out = c;
    return HS_OK;
}

/* The start of every evaluation: the caller's output (out, named what) is
 * there, the flags are known, and both score sets copied and sorted. */
static hs_status scores_load(hs_ctx *ctx, scores *s, const void *out, const char *what,
                             const double *g, size_t ng, const double *im, size_t ni,
                             uint32_t flags)
{
    memset(s, 0, sizeof *s);
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s is NULL", what);
    s->alloc = hs__ctx_allocator(ctx);
    if (flags & ~(uint32_t)EVAL_FLAGS)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "unknown eval flags 0x%x",
                         (unsigned)(flags & ~(uint32_t)EVAL_FLAGS));
    hs_status st = copy_sorted(ctx, &s->g, g, ng, "genuine");
    if (st == HS_OK)
        st = copy_sorted(ctx, &s->im, im, ni, "impostor");
    if (st != HS_OK) {
        scores_free(s);
        return st;
    }
    s->ng = ng;
    s->ni = ni;
    return HS_OK;
}

/* Walk over the operating points, thresholds ascending. The ">=" threshold
 * of a point is the next distinct score (+inf after the last one); the ">"
 * threshold is the previous one (-inf before the first). */
typedef struct walk {
    const scores *s;
    size_t ig, ii;
    double prev;
    int above;
    int done;
} walk;

static void walk_init(walk *w, const scores *s, uint32_t flags)
{
    w->s = s;
    w->ig = w->ii = 0;
    w->prev = -HUGE_VAL;
    w->above = (flags & HS_EVAL_ACCEPT_ABOVE) != 0;
    w->done = 0;
}

static int walk_next(walk *w, hs_eval_point *p)
{
    const scores *s = w->s;
    if (w->done)
        return 0;
    size_t g0 = w->ig, i0 = w->ii;
    double t;
    if (w->ig < s->ng && (w->ii >= s->ni || s->g[w->ig] <= s->im[w->ii])) {
        t = s->g[w->ig];
    } else if (w->ii < s->ni) {
        t = s->im[w->ii];
    } else {
        t = HUGE_VAL;
        w->done = 1;
    }
    while (w->ig < s->ng && s->g[w->ig] <= t)
        w->ig++;
    while (w->ii < s->ni && s->im[w->ii] <= t)
        w->ii++;
    /* at threshold t: genuine rejected = those below t, impostors accepted =
     * those at or above t */
    p->threshold = w->above ? w->prev : t;
    p->fmr = (double)(s->ni - i0) / (double)s->ni;
    p->fnmr = (double)g0 / (double)s->ng;
    w->prev = t;
    return 1;
}

hs_status hs_eval_rates(hs_ctx *ctx, hs_eval_result *out, const double *genuine,
                        size_t genuine_count, const double *impostor, size_t impostor_count,
                        uint32_t flags)
{
    scores s;
    hs_status st = scores_load(ctx, &s, out, "eval_rates: out", genuine, genuine_count, impostor,
                               impostor_count, flags);
    if (st != HS_OK)
        return st;

    hs_eval_result r;
    memset(&r, 0, sizeof r);
    int have100 = 0, have1000 = 0, have0 = 0;
    /* EER as in FVC: t1 = last point with FNMR <= FMR, t2 = first with
     * FNMR >= FMR; the EER interval is taken at whichever has the smaller
     * sum of rates. The first point (accept all: FNMR 0) is always a t1 and
     * the last (accept none: FMR 0) always a t2. */
    hs_eval_point t1 = {0.0, 1.0, 0.0}, t2 = {0.0, 0.0, 1.0}, p;
    int have2 = 0;
    walk w;
    walk_init(&w, &s, flags);
    while (walk_next(&w, &p)) {
        if (!have100 && p.fmr <= 0.01) {
            r.fmr100 = p;
            have100 = 1;
        }
        if (!have1000 && p.fmr <= 0.001) {
            r.fmr1000 = p;
            have1000 = 1;
        }
        if (!have0 && p.fmr <= 0.0) {
            r.zero_fmr = p;
            have0 = 1;
        }
        if (p.fnmr <= p.fmr)
            t1 = p;
        if (!have2 && p.fnmr >= p.fmr) {
            t2 = p;
            have2 = 1;
        }
    }
    if (t1.fnmr + t1.fmr <= t2.fnmr + t2.fmr) {
        r.eer = 0.5 * (t1.fnmr + t1.fmr);
        r.eer_threshold = t1.threshold;
    } else {
        r.eer = 0.5 * (t2.fmr + t2.fnmr);
        r.eer_threshold = t2.threshold;
    }
    scores_free(&s);
    r.struct_size = (uint32_t)sizeof r;
    return hs__struct_out(ctx, out, &r, sizeof r, EVAL_RESULT_V1_SIZE, "hs_eval_result");
}

hs_status hs_eval_threshold_for_fmr(hs_ctx *ctx, hs_eval_point *out, const double *genuine,
                                    size_t genuine_count, const double *impostor,
                                    size_t impostor_count, double fmr, uint32_t flags)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "eval_threshold_for_fmr: out is NULL");
    if (!(fmr >= 0.0 && fmr <= 1.0))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "target FMR %g not in [0, 1]", fmr);
    scores s;
    hs_status st = scores_load(ctx, &s, out, "eval_threshold_for_fmr: out", genuine,
                               genuine_count, impostor, impostor_count, flags);
    if (st != HS_OK)
        return st;
    /* The same comparison as hs_eval_rates, so that a target of 0.01 gives
     * exactly its FMR100 point. The last point has FMR 0: one always fits. */
    hs_eval_point p = {0.0, 0.0, 0.0};
    walk w;
    walk_init(&w, &s, flags);
    while (walk_next(&w, &p) && p.fmr > fmr)
        continue;
    scores_free(&s);
    *out = p;
    return HS_OK;
}

hs_status hs_eval_det(hs_ctx *ctx, hs_eval_point *points, size_t *count, const double *genuine,
                      size_t genuine_count, const double *impostor, size_t impostor_count,
                      uint32_t flags)
{
    scores s;
    hs_status st = scores_load(ctx, &s, count, "eval_det: count", genuine, genuine_count,
                               impostor, impostor_count, flags);
    if (st != HS_OK)
        return st;
    hs_eval_point p;
    walk w;
    size_t need = 0;
    walk_init(&w, &s, flags);
    while (walk_next(&w, &p))
        need++;
    if (points && *count < need) {
        size_t have = *count;
        *count = need;
        scores_free(&s);
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "DET needs %zu points, room for %zu",
                         need, have);
    }
    if (points) {
        size_t k = 0;
        walk_init(&w, &s, flags);
        while (walk_next(&w, &p))
            points[k++] = p;
    }
    *count = need;
    scores_free(&s);
    return HS_OK;
}
