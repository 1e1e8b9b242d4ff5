/* The watchlist filter: the probe's filter index and the two stages that
 * choose the subjects the full matcher re-scores (docs/watchlist-search.md).
 *
 * Stage 1 scores every subject by rotation votes of its stored pair codes
 * against the probe's (about 1 us a finger); stage 2 re-ranks the best of
 * them by the pose those votes give and the stored minutiae that land on
 * probe minutiae under it (5-10 us a finger). */
#include "internal/template.h"
#include "internal/threads.h"
#include "internal/topk.h"
#include "internal/watchlist_search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- budgets ------------------------------------------------------------- */

/* The full matcher (about 105 us per stored finger with its prepared form
 * built on the fly, 15 us with the cache) takes RESCORE_BASE +
 * RESCORE_SQRT sqrt(N) subjects (CACHE_FACTOR times as many with the
 * cache); the second stage scores max(MID_FACTOR times that, N /
 * MID_SHARE). At a million subjects: 4,700 matched, 100,000 pose-voted. Of
 * the 560 FVC probes in a 1M synthetic gallery, the mates that exhaustive
 * search ranks first and this filter still missed were 4 at 3 sqrt(N) and
 * N/20, 3 now (docs/watchlist-search.md). The option `rescore` overrides
 * the automatic budget. */
#define RESCORE_BASE 200
#define RESCORE_SQRT 4.5
/* the cache makes a comparison about 7x cheaper; 4x the subjects spends
 * part of that on accuracy */
#define CACHE_FACTOR 4
/* the second stage keeps at least 16x the re-scored share: mates the pose
 * count ranks below that are rare at every gallery size measured */
#define MID_FACTOR 16
/* and at least a tenth of the list: small lists are cheap to pose-vote */
#define MID_SHARE 10

/* ---- the probe's index -------------------------------------------------- */

#define CODES 65536   /* possible pair codes (16 bits) */
#define CODE_TOL_ANGLE 1 /* probe codes also cover +-1 angle bin (+-5.6 deg) */
#define CODE_TOL_DIST 1  /* and +-1 distance bin (+-7.5 px) */

/* A probe pair under one (tolerance-widened) code: its direction and the
 * position of its first minutia (500 ppi, y up). */
typedef struct pent {
    float theta, x, y;
} pent;
/* every code widened by the tolerance: 3 distances x 3 x 3 angles */
#define PENT_MAX (HS__WL_CODES_MAX * 27)

typedef struct probe_finger {
    uint32_t position;
    uint32_t *bitmap;   /* per code: the directions (32 bins) of probe pairs with it */
    uint64_t any[CODES / 64]; /* per code: 1 when bitmap[code] is not 0 (stays in L1) */
    uint32_t *start;    /* per code c: its pairs are ent[start[c] .. start[c+1]) */
    pent *ent;
    /* its minutiae at 500 ppi, y up (second stage) */
    uint32_t nm;
    float mx[HS_WATCHLIST_MINUTIAE_MAX], my[HS_WATCHLIST_MINUTIAE_MAX];
    float ma[HS_WATCHLIST_MINUTIAE_MAX];
} probe_finger;

struct hs__wl_filter {
    hs_allocator alloc;
    size_t bytes; /* of the whole block, for wiping */
    uint32_t nprobe;
    probe_finger pf[HS_WATCHLIST_FINGERS_MAX];
    /* the fingers' bitmaps, starts and pairs follow in the same block */
};

/* Bytes of the arrays of one probe finger after the struct. */
#define FINGER_ARRAYS \
    (CODES * sizeof(uint32_t) + (CODES + 1) * sizeof(uint32_t) + PENT_MAX * sizeof(pent))

static void index_build(probe_finger *pf, const hs_minutia *m, uint32_t n, uint32_t ppx,
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
    double sx = ppx ? 500.0 / ppx : 1.0, sy = ppy ? 500.0 / ppy : 1.0;
    pf->nm = n;
    for (uint32_t i = 0; i < n; i++) {
        pf->mx[i] = (float)(tmp[i].x * sx);
        pf->my[i] = (float)(-tmp[i].y * sy);
        pf->ma[i] = tmp[i].angle;
    }
    memset(pf->bitmap, 0, CODES * sizeof(uint32_t));
    memset(pf->any, 0, sizeof pf->any);
    memset(pf->start, 0, (CODES + 1) * sizeof(uint32_t));
    /* pass 0 counts the pairs per code, pass 1 files them */
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
            for (uint32_t c = 0; c < CODES; c++) {
                acc += pf->start[c];
                pf->start[c] = acc;
            }
            pf->start[CODES] = acc;
        }
    }
    hs__memzero(tmp, sizeof tmp);
}

