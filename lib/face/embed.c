/* Face embeddings in pure C: cosine similarity, the int8 compact form, the
 * "HSFE" encoded record, FMR-calibrated thresholds and the 1:N gallery.
 * Nothing here depends on OpenCV: a build without it still stores, compares
 * and searches embeddings (computed by another build or another SDK). */
#include "internal/core.h"
#include "internal/face.h"
#include "hotspot/face.h"

#include <math.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#  define HS_FACE_X86 1
#  include <immintrin.h>
#endif

/* ---- validation -------------------------------------------------------- */

static bool dim_ok(uint32_t dim) { return dim >= 1 && dim <= HS_FACE_MAX_DIM; }

/* Squared norm of v in double; <0 when a value is not finite. */
static double sqnorm_checked(const float *v, uint32_t dim)
{
    double s = 0;
    for (uint32_t i = 0; i < dim; i++) {
        if (!isfinite(v[i]))
            return -1;
        s += (double)v[i] * v[i];
    }
    return s;
}

static hs_status check_vec(hs_ctx *ctx, const float *v, uint32_t dim, const char *what,
                           double *sq)
{
    if (!v)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: NULL embedding", what);
    if (!dim_ok(dim))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: dimension %u outside 1..%u", what,
                         dim, (unsigned)HS_FACE_MAX_DIM);
    double s = sqnorm_checked(v, dim);
    if (s < 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: embedding has NaN or Inf", what);
    if (!(s > 1e-30))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: embedding is the zero vector", what);
    *sq = s;
    return HS_OK;
}

hs_status hs_face_embedding_normalize(hs_ctx *ctx, float *v, uint32_t dim)
{
    double sq;
    hs_status s = check_vec(ctx, v, dim, "normalize", &sq);
    if (s)
        return s;
    double inv = 1.0 / sqrt(sq);
    for (uint32_t i = 0; i < dim; i++)
        v[i] = (float)(v[i] * inv);
    return HS_OK;
}

hs_status hs_face_similarity(hs_ctx *ctx, float *score, const float *a, const float *b,
                             uint32_t dim)
{
    double na, nb;
    if (!score)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "similarity: NULL score");
    hs_status s = check_vec(ctx, a, dim, "similarity", &na);
    if (!s)
        s = check_vec(ctx, b, dim, "similarity", &nb);
    if (s)
        return s;
    double d = 0;
    for (uint32_t i = 0; i < dim; i++)
        d += (double)a[i] * b[i];
    double c = d / sqrt(na * nb);
    *score = (float)(c > 1 ? 1 : c < -1 ? -1 : c);
    return HS_OK;
}

/* ---- int8 compact form ---------------------------------------------- */

hs_status hs_face_quantize(hs_ctx *ctx, int8_t *q, float *scale, const float *v, uint32_t dim)
{
    double sq;
    if (!q || !scale)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "quantize: NULL output");
    hs_status s = check_vec(ctx, v, dim, "quantize", &sq);
    if (s)
        return s;
    float m = 0;
    for (uint32_t i = 0; i < dim; i++)
        m = fmaxf(m, fabsf(v[i]));
    float sc = m / 127.0f;
    float inv = 127.0f / m;
    for (uint32_t i = 0; i < dim; i++) {
        long r = lrintf(v[i] * inv);
        q[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
    *scale = sc;
    return HS_OK;
}

static int32_t dot_q8_c(const int8_t *a, const int8_t *b, uint32_t dim)
{
    int32_t s = 0;
    for (uint32_t i = 0; i < dim; i++)
        s += (int32_t)a[i] * b[i];
    return s;
}

hs_status hs_face_dequantize(hs_ctx *ctx, float *out, const int8_t *q, float scale,
                             uint32_t dim)
{
    if (!out || !q || !dim_ok(dim))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "dequantize: NULL or bad dimension");
    if (!isfinite(scale) || !(scale > 0))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "dequantize: scale not finite and > 0");
    int32_t n2 = dot_q8_c(q, q, dim);
    if (n2 == 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "dequantize: zero vector");
    double inv = 1.0 / sqrt((double)n2);
    for (uint32_t i = 0; i < dim; i++)
        out[i] = (float)(q[i] * inv);
    return HS_OK;
}

hs_status hs_face_similarity_q8(hs_ctx *ctx, float *score, const int8_t *a, const int8_t *b,
                                uint32_t dim)
{
    if (!score || !a || !b || !dim_ok(dim))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "similarity_q8: NULL or bad dimension");
    int32_t na = dot_q8_c(a, a, dim), nb = dot_q8_c(b, b, dim);
    if (!na || !nb)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "similarity_q8: zero vector");
    double c = dot_q8_c(a, b, dim) / sqrt((double)na * nb);
    *score = (float)(c > 1 ? 1 : c < -1 ? -1 : c);
    return HS_OK;
}

/* ---- 1:N kernel ------------------------------------------------------ */

