/* AVX-512 kernels of the fingerprint matcher (F, DQ, BW, VL and VPOPCNTDQ:
 * Intel Ice Lake, AMD Zen 4 and later). Each repeats its portable twin in
 * lib/finger/match.c operation by operation, so the scores are identical
 * (test_vector_kernels); only the speed differs. Compiled with target
 * attributes, chosen at run time by hs__match_cpu_avx512(). */
#include "match_impl.h"

#ifdef HS_MATCH_AVX512

#include <immintrin.h>
#include <string.h>

#define HS_AVX512_TARGET \
    __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx512vpopcntdq")))

/* Lane masks for the last, partial vector of a loop: left > 0 lanes remain. */
static inline uint16_t tail16(uint32_t left)
{
    return left >= 16 ? (uint16_t)0xffff : (uint16_t)((1u << left) - 1u);
}
static inline uint8_t tail8(uint32_t left)
{
    return left >= 8 ? (uint8_t)0xff : (uint8_t)((1u << left) - 1u);
}

bool hs__match_cpu_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vpopcntdq");
}

/* The same matrix, eight columns at a time, with AVX-512 (VPOPCNTQ for the
 * popcounts, a double division for the quantised Dice). Gives exactly the
 * values and keys of sim_matrix_c. */
HS_AVX512_TARGET
static void sim_matrix_avx512(hs_finger_matcher *m, const hs_finger_prepared *A,
                              const hs_finger_prepared *B, int rot_units)
{
    const uint32_t na = A->count, nb = B->count;
    const bool anyrot = rot_units >= 128;
    uint32_t *c1 = m->c1;
    for (uint32_t j = 0; j < nb; j++)
        c1[j] = 0;
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i min_common = _mm512_set1_epi64(CYL_MIN_COMMON);
    const __m512i rot = _mm512_set1_epi64(rot_units);
    const __m512i c255 = _mm512_set1_epi64(255), c256 = _mm512_set1_epi64(256);
    const __m512d half = _mm512_set1_pd(0.5);
    for (uint32_t i = 0; i < na; i++) {
        const __m512i am = _mm512_set1_epi64((long long)A->cyl[i]);
        __m512i ab[HS__CYL_ND];
        for (uint32_t k = 0; k < HS__CYL_ND; k++)
            ab[k] = _mm512_set1_epi64((long long)A->cyl[(1 + k) * na + i]);
        const __m512i ai = _mm512_set1_epi64(A->min[i].angle);
        const __m512i iv = _mm512_set1_epi64(i);
        uint16_t *row = &m->sim[i * nb];
        __m512i r1 = _mm512_setzero_si512(), r2 = _mm512_setzero_si512();
        for (uint32_t j = 0; j < nb; j += 8) {
            const __mmask8 t = tail8(nb - j);
            const __m512i bm = _mm512_maskz_loadu_epi64(t, &B->cyl[j]);
            const __m512i mk = _mm512_and_si512(am, bm);
            __mmask8 ok = _mm512_mask_cmpge_epu64_mask(t, _mm512_popcnt_epi64(mk), min_common);
            if (!anyrot) {
                __m512i pm = _mm512_maskz_loadu_epi64(t, &B->min[j]);
                __m512i bang = _mm512_and_si512(_mm512_srli_epi64(pm, 32), c255);
                __m512i d = _mm512_and_si512(_mm512_sub_epi64(ai, bang), c255);
                __m512i ad = _mm512_min_epu64(d, _mm512_sub_epi64(c256, d));
                ok = _mm512_mask_cmple_epu64_mask(ok, ad, rot);
            }
            __m512i c = _mm512_setzero_si512(), x = _mm512_setzero_si512();
            for (uint32_t k = 0; k < HS__CYL_ND; k++) {
                __m512i vb = _mm512_maskz_loadu_epi64(t, &B->cyl[(1 + k) * nb + j]);
                c = _mm512_add_epi64(c, _mm512_popcnt_epi64(_mm512_and_si512(ab[k], vb)));
                x = _mm512_add_epi64(
                    x, _mm512_popcnt_epi64(_mm512_and_si512(_mm512_xor_si512(ab[k], vb), mk)));
            }
            __m512i d = _mm512_add_epi64(x, _mm512_add_epi64(c, c));
            ok = _mm512_mask_cmpgt_epu64_mask(ok, d, _mm512_setzero_si512());
            __m512d num = _mm512_cvtepu64_pd(_mm512_mullo_epi64(c, _mm512_set1_epi64(131070)));
            __m512d den = _mm512_cvtepu64_pd(_mm512_mask_blend_epi64(ok, _mm512_set1_epi64(1), d));
            __m512i q = _mm512_maskz_cvttpd_epu64(ok, _mm512_add_pd(_mm512_div_pd(num, den), half));
            _mm512_mask_cvtepi64_storeu_epi16(row + j, t, q);
            __m512i q8 = _mm512_slli_epi64(q, 8);
            __m512i jv = _mm512_add_epi64(lane, _mm512_set1_epi64(j));
            __m512i kr = _mm512_maskz_or_epi64(t, q8, jv);
            __m512i lo = _mm512_min_epu64(kr, r1);
            r1 = _mm512_max_epu64(kr, r1);
            r2 = _mm512_max_epu64(lo, r2);
            __m256i kc = _mm512_cvtepi64_epi32(_mm512_or_si512(q8, iv));
            __m256i old = _mm256_maskz_loadu_epi32(t, &c1[j]);
            _mm256_mask_storeu_epi32(&c1[j], t, _mm256_max_epu32(kc, old));
        }
        uint64_t top = _mm512_reduce_max_epu64(r1);
        __mmask8 at = _mm512_cmpeq_epu64_mask(r1, _mm512_set1_epi64((long long)top));
        m->r1[i] = (uint32_t)top;
        m->r2[i] = (uint32_t)_mm512_reduce_max_epu64(_mm512_mask_blend_epi64(at, r1, r2));
    }
}

