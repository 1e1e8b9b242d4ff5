/* AVX2 kernels of the fingerprint matcher, for x86-64 CPUs without the
 * AVX-512 set of match_avx512.c (Intel Haswell to Cascade Lake, AMD Zen 1-3):
 * the similarity matrix four candidates per step (popcounts by nibble table
 * lookups), the other steps eight candidates or minutiae per step. Each repeats its portable twin in lib/finger/match.c
 * operation by operation, so the scores are identical (test_vector_kernels).
 * Compiled with target attributes, chosen at run time by hs__match_cpu_avx2(). */
#include "match_impl.h"

#ifdef HS_MATCH_AVX512

#include <immintrin.h>
#include <string.h>

#define HS_AVX2_TARGET __attribute__((target("avx2")))

bool hs__match_cpu_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

/* Popcount of every byte. */
HS_AVX2_TARGET
static inline __m256i popcnt_bytes(__m256i v)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1,
                                         2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    __m256i lo = _mm256_and_si256(v, low);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

/* Sum of the bytes of each 64-bit lane. */
HS_AVX2_TARGET
static inline __m256i sum_lanes(__m256i bytes)
{
    return _mm256_sad_epu8(bytes, _mm256_setzero_si256());
}

/* Unsigned 64-bit integers below 2^52 to double, exactly. */
HS_AVX2_TARGET
static inline __m256d u52_to_pd(__m256i v)
{
    const __m256i bits = _mm256_set1_epi64x(0x4330000000000000LL); /* 2^52 */
    return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(v, bits)),
                         _mm256_set1_pd(4503599627370496.0));
}

/* The low 32 bits of each 64-bit lane, as four 32-bit integers. */
HS_AVX2_TARGET
static inline __m128i low32(__m256i v)
{
    return _mm256_castsi256_si128(
        _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7)));
}

/* sim_matrix_c() four columns per step. The matrix rows are written four
 * entries at a time, so the last step of a row may write zeros into the first
 * entries of the next row, which that row then overwrites (the matrix has room
 * for 256 x 256 entries). */
