/* FBI WSQ (IAFIS-IC-0110 v3.1) decoder and encoder, written from the
 * specification.
 *
 * Structure, as the specification lays it out:
 *  - the image is shifted and scaled (SOF M, R), then split by a separable
 *    two-channel filter bank (odd-length symmetric filters given in DTT,
 *    whole-sample symmetric extension at both ends) applied to 20 regions
 *    in turn; the leaves are 64 subbands (60 coded, 60-63 always empty);
 *  - every subband has a uniform dead-zone quantiser (DQT: bin width Q,
 *    zero bin Z, common bin centre C);
 *  - the quantised indices of all subbands are run-length mapped to 254
 *    symbols and Huffman coded (JPEG Annex C tables) in blocks (SOB), each
 *    naming one of up to eight tables (DHT).
 *
 * The decoder reads every marker of the specification (SOI SOF SOB DTT DQT
 * DHT DRT COM EOI and the restart markers) with tables in any order. The
 * encoder follows the FBI's "encoder number one" parameter rules of Part 3:
 * variance of the central part of each subband, relative bin widths 10 /
 * (A_k ln var), a global scale chosen for the requested bit rate, zero bin
 * 1.2 Q, C = 0.44, three blocks with two Huffman tables.
 *
 * The filter bank runs in single precision, the rate solver in double;
 * decodes of NIST NBIS 5.0 files match its dwsq within a grey level, and
 * encodes match its cwsq's sizes and PSNR (docs/wsq.md).
 */
#include "internal/image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- markers ------------------------------------------------------------ */
#define M_SOI 0xFFA0u
#define M_EOI 0xFFA1u
#define M_SOF 0xFFA2u
#define M_SOB 0xFFA3u
#define M_DTT 0xFFA4u
#define M_DQT 0xFFA5u
#define M_DHT 0xFFA6u
#define M_DRT 0xFFA7u
#define M_COM 0xFFA8u
#define M_RST0 0xFFB0u
#define M_RST7 0xFFB7u

#define NBANDS 64
#define NCODED 60 /* 60-63 carry no data in any FBI encoder */
#define NNODES 20
#define MAX_TAPS 31 /* longest filter accepted from DTT */
#define NTABLES 8

/* ---- decomposition geometry ------------------------------------------- */

typedef struct wsq_rect {
    uint32_t x, y, w, h;
} wsq_rect;

/* The 20 regions the filter bank splits, parents before children: each is
 * one quadrant of an earlier region. inv_x / inv_y mark regions whose
 * high-pass half comes first (left / top) in that direction: a region that
 * went through an odd number of high-pass filters in x (or y) is spectrally
 * mirrored, and swapping its halves keeps the subbands in frequency order. quad: 0 top-left, 1 top-right,
 * 2 bottom-left, 3 bottom-right. */
static const struct node_def {
    int8_t parent;
    uint8_t quad, inv_x, inv_y;
} node_def[NNODES] = {
    {-1, 0, 0, 0},                                   /* 0: the image */
    {0, 0, 0, 0},                                    /* 1 */
    {0, 1, 1, 0},                                    /* 2 */
    {0, 2, 0, 1},                                    /* 3 */
    {1, 1, 1, 0},                                    /* 4 */
    {1, 2, 0, 1},                                    /* 5 */
    {4, 0, 0, 0}, {4, 1, 1, 0}, {4, 2, 0, 1}, {4, 3, 1, 1},     /* 6-9 */
    {5, 0, 0, 0}, {5, 1, 1, 0}, {5, 2, 0, 1}, {5, 3, 1, 1},     /* 10-13 */
    {1, 0, 0, 0},                                    /* 14 */
    {14, 0, 0, 0}, {14, 1, 1, 0}, {14, 2, 0, 1}, {14, 3, 1, 1}, /* 15-18 */
    {15, 0, 0, 0},                                   /* 19 */
};

/* Subband k is quadrant band_def[k].quad of region band_def[k].node; node
 * -1 stands for the bottom-right quadrant of the image, which the filter
 * bank never splits (its four quarters are subbands 60-63). Within a
 * region the four subbands are numbered top-left, top-right, bottom-left,
 * bottom-right by position. */
static const struct band_def {
    int8_t node;
    uint8_t quad;
} band_def[NBANDS] = {
    {19, 0}, {19, 1}, {19, 2}, {19, 3},
    {15, 1}, {15, 2}, {15, 3},
    {16, 0}, {16, 1}, {16, 2}, {16, 3},
    {17, 0}, {17, 1}, {17, 2}, {17, 3},
    {18, 0}, {18, 1}, {18, 2}, {18, 3},
    {6, 0}, {6, 1}, {6, 2}, {6, 3},
    {7, 0}, {7, 1}, {7, 2}, {7, 3},
    {8, 0}, {8, 1}, {8, 2}, {8, 3},
    {9, 0}, {9, 1}, {9, 2}, {9, 3},
    {10, 0}, {10, 1}, {10, 2}, {10, 3},
    {11, 0}, {11, 1}, {11, 2}, {11, 3},
    {12, 0}, {12, 1}, {12, 2}, {12, 3},
    {13, 0}, {13, 1}, {13, 2}, {13, 3},
    {1, 3},
    {2, 0}, {2, 1}, {2, 2}, {2, 3},
    {3, 0}, {3, 1}, {3, 2}, {3, 3},
    {-1, 0}, {-1, 1}, {-1, 2}, {-1, 3},
};

typedef struct wsq_geom {
    wsq_rect node[NNODES];
    wsq_rect band[NBANDS];
} wsq_geom;

/* Quadrant q of region r: the low-pass half of an odd length is the longer
 * one (whole-sample symmetric filters centred on even samples), and it
 * comes first unless the direction is inverted. */
static wsq_rect quadrant(wsq_rect r, int q, int inv_x, int inv_y)
{
    uint32_t w0 = inv_x ? r.w / 2 : (r.w + 1) / 2;
    uint32_t h0 = inv_y ? r.h / 2 : (r.h + 1) / 2;
    wsq_rect o;
    o.x = (q & 1) ? r.x + w0 : r.x;
    o.w = (q & 1) ? r.w - w0 : w0;
    o.y = (q & 2) ? r.y + h0 : r.y;
    o.h = (q & 2) ? r.h - h0 : h0;
    return o;
}

static void build_geom(wsq_geom *g, uint32_t w, uint32_t h)
{
    for (int n = 0; n < NNODES; n++) {
        const struct node_def *d = &node_def[n];
        if (d->parent < 0) {
            g->node[n].x = g->node[n].y = 0;
            g->node[n].w = w;
            g->node[n].h = h;
        } else {
            const struct node_def *p = &node_def[d->parent];
            g->node[n] = quadrant(g->node[d->parent], d->quad, p->inv_x, p->inv_y);
        }
    }
    wsq_rect hh = quadrant(g->node[0], 3, 0, 0);
    for (int k = 0; k < NBANDS; k++) {
        const struct band_def *b = &band_def[k];
        if (b->node < 0)
            g->band[k] = quadrant(hh, b->quad, 0, 0);
        else
            g->band[k] = quadrant(g->node[b->node], b->quad, node_def[b->node].inv_x,
                                  node_def[b->node].inv_y);
    }
}

/* ---- filter bank -------------------------------------------------------- */

typedef struct wsq_filters {
    int nlo, nhi;         /* analysis low-pass / high-pass lengths (odd) */
    float lo[MAX_TAPS];   /* analysis low-pass, centre first (half + 1 taps) */
    float hi[MAX_TAPS];   /* analysis high-pass, centre first */
    float slo[MAX_TAPS];  /* synthesis low-pass (from hi), centre first */
    float shi[MAX_TAPS];  /* synthesis high-pass (from lo), centre first */
    /* the synthesis taps an even / odd output sample applies to the
     * interleaved signal (low samples on even positions), centre first */
    float even[MAX_TAPS + 1], odd[MAX_TAPS + 1];
    int half;
} wsq_filters;

/* The 9/7 pair of the specification's Part 3 (the values NBIS's cwsq and
 * every FBI encoder write into DTT), centre tap first. */
static const double std_lo[5] = {0.85269867900940, 0.37740285561265, -0.11062440441842,
                                  -0.02384946501938, 0.03782845550699};
static const double std_hi[4] = {0.78848561640566, -0.41809227322221, -0.04068941760956,
                                 0.06453888262893};

static void filters_finish(wsq_filters *f)
{
    /* Synthesis filters are the analysis ones modulated by (-1)^k and
     * swapped: the low-pass synthesis comes from the high-pass analysis. */
    for (int k = 0; k <= f->nhi / 2; k++)
        f->slo[k] = (k & 1) ? -f->hi[k] : f->hi[k];
    for (int k = 0; k <= f->nlo / 2; k++)
        f->shi[k] = (k & 1) ? -f->lo[k] : f->lo[k];
    int a = f->nhi / 2, b = f->nlo / 2;
    f->half = a > b ? a : b;
    for (int k = 0; k <= f->half; k++) {
        float l = k <= a ? f->slo[k] : 0.0f, h = k <= b ? f->shi[k] : 0.0f;
        f->even[k] = (k & 1) ? h : l;
        f->odd[k] = (k & 1) ? l : h;
    }
}

