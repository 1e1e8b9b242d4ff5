/* NEON (Advanced SIMD) kernels of the fingerprint matcher, for AArch64, where
 * NEON is part of the base architecture: the handheld devices. The
 * similarity matrix two candidate cylinders per step (popcounts with CNT on
 * bytes), the other steps four candidates or minutiae per step. Each repeats
 * its portable twin in lib/finger/match.c operation by operation, so the
 * scores are identical (test_vector_kernels, fuzz_prepared, and the FVC
 * score comparison of tools/check-arm64.sh). Only the base instruction set
 * is used, so no run-time CPU test is needed; the set is chosen in
 * match.c's set_kernels(). */
#include "match_impl.h"

#ifdef HS_MATCH_NEON

#include <arm_neon.h>
#include <string.h>

/* Lane bits of a 32-bit lane mask (bit b = lane b): AArch64 has no movemask. */
static inline unsigned bits4(uint32x4_t v)
{
    static const uint32_t weight[4] = {1, 2, 4, 8};
    return vaddvq_u32(vandq_u32(v, vld1q_u32(weight)));
}

/* Lanes 0 .. left - 1 of four. */
static inline unsigned tail4(int left) { return left >= 4 ? 0xfu : (1u << left) - 1u; }

/* Two consecutive words from p, of which left (> 0) exist; lane 1 is zero
 * when only one does (the loads never reach past the count). */
static inline uint64x2_t load2(const uint64_t *p, uint32_t left)
{
    return left >= 2 ? vld1q_u64(p) : vcombine_u64(vld1_u64(p), vdup_n_u64(0));
}

/* Sum of the bytes of each 64-bit lane. */
static inline uint64x2_t sum_lanes(uint8x16_t bytes)
{
    return vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(bytes)));
}

/* sim_matrix_c() two columns per step. The matrix rows are written two
 * entries at a time, so the last step of a row with an odd count writes a
 * zero into the first entry of the next row, which that row then overwrites
 * (the matrix has room for 256 x 256 entries); likewise c1 is kept up to an
 * even count. */
