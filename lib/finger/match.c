/*
 * Fingerprint matcher: bit-vector Minutia Cylinder-Code local descriptors
 * (Cappelli, Ferrara, Maltoni, TPAMI 2010) paired by popcount, followed by
 * a global consistency step: the best locally similar pairs serve as
 * anchors of a rigid alignment, and the minutiae that agree with an anchor's
 * alignment (position with an elastic tolerance, and direction) are paired
 * one-to-one. The score grows with the number of consistent pairs relative
 * to the minutiae in the overlapping area. docs/finger-matching.md explains
 * the choice and the measured figures.
 */
#include "match_impl.h"
#include "internal/template.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PI_F 3.14159265358979f
#define TWO_PI_F 6.28318530717959f

/* ---- Cylinder parameters (500 ppi) ------------------------------------ */
#define CYL_NS 8               /* cells per side */
#define CYL_R 70.0f            /* radius, pixels */
#define CYL_CELL (2.0f * CYL_R / CYL_NS)
#define CYL_SIGMA_S 9.0f       /* spatial spread of a contribution */
#define CYL_SIGMA_D 0.6f       /* directional spread, radians */
#define CYL_THRESH 0.35f       /* contribution sum that sets a bit */
#define CYL_HULL_OMEGA 50.0f   /* cells this far outside the hull are invalid */

/* ---- Global consistency parameters ------------------------------------ */
#define MAX_ANCHORS 6
#define FAST_ANCHORS 4
#define REFINE_ANCHORS 2
#define THOROUGH_ANCHORS 16     /* HS_MATCH_THOROUGH: anchors ranked and */
#define THOROUGH_REFINE 4       /* different alignments refined among them */
#define SAME_ROT 4              /* anchors within this rotation (angle units) and */
#define SAME_DIST 24.0f         /* translation (px at the anchor) are the same alignment */
#define RANK_CANDS 30           /* candidates used to rank the anchors */
#define ANCHOR_CAP 32           /* bounds of the tuning hook */
#define REFINE_CAP 4
_Static_assert(THOROUGH_ANCHORS <= ANCHOR_CAP && MAX_ANCHORS <= ANCHOR_CAP, "anchor room");
#define TOL_BASE 8.0f          /* pixels at the anchor */
#define TOL_SLOPE 0.12f        /* extra tolerance per pixel from the anchor */
#define TOL_MAX 28.0f
#define ANGLE_TOL 16           /* units of 2*pi/256 (22.5 degrees) */
#define OVERLAP_DIST 40.0f     /* a minutia with a partner this close is in the overlap */
#define MIN_NORM 8             /* floor of the overlap counts in the score */
#define COUNT_FLOOR 10.0f      /* floor of the expected whole-print counts */
#define QUAL_FULL 80           /* minutia quality from which a minutia counts fully */
#define LSIM_REF 0.5f          /* mean local similarity of the pairs that leaves */
#define LSIM_EXP 0.25f         /* the score unchanged, and the weight's exponent */
/* Constrained affine refit of the best anchor (docs/finger-matching.md) */
#define AFF_MIN_PAIRS 8         /* fewer pairs: no affine stage */
#define AFF_STRETCH_LO 0.85     /* bounds of the principal stretches */
#define AFF_STRETCH_HI 1.18
#define AFF_ANISO 1.3           /* largest ratio of the two stretches */
#define AFF_AREA_LO 0.8         /* bounds of the area ratio (determinant) */
#define AFF_AREA_HI 1.25
#define AFF_ITER 2              /* refit, pair, score rounds */
#define AFF_TOL_SLOPE 0.08f     /* tolerance growth under the affine frame */
#define OF_CANDS 20             /* orientation anchor: candidates scored by field agreement */
#define OF_MIN_AGREE 0.85f      /* mean agreement (cosine of the doubled angles) it needs */
#define OF_CHUNK 16u            /* samples summed between the tests for giving up */
_Static_assert(OF_CANDS <= 32, "field_sums takes at most 32 alignments");
#define OF_EXIT_MARGIN 1e-3     /* relative margin of those tests */
#define AFF_MIN_SCORE 0.015f    /* rigid scores below it skip the stage (speed: none
                                   of the eight FVC sets' figures moves) */

/* ===================================================================== */
/* Preparation                                                            */
/* ===================================================================== */

/* The sampled cells of a field grid: every HS__FIELD_STEP-th cell of every
 * HS__FIELD_STEP-th row, the rows staggered, where the grid has ridges. */
static uint32_t field_sample_count(const uint8_t *grid, uint32_t gw, uint32_t gh)
{
    uint32_t ns = 0;
    for (uint32_t j = 0; j < gh; j += HS__FIELD_STEP)
        for (uint32_t i = (j / HS__FIELD_STEP) % HS__FIELD_STEP; i < gw; i += HS__FIELD_STEP)
            ns += grid[j * gw + i] != 0;
    return ns;
}

const char *hs__field_check(const uint8_t *grid, uint32_t gw, uint32_t gh, uint32_t x0,
                            uint32_t y0, uint32_t fc64)
{
    if (!gw || !gh || gw > HS__FIELD_MAX_DIM || gh > HS__FIELD_MAX_DIM)
        return "grid size out of range";
    if (fc64 < HS__FIELD_CELL64_MIN || fc64 > HS__FIELD_CELL64_MAX)
        return "cell size out of range (8-64 px at 500 ppi)";
    if ((double)(x0 + gw) * fc64 / 64.0 > 32000.0 || (double)(y0 + gh) * fc64 / 64.0 > 32000.0)
        return "grid beyond the 32,000 px frame";
    for (size_t i = 0; i < (size_t)gw * gh; i++)
        if (grid[i] && !(grid[i] >> 6))
            return "cell with ridges but no coherence class";
    return NULL;
}

bool hs__field_geometry(const uint8_t *b, size_t n, uint32_t ppi_x, uint32_t h[5],
                        uint32_t *c64)
{
    *c64 = 0;
    if (!hs__field_header(b, n, h) || b[1] != 0 || h[0] < 16)
        return false;
    /* cell size into the prepared frame (500 ppi), in 1/64 px */
    double sx = ppi_x ? 500.0 / ppi_x : 1.0;
    double cx = floor((double)h[0] * 4.0 * sx + 0.5);
    *c64 = cx < 65536.0 ? (uint32_t)cx : 65536u;
    return true;
}

const uint8_t *hs__field_grid(const uint8_t *b, size_t n, uint32_t ppi_x, uint32_t ppi_y,
                              uint32_t h[5], uint32_t *c64)
{
    if (b && ppi_x == ppi_y && hs__field_geometry(b, n, ppi_x, h, c64))
        return b + HS__FIELD_HDR;
    memset(h, 0, 5 * sizeof *h);
    *c64 = 0;
    return NULL;
}

const char *hs__field_block_check(const uint8_t *b, size_t n, uint32_t ppi_x, uint32_t h[5],
                                  uint32_t *c64)
{
    if (!hs__field_geometry(b, n, ppi_x, h, c64))
        return "bad header or size";
    return hs__field_check(b + HS__FIELD_HDR, h[1], h[2], h[3], h[4], *c64);
}

hs_finger_prepared *hs__prepared_new(const hs_allocator *a, uint32_t n)
{
    return hs__prepared_new_field(a, n, NULL, 0, 0, 0, 0, 0);
}

/* Bytes of a field's area in a prepared block (its description, the
 * samples padded to whole vectors of 16, the grid and 3 bytes that a 32-bit
 * gather of its last cell reads) for ns samples of a gw x gh grid. */
static size_t field_area_bytes(size_t ns, uint32_t gw, uint32_t gh)
{
    size_t npad = (ns + 15u) & ~(size_t)15u;
    return sizeof(hs__pfield) + npad * 5u + (size_t)gw * gh + 3u;
}

/* Lay the field out in the zeroed, 8-byte aligned area f of
 * field_area_bytes(ns, gw, gh) bytes: description, samples in spread order,
 * grid. */
static const hs__pfield *field_fill(uint8_t *f, size_t ns, const uint8_t *grid, uint32_t gw,
                                    uint32_t gh, uint32_t x0, uint32_t y0, uint32_t c64)
{
    size_t npad = (ns + 15u) & ~(size_t)15u;
    hs__pfield *fd = (hs__pfield *)(void *)f;
    f += sizeof *fd;
    int16_t *sx = (int16_t *)(void *)f, *sy = sx + npad;
    uint8_t *sd = f + 4u * npad, *dst = f + 5u * npad;
    memcpy(dst, grid, (size_t)gw * gh);
    fd->grid = dst;
    fd->sx = sx;
    fd->sy = sy;
    fd->sd = sd;
    fd->ns = (uint32_t)ns;
    fd->gw = (uint16_t)gw;
    fd->gh = (uint16_t)gh;
    fd->x0 = (uint16_t)x0;
    fd->y0 = (uint16_t)y0;
    fd->c64 = (uint16_t)c64;
    fd->c = (float)c64 * (1.0f / 64.0f);
    /* spread order: sample o of the row order (o = q * s + r, s the number
     * of chunks of OF_CHUNK, q < OF_CHUNK) goes after every sample of a
     * smaller r and after those of its r with a smaller q, so that the
     * first chunk holds every s-th sample of the print, the next chunk the
     * ones after them, and so on */
    const uint32_t s = (uint32_t)((ns + OF_CHUNK - 1) / OF_CHUNK);
    /* the first `longer` residues r hold `per` samples each, the others
     * per - 1 (per = ceil(ns / s)) */
    const uint32_t per = ns ? (uint32_t)(ns - 1) / s + 1u : 0;
    const uint32_t longer = ns ? (uint32_t)(ns - 1) % s + 1u : 0;
    uint32_t o = 0;
    for (uint32_t j = 0; j < gh; j += HS__FIELD_STEP)
        for (uint32_t i = (j / HS__FIELD_STEP) % HS__FIELD_STEP; i < gw; i += HS__FIELD_STEP) {
            uint8_t v = grid[j * gw + i];
            if (!v)
                continue;
            /* before it: the samples of every residue r' < r, then those of
             * its own with a smaller q */
            uint32_t q = o / s, r = o % s;
            uint32_t k = r * per - (r > longer ? r - longer : 0u) + q;
            float x = ((float)(x0 + i) + 0.5f) * fd->c, y = ((float)(y0 + j) + 0.5f) * fd->c;
            sx[k] = (int16_t)lrintf(x < 32000.0f ? x : 32000.0f);
            sy[k] = (int16_t)-lrintf(y < 32000.0f ? y : 32000.0f);
            sd[k] = (uint8_t)((v & 63u) * 4u); /* pi / 64 -> 2 pi / 256, doubled */
            o++;
        }
    return fd;
}

