/* Fingerprint minutiae extraction: the public API, parameters, scratch
 * memory, resampling to the 500 ppi working frame and the template output.
 * The stages live in extract_field.c, extract_enhance.c and
 * extract_minutiae.c; docs/finger-extraction.md describes them. */
#include "internal/finger.h"
#include "internal/image.h"
#include "internal/template.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI_F 3.14159265358979f
#define TWO_PI_F 6.28318530717959f

/* Working-frame limits: smaller images hold no usable fingerprint; larger
 * ones are beyond any single-finger capture (8 x 8 inches at 500 ppi). */
#define MIN_WORK_DIM 48
#define MAX_WORK_DIM 4096
#define MAX_WORK_PIXELS (4096u * 4096u)
#define MIN_FG_BLOCKS 60

struct param_def {
    int32_t lo, hi, def;
};

/* Indexed by HS_FINGER_PARAM_* key. */
static const struct param_def param_defs[HS__FX_NPARAMS] = {
    {0, 0, 0},       /* unused key 0 */
    {150, 2000, 500}, /* DEFAULT_PPI */
    {0, 2000, 0},    /* PPI (0 = from the image) */
    {1, 255, 128},   /* MAX_MINUTIAE */
    {0, 100, 0},     /* MIN_QUALITY */
};

static int key_ok(int key)
{
    return key >= 1 && key < HS__FX_NPARAMS;
}

HS__DEFINE_BOUNDS(hs_finger_param_bounds, int32_t, hs_finger_param, param_defs, lo, hi)

hs_status hs_finger_extractor_set(hs_finger_extractor *ex, hs_finger_param key, int32_t value)
{
    if (!ex || !key_ok((int)key))
        return HS_ERR_INVALID_ARG;
    if (value < param_defs[key].lo || value > param_defs[key].hi)
        return HS_ERR_INVALID_ARG;
    if (key == HS_FINGER_PARAM_PPI && value != 0 && value < 150)
        return HS_ERR_INVALID_ARG;
    ex->params[key] = value;
    return HS_OK;
}

hs_status hs_finger_extractor_get(const hs_finger_extractor *ex, int32_t *value,
                                  hs_finger_param key)
{
    if (!value || !key_ok((int)key))
        return HS_ERR_INVALID_ARG;
    *value = ex ? ex->params[key] : param_defs[key].def;
    return HS_OK;
}

hs_status hs_finger_extractor_new(hs_ctx *ctx, hs_finger_extractor **out)
{
    hs_status st;
    hs_finger_extractor *ex = HS__OBJECT_NEW(ctx, &st, out, hs_finger_extractor);
    if (ex) {
        for (int k = 1; k < HS__FX_NPARAMS; k++)
            ex->params[k] = param_defs[k].def;
        ex->tab_pw = -1;
        *out = ex;
    }
    return st;
}

void hs_finger_extractor_free(hs_finger_extractor *ex)
{
    if (!ex)
        return;
    hs__free_wiped(&ex->alloc, ex->arena, ex->arena_cap);
    HS__OBJECT_FREE(ex, hs_finger_extractor, sizeof *ex);
}

#ifdef HOTSPOT_TESTING
hs_status hs_finger_extractor_set_debug(hs_finger_extractor *ex, hs_finger_debug_fn fn,
                                        void *user)
{
    if (!ex)
        return HS_ERR_INVALID_ARG;
    ex->debug_fn = fn;
    ex->debug_user = fn ? user : NULL;
    return HS_OK;
}
#endif

void hs__fx_debug(hs_finger_extractor *ex, const char *stage, const uint8_t *pix)
{
    if (HS__FX_DEBUGGING(ex))
        ex->debug_fn(ex->debug_user, stage, pix, (uint32_t)ex->w, (uint32_t)ex->h);
}

/* ---- Scratch memory ------------------------------------------------------ */

static size_t al16(size_t n)
{
    return (n + 15u) & ~(size_t)15u;
}

