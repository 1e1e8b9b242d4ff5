/* 1:N search: a first-stage filter over the pair codes of every stored
 * finger, then the full matcher on the best subjects, score fusion and the
 * decision. See watchlist.h for the fusion rule. */
#include "internal/template.h"
#include "internal/watchlist.h"
#include "hotspot/face.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The full matcher (match.h) re-scores the filter's candidates. */
#include "hotspot/match.h"
#include "internal/match.h"
#define HS__WL_MATCH 1

#define BITMAP_WORDS 65536 /* per possible pair code: 32 direction bits */
#define CODE_TOL_ANGLE 1  /* probe codes also cover +-1 angle bin (+-5.6 deg) */
#define CODE_TOL_DIST 1   /* and +-1 distance bin (+-7.5 px) */
#define LN10 2.30258509299404568402
#ifndef MID_FACTOR
#define MID_FACTOR 16 /* the first stage keeps at least 16x the re-scored share */
#endif
#ifndef MID_SHARE
#define MID_SHARE 10 /* and at least a tenth of the list */
#endif
#ifndef RESCORE_SQRT
#define RESCORE_SQRT 4.5 /* the full matcher re-scores 200 + 4.5 sqrt(N) */
#endif

/* ---- result ------------------------------------------------------------- */

typedef struct cand {
    uint32_t idx;
    uint32_t hit;
    double score, finger_score, face_score, face_sim;
    float fsim[HS_WATCHLIST_FINGERS_MAX];
    uint32_t fpos[HS_WATCHLIST_FINGERS_MAX];
    char id[HS_WATCHLIST_ID_MAX + 1];
} cand;

struct hs_watchlist_result {
    hs_allocator alloc;
    uint32_t n;
    uint32_t nprobe;
    uint64_t rescored;
    cand *c;
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
    hs_allocator a = r->alloc;
    if (r->c) {
        hs__memzero(r->c, (size_t)r->n * sizeof *r->c);
        hs__free(&a, r->c);
    }
    hs__memzero(r, sizeof *r);
    hs__free(&a, r);
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
    const cand *x = &r->c[index];
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

/* ---- calibration and fusion --------------------------------------------- */

#define NCAL 17 /* fingers: FMR 1e-2 .. 1e-6 in quarter decades */

typedef struct calib {
    int n;
    double zero;     /* score at which p reaches 1 */
    double thr[NCAL];
    double lf[NCAL]; /* log10 of the FMR at thr[k] */
} calib;

/* log10 of the impostor probability of a score, interpolated between the
 * calibrated points (linear in log10 FMR), linear from (zero, 0) to the
 * first point, and continuing the last slope beyond the last one. */
static double cal_log10p(const calib *c, double s)
{
    if (s <= c->zero)
        return 0.0;
    if (s <= c->thr[0])
        return c->thr[0] > c->zero ? c->lf[0] * (s - c->zero) / (c->thr[0] - c->zero)
                                   : c->lf[0];
    const int nc = c->n;
    for (int k = 0; k + 1 < nc; k++) {
        if (s <= c->thr[k + 1]) {
            double d = c->thr[k + 1] - c->thr[k];
            if (!(d > 0))
                return c->lf[k + 1];
            return c->lf[k] + (c->lf[k + 1] - c->lf[k]) * (s - c->thr[k]) / d;
        }
    }
    /* beyond the last threshold: continue the last slope (per score unit) */
    int L = c->n - 1;
    double d = c->thr[L] - c->thr[L - 1];
    double slope = d > 1e-9 ? (c->lf[L] - c->lf[L - 1]) / d : -25.0;
    if (slope > -1.0)
        slope = -1.0;
    double lp = c->lf[L] + slope * (s - c->thr[L]);
    return lp < -40.0 ? -40.0 : lp;
}

/* Face calibration of a model from face.h (FMR 1e-1 .. 1e-4 in quarter
 * decades); false for models it has not calibrated. */
static bool face_calib(calib *c, uint32_t model)
{
    c->n = 13;
    for (int k = 0; k < c->n; k++) {
        float t;
        c->lf[k] = -1.0 - 0.25 * k;
        if (hs_face_threshold_for_fmr(&t, model, pow(10.0, c->lf[k])) != HS_OK)
            return false;
        c->thr[k] = t;
    }
    /* p = 1 half-way from the FMR 0.1 threshold down to 0 cosine */
    c->zero = c->thr[0] / 2;
    return true;
}

/* Uncalibrated faces (custom models): cosine of unrelated faces taken as
 * N(0.15, 0.10^2), a conservative fit for 128- to 512-d networks. */
static double face_log10p_default(double cosv)
{
    double z = (cosv - 0.15) / 0.10;
    if (z <= 0)
        return log10(0.5 * erfc(z / sqrt(2.0)));
    double x = z / sqrt(2.0);
    double p = 0.5 * erfc(x);
    if (p > 1e-300)
        return log10(p);
    /* asymptotic erfc(x) ~ exp(-x^2) / (x sqrt(pi)) */
    return (-x * x - log(x * 1.77245385090551602730) - log(2.0)) / LN10;
}

static double face_log10p(const calib *fc, double cosv)
{
    return fc ? cal_log10p(fc, cosv) : face_log10p_default(cosv);
}

/* Fisher's method: -log10 of the combined p-value of k p-values whose
 * natural logs sum to lnsum (<= 0). */
static double fisher(double lnsum, uint32_t k)
{
    if (k == 0)
        return 0.0;
    double y = -lnsum;
    if (y <= 0)
        return 0.0;
    double t = 1.0, sum = 1.0;
    for (uint32_t j = 1; j < k; j++) {
        t *= y / j;
        sum += t;
    }
    double lp = -y + log(sum);
    double s = -lp / LN10;
    return s > 0 ? s : 0.0;
}

/* ---- probe ---------------------------------------------------------------- */

/* A probe pair under one (tolerance-widened) code: its direction and the
 * position of its first minutia (500 ppi, y up). */
typedef struct pent {
    float theta, x, y;
} pent;
#define PENT_MAX (HS__WL_CODES_MAX * 27)

typedef struct probe_finger {
    uint32_t position;
    uint32_t *bitmap; /* per code: the directions (32 bins) of probe pairs with it */
    uint64_t any[1024]; /* per code: 1 when bitmap[code] is not 0 (stays in L1) */
    uint32_t *start; /* per code c: its pairs are ent[start[c] .. start[c+1]) */
    struct pent *ent;
    double density;
    /* its minutiae at 500 ppi, y up (second stage) */
    uint32_t nm;
    float mx[HS_WATCHLIST_MINUTIAE_MAX], my[HS_WATCHLIST_MINUTIAE_MAX];
    float ma[HS_WATCHLIST_MINUTIAE_MAX];
#ifdef HS__WL_MATCH
    hs_finger_prepared *prep;
#endif
} probe_finger;

static void bitmap_build(probe_finger *pf, const hs_minutia *m, uint32_t n, uint32_t ppx,
                         uint32_t ppy)
{
    uint16_t codes[HS__WL_CODES_MAX];
    float theta[HS__WL_CODES_MAX];
    uint8_t first[HS__WL_CODES_MAX], dir[HS__WL_CODES_MAX];
    hs_minutia tmp[HS_WATCHLIST_MINUTIAE_MAX];
    if (n > HS_WATCHLIST_MINUTIAE_MAX)
        n = HS_WATCHLIST_MINUTIAE_MAX; /* caller passes the best ones first */
    memcpy(tmp, m, (size_t)n * sizeof *tmp);
    uint32_t nc = hs__wl_codes_dir(tmp, n, ppx, ppy, codes, dir, theta, first);
    {
        double ax = ppx ? 500.0 / ppx : 1.0, ay = ppy ? 500.0 / ppy : 1.0;
        pf->nm = n;
        for (uint32_t i = 0; i < n; i++) {
            pf->mx[i] = (float)(tmp[i].x * ax);
            pf->my[i] = (float)(-tmp[i].y * ay);
            pf->ma[i] = tmp[i].angle;
        }
    }
    memset(pf->bitmap, 0, BITMAP_WORDS * sizeof(uint32_t));
    memset(pf->any, 0, sizeof pf->any);
    memset(pf->start, 0, 65537 * sizeof(uint32_t));
    double sx = ppx ? 500.0 / ppx : 1.0, sy = ppy ? 500.0 / ppy : 1.0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < nc; i++) {
            int dq = codes[i] >> 12, aq = (codes[i] >> 6) & 63, bq = codes[i] & 63;
            for (int dd = -CODE_TOL_DIST; dd <= CODE_TOL_DIST; dd++) {
                int d = dq + dd;
                if (d < 0 || d > 15)
                    continue;
                for (int da = -CODE_TOL_ANGLE; da <= CODE_TOL_ANGLE; da++)
                    for (int db = -CODE_TOL_ANGLE; db <= CODE_TOL_ANGLE; db++) {
                        uint32_t c = ((uint32_t)d << 12) | ((uint32_t)((aq + da) & 63) << 6) |
                                     (uint32_t)((bq + db) & 63);
                        if (pass == 0) {
                            pf->start[c]++;
                            pf->bitmap[c] |= 1u << (dir[i] >> 3);
                            pf->any[c >> 6] |= 1ull << (c & 63);
                            continue;
                        }
                        pent *e = &pf->ent[--pf->start[c]];
                        e->theta = theta[i];
                        e->x = (float)(tmp[first[i]].x * sx);
                        e->y = (float)(-tmp[first[i]].y * sy);
                    }
            }
        }
        if (pass == 0) {
            /* inclusive prefix sums: filling backwards leaves the starts */
            uint32_t acc = 0;
            for (uint32_t c = 0; c < 65536; c++) {
                acc += pf->start[c];
                pf->start[c] = acc;
            }
            pf->start[65536] = acc;
        }
    }
    hs__memzero(tmp, sizeof tmp);
    uint64_t bits = 0;
    for (int w = 0; w < BITMAP_WORDS; w++)
        bits += pf->bitmap[w] != 0;
    pf->density = (double)bits / 65536.0;
}

