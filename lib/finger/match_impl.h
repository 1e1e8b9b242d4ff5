/* Internals of the fingerprint matcher shared by its implementations:
 * lib/finger/match.c (preparation, the consolidation steps and the portable
 * kernels), lib/finger/match_avx512.c and match_avx2.c (the same kernels with
 * AVX-512 and AVX2), lib/finger/match_neon.c (with NEON, on AArch64).
 * Not an interface for other modules: they use internal/match.h. */
#ifndef HOTSPOT_FINGER_MATCH_IMPL_H
#define HOTSPOT_FINGER_MATCH_IMPL_H

#include "internal/match.h"

#ifdef __clang__
/* The vector kernels repeat the portable float arithmetic operation by
 * operation, and the inline helpers below are compiled into both; a fused
 * multiply-add (Clang contracts by default, and the AVX-512 and AVX2 targets
 * have FMA, as AArch64 always does) would round differently. GCC does not contract in ISO C mode,
 * and the build also passes -ffp-contract=off for these files. */
#pragma STDC FP_CONTRACT OFF
#endif

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 256            /* minutiae per template, exclusive */
#define CYL_MIN_COMMON 16   /* fewer mutually valid cells: no similarity */

/* x86-64 with GCC or Clang: the AVX-512 and AVX2 kernels are compiled (with target
 * attributes, so the rest of the library keeps the baseline ISA) and chosen
 * at run time. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HS_MATCH_AVX512 1
#endif

/* AArch64: NEON is part of the base architecture, so the NEON kernels are
 * compiled in and always runnable (no CPU test). */
#if defined(__aarch64__) && defined(__ARM_NEON)
#define HS_MATCH_NEON 1
#endif

/* Signed difference a - b of two angles in units of 2 pi / 256, in [-128, 127]. */
static inline int ang_diff(uint8_t a, uint8_t b) { return (int)(int8_t)(uint8_t)(a - b); }

typedef struct align {
    /* b -> a frame: (c*x - s*y + tx, u*x + v*y + ty); rigid when u = s and
     * v = c (anchors and rank_anchor use c and s only) */
    float c, s, tx, ty;
    float u, v;
    uint8_t rot;
    float ax, ay, bx, by; /* anchor positions, for the elastic tolerance */
} align;

/* Per-alignment working data: B minutiae transformed into A's frame and the
 * distances of every minutia from the anchor (for the elastic tolerance). */
typedef struct params {
    float tol_base, tol_slope, tol_max, ov_dist;
    int angle_tol, min_norm;
} params;

typedef struct frame {
    params pr;
    uint8_t rot; /* rotation of the alignment, angle units */
    float tbx[MAXN], tby[MAXN];
    uint8_t tba[MAXN];
    float ra[MAXN], rb[MAXN];
} frame;

typedef struct cand {
    float sim;
    uint8_t a, b;
} cand;

typedef struct pairing {
    int n;       /* pairs */
    float wsum;  /* sum of local similarities of the pairs */
    float q;     /* sum of closeness weights of the pairs */
    int ova, ovb; /* minutiae of a and b in the overlapping area */
} pairing;

/* The kernels of one implementation. Both give bit-identical results
 * (test_vector_kernels), so the choice only changes the speed. */
struct hs__match_kernels {
    void (*sim_matrix)(hs_finger_matcher *m, const hs_finger_prepared *A,
                       const hs_finger_prepared *B, int rot_units);
    void (*sort)(const uint32_t *in, uint32_t *out, int n);
    pairing (*rank_anchor)(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                           const hs_finger_prepared *B, const align *g, uint8_t *usea,
                           uint8_t *useb);
    void (*make_frame)(frame *f, const align *g, const hs_finger_prepared *A,
                       const hs_finger_prepared *B);
    pairing (*pair_cands)(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                          const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                          uint8_t *useb);
    void (*refine)(const hs_finger_matcher *m, const hs_finger_prepared *A,
                   const hs_finger_prepared *B, const frame *f, uint8_t *usea, uint8_t *useb,
                   pairing *r);
    /* Orientation-field agreement: over A's sampled cells i0 to i1 - 1 (i0
     * a multiple of 16, i1 at most the count), with k = {a1, b1,
     * k1, a2, b2, k2, gw, gh} mapping a cell centre (x, y) to B's grid
     * coordinates fi = (a1 x + b1 y) + k1, fj = (a2 x + b2 y) + k2 (in that
     * order of operations), the sum of m->icos[(sd - 4 q_B - r2) & 255] over
     * the cells inside B's grid on a cell with ridges, and their count. */
    void (*field_sum)(const hs_finger_matcher *m, const hs_finger_prepared *A,
                      const hs_finger_prepared *B, const float *k, uint32_t r2, uint32_t i0,
                      uint32_t i1, int32_t *sum, int32_t *n);
    /* field_sum over samples 0 to i1 - 1 under each of nc alignments k[c],
     * r2[c] (nc at most 32), into sum[c] and cnt[c]. */
    void (*field_sums)(const hs_finger_matcher *m, const hs_finger_prepared *A,
                       const hs_finger_prepared *B, const float (*k)[8], const uint32_t *r2,
                       int nc, uint32_t i1, int32_t *sum, int32_t *cnt);
};