hs_finger_prepared *hs__prepared_new_field(const hs_allocator *a, uint32_t n, const uint8_t *grid,
                                           uint32_t gw, uint32_t gh, uint32_t x0, uint32_t y0,
                                           uint32_t c64)
{
    _Static_assert(sizeof(hs__pfield) % 8 == 0, "the field's samples follow it aligned");
    _Static_assert(sizeof(void *) != 8 || sizeof(hs_finger_prepared) == 64,
                   "the cylinders start on the first cache line after the header");
    size_t head = (sizeof(hs_finger_prepared) + 63u) & ~(size_t)63u;
    size_t cyl_bytes = (size_t)n * HS__CYL_WORDS * sizeof(uint64_t);
    size_t min_bytes = (size_t)n * sizeof(hs__pmin);
    size_t ns = grid ? field_sample_count(grid, gw, gh) : 0;
    size_t field_bytes = grid ? field_area_bytes(ns, gw, gh) : 0;
    size_t bytes = head + cyl_bytes + min_bytes + field_bytes;
    if (bytes > UINT32_MAX)
        return NULL;
    uint8_t *blk = hs__calloc(a, 1, bytes);
    if (!blk)
        return NULL;
    hs_finger_prepared *p = (hs_finger_prepared *)blk;
    p->alloc = *a;
    p->count = (uint16_t)n;
    p->cyl = (uint64_t *)(blk + head);
    p->min = (hs__pmin *)(blk + head + cyl_bytes);
    p->block = (uint32_t)bytes;
    if (grid) /* 8-byte aligned after the minutiae */
        p->fd = field_fill(blk + head + cyl_bytes + min_bytes, ns, grid, gw, gh, x0, y0, c64);
    return p;
}

hs_status hs__prepared_alloc(hs_ctx *ctx, hs_finger_prepared **out, uint32_t n)
{
    *out = hs__prepared_new(hs__ctx_allocator(ctx), n);
    return *out ? HS_OK : hs__error(ctx, HS_ERR_NOMEM, "out of memory");
}

void hs_finger_prepared_free(hs_finger_prepared *p)
{
    if (p)
        HS__OBJECT_FREE(p, hs_finger_prepared, p->block);
}

uint32_t hs_finger_prepared_count(const hs_finger_prepared *p) { return p ? p->count : 0; }

uint32_t hs_finger_prepared_position(const hs_finger_prepared *p) { return p ? p->position : 0; }

static float ang_of(uint8_t a) { return (float)a * (TWO_PI_F / 256.0f); }


typedef struct pt {
    float x, y;
} pt;

static float cross3(pt o, pt a, pt b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

static int pt_cmp(const void *pa, const void *pb)
{
    const pt *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return 0;
}

/* Convex hull by the monotone chain; returns the vertex count (ccw). */
static int convex_hull(pt *p, int n, pt *h)
{
    if (n < 3) {
        for (int i = 0; i < n; i++)
            h[i] = p[i];
        return n;
    }
    qsort(p, (size_t)n, sizeof *p, pt_cmp);
    int k = 0;
    for (int i = 0; i < n; i++) {
        while (k >= 2 && cross3(h[k - 2], h[k - 1], p[i]) <= 0)
            k--;
        h[k++] = p[i];
    }
    for (int i = n - 2, t = k + 1; i >= 0; i--) {
        while (k >= t && cross3(h[k - 2], h[k - 1], p[i]) <= 0)
            k--;
        h[k++] = p[i];
    }
    return k - 1;
}

static float seg_dist2(pt p, pt a, pt b)
{
    float dx = b.x - a.x, dy = b.y - a.y;
    float l2 = dx * dx + dy * dy;
    float t = l2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / l2 : 0.0f;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    float ex = a.x + t * dx - p.x, ey = a.y + t * dy - p.y;
    return ex * ex + ey * ey;
}

/* Depth of p in the convex hull: its least signed distance to an edge's
 * line (positive inside), with inv_len[i] the inverse length of edge i (0
 * for a degenerate edge, which then counts as distance 0). */
static float hull_depth(const pt *h, int nh, const float *inv_len, pt p)
{
    float r = 1e30f;
    for (int i = 0; i < nh; i++) {
        float d = cross3(h[i], h[i + 1], p) * inv_len[i];
        if (d < r)
            r = d;
    }
    return r;
}

/* Bounding box of the hull, for a quick rejection, and a disc inside it
 * (centred on the vertices' mean, radius its depth), for a quick
 * acceptance. */
typedef struct box {
    float x0, y0, x1, y1;
    float cx, cy, r_in;
} box;

static box hull_box(const pt *h, int nh, const float *inv_len)
{
    box b = {0, 0, 0, 0, 0, 0, -1.0f};
    for (int i = 0; i < nh; i++) {
        if (i == 0 || h[i].x < b.x0)
            b.x0 = h[i].x;
        if (i == 0 || h[i].x > b.x1)
            b.x1 = h[i].x;
        if (i == 0 || h[i].y < b.y0)
            b.y0 = h[i].y;
        if (i == 0 || h[i].y > b.y1)
            b.y1 = h[i].y;
        b.cx += h[i].x;
        b.cy += h[i].y;
    }
    if (nh < 3)
        return b;
    b.cx /= (float)nh;
    b.cy /= (float)nh;
    b.r_in = hull_depth(h, nh, inv_len, (pt){b.cx, b.cy});
    return b;
}

/* Inside the hull, or within omega of it. A point more than omega + 1 px
 * outside the hull's bounding box is answered at once: the 1 px margin is
 * far above the rounding of the exact test, so the answer is the same. */
static bool near_hull(const pt *h, int nh, const box *bb, pt p, float omega)
{
    if (nh == 0)
        return false;
    const float m = omega + 1.0f;
    if (p.x < bb->x0 - m || p.x > bb->x1 + m || p.y < bb->y0 - m || p.y > bb->y1 + m)
        return false;
    /* h[nh] repeats h[0] (the caller closes the polygon) */
    if (nh >= 3) {
        /* well inside the inscribed disc (1 px margin, far above the
         * rounding of the exact test): inside */
        float dx = p.x - bb->cx, dy = p.y - bb->cy, r = bb->r_in - 1.0f;
        if (r > 0.0f && dx * dx + dy * dy < r * r)
            return true;
        bool inside = true;
        for (int i = 0; i < nh; i++)
            if (cross3(h[i], h[i + 1], p) < 0) {
                inside = false;
                break;
            }
        if (inside)
            return true;
    }
    float o2 = omega * omega;
    if (nh == 1)
        return (p.x - h[0].x) * (p.x - h[0].x) + (p.y - h[0].y) * (p.y - h[0].y) <= o2;
    for (int i = 0; i < nh; i++) {
        /* an edge whose box is more than omega + 1 px away cannot be near */
        pt a = h[i], b = h[i + 1];
        if ((p.x < a.x - m && p.x < b.x - m) || (p.x > a.x + m && p.x > b.x + m) ||
            (p.y < a.y - m && p.y < b.y - m) || (p.y > a.y + m && p.y > b.y + m))
            continue;
        if (seg_dist2(p, a, b) <= o2)
            return true;
    }
    return false;
}

static void build_cylinders(hs_finger_prepared *p, const pt *hull, int nh)
{
    const uint32_t n = p->count;
    const float reach = CYL_R + 3.0f * CYL_SIGMA_S;
    const float inv2s = 1.0f / (2.0f * CYL_SIGMA_S * CYL_SIGMA_S);
    const float inv2d = 1.0f / (2.0f * CYL_SIGMA_D * CYL_SIGMA_D);
    const float half = (CYL_NS - 1) * 0.5f;
    float acc[HS__CYL_ND][CYL_NS * CYL_NS]; /* direction-major: the thresholds vectorise */
    float wdt[256][HS__CYL_ND];
    uint8_t have_wd[256] = {0};
    float inv_len[MAXN];
    for (int e = 0; e < nh && nh >= 3; e++) {
        float dx = hull[e + 1].x - hull[e].x, dy = hull[e + 1].y - hull[e].y;
        float len = sqrtf(dx * dx + dy * dy);
        inv_len[e] = len > 0.0f ? 1.0f / len : 0.0f;
    }
    const box hb = hull_box(hull, nh, inv_len);
    for (uint32_t i = 0; i < n; i++) {
        const hs__pmin *a = &p->min[i];
        float th = ang_of(a->angle);
        float c = cosf(th), s = sinf(th);
        uint64_t mask = 0;
        /* A minutia D px inside the convex hull has the disc of radius D
         * around it in the hull, so a cell within D + omega of it is near
         * the hull; cells within D + omega - 1 px (a margin far above the
         * rounding of near_hull) skip the exact test. */
        float sure2 = -1.0f;
        if (nh >= 3) {
            float d = hull_depth(hull, nh, inv_len, (pt){(float)a->x, (float)a->y});
            float r = (d > 0.0f ? d : 0.0f) + CYL_HULL_OMEGA - 1.0f;
            sure2 = r * r;
        }
        for (int cj = 0; cj < CYL_NS; cj++)
            for (int ci = 0; ci < CYL_NS; ci++) {
                float u = ((float)ci - half) * CYL_CELL, v = ((float)cj - half) * CYL_CELL;
                float r2 = u * u + v * v;
                if (r2 > CYL_R * CYL_R)
                    continue;
                pt w = {(float)a->x + u * c - v * s, (float)a->y + u * s + v * c};
                if (r2 <= sure2 || near_hull(hull, nh, &hb, w, CYL_HULL_OMEGA))
                    mask |= (uint64_t)1 << (cj * CYL_NS + ci);
            }
        memset(acc, 0, sizeof acc);
        for (uint32_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            const hs__pmin *b = &p->min[j];
            float dx = (float)(b->x - a->x), dy = (float)(b->y - a->y);
            if (dx * dx + dy * dy > reach * reach)
                continue;
            float u = dx * c + dy * s, v = -dx * s + dy * c;
            /* the directional weights depend on the 256 possible direction
             * differences only: each is computed once per preparation */
            uint8_t ad = (uint8_t)(b->angle - a->angle);
            float *wd = wdt[ad];
            if (!have_wd[ad]) {
                have_wd[ad] = 1;
                float dth = (float)ang_diff(b->angle, a->angle) * (TWO_PI_F / 256.0f);
                for (int k = 0; k < HS__CYL_ND; k++) {
                    float phi = -PI_F + ((float)k + 0.5f) * (TWO_PI_F / HS__CYL_ND);
                    float d = dth - phi;
                    if (d > PI_F)
                        d -= TWO_PI_F;
                    else if (d < -PI_F)
                        d += TWO_PI_F;
                    wd[k] = expf(-d * d * inv2d);
                }
            }
            /* only the rows and columns within 3 sigma (plus a cell of
             * slack: the exact tests below decide), and only cells that the
             * mask keeps: the others are cleared at the end anyway */
            int j0 = (int)floorf((v - 3.0f * CYL_SIGMA_S) / CYL_CELL + half) - 1;
            int j1 = (int)ceilf((v + 3.0f * CYL_SIGMA_S) / CYL_CELL + half) + 1;
            int i0 = (int)floorf((u - 3.0f * CYL_SIGMA_S) / CYL_CELL + half) - 1;
            int i1 = (int)ceilf((u + 3.0f * CYL_SIGMA_S) / CYL_CELL + half) + 1;
            j0 = j0 < 0 ? 0 : j0;
            i0 = i0 < 0 ? 0 : i0;
            j1 = j1 > CYL_NS - 1 ? CYL_NS - 1 : j1;
            i1 = i1 > CYL_NS - 1 ? CYL_NS - 1 : i1;
            for (int cj = j0; cj <= j1; cj++) {
                float cv = ((float)cj - half) * CYL_CELL - v;
                if (fabsf(cv) > 3.0f * CYL_SIGMA_S)
                    continue;
                for (int ci = i0; ci <= i1; ci++) {
                    if (!((mask >> (cj * CYL_NS + ci)) & 1u))
                        continue;
                    float cu = ((float)ci - half) * CYL_CELL - u;
                    float d2 = cu * cu + cv * cv;
                    if (d2 > 9.0f * CYL_SIGMA_S * CYL_SIGMA_S)
                        continue;
                    float ws = expf(-d2 * inv2s);
                    for (int k = 0; k < HS__CYL_ND; k++)
                        acc[k][cj * CYL_NS + ci] += ws * wd[k];
                }
            }
        }
        for (int k = 0; k < HS__CYL_ND; k++) {
            uint64_t w = 0;
            for (int cell = 0; cell < CYL_NS * CYL_NS; cell++)
                w |= (uint64_t)(acc[k][cell] >= CYL_THRESH) << cell;
            p->cyl[(1 + (uint32_t)k) * n + i] = w & mask;
        }
        p->cyl[i] = mask;
        p->min[i].nvalid = (uint8_t)__builtin_popcountll(mask);
    }
}

static uint8_t ang_quant(float a)
{
    long q = lrintf(a * (256.0f / TWO_PI_F));
    return (uint8_t)(q & 255);
}

_Static_assert(HS__PREPARED_MAX == MAXN - 1, "scratch room follows the matcher's limit");

void hs__finger_prepare_into(hs_finger_prepared *p, const hs_minutia *m, uint32_t n,
                             uint32_t ppi_x, uint32_t ppi_y, uint32_t position)
{
    p->count = n;
    p->position = position;
    float sx = ppi_x ? 500.0f / (float)ppi_x : 1.0f;
    float sy = ppi_y ? 500.0f / (float)ppi_y : sx;
    pt pts[MAXN], hull[MAXN + 1];
    for (uint32_t i = 0; i < n; i++) {
        float x = m[i].x * sx, y = -m[i].y * sy;
        x = x < -32000.0f ? -32000.0f : x > 32000.0f ? 32000.0f : x;
        y = y < -32000.0f ? -32000.0f : y > 32000.0f ? 32000.0f : y;
        p->min[i].x = (int16_t)lrintf(x);
        p->min[i].y = (int16_t)lrintf(y);
        /* Direction vector (cos a, sin a) in the y-up frame; an anisotropic
         * resolution changes it, so rescale it too. */
        float dx = cosf(m[i].angle) * sx, dy = sinf(m[i].angle) * sy;
        float a = atan2f(dy, dx);
        if (a < 0)
            a += TWO_PI_F;
        long q = lrintf(a * (256.0f / TWO_PI_F));
        p->min[i].angle = (uint8_t)(q & 255);
        p->min[i].type = m[i].type;
        p->min[i].quality = m[i].quality;
        pts[i].x = (float)p->min[i].x;
        pts[i].y = (float)p->min[i].y;
    }
    int nh = convex_hull(pts, (int)n, hull);
    if (nh > 0)
        hull[nh] = hull[0]; /* closed polygon: edge i runs from hull[i] to hull[i + 1] */
    build_cylinders(p, hull, nh);
}

const hs_finger_prepared *hs__prepared_scratch_fill(hs__prepared_scratch *s, const hs_minutia *m,
                                                    uint32_t n, uint32_t ppi_x, uint32_t ppi_y,
                                                    uint32_t position, const uint8_t *field,
                                                    size_t field_len)
{
    if (n > HS__PREPARED_MAX)
        n = HS__PREPARED_MAX;
    hs_finger_prepared *p = &s->p;
    memset(&p->alloc, 0, sizeof p->alloc); /* never freed: it lives in s */
    p->cyl = s->cyl;
    p->min = s->min;
    p->block = 0;
    p->fd = NULL;
    uint32_t h[5], c64;
    const uint8_t *grid = hs__field_grid(field, field_len, ppi_x, ppi_y, h, &c64);
    if (grid && (size_t)h[1] * h[2] <= HS__SCRATCH_FIELD_CELLS) {
        size_t ns = field_sample_count(grid, h[1], h[2]);
        size_t bytes = field_area_bytes(ns, h[1], h[2]);
        if (bytes <= sizeof s->field) { /* always, by the bound on the samples */
            memset(s->field, 0, bytes);
            p->fd = field_fill((uint8_t *)s->field, ns, grid, h[1], h[2], h[3], h[4], c64);
        }
    }
    hs__finger_prepare_into(p, m, n, ppi_x, ppi_y, position);
    return p;
}

hs_status hs_finger_prepare(hs_ctx *ctx, hs_finger_prepared **out, const hs_template *t,
                            uint32_t view)
{
    hs_status st = hs__out_and_input(ctx, out, t, "template");
    if (st)
        return st;
    if (view >= t->nviews)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "template has no view %u", view);
    const hs__view *v = &t->views[view];
    uint32_t n = v->count;
    if (n > MAXN - 1)
        return hs__error(ctx, HS_ERR_LIMIT, "view has %u minutiae (at most %d)", n, MAXN - 1);
    /* the orientation field, when the extractor left one */
    size_t fsz = 0;
    const uint8_t *fb = hs__template_block_get(t, view, HS__TBLOCK_FIELD, &fsz);
    const uint8_t *grid = NULL;
    uint32_t h[5] = {0, 0, 0, 0, 0}, c64 = 0;
    if (fb) {
        const char *why = hs__field_block_check(fb, fsz, v->info.ppi_x, h, &c64);
        if (why)
            return hs__error(ctx, HS_ERR_CORRUPT, "view %u: orientation field: %s", view, why);
        /* not used on a view whose two resolutions differ */
        grid = hs__field_grid(fb, fsz, v->info.ppi_x, v->info.ppi_y, h, &c64);
    }
    hs_finger_prepared *p =
        hs__prepared_new_field(hs__ctx_allocator(ctx), n, grid, h[1], h[2], h[3], h[4], c64);
    if (!p)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    hs__finger_prepare_into(p, v->minutiae, n, v->info.ppi_x, v->info.ppi_y,
                            v->info.finger_position);
    *out = p;
    return HS_OK;
}