static bool compatible(uint32_t probe_pos, uint32_t gallery_pos)
{
    return probe_pos == 0 || gallery_pos == 0 || probe_pos == gallery_pos;
}

/* ---- top-M heap (min-heap on score) ----------------------------------- */

typedef struct scored {
    double s;
    uint32_t idx;
} scored;

typedef struct heap {
    scored *v;
    uint32_t n, cap;
} heap;

static void heap_push(heap *h, double s, uint32_t idx)
{
    if (h->cap == 0)
        return;
    if (h->n == h->cap) {
        if (s <= h->v[0].s)
            return;
        /* replace the root and sift down */
        uint32_t i = 0;
        for (;;) {
            uint32_t l = 2 * i + 1, r = l + 1, m = i;
            double ms = s;
            if (l < h->n && h->v[l].s < ms) {
                m = l;
                ms = h->v[l].s;
            }
            if (r < h->n && h->v[r].s < ms)
                m = r;
            if (m == i)
                break;
            h->v[i] = h->v[m];
            i = m;
        }
        h->v[i].s = s;
        h->v[i].idx = idx;
        return;
    }
    uint32_t i = h->n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->v[p].s <= s)
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i].s = s;
    h->v[i].idx = idx;
}

/* ---- worker ---------------------------------------------------------------- */

typedef struct job {
    const hs_watchlist *wl;
    const probe_finger *pf;
    uint32_t nprobe;
    const int8_t *face; /* int8 form of the probe face */
    uint32_t face_dim, face_model;
    const calib *cal;
    const calib *face_cal; /* NULL: default model */
    double fmr_score; /* -log10(fmr) */
    /* filter phase: subjects [begin, end) */
    uint32_t begin, end;
    heap hf, hface;
    /* rescoring phase: candidates tid, tid+nthreads, ... */
    const uint32_t *cidx;
    cand *cout;
    scored *mid; /* phase 3: second-stage candidates, scored in place */
    uint16_t *grid; /* phase 3: GRID x GRID translation votes, zero between uses */
    uint32_t ncand, tid, nthreads;
    int phase;
    hs_status status;
    uint64_t bytes; /* cache phase: bytes prepared */
} job;

static double face_best(const job *j, const hs__wl_entry *e)
{
    double best = -2.0;
    for (uint32_t k = 0; k < e->nfaces; k++) {
        uint32_t d, model;
        float scale;
        const int8_t *v;
        hs__wl_face_read(e, k, &d, &model, &scale, &v);
        if (d != j->face_dim || (model && j->face_model && model != j->face_model))
            continue;
        float sc;
        if (hs_face_similarity_q8(NULL, &sc, j->face, v, d) == HS_OK && sc > best)
            best = sc;
    }
    return best;
}