HS_AVX2_TARGET
static void sim_matrix_avx2(hs_finger_matcher *m, const hs_finger_prepared *A,
                            const hs_finger_prepared *B, int rot_units)
{
    const uint32_t na = A->count, nb = B->count;
    const bool anyrot = rot_units >= 128;
    uint32_t *c1 = m->c1;
    memset(c1, 0, ((nb + 3u) & ~3u) * sizeof *c1);
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i zero = _mm256_setzero_si256();
    const __m256i common = _mm256_set1_epi64x(CYL_MIN_COMMON - 1);
    const __m256i rot = _mm256_set1_epi64x(rot_units);
    const __m256i c255 = _mm256_set1_epi64x(255), c256 = _mm256_set1_epi64x(256);
    for (uint32_t i = 0; i < na; i++) {
        const __m256i am = _mm256_set1_epi64x((long long)A->cyl[i]);
        __m256i ab[HS__CYL_ND];
        for (uint32_t k = 0; k < HS__CYL_ND; k++)
            ab[k] = _mm256_set1_epi64x((long long)A->cyl[(1 + k) * na + i]);
        const __m256i ai = _mm256_set1_epi64x(A->min[i].angle);
        const __m256i iv = _mm256_set1_epi64x(i);
        uint16_t *row = &m->sim[i * nb];
        __m256i r1 = zero, r2 = zero;
        for (uint32_t j = 0; j < nb; j += 4) {
            const __m256i t = _mm256_cmpgt_epi64(_mm256_set1_epi64x(nb - j), lane);
            const __m256i bm = _mm256_maskload_epi64((const long long *)&B->cyl[j], t);
            const __m256i mk = _mm256_and_si256(am, bm);
            __m256i ok = _mm256_and_si256(
                t, _mm256_cmpgt_epi64(sum_lanes(popcnt_bytes(mk)), common));
            if (!anyrot) {
                __m256i pm = _mm256_maskload_epi64((const long long *)&B->min[j], t);
                __m256i bang = _mm256_and_si256(_mm256_srli_epi64(pm, 32), c255);
                __m256i d = _mm256_and_si256(_mm256_sub_epi64(ai, bang), c255);
                __m256i ad = _mm256_min_epi32(d, _mm256_sub_epi64(c256, d));
                ok = _mm256_andnot_si256(_mm256_cmpgt_epi64(ad, rot), ok);
            }
            __m256i cb = zero, xb = zero; /* byte counts: at most 4 x 8 per byte */
            for (uint32_t k = 0; k < HS__CYL_ND; k++) {
                __m256i vb =
                    _mm256_maskload_epi64((const long long *)&B->cyl[(1 + k) * nb + j], t);
                cb = _mm256_add_epi8(cb, popcnt_bytes(_mm256_and_si256(ab[k], vb)));
                xb = _mm256_add_epi8(
                    xb, popcnt_bytes(_mm256_and_si256(_mm256_xor_si256(ab[k], vb), mk)));
            }
            __m256i c = sum_lanes(cb), x = sum_lanes(xb);
            __m256i d = _mm256_add_epi64(x, _mm256_add_epi64(c, c));
            ok = _mm256_andnot_si256(_mm256_cmpeq_epi64(d, zero), ok);
            __m256d num = u52_to_pd(_mm256_mul_epu32(c, _mm256_set1_epi64x(131070)));
            __m256d den = u52_to_pd(_mm256_blendv_epi8(_mm256_set1_epi64x(1), d, ok));
            __m128i q32 = _mm256_cvttpd_epi32(_mm256_add_pd(_mm256_div_pd(num, den),
                                                            _mm256_set1_pd(0.5)));
            __m256i q = _mm256_and_si256(_mm256_cvtepu32_epi64(q32), ok);
            __m128i qs = low32(q);
            _mm_storel_epi64((__m128i *)(row + j), _mm_packus_epi32(qs, qs));
            __m256i q8 = _mm256_slli_epi64(q, 8);
            __m256i kr = _mm256_and_si256(
                _mm256_or_si256(q8, _mm256_add_epi64(lane, _mm256_set1_epi64x(j))), t);
            __m256i gt = _mm256_cmpgt_epi64(kr, r1);
            __m256i lo = _mm256_blendv_epi8(kr, r1, gt);
            r1 = _mm256_blendv_epi8(r1, kr, gt);
            r2 = _mm256_blendv_epi8(r2, lo, _mm256_cmpgt_epi64(lo, r2));
            __m128i kc = low32(_mm256_and_si256(_mm256_or_si256(q8, iv), t));
            __m128i old = _mm_loadu_si128((const __m128i *)&c1[j]);
            _mm_storeu_si128((__m128i *)&c1[j], _mm_max_epu32(old, kc));
        }
        /* the two largest of the eight lane keys (keys are distinct, or 0) */
        uint64_t k1[4], k2[4];
        _mm256_storeu_si256((__m256i *)k1, r1);
        _mm256_storeu_si256((__m256i *)k2, r2);
        uint64_t t1 = 0, t2 = 0;
        for (int l = 0; l < 8; l++) {
            uint64_t v = l < 4 ? k1[l] : k2[l - 4];
            if (v > t1) {
                t2 = t1;
                t1 = v;
            } else if (v > t2)
                t2 = v;
        }
        m->r1[i] = (uint32_t)t1;
        m->r2[i] = (uint32_t)t2;
    }
}

/* refine_c() eight B minutiae per step, the whole consistency test of
 * consistent() in vectors (distance within the pair's tolerance with the
 * same float operations, angle difference within the tolerance, partner
 * still free); the nearest such partner is the least distance among the
 * lanes left, the lowest index on a tie, and a later step wins only with a
 * strictly smaller one: the pairs refine_c() finds. Reads the frame arrays
 * up to the next multiple of 8 (within their MAXN entries; the lanes past
 * the count are masked off). */