/* Sort keys in decreasing order by rank: the rank of key c is the number
 * of keys above it plus the number of equal keys before it (the callers
 * make no equal keys, but the output is a permutation either way), i.e.
 * the keys j < c at or above it and the keys j > c above it. Sixteen keys
 * are ranked at once against each key in turn. */
HS_AVX512_TARGET
static void rank_sort_avx512(const uint32_t *k, uint32_t *out, int n)
{
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i one = _mm512_set1_epi32(1);
    for (int c0 = 0; c0 < n; c0 += 16) {
        const __mmask16 t = tail16((uint32_t)(n - c0));
        const __m512i v = _mm512_maskz_loadu_epi32(t, &k[c0]);
        const __m512i cv = _mm512_add_epi32(lane, _mm512_set1_epi32(c0));
        __m512i rank = _mm512_setzero_si512();
        const int d1 = c0 + 16 < n ? c0 + 16 : n;
        int j = 0;
        for (; j < c0; j++) /* before every key of the block: at or above */
            rank = _mm512_mask_add_epi32(
                rank, _mm512_cmpge_epu32_mask(_mm512_set1_epi32((int)k[j]), v), rank, one);
        for (; j < d1; j++) { /* within the block: at or above before c, above after */
            const __m512i w = _mm512_set1_epi32((int)k[j]);
            const __mmask16 before = _mm512_cmpgt_epi32_mask(cv, _mm512_set1_epi32(j));
            const __mmask16 up = (_mm512_cmpge_epu32_mask(w, v) & before) |
                                 (_mm512_cmpgt_epu32_mask(w, v) & (__mmask16)~before);
            rank = _mm512_mask_add_epi32(rank, up, rank, one);
        }
        for (; j < n; j++) /* after every key of the block: above */
            rank = _mm512_mask_add_epi32(
                rank, _mm512_cmpgt_epu32_mask(_mm512_set1_epi32((int)k[j]), v), rank, one);
        _mm512_mask_i32scatter_epi32(out, t, rank, v, 4);
    }
}

