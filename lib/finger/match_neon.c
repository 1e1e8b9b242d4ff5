/* NEON (Advanced SIMD) kernels of the fingerprint matcher, for AArch64, where
 * NEON is part of the base architecture: the handheld devices. The
 * similarity matrix four candidate cylinders per step (popcounts with CNT on
 * bytes), the other steps four candidates or minutiae per step. Each repeats
 * its portable twin in lib/finger/match.c operation by operation, so the
 * scores are identical (test_vector_kernels, fuzz_prepared, and the FVC
 * score comparison of tools/check-arm64.sh). The kernels of this set work
 * together: refine_neon() relies on the frame make_frame_neon() writes.
 * Only the base instruction set is used, so no run-time CPU test is needed;
 * the set is chosen in match.c's set_kernels(). */
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

/* Byte popcounts of a word vector. */
static inline uint8x16_t cnt(uint64x2_t v) { return vcntq_u8(vreinterpretq_u8_u64(v)); }

/* round(65535 * 2c / d) for the four lanes, as dice_q() computes it (d > 0):
 * a correctly rounded double division, as in the AVX kernels (the distance
 * of 2c/d from a rounding boundary is at least 1/1024, far above the
 * division's error), two lanes per division. */
static inline uint32x4_t dice4(uint32x4_t c, uint32x4_t d)
{
    const uint32x4_t k = vdupq_n_u32(131070);
    const float64x2_t half = vdupq_n_f64(0.5);
    float64x2_t nlo = vcvtq_f64_u64(vmull_u32(vget_low_u32(c), vget_low_u32(k)));
    float64x2_t nhi = vcvtq_f64_u64(vmull_high_u32(c, k));
    float64x2_t dlo = vcvtq_f64_u64(vmovl_u32(vget_low_u32(d)));
    float64x2_t dhi = vcvtq_f64_u64(vmovl_high_u32(d));
    uint64x2_t qlo = vcvtq_u64_f64(vaddq_f64(vdivq_f64(nlo, dlo), half));
    uint64x2_t qhi = vcvtq_u64_f64(vaddq_f64(vdivq_f64(nhi, dhi), half));
    return vuzp1q_u32(vreinterpretq_u32_u64(qlo), vreinterpretq_u32_u64(qhi));
}

/* Quantised similarities of one minutia of A (mask am, values ab) and four
 * of B, whose cylinder word w of lane l is bw[w * stride + l]; allow: the
 * lanes within the direction bound. */
static inline uint32x4_t sim4(const uint64_t *bw, uint32_t stride, uint64x2_t am,
                              const uint64x2_t *ab, uint32x4_t allow)
{
    const uint64x2_t m0 = vandq_u64(am, vld1q_u64(bw)), m1 = vandq_u64(am, vld1q_u64(bw + 2));
    /* per-lane byte sums: a pairwise add, then widening ones */
    uint32x4_t pm = vpaddlq_u16(vpaddlq_u8(vpaddq_u8(cnt(m0), cnt(m1))));
    uint32x4_t ok = vandq_u32(allow, vcgtq_u32(pm, vdupq_n_u32(CYL_MIN_COMMON - 1)));
    /* byte counts of the common values (c) and of the differing values
     * inside the common cells (x): at most 4 x 8 per byte */
    uint8x16_t c0 = vdupq_n_u8(0), c1 = c0, x0 = c0, x1 = c0;
    for (uint32_t k = 0; k < HS__CYL_ND; k++) {
        const uint64_t *w = bw + (1 + k) * stride;
        uint64x2_t v0 = vld1q_u64(w), v1 = vld1q_u64(w + 2);
        c0 = vaddq_u8(c0, cnt(vandq_u64(ab[k], v0)));
        c1 = vaddq_u8(c1, cnt(vandq_u64(ab[k], v1)));
        x0 = vaddq_u8(x0, cnt(vandq_u64(veorq_u64(ab[k], v0), m0)));
        x1 = vaddq_u8(x1, cnt(vandq_u64(veorq_u64(ab[k], v1), m1)));
    }
    /* two pairwise byte adds (sums at most 128), then a widening one:
     * halfwords c of the four lanes, then x of them */
    uint16x8_t cx = vpaddlq_u8(vpaddq_u8(vpaddq_u8(c0, c1), vpaddq_u8(x0, x1)));
    uint32x4_t c = vmovl_u16(vget_low_u16(cx)), x = vmovl_high_u16(cx);
    uint32x4_t d = vaddq_u32(x, vshlq_n_u32(c, 1));
    ok = vandq_u32(ok, vtstq_u32(d, d));
    return vandq_u32(dice4(c, vmaxq_u32(d, vdupq_n_u32(1))), ok);
}

