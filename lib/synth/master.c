/* Master fingerprints: class and singular points, orientation field
 * (zero-pole model with per-singularity angle corrections), ridge-period map,
 * ridges grown by iterative Gabor filtering from random seeds, and the
 * ground-truth minutiae found on the result. */
#include "internal/synth.h"

#include <string.h>

#define MAXSP 2 /* cores (and deltas) per class at most */

typedef struct sing {
    float x, y;
    float c[6]; /* correction: g(t) = t + sum over k of c[2k-2] sin kt + c[2k-1] cos kt */
} sing;

typedef struct field {
    int ncore, ndelta;
    sing core[MAXSP], delta[MAXSP];
    int arch;               /* 1: arch model instead of zero-pole */
    float ax0, aw, ay0, ah; /* arch: centre column, width, hump row and height */
    float rot;              /* global rotation of the pattern, radians */
    /* smooth random perturbation of the field */
    float pa[3], pkx[3], pky[3], pph[3];
} field;

static uint32_t draw_class(hs__rng *r)
{
    double u = hs__rng_unif(r);
    if (u < 0.037)
        return HS_SYNTH_CLASS_ARCH;
    if (u < 0.066)
        return HS_SYNTH_CLASS_TENTED_ARCH;
    if (u < 0.404)
        return HS_SYNTH_CLASS_LEFT_LOOP;
    if (u < 0.721)
        return HS_SYNTH_CLASS_RIGHT_LOOP;
    return HS_SYNTH_CLASS_WHORL;
}

static void corr(hs__rng *r, sing *s)
{
    static const double amp[6] = {0.56, 0.56, 0.32, 0.32, 0.16, 0.16};
    for (int i = 0; i < 6; i++)
        s->c[i] = (float)hs__rng_range(r, -amp[i], amp[i]);
    double mx = 0;
    for (int i = 0; i < 72; i++) {
        double t = i * HS__PI / 36, d = 0;
        for (int k = 1; k <= 3; k++)
            d += k * (s->c[2 * k - 2] * cos(k * t) - s->c[2 * k - 1] * sin(k * t));
        mx = fabs(d) > mx ? fabs(d) : mx;
    }
    const double lim = 0.85;
    if (mx > lim)
        for (int i = 0; i < 6; i++)
            s->c[i] = (float)(s->c[i] * lim / mx);
}

static void place(field *f, hs_synth_master *m, hs__rng *r)
{
    float cx = m->fx + (float)hs__rng_range(r, -15, 15);
    float cy = m->fy - 20 + (float)hs__rng_range(r, -25, 25);
    memset(f, 0, sizeof *f);
    switch (m->cls) {
    case HS_SYNTH_CLASS_ARCH:
        f->arch = 1;
        f->ax0 = cx;
        f->aw = (float)hs__rng_range(r, 70, 120);
        f->ay0 = cy + 40;
        f->ah = (float)hs__rng_range(r, 0.6, 1.2);
        break;
    case HS_SYNTH_CLASS_TENTED_ARCH:
        f->ncore = f->ndelta = 1;
        f->core[0].x = cx;
        f->core[0].y = cy;
        f->delta[0].x = cx + (float)hs__rng_range(r, -8, 8);
        f->delta[0].y = cy + (float)hs__rng_range(r, 55, 90);
        break;
    case HS_SYNTH_CLASS_LEFT_LOOP:
    case HS_SYNTH_CLASS_RIGHT_LOOP: {
        float side = m->cls == HS_SYNTH_CLASS_LEFT_LOOP ? 1.0f : -1.0f;
        f->ncore = f->ndelta = 1;
        f->core[0].x = cx - side * (float)hs__rng_range(r, 0, 25);
        f->core[0].y = cy;
        f->delta[0].x = f->core[0].x + side * (float)hs__rng_range(r, 70, 130);
        f->delta[0].y = cy + (float)hs__rng_range(r, 80, 140);
        break;
    }
    default: { /* whorl */
        float dx = (float)hs__rng_range(r, -18, 18);
        float sep = (float)hs__rng_range(r, 12, 45);
        f->ncore = f->ndelta = 2;
        f->core[0].x = cx + dx;
        f->core[0].y = cy - sep / 2;
        f->core[1].x = cx - dx;
        f->core[1].y = cy + sep / 2;
        float dy = cy + (float)hs__rng_range(r, 90, 140);
        f->delta[0].x = cx - (float)hs__rng_range(r, 80, 130);
        f->delta[0].y = dy + (float)hs__rng_range(r, -20, 20);
        f->delta[1].x = cx + (float)hs__rng_range(r, 80, 130);
        f->delta[1].y = dy + (float)hs__rng_range(r, -20, 20);
        break;
    }
    }
    for (int i = 0; i < f->ncore; i++)
        corr(r, &f->core[i]);
    for (int i = 0; i < f->ndelta; i++)
        corr(r, &f->delta[i]);
    f->rot = (float)hs__rng_range(r, -0.12, 0.12);
    for (int i = 0; i < 3; i++) {
        f->pa[i] = (float)hs__rng_range(r, 0.0, 0.3);
        double ang = hs__rng_range(r, 0, 2 * HS__PI), k = hs__rng_range(r, 0.004, 0.012);
        f->pkx[i] = (float)(k * cos(ang));
        f->pky[i] = (float)(k * sin(ang));
        f->pph[i] = (float)hs__rng_range(r, 0, 2 * HS__PI);
    }
    m->core_x = f->ncore ? f->core[0].x : cx;
    m->core_y = f->ncore ? f->core[0].y : cy;
    if (f->ncore == 2) {
        m->core_x = (f->core[0].x + f->core[1].x) / 2;
        m->core_y = (f->core[0].y + f->core[1].y) / 2;
    }
}

