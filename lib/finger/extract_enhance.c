/* Fingerprint extraction, middle stages: contextual enhancement with
 * oriented 1-D filters (a Gaussian along the ridges, then a Gabor profile
 * across them, tuned to the local period), binarisation and thinning. */
#include "internal/finger.h"

#include <math.h>
#include <string.h>

#define PI_F 3.14159265358979f
#define TWO_PI_F 6.28318530717959f
#define SIGMA_ALONG 4.0f
#define SIGMA_ALONG_LONG 6.0f
#define SIGMA_ACROSS_PER_PERIOD 0.5f

/* Filter taps for each orientation bin (and period bin across): nearest-
 * pixel offsets along a line, weights computed from each offset's exact
 * projection so the sampled kernels stay faithful. */
static void build_tables(hs_finger_extractor *ex)
{
    int pw = ex->pw;
    for (int o = 0; o < HS__FX_NORI; o++) {
        float phi = (float)o * PI_F / HS__FX_NORI; /* across-ridge direction */
        float nx = cosf(phi), ny = sinf(phi), tx = -ny, ty = nx;
        for (int len = 0; len < 2; len++) {
            float sa = len ? SIGMA_ALONG_LONG : SIGMA_ALONG, sum = 0.0f;
            for (int k = -HS__FX_ALONG_R; k <= HS__FX_ALONG_R; k++) {
                int dx = (int)lrintf((float)k * tx), dy = (int)lrintf((float)k * ty);
                float along = (float)dx * tx + (float)dy * ty;
                float off = (float)dx * nx + (float)dy * ny;
                float wgt = expf(-along * along / (2.0f * sa * sa) - off * off / (2.0f * 0.6f * 0.6f));
                ex->off_along[o][k + HS__FX_ALONG_R] = dy * pw + dx;
                ex->w_along[len][o][k + HS__FX_ALONG_R] = wgt;
                sum += wgt;
            }
            for (int k = 0; k < 2 * HS__FX_ALONG_R + 1; k++)
                ex->w_along[len][o][k] /= sum;
        }
        float u[2 * HS__FX_ACROSS_R + 1];
        for (int k = -HS__FX_ACROSS_R; k <= HS__FX_ACROSS_R; k++) {
            int dx = (int)lrintf((float)k * nx), dy = (int)lrintf((float)k * ny);
            ex->off_across[o][k + HS__FX_ACROSS_R] = dy * pw + dx;
            u[k + HS__FX_ACROSS_R] = (float)dx * nx + (float)dy * ny;
        }
        for (int p = 0; p < HS__FX_NPER; p++) {
            float per = HS__FX_PER_MIN + HS__FX_PER_STEP * (float)p;
            float sg = SIGMA_ACROSS_PER_PERIOD * per;
            float *wv = ex->w_across[o][p];
            float env[2 * HS__FX_ACROSS_R + 1], se = 0.0f, sw = 0.0f;
            for (int k = 0; k < 2 * HS__FX_ACROSS_R + 1; k++) {
                env[k] = expf(-u[k] * u[k] / (2.0f * sg * sg));
                wv[k] = env[k] * cosf(TWO_PI_F * u[k] / per);
                se += env[k];
                sw += wv[k];
            }
            /* Zero DC: remove a scaled envelope. */
            float gain = 0.0f;
            for (int k = 0; k < 2 * HS__FX_ACROSS_R + 1; k++) {
                wv[k] -= env[k] * sw / se;
                gain += wv[k] * cosf(TWO_PI_F * u[k] / per);
            }
            if (gain > 1e-6f)
                for (int k = 0; k < 2 * HS__FX_ACROSS_R + 1; k++)
                    wv[k] /= gain;
        }
    }
    ex->tab_pw = pw;
}

/* One oriented filter at p: n taps of weights wt at offsets off. */
static inline float filter_at(const float *p, const int32_t *off, const float *wt, int n)
{
    float acc = 0.0f;
    for (int k = 0; k < n; k++)
        acc += wt[k] * p[off[k]];
    return acc;
}

static void replicate_pad(hs_finger_extractor *ex, float *f)
{
    int w = ex->w, h = ex->h, pw = ex->pw;
    for (int y = 0; y < h; y++) {
        float *row = f + hs__fx_pidx(ex, 0, y);
        for (int k = 1; k <= HS__FX_PAD; k++) {
            row[-k] = row[0];
            row[w - 1 + k] = row[w - 1];
        }
    }
    float *first = f + (size_t)HS__FX_PAD * (size_t)pw;
    float *last = f + (size_t)(HS__FX_PAD + h - 1) * (size_t)pw;
    for (int k = 0; k < HS__FX_PAD; k++) {
        memcpy(f + (size_t)k * (size_t)pw, first, (size_t)pw * sizeof(float));
        memcpy(f + (size_t)(HS__FX_PAD + h + k) * (size_t)pw, last, (size_t)pw * sizeof(float));
    }
}