/* |signed 8-bit angle difference| of (dang - rot) & 255, sixteen at a time. */
HS_AVX512_TARGET
static inline __m512i abs_ang16(__m512i dang, int rot)
{
    __m512i d = _mm512_and_si512(_mm512_sub_epi32(dang, _mm512_set1_epi32(rot)),
                                 _mm512_set1_epi32(255));
    return _mm512_min_epi32(d, _mm512_sub_epi32(_mm512_set1_epi32(256), d));
}

/* rank_anchor_c() with the geometry of sixteen candidates per step; the
 * greedy one-to-one choice then visits the consistent ones in order. */
HS_AVX512_TARGET
static pairing rank_anchor_avx512(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                                  const hs_finger_prepared *B, const align *g, uint8_t *usea,
                                  uint8_t *useb)
{
    const params *pr = &m->fr.pr;
    pairing r = new_pairing(A, B, usea, useb);
    const __m512 gc = _mm512_set1_ps(g->c), gs = _mm512_set1_ps(g->s);
    const __m512 tx = _mm512_set1_ps(g->tx), ty = _mm512_set1_ps(g->ty);
    const __m512 gax = _mm512_set1_ps(g->ax), gay = _mm512_set1_ps(g->ay);
    const __m512 gbx = _mm512_set1_ps(g->bx), gby = _mm512_set1_ps(g->by);
    const __m512 tmax = _mm512_set1_ps(pr->tol_max);
    const __m512 tmax2 = _mm512_set1_ps(pr->tol_max * pr->tol_max);
    const __m512 base = _mm512_set1_ps(pr->tol_base), slope = _mm512_set1_ps(0.5f * pr->tol_slope);
    const __m512i atol = _mm512_set1_epi32(pr->angle_tol);
    for (int c0 = 0; c0 < nc; c0 += 16) {
        const __mmask16 t = tail16((uint32_t)(nc - c0));
        __mmask16 ok = _mm512_mask_cmple_epi32_mask(
            t, abs_ang16(_mm512_maskz_loadu_epi32(t, &m->cdang[c0]), g->rot), atol);
        __m512 bx = _mm512_maskz_loadu_ps(t, &m->cbx[c0]), by = _mm512_maskz_loadu_ps(t, &m->cby[c0]);
        __m512 ax = _mm512_maskz_loadu_ps(t, &m->cax[c0]), ay = _mm512_maskz_loadu_ps(t, &m->cay[c0]);
        __m512 dx = _mm512_sub_ps(
            _mm512_add_ps(_mm512_sub_ps(_mm512_mul_ps(gc, bx), _mm512_mul_ps(gs, by)), tx), ax);
        __m512 dy = _mm512_sub_ps(
            _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(gs, bx), _mm512_mul_ps(gc, by)), ty), ay);
        __m512 d2 = _mm512_add_ps(_mm512_mul_ps(dx, dx), _mm512_mul_ps(dy, dy));
        ok = _mm512_mask_cmp_ps_mask(ok, d2, tmax2, _CMP_LE_OQ);
        __m512 ux = _mm512_sub_ps(ax, gax), uy = _mm512_sub_ps(ay, gay);
        __m512 ex = _mm512_sub_ps(bx, gbx), ey = _mm512_sub_ps(by, gby);
        __m512 da = _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(ux, ux), _mm512_mul_ps(uy, uy)));
        __m512 db = _mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(ex, ex), _mm512_mul_ps(ey, ey)));
        __m512 tol = _mm512_add_ps(base, _mm512_mul_ps(slope, _mm512_add_ps(da, db)));
        tol = _mm512_min_ps(tol, tmax);
        ok = _mm512_mask_cmp_ps_mask(ok, d2, _mm512_mul_ps(tol, tol), _CMP_LE_OQ);
        take_ranked(m, c0, ok, usea, useb, &r);
    }
    return r;
}