/* Reflect index i into [0, n), n >= 1: whole-sample symmetric extension. */
static inline long reflect(long i, long n)
{
    if (n == 1)
        return 0;
    long period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

/* Horizontal analysis of one row of n samples, in place: low-pass outputs
 * first unless inv. pad: scratch of n + 2 * MAX_TAPS floats. */
static void analyse_row(const wsq_filters *f, float *line, long n, int inv, float *pad)
{
    const long P = MAX_TAPS;
    for (long i = -P; i < n + P; i++)
        pad[P + i] = line[reflect(i, n)];
    long nl = (n + 1) / 2, nh = n / 2;
    float *lo = inv ? line + nh : line;
    float *hi = inv ? line : line + nl;
    int a = f->nlo / 2, b = f->nhi / 2;
    for (long j = 0; j < nl; j++) {
        const float *c = pad + P + 2 * j;
        float s = f->lo[0] * c[0];
        for (int k = 1; k <= a; k++)
            s += f->lo[k] * (c[k] + c[-k]);
        lo[j] = s;
    }
    for (long j = 0; j < nh; j++) {
        const float *c = pad + P + 2 * j + 1;
        float s = f->hi[0] * c[0];
        for (int k = 1; k <= b; k++)
            s += f->hi[k] * (c[k] + c[-k]);
        hi[j] = s;
    }
}

/* Horizontal synthesis of one row, in place. The low and high samples are
 * interleaved back to full rate (low on even positions); reflection keeps
 * parity, so an even output sees low samples at even offsets and high
 * ones at odd offsets: f->even / f->odd merge the two synthesis filters
 * for each output parity. */
static void synthesise_row(const wsq_filters *f, float *line, long n, int inv, float *pad)
{
    const long P = MAX_TAPS;
    long nl = (n + 1) / 2, nh = n / 2;
    const float *lo = inv ? line + nh : line;
    const float *hi = inv ? line : line + nl;
    for (long i = -P; i < n + P; i++) {
        long r = reflect(i, n);
        pad[P + i] = (r & 1) ? hi[r >> 1] : lo[r >> 1];
    }
    int half = f->half;
    for (long m = 0; m < n; m++) {
        const float *c = pad + P + m;
        const float *t = (m & 1) ? f->odd : f->even;
        float s = t[0] * c[0];
        for (int k = 1; k <= half; k++)
            s += t[k] * (c[k] + c[-k]);
        line[m] = s;
    }
}

/* Vertical passes work on whole rows at a time (the inner loops run along
 * x, over contiguous memory): out row j is a weighted sum of input rows.
 * tmp holds r.h rows of r.w floats. */
static void analyse_cols(const wsq_filters *f, float *img, size_t stride, wsq_rect r, int inv,
                         float *tmp)
{
    long n = r.h, nl = (n + 1) / 2, nh = n / 2;
    int a = f->nlo / 2, b = f->nhi / 2;
    float *base = img + (size_t)r.y * stride + r.x;
    for (long j = 0; j < n; j++) {
        int high = j >= nl;
        long centre = high ? 2 * (j - nl) + 1 : 2 * j;
        const float *taps = high ? f->hi : f->lo;
        int half = high ? b : a;
        long dst_row = inv ? (high ? j - nl : j + nh) : j;
        float *out = tmp + (size_t)dst_row * r.w;
        const float *c0 = base + (size_t)reflect(centre, n) * stride;
        for (uint32_t x = 0; x < r.w; x++)
            out[x] = taps[0] * c0[x];
        for (int k = 1; k <= half; k++) {
            const float *cp = base + (size_t)reflect(centre + k, n) * stride;
            const float *cm = base + (size_t)reflect(centre - k, n) * stride;
            float t = taps[k];
            for (uint32_t x = 0; x < r.w; x++)
                out[x] += t * (cp[x] + cm[x]);
        }
    }
    for (long j = 0; j < n; j++)
        memcpy(base + (size_t)j * stride, tmp + (size_t)j * r.w, sizeof(float) * r.w);
}

static void synthesise_cols(const wsq_filters *f, float *img, size_t stride, wsq_rect r,
                            int inv, float *tmp)
{
    long n = r.h, nl = (n + 1) / 2, nh = n / 2;
    float *base = img + (size_t)r.y * stride + r.x;
    /* row of the full-rate index i (after reflection): low rows are first
     * unless inv */
#define SRC_ROW(i)                                                                             \
    (base + (size_t)((reflect((i), n) & 1) ? (inv ? 0 : nl) + (reflect((i), n) >> 1)          \
                                           : (inv ? nh : 0) + (reflect((i), n) >> 1)) *        \
                stride)
    for (long m = 0; m < n; m++) {
        const float *t = (m & 1) ? f->odd : f->even;
        float *out = tmp + (size_t)m * r.w;
        const float *c0 = SRC_ROW(m);
        for (uint32_t x = 0; x < r.w; x++)
            out[x] = t[0] * c0[x];
        for (int k = 1; k <= f->half; k++) {
            if (t[k] == 0.0f)
                continue;
            const float *cp = SRC_ROW(m + k);
            const float *cm = SRC_ROW(m - k);
            float tk = t[k];
            for (uint32_t x = 0; x < r.w; x++)
                out[x] += tk * (cp[x] + cm[x]);
        }
    }
#undef SRC_ROW
    for (long j = 0; j < n; j++)
        memcpy(base + (size_t)j * stride, tmp + (size_t)j * r.w, sizeof(float) * r.w);
}

/* pad: n + 2 * MAX_TAPS floats for the longest side; tmp: a plane. */
static void forward_transform(const wsq_filters *f, const wsq_geom *g, float *img,
                              uint32_t stride, float *pad, float *tmp)
{
    for (int n = 0; n < NNODES; n++) {
        wsq_rect r = g->node[n];
        if (r.w == 0 || r.h == 0) /* tiny images: nothing to split */
            continue;
        for (uint32_t y = 0; y < r.h; y++)
            analyse_row(f, img + (size_t)(r.y + y) * stride + r.x, r.w, node_def[n].inv_x, pad);
        analyse_cols(f, img, stride, r, node_def[n].inv_y, tmp);
    }
}

static void inverse_transform(const wsq_filters *f, const wsq_geom *g, float *img,
                              uint32_t stride, float *pad, float *tmp)
{
    for (int n = NNODES - 1; n >= 0; n--) {
        wsq_rect r = g->node[n];
        if (r.w == 0 || r.h == 0)
            continue;
        synthesise_cols(f, img, stride, r, node_def[n].inv_y, tmp);
        for (uint32_t y = 0; y < r.h; y++)
            synthesise_row(f, img + (size_t)(r.y + y) * stride + r.x, r.w, node_def[n].inv_x,
                           pad);
    }
}

/* ---- Huffman tables (JPEG Annex C) --------------------------------------- */

typedef struct huff_dec {
    int defined;
    /* canonical decoding: for each length, the first code, the number of
     * codes and the index of its first value */
    int32_t mincode[17], maxcode[18];
    int valptr[17];
    uint8_t vals[256];
    /* fast path: the next 8 bits index the symbol and its length */
    uint8_t look_len[256];
    uint8_t look_sym[256];
} huff_dec;

/* Build decoding tables from a DHT's 16 counts and values. Returns a
 * message for an impossible table (more codes of a length than fit). */
static const char *huff_build(huff_dec *t, const uint8_t counts[16], const uint8_t *vals,
                              int nvals)
{
    memset(t, 0, sizeof *t);
    int32_t code = 0;
    int k = 0;
    for (int len = 1; len <= 16; len++) {
        t->valptr[len] = k;
        t->mincode[len] = code;
        code += counts[len - 1];
        k += counts[len - 1];
        /* all-ones codes are reserved (padding): the largest code of each
         * length must stay below 2^len - 1 for lengths that end here */
        if (code > (1 << len))
            return "more codes than the code length allows";
        t->maxcode[len] = counts[len - 1] ? code - 1 : -1;
        code <<= 1;
    }
    t->maxcode[17] = 0x7fffffff;
    if (k != nvals)
        return "counts do not match the values";
    memcpy(t->vals, vals, (size_t)nvals);
    /* lookup for codes of up to 8 bits */
    code = 0;
    k = 0;
    for (int len = 1; len <= 8; len++) {
        for (int i = 0; i < (int)(t->maxcode[len] >= 0 ? t->maxcode[len] - t->mincode[len] + 1 : 0);
             i++) {
            int c = (t->mincode[len] + i) << (8 - len);
            for (int j = 0; j < (1 << (8 - len)); j++) {
                t->look_len[c + j] = (uint8_t)len;
                t->look_sym[c + j] = t->vals[t->valptr[len] + i];
            }
        }
    }
    t->defined = 1;
    return NULL;
}

/* ---- decoder ------------------------------------------------------------- */

typedef struct bitreader {
    const uint8_t *p, *end;
    uint64_t acc;
    int nbits;
    int at_rst; /* p is on a restart marker */
} bitreader;

/* Next entropy-coded byte with 0xFF00 unstuffed; at a marker (restart or
 * other) returns -1 and leaves p on it. */
static int br_byte(bitreader *b)
{
    if (b->p >= b->end)
        return -1;
    uint8_t c = b->p[0];
    if (c != 0xFF) {
        b->p++;
        return c;
    }
    if (b->end - b->p < 2)
        return -1;
    uint8_t d = b->p[1];
    if (d == 0x00) {
        b->p += 2;
        return 0xFF;
    }
    if (d >= 0xB0 && d <= 0xB7)
        b->at_rst = 1;
    return -1;
}

/* Make at least n (<= 32) bits available; false when a marker comes
 * first (the bits before it stay available). */
static int br_fill(bitreader *b, int n)
{
    while (b->nbits < n) {
        int c = br_byte(b);
        if (c < 0)
            return 0;
        b->acc = (b->acc << 8) | (uint64_t)c;
        b->nbits += 8;
    }
    return 1;
}

static inline uint32_t br_get(bitreader *b, int n)
{
    b->nbits -= n;
    return (uint32_t)(b->acc >> b->nbits) & ((1u << n) - 1u);
}

/* Decode one Huffman symbol: >= 0, or -1 at the end of the block (a
 * marker other than RST), -2 for a code not in the table. The bits before
 * a restart marker that complete no code are its padding (ones, which no
 * code consists of): they are dropped and decoding goes on after it. */
static int br_symbol(bitreader *b, const huff_dec *t)
{
    for (;;) {
        if (b->nbits < 8)
            br_fill(b, 8);
        if (b->nbits >= 8) {
            uint32_t peek = (uint32_t)(b->acc >> (b->nbits - 8)) & 0xFFu;
            int len = t->look_len[peek];
            if (len) {
                b->nbits -= len;
                return t->look_sym[peek];
            }
        }
        int32_t code = 0;
        int len;
        for (len = 1; len <= 16; len++) {
            if (b->nbits == 0 && !br_fill(b, 1))
                break;
            code = (code << 1) | (int32_t)br_get(b, 1);
            if (t->maxcode[len] >= 0 && code <= t->maxcode[len] && code >= t->mincode[len])
                return t->vals[t->valptr[len] + code - t->mincode[len]];
        }
        if (len > 16)
            return -2;
        if (!b->at_rst)
            return -1;
        b->p += 2;
        b->at_rst = 0;
        b->nbits = 0;
        b->acc = 0;
    }
}

typedef struct wsq_dec {
    hs_ctx *ctx;
    const uint8_t *data;
    size_t size;
    /* frame */
    int have_sof, have_dtt, have_dqt;
    uint32_t width, height;
    double shift, scale; /* M, R */
    uint32_t ppi;
    wsq_filters filt;
    double qbin[NBANDS], zbin[NBANDS], cbin;
    huff_dec huff[NTABLES];
    /* DRT's interval is read but not needed: restart markers delimit
     * themselves, and WSQ has no prediction to reset */
    uint32_t restart_interval;
    /* coefficients */
    wsq_geom geom;
    int32_t *coef; /* quantised indices of the coded subbands, in order */
    size_t ncoef, filled;
    int counting;  /* first pass: check the blocks, store nothing */
} wsq_dec;

static double scaled(uint8_t e, uint32_t v)
{
    double d = v;
    while (e--)
        d /= 10.0;
    return d;
}

static hs_status seg_dtt(wsq_dec *d, hs__reader *r, size_t off)
{
    int nlo = hs__rd_u8(r), nhi = hs__rd_u8(r);
    if (r->overrun)
        return hs__error(d->ctx, HS_ERR_TRUNCATED, "WSQ: DTT at offset %zu ends early", off);
    if (!(nlo & 1) || !(nhi & 1))
        return hs__error(d->ctx, HS_ERR_UNSUPPORTED,
                         "WSQ: DTT at offset %zu has even-length filters (%d, %d)", off, nlo,
                         nhi);
    if (nlo > MAX_TAPS || nhi > MAX_TAPS || (nlo != nhi + 2 && nhi != nlo + 2))
        return hs__error(d->ctx, HS_ERR_CORRUPT,
                         "WSQ: DTT at offset %zu: filter lengths %d and %d are not an odd "
                         "pair differing by 2 (at most %d taps)",
                         off, nlo, nhi, MAX_TAPS);
    d->filt.nlo = nlo;
    d->filt.nhi = nhi;
    for (int k = 0; k <= nlo / 2; k++) {
        uint8_t sign = hs__rd_u8(r), e = hs__rd_u8(r);
        uint32_t v = hs__rd_be32(r);
        double c = scaled(e, v);
        d->filt.lo[k] = (float)(sign ? -c : c);
    }
    for (int k = 0; k <= nhi / 2; k++) {
        uint8_t sign = hs__rd_u8(r), e = hs__rd_u8(r);
        uint32_t v = hs__rd_be32(r);
        double c = scaled(e, v);
        d->filt.hi[k] = (float)(sign ? -c : c);
    }
    if (r->overrun)
        return hs__error(d->ctx, HS_ERR_TRUNCATED, "WSQ: DTT at offset %zu ends early", off);
    filters_finish(&d->filt);
    d->have_dtt = 1;
    return HS_OK;
}

static hs_status seg_dqt(wsq_dec *d, hs__reader *r, size_t off)
{
    uint8_t ec = hs__rd_u8(r);
    d->cbin = scaled(ec, hs__rd_be16(r));
    for (int k = 0; k < NBANDS; k++) {
        uint8_t eq = hs__rd_u8(r);
        uint16_t q = hs__rd_be16(r);
        uint8_t ez = hs__rd_u8(r);
        uint16_t z = hs__rd_be16(r);
        d->qbin[k] = scaled(eq, q);
        d->zbin[k] = scaled(ez, z);
    }
    if (r->overrun)
        return hs__error(d->ctx, HS_ERR_TRUNCATED, "WSQ: DQT at offset %zu ends early", off);
    d->have_dqt = 1;
    return HS_OK;
}

static hs_status seg_dht(wsq_dec *d, hs__reader *r, size_t off)
{
    while (hs__reader_left(r) > 0) {
        uint8_t th = hs__rd_u8(r);
        uint8_t counts[16];
        if (!hs__rd_bytes(r, counts, 16))
            return hs__error(d->ctx, HS_ERR_TRUNCATED, "WSQ: DHT at offset %zu ends early",
                             off);
        int n = 0;
        for (int i = 0; i < 16; i++)
            n += counts[i];
        uint8_t vals[256];
        if (th >= NTABLES)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "WSQ: DHT at offset %zu: table id %u above 7", off, th);
        if (n > 256 || n == 0)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "WSQ: DHT at offset %zu: table %u has %d codes (1 to 256)", off,
                             th, n);
        if (!hs__rd_bytes(r, vals, (size_t)n))
            return hs__error(d->ctx, HS_ERR_TRUNCATED, "WSQ: DHT at offset %zu ends early",
                             off);
        const char *why = huff_build(&d->huff[th], counts, vals, n);
        if (why)
            return hs__error(d->ctx, HS_ERR_CORRUPT, "WSQ: DHT at offset %zu: table %u: %s",
                             off, th, why);
    }
    return HS_OK;
}

