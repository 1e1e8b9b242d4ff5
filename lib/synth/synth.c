/* Synthetic fingerprints: the generator object, its parameters, the Gabor
 * filter bank and the noise texture, and the master image output. */
#include "internal/synth.h"
#include "internal/image.h"
#include "internal/template.h"

#include <string.h>

typedef struct param_def {
    int32_t def, lo, hi;
} param_def;

/* Indexed by HS_SYNTH_* key; entry 0 unused. */
#define SWITCH(def) {def, 0, 1} /* an on/off setting */
static const param_def params[HS__SYNTH_NPARAMS] = {
    [HS_SYNTH_WIDTH] = {400, 64, 4096},
    [HS_SYNTH_HEIGHT] = {400, 64, 4096},
    [HS_SYNTH_PPI] = {500, 250, 1000},
    [HS_SYNTH_CLASS] = {0, 0, 5},
    [HS_SYNTH_MAX_ROTATION] = {20, 0, 180},
    [HS_SYNTH_MAX_TRANSLATION] = {60, 0, 200},
    [HS_SYNTH_DISTORTION] = {100, 0, 300},
    [HS_SYNTH_NOISE] = {100, 0, 300},
    [HS_SYNTH_SKIN] = {100, 0, 300},
    [HS_SYNTH_PRESSURE] = {100, 50, 150},
    [HS_SYNTH_MINUTIAE] = {100, 25, 400},
    [HS_SYNTH_PROTOCOL] = SWITCH(1),
    [HS_SYNTH_FAST] = SWITCH(0),
};
#undef SWITCH

static int key_ok(int key) { return key >= 1 && key < HS__SYNTH_NPARAMS; }

HS__DEFINE_BOUNDS(hs_synth_param_bounds, int32_t, hs_synth_param, params, lo, hi)

hs_status hs_synth_set(hs_synth *gen, hs_synth_param key, int32_t value)
{
    if (!gen || !key_ok((int)key) || value < params[key].lo || value > params[key].hi)
        return HS_ERR_INVALID_ARG;
    gen->params[key] = value;
    return HS_OK;
}

hs_status hs_synth_get(const hs_synth *gen, int32_t *value, hs_synth_param key)
{
    if (!value || !key_ok((int)key))
        return HS_ERR_INVALID_ARG;
    *value = gen ? gen->params[key] : params[key].def;
    return HS_OK;
}

/* One bank entry: an even Gabor filter across ridges of direction theta and
 * period per, elongated along them so that growing ridges stay continuous.
 * Zero mean (a flat area gives no response) and unit gain on an ideal
 * sinusoidal ridge pattern of that orientation and period. */
static void make_kernel(float *k, double theta, double per, int R, int KS)
{
    const int taps = (2 * R + 1) * KS;
    double nx = -sin(theta), ny = cos(theta); /* across the ridges */
    double tx = cos(theta), ty = sin(theta);  /* along them */
    double su = 0.38 * per, sv = 0.55 * per;
    double env[HS__SYNTH_TAPS] = {0}, sum_k = 0, sum_e = 0;
    for (int i = 0; i < taps; i++)
        k[i] = 0;
    for (int y = -R; y <= R; y++)
        for (int x = -R, i = (y + R) * KS; x <= R; x++, i++) {
            double u = x * nx + y * ny, v = x * tx + y * ty;
            /* round support: a square one makes ridges grow as squares
             * and meet along straight seams */
            env[i] = x * x + y * y > (R + 0.5) * (R + 0.5)
                         ? 0.0
                         : exp(-0.5 * (u * u / (su * su) + v * v / (sv * sv)));
            k[i] = (float)(env[i] * cos(2 * HS__PI * u / per));
            sum_k += k[i];
            sum_e += env[i];
        }
    double gain = 0;
    for (int y = -R; y <= R; y++)
        for (int x = -R, i = (y + R) * KS; x <= R; x++, i++) {
            double u = x * nx + y * ny;
            k[i] = (float)(k[i] - env[i] * sum_k / sum_e);
            gain += k[i] * cos(2 * HS__PI * u / per);
        }
    for (int i = 0; i < taps; i++)
        k[i] = (float)(k[i] / gain);
}