/* pair_cands_c() with the consistency test of sixteen candidates per step. */
HS_AVX512_TARGET
static pairing pair_cands_avx512(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                                 const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                                 uint8_t *useb)
{
    pairing r = new_pairing(A, B, usea, useb);
    const __m512 tmax = _mm512_set1_ps(f->pr.tol_max), one = _mm512_set1_ps(1.0f);
    const __m512 halfv = _mm512_set1_ps(0.5f);
    const __m512 aden = _mm512_set1_ps((float)(f->pr.angle_tol + 1));
    const __m512i atol = _mm512_set1_epi32(f->pr.angle_tol);
    const int rot = f->rot;
    float w16[16];
    for (int c0 = 0; c0 < nc; c0 += 16) {
        const __mmask16 t = tail16((uint32_t)(nc - c0));
        __m512i ad = abs_ang16(_mm512_maskz_loadu_epi32(t, &m->cdang[c0]), rot);
        __mmask16 ok = _mm512_mask_cmple_epi32_mask(t, ad, atol);
        if (!ok)
            continue;
        __m512i ia = _mm512_maskz_loadu_epi32(t, &m->cia[c0]);
        __m512i ib = _mm512_maskz_loadu_epi32(t, &m->cib[c0]);
        __m512 z = _mm512_setzero_ps();
        __m512 tbx = _mm512_mask_i32gather_ps(z, ok, ib, f->tbx, 4);
        __m512 tby = _mm512_mask_i32gather_ps(z, ok, ib, f->tby, 4);
        __m512 ra = _mm512_mask_i32gather_ps(z, ok, ia, f->ra, 4);
        __m512 rb = _mm512_mask_i32gather_ps(z, ok, ib, f->rb, 4);
        __m512 dx = _mm512_sub_ps(tbx, _mm512_maskz_loadu_ps(t, &m->cax[c0]));
        __m512 dy = _mm512_sub_ps(tby, _mm512_maskz_loadu_ps(t, &m->cay[c0]));
        __m512 d2 = _mm512_add_ps(_mm512_mul_ps(dx, dx), _mm512_mul_ps(dy, dy));
        __m512 tol = _mm512_min_ps(_mm512_add_ps(ra, rb), tmax);
        ok = _mm512_mask_cmp_ps_mask(ok, d2, _mm512_mul_ps(tol, tol), _CMP_LE_OQ);
        if (!ok)
            continue;
        __m512 w = _mm512_sub_ps(
            _mm512_sub_ps(one, _mm512_div_ps(_mm512_mul_ps(halfv, _mm512_sqrt_ps(d2)), tol)),
            _mm512_div_ps(_mm512_mul_ps(halfv, _mm512_cvtepi32_ps(ad)), aden));
        _mm512_storeu_ps(w16, w);
        take_paired(m, c0, ok, w16, usea, useb, &r);
    }
    return r;
}

/* Eight packed minutia records (lanes of t): their x and y as floats; the
 * records themselves are returned for the other fields. */
HS_AVX512_TARGET
static inline __m512i load_min8(const hs__pmin *p, __mmask8 t, __m256 *x, __m256 *y)
{
    __m512i v = _mm512_maskz_loadu_epi64(t, p);
    *x = _mm512_cvtepi64_ps(_mm512_srai_epi64(_mm512_slli_epi64(v, 48), 48));
    *y = _mm512_cvtepi64_ps(_mm512_srai_epi64(_mm512_slli_epi64(v, 32), 48));
    return v;
}

/* make_frame() eight minutiae per step (x, y and angle from the packed
 * minutia records). */