static double g_corr(const sing *s, double t)
{
    double g = t;
    for (int k = 1; k <= 3; k++)
        g += s->c[2 * k - 2] * sin(k * t) + s->c[2 * k - 1] * cos(k * t);
    return g;
}

/* Ridge orientation (radians, image frame, modulo pi) at (x, y). */
static double orientation(const field *f, double x, double y)
{
    double th = 0;
    if (f->arch) {
        double u = (x - f->ax0) / f->aw;
        /* hump highest near ay0, flattening towards the tip and the crease */
        double dy = (y - f->ay0) / 160.0;
        double amp = f->ah * exp(-dy * dy) * (y < f->ay0 ? 1.0 : 0.6);
        th = atan(amp * u * exp(-0.5 * u * u));
    } else {
        /* Poincare index +1/2 at a core, -1/2 at a delta */
        for (int i = 0; i < f->ndelta; i++)
            th -= 0.5 * g_corr(&f->delta[i], atan2(y - f->delta[i].y, x - f->delta[i].x));
        for (int i = 0; i < f->ncore; i++)
            th += 0.5 * g_corr(&f->core[i], atan2(y - f->core[i].y, x - f->core[i].x));
    }
    for (int i = 0; i < 3; i++)
        th += f->pa[i] * sin(f->pkx[i] * x + f->pky[i] * y + f->pph[i]);
    return th + f->rot;
}

/* One filtering pass: dst = clamp(gain * (bank kernel of each pixel) * src).
 * One copy per bank so that the padded rows are compile-time constants and
 * the inner loop vectorises. */
#define FILTER_PASS(name, BANK, R, KS)                                                      \
    static void name(const hs_synth *g, const uint16_t *kidx, const float *src, float *dst,  \
                     int w, float gain, float lim, int y0, int y1, int x0, int x1)           \
    {                                                                                        \
        for (int y = y0; y < y1; y++)                                                        \
            for (int x = x0; x < x1; x++) {                                                  \
                const float *k = g->BANK + (size_t)kidx[(size_t)y * w + x] * (2 * R + 1) * KS; \
                const float *s = src + (size_t)(y - R) * w + (x - R);                        \
                float v[KS] = {0}, acc = 0;                                                  \
                for (int ky = 0; ky < 2 * R + 1; ky++, s += w, k += KS)                      \
                    for (int kx = 0; kx < KS; kx++)                                          \
                        v[kx] += k[kx] * s[kx];                                              \
                for (int kx = 0; kx < KS; kx++)                                              \
                    acc += v[kx];                                                            \
                acc *= gain;                                                                 \
                dst[(size_t)y * w + x] = acc > lim ? lim : (acc < -lim ? -lim : acc);        \
            }                                                                                \
    }