static void sim_matrix_neon(hs_finger_matcher *m, const hs_finger_prepared *A,
                            const hs_finger_prepared *B, int rot_units)
{
    const uint32_t na = A->count, nb = B->count;
    const bool anyrot = rot_units >= 128;
    uint32_t *c1 = m->c1;
    memset(c1, 0, ((nb + 1u) & ~1u) * sizeof *c1);
    const uint64x2_t lane = vcombine_u64(vcreate_u64(0), vcreate_u64(1));
    const uint64x2_t zero = vdupq_n_u64(0);
    const uint64x2_t common = vdupq_n_u64(CYL_MIN_COMMON - 1);
    const uint64x2_t rot = vdupq_n_u64((uint64_t)rot_units);
    const uint64x2_t c255 = vdupq_n_u64(255), c256 = vdupq_n_u64(256), one = vdupq_n_u64(1);
    const uint32x2_t k131070 = vdup_n_u32(131070);
    const float64x2_t half = vdupq_n_f64(0.5);
    for (uint32_t i = 0; i < na; i++) {
        const uint64x2_t am = vdupq_n_u64(A->cyl[i]);
        uint64x2_t ab[HS__CYL_ND];
        for (uint32_t k = 0; k < HS__CYL_ND; k++)
            ab[k] = vdupq_n_u64(A->cyl[(1 + k) * na + i]);
        const uint64x2_t ai = vdupq_n_u64(A->min[i].angle);
        const uint32x2_t iv = vdup_n_u32(i);
        uint16_t *row = &m->sim[i * nb];
        uint64x2_t r1 = zero, r2 = zero;
        for (uint32_t j = 0; j < nb; j += 2) {
            const uint32_t left = nb - j;
            const uint64x2_t t = vcgtq_u64(vdupq_n_u64(left), lane);
            const uint64x2_t mk = vandq_u64(am, load2(&B->cyl[j], left));
            uint64x2_t ok =
                vandq_u64(t, vcgtq_u64(sum_lanes(vcntq_u8(vreinterpretq_u8_u64(mk))), common));
            if (!anyrot) {
                /* |ang_diff| > rot exactly when both d and 256 - d exceed it */
                uint64x2_t bang = vcombine_u64(vcreate_u64(B->min[j].angle),
                                               vcreate_u64(left >= 2 ? B->min[j + 1].angle : 0));
                uint64x2_t d = vandq_u64(vsubq_u64(ai, bang), c255);
                uint64x2_t far = vandq_u64(vcgtq_u64(d, rot), vcgtq_u64(vsubq_u64(c256, d), rot));
                ok = vbicq_u64(ok, far);
            }
            uint8x16_t cb = vdupq_n_u8(0), xb = cb; /* byte counts: at most 4 x 8 */
            for (uint32_t k = 0; k < HS__CYL_ND; k++) {
                uint64x2_t vb = load2(&B->cyl[(1 + k) * nb + j], left);
                cb = vaddq_u8(cb, vcntq_u8(vreinterpretq_u8_u64(vandq_u64(ab[k], vb))));
                xb = vaddq_u8(xb, vcntq_u8(vreinterpretq_u8_u64(
                                      vandq_u64(veorq_u64(ab[k], vb), mk))));
            }
            /* both reductions at once: pairwise byte sums (at most 64), then
             * widening ones; lanes c(j), c(j + 1), x(j), x(j + 1) */
            uint32x4_t cx = vpaddlq_u16(vpaddlq_u8(vpaddq_u8(cb, xb)));
            uint32x2_t c = vget_low_u32(cx), x = vget_high_u32(cx);
            uint64x2_t d = vmovl_u32(vadd_u32(x, vadd_u32(c, c)));
            ok = vandq_u64(ok, vtstq_u64(d, d));
            /* the quantised Dice value as in the AVX kernels: a correctly
             * rounded double division equals dice_q()'s integer rounding */
            float64x2_t num = vcvtq_f64_u64(vmull_u32(c, k131070));
            float64x2_t den = vcvtq_f64_u64(vbslq_u64(ok, d, one));
            uint64x2_t q = vandq_u64(vcvtq_u64_f64(vaddq_f64(vdivq_f64(num, den), half)), ok);
            uint32x2_t q32 = vmovn_u64(q);
            row[j] = (uint16_t)vget_lane_u32(q32, 0);
            row[j + 1] = (uint16_t)vget_lane_u32(q32, 1);
            uint64x2_t kr = vandq_u64(vorrq_u64(vshlq_n_u64(q, 8), vaddq_u64(lane, vdupq_n_u64(j))), t);
            uint64x2_t gt = vcgtq_u64(kr, r1);
            uint64x2_t lo = vbslq_u64(gt, r1, kr);
            r1 = vbslq_u64(gt, kr, r1);
            r2 = vbslq_u64(vcgtq_u64(lo, r2), lo, r2);
            uint32x2_t kc = vand_u32(vorr_u32(vshl_n_u32(q32, 8), iv), vmovn_u64(t));
            vst1_u32(&c1[j], vmax_u32(vld1_u32(&c1[j]), kc));
        }
        /* the two largest of the four lane keys (keys are distinct, or 0) */
        uint64_t v[4] = {vgetq_lane_u64(r1, 0), vgetq_lane_u64(r1, 1), vgetq_lane_u64(r2, 0),
                         vgetq_lane_u64(r2, 1)};
        uint64_t t1 = 0, t2 = 0;
        for (int l = 0; l < 4; l++) {
            if (v[l] > t1) {
                t2 = t1;
                t1 = v[l];
            } else if (v[l] > t2)
                t2 = v[l];
        }
        m->r1[i] = (uint32_t)t1;
        m->r2[i] = (uint32_t)t2;
    }
}

/* The candidate-key sort of the portable code, by rank counting: a key's
 * place is the number of keys above it (equal keys, which the callers never
 * make, by position). Reads the keys up to the next multiple of four (the
 * key array has 4 * MAXN entries; the lanes past n are masked off). */
static void rank_sort_neon(const uint32_t *k, uint32_t *out, int n)
{
    static const uint32_t lane_init[4] = {0, 1, 2, 3};
    const uint32x4_t lane = vld1q_u32(lane_init);
    const int n4 = n & ~3;
    const uint32x4_t tail = vcltq_u32(lane, vdupq_n_u32((uint32_t)(n - n4)));
    for (int c = 0; c < n; c++) {
        const uint32x4_t v = vdupq_n_u32(k[c]);
        const uint32x4_t cv = vdupq_n_u32((uint32_t)c);
        uint32x4_t acc = vdupq_n_u32(0); /* minus the count: a true lane is all ones */
        int j = 0;
        for (; j < n4; j += 4) {
            uint32x4_t w = vld1q_u32(&k[j]);
            uint32x4_t before = vandq_u32(vceqq_u32(w, v),
                                          vcltq_u32(vaddq_u32(lane, vdupq_n_u32((uint32_t)j)), cv));
            acc = vaddq_u32(acc, vorrq_u32(vcgtq_u32(w, v), before));
        }
        if (j < n) {
            uint32x4_t w = vld1q_u32(&k[j]);
            uint32x4_t before = vandq_u32(vceqq_u32(w, v),
                                          vcltq_u32(vaddq_u32(lane, vdupq_n_u32((uint32_t)j)), cv));
            acc = vaddq_u32(acc, vandq_u32(vorrq_u32(vcgtq_u32(w, v), before), tail));
        }
        out[0u - vaddvq_u32(acc)] = k[c];
    }
}