HS_AVX512_TARGET
static void make_frame_avx512(frame *f, const align *g, const hs_finger_prepared *A,
                              const hs_finger_prepared *B)
{
    const __m256 gc = _mm256_set1_ps(g->c), gs = _mm256_set1_ps(g->s);
    const __m256 gu = _mm256_set1_ps(g->u), gv = _mm256_set1_ps(g->v);
    const __m256 tx = _mm256_set1_ps(g->tx), ty = _mm256_set1_ps(g->ty);
    const __m256 slope = _mm256_set1_ps(0.5f * f->pr.tol_slope);
    const __m256 base = _mm256_set1_ps(f->pr.tol_base);
    f->rot = g->rot;
    for (uint32_t j = 0; j < B->count; j += 8) {
        const __mmask8 t = tail8(B->count - j);
        __m256 bx, by;
        __m512i v = load_min8(&B->min[j], t, &bx, &by);
        __m256 x = _mm256_add_ps(_mm256_sub_ps(_mm256_mul_ps(gc, bx), _mm256_mul_ps(gs, by)), tx);
        __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(gu, bx), _mm256_mul_ps(gv, by)), ty);
        _mm256_mask_storeu_ps(&f->tbx[j], t, x);
        _mm256_mask_storeu_ps(&f->tby[j], t, y);
        __m256 dx = _mm256_sub_ps(bx, _mm256_set1_ps(g->bx));
        __m256 dy = _mm256_sub_ps(by, _mm256_set1_ps(g->by));
        __m256 d = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(dx, dx), _mm256_mul_ps(dy, dy)));
        _mm256_mask_storeu_ps(&f->rb[j], t, _mm256_mul_ps(slope, d));
        __m128i ang = _mm512_cvtepi64_epi8(_mm512_srli_epi64(v, 32));
        ang = _mm_add_epi8(ang, _mm_set1_epi8((char)g->rot));
        _mm_mask_storeu_epi8(&f->tba[j], t, ang);
    }
    for (uint32_t i = 0; i < A->count; i += 8) {
        const __mmask8 t = tail8(A->count - i);
        __m256 ax, ay;
        load_min8(&A->min[i], t, &ax, &ay);
        __m256 dx = _mm256_sub_ps(ax, _mm256_set1_ps(g->ax));
        __m256 dy = _mm256_sub_ps(ay, _mm256_set1_ps(g->ay));
        __m256 d = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(dx, dx), _mm256_mul_ps(dy, dy)));
        _mm256_mask_storeu_ps(&f->ra[i], t, _mm256_add_ps(base, _mm256_mul_ps(slope, d)));
    }
}

/* refine() sixteen B minutiae at a time, the whole consistency test of
 * consistent() in vectors: distance within the pair's tolerance (the same
 * float operations), angle difference within the tolerance, partner still
 * free. The nearest such partner is the least distance among the lanes
 * left, the lowest index on a tie, and a later vector wins only with a
 * strictly smaller one: the pairs refine_c() finds. Its closeness weight
 * comes from consistent() itself. */
