/* Fingerprint extraction, first stages: gradient structure tensor per block,
 * orientation field with coherence, foreground segmentation and the ridge
 * period field. All fields live on the 8x8 block grid of the 500 ppi
 * working image. */
#include "internal/finger.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI_F 3.14159265358979f
#define TWO_PI_F 6.28318530717959f
#define SIG_N 32  /* samples across the ridges in a period signature */
#define SIG_M 12  /* samples along the ridges averaged into each */
#define MED_R 4   /* radius of the local period median, blocks */
#define MED_STEP 0.05f /* period histogram bin of that median, px */
#define MED_N 240 /* bins: 4.0 .. 16.0 px */
#define BLOB_R 4       /* wet blobs: no grey level above the local mean within R px */
#define BLOB_AREA 500  /* ... over a 4-connected area of at least this many px */

/* The kernel k of radius r at sample c of a line of n samples `step` apart,
 * over num and den at once; samples beyond the ends are left out. */
static void blur_at(const float *k, int r, const float *num, const float *den, int c, int n,
                    int step, float *sn_out, float *sd_out)
{
    float sn = 0.0f, sd = 0.0f;
    for (int i = -r; i <= r; i++) {
        int cc = c + i;
        if (cc < 0 || cc >= n)
            continue;
        sn += k[i + r] * num[cc * step];
        sd += k[i + r] * den[cc * step];
    }
    *sn_out = sn;
    *sd_out = sd;
}

/* Weighted separable Gaussian on the block grid, in place:
 * v = G*(w v) / G*w (w NULL: all ones). Edges renormalise. */
static void smooth_blocks(hs_finger_extractor *ex, float *v, const float *wgt, float sigma)
{
    int bw = ex->bw, bh = ex->bh, nb = bw * bh;
    int r = (int)ceilf(2.5f * sigma);
    if (r > 12) r = 12;
    float k[25];
    for (int i = -r; i <= r; i++)
        k[i + r] = expf(-(float)(i * i) / (2.0f * sigma * sigma));
    float *num = ex->b_t1, *den = ex->b_t2, *tn = ex->b_t3;
    for (int i = 0; i < nb; i++) {
        float wi = wgt ? wgt[i] : 1.0f;
        num[i] = wi * v[i];
        den[i] = wi;
    }
    /* The label map is free whenever fields are smoothed. */
    float *tden = (float *)(void *)ex->label;
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++)
            blur_at(k, r, num + y * bw, den + y * bw, x, bw, 1, &tn[y * bw + x],
                    &tden[y * bw + x]);
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            float sn, sd;
            blur_at(k, r, tn + x, tden + x, y, bh, bw, &sn, &sd);
            v[y * bw + x] = sd > 1e-6f ? sn / sd : 0.0f;
        }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Per block: structure tensor of Sobel gradients, grey mean and deviation. */
static void block_stats(hs_finger_extractor *ex)
{
    int w = ex->w, h = ex->h, bw = ex->bw, pw = ex->pw;
    for (int by = 0; by < ex->bh; by++)
        for (int bx = 0; bx < bw; bx++) {
            float sxx = 0, syy = 0, sxy = 0, s1 = 0, s2 = 0;
            int x0 = bx * HS__FX_BLOCK, y0 = by * HS__FX_BLOCK;
            int x1 = x0 + HS__FX_BLOCK < w ? x0 + HS__FX_BLOCK : w;
            int y1 = y0 + HS__FX_BLOCK < h ? y0 + HS__FX_BLOCK : h;
            for (int y = y0; y < y1; y++) {
                const float *p = ex->img + hs__fx_pidx(ex, x0, y);
                for (int x = x0; x < x1; x++, p++) {
                    float gx = (p[-pw + 1] + 2.0f * p[1] + p[pw + 1]) -
                               (p[-pw - 1] + 2.0f * p[-1] + p[pw - 1]);
                    float gy = (p[pw - 1] + 2.0f * p[pw] + p[pw + 1]) -
                               (p[-pw - 1] + 2.0f * p[-pw] + p[-pw + 1]);
                    sxx += gx * gx;
                    syy += gy * gy;
                    sxy += gx * gy;
                    s1 += p[0];
                    s2 += p[0] * p[0];
                }
            }
            float n = (float)((x1 - x0) * (y1 - y0));
            int i = by * bw + bx;
            ex->b_a[i] = (sxx - syy) / n;
            ex->b_b[i] = 2.0f * sxy / n;
            ex->b_e[i] = (sxx + syy) / n;
            ex->b_energy[i] = ex->b_e[i];
            float mean = s1 / n, var = s2 / n - mean * mean;
            ex->b_mean[i] = mean;
            ex->b_std[i] = var > 0.0f ? sqrtf(var) : 0.0f;
        }
}