/* Pose bytes computed from the minutiae of a finger stored without them
 * (format 1 files): f is pointed at the buffer. */
typedef struct pose_buf {
    uint8_t codes[2 * HS__WL_CODES_MAX], dirs[HS__WL_CODES_MAX], firsts[HS__WL_CODES_MAX];
} pose_buf;

static void pose_fill(hs__wl_fview *f, pose_buf *b)
{
    hs_minutia m[HS_WATCHLIST_MINUTIAE_MAX];
    uint16_t codes[HS__WL_CODES_MAX];
    uint32_t n = f->count > HS_WATCHLIST_MINUTIAE_MAX ? HS_WATCHLIST_MINUTIAE_MAX : f->count;
    for (uint32_t i = 0; i < n; i++)
        hs__wl_minutia_read(f, i, &m[i]);
    uint32_t nc = hs__wl_codes_dir(m, n, f->ppi_x, f->ppi_y, codes, b->dirs, NULL, b->firsts);
    for (uint32_t k = 0; k < nc; k++) {
        b->codes[2 * k] = (uint8_t)(codes[k] & 255u);
        b->codes[2 * k + 1] = (uint8_t)(codes[k] >> 8);
    }
    hs__memzero(m, sizeof m);
    f->ncodes = nc;
    f->codes = b->codes;
    f->dirs = b->dirs;
    f->firsts = b->firsts;
}

/* First stage: every stored code found among the probe's (within the code
 * tolerance) votes for the rotations (32 bins) that map its pair's
 * direction onto those of the probe pairs with that code. The score is the
 * largest vote over three adjacent bins as a share of the stored codes:
 * chance code hits scatter over rotations, a mate's gather in one. */
#ifndef S1_SMOOTH
#define S1_SMOOTH 8.0
#endif
/* Votes of a rotation histogram (32 bins) in the three bins centred on r. */
static uint32_t window3(const uint32_t h[32], int r)
{
    return h[(r + 31) & 31] + h[r] + h[(r + 1) & 31];
}

/* Signed distance a - b between two of the 32 rotation bins, in -16..15. */
static int bin_dist(int a, int b)
{
    return ((a - b) % 32 + 32 + 16) % 32 - 16;
}

/* Rotation histogram of a stored finger's code hits in the probe (32 bins
 * of 11.25 degrees); returns the largest vote over three adjacent bins and
 * sets *rbin to the centre of the first window that has it. */
static uint32_t rotation_votes(const probe_finger *p, const hs__wl_fview *f, uint32_t h[32],
                               int *rbin)
{
    memset(h, 0, 32 * sizeof *h);
    for (uint32_t k = 0; k < f->ncodes; k++) {
        uint32_t c = (uint32_t)f->codes[2 * k] | ((uint32_t)f->codes[2 * k + 1] << 8);
        if (!((p->any[c >> 6] >> (c & 63)) & 1u))
            continue;
        uint32_t msk = p->bitmap[c];
        uint32_t r = (uint32_t)(f->dirs[k] >> 3);
        msk = (msk >> r) | (msk << ((32 - r) & 31));
        while (msk) {
            h[__builtin_ctz(msk)]++;
            msk &= msk - 1;
        }
    }
    uint32_t best = 0;
    *rbin = 0;
    for (int r = 0; r < 32; r++) {
        uint32_t v = window3(h, r);
        if (v > best) {
            best = v;
            *rbin = r;
        }
    }
    return best;
}

static double vote1(const probe_finger *p, const hs__wl_fview *f)
{
    uint32_t h[32];
    int r;
    uint32_t best = rotation_votes(p, f, h, &r);
    return (double)best / (f->ncodes + S1_SMOOTH);
}

static double rot_score(const probe_finger *p, const hs__wl_fview *f, uint16_t *grid);

/* Score of a subject in filter stage 1 (rotation votes) or 2 (pose and
 * minutia count): each probe finger's best score against the subject's
 * fingers of a compatible position, summed. Fingers without pose bytes (read
 * from a version 1 file) get them computed here, once per finger. */
static double subject_score(job *j, const hs__wl_entry *e, int stage)
{
    double best[HS_WATCHLIST_FINGERS_MAX];
    for (uint32_t v = 0; v < j->nprobe; v++)
        best[v] = 0;
    uint32_t off = e->fingers_off + 1;
    for (uint32_t g = 0; g < e->nfingers; g++) {
        hs__wl_fview f;
        pose_buf pb;
        off = hs__wl_finger_read(e->rec, off, &f);
        if (!f.dirs)
            pose_fill(&f, &pb);
        for (uint32_t v = 0; v < j->nprobe; v++) {
            const probe_finger *p = &j->pf[v];
            if (!compatible(p->position, f.position) || !f.ncodes)
                continue;
            double z = stage == 1 ? vote1(p, &f) : rot_score(p, &f, j->grid);
            if (z > best[v])
                best[v] = z;
        }
    }
    double s = 0;
    for (uint32_t v = 0; v < j->nprobe; v++)
        s += best[v];
    return s;
}

static void filter_range(job *j)
{
    const hs_watchlist *wl = j->wl;
    for (uint32_t i = j->begin; i < j->end; i++) {
        const hs__wl_entry *e = &wl->e[i];
        if (j->nprobe && e->nfingers)
            heap_push(&j->hf, subject_score(j, e, 1), i);
        if (j->face && e->nfaces) {
            double c = face_best(j, e);
            if (c > -2.0)
                heap_push(&j->hface, c, i);
        }
    }
}

/* Second stage: the first stage's best rotation of the stored finger is
 * taken again; each stored pair whose code the probe has, and whose
 * rotation onto the probe pair lies within one 11.25-degree bin of it, votes
 * for the translation that maps its first minutia (rotated) onto the probe
 * pair's. Votes go to 12 px cells; the score is the largest count in a 3x3
 * window (36 px) as a share of the stored codes. A mate's votes gather at
 * one pose, chance hits scatter. */