FILTER_PASS(filter_pass, bank, HS__SYNTH_R, HS__SYNTH_KS)
FILTER_PASS(filter_pass_h, bank_h, HS__SYNTH_R_H, HS__SYNTH_KS_H)

/* Dislocation pairs. Ridge growth makes only the minutiae that change the
 * ridge count (a new ridge where ridges diverge), and those point the way the
 * ridges diverge, so neighbouring minutiae point the same way far more often
 * than in real fingers, whose many ridge-count-neutral pairs (a ridge ends
 * and a neighbour starts beside it, short ridges, forks that end again) point
 * opposite ways. A pair is made by Volterra's construction: the pattern is
 * shifted across the ridges by u = per/(2 pi) arg((z - z1)/(z - z2)), which
 * jumps by one period (invisibly) across the segment z1-z2 and fades away
 * from it, leaving one minutia of each sign at its ends. cur: near-binary
 * ridge map of scale sc; tmp: scratch of the same size. */
static void dislocate(float *cur, float *tmp, const uint16_t *kidx, int w, int h, int sc,
                      const hs_synth_master *m, const field *f, hs__rng *r, int npair)
{
    for (int tries = 0; npair > 0 && tries < 20 * npair + 20; tries++) {
        /* within the finger and the largest contact region of an
         * impression (impression.c), so that impressions can show them */
        float x = m->fx + (float)hs__rng_range(r, -0.92, 0.92) * m->fa;
        float y = m->fy + 15 + (float)hs__rng_range(r, -1.33, 1.33) * m->fa;
        float ex = (x - m->fx) / m->fa, ey = (y - m->fy) / (y < m->fy ? m->fbt : m->fbb);
        float cx = (x - m->fx) / (0.92f * m->fa), cy = (y - m->fy - 15) / (1.33f * m->fa);
        int gx = (int)(x / sc), gy = (int)(y / sc);
        if (ex * ex + ey * ey > 0.8f || cx * cx + cy * cy > 1 || gx < 2 || gy < 2 || gx >= w - 2 || gy >= h - 2)
            continue;
        int near = 0;
        for (int i = 0; i < f->ncore; i++)
            near |= hypotf(x - f->core[i].x, y - f->core[i].y) < 45;
        for (int i = 0; i < f->ndelta; i++)
            near |= hypotf(x - f->delta[i].x, y - f->delta[i].y) < 45;
        if (near)
            continue;
        int k = kidx[(size_t)gy * w + gx];
        float th = (float)(k / HS__SYNTH_NPER) * (float)HS__PI / HS__SYNTH_NORI;
        float per = sc == 1 ? HS__SYNTH_PER0 + (float)(k % HS__SYNTH_NPER)
                            : 2 * (HS__SYNTH_PER0_H + HS__SYNTH_PSTEP_H * (float)(k % HS__SYNTH_NPER));
        float len = (float)hs__rng_range(r, 12, 45);
        float sa = th + (float)hs__rng_range(r, -0.5, 0.5);
        float nx = -sinf(th), ny = cosf(th); /* across the ridges */
        float amp = per / (2 * (float)HS__PI) * (hs__rng_unif(r) < 0.5 ? -1.0f : 1.0f);
        float x1 = x - 0.5f * len * cosf(sa), y1 = y - 0.5f * len * sinf(sa);
        float x2 = x + 0.5f * len * cosf(sa), y2 = y + 0.5f * len * sinf(sa);
        float rad = 1.5f * len + 30; /* |u| < 0.3 px beyond; faded out to rad */
        int xa = (int)((x - rad) / sc), xb = (int)((x + rad) / sc) + 1;
        int ya = (int)((y - rad) / sc), yb = (int)((y + rad) / sc) + 1;
        xa = xa < 0 ? 0 : xa;
        ya = ya < 0 ? 0 : ya;
        xb = xb >= w ? w - 1 : xb;
        yb = yb >= h ? h - 1 : yb;
        for (int yy = ya; yy <= yb; yy++)
            for (int xx = xa; xx <= xb; xx++) {
                float px = (float)(xx * sc), py = (float)(yy * sc);
                float d = hypotf(px - x, py - y);
                float fade = d <= rad - 15 ? 1.0f : (d >= rad ? 0.0f : (rad - d) / 15);
                /* arg((z - z1) / (z - z2)) */
                float ax = px - x1, ay = py - y1, bx = px - x2, by = py - y2;
                float u = amp * fade * atan2f(ay * bx - ax * by, ax * bx + ay * by);
                float sx = (px + u * nx) / sc, sy = (py + u * ny) / sc;
                sx = sx < 0 ? 0 : (sx > w - 2 ? (float)(w - 2) : sx);
                sy = sy < 0 ? 0 : (sy > h - 2 ? (float)(h - 2) : sy);
                int ix = (int)sx, iy = (int)sy;
                float fx = sx - (float)ix, fy = sy - (float)iy;
                const float *q = cur + (size_t)iy * w + ix;
                tmp[(size_t)yy * w + xx] = (1 - fy) * ((1 - fx) * q[0] + fx * q[1]) + fy * ((1 - fx) * q[w] + fx * q[w + 1]);
            }
        for (int yy = ya; yy <= yb; yy++)
            for (int xx = xa; xx <= xb; xx++)
                cur[(size_t)yy * w + xx] = tmp[(size_t)yy * w + xx] > 0 ? 1.0f : -1.0f;
        npair--;
    }
}