hs_status hs__wl_filter_new(hs_ctx *ctx, hs__wl_filter **out, const hs_template *fingers)
{
    *out = NULL;
    uint32_t nprobe = fingers->nviews;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    size_t bytes = sizeof(hs__wl_filter) + (size_t)nprobe * FINGER_ARRAYS;
    uint8_t *blk = hs__calloc(a, 1, bytes);
    if (!blk)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory for the filter index (%zu bytes)",
                         bytes);
    hs__wl_filter *f = (hs__wl_filter *)blk;
    f->alloc = *a;
    f->bytes = bytes;
    f->nprobe = nprobe;
    uint8_t *p = blk + sizeof *f;
    for (uint32_t v = 0; v < nprobe; v++) {
        const hs__view *vw = &fingers->views[v];
        probe_finger *pf = &f->pf[v];
        pf->position = vw->info.finger_position;
        pf->bitmap = (uint32_t *)p;
        pf->start = pf->bitmap + CODES;
        pf->ent = (pent *)(pf->start + CODES + 1);
        p += FINGER_ARRAYS;
        index_build(pf, vw->minutiae, vw->count, vw->info.ppi_x, vw->info.ppi_y);
    }
    *out = f;
    return HS_OK;
}

void hs__wl_filter_free(hs__wl_filter *f)
{
    if (f)
        HS__OBJECT_FREE(f, hs__wl_filter, f->bytes);
}

/* ---- stage 1: rotation votes --------------------------------------------- */

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

/* Every stored code found among the probe's (within the code tolerance)
 * votes for the rotations (32 bins) that map its pair's direction onto
 * those of the probe pairs with that code. The score is the largest vote
 * over three adjacent bins as a share of the stored codes plus VOTE_SMOOTH:
 * chance code hits scatter over rotations, a mate's gather in one, and the
 * smoothing keeps fingers with few codes from scoring high on a few chance
 * hits. */
#define VOTE_SMOOTH 8.0

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

static double rotation_score(const probe_finger *p, const hs__wl_fview *f)
{
    uint32_t h[32];
    int r;
    uint32_t best = rotation_votes(p, f, h, &r);
    return (double)best / (f->ncodes + VOTE_SMOOTH);
}

/* ---- stage 2: pose and minutia count -------------------------------------- */

/* The first stage's best rotation of the stored finger is taken again; each
 * stored pair whose code the probe has, and whose rotation onto the probe
 * pair lies within ROT_TOL bins of it, votes for the translation that maps
 * its first minutia (rotated) onto the probe pair's. Votes go to GRID_BIN
 * px cells; the best 3x3 window gives the translation. Under that pose the
 * stored minutiae that land on probe minutiae are counted; the score is
 * count^2 / ((m + COUNT_SMOOTH)(n + COUNT_SMOOTH)). A mate's votes gather at
 * one pose, chance hits scatter. */
#define GRID 128       /* cells per side of the translation grid */
#define GRID_BIN 12.0  /* px per cell: about a ridge period and a half */
#define GRID_OFF 600.0 /* translations from -600 px (-900 in y) fit the grid */
#define VOTES_MAX 2048 /* votes kept per finger (a mate needs far fewer) */
#define ROT_TOL 1      /* bins of 11.25 degrees either side of the peak */
#define PHI_TOL 0.25   /* radians: votes this far from the refined rotation count */
#define LAND_DIST 15.0 /* px: a stored minutia this close to a probe minutia lands */
#define LAND_ANGLE 0.4 /* radians (23 degrees): and with a direction this close */
#define COUNT_SMOOTH 5.0 /* keeps fingers with few minutiae from scoring high */

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
 * g* are its minutiae at 500 ppi, y up, (cx, cy) their centroid. grid is
 * per-thread scratch, zero on entry and on return. */
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
            if (dr < -ROT_TOL || dr > ROT_TOL)
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
        if (fabs(d) <= PHI_TOL) {
            sum += d;
            nin++;
        }
    }
    double phi = phi0 + (nin ? sum / nin : 0.0);
    double c = cos(phi), sn = sin(phi);
    /* pass 2: at that rotation, each pair votes for the translation of its
     * first minutia */
    for (uint32_t i = 0; i < nvotes; i++) {
        if (fabs(wrap_pi((double)vphi[i] - phi)) > PHI_TOL) {
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
                if (used[q] || dx * dx + dy * dy > LAND_DIST * LAND_DIST)
                    continue;
                double da = fabs(wrap_pi(p->ma[q] - pa));
                if (da > LAND_ANGLE)
                    continue;
                used[q] = 1;
                match++;
                break;
            }
        }
        score = (double)match * match / ((n + COUNT_SMOOTH) * (p->nm + COUNT_SMOOTH));
    }
    /* the grid is cleared where voted */
    for (uint32_t i = 0; i < nv; i++)
        grid[cell[i]] = 0;
    hs__memzero(vtx, nvotes * sizeof *vtx);
    hs__memzero(vty, nvotes * sizeof *vty);
    return score;
}