HS_AVX2_TARGET
static void refine_avx2(const hs_finger_matcher *m, const hs_finger_prepared *A,
                        const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                        uint8_t *useb, pairing *r)
{
    const uint32_t na = A->count, nb = B->count;
    const __m256 ov2 = _mm256_set1_ps(f->pr.ov_dist * f->pr.ov_dist);
    const __m256 tmax = _mm256_set1_ps(f->pr.tol_max);
    const __m256 inf = _mm256_set1_ps(1e30f);
    const int at = refine_angle_tol(&f->pr);
    const __m128i atol = _mm_set1_epi8((char)(uint8_t)(at < 0 ? 0 : at));
    uint64_t ovw[MAXN / 64] = {0}, usew[MAXN / 64];
    use_bits(useb, nb, usew);
    int ova = 0;
    for (uint32_t i = 0; i < na; i++) {
        const hs__pmin *a = &A->min[i];
        const __m256 ax = _mm256_set1_ps((float)a->x), ay = _mm256_set1_ps((float)a->y);
        const __m256 rai = _mm256_set1_ps(f->ra[i]);
        const __m128i aang = _mm_set1_epi8((char)a->angle);
        const bool free_a = !usea[i] && at >= 0;
        float best = 1e30f;
        int bj = -1;
        bool in = false;
        for (uint32_t j = 0; j < nb; j += 8) {
            const unsigned t = nb - j >= 8 ? 0xffu : (1u << (nb - j)) - 1u;
            __m256 dx = _mm256_sub_ps(_mm256_loadu_ps(&f->tbx[j]), ax);
            __m256 dy = _mm256_sub_ps(_mm256_loadu_ps(&f->tby[j]), ay);
            __m256 d2 = _mm256_add_ps(_mm256_mul_ps(dx, dx), _mm256_mul_ps(dy, dy));
            unsigned o = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(d2, ov2, _CMP_LE_OQ)) & t;
            ovw[j >> 6] |= (uint64_t)o << (j & 63);
            in |= o != 0;
            if (!free_a)
                continue;
            unsigned c = t & ~(unsigned)(usew[j >> 6] >> (j & 63));
            if (!c)
                continue;
            __m128i da = _mm_abs_epi8(
                _mm_sub_epi8(aang, _mm_loadl_epi64((const __m128i *)(const void *)&f->tba[j])));
            c &= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(da, atol), da));
            __m256 tol = _mm256_min_ps(_mm256_add_ps(rai, _mm256_loadu_ps(&f->rb[j])), tmax);
            c &= (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(d2, _mm256_mul_ps(tol, tol), _CMP_LE_OQ));
            if (!c)
                continue;
            /* the lanes left keep their distance, the others +1e30 */
            const __m256i lanes = _mm256_and_si256(
                _mm256_set1_epi32((int)c), _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128));
            __m256 v = _mm256_blendv_ps(
                inf, d2, _mm256_castsi256_ps(_mm256_cmpgt_epi32(lanes, _mm256_setzero_si256())));
            __m256 h = _mm256_min_ps(v, _mm256_permute2f128_ps(v, v, 1));
            h = _mm256_min_ps(h, _mm256_permute_ps(h, 0x4e));
            h = _mm256_min_ps(h, _mm256_permute_ps(h, 0xb1));
            float mn = _mm256_cvtss_f32(h);
            if (mn < best) {
                unsigned e = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(d2, h, _CMP_EQ_OQ)) & c;
                best = mn;
                bj = (int)(j + (uint32_t)__builtin_ctz(e));
            }
        }
        ova += in;
        refine_take(m, f, a, i, nb, bj, usea, useb, usew, r);
    }
    refine_finish(ovw, ova, r);
}

/* Bit mask of the first `left` of eight lanes. */
static inline unsigned tail8(int left) { return left >= 8 ? 0xffu : (1u << left) - 1u; }

/* Lane bits of a float comparison result. */
HS_AVX2_TARGET
static inline unsigned bits_ps(__m256 v) { return (unsigned)_mm256_movemask_ps(v); }

/* |signed 8-bit angle difference| of (dang - rot) & 255, eight at a time. */
HS_AVX2_TARGET
static inline __m256i abs_ang8(__m256i dang, int rot)
{
    __m256i d = _mm256_and_si256(_mm256_sub_epi32(dang, _mm256_set1_epi32(rot)),
                                 _mm256_set1_epi32(255));
    return _mm256_min_epi32(d, _mm256_sub_epi32(_mm256_set1_epi32(256), d));
}