/* One pass of the 5-tap blur k over a w x h plane, along x or (vertical)
 * along y, the edges clamped. */
static void blur5(const float *k, const float *src, float *dst, int w, int h, bool vertical)
{
    int n = vertical ? h : w;
    size_t step = vertical ? (size_t)w : 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int c = vertical ? y : x;
            const float *line = src + (size_t)y * w + x - (size_t)c * step;
            float acc = 0;
            for (int d = -2; d <= 2; d++) {
                int cc = c + d < 0 ? 0 : (c + d >= n ? n - 1 : c + d);
                acc += k[d + 2] * line[(size_t)cc * step];
            }
            dst[(size_t)y * w + x] = acc;
        }
}

hs_status hs_synth_master_new(hs_ctx *ctx, hs_synth_master **out, const hs_synth *gen,
                              uint32_t finger)
{
    hs_status st = hs__out_and_input(ctx, out, gen, "generator");
    if (st)
        return st;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    /* Fast masters grow on a half-resolution grid (sc = 2); all geometry
     * stays in the 500 ppi frame of W x H. */
    const int sc = gen->params[HS_SYNTH_FAST] ? 2 : 1;
    const int W = HS__SYNTH_MW, H = HS__SYNTH_MH, w = W / sc, h = H / sc;
    const int R = sc == 1 ? HS__SYNTH_R : HS__SYNTH_R_H;
    const size_t n = (size_t)w * h;
    hs_synth_master *m = hs__calloc(a, 1, sizeof *m);
    float *buf = hs__calloc(a, n + HS__SYNTH_KS, sizeof(float));
    uint16_t *kidx = hs__calloc(a, n, sizeof(uint16_t));
    uint8_t *bin = hs__calloc(a, n, 2);
    if (!m || !buf || !kidx || !bin) {
        hs__free(a, m);
        hs__free(a, buf);
        hs__free(a, kidx);
        hs__free(a, bin);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    m->alloc = *a;
    m->w = W;
    m->h = H;
    m->scale = sc;
    m->rw = w;
    m->rh = h;
    m->ridge = hs__calloc(a, n + HS__SYNTH_KS, sizeof(float));
    if (!m->ridge) {
        hs__free(a, buf);
        hs__free(a, kidx);
        hs__free(a, bin);
        hs_synth_master_free(m);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    hs__rng r = {hs__mix64(gen->seed) ^ hs__mix64(0x1000000ULL + finger)};
    m->key = hs__rng_next(&r);
    int32_t cls = gen->params[HS_SYNTH_CLASS];
    m->cls = cls ? (uint32_t)cls : draw_class(&r);

    /* finger shape: wider than an impression, running off the canvas bottom */
    m->fa = (float)hs__rng_range(&r, 150, 185);
    m->fbt = (float)hs__rng_range(&r, 175, 215);
    m->fbb = 420;
    m->fx = W / 2.0f + (float)hs__rng_range(&r, -8, 8);
    m->fy = m->fbt + (float)hs__rng_range(&r, 35, 60);

    field f;
    place(&f, m, &r);

    /* Orientation on a 4 px grid in doubled-angle form, interpolated per
     * pixel; period map from a base period and a smooth random field. */
    const int gs = 4, gw = w / gs + 2, gh = h / gs + 2;
    float *gc = hs__malloc(a, sizeof(float) * 2 * (size_t)gw * gh);
    if (!gc) {
        hs__free(a, buf);
        hs__free(a, kidx);
        hs__free(a, bin);
        hs_synth_master_free(m);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    float *gsn = gc + (size_t)gw * gh;
    for (int j = 0; j < gh; j++)
        for (int i = 0; i < gw; i++) {
            double th = orientation(&f, i * gs * sc, j * gs * sc);
            gc[j * gw + i] = (float)cos(2 * th);
            gsn[j * gw + i] = (float)sin(2 * th);
        }
    double per0 = hs__rng_range(&r, 7.5, 11.0);
    float tox = (float)hs__rng_range(&r, 0, HS__SYNTH_TEX), toy = (float)hs__rng_range(&r, 0, HS__SYNTH_TEX);
    for (int y = 0; y < h; y++) {
        int j = y / gs;
        float ay = (float)(y - j * gs) / gs;
        for (int x = 0; x < w; x++) {
            int i = x / gs;
            float ax = (float)(x - i * gs) / gs;
            size_t q = (size_t)j * gw + i;
            float c = (1 - ay) * ((1 - ax) * gc[q] + ax * gc[q + 1]) +
                      ay * ((1 - ax) * gc[q + gw] + ax * gc[q + gw + 1]);
            float s = (1 - ay) * ((1 - ax) * gsn[q] + ax * gsn[q + 1]) +
                      ay * ((1 - ax) * gsn[q + gw] + ax * gsn[q + gw + 1]);
            float th = 0.5f * atan2f(s, c);
            if (th < 0)
                th += (float)HS__PI;
            int o = (int)lrintf(th * HS__SYNTH_NORI / (float)HS__PI) % HS__SYNTH_NORI;
            /* ridges a little wider apart above the core and near the tip */
            float xf = (float)(x * sc), yf = (float)(y * sc);
            float dyc = (m->core_y - yf) / 120.0f;
            float per = (float)per0 + 2.0f * hs__synth_tex(gen, tox + xf * 0.05f, toy + yf * 0.05f) +
                        (dyc > 0 ? 0.6f * (dyc > 1 ? 1 : dyc) : 0);
            int p = sc == 1 ? (int)lrintf(per - HS__SYNTH_PER0)
                            : (int)lrintf((per / 2 - HS__SYNTH_PER0_H) / HS__SYNTH_PSTEP_H);
            p = p < 0 ? 0 : (p >= HS__SYNTH_NPER ? HS__SYNTH_NPER - 1 : p);
            kidx[(size_t)y * w + x] = (uint16_t)(o * HS__SYNTH_NPER + p);
        }
    }
    hs__free(a, gc);

    /* Seeds: random dots, one per cell of a coarse grid; where the growing
     * patterns meet out of phase, ridges end or fork. Sparse seeds keep such
     * seams few; most minutiae then come from the period changes, as in real
     * fingers, and not from rows of events along seams. */
    double spacing = 110.0 / sc / sqrt(gen->params[HS_SYNTH_MINUTIAE] / 100.0);
    for (double gy = 0; gy < h; gy += spacing)
        for (double gx = 0; gx < w; gx += spacing) {
            int x = (int)(gx + hs__rng_unif(&r) * spacing), y = (int)(gy + hs__rng_unif(&r) * spacing);
            if (x >= R && y >= R && x < w - R && y < h - R)
                buf[(size_t)y * w + x] = hs__rng_unif(&r) < 0.5 ? 1.0f : -1.0f;
        }
    /* Grow with a strong gain (near-binary ridges), then settle. */
    float *cur = buf, *nxt = m->ridge;
    /* only the finger and a margin are needed */
    int x0 = (int)((m->fx - m->fa) / sc) - 2 * R, x1 = (int)((m->fx + m->fa) / sc) + 2 * R;
    int y0 = (int)((m->fy - m->fbt) / sc) - 2 * R;
    x0 = x0 < R ? R : x0;
    x1 = x1 > w - R ? w - R : x1;
    y0 = y0 < R ? R : y0;
    const int iters = gen->iters;
    for (int it = 0; it < iters; it++) {
        if (it == iters / 2) {
            /* late seeds where growth has not reached yet */
            for (int y = y0 + 8 / sc; y < h - R; y += 16 / sc)
                for (int x = x0 + 8 / sc; x < x1; x += 16 / sc)
                    if (cur[(size_t)y * w + x] == 0.0f && hs__rng_unif(&r) < 0.25)
                        cur[(size_t)y * w + x] = hs__rng_unif(&r) < 0.5 ? 1.0f : -1.0f;
        }
        if (sc == 1)
            filter_pass(gen, kidx, cur, nxt, w, 8.0f, 1.0f, y0, h - R, x0, x1);
        else
            filter_pass_h(gen, kidx, cur, nxt, w, 8.0f, 1.0f, y0, h - R, x0, x1);
        float *t = cur;
        cur = nxt;
        nxt = t;
    }
    /* The near-binary result, softened by a 5x5 binomial blur (3x3 at half
     * resolution): ridges get ramps a few pixels wide so that an impression
     * can thin or thicken them by its threshold. */
    for (size_t i = 0; i < n; i++)
        cur[i] = cur[i] > 0 ? 1.0f : -1.0f;
    /* dislocation pairs: 2-17 per finger (fingers differ in how broken
     * their ridges are) */
    dislocate(cur, nxt, kidx, w, h, sc, m, &f, &r, (int)lrint(hs__rng_range(&r, 2.5, 17.5)));
    static const float bn5[5] = {1 / 16.0f, 4 / 16.0f, 6 / 16.0f, 4 / 16.0f, 1 / 16.0f};
    static const float bn3[5] = {0, 0.25f, 0.5f, 0.25f, 0};
    const float *bn = sc == 1 ? bn5 : bn3;
    blur5(bn, cur, nxt, w, h, false);
    blur5(bn, nxt, cur, w, h, true);
    if (cur != m->ridge)
        memcpy(m->ridge, cur, n * sizeof(float));
    hs__free(a, buf);
    hs__free(a, kidx);

    /* Creases, mostly across the finger; a third of fingers have none. */
    hs__rng cr = {m->key ^ 0xc4ea5e5ULL};
    double u = hs__rng_unif(&cr);
    m->ncrease = u < 0.33 ? 0 : (uint32_t)(1 + hs__rng_unif(&cr) * (HS__SYNTH_MAXCREASE - 1) * u);
    for (uint32_t i = 0; i < m->ncrease; i++) {
        float cx = m->fx + (float)hs__rng_range(&cr, -0.8, 0.8) * m->fa;
        float cy = m->fy + (float)hs__rng_range(&cr, -0.7, 1.0) * m->fbt;
        float an = (float)(hs__rng_unif(&cr) < 0.7 ? hs__rng_range(&cr, -0.5, 0.5)
                                                   : hs__rng_range(&cr, 0, HS__PI));
        float len = (float)hs__rng_range(&cr, 30, 220);
        m->crease[i].x0 = cx - 0.5f * len * cosf(an);
        m->crease[i].y0 = cy - 0.5f * len * sinf(an);
        m->crease[i].x1 = cx + 0.5f * len * cosf(an);
        m->crease[i].y1 = cy + 0.5f * len * sinf(an);
        m->crease[i].width = (float)hs__rng_range(&cr, 1.0, 3.5);
    }

    /* Truth: minutiae on the binarised master, inside the finger shape. */
    uint8_t *inside = bin + n;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t q = (size_t)y * w + x;
            bin[q] = m->ridge[q] > 0;
            float xf = (float)(x * sc) + 0.5f * (sc - 1), yf = (float)(y * sc) + 0.5f * (sc - 1);
            float dx = (xf - m->fx) / (m->fa - 14);
            float dy = (yf - m->fy) / ((yf < m->fy ? m->fbt : m->fbb) - 14);
            inside[q] = dx * dx + dy * dy <= 1.0f && xf >= 16 && yf >= 16 && xf < W - 16 && yf < H - 16;
        }
    hs_status s = hs__synth_minutiae(a, bin, w, h, inside, sc, &m->min, &m->nmin);
    hs__free_wiped(a, bin, 2 * n);
    if (s) {
        hs_synth_master_free(m);
        return hs__error(ctx, s, "out of memory");
    }
    *out = m;
    return HS_OK;
}