/* |signed 8-bit angle difference| of (dang - rot) & 255, four at a time. */
static inline uint32x4_t abs_ang4(const int32_t *dang, int rot)
{
    uint32x4_t d = vandq_u32(vsubq_u32(vreinterpretq_u32_s32(vld1q_s32(dang)),
                                       vdupq_n_u32((uint32_t)rot)),
                             vdupq_n_u32(255));
    return vminq_u32(d, vsubq_u32(vdupq_n_u32(256), d));
}

/* rank_anchor_c() with the geometry of four candidates per step. Reads the
 * candidate arrays up to the next multiple of four (within their 4 * MAXN
 * entries; the lanes past nc are masked off). */
static pairing rank_anchor_neon(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                                const hs_finger_prepared *B, const align *g, uint8_t *usea,
                                uint8_t *useb)
{
    const params *pr = &m->fr.pr;
    pairing r = new_pairing(A, B, usea, useb);
    const float32x4_t gc = vdupq_n_f32(g->c), gs = vdupq_n_f32(g->s);
    const float32x4_t tx = vdupq_n_f32(g->tx), ty = vdupq_n_f32(g->ty);
    const float32x4_t gax = vdupq_n_f32(g->ax), gay = vdupq_n_f32(g->ay);
    const float32x4_t gbx = vdupq_n_f32(g->bx), gby = vdupq_n_f32(g->by);
    const float32x4_t tmax = vdupq_n_f32(pr->tol_max);
    const float32x4_t tmax2 = vdupq_n_f32(pr->tol_max * pr->tol_max);
    const float32x4_t base = vdupq_n_f32(pr->tol_base), slope = vdupq_n_f32(0.5f * pr->tol_slope);
    const uint32x4_t atol = vdupq_n_u32((uint32_t)pr->angle_tol);
    for (int c0 = 0; c0 < nc; c0 += 4) {
        unsigned ok = tail4(nc - c0) & bits4(vcleq_u32(abs_ang4(&m->cdang[c0], g->rot), atol));
        if (!ok)
            continue;
        float32x4_t bx = vld1q_f32(&m->cbx[c0]), by = vld1q_f32(&m->cby[c0]);
        float32x4_t ax = vld1q_f32(&m->cax[c0]), ay = vld1q_f32(&m->cay[c0]);
        float32x4_t dx = vsubq_f32(vaddq_f32(vsubq_f32(vmulq_f32(gc, bx), vmulq_f32(gs, by)), tx), ax);
        float32x4_t dy = vsubq_f32(vaddq_f32(vaddq_f32(vmulq_f32(gs, bx), vmulq_f32(gc, by)), ty), ay);
        float32x4_t d2 = vaddq_f32(vmulq_f32(dx, dx), vmulq_f32(dy, dy));
        float32x4_t ux = vsubq_f32(ax, gax), uy = vsubq_f32(ay, gay);
        float32x4_t ex = vsubq_f32(bx, gbx), ey = vsubq_f32(by, gby);
        float32x4_t da = vsqrtq_f32(vaddq_f32(vmulq_f32(ux, ux), vmulq_f32(uy, uy)));
        float32x4_t db = vsqrtq_f32(vaddq_f32(vmulq_f32(ex, ex), vmulq_f32(ey, ey)));
        float32x4_t tol = vminq_f32(vaddq_f32(base, vmulq_f32(slope, vaddq_f32(da, db))), tmax);
        ok &= bits4(vandq_u32(vcleq_f32(d2, tmax2), vcleq_f32(d2, vmulq_f32(tol, tol))));
        take_ranked(m, c0, ok, usea, useb, &r);
    }
    return r;
}

/* pair_cands_c() with the consistency test of four candidates per step (the
 * frame values of a candidate's minutiae are looked up lane by lane: NEON has
 * no gather). Same reads past nc as rank_anchor_neon(). */