/* Lanes whose angle difference is within the tolerance. */
HS_AVX2_TARGET
static inline unsigned ang_ok8(__m256i ad, int angle_tol)
{
    return bits_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(angle_tol + 1), ad)));
}

/* The candidate-key sort of the portable code, by rank counting: the rank
 * of key c is the number of keys above it plus the number of equal keys
 * before it (the callers make no equal keys, but the output is a
 * permutation either way), i.e. the keys j < c at or above it and the keys
 * j > c above it; eight keys are ranked at once against each key in turn
 * (unsigned order: the sign bits flipped for the signed compares). Reads
 * the keys up to the next multiple of 8 (the key arrays have room). */
HS_AVX2_TARGET
static void rank_sort_avx2(const uint32_t *k, uint32_t *out, int n)
{
    const __m256i flip = _mm256_set1_epi32((int)0x80000000u);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int c0 = 0; c0 < n; c0 += 8) {
        const __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)&k[c0]), flip);
        const __m256i cv = _mm256_add_epi32(lane, _mm256_set1_epi32(c0));
        /* rank = keys at or above (j < c0): j - those below; then minus the
         * all-ones lanes of each "above" */
        __m256i below = _mm256_setzero_si256(), above = _mm256_setzero_si256();
        const int d1 = c0 + 8 < n ? c0 + 8 : n;
        int j = 0;
        for (; j < c0; j++)
            below = _mm256_sub_epi32(
                below, _mm256_cmpgt_epi32(v, _mm256_set1_epi32((int)(k[j] ^ 0x80000000u))));
        for (; j < d1; j++) {
            const __m256i w = _mm256_set1_epi32((int)(k[j] ^ 0x80000000u));
            const __m256i before = _mm256_cmpgt_epi32(cv, _mm256_set1_epi32(j));
            /* before c: at or above = not below; after: above */
            const __m256i up = _mm256_blendv_epi8(_mm256_cmpgt_epi32(w, v),
                                                  _mm256_xor_si256(_mm256_cmpgt_epi32(v, w),
                                                                   _mm256_set1_epi32(-1)),
                                                  before);
            above = _mm256_sub_epi32(above, up);
        }
        for (; j < n; j++)
            above = _mm256_sub_epi32(
                above, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k[j] ^ 0x80000000u)), v));
        uint32_t r[8];
        _mm256_storeu_si256((__m256i *)(void *)r,
                            _mm256_add_epi32(_mm256_sub_epi32(_mm256_set1_epi32(c0), below), above));
        for (int l = 0; l < d1 - c0; l++)
            out[r[l]] = k[c0 + l];
    }
}