/* Orientation: tensor smoothed over ~1 block gives the coherence; the
 * doubled-angle unit vectors scaled by it are smoothed again, so reliable
 * blocks steer unreliable neighbours (creases, smudges). */
static void orientation(hs_finger_extractor *ex)
{
    int nb = ex->bw * ex->bh;
    smooth_blocks(ex, ex->b_a, NULL, 1.0f);
    smooth_blocks(ex, ex->b_b, NULL, 1.0f);
    smooth_blocks(ex, ex->b_e, NULL, 1.0f);
    for (int i = 0; i < nb; i++) {
        float a = ex->b_a[i], b = ex->b_b[i], e = ex->b_e[i];
        float m = sqrtf(a * a + b * b);
        float c = e > 1e-3f ? m / e : 0.0f;
        if (c > 1.0f) c = 1.0f;
        ex->b_coh[i] = c;
        ex->b_ox[i] = m > 1e-6f ? c * a / m : 0.0f;
        ex->b_oy[i] = m > 1e-6f ? c * b / m : 0.0f;
    }
    smooth_blocks(ex, ex->b_ox, NULL, 1.5f);
    smooth_blocks(ex, ex->b_oy, NULL, 1.5f);
}

/* Foreground: enough gradient energy and coherent ridges, cleaned by a
 * majority filter, kept to the main component(s), holes filled. */
static void clean_mask(hs_finger_extractor *ex);

static void segment(hs_finger_extractor *ex)
{
    int bw = ex->bw, bh = ex->bh, nb = bw * bh;
    float *es = ex->b_pw; /* scratch until the frequency stage */
    memcpy(es, ex->b_energy, (size_t)nb * sizeof *es);
    smooth_blocks(ex, es, NULL, 1.0f);
    float *sorted = ex->b_per; /* scratch */
    memcpy(sorted, es, (size_t)nb * sizeof *es);
    qsort(sorted, (size_t)nb, sizeof *sorted, cmp_float);
    float p90 = sorted[(nb * 9) / 10];
    float thr = 0.12f * p90;
    if (thr < 40.0f) thr = 40.0f; /* Sobel units: a few grey levels of contrast */
    uint8_t *m = ex->b_mask;
    for (int i = 0; i < nb; i++)
        m[i] = es[i] > thr && ex->b_coh[i] > 0.15f && ex->b_std[i] > 4.0f;
    clean_mask(ex);
}

/* Clean the block mask: majority filter, main component(s), holes filled;
 * then the foreground statistics. */