void hs__fx_enhance(hs_finger_extractor *ex)
{
    if (ex->tab_pw != ex->pw)
        build_tables(ex);
    int w = ex->w, h = ex->h, cw = ex->cw;
    /* Bounding box of the mask, grown by the across-filter reach. */
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (ex->mask[y * w + x]) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
    int g = HS__FX_ACROSS_R + 1;
    /* Mask extent of each row (x0, x1; x1 < 0 when empty), in the label
     * buffer, free during enhancement. */
    int32_t *span = ex->label;
    for (int y = 0; y < h; y++) {
        int a = -1, b = -1;
        const uint8_t *m = ex->mask + y * w;
        for (int x = 0; x < w; x++)
            if (m[x]) {
                if (a < 0) a = x;
                b = x;
            }
        span[2 * y] = a;
        span[2 * y + 1] = b;
    }
    x0 = x0 - g < 0 ? 0 : x0 - g;
    y0 = y0 - g < 0 ? 0 : y0 - g;
    x1 = x1 + g > w - 1 ? w - 1 : x1 + g;
    y1 = y1 + g > h - 1 ? h - 1 : y1 + g;
    /* Local normalisation: zero mean, unit deviation from the smoothed block
     * statistics, so faint and dark ridge fragments weigh alike (dry and
     * wet prints). Written to enh, which the across pass rewrites later. */
    float floor_ = 0.15f * ex->med_std;
    for (int y = 0; y < h; y++) {
        int by0, by1;
        float ay = hs__fx_block_pos((float)y, ex->bh, &by0, &by1);
        const float *m0 = ex->b_mean + by0 * ex->bw, *m1 = ex->b_mean + by1 * ex->bw;
        const float *s0 = ex->b_lstd + by0 * ex->bw, *s1 = ex->b_lstd + by1 * ex->bw;
        const float *src = ex->img + hs__fx_pidx(ex, 0, y);
        float *dst = ex->enh + hs__fx_pidx(ex, 0, y);
        for (int x = 0; x < w; x++) {
            int bx0, bx1;
            float ax = hs__fx_block_pos((float)x, ex->bw, &bx0, &bx1);
            float mt = m0[bx0] + ax * (m0[bx1] - m0[bx0]);
            float mb = m1[bx0] + ax * (m1[bx1] - m1[bx0]);
            float st = s0[bx0] + ax * (s0[bx1] - s0[bx0]);
            float sb = s1[bx0] + ax * (s1[bx1] - s1[bx0]);
            float mean = mt + ay * (mb - mt), sd = st + ay * (sb - st);
            if (sd < floor_) sd = floor_;
            dst[x] = (src[x] - mean) / sd;
        }
    }
    replicate_pad(ex, ex->enh);
    const float *in = ex->enh;
    /* Outside the box the along pass just copies (the across pass never
     * reads there except through the padding). */
    for (int y = 0; y < h; y++) {
        float *dst = ex->tmp + hs__fx_pidx(ex, 0, y);
        const float *src = in + hs__fx_pidx(ex, 0, y);
        if (y < y0 || y > y1) {
            memcpy(dst, src, (size_t)w * sizeof(float));
            continue;
        }
        /* The across pass reads this row only within g of the mask rows
         * around it. */
        int sx0 = w, sx1 = -1;
        for (int yy = y - g; yy <= y + g; yy++) {
            if (yy < 0 || yy >= h || span[2 * yy + 1] < 0)
                continue;
            if (span[2 * yy] < sx0) sx0 = span[2 * yy];
            if (span[2 * yy + 1] > sx1) sx1 = span[2 * yy + 1];
        }
        sx0 = sx0 - g < x0 ? x0 : sx0 - g;
        sx1 = sx1 + g > x1 ? x1 : sx1 + g;
        for (int x = 0; x < sx0; x++)
            dst[x] = src[x];
        for (int x = sx1 + 1; x < w; x++)
            dst[x] = src[x];
        const uint8_t *co = ex->cell_ori + (y / HS__FX_CELL) * cw;
        for (int x = sx0; x <= sx1; x++) {
            int o = co[x / HS__FX_CELL] & 127, len = co[x / HS__FX_CELL] >> 7;
            dst[x] = filter_at(src + x, ex->off_along[o], ex->w_along[len][o],
                               2 * HS__FX_ALONG_R + 1);
        }
    }
    replicate_pad(ex, ex->tmp);
    int sw = w + 2;
    memset(ex->skel, 0, (size_t)sw * (size_t)(h + 2));
    for (int y = 0; y < h; y++) {
        float *dst = ex->enh + hs__fx_pidx(ex, 0, y);
        const float *src = ex->tmp + hs__fx_pidx(ex, 0, y);
        const uint8_t *co = ex->cell_ori + (y / HS__FX_CELL) * cw;
        const uint8_t *cp = ex->cell_per + (y / HS__FX_CELL) * cw;
        const uint8_t *m = ex->mask + y * w;
        uint8_t *b = ex->skel + (y + 1) * sw + 1;
        for (int x = 0; x < w; x++) {
            if (!m[x]) {
                dst[x] = 0.0f;
                continue;
            }
            int o = co[x / HS__FX_CELL] & 127, pb = cp[x / HS__FX_CELL];
            float acc = filter_at(src + x, ex->off_across[o], ex->w_across[o][pb],
                                  2 * HS__FX_ACROSS_R + 1);
            dst[x] = acc;
            b[x] = acc < 0.0f; /* ridges are dark */
        }
    }
    if (HS__FX_DEBUGGING(ex)) {
        float sc = 60.0f; /* enh is in units of the local deviation */
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float v = 128.0f + sc * ex->enh[hs__fx_pidx(ex, x, y)];
                ex->dbg[y * w + x] = (uint8_t)(v < 0.0f ? 0 : v > 255.0f ? 255 : v);
            }
        hs__fx_debug(ex, "enhanced", ex->dbg);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                ex->dbg[y * w + x] = ex->skel[(y + 1) * sw + x + 1] ? 0 : 255;
        hs__fx_debug(ex, "binary", ex->dbg);
    }
}