/* NISTCOM: "PPI <n>" on its own line gives the resolution (0 = none). */
static uint32_t com_ppi(const uint8_t *p, size_t n)
{
    if (n < 8 || memcmp(p, "NIST_COM", 8) != 0)
        return 0;
    for (size_t i = 0; i + 4 <= n; i++) {
        if ((i == 0 || p[i - 1] == '\n') && !memcmp(p + i, "PPI ", 4)) {
            uint32_t v = 0;
            size_t j = i + 4;
            int digits = 0;
            while (j < n && p[j] >= '0' && p[j] <= '9' && digits < 6) {
                v = v * 10u + (uint32_t)(p[j] - '0');
                j++;
                digits++;
            }
            return digits && (j == n || p[j] == '\n' || p[j] == '\r') && v >= 1 && v <= 10000
                       ? v
                       : 0;
        }
    }
    return 0;
}

static void seg_com(wsq_dec *d, const uint8_t *p, size_t n)
{
    uint32_t ppi = com_ppi(p, n);
    if (ppi)
        d->ppi = ppi;
}

hs_status hs__wsq_read_header(hs_ctx *ctx, hs__wsq_header *h, const uint8_t *data, size_t size)
{
    memset(h, 0, sizeof *h);
    if (size < 2 || data[0] != 0xFF || data[1] != 0xA0)
        return hs__error(ctx, HS_ERR_FORMAT, "WSQ: no SOI marker");
    size_t pos = 2;
    for (;;) {
        if (size - pos < 4)
            return hs__error(ctx, HS_ERR_TRUNCATED, "WSQ: no frame header (SOF)");
        uint32_t mk = (uint32_t)data[pos] << 8 | data[pos + 1];
        size_t len = (size_t)data[pos + 2] << 8 | data[pos + 3];
        if (mk < M_SOF || mk > M_COM || mk == M_SOB || len < 2 || len > size - pos - 2)
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "WSQ: segment %04x at offset %zu before the frame header", mk, pos);
        const uint8_t *p = data + pos + 4;
        if (mk == M_COM) {
            uint32_t ppi = com_ppi(p, len - 2);
            if (ppi)
                h->ppi = ppi;
        } else if (mk == M_SOF) {
            if (len < 17)
                return hs__error(ctx, HS_ERR_TRUNCATED, "WSQ: SOF at offset %zu ends early",
                                 pos);
            h->height = (uint32_t)p[2] << 8 | p[3];
            h->width = (uint32_t)p[4] << 8 | p[5];
            h->encoder = p[12];
            h->software = (uint32_t)p[13] << 8 | p[14];
            return HS_OK;
        }
        pos += 2 + len;
    }
}