HS_AVX512_TARGET
static void refine_avx512(const hs_finger_matcher *m, const hs_finger_prepared *A,
                          const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                          uint8_t *useb, pairing *r)
{
    const uint32_t na = A->count, nb = B->count;
    const __m512 ov2 = _mm512_set1_ps(f->pr.ov_dist * f->pr.ov_dist);
    const __m512 tmax = _mm512_set1_ps(f->pr.tol_max);
    const int at = refine_angle_tol(&f->pr);
    const __m128i atol = _mm_set1_epi8((char)(uint8_t)(at < 0 ? 0 : at));
    uint64_t ovw[MAXN / 64] = {0}, usew[MAXN / 64];
    use_bits(useb, nb, usew);
    int ova = 0;
    for (uint32_t i = 0; i < na; i++) {
        const hs__pmin *a = &A->min[i];
        const __m512 ax = _mm512_set1_ps((float)a->x), ay = _mm512_set1_ps((float)a->y);
        const __m512 rai = _mm512_set1_ps(f->ra[i]);
        const __m128i aang = _mm_set1_epi8((char)a->angle);
        const bool free_a = !usea[i] && at >= 0;
        float best = 1e30f;
        int bj = -1;
        bool in = false;
        for (uint32_t j = 0; j < nb; j += 16) {
            const __mmask16 t = tail16(nb - j);
            __m512 dx = _mm512_sub_ps(_mm512_maskz_loadu_ps(t, &f->tbx[j]), ax);
            __m512 dy = _mm512_sub_ps(_mm512_maskz_loadu_ps(t, &f->tby[j]), ay);
            __m512 d2 = _mm512_add_ps(_mm512_mul_ps(dx, dx), _mm512_mul_ps(dy, dy));
            __mmask16 o = _mm512_mask_cmp_ps_mask(t, d2, ov2, _CMP_LE_OQ);
            ovw[j >> 6] |= (uint64_t)o << (j & 63);
            in |= o != 0;
            if (!free_a)
                continue;
            __mmask16 c = t & (__mmask16) ~(usew[j >> 6] >> (j & 63));
            __m128i da = _mm_abs_epi8(_mm_sub_epi8(aang, _mm_maskz_loadu_epi8(c, &f->tba[j])));
            c = _mm_mask_cmple_epu8_mask(c, da, atol);
            __m512 tol = _mm512_min_ps(_mm512_add_ps(rai, _mm512_maskz_loadu_ps(c, &f->rb[j])), tmax);
            c = _mm512_mask_cmp_ps_mask(c, d2, _mm512_mul_ps(tol, tol), _CMP_LE_OQ);
            if (!c)
                continue;
            float mn = _mm512_mask_reduce_min_ps(c, d2);
            if (mn < best) {
                __mmask16 e = _mm512_mask_cmp_ps_mask(c, d2, _mm512_set1_ps(mn), _CMP_EQ_OQ);
                best = mn;
                bj = (int)(j + (uint32_t)__builtin_ctz((unsigned)e));
            }
        }
        ova += in;
        refine_take(m, f, a, i, nb, bj, usea, useb, usew, r);
    }
    refine_finish(ovw, ova, r);
}

/* field_sum with AVX-512: hs__field_sum_c sixteen samples at a time (the
 * sample arrays are padded to whole vectors; lanes past the count are
 * masked), the grid lookup as a masked gather, the cosine one as
 * permutations of the tables t (m->icos_even, loaded by field_tables: a
 * gather is slow on some cores; the differences are even, so half-units
 * 0-127 index 128 entries, 32 per permutation). */