/* rank_anchor_c() with the geometry of eight candidates per step. */
HS_AVX2_TARGET
static pairing rank_anchor_avx2(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                                const hs_finger_prepared *B, const align *g, uint8_t *usea,
                                uint8_t *useb)
{
    const params *pr = &m->fr.pr;
    pairing r = new_pairing(A, B, usea, useb);
    const __m256 gc = _mm256_set1_ps(g->c), gs = _mm256_set1_ps(g->s);
    const __m256 tx = _mm256_set1_ps(g->tx), ty = _mm256_set1_ps(g->ty);
    const __m256 gax = _mm256_set1_ps(g->ax), gay = _mm256_set1_ps(g->ay);
    const __m256 gbx = _mm256_set1_ps(g->bx), gby = _mm256_set1_ps(g->by);
    const __m256 tmax = _mm256_set1_ps(pr->tol_max);
    const __m256 tmax2 = _mm256_set1_ps(pr->tol_max * pr->tol_max);
    const __m256 base = _mm256_set1_ps(pr->tol_base), slope = _mm256_set1_ps(0.5f * pr->tol_slope);
    for (int c0 = 0; c0 < nc; c0 += 8) {
        unsigned ok = tail8(nc - c0) &
                      ang_ok8(abs_ang8(_mm256_loadu_si256((const __m256i *)&m->cdang[c0]), g->rot),
                              pr->angle_tol);
        if (!ok)
            continue;
        __m256 bx = _mm256_loadu_ps(&m->cbx[c0]), by = _mm256_loadu_ps(&m->cby[c0]);
        __m256 ax = _mm256_loadu_ps(&m->cax[c0]), ay = _mm256_loadu_ps(&m->cay[c0]);
        __m256 dx = _mm256_sub_ps(
            _mm256_add_ps(_mm256_sub_ps(_mm256_mul_ps(gc, bx), _mm256_mul_ps(gs, by)), tx), ax);
        __m256 dy = _mm256_sub_ps(
            _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(gs, bx), _mm256_mul_ps(gc, by)), ty), ay);
        __m256 d2 = _mm256_add_ps(_mm256_mul_ps(dx, dx), _mm256_mul_ps(dy, dy));
        __m256 ux = _mm256_sub_ps(ax, gax), uy = _mm256_sub_ps(ay, gay);
        __m256 ex = _mm256_sub_ps(bx, gbx), ey = _mm256_sub_ps(by, gby);
        __m256 da = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(ux, ux), _mm256_mul_ps(uy, uy)));
        __m256 db = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(ex, ex), _mm256_mul_ps(ey, ey)));
        __m256 tol = _mm256_add_ps(base, _mm256_mul_ps(slope, _mm256_add_ps(da, db)));
        tol = _mm256_min_ps(tol, tmax);
        ok &= bits_ps(_mm256_cmp_ps(d2, tmax2, _CMP_LE_OQ)) &
              bits_ps(_mm256_cmp_ps(d2, _mm256_mul_ps(tol, tol), _CMP_LE_OQ));
        take_ranked(m, c0, ok, usea, useb, &r);
    }
    return r;
}

/* pair_cands_c() with the consistency test of eight candidates per step. */
HS_AVX2_TARGET
static pairing pair_cands_avx2(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                               const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                               uint8_t *useb)
{
    pairing r = new_pairing(A, B, usea, useb);
    const __m256 tmax = _mm256_set1_ps(f->pr.tol_max), one = _mm256_set1_ps(1.0f);
    const __m256 halfv = _mm256_set1_ps(0.5f);
    const __m256 aden = _mm256_set1_ps((float)(f->pr.angle_tol + 1));
    float w8[8];
    for (int c0 = 0; c0 < nc; c0 += 8) {
        __m256i ad = abs_ang8(_mm256_loadu_si256((const __m256i *)&m->cdang[c0]), f->rot);
        unsigned ok = tail8(nc - c0) & ang_ok8(ad, f->pr.angle_tol);
        if (!ok)
            continue;
        /* indices past nc are stale but in range (< MAXN): their lanes are off */
        __m256i ia = _mm256_loadu_si256((const __m256i *)&m->cia[c0]);
        __m256i ib = _mm256_loadu_si256((const __m256i *)&m->cib[c0]);
        __m256 tbx = _mm256_i32gather_ps(f->tbx, ib, 4);
        __m256 tby = _mm256_i32gather_ps(f->tby, ib, 4);
        __m256 ra = _mm256_i32gather_ps(f->ra, ia, 4);
        __m256 rb = _mm256_i32gather_ps(f->rb, ib, 4);
        __m256 dx = _mm256_sub_ps(tbx, _mm256_loadu_ps(&m->cax[c0]));
        __m256 dy = _mm256_sub_ps(tby, _mm256_loadu_ps(&m->cay[c0]));
        __m256 d2 = _mm256_add_ps(_mm256_mul_ps(dx, dx), _mm256_mul_ps(dy, dy));
        __m256 tol = _mm256_min_ps(_mm256_add_ps(ra, rb), tmax);
        ok &= bits_ps(_mm256_cmp_ps(d2, _mm256_mul_ps(tol, tol), _CMP_LE_OQ));
        if (!ok)
            continue;
        __m256 w = _mm256_sub_ps(
            _mm256_sub_ps(one, _mm256_div_ps(_mm256_mul_ps(halfv, _mm256_sqrt_ps(d2)), tol)),
            _mm256_div_ps(_mm256_mul_ps(halfv, _mm256_cvtepi32_ps(ad)), aden));
        _mm256_storeu_ps(w8, w);
        take_paired(m, c0, ok, w8, usea, useb, &r);
    }
    return r;
}