static hs_status seg_sof(wsq_dec *d, hs__reader *r, size_t off)
{
    if (d->have_sof)
        return hs__error(d->ctx, HS_ERR_CORRUPT, "WSQ: second SOF at offset %zu", off);
    (void)hs__rd_u8(r); /* black */
    (void)hs__rd_u8(r); /* white */
    uint32_t h = hs__rd_be16(r), w = hs__rd_be16(r);
    uint8_t em = hs__rd_u8(r);
    uint16_t m = hs__rd_be16(r);
    uint8_t er = hs__rd_u8(r);
    uint16_t rr = hs__rd_be16(r);
    (void)hs__rd_u8(r);   /* encoder number */
    (void)hs__rd_be16(r); /* software */
    if (r->overrun)
        return hs__error(d->ctx, HS_ERR_TRUNCATED, "WSQ: SOF at offset %zu ends early", off);
    hs_status s = hs__image_check_size(d->ctx, w, h);
    if (s)
        return s;
    d->width = w;
    d->height = h;
    d->shift = scaled(em, m);
    d->scale = scaled(er, rr);
    if (d->scale == 0.0)
        return hs__error(d->ctx, HS_ERR_CORRUPT, "WSQ: SOF at offset %zu has scale R = 0", off);
    d->have_sof = 1;
    return HS_OK;
}

/* Size the coefficient array once SOF and DQT are known (at the first
 * block). */
static hs_status prepare_coefficients(wsq_dec *d, size_t off)
{
    if (!d->have_sof || !d->have_dqt || !d->have_dtt)
        return hs__error(d->ctx, HS_ERR_CORRUPT,
                         "WSQ: block at offset %zu before the %s segment", off,
                         !d->have_sof ? "SOF" : !d->have_dqt ? "DQT" : "DTT");
    build_geom(&d->geom, d->width, d->height);
    size_t n = 0;
    for (int k = 0; k < NBANDS; k++)
        if (d->qbin[k] != 0.0)
            n += (size_t)d->geom.band[k].w * d->geom.band[k].h;
    d->ncoef = n;
    if (d->counting)
        return HS_OK;
    d->coef = hs__calloc(hs__ctx_allocator(d->ctx), n ? n : 1, sizeof *d->coef);
    if (!d->coef)
        return hs__error(d->ctx, HS_ERR_NOMEM, "WSQ: cannot allocate %zu coefficients", n);
    return HS_OK;
}

/* Decode one block's entropy-coded data starting at *pos. */
static hs_status decode_block(wsq_dec *d, const huff_dec *t, size_t *pos)
{
    bitreader b;
    memset(&b, 0, sizeof b);
    b.p = d->data + *pos;
    b.end = d->data + d->size;
    size_t start = *pos;
    int32_t *c = d->coef;
    size_t i = d->filled, n = d->ncoef;
    for (;;) {
        int sym = br_symbol(&b, t);
        if (sym == -1)
            break;
        if (sym == -2)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "WSQ: block at offset %zu: invalid Huffman code near offset %zu",
                             start, (size_t)(b.p - d->data));
        uint32_t run = 0;
        int32_t v = 0;
        int isrun = 0;
        if (sym >= 1 && sym <= 100) {
            run = (uint32_t)sym;
            isrun = 1;
        } else if (sym >= 101 && sym <= 106) {
            int nb = (sym == 101 || sym == 102 || sym == 105) ? 8 : 16;
            if (!br_fill(&b, nb))
                return hs__error(d->ctx, HS_ERR_CORRUPT,
                                 "WSQ: block at offset %zu: escape value cut by a marker",
                                 start);
            uint32_t x = br_get(&b, nb);
            if (sym == 105 || sym == 106) {
                run = x;
                isrun = 1;
            } else {
                v = (sym == 101 || sym == 103) ? (int32_t)x : -(int32_t)x;
            }
        } else if (sym >= 107 && sym <= 254 && sym != 180) {
            v = sym - 180;
        } else {
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "WSQ: block at offset %zu: undefined symbol %d", start, sym);
        }
        if (isrun) {
            if (run > n - i)
                return hs__error(d->ctx, HS_ERR_CORRUPT,
                                 "WSQ: block at offset %zu: zero run past the last of %zu "
                                 "coefficients",
                                 start, n);
            i += run; /* already zero */
        } else {
            if (i >= n)
                return hs__error(d->ctx, HS_ERR_CORRUPT,
                                 "WSQ: block at offset %zu: more than %zu coefficients", start,
                                 n);
            if (c)
                c[i] = v;
            i++;
        }
    }
    d->filled = i;
    *pos = (size_t)(b.p - d->data);
    return HS_OK;
}

/* Every coded coefficient's plane value, band by band: with @p clamp 0 its
 * reconstruction value (the bin's centre as the specification gives it),
 * with 1 the plane's value clamped into the quantiser bin its index names
 * (p > 0: ((p-1)Q + Z/2, pQ + Z/2]; 0: [-Z/2, Z/2]; mirrored below; the
 * restoration's projection). Subbands that were not coded are 0 either way. */
static void band_values(const wsq_dec *d, float *img, int clamp)
{
    uint32_t w = d->width;
    size_t i = 0;
    for (int k = 0; k < NBANDS; k++) {
        wsq_rect r = d->geom.band[k];
        float q = (float)d->qbin[k], z2 = (float)(d->zbin[k] / 2.0), cc = (float)d->cbin;
        for (uint32_t y = 0; y < r.h; y++) {
            float *row = img + (size_t)(r.y + y) * w + r.x;
            if (d->qbin[k] == 0.0) {
                memset(row, 0, sizeof(float) * r.w);
                continue;
            }
            for (uint32_t x = 0; x < r.w; x++) {
                int32_t p = d->coef[i++];
                if (!clamp) {
                    row[x] = p > 0   ? ((float)p - cc) * q + z2
                             : p < 0 ? ((float)p + cc) * q - z2
                                     : 0.0f;
                    continue;
                }
                float lo, hi;
                if (p > 0) {
                    lo = (float)(p - 1) * q + z2;
                    hi = (float)p * q + z2;
                } else if (p < 0) {
                    lo = (float)p * q - z2;
                    hi = (float)(p + 1) * q - z2;
                } else {
                    lo = -z2;
                    hi = z2;
                }
                float v = row[x];
                row[x] = v < lo ? lo : v > hi ? hi : v;
            }
        }
    }
}

/* The coefficients' reconstruction values (bin centres), transformed back
 * to the normalised plane (pixel = value * R + M). */
static void dequantise(wsq_dec *d, float *img, float *pad, float *tmp)
{
    band_values(d, img, 0);
    inverse_transform(&d->filt, &d->geom, img, d->width, pad, tmp);
}

static void render(const wsq_dec *d, const float *img, uint8_t *out)
{
    float m = (float)d->shift, sc = (float)d->scale;
    size_t npix = (size_t)d->width * d->height;
    for (size_t j = 0; j < npix; j++) {
        float v = img[j] * sc + m + 0.5f;
        /* written so that NaN (from absurd tables: infinite products of
         * huge filter taps and bin widths) gives 0, found by fuzz_wsq */
        out[j] = v > 0.0f ? (v < 255.0f ? (uint8_t)v : 255) : 0;
    }
}

/* ---- restoration (HS_IMAGE_WSQ_RESTORE) ------------------------------------
 *
 * One projection-onto-convex-sets step (docs/wsq.md, "Restoration"): the
 * decoded plane is smoothed along the ridges where the ridge orientation is
 * clear, transformed again, every coded coefficient clamped into the
 * quantiser bin its index names (the uncoded subbands back to zero), and
 * transformed back. The result is as consistent with the file as the plain
 * decode, with less of the quantisation noise across the ridge flow. Only
 * streams below RESTORE_MAX_BPP are restored: above it the quantiser keeps
 * the ridges and the decode is left as it is. The values were chosen on the
 * FVC round trips (docs/accuracy.md, "WSQ gap, fifth round"). */