/* The portable field_sum. */
void hs__field_sum_c(const hs_finger_matcher *m, const hs_finger_prepared *A,
                     const hs_finger_prepared *B, const float *k, uint32_t r2, uint32_t i0,
                     uint32_t i1, int32_t *sum, int32_t *n);
/* The batched one of the kernel sets without their own: a loop of field_sum. */
void hs__field_sums_c(const hs_finger_matcher *m, const hs_finger_prepared *A,
                      const hs_finger_prepared *B, const float (*k)[8], const uint32_t *r2,
                      int nc, uint32_t i1, int32_t *sum, int32_t *cnt);
#define OD_SAMPLES 24   /* thorough mode: orientation samples per minutia */
#define ICOS_ONE 16384 /* m->icos: cosines in units of 1/ICOS_ONE */

struct hs_finger_matcher {
    hs_allocator alloc;
    int32_t max_rotation;
    int32_t fast;
    int32_t thorough; /* HS_MATCH_THOROUGH */
    int32_t kernels; /* HS_MATCH_KERNELS_* in use (never AUTO) */
    struct hs__match_kernels kern; /* the kernels in use */
    uint16_t sim[MAXN * MAXN]; /* quantised local similarities, row-major */
    cand cands[4 * MAXN];
    uint32_t keys[4 * MAXN], sorted[4 * MAXN];
    /* the candidates again, as arrays for the vector kernels */
    float cax[4 * MAXN], cay[4 * MAXN], cbx[4 * MAXN], cby[4 * MAXN];
    int32_t cia[4 * MAXN], cib[4 * MAXN], cdang[4 * MAXN]; /* a, b, (angle a - angle b) & 255 */
    uint32_t r1[MAXN], r2[MAXN], c1[MAXN]; /* top keys: similarity << 8 | index */
    int wmode;
    float mixw;
    int rank_cands;
    frame fr;
    int anchors, refine;
    float cos_units[256]; /* cos of each angle unit (2 pi / 256) */
    int32_t icos[256];    /* the same in units of 1 / ICOS_ONE, summed exactly */
    /* icos at the even units (field_sum's angle differences are even: every
     * term is a multiple of 2), for table lookups by permutation */
    int32_t icos_even[128];
    /* thorough mode's orientation descriptors (OD_SAMPLES per minutia of
     * each print) and which samples lie on the ridge area (bit k: sample k) */
    uint8_t oda[MAXN][OD_SAMPLES], odb[MAXN][OD_SAMPLES];
    uint32_t odma[MAXN], odmb[MAXN];
};

/* Does pair (i, j) agree with the alignment? The tolerance grows with the
 * distance from the anchor (mean over both prints, to stay symmetric). */
static inline bool consistent(const frame *f, const hs__pmin *a, uint32_t i, uint32_t j,
                              float *d2out, float *wout)
{
    int da = abs(ang_diff(a->angle, f->tba[j]));
    if (da > f->pr.angle_tol)
        return false;
    float dx = f->tbx[j] - (float)a->x, dy = f->tby[j] - (float)a->y;
    float d2 = dx * dx + dy * dy;
    float tol = f->ra[i] + f->rb[j];
    if (tol > f->pr.tol_max)
        tol = f->pr.tol_max;
    *d2out = d2;
    if (d2 > tol * tol)
        return false;
    /* closeness weight: chance pairs spread over the tolerance, true pairs
     * gather near its centre */
    *wout = 1.0f - 0.5f * sqrtf(d2) / tol - 0.5f * (float)da / (float)(f->pr.angle_tol + 1);
    return true;
}