static void clean_mask(hs_finger_extractor *ex)
{
    int bw = ex->bw, bh = ex->bh, nb = bw * bh;
    float *sorted = ex->b_t1; /* scratch */
    uint8_t *m = ex->b_mask, *t = ex->b_m2;
    /* Majority filter, twice. */
    for (int pass = 0; pass < 2; pass++) {
        for (int y = 0; y < bh; y++)
            for (int x = 0; x < bw; x++) {
                int c = 0, n = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (xx < 0 || yy < 0 || xx >= bw || yy >= bh)
                            continue;
                        n++;
                        c += m[yy * bw + xx];
                    }
                t[y * bw + x] = 2 * c > n;
            }
        memcpy(m, t, (size_t)nb);
    }
    /* Connected components (8-neighbour) by flood fill with an explicit
     * stack in the label buffer; keep those of at least a third of the
     * largest. */
    int32_t *stack = ex->label;
    int32_t *comp = ex->label + nb;
    for (int i = 0; i < nb; i++)
        comp[i] = -1;
    int ncomp = 0, best = 0;
    int32_t *sizes = ex->label + 2 * nb;
    for (int i = 0; i < nb; i++) {
        if (!m[i] || comp[i] >= 0)
            continue;
        int sp = 0, size = 0;
        stack[sp++] = i;
        comp[i] = ncomp;
        while (sp) {
            int j = stack[--sp];
            size++;
            int jx = j % bw, jy = j / bw;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = jx + dx, yy = jy + dy;
                    if (xx < 0 || yy < 0 || xx >= bw || yy >= bh)
                        continue;
                    int k = yy * bw + xx;
                    if (m[k] && comp[k] < 0) {
                        comp[k] = ncomp;
                        stack[sp++] = k;
                    }
                }
        }
        sizes[ncomp] = size;
        if (size > best) best = size;
        ncomp++;
    }
    for (int i = 0; i < nb; i++)
        m[i] = comp[i] >= 0 && 3 * sizes[comp[i]] >= best;
    /* Fill holes: background not reachable from the border becomes
     * foreground (4-neighbour flood from the border). */
    for (int i = 0; i < nb; i++)
        t[i] = 0;
    int sp = 0;
    for (int i = 0; i < nb; i++) {
        int x = i % bw, y = i / bw;
        if ((x == 0 || y == 0 || x == bw - 1 || y == bh - 1) && !m[i]) {
            t[i] = 1;
            stack[sp++] = i;
        }
    }
    while (sp) {
        int j = stack[--sp];
        int jx = j % bw, jy = j / bw;
        static const int d4[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        for (int k = 0; k < 4; k++) {
            int xx = jx + d4[k][0], yy = jy + d4[k][1];
            if (xx < 0 || yy < 0 || xx >= bw || yy >= bh)
                continue;
            int q = yy * bw + xx;
            if (!m[q] && !t[q]) {
                t[q] = 1;
                stack[sp++] = q;
            }
        }
    }
    int fg = 0;
    float csum = 0.0f;
    for (int i = 0; i < nb; i++) {
        m[i] = !t[i];
        if (m[i]) {
            fg++;
            csum += ex->b_coh[i];
        }
    }
    ex->fg_blocks = fg;
    ex->mean_coh = fg ? csum / (float)fg : 0.0f;
    /* Median grey deviation of the foreground, the contrast reference. */
    int n = 0;
    for (int i = 0; i < nb; i++)
        if (m[i])
            sorted[n++] = ex->b_std[i];
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_float);
    ex->med_std = n ? sorted[n / 2] : 1.0f;
    if (ex->med_std < 1.0f) ex->med_std = 1.0f;
}

static void distance(hs_finger_extractor *ex);

/* Pixel mask from the block mask (bilinear, so edges are not blocky). */
static void pixel_mask(hs_finger_extractor *ex)
{
    int w = ex->w, h = ex->h, bw = ex->bw, bh = ex->bh;
    for (int y = 0; y < h; y++) {
        int y0, y1;
        float ay = hs__fx_block_pos((float)y, bh, &y0, &y1);
        for (int x = 0; x < w; x++) {
            int x0, x1;
            float ax = hs__fx_block_pos((float)x, bw, &x0, &x1);
            const uint8_t *m = ex->b_mask;
            uint8_t v00 = m[y0 * bw + x0];
            if (v00 == m[y0 * bw + x1] && v00 == m[y1 * bw + x0] && v00 == m[y1 * bw + x1]) {
                ex->mask[y * w + x] = v00; /* inside a uniform 2x2 of blocks */
                continue;
            }
            float top = m[y0 * bw + x0] + ax * (float)(m[y0 * bw + x1] - m[y0 * bw + x0]);
            float bot = m[y1 * bw + x0] + ax * (float)(m[y1 * bw + x1] - m[y1 * bw + x0]);
            ex->mask[y * w + x] = top + ay * (bot - top) >= 0.5f;
        }
    }
}

/* Chamfer 3-4 distance of every pixel to the background or image edge, in
 * thirds of a pixel, then to pixels (clipped at 255). */