/* Lanes of B minutiae j .. j + 3 (left of them exist) within rot_units of
 * direction ai: |ang_diff| > rot exactly when both d and 256 - d exceed it. */
static inline uint32x4_t allow4(const hs_finger_prepared *B, uint32_t j, uint32_t left,
                                uint32x4_t ai, uint32x4_t rot)
{
    uint32_t ba[4] = {0, 0, 0, 0};
    for (uint32_t l = 0; l < 4 && l < left; l++)
        ba[l] = B->min[j + l].angle;
    uint32x4_t d = vandq_u32(vsubq_u32(ai, vld1q_u32(ba)), vdupq_n_u32(255));
    return vmvnq_u32(vandq_u32(vcgtq_u32(d, rot), vcgtq_u32(vsubq_u32(vdupq_n_u32(256), d), rot)));
}

/* sim_matrix_c() four columns per step, in 32-bit lanes. The last,
 * partial step of a row reads a zero-padded copy of its columns, so its
 * lanes past the count have similarity 0; keys of similarity 0 are never
 * used (collect_cands() takes keys above 255 only), so they may enter the
 * top-2 tracking. The matrix rows are written four entries at a time: the
 * last step of a row may write zeros into the first entries of the next
 * row, which that row then overwrites (the matrix has room for 256 x 256
 * entries). */
static void sim_matrix_neon(hs_finger_matcher *m, const hs_finger_prepared *A,
                            const hs_finger_prepared *B, int rot_units)
{
    static const uint32_t lane_init[4] = {0, 1, 2, 3};
    const uint32_t na = A->count, nb = B->count, nb4 = nb & ~3u;
    const bool anyrot = rot_units >= 128;
    uint32_t *c1 = m->c1;
    memset(c1, 0, nb * sizeof *c1);
    const uint32x4_t lane = vld1q_u32(lane_init), four = vdupq_n_u32(4);
    const uint32x4_t rot = vdupq_n_u32((uint32_t)rot_units), all = vdupq_n_u32(~0u);
    /* the last columns, zero-padded to four */
    uint64_t tail[HS__CYL_WORDS * 4] = {0};
    for (uint32_t w = 0; w < HS__CYL_WORDS; w++)
        for (uint32_t l = 0; nb4 + l < nb; l++)
            tail[w * 4 + l] = B->cyl[w * nb + nb4 + l];
    for (uint32_t i = 0; i < na; i++) {
        const uint64x2_t am = vdupq_n_u64(A->cyl[i]);
        uint64x2_t ab[HS__CYL_ND];
        for (uint32_t k = 0; k < HS__CYL_ND; k++)
            ab[k] = vdupq_n_u64(A->cyl[(1 + k) * na + i]);
        const uint32x4_t ai = vdupq_n_u32(A->min[i].angle);
        const uint32x4_t iv = vdupq_n_u32(i);
        uint16_t *row = &m->sim[i * nb];
        uint32x4_t r1 = vdupq_n_u32(0), r2 = r1, jv = lane;
        for (uint32_t j = 0; j < nb; j += 4, jv = vaddq_u32(jv, four)) {
            const bool part = j == nb4;
            uint32x4_t allow = anyrot ? all : allow4(B, j, nb - j, ai, rot);
            uint32x4_t q = part ? sim4(tail, 4, am, ab, allow)
                                : sim4(&B->cyl[j], nb, am, ab, allow);
            vst1_u16(row + j, vmovn_u32(q));
            uint32x4_t q8 = vshlq_n_u32(q, 8);
            uint32x4_t kr = vorrq_u32(q8, jv);
            r2 = vmaxq_u32(r2, vminq_u32(kr, r1));
            r1 = vmaxq_u32(r1, kr);
            uint32x4_t kc = vorrq_u32(q8, iv);
            if (!part)
                vst1q_u32(&c1[j], vmaxq_u32(vld1q_u32(&c1[j]), kc));
            else {
                uint32_t k4[4];
                vst1q_u32(k4, kc);
                for (uint32_t l = 0; j + l < nb; l++)
                    c1[j + l] = k4[l] > c1[j + l] ? k4[l] : c1[j + l];
            }
        }
        /* the two largest of the eight lane keys (keys of distinct lanes
         * are distinct: their low bytes differ) */
        uint32_t t1 = vmaxvq_u32(r1);
        uint32x4_t rest = vbicq_u32(r1, vceqq_u32(r1, vdupq_n_u32(t1)));
        m->r1[i] = t1;
        m->r2[i] = vmaxvq_u32(vmaxq_u32(rest, r2));
    }
}