/* Eight packed minutia records from p (count of them valid, > 0): x and y
 * as floats and the 32-bit word holding the angle in its low byte. */
HS_AVX2_TARGET
static inline void load_min8(const hs__pmin *p, uint32_t count, __m256 *x, __m256 *y,
                             __m256i *ang)
{
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    __m256i t0 = _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), lane);
    __m256i t1 = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)count - 4), lane);
    __m256i v0 = _mm256_maskload_epi64((const long long *)p, t0);
    __m256i v1 = _mm256_maskload_epi64((const long long *)p + 4, t1);
    const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    __m256i p0 = _mm256_permutevar8x32_epi32(v0, even), p1 = _mm256_permutevar8x32_epi32(v1, even);
    __m256i xy = _mm256_permute2x128_si256(p0, p1, 0x20); /* x | y << 16 */
    *ang = _mm256_permute2x128_si256(p0, p1, 0x31);      /* angle | type << 8 | ... */
    *x = _mm256_cvtepi32_ps(_mm256_srai_epi32(_mm256_slli_epi32(xy, 16), 16));
    *y = _mm256_cvtepi32_ps(_mm256_srai_epi32(xy, 16));
}

/* make_frame_c() eight minutiae per step. Writes the frame arrays up to the
 * next multiple of eight (within their MAXN entries). */
HS_AVX2_TARGET
static void make_frame_avx2(frame *f, const align *g, const hs_finger_prepared *A,
                            const hs_finger_prepared *B)
{
    const __m256 gc = _mm256_set1_ps(g->c), gs = _mm256_set1_ps(g->s);
    const __m256 gu = _mm256_set1_ps(g->u), gv = _mm256_set1_ps(g->v);
    const __m256 tx = _mm256_set1_ps(g->tx), ty = _mm256_set1_ps(g->ty);
    const __m256 slope = _mm256_set1_ps(0.5f * f->pr.tol_slope);
    const __m256 base = _mm256_set1_ps(f->pr.tol_base);
    const __m256i bytes0 =
        _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12,
                         -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    f->rot = g->rot;
    for (uint32_t j = 0; j < B->count; j += 8) {
        __m256 bx, by;
        __m256i ang;
        load_min8(&B->min[j], B->count - j, &bx, &by, &ang);
        __m256 x = _mm256_add_ps(_mm256_sub_ps(_mm256_mul_ps(gc, bx), _mm256_mul_ps(gs, by)), tx);
        __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(gu, bx), _mm256_mul_ps(gv, by)), ty);
        _mm256_storeu_ps(&f->tbx[j], x);
        _mm256_storeu_ps(&f->tby[j], y);
        __m256 dx = _mm256_sub_ps(bx, _mm256_set1_ps(g->bx));
        __m256 dy = _mm256_sub_ps(by, _mm256_set1_ps(g->by));
        __m256 d = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(dx, dx), _mm256_mul_ps(dy, dy)));
        _mm256_storeu_ps(&f->rb[j], _mm256_mul_ps(slope, d));
        __m256i a8 = _mm256_shuffle_epi8(ang, bytes0); /* the angle bytes, 4 per lane half */
        __m128i a = _mm_unpacklo_epi32(_mm256_castsi256_si128(a8), _mm256_extracti128_si256(a8, 1));
        a = _mm_add_epi8(a, _mm_set1_epi8((char)g->rot));
        _mm_storel_epi64((__m128i *)&f->tba[j], a);
    }
    for (uint32_t i = 0; i < A->count; i += 8) {
        __m256 ax, ay;
        __m256i ang;
        load_min8(&A->min[i], A->count - i, &ax, &ay, &ang);
        __m256 dx = _mm256_sub_ps(ax, _mm256_set1_ps(g->ax));
        __m256 dy = _mm256_sub_ps(ay, _mm256_set1_ps(g->ay));
        __m256 d = _mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(dx, dx), _mm256_mul_ps(dy, dy)));
        _mm256_storeu_ps(&f->ra[i], _mm256_add_ps(base, _mm256_mul_ps(slope, d)));
    }
}