static pairing pair_cands_neon(const hs_finger_matcher *m, int nc, const hs_finger_prepared *A,
                               const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                               uint8_t *useb)
{
    pairing r = new_pairing(A, B, usea, useb);
    const float32x4_t tmax = vdupq_n_f32(f->pr.tol_max), one = vdupq_n_f32(1.0f);
    const float32x4_t halfv = vdupq_n_f32(0.5f);
    const float32x4_t aden = vdupq_n_f32((float)(f->pr.angle_tol + 1));
    const uint32x4_t atol = vdupq_n_u32((uint32_t)f->pr.angle_tol);
    float w4[4];
    for (int c0 = 0; c0 < nc; c0 += 4) {
        uint32x4_t ad = abs_ang4(&m->cdang[c0], f->rot);
        unsigned ok = tail4(nc - c0) & bits4(vcleq_u32(ad, atol));
        if (!ok)
            continue;
        /* indices past nc are stale but in range (< MAXN): their lanes are off */
        const int32_t *ia = &m->cia[c0], *ib = &m->cib[c0];
        const float tbx[4] = {f->tbx[ib[0]], f->tbx[ib[1]], f->tbx[ib[2]], f->tbx[ib[3]]};
        const float tby[4] = {f->tby[ib[0]], f->tby[ib[1]], f->tby[ib[2]], f->tby[ib[3]]};
        const float ra[4] = {f->ra[ia[0]], f->ra[ia[1]], f->ra[ia[2]], f->ra[ia[3]]};
        const float rb[4] = {f->rb[ib[0]], f->rb[ib[1]], f->rb[ib[2]], f->rb[ib[3]]};
        float32x4_t dx = vsubq_f32(vld1q_f32(tbx), vld1q_f32(&m->cax[c0]));
        float32x4_t dy = vsubq_f32(vld1q_f32(tby), vld1q_f32(&m->cay[c0]));
        float32x4_t d2 = vaddq_f32(vmulq_f32(dx, dx), vmulq_f32(dy, dy));
        float32x4_t tol = vminq_f32(vaddq_f32(vld1q_f32(ra), vld1q_f32(rb)), tmax);
        ok &= bits4(vcleq_f32(d2, vmulq_f32(tol, tol)));
        if (!ok)
            continue;
        float32x4_t w = vsubq_f32(
            vsubq_f32(one, vdivq_f32(vmulq_f32(halfv, vsqrtq_f32(d2)), tol)),
            vdivq_f32(vmulq_f32(halfv, vcvtq_f32_u32(ad)), aden));
        vst1q_f32(w4, w);
        take_paired(m, c0, ok, w4, usea, useb, &r);
    }
    return r;
}

/* Four packed minutia records from p (left of them valid, > 0), split into
 * x, y (as floats) and the angles (low bytes of the 16-bit lanes). The
 * records are copied first: the last step must not read past the array. */
static inline void load_min4(const hs__pmin *p, uint32_t left, float32x4_t *x, float32x4_t *y,
                             uint16x4_t *ang)
{
    int16_t buf[16];
    if (left >= 4)
        memcpy(buf, p, sizeof buf);
    else {
        memset(buf, 0, sizeof buf);
        memcpy(buf, p, left * sizeof *p);
    }
    int16x4x4_t v = vld4_s16(buf); /* x, y, angle | type << 8, nvalid | quality << 8 */
    *x = vcvtq_f32_s32(vmovl_s16(v.val[0]));
    *y = vcvtq_f32_s32(vmovl_s16(v.val[1]));
    *ang = vreinterpret_u16_s16(v.val[2]);
}

/* make_frame_c() four minutiae per step. Writes the frame arrays up to the
 * next multiple of four (within their MAXN entries). */