/* Second-stage score of a stored finger (with its pose bytes). */
static double pose_count_score(const probe_finger *p, const hs__wl_fview *f, uint16_t *grid)
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

/* Score of a subject in stage 1 (grid NULL) or stage 2: each probe
 * finger's best score against the subject's fingers of a compatible
 * position, summed. Fingers without pose bytes (read from a version 1 file)
 * get them computed here, once per finger. */
static double subject_score(const hs__wl_filter *flt, const hs__wl_entry *e, uint16_t *grid)
{
    double best[HS_WATCHLIST_FINGERS_MAX];
    for (uint32_t v = 0; v < flt->nprobe; v++)
        best[v] = 0;
    uint32_t off = e->fingers_off + 1;
    for (uint32_t g = 0; g < e->nfingers; g++) {
        hs__wl_fview f;
        pose_buf pb;
        off = hs__wl_finger_read(e->rec, off, &f);
        if (!f.dirs)
            pose_fill(&f, &pb);
        for (uint32_t v = 0; v < flt->nprobe; v++) {
            const probe_finger *p = &flt->pf[v];
            if (!hs__wl_compatible(p->position, f.position) || !f.ncodes)
                continue;
            double z = grid ? pose_count_score(p, &f, grid) : rotation_score(p, &f);
            if (z > best[v])
                best[v] = z;
        }
    }
    double s = 0;
    for (uint32_t v = 0; v < flt->nprobe; v++)
        s += best[v];
    return s;
}

/* ---- the two stages on threads ---------------------------------------------- */

/* A subject's filter score. The order is the score alone: of equal scores
 * the first offered stays, as it always has (the candidate set is sorted
 * by index afterwards, so only which subjects enter matters). */
typedef struct scored {
    double s;
    uint32_t idx;
} scored;

static inline bool scored_worse(const void *ctx, const scored *a, const scored *b)
{
    (void)ctx;
    return a->s < b->s;
}
HS__TOPK_DEFINE(best_scored, scored, scored_worse)

typedef struct select_run {
    const hs__wl_filter *flt;
    const hs_watchlist *wl;
    const hs__wl_face *face;
    uint32_t nthreads;
    /* stage 1: thread t scores subjects [n t / T, n (t + 1) / T) into its
     * heaps hf (cap m1) and hface (cap m) */
    scored *hf, *hface;
    uint32_t nf[HS__THREADS_MAX], nface[HS__THREADS_MAX];
    uint32_t m1, m;
    /* stage 2: thread t re-scores mid[t], mid[t + T], ... in place */
    scored *mid;
    uint32_t nmid;
    uint16_t *grids; /* GRID x GRID per thread, zero between uses */
} select_run;

static hs_status stage1_task(void *arg, uint32_t t, hs__task_error *err)
{
    (void)err;
    select_run *r = arg;
    const hs_watchlist *wl = r->wl;
    uint32_t begin, end;
    hs__task_share(wl->n, t, r->nthreads, &begin, &end);
    scored *hf = r->hf + (size_t)t * r->m1;
    scored *hface = r->face->q ? r->hface + (size_t)t * r->m : NULL;
    uint32_t nf = 0, nface = 0;
    for (uint32_t i = begin; i < end; i++) {
        const hs__wl_entry *e = &wl->e[i];
        if (r->flt->nprobe && e->nfingers)
            best_scored_push(hf, &nf, r->m1, NULL, (scored){subject_score(r->flt, e, NULL), i});
        if (hface && e->nfaces) {
            double c = hs__wl_face_best(r->face, e);
            if (c > -2.0)
                best_scored_push(hface, &nface, r->m, NULL, (scored){c, i});
        }
    }
    r->nf[t] = nf;
    r->nface[t] = nface;
    return HS_OK;
}