/* ---- Thinning ------------------------------------------------------------ */

/* Neighbour code: bit 0 N, 1 NE, 2 E, 3 SE, 4 S, 5 SW, 6 W, 7 NW. */
static unsigned ncode(const uint8_t *p, int sw)
{
    return (unsigned)((p[-sw] != 0) | (p[-sw + 1] != 0) << 1 | (p[1] != 0) << 2 |
                      (p[sw + 1] != 0) << 3 | (p[sw] != 0) << 4 | (p[sw - 1] != 0) << 5 |
                      (p[-1] != 0) << 6 | (p[-sw - 1] != 0) << 7);
}

static int bit(unsigned c, int i)
{
    return (int)((c >> (i & 7)) & 1u);
}

/* Zhang-Suen deletability for sub-iteration 0 and 1. */
static int zs_del(unsigned c, int sub)
{
    int b = 0, a = 0;
    for (int i = 0; i < 8; i++) {
        b += bit(c, i);
        a += !bit(c, i) && bit(c, i + 1);
    }
    if (b < 2 || b > 6 || a != 1)
        return 0;
    int n = bit(c, 0), e = bit(c, 2), s = bit(c, 4), wv = bit(c, 6);
    if (sub == 0)
        return !(n && e && s) && !(e && s && wv);
    return !(n && e && wv) && !(n && s && wv);
}

/* 8-connectivity number (Yokoi): 1 for a simple point. */
static int yokoi8(unsigned c)
{
    /* Ring starting at E going counter-clockwise: E NE N NW W SW S SE. */
    static const int ring[8] = {2, 1, 0, 7, 6, 5, 4, 3};
    int x[9];
    for (int i = 0; i < 8; i++)
        x[i] = !bit(c, ring[i]);
    x[8] = x[0];
    int n = 0;
    for (int k = 0; k < 8; k += 2)
        n += x[k] - x[k] * x[(k + 1) & 7] * x[(k + 2) & 7];
    return n;
}

void hs__fx_thin(hs_finger_extractor *ex)
{
    int w = ex->w, h = ex->h, sw = w + 2;
    uint8_t lut[2][256], corner[256];
    for (unsigned c = 0; c < 256; c++) {
        lut[0][c] = (uint8_t)zs_del(c, 0);
        lut[1][c] = (uint8_t)zs_del(c, 1);
        int cnt = 0;
        for (int i = 0; i < 8; i++)
            cnt += bit(c, i);
        int n = bit(c, 0), e = bit(c, 2), s = bit(c, 4), wv = bit(c, 6);
        int perp = (n && e) || (e && s) || (s && wv) || (wv && n);
        corner[c] = (uint8_t)(cnt >= 2 && perp && yokoi8(c) == 1);
    }
    /* Active list of set pixels (indices into skel), in the label buffer. */
    int32_t *list = ex->label;
    int n = 0;
    for (int y = 1; y <= h; y++)
        for (int x = 1; x <= w; x++)
            if (ex->skel[y * sw + x])
                list[n++] = y * sw + x;
    uint8_t *sk = ex->skel;
    for (int iter = 0; iter < 64; iter++) {
        int changed = 0;
        for (int sub = 0; sub < 2; sub++) {
            /* Mark (value 2) then delete, so each sub-iteration is parallel. */
            for (int i = 0; i < n; i++) {
                int p = list[i];
                if (lut[sub][ncode(sk + p, sw)])
                    sk[p] = 2;
            }
            int m = 0;
            for (int i = 0; i < n; i++) {
                int p = list[i];
                if (sk[p] == 2) {
                    sk[p] = 0;
                    changed++;
                } else {
                    list[m++] = p;
                }
            }
            n = m;
        }
        if (!changed)
            break;
    }
    /* Remove staircase corners so every ridge is 8-connected and one pixel
     * wide (crossing numbers are then exact). */
    for (int i = 0; i < n; i++) {
        int p = list[i];
        if (sk[p] && corner[ncode(sk + p, sw)])
            sk[p] = 0;
    }
    if (HS__FX_DEBUGGING(ex)) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                ex->dbg[y * w + x] = sk[(y + 1) * sw + x + 1] ? 0 : 255;
        hs__fx_debug(ex, "skeleton", ex->dbg);
    }
}