/* Scores of rows [0, n) against probe. The AVX2 path sign-extends 16 int8 to
 * int16 and uses vpmaddwd (exact: |products| <= 127*127, 16 lanes*2 per
 * step cannot overflow int32 below dim 2^16). Two rows at once to hide the
 * load latency. */
static void scan_c(float *scores, const int8_t *probe, float ps, const int8_t *m,
                   const float *rs, size_t n, uint32_t dim, size_t stride)
{
    for (size_t i = 0; i < n; i++)
        scores[i] = (float)dot_q8_c(probe, m + i * stride, dim) * ps * rs[i];
}

#ifdef HS_FACE_X86
__attribute__((target("avx2"))) static inline int32_t hsum256(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

__attribute__((target("avx2"))) static void scan_avx2(float *scores, const int8_t *probe,
                                                      float ps, const int8_t *m,
                                                      const float *rs, size_t n, uint32_t dim,
                                                      size_t stride)
{
    uint32_t d16 = dim & ~15u;
    for (size_t i = 0; i < n; i++) {
        const int8_t *r = m + i * stride;
        __m256i acc = _mm256_setzero_si256();
        for (uint32_t k = 0; k < d16; k += 16) {
            __m256i p = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(probe + k)));
            __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(r + k)));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, x));
        }
        int32_t s = hsum256(acc);
        for (uint32_t k = d16; k < dim; k++)
            s += (int32_t)probe[k] * r[k];
        scores[i] = (float)s * ps * rs[i];
    }
}
#endif

void hs__face_scan(float *scores, const int8_t *probe, float ps, const int8_t *m,
                   const float *rs, size_t n, uint32_t dim, size_t stride)
{
#ifdef HS_FACE_X86
    if (dim >= 16 && __builtin_cpu_supports("avx2")) {
        scan_avx2(scores, probe, ps, m, rs, n, dim, stride);
        return;
    }
#endif
    scan_c(scores, probe, ps, m, rs, n, dim, stride);
}

hs_status hs_face_scan_q8(hs_ctx *ctx, float *scores, const int8_t *probe, float probe_scale,
                          const int8_t *matrix, const float *row_scales, size_t n,
                          uint32_t dim, size_t stride)
{
    if (!scores || !probe || (n && (!matrix || !row_scales)) || !dim_ok(dim) || stride < dim)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "scan_q8: NULL, bad dimension or stride");
    if (!isfinite(probe_scale))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "scan_q8: probe scale not finite");
    hs__face_scan(scores, probe, probe_scale, matrix, row_scales, n, dim, stride);
    return HS_OK;
}

/* ---- encoded record ------------------------------------------------- */

#define HSFE_VERSION 1
#define HSFE_HEAD 12

static void put_f32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    hs__put_le32(p, u);
}

static float get_f32(const uint8_t *p)
{
    uint32_t u = hs__get_le32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static size_t hsfe_size(uint32_t kind, uint32_t dim)
{
    return kind == HS_FACE_ENC_F32 ? HSFE_HEAD + 4 * (size_t)dim + 4
                                   : HSFE_HEAD + 4 + (size_t)dim + 4;
}

hs_status hs_face_embedding_encode(hs_ctx *ctx, void *buf, size_t *size, const float *v,
                                   uint32_t dim, uint32_t model_id, uint32_t kind)
{
    double sq;
    if (!size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "encode: NULL size");
    if (kind != HS_FACE_ENC_F32 && kind != HS_FACE_ENC_Q8)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "encode: unknown kind %u", kind);
    if (model_id > 0xffff)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "encode: model id %u > 65535", model_id);
    hs_status s = check_vec(ctx, v, dim, "encode", &sq);
    if (s)
        return s;
    size_t need = hsfe_size(kind, dim);
    if (!buf) {
        *size = need;
        return HS_OK;
    }
    if (*size < need) {
        size_t have = *size;
        *size = need;
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "encode: needs %zu bytes, have %zu",
                         need, have);
    }
    uint8_t *p = buf;
    memcpy(p, "HSFE", 4);
    p[4] = HSFE_VERSION;
    p[5] = (uint8_t)kind;
    p[6] = (uint8_t)model_id;
    p[7] = (uint8_t)(model_id >> 8);
    hs__put_le32(p + 8, dim);
    double inv = 1.0 / sqrt(sq);
    if (kind == HS_FACE_ENC_F32) {
        for (uint32_t i = 0; i < dim; i++)
            put_f32(p + HSFE_HEAD + 4 * (size_t)i, (float)(v[i] * inv));
    } else {
        float sc;
        /* v is valid, so quantize cannot fail; it writes straight into the
         * record (int8_t and uint8_t share representation). */
        hs_face_quantize(ctx, (int8_t *)(p + HSFE_HEAD + 4), &sc, v, dim);
        put_f32(p + HSFE_HEAD, (float)(sc * inv));
    }
    hs__put_le32(p + need - 4, hs__crc32c(0, p, need - 4));
    *size = need;
    return HS_OK;
}