/* ===================================================================== */
/* Matching                                                               */
/* ===================================================================== */


static align make_align(const hs__pmin *pa, const hs__pmin *pb)
{
    align g;
    g.rot = (uint8_t)(pa->angle - pb->angle);
    float r = ang_of(g.rot);
    g.c = cosf(r);
    g.s = sinf(r);
    g.tx = (float)pa->x - (g.c * (float)pb->x - g.s * (float)pb->y);
    g.ty = (float)pa->y - (g.s * (float)pb->x + g.c * (float)pb->y);
    g.u = g.s;
    g.v = g.c;
    g.ax = pa->x;
    g.ay = pa->y;
    g.bx = pb->x;
    g.by = pb->y;
    return g;
}


static void make_frame_c(frame *f, const align *g, const hs_finger_prepared *A,
                         const hs_finger_prepared *B)
{
    f->rot = g->rot;
    for (uint32_t j = 0; j < B->count; j++) {
        const hs__pmin *b = &B->min[j];
        f->tbx[j] = g->c * (float)b->x - g->s * (float)b->y + g->tx;
        f->tby[j] = g->u * (float)b->x + g->v * (float)b->y + g->ty;
        f->tba[j] = (uint8_t)(b->angle + g->rot);
        float dx = (float)b->x - g->bx, dy = (float)b->y - g->by;
        f->rb[j] = 0.5f * f->pr.tol_slope * sqrtf(dx * dx + dy * dy);
    }
    for (uint32_t i = 0; i < A->count; i++) {
        const hs__pmin *a = &A->min[i];
        float dx = (float)a->x - g->ax, dy = (float)a->y - g->ay;
        f->ra[i] = f->pr.tol_base + 0.5f * f->pr.tol_slope * sqrtf(dx * dx + dy * dy);
    }
}








/* Use kernel set `want` (HS_MATCH_KERNELS_*; AUTO = the fastest the CPU
 * runs). False, with the set unchanged, when the CPU or build lacks it. */
static bool set_kernels(hs_finger_matcher *m, int32_t want)
{
#ifdef HS_MATCH_AVX512
    bool avx512 = hs__match_cpu_avx512(), avx2 = hs__match_cpu_avx2();
    if (want == HS_MATCH_KERNELS_AUTO)
        want = avx512 ? HS_MATCH_KERNELS_AVX512 : avx2 ? HS_MATCH_KERNELS_AVX2
                                                       : HS_MATCH_KERNELS_PORTABLE;
    if ((want == HS_MATCH_KERNELS_AVX512 && !avx512) || (want == HS_MATCH_KERNELS_AVX2 && !avx2) ||
        want == HS_MATCH_KERNELS_NEON)
        return false;
    m->kern = want == HS_MATCH_KERNELS_AVX512 ? hs__match_kernels_avx512
              : want == HS_MATCH_KERNELS_AVX2 ? hs__match_kernels_avx2
                                              : hs__match_kernels_c;
#elif defined(HS_MATCH_NEON)
    if (want == HS_MATCH_KERNELS_AUTO)
        want = HS_MATCH_KERNELS_NEON;
    if (want != HS_MATCH_KERNELS_PORTABLE && want != HS_MATCH_KERNELS_NEON)
        return false;
    m->kern = want == HS_MATCH_KERNELS_NEON ? hs__match_kernels_neon : hs__match_kernels_c;
#else
    if (want == HS_MATCH_KERNELS_AUTO)
        want = HS_MATCH_KERNELS_PORTABLE;
    if (want != HS_MATCH_KERNELS_PORTABLE)
        return false;
    m->kern = hs__match_kernels_c;
#endif
    m->kernels = want;
    return true;
}