static void make_frame_neon(frame *f, const align *g, const hs_finger_prepared *A,
                            const hs_finger_prepared *B)
{
    _Static_assert(sizeof(hs__pmin) == 8, "four minutia records are 16 halfwords");
    const float32x4_t gc = vdupq_n_f32(g->c), gs = vdupq_n_f32(g->s);
    const float32x4_t tx = vdupq_n_f32(g->tx), ty = vdupq_n_f32(g->ty);
    const float32x4_t slope = vdupq_n_f32(0.5f * f->pr.tol_slope);
    const float32x4_t base = vdupq_n_f32(f->pr.tol_base);
    const uint16x4_t rot = vdup_n_u16(g->rot), c255 = vdup_n_u16(255);
    f->rot = g->rot;
    for (uint32_t j = 0; j < B->count; j += 4) {
        float32x4_t bx, by;
        uint16x4_t ang;
        load_min4(&B->min[j], B->count - j, &bx, &by, &ang);
        vst1q_f32(&f->tbx[j], vaddq_f32(vsubq_f32(vmulq_f32(gc, bx), vmulq_f32(gs, by)), tx));
        vst1q_f32(&f->tby[j], vaddq_f32(vaddq_f32(vmulq_f32(gs, bx), vmulq_f32(gc, by)), ty));
        float32x4_t dx = vsubq_f32(bx, vdupq_n_f32(g->bx));
        float32x4_t dy = vsubq_f32(by, vdupq_n_f32(g->by));
        float32x4_t d = vsqrtq_f32(vaddq_f32(vmulq_f32(dx, dx), vmulq_f32(dy, dy)));
        vst1q_f32(&f->rb[j], vmulq_f32(slope, d));
        uint16x4_t a = vand_u16(vadd_u16(vand_u16(ang, c255), rot), c255);
        f->tba[j] = (uint8_t)vget_lane_u16(a, 0);
        f->tba[j + 1] = (uint8_t)vget_lane_u16(a, 1);
        f->tba[j + 2] = (uint8_t)vget_lane_u16(a, 2);
        f->tba[j + 3] = (uint8_t)vget_lane_u16(a, 3);
    }
    for (uint32_t i = 0; i < A->count; i += 4) {
        float32x4_t ax, ay;
        uint16x4_t ang;
        load_min4(&A->min[i], A->count - i, &ax, &ay, &ang);
        float32x4_t dx = vsubq_f32(ax, vdupq_n_f32(g->ax));
        float32x4_t dy = vsubq_f32(ay, vdupq_n_f32(g->ay));
        float32x4_t d = vsqrtq_f32(vaddq_f32(vmulq_f32(dx, dx), vmulq_f32(dy, dy)));
        vst1q_f32(&f->ra[i], vaddq_f32(base, vmulq_f32(slope, d)));
    }
}

/* refine_c() four B minutiae per step: the distances and overlap flags in
 * vectors, then the minutiae within the largest tolerance, as bit masks,
 * visited in index order, so the pairs are those refine_c() finds. Reads the
 * frame arrays up to the next multiple of four (within their MAXN entries;
 * the lanes past the count are masked off). */
static void refine_neon(const hs_finger_matcher *m, const hs_finger_prepared *A,
                        const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                        uint8_t *useb, pairing *r)
{
    const uint32_t na = A->count, nb = B->count;
    const float32x4_t ov2 = vdupq_n_f32(f->pr.ov_dist * f->pr.ov_dist);
    const float32x4_t tmax2 = vdupq_n_f32(f->pr.tol_max * f->pr.tol_max);
    uint64_t ovw[MAXN / 64] = {0}, usew[MAXN / 64];
    use_bits(useb, nb, usew);
    int ova = 0;
    float d2s[4];
    for (uint32_t i = 0; i < na; i++) {
        const hs__pmin *a = &A->min[i];
        const float32x4_t ax = vdupq_n_f32((float)a->x), ay = vdupq_n_f32((float)a->y);
        const bool free_a = !usea[i];
        float best = 1e30f, bw = 0.0f;
        int bj = -1;
        bool in = false;
        for (uint32_t j = 0; j < nb; j += 4) {
            const unsigned t = tail4((int)(nb - j));
            float32x4_t dx = vsubq_f32(vld1q_f32(&f->tbx[j]), ax);
            float32x4_t dy = vsubq_f32(vld1q_f32(&f->tby[j]), ay);
            float32x4_t d2 = vaddq_f32(vmulq_f32(dx, dx), vmulq_f32(dy, dy));
            unsigned o = bits4(vcleq_f32(d2, ov2)) & t;
            ovw[j >> 6] |= (uint64_t)o << (j & 63);
            in |= o != 0;
            if (!free_a)
                continue;
            unsigned c = bits4(vcleq_f32(d2, tmax2)) & t & ~(unsigned)(usew[j >> 6] >> (j & 63));
            if (!c)
                continue;
            vst1q_f32(d2s, d2);
            refine_nearest(f, a, i, j, c, d2s, &best, &bj, &bw);
        }
        ova += in;
        refine_take(m, i, nb, bj, bw, usea, useb, usew, r);
    }
    refine_finish(ovw, ova, r);
}

const struct hs__match_kernels hs__match_kernels_neon = {
    sim_matrix_neon, rank_sort_neon,  rank_anchor_neon,
    make_frame_neon, pair_cands_neon, refine_neon};

#else
/* ISO C wants a translation unit to declare something. */
typedef int hs__match_neon_unused;
#endif