/* Smooth tiled noise: random lattice values blurred by a few box passes with
 * wrap-around, scaled to [-1, 1]. */
static void make_texture(float *t, float *tmp, uint64_t seed)
{
    const int n = HS__SYNTH_TEX;
    hs__rng r = {seed ^ 0x5eed7e47u};
    for (int i = 0; i < n * n; i++)
        t[i] = (float)hs__rng_unif(&r);
    for (int pass = 0; pass < 3; pass++) {
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++) {
                float s = 0;
                for (int d = -2; d <= 2; d++)
                    s += t[y * n + ((x + d + n) % n)];
                tmp[y * n + x] = s / 5;
            }
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++) {
                float s = 0;
                for (int d = -2; d <= 2; d++)
                    s += tmp[((y + d + n) % n) * n + x];
                t[y * n + x] = s / 5;
            }
    }
    float lo = t[0], hi = t[0];
    for (int i = 1; i < n * n; i++) {
        lo = t[i] < lo ? t[i] : lo;
        hi = t[i] > hi ? t[i] : hi;
    }
    for (int i = 0; i < n * n; i++)
        t[i] = 2 * (t[i] - lo) / (hi - lo + 1e-6f) - 1;
}

float hs__synth_ridge_at(const hs_synth_master *m, float x, float y)
{
    if (m->scale != 1) {
        x = (x + 0.5f) / (float)m->scale - 0.5f;
        y = (y + 0.5f) / (float)m->scale - 0.5f;
    }
    if (!(x >= 0 && y >= 0 && x < m->rw - 1 && y < m->rh - 1))
        return -1.0f;
    int ix = (int)x, iy = (int)y;
    float ax = x - (float)ix, ay = y - (float)iy;
    const float *q = m->ridge + (size_t)iy * m->rw + ix;
    float a = q[0] + ax * (q[1] - q[0]);
    float b = q[m->rw] + ax * (q[m->rw + 1] - q[m->rw]);
    return a + ay * (b - a);
}

float hs__synth_tex(const hs_synth *g, float x, float y)
{
    const int n = HS__SYNTH_TEX;
    float fx = floorf(x), fy = floorf(y);
    float ax = x - fx, ay = y - fy;
    int x0 = ((int)fx % n + n) % n, y0 = ((int)fy % n + n) % n;
    int x1 = (x0 + 1) % n, y1 = (y0 + 1) % n;
    const float *t = g->tex;
    float a = t[y0 * n + x0] + ax * (t[y0 * n + x1] - t[y0 * n + x0]);
    float b = t[y1 * n + x0] + ax * (t[y1 * n + x1] - t[y1 * n + x0]);
    return a + ay * (b - a);
}