hs_status hs_finger_matcher_new(hs_ctx *ctx, hs_finger_matcher **out)
{
    hs_status st;
    hs_finger_matcher *m = HS__OBJECT_NEW(ctx, &st, out, hs_finger_matcher);
    if (!m)
        return st;
    m->max_rotation = 180;
    m->fast = 0;
    m->fr.pr.tol_base = TOL_BASE;
    m->fr.pr.tol_slope = TOL_SLOPE;
    m->fr.pr.tol_max = TOL_MAX;
    m->fr.pr.ov_dist = OVERLAP_DIST;
    m->fr.pr.angle_tol = ANGLE_TOL;
    m->fr.pr.min_norm = MIN_NORM;
    m->anchors = MAX_ANCHORS;
    m->wmode = 1;
    m->mixw = 0.3f;
    m->rank_cands = RANK_CANDS;
    m->refine = REFINE_ANCHORS;
    for (int t = 0; t < 256; t++) {
        m->cos_units[t] = cosf(ang_of((uint8_t)t));
        m->icos[t] = (int32_t)lrintf(m->cos_units[t] * (float)ICOS_ONE);
    }
    for (int t = 0; t < 128; t++)
        m->icos_even[t] = m->icos[2 * t];
    set_kernels(m, HS_MATCH_KERNELS_AUTO);
    *out = m;
    return HS_OK;
}

void hs_finger_matcher_free(hs_finger_matcher *m)
{
    HS__OBJECT_FREE(m, hs_finger_matcher, sizeof *m);
}

hs_status hs_finger_matcher_bounds(int32_t *min_value, int32_t *max_value,
                                   hs_finger_matcher_param key)
{
    if (!min_value && !max_value)
        return HS_ERR_INVALID_ARG;
    int32_t lo, hi;
    switch (key) {
    case HS_MATCH_MAX_ROTATION: lo = 0; hi = 180; break;
    case HS_MATCH_FAST: lo = 0; hi = 1; break;
    case HS_MATCH_THOROUGH: lo = 0; hi = 1; break;
    case HS_MATCH_KERNELS: lo = HS_MATCH_KERNELS_AUTO; hi = HS_MATCH_KERNELS_NEON; break;
    default: return HS_ERR_INVALID_ARG;
    }
    if (min_value)
        *min_value = lo;
    if (max_value)
        *max_value = hi;
    return HS_OK;
}

hs_status hs_finger_matcher_set(hs_finger_matcher *m, hs_finger_matcher_param key,
                                int32_t value)
{
    int32_t lo, hi;
    if (!m || hs_finger_matcher_bounds(&lo, &hi, key) != HS_OK || value < lo || value > hi)
        return HS_ERR_INVALID_ARG;
    if (key == HS_MATCH_MAX_ROTATION)
        m->max_rotation = value;
    else if (key == HS_MATCH_FAST)
        m->fast = value;
    else if (key == HS_MATCH_THOROUGH)
        m->thorough = value;
    else if (!set_kernels(m, value))
        return HS_ERR_UNSUPPORTED;
    return HS_OK;
}

#ifdef HOTSPOT_TESTING
bool hs__matcher_tune(hs_finger_matcher *m, const char *name, float value)
{
    if (!strcmp(name, "tol_base"))
        m->fr.pr.tol_base = value;
    else if (!strcmp(name, "tol_slope"))
        m->fr.pr.tol_slope = value;
    else if (!strcmp(name, "tol_max"))
        m->fr.pr.tol_max = value;
    else if (!strcmp(name, "angle_tol"))
        m->fr.pr.angle_tol = (int)value;
    else if (!strcmp(name, "overlap"))
        m->fr.pr.ov_dist = value;
    else if (!strcmp(name, "min_norm"))
        m->fr.pr.min_norm = (int)value;
    else if (!strcmp(name, "rank_cands"))
        m->rank_cands = (int)value;
    else if (!strcmp(name, "mixw"))
        m->mixw = value;
    else if (!strcmp(name, "wmode"))
        m->wmode = (int)value;
    else if (!strcmp(name, "anchors") && value >= 1 && value <= ANCHOR_CAP)
        m->anchors = (int)value;
    else if (!strcmp(name, "refine") && value >= 1 && value <= REFINE_CAP)
        m->refine = (int)value;
    else
        return false;
    return true;
}
#endif