#define GRID 128
#define GRID_BIN 12.0
#define GRID_OFF 600.0
#define VOTES_MAX 2048
#ifndef S2_W
#define S2_W 1.0
#endif
#ifndef S2_PHI_TOL
#define S2_PHI_TOL 0.25
#endif
#ifndef S2_PV
#define S2_PV 0.0
#endif
#ifndef S2_DIST
#define S2_DIST 15.0
#endif
#ifndef S2_ANGLE
#define S2_ANGLE 0.4
#endif
#ifndef S2_NSMOOTH
#define S2_NSMOOTH 5.0
#endif
#ifndef S2_ROT_TOL
#define S2_ROT_TOL 1
#endif
/* An angle (within a few turns of 0) brought into [-pi, pi]. */
static double wrap_pi(double d)
{
    static const double pi = 3.14159265358979323846;
    if (!(fabs(d) < 64.0))
        return isfinite(d) ? remainder(d, 2 * pi) : 0.0; /* never loop long */
    while (d > pi)
        d -= 2 * pi;
    while (d < -pi)
        d += 2 * pi;
    return d;
}

/* Second-stage score of a stored finger at rotation bin rbest (see above);
 * g* are its minutiae at 500 ppi, y up, (cx, cy) their centroid. */
static double pose_score(const probe_finger *p, const hs__wl_fview *f, uint16_t *grid, int rbest,
                         const float *gxs, const float *gys, const float *gas, uint32_t n,
                         double cx, double cy)
{
    uint32_t nc = f->ncodes;
    static const double two_pi = 6.28318530717958647692;
    uint16_t cell[VOTES_MAX];
    uint16_t vcell[VOTES_MAX];
    float vphi[VOTES_MAX], vtx[VOTES_MAX], vty[VOTES_MAX];
    uint32_t nv = 0, nvotes = 0;
    /* pass 1: the pairs whose rotation lies near the first stage's; their
     * mean, refined once, is the rotation (they lie within 1.5 bins of the
     * peak bin's centre, where the arithmetic mean of their offsets is the
     * circular mean to far below a degree, without a sine or cosine each) */
    const double centre = (rbest + 0.5) * (two_pi / 32.0);
    double sum = 0;
    for (uint32_t k = 0; k < nc && nvotes < VOTES_MAX; k++) {
        uint32_t code = (uint32_t)f->codes[2 * k] | ((uint32_t)f->codes[2 * k + 1] << 8);
        uint32_t b = p->start[code], e = p->start[code + 1];
        if (b == e)
            continue;
        uint32_t fi = f->firsts[k];
        double th = f->dirs[k] * (two_pi / 256.0);
        for (; b < e && nvotes < VOTES_MAX; b++) {
            const pent *q = &p->ent[b];
            double phi = (double)q->theta - th;
            int rb = (int)floor(phi * (32.0 / two_pi));
            int dr = bin_dist(rb, rbest);
            if (dr < -S2_ROT_TOL || dr > S2_ROT_TOL)
                continue;
            sum += wrap_pi(phi - centre);
            vphi[nvotes] = (float)phi;
            vtx[nvotes] = q->x;
            vty[nvotes] = q->y;
            vcell[nvotes++] = (uint16_t)fi;
        }
    }
    if (nvotes < 2)
        return 0;
    double phi0 = centre + sum / nvotes;
    sum = 0;
    uint32_t nin = 0;
    for (uint32_t i = 0; i < nvotes; i++) {
        double d = wrap_pi((double)vphi[i] - phi0);
        if (fabs(d) <= S2_PHI_TOL) {
            sum += d;
            nin++;
        }
    }
    double phi = phi0 + (nin ? sum / nin : 0.0);
    double c = cos(phi), sn = sin(phi);
    /* pass 2: at that rotation, each pair votes for the translation of its
     * first minutia */
    for (uint32_t i = 0; i < nvotes; i++) {
        if (fabs(wrap_pi((double)vphi[i] - phi)) > S2_PHI_TOL) {
            vcell[i] = 0xffff;
            continue;
        }
        double gx = gxs[vcell[i]] - cx, gy = gys[vcell[i]] - cy;
        double tx = vtx[i] - (c * gx - sn * gy), ty = vty[i] - (sn * gx + c * gy);
        vtx[i] = (float)tx;
        vty[i] = (float)ty;
        tx += GRID_OFF;
        ty += GRID_OFF * 1.5;
        int ix = (int)(tx / GRID_BIN), iy = (int)(ty / GRID_BIN);
        if (tx < 0 || ty < 0 || ix < 1 || iy < 1 || ix >= GRID - 1 || iy >= GRID - 1) {
            vcell[i] = 0xffff;
            continue;
        }
        uint32_t ci = (uint32_t)(iy * GRID + ix);
        if (grid[ci]++ == 0)
            cell[nv++] = (uint16_t)ci;
        vcell[i] = (uint16_t)ci;
    }
    uint32_t best = 0, bc = 0;
    for (uint32_t i = 0; i < nv; i++) {
        uint32_t ci = cell[i], v = 0;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
                v += grid[(int)ci + dy * GRID + dx];
        if (v > best) {
            best = v;
            bc = ci;
        }
    }
    double score = 0;
    if (best >= 2) {
        /* the translation: mean of the votes in the best window */
        double stx = 0, sty = 0;
        uint32_t cnt = 0;
        int bx = (int)(bc % GRID), by = (int)(bc / GRID);
        for (uint32_t i = 0; i < nvotes; i++) {
            if (vcell[i] == 0xffff)
                continue;
            int x = (int)(vcell[i] % GRID), y = (int)(vcell[i] / GRID);
            if (x < bx - 1 || x > bx + 1 || y < by - 1 || y > by + 1)
                continue;
            stx += vtx[i];
            sty += vty[i];
            cnt++;
        }
        stx /= cnt;
        sty /= cnt;
        /* stored minutiae under that pose that land on a probe minutia of
         * similar direction (one to one, first come) */
        uint8_t used[HS_WATCHLIST_MINUTIAE_MAX] = {0};
        uint32_t match = 0;
        for (uint32_t i = 0; i < n; i++) {
            double x = gxs[i] - cx, y = gys[i] - cy;
            double px = c * x - sn * y + stx, py = sn * x + c * y + sty;
            double pa = gas[i] + phi;
            for (uint32_t q = 0; q < p->nm; q++) {
                double dx = p->mx[q] - px, dy = p->my[q] - py;
                if (used[q] || dx * dx + dy * dy > S2_DIST * S2_DIST)
                    continue;
                double da = fabs(wrap_pi(p->ma[q] - pa));
                if (da > S2_ANGLE)
                    continue;
                used[q] = 1;
                match++;
                break;
            }
        }
        score = (double)match * match / ((n + S2_NSMOOTH) * (p->nm + S2_NSMOOTH)) +
                S2_PV * best / (nc + S1_SMOOTH);
    }
    /* the grid (zero on entry, per-thread scratch) is cleared where voted */
    for (uint32_t i = 0; i < nv; i++)
        grid[cell[i]] = 0;
    hs__memzero(vtx, nvotes * sizeof *vtx);
    hs__memzero(vty, nvotes * sizeof *vty);
    return score;
}