#define RESTORE_MAX_BPP 0.75 /* bits per pixel of the whole file (about 11:1) */
#define RESTORE_RADIUS 6    /* tensor box filter radius (applied twice), px */
#define RESTORE_COH 0.4f    /* coherence from which the plane is smoothed */
#define RESTORE_SIGMA 1.5f  /* along-ridge Gaussian, px (the weights' table below) */
#define RESTORE_TAPS 4      /* each side: 2.5 sigma, rounded up */

/* In-place box filter of radius RESTORE_RADIUS, edges replicated: running
 * sums (in double, so that the result does not drift along a row). */
static void restore_box(float *a, float *t, uint32_t w, uint32_t h)
{
    const long rad = RESTORE_RADIUS;
    const double inv = 1.0 / (double)(2 * rad + 1);
    for (uint32_t y = 0; y < h; y++) {
        const float *row = a + (size_t)y * w;
        float *o = t + (size_t)y * w;
        double s = 0.0;
        for (long k = -rad; k <= rad; k++)
            s += row[k < 0 ? 0 : k >= (long)w ? (long)w - 1 : k];
        for (long x = 0; x < (long)w; x++) {
            o[x] = (float)(s * inv);
            long in = x + rad + 1, out = x - rad;
            s += (double)row[in >= (long)w ? (long)w - 1 : in] - (double)row[out < 0 ? 0 : out];
        }
    }
    /* vertical pass: a running sum per column, kept in the output rows */
    for (uint32_t x = 0; x < w; x++) {
        double s = 0.0;
        for (long k = -rad; k <= rad; k++)
            s += t[(size_t)(k < 0 ? 0 : k >= (long)h ? (long)h - 1 : k) * w + x];
        for (long y = 0; y < (long)h; y++) {
            a[(size_t)y * w + x] = (float)(s * inv);
            long in = y + rad + 1, out = y - rad;
            s += (double)t[(size_t)(in >= (long)h ? (long)h - 1 : in) * w + x] -
                 (double)t[(size_t)(out < 0 ? 0 : out) * w + x];
        }
    }
}

static float restore_sample(const float *a, uint32_t w, uint32_t h, float fx, float fy)
{
    float xmax = (float)(w > 1 ? w - 1 : 0), ymax = (float)(h > 1 ? h - 1 : 0);
    fx = fx < 0.0f ? 0.0f : fx > xmax ? xmax : fx;
    fy = fy < 0.0f ? 0.0f : fy > ymax ? ymax : fy;
    uint32_t x0 = (uint32_t)fx, y0 = (uint32_t)fy;
    uint32_t x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    float ax = fx - (float)x0, ay = fy - (float)y0;
    const float *r0 = a + (size_t)y0 * w, *r1 = a + (size_t)y1 * w;
    float top = r0[x0] + ax * (r0[x1] - r0[x0]);
    float bot = r1[x0] + ax * (r1[x1] - r1[x0]);
    return top + ay * (bot - top);
}

/* img: the decoded normalised plane, restored in place; tmp: a plane;
 * dx, dy, coh, sm: planes of scratch. */
static void restore(const wsq_dec *d, float *img, float *pad, float *tmp, float *dx, float *dy,
                    float *coh, float *sm)
{
    uint32_t w = d->width, h = d->height;
    size_t n = (size_t)w * h;
    /* gradient structure tensor, smoothed */
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint32_t xm = x ? x - 1 : 0, xp = x + 1 < w ? x + 1 : x;
            uint32_t ym = y ? y - 1 : 0, yp = y + 1 < h ? y + 1 : y;
            float gx = img[(size_t)y * w + xp] - img[(size_t)y * w + xm];
            float gy = img[(size_t)yp * w + x] - img[(size_t)ym * w + x];
            size_t j = (size_t)y * w + x;
            dx[j] = gx * gx;
            dy[j] = gy * gy;
            coh[j] = gx * gy;
        }
    for (int pass = 0; pass < 2; pass++) {
        restore_box(dx, tmp, w, h);
        restore_box(dy, tmp, w, h);
        restore_box(coh, tmp, w, h);
    }
    /* the ridge direction (across the mean gradient) and the coherence */
    for (size_t j = 0; j < n; j++) {
        float c2 = dx[j] - dy[j], s2 = 2.0f * coh[j], tr = dx[j] + dy[j];
        float m = sqrtf(c2 * c2 + s2 * s2);
        float cp = 1.0f, sp = 0.0f;
        if (m > 1e-12f) {
            c2 /= m;
            s2 /= m;
            cp = sqrtf(fmaxf(0.0f, 0.5f * (1.0f + c2)));
            sp = sqrtf(fmaxf(0.0f, 0.5f * (1.0f - c2)));
            if (s2 < 0.0f)
                sp = -sp;
        }
        coh[j] = tr > 1e-12f ? m / tr : 0.0f;
        dx[j] = -sp;
        dy[j] = cp;
    }
    /* exp(-k^2 / (2 RESTORE_SIGMA^2)) as constants: a libm expf (or the
     * compiler folding it) may round differently from one build or platform
     * to another, and the restored image must not. */
    static const float wk[RESTORE_TAPS + 1] = {1.0f, 0.80073740291680810f, 0.41111229050718745f,
                                               0.13533528323661270f, 0.028565500784550377f};
    float wsum = 1.0f;
    for (int k = 1; k <= RESTORE_TAPS; k++)
        wsum += 2.0f * wk[k];
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            size_t j = (size_t)y * w + x;
            if (!(coh[j] >= RESTORE_COH)) {
                sm[j] = img[j];
                continue;
            }
            float ux = dx[j], uy = dy[j], s = img[j];
            for (int k = 1; k <= RESTORE_TAPS; k++) {
                float fk = (float)k;
                s += wk[k] * (restore_sample(img, w, h, (float)x + ux * fk, (float)y + uy * fk) +
                              restore_sample(img, w, h, (float)x - ux * fk, (float)y - uy * fk));
            }
            sm[j] = s / wsum;
        }
    memcpy(img, sm, n * sizeof *img);
    forward_transform(&d->filt, &d->geom, img, w, pad, tmp);
    band_values(d, img, 1);
    inverse_transform(&d->filt, &d->geom, img, w, pad, tmp);
}

/* Read the segments and the blocks' coefficients: counting (d->counting,
 * nothing stored, nothing large allocated) or into d->coef. */
