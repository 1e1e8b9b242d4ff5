/* Impressions of a master: placement (translation, rotation, resolution),
 * Cappelli's plastic distortion, contact region and pressure, dry or wet
 * skin, sensor noise and background; the master's minutiae mapped through
 * the same transform. */
#include "internal/synth.h"
#include "internal/image.h"
#include "internal/template.h"

#include <string.h>

typedef struct imp {
    int W, H;
    float s;                  /* master pixels per image pixel */
    float cr, sr;             /* rotation */
    float mx, my;             /* master point under the image centre */
    float ccx, ccy, cax, cay; /* contact ellipse (master frame) */
    float pa, pb, pk;         /* plastic: undistorted core region, transition */
    float dc, ds, dtx, dty;   /* plastic: displacement of the outer skin */
    float h0, hvar, hdry;     /* ridge threshold: mean, slow and fine variation */
    float tox, toy;           /* texture offsets */
    float bg, ink, sigma;     /* appearance */
    float edge;               /* contact border raggedness, px */
    float hfine;              /* fine ridge break-up (dry skin, pores) */
    float crease;             /* visibility of the finger's creases, 0..1 */
    int spots;                /* dust specks */
    int blur;                 /* extra blur passes */
} imp;

/* Acquisition conditions of the FVC2004 protocol, cycled over impression
 * numbers when HS_SYNTH_PROTOCOL is 1. */
enum { COND_ANY, COND_NORMAL, COND_PLACEMENT, COND_DRY, COND_WET };

static void draw(imp *p, const hs_synth *g, const hs_synth_master *m, uint32_t impression)
{
    const int32_t *P = g->params;
    hs__rng r = {hs__mix64(m->key ^ hs__mix64(0x2000000ULL + impression))};
    int cond = P[HS_SYNTH_PROTOCOL] ? COND_NORMAL + (int)(impression % 8) / 2 : COND_ANY;
    float big = cond == COND_PLACEMENT ? 1.0f : 0.0f;
    p->W = P[HS_SYNTH_WIDTH];
    p->H = P[HS_SYNTH_HEIGHT];
    p->s = 500.0f / (float)P[HS_SYNTH_PPI];
    float rot = (float)(hs__rng_range(&r, -1, 1) * (1 + 0.75 * big) * P[HS_SYNTH_MAX_ROTATION] *
                        HS__PI / 180);
    p->cr = cosf(rot);
    p->sr = sinf(rot);
    float T = (float)P[HS_SYNTH_MAX_TRANSLATION] * (1 + 0.8f * big);
    p->mx = m->core_x + (float)hs__rng_range(&r, -T, T);
    p->my = m->core_y + 25 + (float)hs__rng_range(&r, -T, T);
    float pres = P[HS_SYNTH_PRESSURE] / 100.0f;
    p->ccx = m->fx + (float)hs__rng_normal(&r) * 10;
    p->ccy = m->fy + 15 + (float)hs__rng_normal(&r) * 15;
    p->cax = m->fa * pres * (float)hs__rng_range(&r, 0.68, 0.95);
    p->cay = p->cax * (float)hs__rng_range(&r, 1.2, 1.45);
    float dist = P[HS_SYNTH_DISTORTION] / 100.0f * (1 + 1.0f * big);
    p->pa = p->cax * (float)hs__rng_range(&r, 0.3, 0.5);
    p->pb = p->cay * (float)hs__rng_range(&r, 0.3, 0.5);
    p->pk = (float)hs__rng_range(&r, 0.6, 1.1);
    float dth = (float)(hs__rng_range(&r, -6, 6) * dist * HS__PI / 180);
    p->dc = cosf(dth);
    p->ds = sinf(dth);
    p->dtx = (float)hs__rng_range(&r, -14, 14) * dist;
    p->dty = (float)hs__rng_range(&r, -14, 14) * dist;
    /* Skin: the ridge threshold h thins ridges (h > 0, dry) or thickens
     * them until they merge (h < 0, wet); its slow variation gives patchy
     * contact, its fine positive part breaks dry ridges into fragments. */
    float skin = P[HS_SYNTH_SKIN] / 100.0f;
    float h0lo = -0.25f, h0hi = 0.45f, hvlo = 0.05f, hvhi = 0.5f, hflo = 0, hfhi = 1.5f;
    if (cond == COND_NORMAL || cond == COND_PLACEMENT) {
        h0lo = -0.15f;
        h0hi = 0.3f;
        hvhi = 0.3f;
        hfhi = 0.8f;
    } else if (cond == COND_DRY) {
        h0lo = 0.25f;
        h0hi = 0.55f;
        hflo = 1.0f;
        hfhi = 3.0f;
    } else if (cond == COND_WET) {
        h0lo = -0.6f;
        h0hi = -0.25f;
        hvlo = 0.3f;
        hvhi = 0.6f;
        hfhi = 0.3f;
    }
    p->h0 = (float)hs__rng_range(&r, h0lo, h0hi) * skin;
    p->hvar = (float)hs__rng_range(&r, hvlo, hvhi) * skin;
    p->hdry = p->h0 > 0 ? p->h0 * (float)hs__rng_range(&r, 0.6, 1.4) : 0.1f * skin;
    p->hfine = (float)hs__rng_range(&r, hflo, hfhi) * skin;
    p->tox = (float)hs__rng_range(&r, 0, HS__SYNTH_TEX);
    p->toy = (float)hs__rng_range(&r, 0, HS__SYNTH_TEX);
    /* Sensor: most impressions are fair, some poor. */
    float noise = P[HS_SYNTH_NOISE] / 100.0f;
    float q = 1.5f * powf((float)hs__rng_unif(&r), 1.5f) * noise;
    q = q > 1.5f ? 1.5f : q;
    p->bg = (float)hs__rng_range(&r, 205, 245);
    p->ink = (float)hs__rng_range(&r, 5, 60) + 30 * noise * (float)hs__rng_unif(&r);
    p->sigma = (float)hs__rng_range(&r, 3, 11) * noise + 10 * q;
    p->edge = (float)hs__rng_range(&r, 2, 8);
    p->hfine += q * (float)hs__rng_range(&r, 0.0, 1.5) * skin;
    p->crease = (float)hs__rng_range(&r, 0.3, 1.0);
    p->spots = (int)(q * hs__rng_range(&r, 0, 500));
    p->blur = hs__rng_unif(&r) < 0.3 * q ? 1 : 0;
}