/* Second-stage score of a stored finger whose pose bytes are present. */
static double rot_score(const probe_finger *p, const hs__wl_fview *f, uint16_t *grid)
{
    uint32_t nc = f->ncodes;
    if (!nc)
        return 0;
    /* the first stage's rotation histogram, for its best bin */
    uint32_t h[32];
    int rbest;
    uint32_t vbest = rotation_votes(p, f, h, &rbest);
    double sx = f->ppi_x ? 500.0 / f->ppi_x : 1.0, sy = f->ppi_y ? 500.0 / f->ppi_y : 1.0;
    /* the stored minutiae used, in the probe's frame convention (y up) */
    float gxs[HS_WATCHLIST_MINUTIAE_MAX], gys[HS_WATCHLIST_MINUTIAE_MAX];
    float gas[HS_WATCHLIST_MINUTIAE_MAX];
    uint32_t n = f->count > HS_WATCHLIST_MINUTIAE_MAX ? HS_WATCHLIST_MINUTIAE_MAX : f->count;
    double cx = 0, cy = 0;
    for (uint32_t i = 0; i < n; i++) {
        hs_minutia m;
        hs__wl_minutia_read(f, i, &m);
        gxs[i] = (float)(m.x * sx);
        gys[i] = (float)(-m.y * sy);
        gas[i] = m.angle;
        cx += gxs[i];
        cy += gys[i];
    }
    if (n) {
        cx /= n;
        cy /= n;
    }
    double score = pose_score(p, f, grid, rbest, gxs, gys, gas, n, cx, cy);
    /* also the best rotation bin away from the first peak (more than two
     * bins off) when its vote reaches 70% of it: distorted or partial prints
     * can put a mate's true rotation just below a chance peak */
    int r2 = -1;
    uint32_t v2 = 0;
    for (int r = 0; r < 32; r++) {
        int d = bin_dist(r, rbest);
        if (d >= -2 && d <= 2)
            continue;
        uint32_t v = window3(h, r);
        if (v > v2) {
            v2 = v;
            r2 = r;
        }
    }
    if (r2 >= 0 && v2 >= 2 && 10 * v2 >= 7 * vbest) {
        double s2 = pose_score(p, f, grid, r2, gxs, gys, gas, n, cx, cy);
        if (s2 > score)
            score = s2;
    }
    hs__memzero(gxs, n * sizeof *gxs);
    hs__memzero(gys, n * sizeof *gys);
    hs__memzero(gas, n * sizeof *gas);
    return score;
}

/* Phase 3: second-stage score of candidates tid, tid+nthreads, ... */
static void mid_range(job *j)
{
    const hs_watchlist *wl = j->wl;
    for (uint32_t ci = j->tid; ci < j->ncand; ci += j->nthreads) {
        const hs__wl_entry *e = &wl->e[j->mid[ci].idx];
        j->mid[ci].s = subject_score(j, e, 2) + S2_W * j->mid[ci].s;
    }
}

static void rescore(job *j)
{
    const hs_watchlist *wl = j->wl;
#ifdef HS__WL_MATCH
    hs_ctx *ctx = NULL;
    hs_finger_matcher *m = NULL;
    if (j->nprobe) {
        if (hs_ctx_new(&ctx, &wl->alloc) != HS_OK || hs_finger_matcher_new(ctx, &m) != HS_OK) {
            hs_ctx_free(ctx);
            j->status = HS_ERR_NOMEM;
            return;
        }
    }
#endif
    for (uint32_t ci = j->tid; ci < j->ncand; ci += j->nthreads) {
        cand *c = &j->cout[ci];
        const hs__wl_entry *e = &wl->e[j->cidx[ci]];
        memset(c, 0, sizeof *c);
        c->idx = j->cidx[ci];
        c->face_sim = -2.0;
        uint32_t ncomp[HS_WATCHLIST_FINGERS_MAX];
        for (uint32_t v = 0; v < j->nprobe; v++) {
            c->fpos[v] = 255;
            ncomp[v] = 0;
        }
#ifdef HS__WL_MATCH
        uint32_t off = e->fingers_off + 1;
        for (uint32_t g = 0; g < e->nfingers && j->nprobe; g++) {
            hs__wl_fview f;
            off = hs__wl_finger_read(e->rec, off, &f);
            bool any = false;
            for (uint32_t v = 0; v < j->nprobe; v++)
                any = any || compatible(j->pf[v].position, f.position);
            if (!any)
                continue;
            hs_finger_prepared *gp = NULL;
            const hs_finger_prepared *cached =
                wl->cache ? wl->cache[(size_t)j->cidx[ci] * HS_WATCHLIST_FINGERS_MAX + g] : NULL;
            if (!cached) {
                hs_template *t = NULL;
                hs_status st = hs__wl_finger_template(ctx, &f, &t);
                if (!st)
                    st = hs_finger_prepare(ctx, &gp, t, 0);
                hs_template_free(t);
                if (st) {
                    j->status = st;
                    break;
                }
                cached = gp;
            }
            for (uint32_t v = 0; v < j->nprobe; v++) {
                if (!compatible(j->pf[v].position, f.position))
                    continue;
                float s = 0;
                if (hs_finger_match(m, &s, j->pf[v].prep, cached) != HS_OK)
                    s = 0;
                ncomp[v]++;
                if (c->fpos[v] == 255 || s > c->fsim[v]) {
                    c->fsim[v] = s;
                    c->fpos[v] = f.position;
                }
            }
            hs_finger_prepared_free(gp);
        }
#endif
        double lnsum = 0;
        uint32_t k = 0;
        for (uint32_t v = 0; v < j->nprobe; v++) {
            if (!ncomp[v])
                continue;
            double lp = cal_log10p(j->cal, c->fsim[v]) * LN10 + log((double)ncomp[v]);
            lnsum += lp < 0 ? lp : 0;
            k++;
        }
        c->finger_score = fisher(lnsum, k);
        if (j->face && e->nfaces) {
            c->face_sim = face_best(j, e);
            if (c->face_sim > -2.0) {
                double lp = face_log10p(j->face_cal, c->face_sim) * LN10;
                c->face_score = fisher(lp, 1);
                lnsum += lp;
                k++;
            }
        }
        c->score = fisher(lnsum, k);
        c->hit = c->score >= j->fmr_score ? 1u : 0u;
        memcpy(c->id, e->rec + 1, e->id_len);
        c->id[e->id_len] = 0;
    }
#ifdef HS__WL_MATCH
    hs_finger_matcher_free(m);
    hs_ctx_free(ctx);
#endif
}