/* field_sum with AVX2: hs__field_sum_c eight samples at a time (the sample
 * arrays are padded to whole vectors; lanes past the count are masked), the
 * grid and cosine lookups as masked gathers. */
HS_AVX2_TARGET
static void field_sum_avx2(const hs_finger_matcher *m, const hs_finger_prepared *A,
                           const hs_finger_prepared *B, const float *k, uint32_t r2, uint32_t i0,
                           uint32_t i1, int32_t *sum, int32_t *n)
{
    const __m256 a1 = _mm256_set1_ps(k[0]), b1 = _mm256_set1_ps(k[1]), k1 = _mm256_set1_ps(k[2]);
    const __m256 a2 = _mm256_set1_ps(k[3]), b2 = _mm256_set1_ps(k[4]), k2 = _mm256_set1_ps(k[5]);
    const __m256 gw = _mm256_set1_ps(k[6]), gh = _mm256_set1_ps(k[7]), zf = _mm256_setzero_ps();
    const __m256i gwi = _mm256_set1_epi32((int)B->fd->gw), r2v = _mm256_set1_epi32((int)r2);
    const __m256i m255 = _mm256_set1_epi32(255), m63 = _mm256_set1_epi32(63);
    const __m256i zi = _mm256_setzero_si256(), lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i acc = zi;
    int32_t cnt = 0;
    for (uint32_t i = i0; i < i1; i += 8) {
        __m256i lm = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(i1 - i)), lanes);
        __m256 x = _mm256_cvtepi32_ps(
            _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(A->fd->sx + i))));
        __m256 y = _mm256_cvtepi32_ps(
            _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(A->fd->sy + i))));
        __m256 fi = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(a1, x), _mm256_mul_ps(b1, y)), k1);
        __m256 fj = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(a2, x), _mm256_mul_ps(b2, y)), k2);
        __m256 inf = _mm256_and_ps(
            _mm256_and_ps(_mm256_cmp_ps(fi, zf, _CMP_GE_OQ), _mm256_cmp_ps(fj, zf, _CMP_GE_OQ)),
            _mm256_and_ps(_mm256_cmp_ps(fi, gw, _CMP_LT_OQ), _mm256_cmp_ps(fj, gh, _CMP_LT_OQ)));
        __m256i in = _mm256_and_si256(_mm256_castps_si256(inf), lm);
        __m256i idx = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_cvttps_epi32(fj), gwi),
                                       _mm256_cvttps_epi32(fi));
        idx = _mm256_and_si256(idx, in);
        __m256i v = _mm256_mask_i32gather_epi32(zi, (const int *)(const void *)B->fd->grid, idx, in, 1);
        v = _mm256_and_si256(_mm256_and_si256(v, m255), in);
        __m256i ok = _mm256_andnot_si256(_mm256_cmpeq_epi32(v, zi), in);
        __m256i sd = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(A->fd->sd + i)));
        __m256i d = _mm256_and_si256(
            _mm256_sub_epi32(_mm256_sub_epi32(sd, _mm256_slli_epi32(_mm256_and_si256(v, m63), 2)), r2v),
            m255);
        acc = _mm256_add_epi32(acc, _mm256_mask_i32gather_epi32(zi, m->icos, d, ok, 4));
        cnt += __builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(ok)));
    }
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
    *sum = _mm_cvtsi128_si32(h);
    *n = cnt;
}

const struct hs__match_kernels hs__match_kernels_avx2 = {
    sim_matrix_avx2, rank_sort_avx2,  rank_anchor_avx2,
    make_frame_avx2,           pair_cands_avx2, refine_avx2, field_sum_avx2, hs__field_sums_c};

#else
/* ISO C wants a translation unit to declare something. */
typedef int hs__match_avx2_unused;
#endif