hs_status hs_finger_matcher_get(const hs_finger_matcher *m, int32_t *value,
                                hs_finger_matcher_param key)
{
    if (!value)
        return HS_ERR_INVALID_ARG;
    switch (key) {
    case HS_MATCH_MAX_ROTATION: *value = m ? m->max_rotation : 180; return HS_OK;
    case HS_MATCH_FAST: *value = m ? m->fast : 0; return HS_OK;
    case HS_MATCH_THOROUGH: *value = m ? m->thorough : 0; return HS_OK;
    case HS_MATCH_KERNELS: *value = m ? m->kernels : HS_MATCH_KERNELS_AUTO; return HS_OK;
    default: return HS_ERR_INVALID_ARG;
    }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define HS_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define HS_POPCNT_CLONES
#endif

/* Quantised Dice coefficient: round(65535 * 2c / d) for c common set values
 * and d = |a| + |b| values inside the common cells, computed exactly (the
 * vector kernel gets the same integer from a correctly rounded division). */
static inline uint32_t dice_q(int c, int d)
{
    /* no branch: 0 for d = 0 by selection, after a division by 2 */
    uint32_t n = (uint32_t)c * 131070u; /* 2c * 65535 */
    uint32_t q = (2u * n + (uint32_t)d) / (2u * (uint32_t)(d + (d == 0)));
    return d > 0 ? q : 0u;
}

/* The running top keys (similarity << 8 | index) of a similarity q of pair
 * (i, j): the two best of row i (*r1, *r2) and the best of column j (*c1).
 * Integer max/min compile to conditional moves, where compares became
 * unpredictable branches. */
static inline void track_top(uint32_t q, uint32_t i, uint32_t j, uint32_t *r1, uint32_t *r2,
                             uint32_t *c1)
{
    uint32_t kr = (q << 8) | j, kc = (q << 8) | i;
    uint32_t lo = kr < *r1 ? kr : *r1;
    *r1 = kr > *r1 ? kr : *r1;
    *r2 = lo > *r2 ? lo : *r2;
    *c1 = kc > *c1 ? kc : *c1;
}

/* Local similarity of every pair (rows: a, columns: b), quantised to 16
 * bits; 0 for pairs whose directions differ more than the rotation bound or
 * whose cylinders share fewer than CYL_MIN_COMMON valid cells. Tracks the
 * two best columns of each row and the best row of each column on the way,
 * as keys (similarity << 8 | index): keys are unique, so the order of the
 * scan does not matter. */
HS_POPCNT_CLONES
static void sim_matrix_c(hs_finger_matcher *m, const hs_finger_prepared *A,
                         const hs_finger_prepared *B, int rot_units)
{
    const uint32_t na = A->count, nb = B->count;
    /* locals, so that the stores into the matrix cannot alias them */
    uint32_t *c1 = m->c1;
    const bool anyrot = rot_units >= 128;
    for (uint32_t j = 0; j < nb; j++)
        c1[j] = 0;
    for (uint32_t i = 0; i < na; i++) {
        const uint64_t amask = A->cyl[i];
        uint64_t abits[HS__CYL_ND];
        for (uint32_t k = 0; k < HS__CYL_ND; k++)
            abits[k] = A->cyl[(1 + k) * na + i];
        const uint8_t ai = A->min[i].angle;
        uint16_t *row = &m->sim[i * nb];
        uint32_t r1 = 0, r2 = 0;
        for (uint32_t j = 0; j < nb; j++) {
            uint64_t mk = amask & B->cyl[j];
            const bool valid = (anyrot || abs(ang_diff(ai, B->min[j].angle)) <= rot_units) &&
                               __builtin_popcountll(mk) >= CYL_MIN_COMMON;
            /* Dice coefficient of the values inside the common cells:
             * 2 |a & b| / (|a| + |b|), with |a| + |b| = |a ^ b| + 2 |a & b|;
             * values lie inside their own masks, so a & b needs no mask.
             * Computed for every pair and kept for the valid ones: a branch
             * on validity is mispredicted often enough that skipping the
             * work for the invalid pairs was slower (session 14: 1.025 times
             * as fast without it) */
            int x = 0, c = 0;
            for (uint32_t k = 0; k < HS__CYL_ND; k++) {
                uint64_t vb = B->cyl[(1 + k) * nb + j];
                x += __builtin_popcountll((abits[k] ^ vb) & mk);
                c += __builtin_popcountll(abits[k] & vb);
            }
            const uint32_t q = valid ? dice_q(c, x + 2 * c) : 0u;
            row[j] = (uint16_t)q;
            track_top(q, i, j, &r1, &r2, &c1[j]);
        }
        m->r1[i] = r1;
        m->r2[i] = r2;
    }
}


/* Sort keys into out in decreasing order (insertion sort: the lists are
 * short). */
static void sort_keys_c(const uint32_t *in, uint32_t *k, int n)
{
    memcpy(k, in, (size_t)n * sizeof *k);
    for (int i = 1; i < n; i++) {
        uint32_t v = k[i];
        int j = i - 1;
        while (j >= 0 && k[j] < v) {
            k[j + 1] = k[j];
            j--;
        }
        k[j + 1] = v;
    }
}

/* Key of a candidate pair: larger first by similarity, then by smaller
 * indices; a total order, so results do not depend on the sort. */
static uint32_t cand_key(uint32_t q, uint32_t a, uint32_t b)
{
    return (q << 16) | ((255u - a) << 8) | (255u - b);
}

/* Candidate pairs: the two best columns of every row and the best row of
 * every column, without duplicates, sorted. */

static int collect_cands(hs_finger_matcher *m, const hs_finger_prepared *A,
                         const hs_finger_prepared *B)
{
    const uint32_t na = A->count, nb = B->count;
    int nc = 0;
    uint32_t *key = m->keys;
    for (uint32_t i = 0; i < na; i++) {
        uint32_t k1 = m->r1[i], k2 = m->r2[i];
        if (k1 >> 8)
            key[nc++] = cand_key(k1 >> 8, i, k1 & 255u);
        if (k2 >> 8)
            key[nc++] = cand_key(k2 >> 8, i, k2 & 255u);
    }
    for (uint32_t j = 0; j < nb; j++) {
        uint32_t k = m->c1[j];
        if (!(k >> 8))
            continue;
        uint32_t a = k & 255u;
        if ((m->r1[a] >> 8 && (m->r1[a] & 255u) == j) || (m->r2[a] >> 8 && (m->r2[a] & 255u) == j))
            continue;
        key[nc++] = cand_key(k >> 8, a, j);
    }
    m->kern.sort(key, m->sorted, nc);
    key = m->sorted;
    for (int c = 0; c < nc; c++) {
        m->cands[c].a = (uint8_t)(255u - ((key[c] >> 8) & 255u));
        m->cands[c].b = (uint8_t)(255u - (key[c] & 255u));
        m->cands[c].sim = (float)(key[c] >> 16) * (1.0f / 65535.0f);
    }
    if (m->kernels != HS_MATCH_KERNELS_PORTABLE) /* vector kernels read these arrays */
        for (int c = 0; c < nc; c++) {
            const hs__pmin *a = &A->min[m->cands[c].a], *b = &B->min[m->cands[c].b];
            m->cax[c] = (float)a->x;
            m->cay[c] = (float)a->y;
            m->cbx[c] = (float)b->x;
            m->cby[c] = (float)b->y;
            m->cia[c] = m->cands[c].a;
            m->cib[c] = m->cands[c].b;
            m->cdang[c] = (int32_t)(uint8_t)(a->angle - b->angle);
        }
    return nc;
}



/* Greedy one-to-one pairing of the candidate list under an alignment. */
static pairing pair_cands_c(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                            const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                            uint8_t *useb)
{
    pairing r = new_pairing(A, B, usea, useb);
    for (int c = 0; c < nc; c++) {
        const cand *q = &m->cands[c];
        float d2, w;
        if (usea[q->a] || useb[q->b] || !consistent(f, &A->min[q->a], q->a, q->b, &d2, &w))
            continue;
        r.q += w;
        usea[q->a] = (uint8_t)(q->b + 1);
        useb[q->b] = 1;
        r.n++;
        r.wsum += q->sim;
    }
    return r;
}

/* Quick score of an anchor: greedy one-to-one pairing of the first nc
 * candidates, transforming only their minutiae (no full frame). Same
 * consistency rule as consistent(). */
static pairing rank_anchor_c(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                             const hs_finger_prepared *B, const align *g, uint8_t *usea,
                             uint8_t *useb)
{
    const params *pr = &m->fr.pr;
    pairing r = new_pairing(A, B, usea, useb);
    for (int c = 0; c < nc; c++) {
        const cand *q = &m->cands[c];
        if (usea[q->a] || useb[q->b])
            continue;
        const hs__pmin *a = &A->min[q->a], *b = &B->min[q->b];
        if (abs(ang_diff(a->angle, (uint8_t)(b->angle + g->rot))) > pr->angle_tol)
            continue;
        float bx = (float)b->x, by = (float)b->y;
        float dx = g->c * bx - g->s * by + g->tx - (float)a->x;
        float dy = g->s * bx + g->c * by + g->ty - (float)a->y;
        float d2 = dx * dx + dy * dy;
        if (d2 > pr->tol_max * pr->tol_max)
            continue;
        float ax = (float)a->x - g->ax, ay = (float)a->y - g->ay;
        float ex = bx - g->bx, ey = by - g->by;
        float tol = pr->tol_base +
                    0.5f * pr->tol_slope * (sqrtf(ax * ax + ay * ay) + sqrtf(ex * ex + ey * ey));
        if (tol > pr->tol_max)
            tol = pr->tol_max;
        if (d2 > tol * tol)
            continue;
        usea[q->a] = 1;
        useb[q->b] = 1;
        r.n++;
        r.wsum += q->sim;
    }
    return r;
}


/* Complete a candidate pairing with geometric pairs among all minutiae and
 * count the minutiae lying in the overlapping area. */
static void refine_c(const hs_finger_matcher *m, const hs_finger_prepared *A,
                     const hs_finger_prepared *B, const frame *f, uint8_t *usea, uint8_t *useb,
                     pairing *r)
{
    const uint32_t na = A->count, nb = B->count;
    const float ov2 = f->pr.ov_dist * f->pr.ov_dist;
    const float tmax2 = f->pr.tol_max * f->pr.tol_max;
    /* flags as 32-bit words, the width of the distances, so that the first
     * pass vectorises without packing (1.03 times as fast as bytes) */
    uint32_t ovb[MAXN], freeb[MAXN];
    for (uint32_t j = 0; j < nb; j++) {
        ovb[j] = 0;
        freeb[j] = useb[j] ? 0u : ~0u;
    }
    int ova = 0;
    float d2s[MAXN];
    /* near[j]: B's minutia j is free and within the largest tolerance; the
     * search skips 8 at a time where none is */
    uint32_t near[MAXN + 8];
    for (uint32_t j = nb; j < nb + 8; j++) /* the last group's padding */
        near[j] = 0;
    for (uint32_t i = 0; i < na; i++) {
        const hs__pmin *a = &A->min[i];
        const float ax = (float)a->x, ay = (float)a->y;
        /* distances and flags first, branch-free (vectorised) */
        uint32_t any = 0;
        for (uint32_t j = 0; j < nb; j++) {
            float dx = f->tbx[j] - ax, dy = f->tby[j] - ay;
            float d2 = dx * dx + dy * dy;
            d2s[j] = d2;
            uint32_t fl = (uint32_t)(d2 <= ov2);
            ovb[j] |= fl;
            any |= fl;
            near[j] = (uint32_t)(d2 <= tmax2) & freeb[j];
        }
        float best = 1e30f;
        int bj = -1;
        float bw = 0.0f;
        bool in = any != 0;
        if (!usea[i]) {
            for (uint32_t j0 = 0; j0 < nb; j0 += 8) {
                if (!(near[j0] | near[j0 + 1] | near[j0 + 2] | near[j0 + 3] | near[j0 + 4] |
                      near[j0 + 5] | near[j0 + 6] | near[j0 + 7]))
                    continue;
                for (uint32_t j = j0; j < j0 + 8; j++) {
                    float d2 = d2s[j];
                    if (!near[j] || d2 >= best)
                        continue;
                    float dd, wt;
                    if (consistent(f, a, i, j, &dd, &wt)) {
                        best = d2;
                        bj = (int)j;
                        bw = wt;
                    }
                }
            }
        }
        ova += in;
        if (bj >= 0) {
            usea[i] = (uint8_t)(bj + 1);
            useb[bj] = 1;
            freeb[bj] = 0;
            r->n++;
            r->q += bw;
            r->wsum += 0.5f * (1.0f / 65535.0f) * (float)m->sim[i * nb + (uint32_t)bj];
        }
    }
    int nov = 0;
    for (uint32_t j = 0; j < nb; j++)
        nov += (int)ovb[j];
    r->ova = ova;
    r->ovb = nov;
}


/* Expected number of minutiae of p that a second impression would show
 * again: each counts min(1, quality / QUAL_FULL); unknown quality (0, as in
 * most ISO records) counts 1. Spurious minutiae of dry or smudged areas,
 * which our extractor marks with low quality, then weigh less in the
 * whole-print normalisation. At least COUNT_FLOOR: a print with fewer
 * minutiae gives too little evidence for a pairing of nearly all of them to
 * score as high as the same share of a full print (an impostor pair of 9
 * and 11 minutiae scored 0.23, above every genuine threshold). */
static float expected_count(const hs_finger_prepared *p)
{
    float c = 0.0f;
    for (uint32_t i = 0; i < p->count; i++) {
        uint8_t q = p->min[i].quality;
        c += q == 0 || q >= QUAL_FULL ? 1.0f : (float)q * (1.0f / (float)QUAL_FULL);
    }
    return c > COUNT_FLOOR ? c : COUNT_FLOOR;
}

/* Score of a pairing: n^2 / (a * b), averaged over two normalisations: the
 * expected minutia counts of the whole prints (ca, cb: expected_count), and
 * the counts of minutiae lying in
 * the overlapping area (floored at min_norm, so that two tiny overlaps do
 * not score high on a few chance pairs); then weighted by the mean local
 * (cylinder) similarity of the pairs, relative to LSIM_REF, to the power
 * LSIM_EXP: chance pairs that agree in position and direction rarely agree
 * in their neighbourhoods too. */
static float pairing_score(const pairing *r, float ca, float cb, int min_norm, int wmode,
                           float mixw)
{
    if (r->n < 2)
        return 0.0f;
    float ne = wmode == 0 ? (float)r->n : r->q;
    float n2 = ne * ne;
    float na = (float)(r->ova > min_norm ? r->ova : min_norm);
    float nb = (float)(r->ovb > min_norm ? r->ovb : min_norm);
    float s = (1.0f - mixw) * n2 / (ca * cb) + mixw * n2 / (na * nb);
    s *= powf(r->wsum / ((float)r->n * LSIM_REF), LSIM_EXP);
    return s > 1.0f ? 1.0f : s;
}

/* Centroids of the paired minutiae of A and B (ax, ay, bx, by) for the
 * pairs recorded in usea (mate + 1), summed in float for the rigid fit and
 * in double for the affine one (each keeps the rounding its thresholds were
 * calibrated with). Returns the number of pairs (0: centroids unset). */
typedef struct {
    float f[4];
    double d[4];
} centroids;

static int pair_centroids(const hs_finger_prepared *A, const hs_finger_prepared *B,
                          const uint8_t *usea, centroids *c)
{
    float f[4] = {0, 0, 0, 0};
    double d[4] = {0, 0, 0, 0};
    int n = 0;
    for (uint32_t i = 0; i < A->count; i++) {
        if (!usea[i])
            continue;
        const hs__pmin *a = &A->min[i], *b = &B->min[usea[i] - 1];
        const float v[4] = {a->x, a->y, b->x, b->y};
        for (int k = 0; k < 4; k++) {
            f[k] += v[k];
            d[k] += v[k];
        }
        n++;
    }
    for (int k = 0; n && k < 4; k++) {
        c->f[k] = f[k] / (float)n;
        c->d[k] = d[k] / n;
    }
    return n;
}

/* Least-squares rigid alignment of the pairs recorded in usea (mate + 1),
 * centred on their centroid so that the elastic tolerance grows from the
 * middle of the paired area. False when fewer than 3 pairs. */
static bool fit_align(const hs_finger_prepared *A, const hs_finger_prepared *B,
                      const uint8_t *usea, align *g)
{
    centroids cen;
    if (pair_centroids(A, B, usea, &cen) < 3)
        return false;
    const float sax = cen.f[0], say = cen.f[1], sbx = cen.f[2], sby = cen.f[3];
    float sc = 0, ss = 0;
    for (uint32_t i = 0; i < A->count; i++) {
        if (!usea[i])
            continue;
        const hs__pmin *a = &A->min[i], *b = &B->min[usea[i] - 1];
        float ax = (float)a->x - sax, ay = (float)a->y - say;
        float bx = (float)b->x - sbx, by = (float)b->y - sby;
        sc += ax * bx + ay * by;
        ss += ay * bx - ax * by;
    }
    float r = atan2f(ss, sc);
    float nrm = sqrtf(sc * sc + ss * ss);
    if (!(nrm > 0.0f))
        return false;
    g->c = sc / nrm;
    g->s = ss / nrm;
    if (r < 0)
        r += TWO_PI_F;
    g->rot = ang_quant(r);
    g->tx = sax - (g->c * sbx - g->s * sby);
    g->ty = say - (g->s * sbx + g->c * sby);
    g->u = g->s;
    g->v = g->c;
    g->ax = sax;
    g->ay = say;
    g->bx = sbx;
    g->by = sby;
    return true;
}

/* Least-squares affine alignment of the pairs recorded in usea (mate + 1),
 * with its linear part constrained to what skin distortion and sensor
 * scale differences produce: L = R S (polar decomposition, R a rotation, S
 * symmetric), the eigenvalues of S (the principal stretches) clamped to
 * [AFF_STRETCH_LO, AFF_STRETCH_HI], their ratio to at most AFF_ANISO (same
 * area) and their product (the area ratio) to [AFF_AREA_LO, AFF_AREA_HI].
 * Centred on the centroids, as fit_align(); g->rot is R's angle, and
 * stretch[] = S (s00, s01, s11) after the constraints, for the minutia
 * directions. False when fewer than AFF_MIN_PAIRS pairs or degenerate.
 * Computed in double, outside the kernels, so every kernel set gets the
 * same frame. */
static bool fit_affine(const hs_finger_prepared *A, const hs_finger_prepared *B,
                       const uint8_t *usea, align *g, float *stretch)
{
    centroids cen;
    if (pair_centroids(A, B, usea, &cen) < AFF_MIN_PAIRS)
        return false;
    const double sax = cen.d[0], say = cen.d[1], sbx = cen.d[2], sby = cen.d[3];
    double bxx = 0, bxy = 0, byy = 0, axbx = 0, axby = 0, aybx = 0, ayby = 0;
    for (uint32_t i = 0; i < A->count; i++) {
        if (!usea[i])
            continue;
        const hs__pmin *a = &A->min[i], *b = &B->min[usea[i] - 1];
        double ax = a->x - sax, ay = a->y - say, bx = b->x - sbx, by = b->y - sby;
        bxx += bx * bx;
        bxy += bx * by;
        byy += by * by;
        axbx += ax * bx;
        axby += ax * by;
        aybx += ay * bx;
        ayby += ay * by;
    }
    double det = bxx * byy - bxy * bxy;
    if (!(det > 1e-6 * (bxx + byy) * (bxx + byy))) /* pairs (nearly) on a line */
        return false;
    /* L = Sab Sbb^-1 */
    double l00 = (axbx * byy - axby * bxy) / det, l01 = (axby * bxx - axbx * bxy) / det;
    double l10 = (aybx * byy - ayby * bxy) / det, l11 = (ayby * bxx - aybx * bxy) / det;
    /* R: the rotation closest to L */
    double p = l00 + l11, q = l10 - l01, nr = sqrt(p * p + q * q);
    if (!(nr > 0))
        return false;
    double c = p / nr, s = q / nr;
    /* S = R^T L, symmetrised: mean stretch mm, deviatoric part (d, s01) of
     * size r; eigenvalues mm +- r */
    double s00 = c * l00 + s * l10, s11 = -s * l01 + c * l11;
    double s01 = 0.5 * ((c * l01 + s * l11) + (-s * l00 + c * l10));
    double mm = 0.5 * (s00 + s11), d = 0.5 * (s00 - s11), r = sqrt(d * d + s01 * s01);
    double l1 = mm + r, l2 = mm - r;
    l1 = l1 < AFF_STRETCH_LO ? AFF_STRETCH_LO : l1 > AFF_STRETCH_HI ? AFF_STRETCH_HI : l1;
    l2 = l2 < AFF_STRETCH_LO ? AFF_STRETCH_LO : l2 > AFF_STRETCH_HI ? AFF_STRETCH_HI : l2;
    if (l1 > AFF_ANISO * l2) {
        double ar = sqrt(l1 * l2), k = sqrt(AFF_ANISO);
        l1 = ar * k;
        l2 = ar / k;
    }
    double area = l1 * l2;
    if (area > AFF_AREA_HI || area < AFF_AREA_LO) {
        double k = sqrt((area > AFF_AREA_HI ? AFF_AREA_HI : AFF_AREA_LO) / area);
        l1 *= k;
        l2 *= k;
    }
    /* S' with the same principal axes and the constrained stretches */
    double m2 = 0.5 * (l1 + l2), r2 = 0.5 * (l1 - l2);
    double e00 = m2, e11 = m2, e01 = 0;
    if (r > 0) {
        e00 += r2 * d / r;
        e11 -= r2 * d / r;
        e01 = r2 * s01 / r;
    }
    stretch[0] = (float)e00;
    stretch[1] = (float)e01;
    stretch[2] = (float)e11;
    /* L' = R S' as (c, -s; u, v) */
    g->c = (float)(c * e00 - s * e01);
    g->s = (float)-(c * e01 - s * e11);
    g->u = (float)(s * e00 + c * e01);
    g->v = (float)(s * e01 + c * e11);
    float rr = atan2f((float)s, (float)c);
    if (rr < 0)
        rr += TWO_PI_F;
    g->rot = ang_quant(rr);
    float fax = (float)sax, fay = (float)say, fbx = (float)sbx, fby = (float)sby;
    g->tx = fax - (g->c * fbx - g->s * fby);
    g->ty = fay - (g->u * fbx + g->v * fby);
    g->ax = fax;
    g->ay = fay;
    g->bx = fbx;
    g->by = fby;
    return true;
}

/* Affine stage after a rigid refinement whose pairs are in usea: refit
 * the constrained affine alignment on them, pair the candidates and the
 * remaining minutiae again under it, AFF_ITER times, with a tolerance that
 * grows more slowly from the centre (AFF_TOL_SLOPE: the alignment follows
 * part of the distortion). Returns the best of s (the rigid score) and the
 * affine scores.
 *
 * A minutia direction theta maps to rot + the angle of S (cos, sin)(theta):
 * that correction (corr, angle units) is added to the frame's directions,
 * and, for the vector kernels, which test the angle of a candidate as
 * cdang - rot, taken off the candidates' cdang while they pair, then put
 * back. */
static float affine_stage(hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                          const hs_finger_prepared *B, uint8_t *usea, uint8_t *useb, float ca,
                          float cb, float s)
{
    align ga;
    float st[3];
    uint8_t corr[MAXN];
    frame *f = &m->fr;
    const params save = f->pr;
    f->pr.tol_slope = AFF_TOL_SLOPE;
    const bool arrays = m->kernels != HS_MATCH_KERNELS_PORTABLE;
    for (int it = 0; it < AFF_ITER && fit_affine(A, B, usea, &ga, st); it++) {
        m->kern.make_frame(f, &ga, A, B);
        for (uint32_t j = 0; j < B->count; j++) {
            uint8_t t = B->min[j].angle;
            float cs = m->cos_units[t], sn = m->cos_units[(uint8_t)(t - 64)];
            float sx = st[0] * cs + st[1] * sn, sy = st[1] * cs + st[2] * sn;
            /* atan(x) ~ x: the stretch ratio bound keeps |x| below 0.14,
             * an error below 0.05 units */
            float x = (cs * sy - sn * sx) / (cs * sx + sn * sy);
            corr[j] = (uint8_t)lrintf(x * (256.0f / TWO_PI_F));
            f->tba[j] = (uint8_t)(f->tba[j] + corr[j]);
        }
        if (arrays)
            for (int c = 0; c < nc; c++)
                m->cdang[c] = (int32_t)(uint8_t)(m->cdang[c] - corr[m->cib[c]]);
        pairing r = m->kern.pair_cands(m, nc, A, B, f, usea, useb);
        if (arrays)
            for (int c = 0; c < nc; c++)
                m->cdang[c] = (int32_t)(uint8_t)(m->cdang[c] + corr[m->cib[c]]);
        m->kern.refine(m, A, B, f, usea, useb, &r);
        float sa = pairing_score(&r, ca, cb, f->pr.min_norm, m->wmode, m->mixw);
        if (sa > s)
            s = sa;
    }
    f->pr = save;
    return s;
}

/* Is v among the n first entries of list? */
static bool in_list(const int *list, int n, int v)
{
    for (int q = 0; q < n; q++)
        if (list[q] == v)
            return true;
    return false;
}

/* Does ranking r come before ranking b: more pairs, or as many with a
 * higher similarity sum? */
static bool ranks_before(const pairing *r, const pairing *b)
{
    return r->n > b->n || (r->n == b->n && r->wsum > b->wsum);
}

/* Is g the alignment h already is: rotations within SAME_ROT units, and h
 * mapping g's anchor minutia of B within SAME_DIST px of its minutia of A? */
static bool same_alignment(const align *h, const align *g)
{
    float px = h->c * g->bx - h->s * g->by + h->tx - g->ax;
    float py = h->s * g->bx + h->c * g->by + h->ty - g->ay;
    return abs(ang_diff(g->rot, h->rot)) <= SAME_ROT && px * px + py * py <= SAME_DIST * SAME_DIST;
}

/* Choose the anchors to refine among the first n ranked ones (rankings rk,
 * alignments gk): the keep best by (pairs, similarity), passing over an
 * anchor that ranks no better than a kept one with the same alignment, so
 * that the refinements go to different alignments. Their indices, best
 * first, into out; returns how many. */
static int select_anchors(const pairing *rk, const align *gk, int n, int keep, int *out)
{
    int nbest = 0;
    for (int k = 0; k < n; k++) {
        const pairing r = rk[k];
        const align g = gk[k];
        bool same = false;
        for (int q = 0; q < nbest && !same; q++)
            same = !ranks_before(&r, &rk[out[q]]) && same_alignment(&gk[out[q]], &g);
        if (same)
            continue;
        int pos = nbest;
        while (pos > 0 && ranks_before(&r, &rk[out[pos - 1]]))
            pos--;
        if (pos >= keep)
            continue;
        int last = nbest < keep ? nbest : keep - 1;
        for (int q = last; q > pos; q--)
            out[q] = out[q - 1];
        out[pos] = k;
        if (nbest < keep)
            nbest++;
    }
    return nbest;
}

/* The portable field_sum (match_impl.h): the vector kernels repeat its float
 * operations lane by lane and sum integers, so every set gives the same. */
void hs__field_sum_c(const hs_finger_matcher *m, const hs_finger_prepared *A,
                     const hs_finger_prepared *B, const float *k, uint32_t r2, uint32_t i0,
                     uint32_t i1, int32_t *sum, int32_t *n)
{
    /* Branch-free: whether a sample falls inside B's grid, and on a ridge
     * cell, is as good as random, so branches on it were mispredicted. The
     * cell index is computed in unsigned arithmetic whatever the sample
     * (the truncations are defined: with coordinates below 2^15 px and
     * cells of at least 8 px, HS__FIELD_CELL64_MIN, |fi| and |fj| stay
     * below 2^15), and masked to cell 0 outside the grid, where the cell
     * read is masked to "no ridges" too. */
    const hs__pfield *fa = A->fd, *fb = B->fd;
    const uint32_t gw = fb->gw;
    int32_t acc = 0, cnt = 0;
    for (uint32_t i = i0; i < i1; i++) {
        float x = (float)fa->sx[i], y = (float)fa->sy[i];
        float fi = k[0] * x + k[1] * y + k[2], fj = k[3] * x + k[4] * y + k[5];
        uint32_t in = 0u - (uint32_t)((fi >= 0.0f) & (fj >= 0.0f) & (fi < k[6]) & (fj < k[7]));
        uint32_t idx = ((uint32_t)(int32_t)fj * gw + (uint32_t)(int32_t)fi) & in;
        uint32_t vb = fb->grid[idx] & in;
        uint32_t ok = (uint32_t)(vb != 0);
        int32_t c = m->icos[(fa->sd[i] - (vb & 63u) * 4u - r2) & 255u];
        acc += c & (int32_t)(0u - ok);
        cnt += (int32_t)ok;
    }
    *sum = acc;
    *n = cnt;
}

/* The map of A's sampled cells into B's grid under the rigid alignment that
 * takes minutia pb of B onto minutia pa of A (field_sum's k), and the
 * doubled rotation r2. The rotation comes from the angle table. */
static void field_map(const hs_finger_matcher *m, const hs_finger_prepared *B, const hs__pmin *pa,
                      const hs__pmin *pb, float *k, uint32_t *r2)
{
    const uint8_t rot = (uint8_t)(pa->angle - pb->angle);
    const float c = m->cos_units[rot], sn = m->cos_units[(uint8_t)(rot - 64)];
    const float tx = (float)pa->x - (c * (float)pb->x - sn * (float)pb->y);
    const float ty = (float)pa->y - (sn * (float)pb->x + c * (float)pb->y);
    /* A's point -> B's frame (inverse rotation) -> B's grid coordinates */
    const float ic = 1.0f / B->fd->c;
    k[0] = c * ic;
    k[1] = sn * ic;
    k[2] = -(c * tx + sn * ty) * ic - (float)B->fd->x0;
    k[3] = sn * ic;
    k[4] = -c * ic;
    k[5] = (c * ty - sn * tx) * ic - (float)B->fd->y0;
    k[6] = (float)B->fd->gw;
    k[7] = (float)B->fd->gh;
    *r2 = (uint32_t)(uint8_t)(2 * rot);
}

/* Could a candidate whose first i1 of ns samples sum to sum over n ridge
 * cells still be chosen: reach OF_MIN_AGREE, and a ranking value (mean x
 * sqrt(overlap)) above beat, if every sample left agreed perfectly? The
 * bounds keep a margin of OF_EXIT_MARGIN for the float rounding of the
 * final values, so a candidate given up could never have been chosen. */
static bool field_can_win(int32_t sum, int32_t n, uint32_t i1, uint32_t ns, float beat)
{
    double left = (double)(ns - i1), nmax = (double)n + left;
    double smax = (double)sum / (double)ICOS_ONE + left;
    return !(smax < (OF_MIN_AGREE - OF_EXIT_MARGIN) * nmax ||
             smax < beat * (1.0 - OF_EXIT_MARGIN) * sqrt(nmax));
}

/* The orientation anchor: among the OF_CANDS most similar candidate pairs,
 * the one whose alignment makes the two ridge orientation fields agree best
 * (mean agreement at least OF_MIN_AGREE, weighted by the square root of the
 * overlap). Its index into m->cands, or -1. Prints whose minutiae are few or
 * unreliable (dry, wet, partial) often rank a wrong alignment first; the
 * ridge flow still tells the right one.
 *
 * The agreement under a candidate's alignment is the mean cosine of the
 * doubled-angle differences over A's sampled cells that fall on ridge cells
 * of B (their number is the overlap). The kernels sum integers, so the value
 * is the same in every kernel set. The samples are summed OF_CHUNK at a
 * time (they are stored spread over the print, so that any first ones cover
 * all of it): the first chunk of every candidate in one kernel call, then,
 * candidate by candidate, the rest unless field_can_win() says the
 * candidate can no longer be chosen; giving up changes no result. */
static int field_anchor(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                        const hs_finger_prepared *B)
{
    int best = -1;
    float bestv = 0.0f;
    const int lim = nc < OF_CANDS ? nc : OF_CANDS;
    const uint32_t ns = A->fd->ns, i1 = ns > OF_CHUNK ? OF_CHUNK : ns;
    float k[OF_CANDS][8];
    uint32_t r2[OF_CANDS];
    int32_t sum[OF_CANDS], cnt[OF_CANDS];
    for (int c = 0; c < lim; c++)
        field_map(m, B, &A->min[m->cands[c].a], &B->min[m->cands[c].b], k[c], &r2[c]);
    m->kern.field_sums(m, A, B, (const float(*)[8])k, r2, lim, i1, sum, cnt);
    for (int c = 0; c < lim; c++) {
        int32_t s = sum[c], n = cnt[c];
        uint32_t i0 = i1;
        for (; i0 < ns && field_can_win(s, n, i0, ns, bestv); i0 += OF_CHUNK) {
            uint32_t e = ns - i0 > OF_CHUNK ? i0 + OF_CHUNK : ns;
            int32_t s1, n1;
            m->kern.field_sum(m, A, B, k[c], r2[c], i0, e, &s1, &n1);
            s += s1;
            n += n1;
        }
        if (i0 < ns) /* given up */
            continue;
        float ag = n ? (float)s / ((float)ICOS_ONE * (float)n) : 0.0f;
        float v = ag * sqrtf((float)n);
        if (ag >= OF_MIN_AGREE && v > bestv) {
            bestv = v;
            best = c;
        }
    }
    return best;
}

/* The first i1 samples under each of nc alignments, one field_sum call
 * each (the kernel sets without a batched form). */
void hs__field_sums_c(const hs_finger_matcher *m, const hs_finger_prepared *A,
                      const hs_finger_prepared *B, const float (*k)[8], const uint32_t *r2,
                      int nc, uint32_t i1, int32_t *sum, int32_t *cnt)
{
    for (int c = 0; c < nc; c++)
        m->kern.field_sum(m, A, B, k[c], r2[c], 0, i1, &sum[c], &cnt[c]);
}

/* Order the two templates canonically so that match(a, b) == match(b, a). */
static bool swap_needed(const hs_finger_prepared *a, const hs_finger_prepared *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    int c = memcmp(a->min, b->min, (size_t)a->count * sizeof(hs__pmin));
    if (c == 0)
        c = memcmp(a->cyl, b->cyl, (size_t)a->count * HS__CYL_WORDS * sizeof(uint64_t));
    if (c != 0)
        return c > 0;
    /* the same minutiae: the fields decide (the agreement is not symmetric) */
    if (!a->fd || !b->fd)
        return a->fd && !b->fd;
    const uint16_t ga[5] = {a->fd->gw, a->fd->gh, a->fd->x0, a->fd->y0, a->fd->c64};
    const uint16_t gb[5] = {b->fd->gw, b->fd->gh, b->fd->x0, b->fd->y0, b->fd->c64};
    for (int k = 0; k < 5; k++)
        if (ga[k] != gb[k])
            return ga[k] > gb[k];
    return memcmp(a->fd->grid, b->fd->grid, (size_t)a->fd->gw * a->fd->gh) > 0;
}



void hs__match_sort_keys(const hs_finger_matcher *m, const uint32_t *in, uint32_t *out, int n)
{
    m->kern.sort(in, out, n);
}

const struct hs__match_kernels hs__match_kernels_c = {
    sim_matrix_c, sort_keys_c, rank_anchor_c, make_frame_c, pair_cands_c, refine_c,
    hs__field_sum_c, hs__field_sums_c};

/* Thorough mode's orientation descriptor of every minutia of P (into d and
 * the masks mk): the ridge orientation field sampled on OD_RINGS rings
 * around the minutia, OD_DIRS directions each (staggered from ring to
 * ring), relative to the minutia's direction, as the doubled ridge angle
 * minus twice the minutia's (byte units of 2 pi / 256, so rotation-
 * invariant); bit k of the mask says whether sample k falls on the field's
 * ridge cells. */
#define OD_RINGS 3
#define OD_DIRS 8
_Static_assert(OD_RINGS * OD_DIRS == OD_SAMPLES && OD_SAMPLES <= 32, "descriptor size");
static void od_describe(const hs_finger_matcher *m, const hs_finger_prepared *P,
                        uint8_t (*d)[OD_SAMPLES], uint32_t *mk)
{
    static const float radius[OD_RINGS] = {22.0f, 44.0f, 66.0f}; /* px at 500 ppi */
    const hs__pfield *f = P->fd;
    const float ic = 1.0f / f->c;
    for (uint32_t i = 0; i < P->count; i++) {
        const hs__pmin *a = &P->min[i];
        uint32_t bits = 0;
        for (int r = 0; r < OD_RINGS; r++)
            for (int k = 0; k < OD_DIRS; k++) {
                const int s = r * OD_DIRS + k;
                const uint8_t ang = (uint8_t)(a->angle + k * (256 / OD_DIRS) + (r & 1) * (128 / OD_DIRS));
                const float cs = m->cos_units[ang], sn = m->cos_units[(uint8_t)(ang - 64)];
                const float x = (float)a->x + radius[r] * cs, y = (float)a->y + radius[r] * sn;
                /* prepared frame (y up) -> grid cell, as field_map */
                const float fi = x * ic - (float)f->x0, fj = -y * ic - (float)f->y0;
                d[i][s] = 0;
                if (fi >= 0.0f && fj >= 0.0f && fi < (float)f->gw && fj < (float)f->gh) {
                    const uint8_t g = f->grid[(uint32_t)fj * f->gw + (uint32_t)fi];
                    if (g) {
                        d[i][s] = (uint8_t)((g & 63u) * 4u - 2u * a->angle);
                        bits |= 1u << s;
                    }
                }
            }
        mk[i] = bits;
    }
}

/* Thorough mode's second look at two prints that carry orientation fields:
 * every valid local similarity (a pair the cylinders compare) becomes
 * 0.7 x its Dice value + 0.3 x the agreement of the two minutiae's
 * orientation descriptors (the mean cosine of their doubled-angle
 * differences over the samples valid in both, at least OD_MIN_COMMON of
 * them; negative as 0), and the top keys are tracked again. In minutia-poor
 * areas (partial, wet, dry prints) the cylinders are nearly empty while the
 * ridge flow around the minutia still tells the right partner (accuracy.md,
 * session 15). Integer arithmetic after the descriptors, so every kernel set
 * gets the same matrix. */
#define OD_MIN_COMMON 14
#define OD_WEIGHT_NUM 3 /* 0.3 = 3 / 10 */
#define OD_WEIGHT_DEN 10
static void od_similarity(hs_finger_matcher *m, const hs_finger_prepared *A,
                          const hs_finger_prepared *B)
{
    od_describe(m, A, m->oda, m->odma);
    od_describe(m, B, m->odb, m->odmb);
    const uint32_t na = A->count, nb = B->count;
    uint32_t *c1 = m->c1;
    for (uint32_t j = 0; j < nb; j++)
        c1[j] = 0;
    for (uint32_t i = 0; i < na; i++) {
        uint16_t *row = &m->sim[i * nb];
        const uint8_t *da = m->oda[i];
        const uint32_t ma = m->odma[i];
        uint32_t r1 = 0, r2 = 0;
        for (uint32_t j = 0; j < nb; j++) {
            uint32_t q = row[j];
            if (q) {
                /* the agreement in 1/65535, rounded down; 0 on too few
                 * common samples */
                uint32_t os = 0, common = ma & m->odmb[j];
                const int32_t n = __builtin_popcount(common);
                if (n >= OD_MIN_COMMON) {
                    const uint8_t *db = m->odb[j];
                    int32_t sum = 0;
                    for (; common; common &= common - 1) {
                        const int k = __builtin_ctz(common);
                        sum += m->icos[(uint8_t)(da[k] - db[k])];
                    }
                    if (sum > 0)
                        os = (uint32_t)(((uint64_t)sum * 65535u) / ((uint64_t)ICOS_ONE * (uint32_t)n));
                }
                q = ((OD_WEIGHT_DEN - OD_WEIGHT_NUM) * q + OD_WEIGHT_NUM * os + OD_WEIGHT_DEN / 2) /
                    OD_WEIGHT_DEN;
                if (q > 65535u)
                    q = 65535u;
                if (!q)
                    q = 1u; /* still a valid pair */
                row[j] = (uint16_t)q;
            }
            track_top(q, i, j, &r1, &r2, &c1[j]);
        }
        m->r1[i] = r1;
        m->r2[i] = r2;
    }
}

/* One comparison of the canonically ordered A and B on the similarity
 * matrix and top keys in m (the kernel's sim_matrix, or od_similarity()
 * on it): the default mode's anchors and refinements, with thorough's
 * further ones when thorough. Reads the matrix, never writes it. */
static float match_pass(hs_finger_matcher *m, const hs_finger_prepared *A,
                        const hs_finger_prepared *B, bool thorough)
{
    int nc = collect_cands(m, A, B);
    /* the anchors: the most similar candidates, each ranked quickly */
    const int ndef = m->fast ? FAST_ANCHORS : m->anchors;
    int nanch = thorough && THOROUGH_ANCHORS > ndef ? THOROUGH_ANCHORS : ndef;
    if (nanch > nc)
        nanch = nc;
    uint8_t usea[MAXN], useb[MAXN];
    pairing rk[ANCHOR_CAP];
    align gk[ANCHOR_CAP + 1]; /* + the orientation anchor */
    for (int k = 0; k < nanch; k++) {
        gk[k] = make_align(&A->min[m->cands[k].a], &B->min[m->cands[k].b]);
        rk[k] = m->kern.rank_anchor(m, nc < m->rank_cands ? nc : m->rank_cands, A, B, &gk[k],
                                    usea, useb);
    }
    /* refined: the default mode's choice among its anchors, then in
     * thorough mode the choice among all of them minus those already
     * refined, so that a thorough score is the maximum of the default
     * score of the pair and the scores of the further alignments */
    int sel[REFINE_CAP + THOROUGH_REFINE + 1];
    const int ndsel =
        select_anchors(rk, gk, ndef < nanch ? ndef : nanch, m->fast ? 1 : m->refine, sel);
    int nsel = ndsel;
    if (thorough) {
        int more[THOROUGH_REFINE];
        int nm = select_anchors(rk, gk, nanch, THOROUGH_REFINE, more);
        for (int q = 0; q < nm; q++)
            if (!in_list(sel, nsel, more[q]))
                sel[nsel++] = more[q];
    }
    /* the orientation anchor (not in the fast mode), unless it is the
     * alignment of an anchor of the default mode's choice (tested against
     * that choice only, so that a thorough score stays the maximum of the
     * default one and further alignments) */
    int nref = nsel;
    const int kf = !m->fast && A->fd && B->fd ? field_anchor(m, nc, A, B) : -1;
    if (kf >= 0) {
        const hs__pmin *pa = &A->min[m->cands[kf].a], *pb = &B->min[m->cands[kf].b];
        /* the test needs the anchor pair only, not the trigonometry */
        const align pair = {.rot = (uint8_t)(pa->angle - pb->angle),
                            .ax = pa->x, .ay = pa->y, .bx = pb->x, .by = pb->y};
        bool same = false;
        for (int q = 0; q < ndsel && !same; q++)
            same = same_alignment(&gk[sel[q]], &pair);
        if (!same) {
            gk[ANCHOR_CAP] = make_align(pa, pb);
            sel[nref++] = ANCHOR_CAP;
        }
    }
    float top = 0.0f;
    const float ca = expected_count(A), cb = expected_count(B);
    for (int k = 0; k < nref; k++) {
        m->kern.make_frame(&m->fr, &gk[sel[k]], A, B);
        pairing r = m->kern.pair_cands(m, nc, A, B, &m->fr, usea, useb);
        align g2;
        if (fit_align(A, B, usea, &g2)) {
            m->kern.make_frame(&m->fr, &g2, A, B);
            r = m->kern.pair_cands(m, nc, A, B, &m->fr, usea, useb);
        }
        m->kern.refine(m, A, B, &m->fr, usea, useb, &r);
        float s = pairing_score(&r, ca, cb, m->fr.pr.min_norm, m->wmode, m->mixw);
        /* the affine stage for the best anchor, in thorough mode for the
         * best of the further ones, and for the orientation anchor (last) */
        if ((k == 0 || k == ndsel || k == nsel) && s >= AFF_MIN_SCORE)
            s = affine_stage(m, nc, A, B, usea, useb, ca, cb, s);
        if (s > top)
            top = s;
    }
    if (!(top >= 0.0f))
        top = 0.0f;
    return top;
}

hs_status hs_finger_match(hs_finger_matcher *m, float *score,
                          const hs_finger_prepared *probe, const hs_finger_prepared *candidate)
{
    if (!score)
        return HS_ERR_INVALID_ARG;
    *score = 0.0f;
    if (!m || !probe || !candidate)
        return HS_ERR_INVALID_ARG;
    const hs_finger_prepared *A = probe, *B = candidate;
    if (swap_needed(A, B)) {
        A = candidate;
        B = probe;
    }
    if (m->fast && m->thorough)
        return HS_ERR_INVALID_ARG;
    if (A->count < 2 || B->count < 2)
        return HS_OK;
    int rot_units = (int)lrintf((float)m->max_rotation * (256.0f / 360.0f));
    m->kern.sim_matrix(m, A, B, rot_units);
    float top = match_pass(m, A, B, m->thorough != 0);
    /* thorough mode, prints with fields: also the default mode's pass on
     * the same matrix with the orientation descriptors added; the better
     * score counts, so a thorough score stays at least the default one */
    if (m->thorough && A->fd && B->fd) {
        od_similarity(m, A, B);
        float s = match_pass(m, A, B, false);
        if (s > top)
            top = s;
    }
    *score = top;
    return HS_OK;
}

hs_status hs_finger_compare(hs_ctx *ctx, float *score, const hs_template *a, const hs_template *b)
{
    if (!score)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "score is NULL");
    float sc = 0.0f;
    hs_finger_prepared *pa = NULL, *pb = NULL;
    hs_finger_matcher *m = NULL;
    hs_status s = hs_finger_prepare(ctx, &pa, a, 0);
    if (s == HS_OK)
        s = hs_finger_prepare(ctx, &pb, b, 0);
    if (s == HS_OK)
        s = hs_finger_matcher_new(ctx, &m);
    if (s == HS_OK)
        s = hs_finger_match(m, &sc, pa, pb);
    if (s == HS_OK)
        *score = sc;
    hs_finger_matcher_free(m);
    hs_finger_prepared_free(pa);
    hs_finger_prepared_free(pb);
    return s;
}