/* Phase 2: prepare the fingers of subjects [begin, end) into the cache. */
static void cache_range(job *j)
{
    hs_watchlist *wl = (hs_watchlist *)(uintptr_t)j->wl;
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, &wl->alloc) != HS_OK) {
        j->status = HS_ERR_NOMEM;
        return;
    }
    for (uint32_t i = j->begin; i < j->end && !j->status; i++) {
        const hs__wl_entry *e = &wl->e[i];
        uint32_t off = e->fingers_off + 1;
        for (uint32_t g = 0; g < e->nfingers; g++) {
            hs__wl_fview f;
            off = hs__wl_finger_read(e->rec, off, &f);
            hs_template *t = NULL;
            hs_finger_prepared *p = NULL;
            hs_status st = hs__wl_finger_template(ctx, &f, &t);
            if (!st)
                st = hs_finger_prepare(ctx, &p, t, 0);
            hs_template_free(t);
            if (st) {
                j->status = st;
                break;
            }
            wl->cache[(size_t)i * HS_WATCHLIST_FINGERS_MAX + g] = p;
            j->bytes += p->block;
        }
    }
    hs_ctx_free(ctx);
}

static void *worker(void *arg)
{
    job *j = arg;
    if (j->phase == 0)
        filter_range(j);
    else if (j->phase == 1)
        rescore(j);
    else if (j->phase == 3)
        mid_range(j);
    else
        cache_range(j);
    return NULL;
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

/* Run jobs[0..n) on n threads (the calling thread takes job 0; a thread that
 * cannot be started has its job run here afterwards). */
static void run_jobs(job *jobs, uint32_t n)
{
    pthread_t th[64];
    bool started[64];
    for (uint32_t t = 1; t < n; t++)
        started[t] = pthread_create(&th[t], NULL, worker, &jobs[t]) == 0;
    worker(&jobs[0]);
    for (uint32_t t = 1; t < n; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            worker(&jobs[t]);
    }
}

static int cmp_cand(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    /* equal fused scores: better raw evidence first, then id */
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

/* Copy the best k of c[0..n) (in cmp_cand order; k <= 1000) to out, in no
 * particular order: a heap of the k best seen, its root the worst of them. */
static void top_k(cand *out, const cand *c, uint32_t n, uint32_t k)
{
    uint32_t h[1000], hn = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t pos;
        if (hn < k) {
            pos = hn++;
            while (pos > 0 && cmp_cand(&c[h[(pos - 1) / 2]], &c[i]) < 0) {
                h[pos] = h[(pos - 1) / 2];
                pos = (pos - 1) / 2;
            }
            h[pos] = i;
            continue;
        }
        if (cmp_cand(&c[i], &c[h[0]]) >= 0)
            continue; /* not better than the worst kept */
        pos = 0;
        for (;;) {
            uint32_t l = 2 * pos + 1, r = l + 1, w = pos;
            const cand *wc = &c[i];
            if (l < hn && cmp_cand(&c[h[l]], wc) > 0) {
                w = l;
                wc = &c[h[l]];
            }
            if (r < hn && cmp_cand(&c[h[r]], wc) > 0)
                w = r;
            if (w == pos)
                break;
            h[pos] = h[w];
            pos = w;
        }
        h[pos] = i;
    }
    for (uint32_t i = 0; i < hn; i++)
        out[i] = c[h[i]];
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

/* ---- search -------------------------------------------------------------- */

hs_status hs_watchlist_search(hs_ctx *ctx, hs_watchlist_result **out, const hs_watchlist *wl,
                              const hs_template *fingers, const float *face, uint32_t face_dim,
                              const hs_watchlist_search_options *opts)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!wl)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "watchlist is NULL");
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    if (opts) {
        hs_status st = hs__struct_in(ctx, &o, sizeof o, opts, SEARCH_OPTIONS_SIZE_1_0,
                                     "hs_watchlist_search_options");
        if (st)
            return st;
    }
    if (o.max_candidates < 1 || o.max_candidates > 1000 || o.threads < 1 || o.threads > 64 ||
        !(o.fmr >= 1e-12 && o.fmr <= 0.5) ||
        (o.flags & ~(HS_WATCHLIST_EXHAUSTIVE | HS_WATCHLIST_HITS_ONLY)))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "options out of range (max_candidates 1..1000, threads 1..64, "
                         "fmr 1e-12..0.5, known flags)");
    uint32_t nprobe = fingers ? fingers->nviews : 0;
    if (nprobe > HS_WATCHLIST_FINGERS_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "probe of %u fingers (at most %d)", nprobe,
                         HS_WATCHLIST_FINGERS_MAX);
    if (face && (face_dim < 1 || face_dim > HS_WATCHLIST_FACE_DIM_MAX))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face dimension %u", face_dim);
    if (!nprobe && !face)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "empty probe: give fingers or a face");
#ifndef HS__WL_MATCH
    if (nprobe)
        return hs__error(ctx, HS_ERR_NOT_BUILT, "finger matching is not in this build");