static void distance(hs_finger_extractor *ex)
{
    int w = ex->w, h = ex->h;
    int32_t *d = ex->label;
    const int32_t big = 3 * 255;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int i = y * w + x;
            if (!ex->mask[i] || x == 0 || y == 0 || x == w - 1 || y == h - 1) {
                d[i] = ex->mask[i] ? 3 : 0;
                continue;
            }
            int32_t v = big;
            if (d[i - 1] + 3 < v) v = d[i - 1] + 3;
            if (d[i - w] + 3 < v) v = d[i - w] + 3;
            if (d[i - w - 1] + 4 < v) v = d[i - w - 1] + 4;
            if (d[i - w + 1] + 4 < v) v = d[i - w + 1] + 4;
            d[i] = v;
        }
    for (int y = h - 2; y >= 1; y--)
        for (int x = w - 2; x >= 1; x--) {
            int i = y * w + x;
            int32_t v = d[i];
            if (!v)
                continue;
            if (d[i + 1] + 3 < v) v = d[i + 1] + 3;
            if (d[i + w] + 3 < v) v = d[i + w] + 3;
            if (d[i + w + 1] + 4 < v) v = d[i + w + 1] + 4;
            if (d[i + w - 1] + 4 < v) v = d[i + w - 1] + 4;
            d[i] = v;
        }
    for (int i = 0; i < w * h; i++) {
        int32_t v = d[i] / 3;
        ex->dist[i] = (uint8_t)(v > 255 ? 255 : v);
    }
}

/* Robust local period: on each foreground block, the confidence-weighted
 * median of the periods measured within MED_R blocks (a histogram of
 * MED_STEP bins), so that a few blocks whose signature locked onto a wrong
 * period (dashes and pores of dry prints, creases, half or double the true
 * period) do not pull the field as a mean does; then a light smoothing
 * (sigma 1.25 blocks) for continuity. Blocks with no measurement within
 * MED_R get no weight in that smoothing. */
static void period_median(hs_finger_extractor *ex, float *per, const float *conf)
{
    int bw = ex->bw, bh = ex->bh, nb = bw * bh;
    float *med = ex->b_a, *has = ex->b_b; /* free after the orientation */
    float hist[MED_N];
    memset(hist, 0, sizeof hist);
    int rxs[2 * MED_R + 1]; /* half-width of the disc's row at dy = index - MED_R */
    for (int dy = -MED_R; dy <= MED_R; dy++) {
        int rx = 0;
        while ((rx + 1) * (rx + 1) + dy * dy <= MED_R * MED_R)
            rx++;
        rxs[dy + MED_R] = rx;
    }
    for (int by = 0; by < bh; by++)
        for (int bx = 0; bx < bw; bx++) {
            int i = by * bw + bx;
            med[i] = 0.0f;
            has[i] = 0.0f;
            if (!ex->b_mask[i])
                continue;
            int hmin = MED_N, hmax = -1;
            float tot = 0.0f;
            int ylo = by - MED_R < 0 ? 0 : by - MED_R;
            int yhi = by + MED_R >= bh ? bh - 1 : by + MED_R;
            for (int yy = ylo; yy <= yhi; yy++) {
                int rx = rxs[yy - by + MED_R];
                int xlo = bx - rx < 0 ? 0 : bx - rx, xhi = bx + rx >= bw ? bw - 1 : bx + rx;
                for (int xx = xlo; xx <= xhi; xx++) {
                    int j = yy * bw + xx;
                    if (conf[j] <= 0.0f)
                        continue;
                    int hb = (int)((per[j] - HS__FX_PER_MIN) * (1.0f / MED_STEP) + 0.5f);
                    if (hb < 0) hb = 0;
                    if (hb > MED_N - 1) hb = MED_N - 1;
                    hist[hb] += conf[j];
                    tot += conf[j];
                    if (hb < hmin) hmin = hb;
                    if (hb > hmax) hmax = hb;
                }
            }
            if (hmax < 0)
                continue;
            float acc = 0.0f;
            int k = hmin;
            for (; k < hmax; k++) {
                acc += hist[k];
                if (acc >= 0.5f * tot)
                    break;
            }
            med[i] = HS__FX_PER_MIN + MED_STEP * (float)k;
            has[i] = 1.0f;
            memset(hist + hmin, 0, (size_t)(hmax - hmin + 1) * sizeof *hist);
        }
    memcpy(per, med, (size_t)nb * sizeof *per);
    smooth_blocks(ex, per, has, 1.25f);
}

/* Ridge period per block from the spectrum of an oriented signature: grey
 * levels averaged along the ridges, sampled across them, Hann-windowed and
 * evaluated at each candidate period. Measured on every foreground block
 * (every other block until 2026-12-06: the local median below needs the
 * samples), then spread by period_median. */