/* The candidate-key sort of the portable code, by rank counting: a key's
 * place is the number of keys above it, counted eight at a time over a
 * zero-padded copy (a zero key is never above another). Equal keys, which
 * the callers never make, would get the same count: each then takes the
 * next free place, so they keep their order and the output is always a
 * permutation of the input. */
static void rank_sort_neon(const uint32_t *k, uint32_t *out, int n)
{
    uint32_t pad[4 * MAXN + 8];
    uint8_t taken[4 * MAXN];
    const int n8 = (n + 7) & ~7;
    memcpy(pad, k, (size_t)n * sizeof *pad);
    memset(pad + n, 0, (size_t)(n8 - n) * sizeof *pad);
    memset(taken, 0, (size_t)n);
    for (int c = 0; c < n; c++) {
        const uint32x4_t v = vdupq_n_u32(pad[c]);
        uint32x4_t a0 = vdupq_n_u32(0), a1 = a0; /* minus the counts: true lanes are all ones */
        for (int j = 0; j < n8; j += 8) {
            a0 = vaddq_u32(a0, vcgtq_u32(vld1q_u32(&pad[j]), v));
            a1 = vaddq_u32(a1, vcgtq_u32(vld1q_u32(&pad[j + 4]), v));
        }
        uint32_t rank = 0u - vaddvq_u32(vaddq_u32(a0, a1));
        while (taken[rank])
            rank++;
        taken[rank] = 1;
        out[rank] = pad[c];
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
        float32x4_t dx =
            vsubq_f32(vaddq_f32(vsubq_f32(vmulq_f32(gc, bx), vmulq_f32(gs, by)), tx), ax);
        float32x4_t dy =
            vsubq_f32(vaddq_f32(vaddq_f32(vmulq_f32(gs, bx), vmulq_f32(gc, by)), ty), ay);
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
 * next multiple of four (within their MAXN entries), the positions past the
 * count far away. */
static void make_frame_neon(frame *f, const align *g, const hs_finger_prepared *A,
                            const hs_finger_prepared *B)
{
    _Static_assert(sizeof(hs__pmin) == 8, "four minutia records are 16 halfwords");
    const float32x4_t gc = vdupq_n_f32(g->c), gs = vdupq_n_f32(g->s);
    const float32x4_t gu = vdupq_n_f32(g->u), gv = vdupq_n_f32(g->v);
    const float32x4_t tx = vdupq_n_f32(g->tx), ty = vdupq_n_f32(g->ty);
    const float32x4_t slope = vdupq_n_f32(0.5f * f->pr.tol_slope);
    const float32x4_t base = vdupq_n_f32(f->pr.tol_base);
    const uint16x4_t rot = vdup_n_u16(g->rot), c255 = vdup_n_u16(255);
    static const uint32_t lane_init[4] = {0, 1, 2, 3};
    const uint32x4_t lane = vld1q_u32(lane_init);
    const float32x4_t far = vdupq_n_f32(1e30f);
    f->rot = g->rot;
    for (uint32_t j = 0; j < B->count; j += 4) {
        float32x4_t bx, by;
        uint16x4_t ang;
        load_min4(&B->min[j], B->count - j, &bx, &by, &ang);
        float32x4_t x = vaddq_f32(vsubq_f32(vmulq_f32(gc, bx), vmulq_f32(gs, by)), tx);
        float32x4_t y = vaddq_f32(vaddq_f32(vmulq_f32(gu, bx), vmulq_f32(gv, by)), ty);
        if (B->count - j < 4) {
            /* lanes past the count: far away, so that refine_neon() needs
             * no lane mask (the squared distance overflows to infinity) */
            uint32x4_t real = vcltq_u32(lane, vdupq_n_u32(B->count - j));
            x = vbslq_f32(real, x, far);
            y = vbslq_f32(real, y, far);
        }
        vst1q_f32(&f->tbx[j], x);
        vst1q_f32(&f->tby[j], y);
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
 * vectors, then the free minutiae within the largest tolerance, visited in
 * index order, so the pairs are those refine_c() finds. The overlap flags
 * and the free minutiae of B are kept as lane masks, one 32-bit word per
 * minutia. Reads the frame arrays up to the next multiple of four: the
 * lanes past the count hold the far positions make_frame_neon() writes
 * there, which no comparison accepts. */
static void refine_neon(const hs_finger_matcher *m, const hs_finger_prepared *A,
                        const hs_finger_prepared *B, const frame *f, uint8_t *usea,
                        uint8_t *useb, pairing *r)
{
    const uint32_t na = A->count, nb = B->count, nb4 = (nb + 3u) & ~3u;
    const float32x4_t ov2 = vdupq_n_f32(f->pr.ov_dist * f->pr.ov_dist);
    const float32x4_t tmax = vdupq_n_f32(f->pr.tol_max);
    const float32x4_t tmax2 = vmulq_f32(tmax, tmax);
    const float32x4_t inf = vdupq_n_f32(1e30f);
    const int at = refine_angle_tol(&f->pr);
    const uint32x4_t atol = vdupq_n_u32((uint32_t)(at < 0 ? 0 : at));
    uint32_t ovb[MAXN], freeb[MAXN];
    uint64_t usew[MAXN / 64];
    use_bits(useb, nb, usew);
    for (uint32_t j = 0; j < nb4; j++) {
        ovb[j] = 0;
        freeb[j] = j < nb && !useb[j] ? ~0u : 0u;
    }
    int ova = 0;
    for (uint32_t i = 0; i < na; i++) {
        const hs__pmin *a = &A->min[i];
        const float32x4_t ax = vdupq_n_f32((float)a->x), ay = vdupq_n_f32((float)a->y);
        const float32x4_t rai = vdupq_n_f32(f->ra[i]);
        const uint8x8_t aang = vdup_n_u8(a->angle);
        const bool free_a = !usea[i] && at >= 0;
        float best = 1e30f;
        int bj = -1;
        uint32x4_t in = vdupq_n_u32(0);
        for (uint32_t j = 0; j < nb4; j += 4) {
            float32x4_t dx = vsubq_f32(vld1q_f32(&f->tbx[j]), ax);
            float32x4_t dy = vsubq_f32(vld1q_f32(&f->tby[j]), ay);
            float32x4_t d2 = vaddq_f32(vmulq_f32(dx, dx), vmulq_f32(dy, dy));
            uint32x4_t o = vcleq_f32(d2, ov2);
            vst1q_u32(&ovb[j], vorrq_u32(vld1q_u32(&ovb[j]), o));
            in = vorrq_u32(in, o);
            if (!free_a)
                continue;
            /* free minutiae within the largest tolerance first: most steps
             * end here, and the full test below costs about 10,000 more
             * instructions per comparison when run on every step (the x86
             * kernels run it on every step: faster there, measured) */
            uint32x4_t c = vandq_u32(vcleq_f32(d2, tmax2), vld1q_u32(&freeb[j]));
            if (!vmaxvq_u32(c))
                continue;
            /* the whole test of consistent(): angle difference within the
             * tolerance (|signed 8-bit difference|, -128 read as 128),
             * distance within the pair's tolerance (same float operations) */
            uint32_t tb4;
            memcpy(&tb4, &f->tba[j], 4);
            uint8x8_t da = vreinterpret_u8_s8(
                vabs_s8(vreinterpret_s8_u8(vsub_u8(aang, vreinterpret_u8_u32(vdup_n_u32(tb4))))));
            c = vandq_u32(c, vcleq_u32(vmovl_u16(vget_low_u16(vmovl_u8(da))), atol));
            float32x4_t tol = vminq_f32(vaddq_f32(rai, vld1q_f32(&f->rb[j])), tmax);
            c = vandq_u32(c, vcleq_f32(d2, vmulq_f32(tol, tol)));
            if (!vmaxvq_u32(c))
                continue;
            /* the nearest: least distance, lowest lane on a tie; a later
             * step wins only with a strictly smaller one */
            float mn = vminvq_f32(vbslq_f32(c, d2, inf));
            if (mn < best) {
                best = mn;
                bj = (int)(j + (uint32_t)__builtin_ctz(
                                   bits4(vandq_u32(c, vceqq_f32(d2, vdupq_n_f32(mn))))));
            }
        }
        ova += vmaxvq_u32(in) != 0;
        refine_take(m, f, a, i, nb, bj, usea, useb, usew, r);
        if (bj >= 0)
            freeb[bj] = 0;
    }
    int nov = 0;
    for (uint32_t j = 0; j < nb; j++)
        nov += ovb[j] != 0;
    r->ova = ova;
    r->ovb = nov;
}

/* field_sum with NEON: four samples at a time, the grid coordinates with
 * the same float operations as hs__field_sum_c (the sample arrays are
 * padded to whole vectors), the grid and cosine lookups lane by lane (NEON
 * has no gather), the rest as vector operations; integer sums, so the same
 * value as the portable loop's. */
static void field_sum_neon(const hs_finger_matcher *m, const hs_finger_prepared *A,
                           const hs_finger_prepared *B, const float *k, uint32_t r2, uint32_t i0,
                           uint32_t i1, int32_t *sum, int32_t *n)
{
    const hs__pfield *fa = A->fd, *fb = B->fd;
    const float32x4_t a1 = vdupq_n_f32(k[0]), b1 = vdupq_n_f32(k[1]), k1 = vdupq_n_f32(k[2]);
    const float32x4_t a2 = vdupq_n_f32(k[3]), b2 = vdupq_n_f32(k[4]), k2 = vdupq_n_f32(k[5]);
    const float32x4_t gw = vdupq_n_f32(k[6]), gh = vdupq_n_f32(k[7]), zf = vdupq_n_f32(0.0f);
    const int32x4_t gwi = vdupq_n_s32((int32_t)fb->gw);
    static const uint32_t lane_ix[4] = {0, 1, 2, 3};
    const uint32x4_t lanes = vld1q_u32(lane_ix), r2v = vdupq_n_u32(r2);
    const uint32x4_t m63 = vdupq_n_u32(63), m255 = vdupq_n_u32(255);
    int32x4_t accv = vdupq_n_s32(0), cntv = vdupq_n_s32(0);
    for (uint32_t i = i0; i < i1; i += 4) {
        float32x4_t x = vcvtq_f32_s32(vmovl_s16(vld1_s16(fa->sx + i)));
        float32x4_t y = vcvtq_f32_s32(vmovl_s16(vld1_s16(fa->sy + i)));
        float32x4_t fi = vaddq_f32(vaddq_f32(vmulq_f32(a1, x), vmulq_f32(b1, y)), k1);
        float32x4_t fj = vaddq_f32(vaddq_f32(vmulq_f32(a2, x), vmulq_f32(b2, y)), k2);
        /* live lanes: inside B's grid and before i1. Without branches on
         * them (inside or not is as good as random): a dead lane reads
         * cell 0 and is masked, as in hs__field_sum_c; the masks, the
         * cosine indices and the sums are vector operations, only the two
         * table lookups go lane by lane. The sums are of integers, so
         * their order does not matter. */
        uint32x4_t live = vandq_u32(vandq_u32(vcgeq_f32(fi, zf), vcgeq_f32(fj, zf)),
                                    vandq_u32(vcltq_f32(fi, gw), vcltq_f32(fj, gh)));
        live = vandq_u32(live, vcltq_u32(lanes, vdupq_n_u32(i1 - i)));
        int32x4_t idx = vmlaq_s32(vcvtq_s32_f32(fi), vcvtq_s32_f32(fj), gwi);
        uint32_t il[4];
        vst1q_u32(il, vandq_u32(vreinterpretq_u32_s32(idx), live));
        uint32_t g[4] = {fb->grid[il[0]], fb->grid[il[1]], fb->grid[il[2]], fb->grid[il[3]]};
        uint32x4_t vb = vandq_u32(vld1q_u32(g), live);
        uint32x4_t ok = vtstq_u32(vb, vb);
        const uint32_t s4[4] = {fa->sd[i], fa->sd[i + 1], fa->sd[i + 2], fa->sd[i + 3]};
        uint32x4_t sd = vld1q_u32(s4);
        uint32x4_t ci = vandq_u32(
            vsubq_u32(vsubq_u32(sd, vshlq_n_u32(vandq_u32(vb, m63), 2)), r2v), m255);
        uint32_t cl[4];
        vst1q_u32(cl, ci);
        const int32_t c[4] = {m->icos[cl[0]], m->icos[cl[1]], m->icos[cl[2]], m->icos[cl[3]]};
        accv = vaddq_s32(accv, vandq_s32(vld1q_s32(c), vreinterpretq_s32_u32(ok)));
        cntv = vsubq_s32(cntv, vreinterpretq_s32_u32(ok)); /* ok lanes are -1 */
    }
    *sum = vaddvq_s32(accv);
    *n = vaddvq_s32(cntv);
}

const struct hs__match_kernels hs__match_kernels_neon = {
    sim_matrix_neon, rank_sort_neon,  rank_anchor_neon,
    make_frame_neon, pair_cands_neon, refine_neon,
    field_sum_neon, hs__field_sums_c};

#else
/* ISO C wants a translation unit to declare something. */
typedef int hs__match_neon_unused;
#endif