/* The scalar tails of the vector kernels, shared by them so that each
 * repeats the portable choice exactly. Bit b of ok stands for candidate
 * c0 + b (or minutia j0 + b); they are visited in increasing order. */

/* An empty pairing, with no minutia of A or B used. */
static inline pairing new_pairing(const hs_finger_prepared *A, const hs_finger_prepared *B,
                                  uint8_t *usea, uint8_t *useb)
{
    pairing r = {0, 0.0f, 0.0f, 0, 0};
    memset(usea, 0, A->count);
    memset(useb, 0, B->count);
    return r;
}

/* Anchor ranking: take each consistent candidate whose minutiae are free. */
static inline void take_ranked(const hs_finger_matcher *m, int c0, uint32_t ok, uint8_t *usea,
                               uint8_t *useb, pairing *r)
{
    while (ok) {
        const cand *q = &m->cands[c0 + __builtin_ctz(ok)];
        ok &= ok - 1u;
        if (usea[q->a] || useb[q->b])
            continue;
        usea[q->a] = 1;
        useb[q->b] = 1;
        r->n++;
        r->wsum += q->sim;
    }
}

/* Candidate pairing: the same, recording mates and closeness weights w[b]. */
static inline void take_paired(const hs_finger_matcher *m, int c0, uint32_t ok, const float *w,
                               uint8_t *usea, uint8_t *useb, pairing *r)
{
    while (ok) {
        unsigned b = (unsigned)__builtin_ctz(ok);
        ok &= ok - 1u;
        const cand *q = &m->cands[c0 + (int)b];
        if (usea[q->a] || useb[q->b])
            continue;
        r->q += w[b];
        usea[q->a] = (uint8_t)(q->b + 1);
        useb[q->b] = 1;
        r->n++;
        r->wsum += q->sim;
    }
}

/* Refinement: the used minutiae of B as bits. */
static inline void use_bits(const uint8_t *useb, uint32_t nb, uint64_t *usew)
{
    memset(usew, 0, MAXN / 8);
    for (uint32_t j = 0; j < nb; j++)
        usew[j >> 6] |= (uint64_t)(useb[j] != 0) << (j & 63);
}

/* Refinement: record the overlap counts (ovw: bits of the B minutiae in the
 * overlap; ova: A minutiae in it). */
static inline void refine_finish(const uint64_t *ovw, int ova, pairing *r)
{
    int nov = 0;
    for (uint32_t w = 0; w < MAXN / 64; w++)
        nov += __builtin_popcountll(ovw[w]);
    r->ova = ova;
    r->ovb = nov;
}

/* Refinement: pair A's minutia i (at a) with B's bj (if any) and count it,
 * with the closeness weight consistent() gives the pair. */
static inline void refine_take(const hs_finger_matcher *m, const frame *f, const hs__pmin *a,
                               uint32_t i, uint32_t nb, int bj, uint8_t *usea, uint8_t *useb,
                               uint64_t *usew, pairing *r)
{
    if (bj < 0)
        return;
    float dd, bw = 0.0f;
    consistent(f, a, i, (uint32_t)bj, &dd, &bw);
    usea[i] = (uint8_t)(bj + 1);
    useb[bj] = 1;
    usew[(uint32_t)bj >> 6] |= (uint64_t)1 << (bj & 63);
    r->n++;
    r->q += bw;
    r->wsum += 0.5f * (1.0f / 65535.0f) * (float)m->sim[i * nb + (uint32_t)bj];
}

/* Refinement: the angle tolerance for the vector kernels' unsigned byte
 * compare of |angle difference| (0..128): -1 when nothing can pair (a
 * negative tolerance), else clamped to 255 (every difference passes, as in
 * consistent()). */
static inline int refine_angle_tol(const params *pr)
{
    return pr->angle_tol < 0 ? -1 : pr->angle_tol > 255 ? 255 : pr->angle_tol;
}

/* The kernel sets. hs__match_kernels_avx512 may only be used when
 * hs__match_cpu_avx512() is true, hs__match_kernels_avx2 when
 * hs__match_cpu_avx2() is. */
extern const struct hs__match_kernels hs__match_kernels_c;
#ifdef HS_MATCH_AVX512
extern const struct hs__match_kernels hs__match_kernels_avx512;
extern const struct hs__match_kernels hs__match_kernels_avx2;
bool hs__match_cpu_avx512(void);
bool hs__match_cpu_avx2(void);
#endif
#ifdef HS_MATCH_NEON
extern const struct hs__match_kernels hs__match_kernels_neon;
#endif

#endif