hs_status hs_synth_new(hs_ctx *ctx, hs_synth **out, uint64_t seed)
{
    hs_status st;
    hs_synth *g = HS__OBJECT_NEW(ctx, &st, out, hs_synth);
    if (!g)
        return st;
    const hs_allocator *a = &g->alloc;
    g->seed = seed;
    g->iters = HS__SYNTH_ITERS;
    for (int k = 1; k < HS__SYNTH_NPARAMS; k++)
        g->params[k] = params[k].def;
    g->bank = hs__malloc(a, sizeof(float) * HS__SYNTH_NORI * HS__SYNTH_NPER * HS__SYNTH_TAPS);
    g->bank_h = hs__malloc(a, sizeof(float) * HS__SYNTH_NORI * HS__SYNTH_NPER * HS__SYNTH_TAPS_H);
    g->tex = hs__malloc(a, sizeof(float) * HS__SYNTH_TEX * HS__SYNTH_TEX);
    float *tmp = hs__malloc(a, sizeof(float) * HS__SYNTH_TEX * HS__SYNTH_TEX);
    if (!g->bank || !g->bank_h || !g->tex || !tmp) {
        hs__free(a, tmp);
        hs_synth_free(g);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    for (int o = 0; o < HS__SYNTH_NORI; o++)
        for (int p = 0; p < HS__SYNTH_NPER; p++) {
            make_kernel(g->bank + (size_t)(o * HS__SYNTH_NPER + p) * HS__SYNTH_TAPS,
                        HS__PI * o / HS__SYNTH_NORI, HS__SYNTH_PER0 + p, HS__SYNTH_R,
                        HS__SYNTH_KS);
            make_kernel(g->bank_h + (size_t)(o * HS__SYNTH_NPER + p) * HS__SYNTH_TAPS_H,
                        HS__PI * o / HS__SYNTH_NORI, HS__SYNTH_PER0_H + HS__SYNTH_PSTEP_H * p,
                        HS__SYNTH_R_H, HS__SYNTH_KS_H);
        }
    make_texture(g->tex, tmp, hs__mix64(seed));
    hs__free(a, tmp);
    *out = g;
    return HS_OK;
}

void hs_synth_free(hs_synth *gen)
{
    if (!gen)
        return;
    hs__free(&gen->alloc, gen->bank);
    hs__free(&gen->alloc, gen->bank_h);
    hs__free(&gen->alloc, gen->tex);
    HS__OBJECT_FREE(gen, hs_synth, 0);
}

uint32_t hs_synth_master_class(const hs_synth_master *master)
{
    return master ? master->cls : 0;
}

void hs_synth_master_free(hs_synth_master *m)
{
    if (!m)
        return;
    hs__free_wiped(&m->alloc, m->ridge, sizeof(float) * (size_t)m->rw * (size_t)m->rh);
    hs__free_wiped(&m->alloc, m->min, sizeof *m->min * m->nmin);
    HS__OBJECT_FREE(m, hs_synth_master, sizeof *m);
}

static int in_finger(const hs_synth_master *m, float x, float y)
{
    float dx = (x - m->fx) / m->fa;
    float dy = (y - m->fy) / (y < m->fy ? m->fbt : m->fbb);
    return dx * dx + dy * dy <= 1.0f;
}

hs_status hs_synth_master_image(hs_ctx *ctx, hs_image **img, hs_template **truth,
                                const hs_synth_master *m)
{
    if (img)
        *img = NULL;
    if (truth)
        *truth = NULL;
    if (!m || (!img && !truth))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "master NULL or no output requested");
    hs_image *im = NULL;
    hs_template *t = NULL;
    hs_status s = HS_OK;
    if (img) {
        s = hs_image_new(ctx, &im, (uint32_t)m->w, (uint32_t)m->h, 500, 255);
        if (s)
            return s;
        uint8_t *p = hs_image_pixels_mut(im);
        for (int y = 0; y < m->h; y++)
            for (int x = 0; x < m->w; x++)
                if (in_finger(m, (float)x, (float)y) && hs__synth_ridge_at(m, (float)x, (float)y) > 0)
                    p[(size_t)y * m->w + x] = 0;
    }
    if (truth) {
        hs_minutia *mm = hs__calloc(hs__ctx_allocator(ctx), m->nmin ? m->nmin : 1, sizeof *mm);
        if (!mm) {
            hs_image_free(im);
            return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        }
        for (uint32_t i = 0; i < m->nmin; i++) {
            mm[i].x = m->min[i].x;
            mm[i].y = m->min[i].y;
            mm[i].angle = m->min[i].angle;
            mm[i].type = m->min[i].type;
            mm[i].quality = 100;
        }
        hs_view_info vi = {sizeof vi, (uint32_t)m->w, (uint32_t)m->h, 500, 500, 0, 0,
                           HS_IMPRESSION_LIVE_PLAIN, 100, 0};
        /* as for impressions, at most the ctx's minutiae limit (the first ones) */
        uint64_t lim = hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE);
        uint32_t cnt = m->nmin < lim ? m->nmin : (uint32_t)lim;
        s = hs_template_new(ctx, &t);
        if (!s)
            s = hs_template_add_view(ctx, t, &vi, mm, cnt);
        hs__free_wiped(hs__ctx_allocator(ctx), mm, sizeof *mm * m->nmin);
        if (s) {
            hs_template_free(t);
            hs_image_free(im);
            return s;
        }
    }
    if (img)
        *img = im;
    if (truth)
        *truth = t;
    return HS_OK;
}