static hs_status parse(wsq_dec *d)
{
    hs_ctx *ctx = d->ctx;
    const uint8_t *data = d->data;
    size_t size = d->size;
    hs_status s = HS_OK;
    size_t pos = 2; /* SOI checked by the caller */
    int blocks = 0, eoi = 0;
    while (!s) {
        if (size - pos < 2) {
            s = hs__error(ctx, HS_ERR_TRUNCATED, "WSQ: data ends at offset %zu before EOI",
                          pos);
            break;
        }
        size_t off = pos;
        uint32_t mk = (uint32_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (mk == M_EOI) {
            eoi = 1;
            break;
        }
        if (mk < M_SOF || mk > M_COM) {
            s = hs__error(ctx, HS_ERR_CORRUPT, "WSQ: unexpected marker %04x at offset %zu", mk,
                          off);
            break;
        }
        if (size - pos < 2) {
            s = hs__error(ctx, HS_ERR_TRUNCATED, "WSQ: segment at offset %zu ends early", off);
            break;
        }
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        if (len < 2) {
            s = hs__error(ctx, HS_ERR_CORRUPT, "WSQ: segment at offset %zu has length %zu",
                          off, len);
            break;
        }
        if (len > size - pos) {
            s = hs__error(ctx, HS_ERR_TRUNCATED,
                          "WSQ: segment %04x at offset %zu (%zu bytes) runs past the end", mk,
                          off, len);
            break;
        }
        hs__reader r;
        hs__reader_init(&r, data + pos + 2, len - 2);
        switch (mk) {
        case M_SOF: s = blocks ? hs__error(ctx, HS_ERR_CORRUPT, "WSQ: SOF after a block at offset %zu", off) : seg_sof(d, &r, off); break;
        case M_DTT: s = blocks ? hs__error(ctx, HS_ERR_CORRUPT, "WSQ: DTT after a block at offset %zu", off) : seg_dtt(d, &r, off); break;
        case M_DQT: s = blocks ? hs__error(ctx, HS_ERR_CORRUPT, "WSQ: DQT after a block at offset %zu", off) : seg_dqt(d, &r, off); break;
        case M_DHT: s = seg_dht(d, &r, off); break;
        case M_COM: seg_com(d, data + pos + 2, len - 2); break;
        case M_DRT:
            d->restart_interval = hs__rd_be16(&r);
            if (r.overrun)
                s = hs__error(ctx, HS_ERR_TRUNCATED, "WSQ: DRT at offset %zu ends early", off);
            break;
        case M_SOB: {
            uint8_t td = hs__rd_u8(&r);
            if (r.overrun) {
                s = hs__error(ctx, HS_ERR_TRUNCATED, "WSQ: SOB at offset %zu ends early", off);
                break;
            }
            if (td >= NTABLES || !d->huff[td].defined) {
                s = hs__error(ctx, HS_ERR_CORRUPT,
                              "WSQ: block at offset %zu uses undefined Huffman table %u", off,
                              td);
                break;
            }
            if (!blocks)
                s = prepare_coefficients(d, off);
            blocks++;
            if (!s) {
                pos += len;
                s = decode_block(d, &d->huff[td], &pos);
            }
            continue;
        }
        default: /* marker codes within the range but not assigned */
            s = hs__error(ctx, HS_ERR_CORRUPT, "WSQ: unexpected marker %04x at offset %zu", mk,
                          off);
            break;
        }
        pos += len;
    }
    if (!s && !blocks)
        s = hs__error(ctx, HS_ERR_CORRUPT, "WSQ: no image data (no SOB segment)");
    if (!s && !eoi)
        s = hs__error(ctx, HS_ERR_TRUNCATED, "WSQ: no EOI marker");
    if (!s && d->filled < d->ncoef)
        s = hs__error(ctx, HS_ERR_TRUNCATED,
                      "WSQ: the blocks hold %zu of %zu coefficients", d->filled, d->ncoef);
    return s;
}

hs_status hs__decode_wsq(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size,
                         uint32_t flags)
{
    *out = NULL;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    wsq_dec *d = hs__calloc(a, 1, sizeof *d);
    if (!d)
        return hs__error(ctx, HS_ERR_NOMEM, "WSQ: out of memory");
    /* Two passes over the data: the first checks every segment and counts
     * the coefficients the blocks hold, so that a small file whose header
     * declares a large image (WSQ compresses blank areas over 30,000:1)
     * costs no more than its size until it is known to be complete; the
     * second stores them. */
    hs_status s = HS_OK;
    for (int pass = 0; pass < 2 && !s; pass++) {
        memset(d, 0, sizeof *d);
        d->ctx = ctx;
        d->data = data;
        d->size = size;
        d->counting = pass == 0;
        s = parse(d);
    }
    size_t np = s ? 0 : (size_t)d->width * d->height;
    int rest = !s && (flags & HS_IMAGE_WSQ_RESTORE) &&
               (double)size * 8.0 < RESTORE_MAX_BPP * (double)np; /* the whole file's rate */
    hs_image *img = NULL;
    float *plane = NULL, *pad = NULL, *tmp = NULL, *work[4] = {NULL, NULL, NULL, NULL};
    if (!s)
        s = hs__image_alloc(ctx, &img, d->width, d->height, 0);
    if (!s) {
        plane = hs__malloc(a, np * sizeof *plane);
        tmp = hs__malloc(a, np * sizeof *tmp);
        uint32_t longest = d->width > d->height ? d->width : d->height;
        pad = hs__calloc(a, (size_t)longest + 2 * MAX_TAPS + 2, sizeof *pad);
        int ok = plane && pad && tmp;
        for (int k = 0; k < 4 && rest && ok; k++)
            ok = (work[k] = hs__malloc(a, np * sizeof *work[k])) != NULL;
        if (!ok)
            s = hs__error(ctx, HS_ERR_NOMEM, "WSQ: cannot allocate a %ux%u work plane",
                          d->width, d->height);
    }
    if (!s) {
        dequantise(d, plane, pad, tmp);
        if (rest)
            restore(d, plane, pad, tmp, work[0], work[1], work[2], work[3]);
        render(d, plane, img->grey);
        img->ppi = d->ppi;
        img->format = HS_IMAGE_FORMAT_WSQ;
        img->color = HS_IMAGE_COLOR_GREY;
        img->bits = 8;
        *out = img;
        img = NULL;
    }
    hs_image_free(img);
    hs__free_wiped(a, plane, np * sizeof *plane);
    hs__free_wiped(a, tmp, np * sizeof *tmp);
    for (int k = 0; k < 4; k++)
        hs__free_wiped(a, work[k], np * sizeof *work[k]);
    hs__free(a, pad);
    hs__free_wiped(a, d->coef, d->ncoef * sizeof *d->coef);
    hs__free(a, d);
    return s;
}

/* ---- encoder ------------------------------------------------------------- */

/* Subband areas as fractions of the image (m_k of the bit-rate model). */
static double band_area(int k)
{
    return k < 4 ? 1.0 / 1024.0 : k < 51 ? 1.0 / 256.0 : 1.0 / 16.0;
}

/* Weights A_k of the relative bin widths (encoder number one): 1 except
 * for the eight subbands 52-59 of the first high-pass quadrants. */
static double band_weight(int k)
{
    static const double a[8] = {1.32, 1.08, 1.42, 1.08, 1.32, 1.42, 1.08, 1.08};
    return k >= 52 && k < 60 ? a[k - 52] : 1.0;
}

/* A positive value as (exponent, integer) with integer <= max, keeping as
 * many decimal digits as fit, without trailing zeros. The value the
 * decoder will see is returned. */
static double to_scaled(double v, uint32_t max, uint8_t *e, uint32_t *iv)
{
    *e = 0;
    *iv = 0;
    if (!(v > 0.0))
        return 0.0;
    if (v >= (double)max) {
        *iv = max;
        return (double)max;
    }
    double p = 1.0;
    int ex = 0;
    while (ex < 20 && floor(v * p * 10.0 + 0.5) <= (double)max) {
        p *= 10.0;
        ex++;
    }
    uint64_t n = (uint64_t)floor(v * p + 0.5);
    while (ex > 0 && n % 10 == 0) {
        n /= 10;
        ex--;
    }
    *e = (uint8_t)ex;
    *iv = (uint32_t)n;
    return scaled(*e, *iv);
}

/* Huffman code lengths from symbol frequencies (JPEG Annex K.2, with the
 * reserved all-ones code and the 16-bit limit of K.3). */
static void huff_lengths(const uint32_t freq_in[256], uint8_t counts[16], uint8_t vals[256],
                         int *nvals)
{
    uint64_t freq[257];
    int codesize[257], others[257];
    for (int i = 0; i < 256; i++)
        freq[i] = freq_in[i];
    freq[256] = 1;
    for (int i = 0; i < 257; i++) {
        codesize[i] = 0;
        others[i] = -1;
    }
    for (;;) {
        int v1 = -1, v2 = -1;
        for (int i = 0; i < 257; i++) {
            if (!freq[i])
                continue;
            if (v1 < 0 || freq[i] <= freq[v1]) {
                v2 = v1;
                v1 = i;
            } else if (v2 < 0 || freq[i] <= freq[v2]) {
                v2 = i;
            }
        }
        if (v2 < 0)
            break;
        freq[v1] += freq[v2];
        freq[v2] = 0;
        codesize[v1]++;
        while (others[v1] >= 0) {
            v1 = others[v1];
            codesize[v1]++;
        }
        others[v1] = v2;
        codesize[v2]++;
        while (others[v2] >= 0) {
            v2 = others[v2];
            codesize[v2]++;
        }
    }
    int bits[33];
    memset(bits, 0, sizeof bits);
    for (int i = 0; i < 257; i++)
        if (codesize[i])
            bits[codesize[i] > 32 ? 32 : codesize[i]]++;
    for (int i = 32; i > 16; i--) {
        while (bits[i] > 0) {
            int j = i - 2;
            while (bits[j] == 0)
                j--;
            bits[i] -= 2;
            bits[i - 1]++;
            bits[j + 1] += 2;
            bits[j]--;
        }
    }
    int i = 16;
    while (bits[i] == 0)
        i--;
    bits[i]--; /* drop the reserved code */
    for (int l = 1; l <= 16; l++)
        counts[l - 1] = (uint8_t)bits[l];
    int n = 0;
    for (int l = 1; l <= 32; l++)
        for (int s = 0; s < 256; s++)
            if (codesize[s] == l)
                vals[n++] = (uint8_t)s;
    *nvals = n;
}

typedef struct huff_enc {
    uint16_t code[256];
    uint8_t len[256];
} huff_enc;

static void huff_codes(huff_enc *t, const uint8_t counts[16], const uint8_t *vals)
{
    memset(t, 0, sizeof *t);
    uint32_t code = 0;
    int k = 0;
    for (int len = 1; len <= 16; len++) {
        for (int i = 0; i < counts[len - 1]; i++, k++) {
            t->code[vals[k]] = (uint16_t)code++;
            t->len[vals[k]] = (uint8_t)len;
        }
        code <<= 1;
    }
}

typedef struct bitwriter {
    hs__writer *w;
    uint64_t acc;
    int nbits;
    uint32_t restart;  /* symbols between restart markers, 0 = none */
    uint32_t symbols;  /* symbols since the last marker */
    uint32_t next_rst; /* RSTn number of the next marker */
} bitwriter;

static void bw_put(bitwriter *b, uint32_t v, int n)
{
    b->acc = (b->acc << n) | (v & ((1u << n) - 1u));
    b->nbits += n;
    while (b->nbits >= 8) {
        b->nbits -= 8;
        uint8_t c = (uint8_t)(b->acc >> b->nbits);
        hs__wr_u8(b->w, c);
        if (c == 0xFF)
            hs__wr_u8(b->w, 0x00);
    }
}

static void bw_flush(bitwriter *b)
{
    if (b->nbits > 0)
        bw_put(b, 0xFFu, 8 - b->nbits); /* pad with ones */
    b->acc = 0;
}

/* After each symbol: a restart marker when the interval is full. */
static void bw_symbol_done(bitwriter *b)
{
    if (!b->restart || ++b->symbols < b->restart)
        return;
    bw_flush(b);
    hs__wr_be16(b->w, (uint16_t)(M_RST0 + b->next_rst));
    b->next_rst = (b->next_rst + 1) & 7u;
    b->symbols = 0;
}

/* Walk the quantised indices of subbands [k0, k1) as symbols: counting
 * into freq when enc is NULL, writing codes otherwise. */
static void code_bands(const int32_t *const *band, const wsq_geom *g, const double *qbin, int k0,
                       int k1, uint32_t freq[256], const huff_enc *enc, bitwriter *bw)
{
    uint32_t run = 0;
#define EMIT(sym, extra, nextra)                                                               \
    do {                                                                                       \
        if (enc) {                                                                             \
            bw_put(bw, enc->code[sym], enc->len[sym]);                                         \
            if ((nextra) > 0)                                                                  \
                bw_put(bw, (uint32_t)(extra), (nextra));                                       \
            bw_symbol_done(bw);                                                                \
        } else {                                                                               \
            freq[sym]++;                                                                       \
        }                                                                                      \
    } while (0)
#define FLUSH_RUN()                                                                            \
    while (run) {                                                                              \
        if (run <= 100) {                                                                      \
            EMIT(run, 0, 0);                                                                   \
            run = 0;                                                                           \
        } else if (run <= 0xFF) {                                                              \
            EMIT(105, run, 8);                                                                 \
            run = 0;                                                                           \
        } else {                                                                               \
            uint32_t r_ = run > 0xFFFF ? 0xFFFF : run;                                         \
            EMIT(106, r_, 16);                                                                 \
            run -= r_;                                                                         \
        }                                                                                      \
    }
    for (int k = k0; k < k1; k++) {
        if (qbin[k] == 0.0)
            continue;
        size_t n = (size_t)g->band[k].w * g->band[k].h;
        const int32_t *c = band[k];
        for (size_t i = 0; i < n; i++) {
            int32_t v = c[i];
            if (v == 0) {
                run++;
                continue;
            }
            FLUSH_RUN();
            if (v >= -73 && v <= 74)
                EMIT(180 + v, 0, 0);
            else if (v > 0 && v <= 0xFF)
                EMIT(101, v, 8);
            else if (v > 0)
                EMIT(103, v, 16);
            else if (v >= -0xFF)
                EMIT(102, -v, 8);
            else
                EMIT(104, -v, 16);
        }
    }
    FLUSH_RUN();
#undef FLUSH_RUN
#undef EMIT
}

static void wr_marker(hs__writer *w, uint32_t m) { hs__wr_be16(w, (uint16_t)m); }

static void wr_scaled16(hs__writer *w, uint8_t e, uint32_t v)
{
    hs__wr_u8(w, e);
    hs__wr_be16(w, (uint16_t)v);
}

/* Variance of the central part of a subband (encoder number one): columns
 * from W/8 over 3W/4, rows from 9H/32 over 7H/16; the whole subband when
 * that part has fewer than two samples. */
static double band_variance(const float *img, uint32_t stride, wsq_rect r)
{
    uint32_t x0 = r.w / 8, wx = 3 * r.w / 4, y0 = 9 * r.h / 32, hy = 7 * r.h / 16;
    if ((uint64_t)wx * hy < 2) {
        x0 = y0 = 0;
        wx = r.w;
        hy = r.h;
    }
    double s = 0.0, s2 = 0.0;
    for (uint32_t y = 0; y < hy; y++) {
        const float *row = img + (size_t)(r.y + y0 + y) * stride + r.x + x0;
        for (uint32_t x = 0; x < wx; x++) {
            s += row[x];
            s2 += (double)row[x] * row[x];
        }
    }
    double n = (double)wx * hy;
    if (n < 2)
        return 0.0;
    return (s2 - s * s / n) / (n - 1.0);
}

/* Relative bin widths and the global scale q for bit rate r (encoder
 * number one): subbands whose share of bits would be negative leave the
 * rate model, and q is solved again. */
static double solve_bins(const double var[NBANDS], double rate, double q_out[NBANDS])
{
    double rel[NBANDS];
    int in[NBANDS], kept[NBANDS];
    for (int k = 0; k < NBANDS; k++) {
        kept[k] = in[k] = k < NCODED && var[k] >= 1.01;
        rel[k] = k < 4 ? 1.0 : in[k] ? 10.0 / (band_weight(k) * log(var[k])) : 0.0;
    }
    double q = 1.0;
    for (int iter = 0; iter < NBANDS; iter++) {
        double sm = 0.0, lp = 0.0;
        for (int k = 0; k < NBANDS; k++)
            if (in[k]) {
                sm += band_area(k);
                lp += band_area(k) * log(sqrt(var[k]) / rel[k]);
            }
        if (sm <= 0.0)
            break;
        q = pow(2.0, rate / sm - 1.0) / (2.5 * exp(lp / sm));
        int dropped = 0;
        for (int k = 0; k < NBANDS; k++)
            if (in[k] && rel[k] / q >= 5.0 * sqrt(var[k])) {
                in[k] = 0;
                dropped = 1;
            }
        if (!dropped)
            break;
    }
    /* The subbands left out of the rate model still get coded with their
     * relative width (as NIST's reference encoder does): only those with
     * a variance below 1.01 are dropped. */
    for (int k = 0; k < NBANDS; k++)
        q_out[k] = kept[k] ? rel[k] / q : 0.0;
    return q;
}

static inline int32_t quantise(float a, float q, float z2)
{
    float v;
    if (a > z2)
        v = floorf((a - z2) / q) + 1.0f;
    else if (a < -z2)
        v = ceilf((a + z2) / q) - 1.0f;
    else
        return 0;
    if (v > 65535.0f)
        v = 65535.0f;
    if (v < -65535.0f)
        v = -65535.0f;
    return (int32_t)v;
}

/* What the encoder decided, as the file will state it. */
typedef struct wsq_enc {
    uint32_t w, h;
    uint8_t em, er;      /* SOF shift and scale, scaled form */
    uint32_t mi, ri;
    uint8_t lo_e[5], hi_e[4]; /* DTT taps, scaled form */
    uint32_t lo_v[5], hi_v[4];
    uint8_t qe[NBANDS], ze[NBANDS]; /* DQT, scaled form */
    uint32_t qv[NBANDS], zv[NBANDS];
    double qs[NBANDS];   /* bin widths as stored (0: not coded) */
    wsq_filters f;
    wsq_geom g;
} wsq_enc;

/* Shift and scale: mean to 0, the range to +-128 (R = max(M - min,
 * max - M) / 128); the values the decoder will read back are the ones used. */
static void normalise(wsq_enc *e, const hs_image *img, float *plane)
{
    uint32_t w = e->w, h = e->h;
    uint64_t sum = 0;
    unsigned lo = 255, hi = 0;
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *row = img->view + (size_t)y * img->stride;
        for (uint32_t x = 0; x < w; x++) {
            sum += row[x];
            lo = row[x] < lo ? row[x] : lo;
            hi = row[x] > hi ? row[x] : hi;
        }
    }
    double mean = (double)sum / ((double)w * h);
    double m = to_scaled(mean, 0xFFFF, &e->em, &e->mi);
    double rr = (m - lo > hi - m ? m - lo : hi - m) / 128.0;
    if (rr <= 0.0)
        rr = 1.0; /* a flat image */
    rr = to_scaled(rr, 0xFFFF, &e->er, &e->ri);
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *row = img->view + (size_t)y * img->stride;
        float *dst = plane + (size_t)y * w;
        for (uint32_t x = 0; x < w; x++)
            dst[x] = (float)(((double)row[x] - m) / rr);
    }
}