HS_AVX512_TARGET
static inline void field_run(const __m512i *t, const hs__pfield *fa, const hs__pfield *fb,
                             const float *k, uint32_t r2, uint32_t i0, uint32_t i1,
                             int32_t *sum, int32_t *n)
{
    const __m512 a1 = _mm512_set1_ps(k[0]), b1 = _mm512_set1_ps(k[1]), k1 = _mm512_set1_ps(k[2]);
    const __m512 a2 = _mm512_set1_ps(k[3]), b2 = _mm512_set1_ps(k[4]), k2 = _mm512_set1_ps(k[5]);
    const __m512 gw = _mm512_set1_ps(k[6]), gh = _mm512_set1_ps(k[7]), zf = _mm512_setzero_ps();
    const __m512i gwi = _mm512_set1_epi32((int)fb->gw), r2v = _mm512_set1_epi32((int)r2);
    const __m512i m255 = _mm512_set1_epi32(255), m63 = _mm512_set1_epi32(63);
    const __m512i zi = _mm512_setzero_si512();
    const __m512i b32 = _mm512_set1_epi32(32), b64 = _mm512_set1_epi32(64);
    __m512i acc = zi;
    int32_t cnt = 0;
    for (uint32_t i = i0; i < i1; i += 16) {
        __mmask16 lm = tail16(i1 - i);
        __m512 x = _mm512_cvtepi32_ps(
            _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(fa->sx + i))));
        __m512 y = _mm512_cvtepi32_ps(
            _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(fa->sy + i))));
        __m512 fi = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(a1, x), _mm512_mul_ps(b1, y)), k1);
        __m512 fj = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(a2, x), _mm512_mul_ps(b2, y)), k2);
        __mmask16 in = lm & _mm512_cmp_ps_mask(fi, zf, _CMP_GE_OQ) &
                       _mm512_cmp_ps_mask(fj, zf, _CMP_GE_OQ) & _mm512_cmp_ps_mask(fi, gw, _CMP_LT_OQ) &
                       _mm512_cmp_ps_mask(fj, gh, _CMP_LT_OQ);
        __m512i idx = _mm512_add_epi32(_mm512_mullo_epi32(_mm512_cvttps_epi32(fj), gwi),
                                       _mm512_cvttps_epi32(fi));
        __m512i v = _mm512_mask_i32gather_epi32(zi, in, idx, (const void *)fb->grid, 1);
        v = _mm512_and_si512(v, m255);
        __mmask16 ok = _mm512_mask_cmpneq_epi32_mask(in, v, zi);
        __m512i sd = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(fa->sd + i)));
        __m512i d = _mm512_and_si512(
            _mm512_sub_epi32(_mm512_sub_epi32(sd, _mm512_slli_epi32(_mm512_and_si512(v, m63), 2)), r2v),
            m255);
        __m512i h = _mm512_srli_epi32(d, 1);
        __mmask16 h32 = _mm512_test_epi32_mask(h, b32), h64 = _mm512_test_epi32_mask(h, b64);
        __m512i q0 = _mm512_mask_blend_epi32(h32, _mm512_permutex2var_epi32(t[0], h, t[1]),
                                             _mm512_permutex2var_epi32(t[2], h, t[3]));
        __m512i q1 = _mm512_mask_blend_epi32(h32, _mm512_permutex2var_epi32(t[4], h, t[5]),
                                             _mm512_permutex2var_epi32(t[6], h, t[7]));
        acc = _mm512_mask_add_epi32(acc, ok, acc, _mm512_mask_blend_epi32(h64, q0, q1));
        cnt += __builtin_popcount((unsigned)ok);
    }
    *sum = _mm512_reduce_add_epi32(acc);
    *n = cnt;
}

HS_AVX512_TARGET
static inline void field_tables(const hs_finger_matcher *m, __m512i *t)
{
    for (int q = 0; q < 8; q++)
        t[q] = _mm512_loadu_si512(m->icos_even + 16 * q);
}

HS_AVX512_TARGET
static void field_sum_avx512(const hs_finger_matcher *m, const hs_finger_prepared *A,
                             const hs_finger_prepared *B, const float *k, uint32_t r2,
                             uint32_t i0, uint32_t i1, int32_t *sum, int32_t *n)
{
    __m512i t[8];
    field_tables(m, t);
    field_run(t, A->fd, B->fd, k, r2, i0, i1, sum, n);
}

/* field_sums with AVX-512: field_run for each alignment in turn, the
 * tables loaded once; with no branch between the alignments but the
 * loop's, their gathers overlap. */
HS_AVX512_TARGET
static void field_sums_avx512(const hs_finger_matcher *m, const hs_finger_prepared *A,
                              const hs_finger_prepared *B, const float (*k)[8],
                              const uint32_t *r2, int nc, uint32_t i1, int32_t *sum,
                              int32_t *cnt)
{
    __m512i t[8];
    field_tables(m, t);
    int32_t s[32], n[32]; /* local: stores to sum / cnt could alias the tables */
    for (int c = 0; c < nc; c++)
        field_run(t, A->fd, B->fd, k[c], r2[c], 0, i1, &s[c], &n[c]);
    for (int c = 0; c < nc; c++) {
        sum[c] = s[c];
        cnt[c] = n[c];
    }
}

const struct hs__match_kernels hs__match_kernels_avx512 = {
    sim_matrix_avx512, rank_sort_avx512,  rank_anchor_avx512,
    make_frame_avx512, pair_cands_avx512, refine_avx512, field_sum_avx512,
    field_sums_avx512};

#else
/* ISO C wants a translation unit to declare something. */
typedef int hs__match_avx512_unused;
#endif