static hs_status stage2_task(void *arg, uint32_t t, hs__task_error *err)
{
    (void)err;
    select_run *r = arg;
    uint16_t *grid = r->grids + (size_t)t * GRID * GRID;
    for (uint32_t ci = t; ci < r->nmid; ci += r->nthreads) {
        const hs__wl_entry *e = &r->wl->e[r->mid[ci].idx];
        r->mid[ci].s = subject_score(r->flt, e, grid) + r->mid[ci].s;
    }
    return HS_OK;
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

hs_status hs__wl_filter_select(hs_ctx *ctx, uint32_t **cidx_out, uint32_t *ncand_out,
                               const hs__wl_filter *flt, const hs_watchlist *wl,
                               const hs__wl_face *face, uint32_t rescore, uint32_t threads)
{
    *cidx_out = NULL;
    *ncand_out = 0;
    const uint32_t n = wl->n;
    const uint32_t T = threads > n ? n : threads;
    uint64_t mbase = rescore ? rescore
                             : RESCORE_BASE + (uint64_t)lrint(RESCORE_SQRT * sqrt((double)n));
    uint64_t mw = rescore || !wl->cache ? mbase : CACHE_FACTOR * mbase;
    const uint32_t M = (uint32_t)(mw < n ? mw : n);
    /* the second stage's share follows the budget without the cache (the
     * cache makes the last stage cheaper, not the second) */
    uint64_t m1w = mbase * MID_FACTOR;
    if (m1w < n / MID_SHARE)
        m1w = n / MID_SHARE;
    if (m1w < M)
        m1w = M;
    uint32_t M1 = (uint32_t)(m1w < n ? m1w : n);
    if (!flt->nprobe)
        M1 = M;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    select_run r = {.flt = flt, .wl = wl, .face = face, .nthreads = T, .m1 = M1, .m = M};
    r.hf = hs__malloc(a, (size_t)T * M1 * sizeof *r.hf);
    r.hface = face->q ? hs__malloc(a, (size_t)T * M * sizeof *r.hface) : NULL;
    r.grids = hs__calloc(a, (size_t)T * GRID * GRID, sizeof *r.grids);
    scored *all = hs__malloc(a, (size_t)M1 * sizeof *all);
    uint32_t *cidx = hs__malloc(a, (size_t)M * 2 * sizeof *cidx);
    uint32_t ncand = 0;
    hs_status st = HS_OK;
    if (!r.hf || (face->q && !r.hface) || !r.grids || !all || !cidx) {
        st = hs__error(ctx, HS_ERR_NOMEM, "out of memory for the filter of %u subjects", n);
        goto done;
    }
    st = hs__run_tasks(ctx, T, stage1_task, &r);
    if (st)
        goto done;
    /* the best M1 of the threads' first stages */
    uint32_t nall = 0;
    for (uint32_t t = 0; t < T; t++)
        for (uint32_t i = 0; i < r.nf[t]; i++)
            best_scored_push(all, &nall, M1, NULL, r.hf[(size_t)t * M1 + i]);
    if (nall > M) {
        /* the second stage re-ranks them; the best M go on */
        r.mid = all;
        r.nmid = nall;
        r.nthreads = T > nall ? nall : T;
        st = hs__run_tasks(ctx, r.nthreads, stage2_task, &r);
        if (st)
            goto done;
        scored *h2 = r.hf; /* reused: the first stage is over */
        uint32_t n2 = 0;
        for (uint32_t i = 0; i < nall; i++)
            best_scored_push(h2, &n2, M, NULL, all[i]);
        for (uint32_t i = 0; i < n2; i++)
            cidx[ncand++] = h2[i].idx;
    } else
        for (uint32_t i = 0; i < nall; i++)
            cidx[ncand++] = all[i].idx;
    if (face->q) {
        /* and the best M by face similarity */
        nall = 0;
        for (uint32_t t = 0; t < T; t++)
            for (uint32_t i = 0; i < r.nface[t]; i++)
                best_scored_push(all, &nall, M, NULL, r.hface[(size_t)t * M + i]);
        for (uint32_t i = 0; i < nall; i++)
            cidx[ncand++] = all[i].idx;
    }
    qsort(cidx, ncand, sizeof *cidx, cmp_u32);
    uint32_t w = 0;
    for (uint32_t i = 0; i < ncand; i++)
        if (!w || cidx[w - 1] != cidx[i])
            cidx[w++] = cidx[i];
    *cidx_out = cidx;
    *ncand_out = w;
    cidx = NULL;
done:
    hs__free(a, cidx);
    hs__free(a, all);
    hs__free(a, r.grids);
    hs__free(a, r.hface);
    hs__free(a, r.hf);
    return st;
}