#endif
    const hs_allocator *a = &wl->alloc;
    hs_status st = HS_OK;
    hs_watchlist_result *r = hs__calloc(a, 1, sizeof *r);
    if (r) /* before anything can fail: the clean-up frees r with it */
        r->alloc = *a;
    probe_finger *pf = hs__calloc(a, nprobe ? nprobe : 1, sizeof *pf);
    uint32_t *bitmaps = hs__calloc(a, (size_t)(nprobe ? nprobe : 1) * BITMAP_WORDS,
                                   sizeof(uint32_t));
    uint32_t *starts = hs__calloc(a, (size_t)(nprobe ? nprobe : 1) * 65537, sizeof(uint32_t));
    pent *ents = hs__calloc(a, (size_t)(nprobe ? nprobe : 1) * PENT_MAX, sizeof(pent));
    int8_t *fq = face ? hs__malloc(a, face_dim) : NULL;
    float fscale = 0;
    job *jobs = hs__calloc(a, o.threads, sizeof *jobs);
    uint32_t *cidx = NULL;
    cand *cands = NULL;
    if (!r || !pf || !bitmaps || !starts || !ents || (face && !fq) || !jobs) {
        st = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        goto done;
    }
    r->nprobe = nprobe;
    if (face) {
        double ss = 0;
        for (uint32_t i = 0; i < face_dim; i++) {
            if (!isfinite(face[i])) {
                st = hs__error(ctx, HS_ERR_INVALID_ARG, "face value %u not finite", i);
                goto done;
            }
            ss += (double)face[i] * face[i];
        }
        if (!(ss > 0) || !isfinite(ss)) {
            st = hs__error(ctx, HS_ERR_INVALID_ARG, "face embedding has zero length");
            goto done;
        }
        st = hs_face_quantize(ctx, fq, &fscale, face, face_dim);
        if (st)
            goto done;
    }
    calib fcal;
    bool have_fcal = face && face_calib(&fcal, o.face_model);
    for (uint32_t v = 0; v < nprobe; v++) {
        const hs__view *vw = &fingers->views[v];
        pf[v].position = vw->info.finger_position;
        pf[v].bitmap = bitmaps + (size_t)v * BITMAP_WORDS;
        pf[v].start = starts + (size_t)v * 65537;
        pf[v].ent = ents + (size_t)v * PENT_MAX;
        bitmap_build(&pf[v], vw->minutiae, vw->count, vw->info.ppi_x, vw->info.ppi_y);
#ifdef HS__WL_MATCH
        st = hs_finger_prepare(ctx, &pf[v].prep, fingers, v);
        if (st)
            goto done;
#endif
    }
    calib cal;
    cal.n = NCAL;
    cal.zero = 0;
    for (int k = 0; k < NCAL; k++) {
        cal.lf[k] = -2.0 - 0.25 * k;
#ifdef HS__WL_MATCH
        cal.thr[k] = (double)hs__finger_threshold(pow(10.0, cal.lf[k]));
#else
        cal.thr[k] = 0.05 * (k + 1);
#endif
    }
    uint32_t n = wl->n;
    if (n == 0) {
        *out = r;
        r = NULL;
        goto done;
    }
    uint32_t T = o.threads > n ? n : o.threads;
    /* choose the candidates */
    uint32_t ncand = 0;
    if ((o.flags & HS_WATCHLIST_EXHAUSTIVE) || (!nprobe && face)) {
        /* face-only searches are exact anyway: every subject is scored */
        cidx = hs__malloc(a, (size_t)n * sizeof *cidx);
        if (!cidx) {
            st = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (uint32_t i = 0; i < n; i++)
            if (!(o.flags & HS_WATCHLIST_EXHAUSTIVE) ? wl->e[i].nfaces > 0 : 1)
                cidx[ncand++] = i;
    } else {
        /* automatic budgets. The full matcher (about 105 us per stored
         * finger with its prepared form built on the fly, 15 us with the
         * cache) takes 200 + 4.5 sqrt(N) subjects (4x as many with the
         * cache); the second stage (5-10 us each) scores max(16x that,
         * N/10). At a million subjects: 4,700 matched, 100,000 pose-voted.
         * Of the 560 FVC probes in a 1M synthetic gallery, the mates that
         * exhaustive search ranks first and this filter still missed were
         * 4 at 3 sqrt(N) and N/20, 3 now (docs/watchlist-search.md). */
        uint64_t Mbase = o.rescore ? o.rescore
                                   : 200 + (uint64_t)lrint(RESCORE_SQRT * sqrt((double)n));
        uint64_t Mw = o.rescore || !wl->cache ? Mbase : 4 * Mbase;
        uint32_t M = (uint32_t)(Mw < n ? Mw : n);
        /* the second stage's share follows the budget without the cache (the
         * cache makes the last stage cheaper, not the second) */
        uint64_t M1w = Mbase * MID_FACTOR;
        if (M1w < n / MID_SHARE)
            M1w = n / MID_SHARE;
        if (M1w < M)
            M1w = M;
        uint32_t M1 = (uint32_t)(M1w < n ? M1w : n);
        if (!nprobe)
            M1 = M;
        for (uint32_t t = 0; t < T; t++) {
            job *j = &jobs[t];
            j->wl = wl;
            j->pf = pf;
            j->nprobe = nprobe;
            j->face = fq;
            j->face_dim = face_dim;
            j->face_model = o.face_model;
            j->face_cal = have_fcal ? &fcal : NULL;
            j->begin = (uint32_t)((uint64_t)n * t / T);
            j->end = (uint32_t)((uint64_t)n * (t + 1) / T);
            j->phase = 0;
            j->hf.cap = M1;
            j->hf.v = hs__malloc(a, (size_t)M1 * sizeof(scored));
            j->hface.cap = face ? M : 0;
            j->hface.v = face ? hs__malloc(a, (size_t)M * sizeof(scored)) : NULL;
            if (!j->hf.v || (face && !j->hface.v)) {
                st = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
                goto done;
            }
        }
        run_jobs(jobs, T);
        /* merge the per-thread heaps: top M by filter, plus top M by face */
        heap all = {hs__malloc(a, (size_t)M1 * sizeof(scored)), 0, M1};
        cidx = hs__malloc(a, (size_t)M * 2 * sizeof *cidx);
        if (!all.v || !cidx) {
            hs__free(a, all.v);
            st = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (uint32_t t = 0; t < T; t++)
            for (uint32_t i = 0; i < jobs[t].hf.n; i++)
                heap_push(&all, jobs[t].hf.v[i].s, jobs[t].hf.v[i].idx);
        if (all.n > M) {
            /* second stage over the first stage's M1, keeping the best M */
            uint32_t T3 = T > all.n ? all.n : T;
            for (uint32_t t = 0; t < T3; t++) {
                job *j = &jobs[t];
                j->mid = all.v;
                j->ncand = all.n;
                j->tid = t;
                j->nthreads = T3;
                j->phase = 3;
                if (!j->grid)
                    j->grid = hs__calloc(a, GRID * GRID, sizeof *j->grid);
                if (!j->grid) {
                    hs__free(a, all.v);
                    st = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
                    goto done;
                }
            }
            run_jobs(jobs, T3);
            heap h2 = {jobs[0].hf.v, 0, M}; /* reuse: phase 0 is over */
            for (uint32_t i = 0; i < all.n; i++)
                heap_push(&h2, all.v[i].s, all.v[i].idx);
            for (uint32_t i = 0; i < h2.n; i++)
                cidx[ncand++] = h2.v[i].idx;
        } else
            for (uint32_t i = 0; i < all.n; i++)
                cidx[ncand++] = all.v[i].idx;
        all.cap = M;
        if (face) {
            all.n = 0;
            for (uint32_t t = 0; t < T; t++)
                for (uint32_t i = 0; i < jobs[t].hface.n; i++)
                    heap_push(&all, jobs[t].hface.v[i].s, jobs[t].hface.v[i].idx);
            for (uint32_t i = 0; i < all.n; i++)
                cidx[ncand++] = all.v[i].idx;
        }
        hs__free(a, all.v);
        qsort(cidx, ncand, sizeof *cidx, cmp_u32);
        uint32_t w = 0;
        for (uint32_t i = 0; i < ncand; i++)
            if (!w || cidx[w - 1] != cidx[i])
                cidx[w++] = cidx[i];
        ncand = w;
    }
    r->rescored = ncand;
    if (ncand) {
        cands = hs__calloc(a, ncand, sizeof *cands);
        if (!cands) {
            st = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
            goto done;
        }
        uint32_t T2 = T > ncand ? ncand : T;
        for (uint32_t t = 0; t < T2; t++) {
            job *j = &jobs[t];
            j->wl = wl;
            j->pf = pf;
            j->nprobe = nprobe;
            j->face = fq;
            j->face_dim = face_dim;
            j->face_model = o.face_model;
            j->face_cal = have_fcal ? &fcal : NULL;
            j->cal = &cal;
            j->fmr_score = -log10(o.fmr);
            j->cidx = cidx;
            j->cout = cands;
            j->ncand = ncand;
            j->tid = t;
            j->nthreads = T2;
            j->phase = 1;
            j->status = HS_OK;
        }
        run_jobs(jobs, T2);
        for (uint32_t t = 0; t < T2; t++)
            if (jobs[t].status) {
                st = hs__error(ctx, jobs[t].status, "rescoring failed");
                goto done;
            }
    }
    /* the best max_candidates, sorted (selected first: exhaustive search
     * of a large list would otherwise sort every subject's record) */
    uint32_t K = ncand < o.max_candidates ? ncand : o.max_candidates;
    if (K) {
        r->c = hs__malloc(a, (size_t)K * sizeof *r->c);
        if (!r->c) {
            st = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
            goto done;
        }
        top_k(r->c, cands, ncand, K);
        qsort(r->c, K, sizeof *r->c, cmp_cand);
        uint32_t keep = 0;
        while (keep < K && !((o.flags & HS_WATCHLIST_HITS_ONLY) && !r->c[keep].hit))
            keep++;
        hs__memzero(r->c + keep, (size_t)(K - keep) * sizeof *r->c);
        r->n = keep;
    }
    *out = r;
    r = NULL;
done:
    if (jobs)
        for (uint32_t t = 0; t < o.threads; t++) {
            hs__free(a, jobs[t].hf.v);
            hs__free(a, jobs[t].hface.v);
            hs__free(a, jobs[t].grid);
        }
    hs__free(a, jobs);
    hs__free(a, cands);
    hs__free(a, cidx);
    if (pf) {
#ifdef HS__WL_MATCH
        for (uint32_t v = 0; v < nprobe; v++)
            hs_finger_prepared_free(pf[v].prep);
#endif
        hs__memzero(pf, (size_t)(nprobe ? nprobe : 1) * sizeof *pf);
        hs__free(a, pf);
    }
    if (starts) {
        hs__memzero(starts, (size_t)(nprobe ? nprobe : 1) * 65537 * sizeof(uint32_t));
        hs__free(a, starts);
    }
    if (ents) {
        hs__memzero(ents, (size_t)(nprobe ? nprobe : 1) * PENT_MAX * sizeof(pent));
        hs__free(a, ents);
    }
    if (bitmaps) {
        hs__memzero(bitmaps, (size_t)(nprobe ? nprobe : 1) * BITMAP_WORDS * sizeof(uint32_t));
        hs__free(a, bitmaps);
    }
    if (fq) {
        hs__memzero(fq, face_dim);
        hs__free(a, fq);
    }
    hs_watchlist_result_free(r);
    return st;
}

hs_status hs_watchlist_cache_prepared(hs_ctx *ctx, hs_watchlist *wl, uint32_t threads)
{
    if (!wl || threads < 1 || threads > 64)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL list or threads outside 1..64");
    hs__wl_cache_drop(wl);
    if (!wl->n)
        return HS_OK;
    const hs_allocator *a = &wl->alloc;
    wl->cache = hs__calloc(a, (size_t)wl->n * HS_WATCHLIST_FINGERS_MAX, sizeof *wl->cache);
    job *jobs = hs__calloc(a, threads, sizeof *jobs);
    if (!wl->cache || !jobs) {
        hs__free(a, jobs);
        hs__wl_cache_drop(wl);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    uint32_t T = threads > wl->n ? wl->n : threads;
    for (uint32_t t = 0; t < T; t++) {
        jobs[t].wl = wl;
        jobs[t].phase = 2;
        jobs[t].begin = (uint32_t)((uint64_t)wl->n * t / T);
        jobs[t].end = (uint32_t)((uint64_t)wl->n * (t + 1) / T);
    }
    run_jobs(jobs, T);
    hs_status st = HS_OK;
    uint64_t bytes = (uint64_t)wl->n * HS_WATCHLIST_FINGERS_MAX * sizeof *wl->cache;
    for (uint32_t t = 0; t < T; t++) {
        if (jobs[t].status && !st)
            st = jobs[t].status;
        bytes += jobs[t].bytes;
    }
    hs__free(a, jobs);
    if (st) {
        hs__wl_cache_drop(wl);
        return hs__error(ctx, st, "preparing the cache failed");
    }
    wl->cache_bytes = bytes;
    return HS_OK;
}