/* The 9/7 filters as DTT states them, so that encoder and decoder use the
 * same taps. */
static void standard_filters(wsq_enc *e)
{
    wsq_filters *f = &e->f;
    memset(f, 0, sizeof *f);
    f->nlo = 9;
    f->nhi = 7;
    for (int k = 0; k < 5; k++)
        f->lo[k] = (float)((std_lo[k] < 0 ? -1 : 1) *
                           to_scaled(fabs(std_lo[k]), 0xFFFFFFFFu, &e->lo_e[k], &e->lo_v[k]));
    for (int k = 0; k < 4; k++)
        f->hi[k] = (float)((std_hi[k] < 0 ? -1 : 1) *
                           to_scaled(fabs(std_hi[k]), 0xFFFFFFFFu, &e->hi_e[k], &e->hi_v[k]));
    filters_finish(f);
}

/* Bin widths for the rate from the transformed plane, then every coded
 * subband quantised into coef (subband after subband, as the blocks code
 * them); band[k] points at subband k's indices. */
static void quantise_plane(wsq_enc *e, const float *plane, double rate, int32_t *coef,
                           const int32_t *band[NBANDS])
{
    double var[NBANDS], qb[NBANDS], zs[NBANDS];
    for (int k = 0; k < NBANDS; k++)
        var[k] = k < NCODED ? band_variance(plane, e->w, e->g.band[k]) : 0.0;
    solve_bins(var, rate, qb);
    for (int k = 0; k < NBANDS; k++) {
        e->qs[k] = to_scaled(qb[k], 0xFFFF, &e->qe[k], &e->qv[k]);
        e->ze[k] = 0;
        e->zv[k] = 0;
        zs[k] = e->qs[k] == 0.0 ? 0.0 : to_scaled(1.2 * e->qs[k], 0xFFFF, &e->ze[k], &e->zv[k]);
    }
    size_t at = 0;
    for (int k = 0; k < NBANDS; k++) {
        wsq_rect r = e->g.band[k];
        band[k] = coef + at;
        if (e->qs[k] == 0.0)
            continue;
        float q = (float)e->qs[k], z2 = (float)(zs[k] / 2.0);
        for (uint32_t y = 0; y < r.h; y++) {
            const float *row = plane + (size_t)(r.y + y) * e->w + r.x;
            for (uint32_t x = 0; x < r.w; x++)
                coef[at++] = quantise(row[x], q, z2);
        }
    }
}