static void frequency(hs_finger_extractor *ex)
{
    int bw = ex->bw, bh = ex->bh, nb = bw * bh, pw = ex->pw;
    float cs[HS__FX_NPER][SIG_N], sn[HS__FX_NPER][SIG_N], win[SIG_N];
    float wsum = 0.0f, w2sum = 0.0f;
    for (int k = 0; k < SIG_N; k++) {
        win[k] = 0.5f - 0.5f * cosf(TWO_PI_F * ((float)k + 0.5f) / SIG_N);
        wsum += win[k];
        w2sum += win[k] * win[k];
    }
    float rmax = wsum * wsum / (2.0f * w2sum);
    for (int p = 0; p < HS__FX_NPER; p++) {
        float per = HS__FX_PER_MIN + HS__FX_PER_STEP * (float)p;
        for (int k = 0; k < SIG_N; k++) {
            cs[p][k] = win[k] * cosf(TWO_PI_F * (float)k / per);
            sn[p][k] = win[k] * sinf(TWO_PI_F * (float)k / per);
        }
    }
    float *per = ex->b_per, *conf = ex->b_pw;
    int lo = -HS__FX_PAD, hix = ex->w + HS__FX_PAD - 1, hiy = ex->h + HS__FX_PAD - 1;
    for (int i = 0; i < nb; i++) {
        per[i] = 0.0f;
        conf[i] = 0.0f;
    }
    for (int by = 0; by < bh; by++)
        for (int bx = 0; bx < bw; bx++) {
            int i = by * bw + bx;
            if (!ex->b_mask[i])
                continue;
            float ox = ex->b_ox[i], oy = ex->b_oy[i];
            float phi = 0.5f * atan2f(oy, ox); /* gradient (across-ridge) angle */
            float nx = cosf(phi), ny = sinf(phi), tx = -ny, ty = nx;
            float cx = (float)bx * HS__FX_BLOCK + 0.5f * HS__FX_BLOCK - 0.5f;
            float cy = (float)by * HS__FX_BLOCK + 0.5f * HS__FX_BLOCK - 0.5f;
            /* Samples reach at most 16.5 px from the centre: only blocks at
             * the right and bottom edges can leave the padding. */
            int edge = cx + 17.0f > (float)hix || cy + 17.0f > (float)hiy;
            float sig[SIG_N], mean = 0.0f;
            for (int k = 0; k < SIG_N; k++) {
                float u = (float)k - 0.5f * SIG_N + 0.5f, acc = 0.0f;
                /* Rounding by +64.5 and truncation (coordinates are above
                 * -17): no lrintf call in the inner loop. */
                float ux = cx + u * nx + 64.5f, uy = cy + u * ny + 64.5f;
                for (int j = 0; j < SIG_M; j++) {
                    float v = (float)j - 0.5f * SIG_M + 0.5f;
                    int x = (int)(ux + v * tx) - 64;
                    int y = (int)(uy + v * ty) - 64;
                    if (edge) {
                        if (x < lo) x = lo;
                        if (x > hix) x = hix;
                        if (y < lo) y = lo;
                        if (y > hiy) y = hiy;
                    }
                    acc += ex->img[(y + HS__FX_PAD) * pw + x + HS__FX_PAD];
                }
                sig[k] = acc / SIG_M;
                mean += sig[k];
            }
            mean /= SIG_N;
            float energy = 0.0f;
            for (int k = 0; k < SIG_N; k++) {
                sig[k] -= mean;
                energy += win[k] * win[k] * sig[k] * sig[k];
            }
            if (energy < 1e-3f)
                continue;
            float pow_[HS__FX_NPER];
            int best = 0;
            for (int p = 0; p < HS__FX_NPER; p++) {
                float re = 0.0f, im = 0.0f;
                for (int k = 0; k < SIG_N; k++) {
                    re += cs[p][k] * sig[k];
                    im += sn[p][k] * sig[k];
                }
                pow_[p] = re * re + im * im;
                if (pow_[p] > pow_[best])
                    best = p;
            }
            float off = 0.0f;
            if (best > 0 && best < HS__FX_NPER - 1) {
                float a = pow_[best - 1], b = pow_[best], c = pow_[best + 1];
                float den = a - 2.0f * b + c;
                if (den < 0.0f)
                    off = 0.5f * (a - c) / den;
            }
            float c = pow_[best] / (energy * rmax);
            if (c > 1.0f) c = 1.0f;
            if (c < 0.2f || best == 0 || best == HS__FX_NPER - 1)
                continue;
            per[i] = HS__FX_PER_MIN + HS__FX_PER_STEP * ((float)best + off);
            conf[i] = c * c;
        }
    /* Global fallback: confidence-weighted mean period. */
    float sp = 0.0f, sc = 0.0f;
    for (int i = 0; i < nb; i++) {
        sp += conf[i] * per[i];
        sc += conf[i];
    }
    float gper = sc > 0.0f ? sp / sc : 9.0f;
    ex->mean_per = gper;
    period_median(ex, per, conf);
    /* Where nothing was measured nearby, use the global period. */
    for (int i = 0; i < nb; i++) {
        if (per[i] < HS__FX_PER_MIN) per[i] = gper;
        if (per[i] < HS__FX_PER_MIN) per[i] = HS__FX_PER_MIN;
        float pmax = HS__FX_PER_MIN + HS__FX_PER_STEP * (HS__FX_NPER - 1);
        if (per[i] > pmax) per[i] = pmax;
    }
}