/* 0 on a crease centre line, rising to 1 at its edge (master frame). */
static float crease_factor(const hs_synth_master *m, const imp *p, float x, float y)
{
    float f = 1;
    for (uint32_t i = 0; i < m->ncrease; i++) {
        float ax = m->crease[i].x0, ay = m->crease[i].y0;
        float bx = m->crease[i].x1 - ax, by = m->crease[i].y1 - ay, w = m->crease[i].width;
        float px = x - ax, py = y - ay;
        float t = (px * bx + py * by) / (bx * bx + by * by);
        if (t < 0 || t > 1)
            continue;
        float dx = px - t * bx, dy = py - t * by, d2 = dx * dx + dy * dy;
        if (d2 >= w * w)
            continue;
        float c = 1 - p->crease * (1 - sqrtf(d2) / w);
        f = c < f ? c : f;
    }
    return f;
}

/* Image pixel (u, v) to master coordinates. */
static void to_master(const imp *p, float u, float v, float *x, float *y)
{
    float px = p->s * (u - p->W * 0.5f), py = p->s * (v - p->H * 0.5f);
    float wx = p->cr * px - p->sr * py + p->mx;
    float wy = p->sr * px + p->cr * py + p->my;
    float dx = wx - p->ccx, dy = wy - p->ccy;
    float d = sqrtf(dx * dx / (p->pa * p->pa) + dy * dy / (p->pb * p->pb));
    if (d > 1) {
        float b = d >= 1 + p->pk ? 1.0f : 0.5f * (1 - cosf((float)HS__PI * (d - 1) / p->pk));
        wx += b * (p->dc * dx - p->ds * dy + p->dtx - dx);
        wy += b * (p->ds * dx + p->dc * dy + p->dty - dy);
    }
    *x = wx;
    *y = wy;
}

/* Inverse of to_master by fixed-point iteration on its rigid part (the
 * plastic term is small and smooth, so this converges in a few steps). */
static void to_image(const imp *p, float x, float y, float *u, float *v)
{
    float cu = 0, cv = 0;
    for (int it = 0; it < 12; it++) {
        float bx, by;
        if (it == 0) {
            bx = p->mx;
            by = p->my;
            cu = p->W * 0.5f;
            cv = p->H * 0.5f;
        } else
            to_master(p, cu, cv, &bx, &by);
        float ex = x - bx, ey = y - by;
        cu += (p->cr * ex + p->sr * ey) / p->s;
        cv += (-p->sr * ex + p->cr * ey) / p->s;
    }
    *u = cu;
    *v = cv;
}

/* Signed distance-like depth inside the contact region (master pixels);
 * negative outside. */
