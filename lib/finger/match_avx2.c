/* AVX2 kernels of the fingerprint matcher, for x86-64 CPUs without the
 * AVX-512 set of match_avx512.c (Intel Haswell to Cascade Lake, AMD Zen 1-3):
 * the similarity matrix (four candidates per step, popcounts by nibble table
 * lookups) and the refinement (eight distances per step). The other steps use
 * the portable kernels. Each repeats its portable twin in lib/finger/match.c
 * operation by operation, so the scores are identical (test_vector_kernels).
 * Compiled with target attributes, chosen at run time by hs__match_cpu_avx2(). */
#include "match_impl.h"

#ifdef HS_MATCH_AVX512

#include <immintrin.h>
#include <string.h>

#ifdef __clang__
/* A fused multiply-add would round differently from the portable code.
 * (GCC does not contract in ISO C mode, which the build uses.) */
#pragma STDC FP_CONTRACT OFF
#endif

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
void hs__match_sim_matrix_avx2(hs_finger_matcher *m, const hs_finger_prepared *A,
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

/* refine_c() eight B minutiae per step: the distances and overlap flags in
 * vectors, then the minutiae within the largest tolerance, as bit masks,
 * visited in index order, so the pairs are those refine_c() finds. Reads the
 * frame arrays up to the next multiple of 8 (within their MAXN entries; the
 * lanes past the count are masked off). */
HS_AVX2_TARGET
void hs__match_refine_avx2(const hs_finger_matcher *m, const hs_finger_prepared *A,
                           const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                           uint8_t *useb, pairing *r)
{
    const uint32_t na = A->count, nb = B->count;
    const __m256 ov2 = _mm256_set1_ps(f->pr.ov_dist * f->pr.ov_dist);
    const __m256 tmax2 = _mm256_set1_ps(f->pr.tol_max * f->pr.tol_max);
    uint64_t ovw[MAXN / 64] = {0}, usew[MAXN / 64] = {0};
    for (uint32_t j = 0; j < nb; j++)
        usew[j >> 6] |= (uint64_t)(useb[j] != 0) << (j & 63);
    int ova = 0;
    float d2s[8];
    for (uint32_t i = 0; i < na; i++) {
        const hs__pmin *a = &A->min[i];
        const __m256 ax = _mm256_set1_ps((float)a->x), ay = _mm256_set1_ps((float)a->y);
        const bool free_a = !usea[i];
        float best = 1e30f, bw = 0.0f;
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
            unsigned c = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(d2, tmax2, _CMP_LE_OQ)) & t &
                         ~(unsigned)(usew[j >> 6] >> (j & 63));
            if (!c)
                continue;
            _mm256_storeu_ps(d2s, d2);
            while (c) {
                unsigned b = (unsigned)__builtin_ctz(c);
                c &= c - 1u;
                float dd, w;
                if (d2s[b] < best && consistent(f, a, i, j + b, &dd, &w)) {
                    best = d2s[b];
                    bj = (int)(j + b);
                    bw = w;
                }
            }
        }
        ova += in;
        if (bj >= 0) {
            usea[i] = (uint8_t)(bj + 1);
            useb[bj] = 1;
            usew[(uint32_t)bj >> 6] |= (uint64_t)1 << (bj & 63);
            r->n++;
            r->q += bw;
            r->wsum += 0.5f * (1.0f / 65535.0f) * (float)m->sim[i * nb + (uint32_t)bj];
        }
    }
    int nov = 0;
    for (uint32_t w = 0; w < MAXN / 64; w++)
        nov += __builtin_popcountll(ovw[w]);
    r->ova = ova;
    r->ovb = nov;
}

#else
/* ISO C wants a translation unit to declare something. */
typedef int hs__match_avx2_unused;
#endif