/* Bilinear sample of a block field at working pixel (x, y). */
static float block_at(const hs_finger_extractor *ex, const float *f, float x, float y)
{
    int x0, x1, y0, y1;
    float ax = hs__fx_block_pos(x, ex->bw, &x0, &x1);
    float ay = hs__fx_block_pos(y, ex->bh, &y0, &y1);
    int bw = ex->bw;
    float top = f[y0 * bw + x0] + ax * (f[y0 * bw + x1] - f[y0 * bw + x0]);
    float bot = f[y1 * bw + x0] + ax * (f[y1 * bw + x1] - f[y1 * bw + x0]);
    return top + ay * (bot - top);
}

/* Orientation and period bins of each 4x4 cell for the enhancement. */
static void cells(hs_finger_extractor *ex)
{
    for (int cy = 0; cy < ex->ch; cy++)
        for (int cx = 0; cx < ex->cw; cx++) {
            float x = (float)cx * HS__FX_CELL + 1.5f, y = (float)cy * HS__FX_CELL + 1.5f;
            float ox = block_at(ex, ex->b_ox, x, y), oy = block_at(ex, ex->b_oy, x, y);
            float phi = 0.5f * atan2f(oy, ox); /* across-ridge angle, (-pi/2, pi/2] */
            if (phi < 0.0f) phi += PI_F;
            int ob = (int)lrintf(phi * HS__FX_NORI / PI_F) % HS__FX_NORI;
            float per = block_at(ex, ex->b_per, x, y);
            int pb = (int)lrintf((per - HS__FX_PER_MIN) / HS__FX_PER_STEP);
            if (pb < 0) pb = 0;
            if (pb > HS__FX_NPER - 1) pb = HS__FX_NPER - 1;
            /* Long smoothing along fairly straight ridges only: it would
             * blur curved ones (cores, deltas). The bar is moderate (0.5,
             * was 0.7): the broken ridges of dry prints lower the coherence
             * of straight ridges too, and those breaks are what the long
             * smoothing bridges. */
            float coh = block_at(ex, ex->b_coh, x, y);
            if (coh > 0.5f)
                ob |= 128;
            ex->cell_ori[cy * ex->cw + cx] = (uint8_t)ob;
            ex->cell_per[cy * ex->cw + cx] = (uint8_t)pb;
        }
}

/* Quality-aware segmentation: a foreground block is dropped when almost no
 * block around it has a ridge period (the signature's share of energy at
 * its best period, 0 where below the 0.2 bar, averaged over the
 * foreground with sigma 1.5 blocks, is below 0.075). Coherent but
 * aperiodic areas end here: the bright edge of a sensor window, smudges,
 * a single crease, where the enhancement would otherwise draw ridges
 * along the smoothed orientation. Returns whether any block was dropped. */
static int drop_aperiodic(hs_finger_extractor *ex)
{
    int nb = ex->bw * ex->bh, drop = 0;
    float *q = ex->b_a, *ind = ex->b_b; /* free after the frequency stage */
    for (int i = 0; i < nb; i++) {
        q[i] = ex->b_mask[i] ? sqrtf(ex->b_pw[i]) : 0.0f;
        ind[i] = ex->b_mask[i] ? 1.0f : 0.0f;
    }
    smooth_blocks(ex, q, ind, 1.5f);
    for (int i = 0; i < nb; i++)
        if (ex->b_mask[i] && q[i] < 0.075f) {
            ex->b_mask[i] = 0;
            drop = 1;
        }
    return drop;
}