static float contact_depth(const imp *p, const hs_synth_master *m, float x, float y)
{
    float dx = (x - p->ccx) / p->cax, dy = (y - p->ccy) / p->cay;
    float d1 = (1 - sqrtf(dx * dx + dy * dy)) * (p->cax < p->cay ? p->cax : p->cay);
    float fx = (x - m->fx) / m->fa, fy = (y - m->fy) / (y < m->fy ? m->fbt : m->fbb);
    float d2 = (1 - sqrtf(fx * fx + fy * fy)) * m->fa;
    return d1 < d2 ? d1 : d2;
}

#define LUT_N 1024
#define LUT_SPAN 3.0f

static hs_status render(hs_ctx *ctx, const hs_synth *g, const hs_synth_master *m, const imp *p,
                        uint32_t impression, hs_image **out)
{
    const hs_allocator *a = hs__ctx_allocator(ctx);
    hs_image *img = NULL;
    hs_status s = hs_image_new(ctx, &img, (uint32_t)p->W, (uint32_t)p->H,
                               (uint32_t)g->params[HS_SYNTH_PPI], 0);
    if (s)
        return s;
    const int W = p->W, H = p->H;
    float *f = hs__malloc(a, sizeof(float) * (size_t)W * H * 2);
    if (!f) {
        hs_image_free(img);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    float *tmp = f + (size_t)W * H;
    float lut[LUT_N];
    const float sharp = 5.0f;
    for (int i = 0; i < LUT_N; i++) {
        float t = ((float)i / (LUT_N - 1) * 2 - 1) * LUT_SPAN;
        lut[i] = 1.0f / (1.0f + expf(-sharp * t));
    }
    hs__rng r = {hs__mix64(m->key ^ hs__mix64(0x3000000ULL + impression))};
    const float ts = 0.045f, tf = 0.9f; /* texel per master px: slow, fine */
    for (int v = 0; v < H; v++)
        for (int u = 0; u < W; u++) {
            float x, y;
            to_master(p, (float)u, (float)v, &x, &y);
            float depth = contact_depth(p, m, x, y) + p->edge * hs__synth_tex(g, p->tox + 0.1f * x, p->toy + 0.1f * y);
            float bg = p->bg + 8 * hs__synth_tex(g, p->toy + u * 0.02f, p->tox + v * 0.02f);
            float val = bg;
            if (depth > 0) {
                float fade = depth >= 12 ? 1.0f : depth / 12;
                float h = p->h0 + p->hvar * hs__synth_tex(g, p->tox + ts * x, p->toy + ts * y) +
                          p->hdry * hs__synth_tex(g, p->toy + tf * x, p->tox + tf * y) +
                          p->hfine * fmaxf(0, hs__synth_tex(g, p->tox + 2.7f * x, p->toy + 2.7f * y));
                float t = hs__synth_ridge_at(m, x, y) - h;
                int li = (int)((t / LUT_SPAN + 1) * 0.5f * (LUT_N - 1));
                li = li < 0 ? 0 : (li >= LUT_N ? LUT_N - 1 : li);
                if (m->ncrease)
                    fade *= crease_factor(m, p, x, y);
                val = bg - (bg - p->ink) * lut[li] * fade;
            }
            f[(size_t)v * W + u] = val;
        }
    /* sensor blur [1 2 1]^2 / 16, then noise */
    for (int v = 0; v < H; v++)
        for (int u = 0; u < W; u++) {
            const float *q = f + (size_t)v * W;
            int ul = u > 0 ? u - 1 : u, ur = u < W - 1 ? u + 1 : u;
            tmp[(size_t)v * W + u] = 0.25f * (q[ul] + 2 * q[u] + q[ur]);
        }
    for (int b = 0; b < p->blur; b++) {
        for (int v = 0; v < H; v++)
            for (int u = 0; u < W; u++) {
                const float *q = tmp + (size_t)v * W;
                int ul = u > 0 ? u - 1 : u, ur = u < W - 1 ? u + 1 : u;
                f[(size_t)v * W + u] = 0.25f * (q[ul] + 2 * q[u] + q[ur]);
            }
        for (int v = 0; v < H; v++)
            for (int u = 0; u < W; u++) {
                int vu = v > 0 ? v - 1 : v, vd = v < H - 1 ? v + 1 : v;
                tmp[(size_t)v * W + u] = 0.25f * (f[(size_t)vu * W + u] + 2 * f[(size_t)v * W + u] +
                                                  f[(size_t)vd * W + u]);
            }
    }
    for (int i = 0; i < p->spots; i++) {
        int cu = (int)(hs__rng_unif(&r) * W), cv = (int)(hs__rng_unif(&r) * H);
        int rad = hs__rng_unif(&r) < 0.8 ? 1 : 2;
        float dark = (float)hs__rng_range(&r, 30, 110);
        for (int v = cv - rad; v <= cv + rad; v++)
            for (int u = cu - rad; u <= cu + rad; u++)
                if (u >= 0 && v >= 0 && u < W && v < H && (u - cu) * (u - cu) + (v - cv) * (v - cv) <= rad * rad)
                    tmp[(size_t)v * W + u] -= dark;
    }
    uint8_t *px = hs_image_pixels_mut(img);
    for (int v = 0; v < H; v++) {
        const float *up = tmp + (size_t)(v > 0 ? v - 1 : v) * W;
        const float *mid = tmp + (size_t)v * W;
        const float *dn = tmp + (size_t)(v < H - 1 ? v + 1 : v) * W;
        for (int u = 0; u < W; u++) {
            uint64_t z = hs__rng_next(&r);
            /* sum of four uniforms: near-Gaussian, unit variance */
            float nz = ((float)(z & 0xffff) + (float)((z >> 16) & 0xffff) +
                        (float)((z >> 32) & 0xffff) + (float)(z >> 48)) / 65536.0f - 2.0f;
            float val = 0.25f * (up[u] + 2 * mid[u] + dn[u]) + p->sigma * 1.732f * nz;
            px[(size_t)v * W + u] = (uint8_t)(val < 0 ? 0 : (val > 255 ? 255 : val + 0.5f));
        }
    }
    hs__free_wiped(a, f, sizeof(float) * (size_t)W * H * 2);
    *out = img;
    return HS_OK;
}

static float iso_wrap(float a)
{
    const float tp = 2 * (float)HS__PI;
    a = fmodf(a, tp);
    if (a < 0)
        a += tp;
    return a >= tp ? 0 : a;
}

static hs_status truth_of(hs_ctx *ctx, const hs_synth *g, const hs_synth_master *m, const imp *p,
                          uint32_t impression, hs_template **out)
{
    const hs_allocator *a = hs__ctx_allocator(ctx);
    hs_minutia *mm = hs__calloc(a, m->nmin ? m->nmin : 1, sizeof *mm);
    if (!mm)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    uint32_t k = 0;
    uint64_t maxmin = hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE);
    const float margin = 6;
    for (uint32_t i = 0; i < m->nmin && k < maxmin; i++) {
        const hs__synth_minutia *q = &m->min[i];
        float depth = contact_depth(p, m, q->x, q->y) + p->edge * hs__synth_tex(g, p->tox + 0.1f * q->x, p->toy + 0.1f * q->y);
        if (depth < 14)
            continue;
        float u, v, u2, v2;
        to_image(p, q->x, q->y, &u, &v);
        if (u < margin || v < margin || u > p->W - 1 - margin || v > p->H - 1 - margin)
            continue;
        to_image(p, q->x + 6 * cosf(q->angle), q->y - 6 * sinf(q->angle), &u2, &v2);
        mm[k].x = u;
        mm[k].y = v;
        mm[k].angle = iso_wrap(atan2f(-(v2 - v), u2 - u));
        mm[k].type = q->type;
        float ql = 40 + 60 * (depth - 14) / 40;
        mm[k].quality = (uint8_t)(ql > 100 ? 100 : ql);
        k++;
    }
    hs_view_info vi = {sizeof vi, (uint32_t)p->W, (uint32_t)p->H,
                       (uint32_t)g->params[HS_SYNTH_PPI], (uint32_t)g->params[HS_SYNTH_PPI],
                       0, impression % 16, HS_IMPRESSION_LIVE_PLAIN, 0, 0};
    hs_template *t = NULL;
    hs_status s = hs_template_new(ctx, &t);
    if (!s)
        s = hs_template_add_view(ctx, t, &vi, mm, k);
    hs__free_wiped(a, mm, sizeof *mm * (m->nmin ? m->nmin : 1));
    if (s) {
        hs_template_free(t);
        return s;
    }
    *out = t;
    return HS_OK;
}

hs_status hs_synth_impression(hs_ctx *ctx, hs_image **img, hs_template **truth,
                              const hs_synth *gen, const hs_synth_master *master, uint32_t impression)
{
    if (img)
        *img = NULL;
    if (truth)
        *truth = NULL;
    if (!gen || !master || (!img && !truth))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "generator or master NULL, or no output requested");
    imp p;
    draw(&p, gen, master, impression);
    hs_image *im = NULL;
    hs_template *t = NULL;
    hs_status s = HS_OK;
    if (img && (s = render(ctx, gen, master, &p, impression, &im)))
        return s;
    if (truth && (s = truth_of(ctx, gen, master, &p, impression, &t))) {
        hs_image_free(im);
        return s;
    }
    if (img)
        *img = im;
    if (truth)
        *truth = t;
    return HS_OK;
}