hs_status hs_finger_match_multi(hs_finger_matcher *m, float *score,
                                const hs_finger_prepared *const *probe, size_t nprobe,
                                const hs_finger_prepared *const *candidate, size_t ncandidate, int rule)
{
    if (!score)
        return HS_ERR_INVALID_ARG;
    *score = 0.0f;
    if (!m || !probe || !candidate || nprobe == 0 || ncandidate == 0 ||
        (rule != HS_FUSION_MAX && rule != HS_FUSION_MEAN && rule != HS_FUSION_SUM_TOP2))
        return HS_ERR_INVALID_ARG;
    if (m->fast && m->thorough)
        return HS_ERR_INVALID_ARG;
    for (size_t i = 0; i < nprobe; i++)
        if (!probe[i])
            return HS_ERR_INVALID_ARG;
    for (size_t j = 0; j < ncandidate; j++)
        if (!candidate[j])
            return HS_ERR_INVALID_ARG;
    float sum = 0.0f, top1 = 0.0f, second = 0.0f;
    for (size_t i = 0; i < nprobe; i++) {
        float best = 0.0f;
        for (size_t j = 0; j < ncandidate; j++) {
            uint32_t fp = probe[i]->position, fc = candidate[j]->position;
            if (fp != 0 && fc != 0 && fp != fc)
                continue;
            float s;
            hs_status st = hs_finger_match(m, &s, probe[i], candidate[j]);
            if (st != HS_OK)
                return st;
            if (s > best)
                best = s;
        }
        sum += best;
        if (best > top1) {
            second = top1;
            top1 = best;
        } else if (best > second)
            second = best;
    }
    float r;
    if (rule == HS_FUSION_MAX)
        r = top1;
    else if (rule == HS_FUSION_MEAN)
        r = sum / (float)nprobe;
    else
        r = nprobe > 1 ? 0.5f * (top1 + second) : top1;
    *score = r;
    return HS_OK;
}