static void debug_fields(hs_finger_extractor *ex)
{
    int w = ex->w, h = ex->h, bw = ex->bw;
    uint8_t *d = ex->dbg;
    /* Normalised: each block to zero mean, unit deviation. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v = ex->img[hs__fx_pidx(ex, x, y)];
            float z = 128.0f + 45.0f * (v - 128.0f) / ex->med_std;
            d[y * w + x] = (uint8_t)(z < 0.0f ? 0 : z > 255.0f ? 255 : z);
        }
    hs__fx_debug(ex, "normalised", d);
    for (int i = 0; i < w * h; i++) {
        float v = ex->img[hs__fx_pidx(ex, i % w, i / w)];
        d[i] = ex->mask[i] ? (uint8_t)(v > 255.0f ? 255 : v < 0.0f ? 0 : v)
                           : (uint8_t)(v * 0.25f);
    }
    hs__fx_debug(ex, "mask", d);
    /* Orientation: a short line per foreground block over a dimmed image. */
    for (int i = 0; i < w * h; i++)
        d[i] = (uint8_t)(ex->mask[i] ? 200 : 120);
    for (int by = 0; by < ex->bh; by++)
        for (int bx = 0; bx < bw; bx++) {
            int i = by * bw + bx;
            if (!ex->b_mask[i])
                continue;
            float phi = 0.5f * atan2f(ex->b_oy[i], ex->b_ox[i]) + 0.5f * PI_F;
            float tx = cosf(phi), ty = sinf(phi);
            float cx = (float)bx * HS__FX_BLOCK + 3.5f, cy = (float)by * HS__FX_BLOCK + 3.5f;
            for (int k = -3; k <= 3; k++) {
                int x = (int)lrintf(cx + (float)k * tx), y = (int)lrintf(cy + (float)k * ty);
                if (x >= 0 && y >= 0 && x < w && y < h)
                    d[y * w + x] = 0;
            }
        }
    hs__fx_debug(ex, "orientation", d);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int b = (y / HS__FX_BLOCK) * bw + x / HS__FX_BLOCK;
            float v = (ex->b_per[b] - HS__FX_PER_MIN) * 255.0f / (HS__FX_PER_STEP * (HS__FX_NPER - 1));
            d[y * w + x] = ex->b_mask[b] ? (uint8_t)(v < 0.0f ? 0 : v > 255.0f ? 255 : v) : 0;
        }
    hs__fx_debug(ex, "frequency", d);
}

/* Wet blobs: areas of a wet or over-inked print where the ridges have run
 * together into dark patches and no valley is left. The enhancement would
 * draw ridges through them along the smoothed orientation, and the minutiae
 * it finds there are the print's most misleading ones (docs/accuracy.md,
 * issue 20, fifth and sixth rounds). A foreground pixel is a blob pixel when
 * no grey level within BLOB_R px (a square) rises above the local mean (the
 * smoothed block mean of the enhancement's normalisation): no valley
 * anywhere near. Blob pixels whose 4-connected component holds at least
 * BLOB_AREA pixels leave the pixel mask. The distance to the background is
 * computed after this, so that the border rules of the minutiae stage also
 * drop what the blob edges would create. */