hs_status hs_face_embedding_decode(hs_ctx *ctx, float *out, uint32_t cap, uint32_t *dim,
                                   uint32_t *model_id, const void *data, size_t size)
{
    if (!dim || !data || (cap && !out))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "decode: NULL argument");
    const uint8_t *p = data;
    if (size < 4 || memcmp(p, "HSFE", 4))
        return hs__error(ctx, HS_ERR_FORMAT, "decode: not an HSFE face embedding record");
    if (size < HSFE_HEAD)
        return hs__error(ctx, HS_ERR_TRUNCATED, "decode: record header truncated");
    if (p[4] != HSFE_VERSION)
        return hs__error(ctx, HS_ERR_VERSION, "decode: record version %u (this library reads 1)",
                         p[4]);
    uint32_t kind = p[5], d = hs__get_le32(p + 8);
    if (kind != HS_FACE_ENC_F32 && kind != HS_FACE_ENC_Q8)
        return hs__error(ctx, HS_ERR_CORRUPT, "decode: unknown kind %u", kind);
    if (!dim_ok(d))
        return hs__error(ctx, HS_ERR_CORRUPT, "decode: dimension %u outside 1..%u", d,
                         (unsigned)HS_FACE_MAX_DIM);
    size_t need = hsfe_size(kind, d);
    if (size < need)
        return hs__error(ctx, HS_ERR_TRUNCATED, "decode: record needs %zu bytes, has %zu", need,
                         size);
    if (size > need)
        return hs__error(ctx, HS_ERR_CORRUPT, "decode: %zu trailing bytes", size - need);
    if (hs__crc32c(0, p, need - 4) != hs__get_le32(p + need - 4))
        return hs__error(ctx, HS_ERR_CHECKSUM, "decode: CRC-32C mismatch");
    /* The values are checked whether or not the caller asked for them, so
     * that the size query and the full decode accept the same records (a
     * record of subnormal values passed the first and failed the second). */
    double sq = 0;
    float sc = 0;
    const int8_t *q = (const int8_t *)(p + HSFE_HEAD + 4);
    if (kind == HS_FACE_ENC_F32) {
        for (uint32_t i = 0; i < d; i++) {
            float f = get_f32(p + HSFE_HEAD + 4 * (size_t)i);
            if (!isfinite(f))
                return hs__error(ctx, HS_ERR_CORRUPT, "decode: value %u is NaN or Inf", i);
            sq += (double)f * f;
        }
        if (!(sq > 1e-30))
            return hs__error(ctx, HS_ERR_CORRUPT, "decode: zero (or subnormal) vector");
    } else {
        sc = get_f32(p + HSFE_HEAD);
        if (!isfinite(sc) || !(sc > 0) || !dot_q8_c(q, q, d))
            return hs__error(ctx, HS_ERR_CORRUPT, "decode: bad scale or zero vector");
    }
    if (out && cap < d)
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "decode: dimension %u, room for %u", d,
                         cap);
    *dim = d;
    if (model_id)
        *model_id = (uint32_t)p[6] | (uint32_t)p[7] << 8;
    if (!out)
        return HS_OK;
    if (kind == HS_FACE_ENC_F32) {
        double inv = 1.0 / sqrt(sq);
        for (uint32_t i = 0; i < d; i++)
            out[i] = (float)(get_f32(p + HSFE_HEAD + 4 * (size_t)i) * inv);
    } else {
        hs_face_dequantize(ctx, out, q, sc, d);
    }
    return HS_OK;
}

/* ---- calibrated thresholds ------------------------------------------ */

/* Cosine thresholds at FMR 1e-1, 1e-2, 1e-3, 1e-4 from the AT&T all-vs-all
 * impostor scores (78,000 pairs): the score exceeded by a fraction fmr of the
 * impostor pairs (bench_face prints them; docs/face.md explains). */
struct fmr_row {
    uint32_t model_id;
    float t[4];
};

static const struct fmr_row fmr_table[] = {
    {HS_FACE_MODEL_MOBILEFACENET, {0.2296f, 0.3568f, 0.4514f, 0.5108f}},
    {HS_FACE_MODEL_ARCFACE, {0.1910f, 0.3081f, 0.3889f, 0.4403f}},
    /* the default pipeline: UltraFace, 68-point landmarks, fr_feature */
    {HS_FACE_MODEL_FR_FEATURE, {0.1991f, 0.3222f, 0.3922f, 0.4315f}},
};

hs_status hs_face_threshold_for_fmr(float *out, uint32_t model_id, double fmr)
{
    if (!out || !(fmr >= 1e-4 && fmr <= 0.1))
        return HS_ERR_INVALID_ARG;
    for (size_t i = 0; i < sizeof fmr_table / sizeof fmr_table[0]; i++) {
        if (fmr_table[i].model_id != model_id)
            continue;
        double x = -log10(fmr) - 1; /* 0 at 1e-1 .. 3 at 1e-4 */
        int k = (int)floor(x);
        if (k >= 3)
            k = 2;
        double f = x - k;
        *out = (float)(fmr_table[i].t[k] * (1 - f) + fmr_table[i].t[k + 1] * f);
        return HS_OK;
    }
    return HS_ERR_UNSUPPORTED;
}