/* SOI and the table segments, in the order NBIS's cwsq writes them: COM
 * (NISTCOM, where WSQ keeps the resolution), DTT, DQT, SOF, [DRT]. */
static void write_header(hs__writer *o, const wsq_enc *e, uint32_t ppi, double rate,
                         uint32_t restart)
{
    wr_marker(o, M_SOI);
    char com[320], p[16];
    if (ppi)
        snprintf(p, sizeof p, "%u", ppi);
    else
        snprintf(p, sizeof p, "-1");
    int cn = snprintf(com, sizeof com,
                      "NIST_COM 9\nPIX_WIDTH %u\nPIX_HEIGHT %u\nPIX_DEPTH 8\nPPI %s\n"
                      "LOSSY 1\nCOLORSPACE GRAY\nCOMPRESSION WSQ\nWSQ_BITRATE %f",
                      e->w, e->h, p, rate);
    wr_marker(o, M_COM);
    hs__wr_be16(o, (uint16_t)(cn + 2));
    hs__wr_bytes(o, com, (size_t)cn);
    wr_marker(o, M_DTT);
    hs__wr_be16(o, 58);
    hs__wr_u8(o, 9);
    hs__wr_u8(o, 7);
    for (int k = 0; k < 5; k++) {
        hs__wr_u8(o, std_lo[k] < 0);
        hs__wr_u8(o, e->lo_e[k]);
        hs__wr_be32(o, e->lo_v[k]);
    }
    for (int k = 0; k < 4; k++) {
        hs__wr_u8(o, std_hi[k] < 0);
        hs__wr_u8(o, e->hi_e[k]);
        hs__wr_be32(o, e->hi_v[k]);
    }
    wr_marker(o, M_DQT);
    hs__wr_be16(o, 389);
    wr_scaled16(o, 2, 44); /* C = 0.44 */
    for (int k = 0; k < NBANDS; k++) {
        wr_scaled16(o, e->qe[k], e->qv[k]);
        wr_scaled16(o, e->ze[k], e->zv[k]);
    }
    wr_marker(o, M_SOF);
    hs__wr_be16(o, 17);
    hs__wr_u8(o, 0);   /* black */
    hs__wr_u8(o, 255); /* white */
    hs__wr_be16(o, (uint16_t)e->h);
    hs__wr_be16(o, (uint16_t)e->w);
    wr_scaled16(o, e->em, e->mi);
    wr_scaled16(o, e->er, e->ri);
    hs__wr_u8(o, 2);   /* WSQ encoder number (the NBIS parameter set) */
    hs__wr_be16(o, 0); /* software implementation number */
    if (restart) {
        wr_marker(o, M_DRT);
        hs__wr_be16(o, 4);
        hs__wr_be16(o, (uint16_t)restart);
    }
}

/* Three blocks: subbands 0-18 with table 0, 19-51 and 52-63 with table 1
 * (each table built from the symbols of the blocks that use it). */
static void write_blocks(hs__writer *o, const wsq_enc *e, const int32_t *const band[NBANDS],
                         uint32_t restart)
{
    static const int blk[4] = {0, 19, 52, NBANDS};
    for (int t = 0; t < 2; t++) {
        uint32_t freq[256];
        memset(freq, 0, sizeof freq);
        int b0 = t == 0 ? 0 : 1, b1 = t == 0 ? 1 : 3;
        for (int b = b0; b < b1; b++)
            code_bands(band, &e->g, e->qs, blk[b], blk[b + 1], freq, NULL, NULL);
        freq[0] = 0; /* symbol 0 is never used */
        int any = 0;
        for (int k = 0; k < 256; k++)
            any |= freq[k] != 0;
        if (!any)
            freq[1] = 1; /* an empty block still names a table */
        uint8_t counts[16], vals[256];
        int nv = 0;
        huff_lengths(freq, counts, vals, &nv);
        wr_marker(o, M_DHT);
        hs__wr_be16(o, (uint16_t)(2 + 1 + 16 + nv));
        hs__wr_u8(o, (uint8_t)t);
        hs__wr_bytes(o, counts, 16);
        hs__wr_bytes(o, vals, (size_t)nv);
        huff_enc enc;
        huff_codes(&enc, counts, vals);
        for (int b = b0; b < b1; b++) {
            wr_marker(o, M_SOB);
            hs__wr_be16(o, 3);
            hs__wr_u8(o, (uint8_t)t);
            bitwriter bw = {o, 0, 0, restart, 0, 0};
            code_bands(band, &e->g, e->qs, blk[b], blk[b + 1], NULL, &enc, &bw);
            bw_flush(&bw);
        }
    }
    wr_marker(o, M_EOI);
}

/* Encode img's grey plane at bit rate rate into out; restart > 0 puts a
 * DRT segment and a restart marker after every restart symbols (the
 * library's encoder uses none; tests use it to exercise the decoder). */
hs_status hs__encode_wsq(hs_ctx *ctx, hs__writer *out, const hs_image *img, double rate,
                         uint32_t restart)
{
    uint32_t w = img->width, h = img->height;
    if (w < 32 || h < 32 || w > 0xFFFF || h > 0xFFFF)
        return hs__error(ctx, HS_ERR_UNSUPPORTED,
                         "WSQ: image size %ux%u outside the 32 to 65535 pixels a side WSQ "
                         "encodes",
                         w, h);
    const hs_allocator *a = hs__ctx_allocator(ctx);
    size_t npix = (size_t)w * h;
    wsq_enc *e = hs__calloc(a, 1, sizeof *e);
    float *plane = hs__malloc(a, npix * sizeof *plane);
    int32_t *coef = hs__malloc(a, npix * sizeof *coef);
    float *pad = hs__malloc(a, ((size_t)(w > h ? w : h) + 2 * MAX_TAPS + 2) * sizeof *pad);
    float *tmp = hs__malloc(a, npix * sizeof *tmp);
    hs_status s = HS_OK;
    if (!e || !plane || !coef || !pad || !tmp) {
        s = hs__error(ctx, HS_ERR_NOMEM, "WSQ: cannot allocate a %ux%u work plane", w, h);
    } else {
        e->w = w;
        e->h = h;
        normalise(e, img, plane);
        standard_filters(e);
        build_geom(&e->g, w, h);
        forward_transform(&e->f, &e->g, plane, w, pad, tmp);
        const int32_t *band[NBANDS];
        quantise_plane(e, plane, rate, coef, band);
        if (restart > 0xFFFF)
            restart = 0xFFFF;
        write_header(out, e, img->ppi, rate, restart);
        write_blocks(out, e, band, restart);
        if (out->failed)
            s = hs__error(ctx, HS_ERR_NOMEM, "WSQ: out of memory while encoding");
    }
    if (plane)
        hs__memzero(plane, npix * sizeof *plane);
    if (coef)
        hs__memzero(coef, npix * sizeof *coef);
    if (tmp)
        hs__memzero(tmp, npix * sizeof *tmp);
    hs__free(a, e);
    hs__free(a, plane);
    hs__free(a, coef);
    hs__free(a, pad);
    hs__free(a, tmp);
    return s;
}