static void wet_blobs(hs_finger_extractor *ex)
{
    const int R = BLOB_R;
    int w = ex->w, h = ex->h, bw = ex->bw, bh = ex->bh;
    uint8_t *bl = ex->dbg; /* 1 blob, 2 visited; free until the debug pictures */
    /* Bounding box of the mask, from the block mask (a pixel is foreground
     * only next to a foreground block): nothing outside it can be a blob. */
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int by = 0; by < bh; by++)
        for (int bx = 0; bx < bw; bx++)
            if (ex->b_mask[by * bw + bx]) {
                int ax = (bx - 1) * HS__FX_BLOCK, ay = (by - 1) * HS__FX_BLOCK;
                if (ax < x0) x0 = ax;
                if (ay < y0) y0 = ay;
                if (ax + 3 * HS__FX_BLOCK > x1) x1 = ax + 3 * HS__FX_BLOCK;
                if (ay + 3 * HS__FX_BLOCK > y1) y1 = ay + 3 * HS__FX_BLOCK;
            }
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > w - 1 ? w - 1 : x1;
    y1 = y1 > h - 1 ? h - 1 : y1;
    memset(bl, 0, (size_t)w * (size_t)h);
    if (x1 < 0)
        return;
    /* Row maxima over [x - R, x + R] (edges clipped) in tmp, free until the
     * enhancement, for the rows the vertical pass reads; then the column
     * maxima of those, row by row, in enh (also free). Fixed-length inner
     * loops, which the compiler vectorises. */
    int ry0 = y0 - R < 0 ? 0 : y0 - R, ry1 = y1 + R > h - 1 ? h - 1 : y1 + R;
    for (int y = ry0; y <= ry1; y++) {
        float *src = ex->img + hs__fx_pidx(ex, 0, y);
        float *dst = ex->tmp + hs__fx_pidx(ex, 0, y);
        /* the padding (HS__FX_PAD >= R px each side) replicates the edge
         * pixels, which a clipped window holds anyway */
        for (int x = x0; x <= x1; x++) {
            float m = src[x - R];
            for (int k = -R + 1; k <= R; k++)
                m = src[x + k] > m ? src[x + k] : m;
            dst[x] = m;
        }
    }
    float *vm = ex->enh + hs__fx_pidx(ex, 0, 0);
    for (int y = y0; y <= y1; y++) {
        int a = y - R < 0 ? 0 : y - R, b = y + R > h - 1 ? h - 1 : y + R;
        memcpy(vm + x0, ex->tmp + hs__fx_pidx(ex, x0, a), (size_t)(x1 - x0 + 1) * sizeof *vm);
        for (int k = a + 1; k <= b; k++) {
            const float *r = ex->tmp + hs__fx_pidx(ex, 0, k);
            for (int x = x0; x <= x1; x++)
                vm[x] = r[x] > vm[x] ? r[x] : vm[x];
        }
        int by0, by1;
        float ay = hs__fx_block_pos((float)y, bh, &by0, &by1);
        const float *m0 = ex->b_mean + by0 * bw, *m1 = ex->b_mean + by1 * bw;
        for (int x = x0; x <= x1; x++) {
            if (!ex->mask[y * w + x])
                continue;
            int bx0, bx1;
            float ax = hs__fx_block_pos((float)x, bw, &bx0, &bx1);
            float mt = m0[bx0] + ax * (m0[bx1] - m0[bx0]);
            float mb = m1[bx0] + ax * (m1[bx1] - m1[bx0]);
            bl[y * w + x] = vm[x] < mt + ay * (mb - mt);
        }
    }
    /* 4-connected components, breadth first; the queue (label, free here)
     * ends up holding the component's pixels. */
    int32_t *q = ex->label;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            int i = y * w + x;
            if (bl[i] != 1)
                continue;
            int head = 0, tail = 0;
            q[tail++] = i;
            bl[i] = 2;
            while (head < tail) {
                int j = q[head++], jx = j % w, jy = j / w;
                int nb4[4] = {jx > 0 ? j - 1 : -1, jx < w - 1 ? j + 1 : -1, jy > 0 ? j - w : -1,
                              jy < h - 1 ? j + w : -1};
                for (int k = 0; k < 4; k++)
                    if (nb4[k] >= 0 && bl[nb4[k]] == 1) {
                        bl[nb4[k]] = 2;
                        q[tail++] = nb4[k];
                    }
            }
            if (tail >= BLOB_AREA) {
                for (int k = 0; k < tail; k++)
                    ex->mask[q[k]] = 0;
            }
        }
}

void hs__fx_fields(hs_finger_extractor *ex)
{
    block_stats(ex);
    orientation(ex);
    segment(ex);
    if (ex->fg_blocks == 0)
        return;
    pixel_mask(ex);
    frequency(ex);
    if (drop_aperiodic(ex)) {
        clean_mask(ex);
        if (ex->fg_blocks == 0)
            return;
        pixel_mask(ex);
    }
    /* Local grey statistics for the normalisation before enhancement. */
    memcpy(ex->b_lstd, ex->b_std, (size_t)ex->bw * (size_t)ex->bh * sizeof(float));
    smooth_blocks(ex, ex->b_lstd, NULL, 2.0f);
    smooth_blocks(ex, ex->b_mean, NULL, 2.0f);
    wet_blobs(ex);
    distance(ex); /* from the final mask: only the minutiae stage reads it */
    cells(ex);
    if (HS__FX_DEBUGGING(ex))
        debug_fields(ex);
}