/* Carve every per-image buffer from one grow-only arena. */
static hs_status layout(hs_finger_extractor *ex, hs_ctx *ctx)
{
    size_t np = (size_t)ex->pw * (size_t)ex->ph;
    size_t n = (size_t)ex->w * (size_t)ex->h;
    size_t ns = (size_t)(ex->w + 2) * (size_t)(ex->h + 2);
    size_t nb = (size_t)ex->bw * (size_t)ex->bh;
    size_t nc = (size_t)ex->cw * (size_t)ex->ch;
    size_t sizes[] = {
        np * 4, np * 4, np * 4,             /* img, tmp, enh */
        n, n, ns, n * 4, n,                 /* mask, dist, skel, label, dbg */
        nc, nc,                             /* cell_ori, cell_per */
        nb * 4 * 16, nb, nb,                /* block floats, b_mask, b_m2 */
        sizeof(hs__fx_cand) * HS__FX_MAX_CAND,
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        total += al16(sizes[i]);
    if (total > ex->arena_cap) {
        if (ex->arena) {
            hs__memzero(ex->arena, ex->arena_cap);
            hs__free(&ex->alloc, ex->arena);
        }
        ex->arena = hs__malloc(&ex->alloc, total);
        ex->arena_cap = ex->arena ? total : 0;
        if (!ex->arena)
            return hs__error(ctx, HS_ERR_NOMEM, "out of memory (%zu bytes of scratch)", total);
    }
    uint8_t *p = ex->arena;
    size_t i = 0;
#define TAKE(ptr, type) do { ptr = (type *)(void *)p; p += al16(sizes[i]); i++; } while (0)
    TAKE(ex->img, float);
    TAKE(ex->tmp, float);
    TAKE(ex->enh, float);
    TAKE(ex->mask, uint8_t);
    TAKE(ex->dist, uint8_t);
    TAKE(ex->skel, uint8_t);
    TAKE(ex->label, int32_t);
    TAKE(ex->dbg, uint8_t);
    TAKE(ex->cell_ori, uint8_t);
    TAKE(ex->cell_per, uint8_t);
    float *bf;
    TAKE(bf, float);
    TAKE(ex->b_mask, uint8_t);
    TAKE(ex->b_m2, uint8_t);
    TAKE(ex->cand, hs__fx_cand);
#undef TAKE
    float **fields[] = {&ex->b_a, &ex->b_b, &ex->b_e, &ex->b_ox, &ex->b_oy, &ex->b_coh,
                        &ex->b_energy, &ex->b_std, &ex->b_per, &ex->b_pw, &ex->b_t1,
                        &ex->b_t2, &ex->b_t3, &ex->b_mean, &ex->b_lstd};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
        *fields[k] = bf + k * nb;
    return HS_OK;
}

/* ---- Resampling ------------------------------------------------------------ */

/* Fill the padded working image from the source at scale s (working pixels
 * per source pixel), pixel centres aligned: src = (dst + 0.5) / s - 0.5.
 * When shrinking, each sample averages a box of about 1/s source pixels so
 * that ridges do not alias. */
static void resample(hs_finger_extractor *ex, const hs_image *img, float s)
{
    const uint8_t *src = hs_image_pixels(img);
    int sw = (int)hs_image_width(img), sh = (int)hs_image_height(img);
    int stride = (int)hs_image_stride(img);
    int w = ex->w, h = ex->h;
    if (s == 1.0f) {
        for (int y = 0; y < h; y++) {
            float *d = ex->img + hs__fx_pidx(ex, 0, y);
            const uint8_t *r = src + (size_t)y * (size_t)stride;
            for (int x = 0; x < w; x++)
                d[x] = (float)r[x];
        }
    } else {
        int box = s < 0.8f ? (int)lrintf(1.0f / s) : 1;
        int half = box / 2;
        for (int y = 0; y < h; y++) {
            float fy = ((float)y + 0.5f) / s - 0.5f;
            float *d = ex->img + hs__fx_pidx(ex, 0, y);
            for (int x = 0; x < w; x++) {
                float fx = ((float)x + 0.5f) / s - 0.5f;
                if (box > 1) {
                    int x0 = (int)lrintf(fx) - half, y0 = (int)lrintf(fy) - half;
                    float sum = 0.0f;
                    int cnt = 0;
                    for (int yy = y0; yy < y0 + box; yy++) {
                        if (yy < 0 || yy >= sh)
                            continue;
                        const uint8_t *r = src + (size_t)yy * (size_t)stride;
                        for (int xx = x0; xx < x0 + box; xx++)
                            if (xx >= 0 && xx < sw) {
                                sum += (float)r[xx];
                                cnt++;
                            }
                    }
                    d[x] = cnt ? sum / (float)cnt : 255.0f;
                } else {
                    if (fx < 0.0f) fx = 0.0f;
                    if (fy < 0.0f) fy = 0.0f;
                    int x0 = (int)fx, y0 = (int)fy;
                    if (x0 > sw - 1) x0 = sw - 1;
                    if (y0 > sh - 1) y0 = sh - 1;
                    int x1 = x0 + 1 < sw ? x0 + 1 : x0, y1 = y0 + 1 < sh ? y0 + 1 : y0;
                    float ax = fx - (float)x0, ay = fy - (float)y0;
                    if (ax > 1.0f) ax = 1.0f;
                    if (ay > 1.0f) ay = 1.0f;
                    const uint8_t *r0 = src + (size_t)y0 * (size_t)stride;
                    const uint8_t *r1 = src + (size_t)y1 * (size_t)stride;
                    float top = (float)r0[x0] + ax * ((float)r0[x1] - (float)r0[x0]);
                    float bot = (float)r1[x0] + ax * ((float)r1[x1] - (float)r1[x0]);
                    d[x] = top + ay * (bot - top);
                }
            }
        }
    }
    /* Replicate the edges into the padding. */
    for (int y = 0; y < h; y++) {
        float *row = ex->img + hs__fx_pidx(ex, 0, y);
        for (int k = 1; k <= HS__FX_PAD; k++) {
            row[-k] = row[0];
            row[w - 1 + k] = row[w - 1];
        }
    }
    float *first = ex->img + (size_t)HS__FX_PAD * (size_t)ex->pw;
    float *last = ex->img + (size_t)(HS__FX_PAD + h - 1) * (size_t)ex->pw;
    for (int k = 0; k < HS__FX_PAD; k++) {
        memcpy(ex->img + (size_t)k * (size_t)ex->pw, first, (size_t)ex->pw * sizeof(float));
        memcpy(ex->img + (size_t)(HS__FX_PAD + h + k) * (size_t)ex->pw, last,
               (size_t)ex->pw * sizeof(float));
    }
}

/* ---- Output ------------------------------------------------------------------ */

static int cmp_quality(const void *a, const void *b)
{
    const hs__fx_cand *x = a, *y = b;
    if (x->quality != y->quality)
        return x->quality < y->quality ? 1 : -1;
    if (x->py != y->py)
        return x->py < y->py ? -1 : 1;
    return (x->px > y->px) - (x->px < y->px);
}

static int cmp_pos(const void *a, const void *b)
{
    const hs_minutia *x = a, *y = b;
    if (x->y != y->y)
        return x->y < y->y ? -1 : 1;
    return (x->x > y->x) - (x->x < y->x);
}

/* The coarse ridge orientation field of the template (HS__TBLOCK_FIELD,
 * internal/template.h): cells of FIELD_CELL working pixels, a cell counted
 * when at least half its pixels are foreground; the orientation is the mean
 * of the smoothed doubled-angle vectors of its four blocks, the coherence
 * class their mean coherence. Written into out (room for the whole grid);
 * returns the block's size, 0 when no cell is foreground. The matcher uses
 * it to choose one more alignment to refine (match.c, "orientation
 * anchor"). */
#define FIELD_CELL 16
#define FIELD_COH1 0.45f /* coherence class bounds */
#define FIELD_COH2 0.70f
static size_t field_block(const hs_finger_extractor *ex, float s, uint8_t *out, size_t cap,
                          size_t *touched)
{
    const int cw = (ex->w + FIELD_CELL - 1) / FIELD_CELL, chh = (ex->h + FIELD_CELL - 1) / FIELD_CELL;
    uint8_t *v = out + HS__FIELD_HDR;
    *touched = 0;
    if (cw > HS__FIELD_MAX_DIM || chh > HS__FIELD_MAX_DIM ||
        cap < HS__FIELD_HDR + (size_t)cw * (size_t)chh)
        return 0;
    *touched = HS__FIELD_HDR + (size_t)cw * (size_t)chh; /* for the caller's wipe */
    int x0 = cw, y0 = chh, x1 = -1, y1 = -1;
    for (int cj = 0; cj < chh; cj++)
        for (int ci = 0; ci < cw; ci++) {
            int fg = 0, tot = 0;
            for (int y = cj * FIELD_CELL; y < (cj + 1) * FIELD_CELL && y < ex->h; y++)
                for (int x = ci * FIELD_CELL; x < (ci + 1) * FIELD_CELL && x < ex->w; x++) {
                    fg += ex->mask[y * ex->w + x] != 0;
                    tot++;
                }
            float ox = 0.0f, oy = 0.0f, coh = 0.0f;
            int nb = 0;
            for (int by = 2 * cj; by < 2 * cj + 2 && by < ex->bh; by++)
                for (int bx = 2 * ci; bx < 2 * ci + 2 && bx < ex->bw; bx++) {
                    int i = by * ex->bw + bx;
                    ox += ex->b_ox[i];
                    oy += ex->b_oy[i];
                    coh += ex->b_coh[i];
                    nb++;
                }
            uint8_t val = 0;
            if (2 * fg >= tot && nb > 0 && ox * ox + oy * oy > 1e-12f) {
                /* (ox, oy) is the doubled angle of the ridge normal, y down:
                 * the ridge's doubled angle, y up, is -(that + pi) */
                float d = -atan2f(oy, ox) - PI_F;
                while (d < 0.0f)
                    d += TWO_PI_F;
                int q = (int)lrintf(d * (64.0f / TWO_PI_F)) & 63;
                coh /= (float)nb;
                int c = coh < FIELD_COH1 ? 1 : coh < FIELD_COH2 ? 2 : 3;
                val = (uint8_t)(q | c << 6);
                x0 = ci < x0 ? ci : x0;
                x1 = ci > x1 ? ci : x1;
                y0 = cj < y0 ? cj : y0;
                y1 = cj > y1 ? cj : y1;
            }
            v[cj * cw + ci] = val;
        }
    if (x1 < 0)
        return 0;
    const int gw = x1 - x0 + 1, gh = y1 - y0 + 1;
    for (int j = 0; j < gh; j++) /* the bounding box to the front */
        memmove(v + j * gw, v + (y0 + j) * cw + x0, (size_t)gw);
    /* cell size in the view's pixels: working pixels are source pixels
     * times s (resample) */
    long cell16 = lrintf((float)FIELD_CELL * 16.0f / s);
    if (cell16 < 16 || cell16 > 65535)
        return 0;
    const uint16_t hdr[5] = {(uint16_t)cell16, (uint16_t)gw, (uint16_t)gh, (uint16_t)x0,
                             (uint16_t)y0};
    out[0] = 1;
    out[1] = 0;
    for (int k = 0; k < 5; k++)
        hs__put_le16(out + 2 + 2 * k, hdr[k]);
    return HS__FIELD_HDR + (size_t)gw * (size_t)gh;
}

/* Image quality 0-100 from the foreground area, its ridge coherence and the
 * share of blocks with a clear ridge frequency. */
static uint32_t image_quality(const hs_finger_extractor *ex, int nmin)
{
    float area = (float)ex->fg_blocks * (float)(HS__FX_BLOCK * HS__FX_BLOCK);
    float qa = area / 60000.0f; /* about 0.24 square inch */
    if (qa > 1.0f) qa = 1.0f;
    float qc = (ex->mean_coh - 0.25f) / 0.45f;
    if (qc < 0.0f) qc = 0.0f;
    if (qc > 1.0f) qc = 1.0f;
    float qm = (float)nmin / 25.0f;
    if (qm > 1.0f) qm = 1.0f;
    float q = 100.0f * sqrtf(qa) * (0.3f + 0.7f * qc) * (0.5f + 0.5f * qm);
    int qi = (int)lrintf(q);
    if (qi < 0) qi = 0;
    if (qi > 100) qi = 100;
    if (nmin == 0) qi = 0;
    return (uint32_t)qi;
}

hs_status hs_finger_extract(hs_ctx *ctx, hs_template **out, hs_finger_extractor *ex,
                            const hs_image *img)
{
    if (out)
        *out = NULL;
    if (!ex || !img || !out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    uint32_t sw = hs_image_width(img), sh = hs_image_height(img);
    hs_status st = hs__image_check_size(ctx, sw, sh);
    if (st)
        return st;
    uint32_t ppi = (uint32_t)ex->params[HS_FINGER_PARAM_PPI];
    if (!ppi)
        ppi = hs_image_ppi(img);
    if (!ppi)
        ppi = (uint32_t)ex->params[HS_FINGER_PARAM_DEFAULT_PPI];
    if (ppi < 150 || ppi > 2000)
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "resolution %u ppi outside 150..2000", ppi);
    float s = 500.0f / (float)ppi;
    if (ppi >= 490 && ppi <= 510)
        s = 1.0f; /* within 2 %: not worth a resampling blur */
    double ww = floor((double)sw * s + 0.5), wh = floor((double)sh * s + 0.5);
    if (ww < MIN_WORK_DIM || wh < MIN_WORK_DIM)
        return hs__error(ctx, HS_ERR_NO_FINGERPRINT,
                         "image %ux%u at %u ppi is too small for a fingerprint", sw, sh, ppi);
    if (ww > MAX_WORK_DIM || wh > MAX_WORK_DIM || ww * wh > (double)MAX_WORK_PIXELS)
        return hs__error(ctx, HS_ERR_LIMIT, "image %ux%u at %u ppi is too large", sw, sh, ppi);

    ex->w = (int)ww;
    ex->h = (int)wh;
    ex->pw = ex->w + 2 * HS__FX_PAD;
    ex->ph = ex->h + 2 * HS__FX_PAD;
    ex->bw = (ex->w + HS__FX_BLOCK - 1) / HS__FX_BLOCK;
    ex->bh = (ex->h + HS__FX_BLOCK - 1) / HS__FX_BLOCK;
    ex->cw = (ex->w + HS__FX_CELL - 1) / HS__FX_CELL;
    ex->ch = (ex->h + HS__FX_CELL - 1) / HS__FX_CELL;
    ex->ncand = 0;
    st = layout(ex, ctx);
    if (st)
        return st;

    resample(ex, img, s);
    hs__fx_fields(ex);
    if (ex->fg_blocks < MIN_FG_BLOCKS)
        return hs__error(ctx, HS_ERR_NO_FINGERPRINT, "no ridge area found");
    hs__fx_enhance(ex);
    hs__fx_thin(ex);
    hs__fx_minutiae(ex);

    /* Keep the best minutiae, then list them top to bottom. */
    int n = 0;
    for (int i = 0; i < ex->ncand; i++)
        if (ex->cand[i].alive)
            ex->cand[n++] = ex->cand[i];
    qsort(ex->cand, (size_t)n, sizeof *ex->cand, cmp_quality);
    int maxn = ex->params[HS_FINGER_PARAM_MAX_MINUTIAE];
    uint64_t lim = hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE);
    if ((uint64_t)maxn > lim)
        maxn = (int)lim;
    if (n > maxn)
        n = maxn;
    hs_minutia *m = (hs_minutia *)(void *)ex->label; /* label map is free now */
    int kept = 0;
    float inv = 1.0f / s;
    for (int i = 0; i < n; i++) {
        const hs__fx_cand *c = &ex->cand[i];
        int q = (int)lrintf(c->quality * 100.0f);
        if (q < 1) q = 1;
        if (q > 100) q = 100;
        if (q < ex->params[HS_FINGER_PARAM_MIN_QUALITY])
            continue;
        hs_minutia *o = &m[kept++];
        memset(o, 0, sizeof *o);
        float x = (c->x + 0.5f) * inv - 0.5f, y = (c->y + 0.5f) * inv - 0.5f;
        if (x < 0.0f) x = 0.0f;
        if (y < 0.0f) y = 0.0f;
        if (x > (float)sw - 1.0f) x = (float)sw - 1.0f;
        if (y > (float)sh - 1.0f) y = (float)sh - 1.0f;
        o->x = x;
        o->y = y;
        float a = atan2f(-c->dy, c->dx);
        if (a < 0.0f) a += TWO_PI_F;
        if (!(a >= 0.0f && a < TWO_PI_F)) a = 0.0f;
        o->angle = a;
        o->type = c->type;
        o->quality = (uint8_t)q;
    }
    qsort(m, (size_t)kept, sizeof *m, cmp_pos);

    hs_view_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    info.width = sw;
    info.height = sh;
    info.ppi_x = info.ppi_y = ppi;
    info.impression_type = HS_IMPRESSION_LIVE_PLAIN;
    info.quality = image_quality(ex, kept);
    hs_template *t;
    st = hs_template_new(ctx, &t);
    if (st)
        return st;
    st = hs_template_add_view(ctx, t, &info, m, (uint32_t)kept);
    hs__memzero(m, (size_t)kept * sizeof *m);
    if (!st) {
        /* the label map is free again: room for the field's grid */
        uint8_t *fb = (uint8_t *)(void *)ex->label;
        size_t touched = 0;
        size_t fn = field_block(ex, s, fb, (size_t)ex->w * (size_t)ex->h * sizeof *ex->label,
                                &touched);
        if (fn)
            st = hs__template_block_set(ctx, t, 0, HS__TBLOCK_FIELD, fb, fn);
        if (st == HS_ERR_LIMIT) /* optional: left out of a template held to a tight limit */
            st = HS_OK;
        hs__memzero(fb, touched);
    }
    if (st) {
        hs_template_free(t);
        return st;
    }
    *out = t;
    return HS_OK;
}
