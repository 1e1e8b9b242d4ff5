/* Tests of the 1:1 fingerprint matcher on synthetic minutia sets, the
 * prepared-template codec, and (when present) the shared ISO templates. */
#include "testutil.h"

#include "internal/match.h"
#include "internal/template.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.28318530717958647692

/* Deterministic generator, so that failures reproduce. */
static uint32_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}
static float frand(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xffff) / 65535.0f; }

/* A random "finger": n minutiae in a disc of radius r around (cx, cy) with
 * at least 12 px between them. */
static int make_set(hs_minutia *m, int n, float cx, float cy, float r)
{
    int k = 0;
    for (int tries = 0; k < n && tries < 100000; tries++) {
        float x = cx + frand(-r, r), y = cy + frand(-r, r);
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r)
            continue;
        int ok = 1;
        for (int j = 0; j < k; j++)
            if ((m[j].x - x) * (m[j].x - x) + (m[j].y - y) * (m[j].y - y) < 144.0f)
                ok = 0;
        if (!ok)
            continue;
        memset(&m[k], 0, sizeof m[k]);
        m[k].x = x;
        m[k].y = y;
        m[k].angle = frand(0.0f, 6.28f);
        m[k].type = (uint8_t)(1 + (rnd() & 1));
        m[k].quality = 60;
        k++;
    }
    return k;
}

static float wrap(float a)
{
    while (a >= (float)TWO_PI)
        a -= (float)TWO_PI;
    while (a < 0)
        a += (float)TWO_PI;
    if (a >= (float)TWO_PI)
        a = 0;
    return a;
}

/* Rotate by rot (radians, counter-clockwise on screen) about (cx, cy), then
 * translate, add positional jitter, and drop every drop-th minutia. */
static int transform(const hs_minutia *in, int n, hs_minutia *out, float rot, float cx, float cy,
                     float tx, float ty, float jitter, int drop)
{
    float c = cosf(rot), s = sinf(rot);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (drop && i % drop == 0)
            continue;
        float dx = in[i].x - cx, dy = -(in[i].y - cy); /* y up */
        float x = c * dx - s * dy, y = s * dx + c * dy;
        out[k] = in[i];
        out[k].x = cx + x + tx + frand(-jitter, jitter);
        out[k].y = cy - y + ty + frand(-jitter, jitter);
        out[k].angle = wrap(in[i].angle + rot + frand(-0.05f, 0.05f));
        k++;
    }
    return k;
}

static hs_template *tpl(const hs_minutia *m, int n, uint32_t ppi, uint32_t position)
{
    hs_template *t = NULL;
    assert_int_equal(hs_template_new(NULL, &t), HS_OK);
    hs_view_info vi;
    memset(&vi, 0, sizeof vi);
    vi.struct_size = sizeof vi;
    vi.width = 2000;
    vi.height = 2000;
    vi.ppi_x = vi.ppi_y = ppi;
    vi.finger_position = position;
    assert_int_equal(hs_template_add_view(NULL, t, &vi, m, (uint32_t)n), HS_OK);
    return t;
}

static hs_finger_prepared *prep(const hs_minutia *m, int n, uint32_t ppi)
{
    hs_template *t = tpl(m, n, ppi, 0);
    hs_finger_prepared *p = NULL;
    assert_int_equal(hs_finger_prepare(NULL, &p, t, 0), HS_OK);
    hs_template_free(t);
    return p;
}

/* A matcher with the default parameters (the test fails if none). */
static hs_finger_matcher *new_matcher(void)
{
    hs_finger_matcher *mt = NULL;
    assert_int_equal(hs_finger_matcher_new(NULL, &mt), HS_OK);
    return mt;
}

static float score_of(hs_finger_matcher *mt, const hs_finger_prepared *a,
                      const hs_finger_prepared *b)
{
    float s = -1.0f;
    assert_int_equal(hs_finger_match(mt, &s, a, b), HS_OK);
    assert_true(isfinite(s));
    assert_true(s >= 0.0f && s <= 1.0f);
    return s;
}

static void test_identity_and_symmetry(void **state)
{
    (void)state;
    rng_state = 1;
    hs_minutia a[60], b[60];
    hs_finger_matcher *mt = new_matcher();
    float t6 = tu_thr(1e-6);
    for (int trial = 0; trial < 5; trial++) {
        int n = make_set(a, 40, 1000, 1000, 150);
        hs_finger_prepared *pa = prep(a, n, 500);
        assert_true(score_of(mt, pa, pa) > t6);
        int nb = transform(a, n, b, 0.3f, 1000, 1000, 20, -10, 3.0f, 5);
        hs_finger_prepared *pb = prep(b, nb, 500);
        float s1 = score_of(mt, pa, pb), s2 = score_of(mt, pb, pa);
        assert_true(fabsf(s1 - s2) <= 1e-6f);
        hs_finger_prepared_free(pa);
        hs_finger_prepared_free(pb);
    }
    hs_finger_matcher_free(mt);
}

static void test_rotation_translation(void **state)
{
    (void)state;
    rng_state = 7;
    hs_minutia a[60], b[60], c[60];
    hs_finger_matcher *mt = new_matcher();
    float t4 = tu_thr(1e-4);
    int n = make_set(a, 40, 1000, 1000, 150);
    int nc = make_set(c, 40, 1000, 1000, 150); /* another finger */
    hs_finger_prepared *pa = prep(a, n, 500), *pc = prep(c, nc, 500);
    const float rots[] = {0.0f, 0.5f, 1.57f, 3.1f, -2.0f};
    for (size_t k = 0; k < sizeof rots / sizeof rots[0]; k++) {
        int nb = transform(a, n, b, rots[k], 1000, 1000, 60, -45, 2.0f, 7);
        hs_finger_prepared *pb = prep(b, nb, 500);
        float s = score_of(mt, pa, pb);
        assert_true(s > t4);
        assert_true(s > 5.0f * score_of(mt, pc, pb));
        /* bounded rotation rejects large rotations */
        assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_MAX_ROTATION, 40), HS_OK);
        float sb = score_of(mt, pa, pb);
        if (fabsf(rots[k]) > 1.0f)
            assert_true(sb < t4);
        else
            assert_true(sb > t4);
        assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_MAX_ROTATION, 180), HS_OK);
        hs_finger_prepared_free(pb);
    }
    hs_finger_prepared_free(pa);
    hs_finger_prepared_free(pc);
    hs_finger_matcher_free(mt);
}

/* Skin distortion and sensor scale: a copy stretched by 12% along one axis
 * and compressed by 10% along the other (then rotated, jittered, a third of
 * the minutiae dropped) keeps most of the score of an unstretched copy
 * (0.86-0.93 of it here): the affine stage follows such a stretch, where the
 * rigid alignment alone lost the pairs far from the centre (0.40 of it
 * before the affine stage). */
static void test_stretch(void **state)
{
    (void)state;
    rng_state = 11;
    hs_minutia a[80], st[80], b[80];
    hs_finger_matcher *mt = new_matcher();
    float t3 = tu_thr(1e-3);
    for (int trial = 0; trial < 4; trial++) {
        int n = make_set(a, 60, 1000, 1000, 200);
        hs_finger_prepared *pa = prep(a, n, 500);
        const float sx = 1.12f, sy = 0.90f;
        for (int i = 0; i < n; i++) { /* y up, as transform() */
            float dx = a[i].x - 1000, dy = -(a[i].y - 1000);
            st[i] = a[i];
            st[i].x = 1000 + sx * dx;
            st[i].y = 1000 - sy * dy;
            st[i].angle = wrap(atan2f(sy * sinf(a[i].angle), sx * cosf(a[i].angle)));
        }
        int nb = transform(a, n, b, 0.4f, 1000, 1000, 30, -20, 2.5f, 3);
        hs_finger_prepared *plain = prep(b, nb, 500);
        nb = transform(st, n, b, 0.4f, 1000, 1000, 30, -20, 2.5f, 3);
        hs_finger_prepared *stretched = prep(b, nb, 500);
        float s0 = score_of(mt, pa, plain), s1 = score_of(mt, pa, stretched);
        assert_true(s1 > t3);
        assert_true(s1 > 0.7f * s0);
        assert_true(fabsf(s1 - score_of(mt, stretched, pa)) <= 1e-6f);
        hs_finger_prepared_free(pa);
        hs_finger_prepared_free(plain);
        hs_finger_prepared_free(stretched);
    }
    hs_finger_matcher_free(mt);
}

/* Minutia quality weighs in the score's whole-print normalisation: extra
 * (spurious) minutiae of low quality lower a genuine score less than the
 * same minutiae of full quality (80 and above); unknown quality (0) counts
 * as full. */
static void test_quality_counts(void **state)
{
    (void)state;
    rng_state = 11;
    hs_minutia a[40], b[80], extra[40];
    hs_finger_matcher *mt = new_matcher();
    int n = make_set(a, 30, 1000, 1000, 130);
    for (int i = 0; i < n; i++)
        a[i].quality = 90;
    int nb = transform(a, n, b, 0.2f, 1000, 1000, 15, 10, 2.0f, 6);
    int ne = make_set(extra, 20, 1000, 1000, 130);
    hs_finger_prepared *pa = prep(a, n, 500);
    float s[3];
    const uint8_t q[3] = {90, 0, 10};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < ne; i++) {
            b[nb + i] = extra[i];
            b[nb + i].quality = q[k];
        }
        hs_finger_prepared *pb = prep(b, nb + ne, 500);
        s[k] = score_of(mt, pa, pb);
        hs_finger_prepared_free(pb);
    }
    assert_true(s[0] > tu_thr(1e-4));
    assert_true(s[1] == s[0]);       /* unknown quality counts fully */
    assert_true(s[2] > 1.2f * s[0]); /* 20 extras at quality 10 count as 2.5 */
    hs_finger_prepared_free(pa);
    hs_finger_matcher_free(mt);
}

static void test_resolution(void **state)
{
    (void)state;
    rng_state = 11;
    hs_minutia a[60], b[60];
    int n = make_set(a, 35, 500, 500, 140);
    for (int i = 0; i < n; i++) {
        b[i] = a[i];
        b[i].x = a[i].x * 2.0f;
        b[i].y = a[i].y * 2.0f;
    }
    hs_finger_matcher *mt = new_matcher();
    hs_finger_prepared *pa = prep(a, n, 500), *pb = prep(b, n, 1000), *pw = prep(b, n, 500);
    float same = score_of(mt, pa, pb), wrong = score_of(mt, pa, pw);
    assert_true(same > tu_thr(1e-6));
    assert_true(same > 3.0f * wrong);
    hs_finger_prepared_free(pa);
    hs_finger_prepared_free(pb);
    hs_finger_prepared_free(pw);
    hs_finger_matcher_free(mt);
}

static void test_tiny_templates(void **state)
{
    (void)state;
    rng_state = 3;
    hs_minutia a[40];
    int n = make_set(a, 30, 300, 300, 120);
    hs_finger_matcher *mt = new_matcher();
    hs_finger_prepared *p0 = prep(a, 0, 500), *p1 = prep(a, 1, 500), *pa = prep(a, n, 500);
    assert_int_equal(hs_finger_prepared_count(p0), 0);
    assert_true(score_of(mt, p0, p0) == 0.0f);
    assert_true(score_of(mt, p1, p1) == 0.0f);
    assert_true(score_of(mt, p0, pa) == 0.0f);
    assert_true(score_of(mt, pa, p1) == 0.0f);
    float s = -1;
    hs_template *t = tpl(a, n, 500, 0);
    assert_int_equal(hs_finger_compare(NULL, &s, t, t), HS_OK);
    assert_true(s > 0.5f);
    assert_int_equal(hs_finger_match(mt, &s, NULL, pa), HS_ERR_INVALID_ARG);
    assert_true(s == 0.0f);
    hs_finger_prepared *px = NULL;
    assert_int_equal(hs_finger_prepare(NULL, &px, t, 1), HS_ERR_NOT_FOUND);
    assert_null(px);
    hs_template_free(t);
    hs_finger_prepared_free(p0);
    hs_finger_prepared_free(p1);
    hs_finger_prepared_free(pa);
    hs_finger_matcher_free(mt);
}

static void test_no_nan_random(void **state)
{
    (void)state;
    rng_state = 99;
    hs_finger_matcher *mt = new_matcher();
    hs_minutia a[200], b[200];
    for (int trial = 0; trial < 30; trial++) {
        int na = make_set(a, 2 + (int)(rnd() % 150), 800, 800, 50 + (float)(rnd() % 400));
        int nb = make_set(b, 2 + (int)(rnd() % 150), 800, 800, 50 + (float)(rnd() % 400));
        /* duplicates and coincident points are legal input */
        if (trial % 5 == 0 && na > 3)
            a[1] = a[0];
        hs_finger_prepared *pa = prep(a, na, 300 + (uint32_t)(rnd() % 900));
        hs_finger_prepared *pb = prep(b, nb, 500);
        float s1 = score_of(mt, pa, pb), s2 = score_of(mt, pb, pa);
        assert_true(fabsf(s1 - s2) <= 1e-6f);
        hs_finger_prepared_free(pa);
        hs_finger_prepared_free(pb);
    }
    hs_finger_matcher_free(mt);
}

/* One matcher per kernel set: portable, AVX2, AVX-512, NEON, each where
 * the CPU runs it; the portable set stands in for the others (with a note).
 * Returns how many vector sets run. */
#define NSETS 4
static int kernel_matchers(hs_finger_matcher *mt[NSETS])
{
    const int32_t set[NSETS] = {HS_MATCH_KERNELS_PORTABLE, HS_MATCH_KERNELS_AVX2,
                                HS_MATCH_KERNELS_AVX512, HS_MATCH_KERNELS_NEON};
    int vector_sets = 0;
    for (int k = 0; k < NSETS; k++) {
        mt[k] = new_matcher();
        hs_status s = hs_finger_matcher_set(mt[k], HS_MATCH_KERNELS, set[k]);
        if (s == HS_ERR_UNSUPPORTED) {
            printf("note: kernel set %d not run on this CPU; the portable set stands in\n", set[k]);
            assert_int_equal(hs_finger_matcher_set(mt[k], HS_MATCH_KERNELS,
                                                   HS_MATCH_KERNELS_PORTABLE), HS_OK);
        } else {
            assert_int_equal(s, HS_OK);
            vector_sets += k > 0;
        }
    }
    return vector_sets;
}

/* The vector kernels (AVX-512 or AVX2 on x86-64, NEON on AArch64, chosen at
 * run time) must give exactly the scores of the portable code: random pairs,
 * mated pairs (rotated, shifted, jittered, with dropped minutiae), every
 * matcher mode. */
static void test_vector_kernels(void **state)
{
    (void)state;
    hs_finger_matcher *mt[NSETS] = {NULL, NULL, NULL, NULL};
    int vector_sets = kernel_matchers(mt);
    for (int k = 0; k < NSETS; k++)
        assert_int_not_equal(tu_mget(mt[k], HS_MATCH_KERNELS), HS_MATCH_KERNELS_AUTO);
#ifdef __aarch64__
    assert_int_equal(vector_sets, 1); /* NEON: every AArch64 CPU has it */
#else
    (void)vector_sets;
#endif
    assert_int_equal(tu_mget(mt[0], HS_MATCH_KERNELS), HS_MATCH_KERNELS_PORTABLE);
    rng_state = 4242;
    hs_minutia a[256], b[256];
    int compared = 0, mated_high = 0;
    for (int trial = 0; trial < 240; trial++) {
        int na = make_set(a, 2 + (int)(rnd() % 200), 800, 800, 60 + (float)(rnd() % 300));
        int nb;
        int mated = trial % 2 == 0;
        if (mated)
            nb = transform(a, na, b, frand(-3.1f, 3.1f), 800, 800, frand(-80, 80),
                           frand(-80, 80), frand(0, 6), 2 + (int)(rnd() % 6));
        else
            nb = make_set(b, 2 + (int)(rnd() % 200), 800, 800, 60 + (float)(rnd() % 300));
        hs_finger_prepared *pa = prep(a, na, 500), *pb = prep(b, nb, 500);
        int mode = trial % 3; /* default, fast, 60-degree bound */
        float sc[NSETS];
        for (int k = 0; k < NSETS; k++) {
            hs_finger_matcher_set(mt[k], HS_MATCH_FAST, mode == 1);
            hs_finger_matcher_set(mt[k], HS_MATCH_MAX_ROTATION, mode == 2 ? 60 : 180);
            sc[k] = score_of(mt[k], pa, pb);
        }
        for (int k = 1; k < NSETS; k++)
            assert_true(sc[k] == sc[0]);
        mated_high += mated && mode != 2 && sc[0] > tu_thr(1e-4);
        compared++;
        hs_finger_prepared_free(pa);
        hs_finger_prepared_free(pb);
    }
    /* the largest templates (255 minutiae): every array bound of the kernels */
    for (int trial = 0; trial < 4; trial++) {
        int na = make_set(a, 255, 800, 800, 450), nb;
        assert_int_equal(na, 255);
        if (trial % 2 == 0)
            nb = transform(a, na, b, 0.3f, 800, 800, 10, -20, 3, 0);
        else
            nb = make_set(b, 255, 800, 800, 450);
        hs_finger_prepared *pa = prep(a, na, 500), *pb = prep(b, nb, 500);
        float sc[NSETS];
        for (int k = 0; k < NSETS; k++) {
            hs_finger_matcher_set(mt[k], HS_MATCH_FAST, trial >= 2);
            hs_finger_matcher_set(mt[k], HS_MATCH_MAX_ROTATION, 180);
            sc[k] = score_of(mt[k], pa, pb);
        }
        for (int k = 1; k < NSETS; k++)
            assert_true(sc[k] == sc[0]);
        if (trial % 2 == 0)
            assert_true(sc[0] > tu_thr(1e-6));
        compared++;
        hs_finger_prepared_free(pa);
        hs_finger_prepared_free(pb);
    }
    assert_int_equal(compared, 244);
    assert_true(mated_high >= 40); /* the mated pairs did exercise the pairing code */
    for (int k = 0; k < NSETS; k++)
        hs_finger_matcher_free(mt[k]);
}

/* The candidate-key sort of every kernel set gives the portable one's
 * output: random keys of every length up to the largest list the matcher
 * makes (3 per minutia), with few distinct values (many equal keys: the
 * matcher makes none, but each set must still give a permutation), with
 * all distinct and with the extremes 0 and 0xffffffff (unsigned order). */
static void test_sort_kernels(void **state)
{
    (void)state;
    hs_finger_matcher *mt[NSETS] = {NULL, NULL, NULL, NULL};
    kernel_matchers(mt);
    enum { CAP = 3 * 255 + 8 };
    static uint32_t in[CAP], out[NSETS][CAP];
    rng_state = 777;
    int checked = 0;
    for (int trial = 0; trial < 400; trial++) {
        const int n = trial < 40 ? trial : (int)(rnd() % (3 * 255 + 1));
        const int kind = trial % 4;
        for (int i = 0; i < CAP; i++) {
            uint32_t v = (uint32_t)rnd() << 16 ^ (uint32_t)rnd();
            in[i] = kind == 0   ? v % 5u                                  /* many equal */
                    : kind == 1 ? (v & 0xffff0000u) | (uint32_t)i         /* distinct */
                    : kind == 2 ? (v & 1u ? 0xffffffffu - v % 3u : v % 3u) /* extremes */
                                : v;
        }
        for (int k = 0; k < NSETS; k++) {
            memset(out[k], 0xa5, sizeof out[k]);
            hs__match_sort_keys(mt[k], in, out[k], n);
        }
        for (int i = 1; i < n; i++)
            assert_true(out[0][i - 1] >= out[0][i]);
        /* a permutation: the same multiset (sums and xors of both) */
        uint64_t si = 0, so = 0;
        uint32_t xi = 0, xo = 0;
        for (int i = 0; i < n; i++) {
            si += in[i];
            so += out[0][i];
            xi ^= in[i] * 2654435761u;
            xo ^= out[0][i] * 2654435761u;
        }
        assert_true(si == so && xi == xo);
        for (int k = 1; k < NSETS; k++)
            assert_memory_equal(out[k], out[0], (size_t)n * sizeof(uint32_t));
        checked++;
    }
    assert_int_equal(checked, 400);
    for (int k = 0; k < NSETS; k++)
        hs_finger_matcher_free(mt[k]);
}

/* HS_MATCH_THOROUGH: refines the default mode's alignments first, then more,
 * and keeps the best, so on every pair its score is at least the default
 * score (exactly); it is symmetric and the same on every kernel set like the
 * default; and it does find better alignments on some pairs. With
 * HS_MATCH_FAST also set a comparison is refused. */
static void test_thorough(void **state)
{
    (void)state;
    hs_finger_matcher *mt[NSETS], *def = new_matcher();
    kernel_matchers(mt);
    for (int k = 0; k < NSETS; k++)
        assert_int_equal(hs_finger_matcher_set(mt[k], HS_MATCH_THOROUGH, 1), HS_OK);
    rng_state = 777;
    hs_minutia a[256], b[256];
    int higher = 0, mated_high = 0;
    for (int trial = 0; trial < 120; trial++) {
        int na = make_set(a, 2 + (int)(rnd() % 120), 800, 800, 60 + (float)(rnd() % 250));
        int nb;
        int mated = trial % 2 == 0;
        if (mated) /* strong distortion: the default's first alignments can miss */
            nb = transform(a, na, b, frand(-3.1f, 3.1f), 800, 800, frand(-80, 80),
                           frand(-80, 80), frand(0, 10), 2 + (int)(rnd() % 3));
        else
            nb = make_set(b, 2 + (int)(rnd() % 120), 800, 800, 60 + (float)(rnd() % 250));
        hs_finger_prepared *pa = prep(a, na, 500), *pb = prep(b, nb, 500);
        float d = score_of(def, pa, pb), sc[NSETS];
        for (int k = 0; k < NSETS; k++)
            sc[k] = score_of(mt[k], pa, pb);
        for (int k = 1; k < NSETS; k++)
            assert_true(sc[k] == sc[0]);
        assert_true(sc[0] >= d);
        assert_true(score_of(mt[0], pb, pa) == sc[0]);
        higher += sc[0] > d;
        mated_high += mated && sc[0] > tu_thr(1e-4);
        hs_finger_prepared_free(pa);
        hs_finger_prepared_free(pb);
    }
    printf("note: thorough mode scored above the default on %d of 120 pairs\n", higher);
    assert_true(higher >= 1);
    assert_true(mated_high >= 30);
    /* FAST and THOROUGH together: refused at comparison time, score 0 */
    int n = make_set(a, 30, 800, 800, 150);
    hs_finger_prepared *p = prep(a, n, 500);
    assert_int_equal(hs_finger_matcher_set(mt[0], HS_MATCH_FAST, 1), HS_OK);
    float s = 0.5f;
    assert_int_equal(hs_finger_match(mt[0], &s, p, p), HS_ERR_INVALID_ARG);
    assert_true(s == 0.0f);
    const hs_finger_prepared *one[1] = {p};
    s = 0.5f;
    assert_int_equal(hs_finger_match_multi(mt[0], &s, one, 1, one, 1, HS_FUSION_MAX),
                     HS_ERR_INVALID_ARG);
    assert_true(s == 0.0f);
    assert_int_equal(hs_finger_matcher_set(mt[0], HS_MATCH_THOROUGH, 0), HS_OK);
    assert_true(score_of(mt[0], p, p) > tu_thr(1e-6)); /* fast alone runs */
    hs_finger_prepared_free(p);
    for (int k = 0; k < NSETS; k++)
        hs_finger_matcher_free(mt[k]);
    hs_finger_matcher_free(def);
}

static void test_params(void **state)
{
    (void)state;
    hs_finger_matcher *mt = new_matcher();
    int32_t lo, hi;
    assert_int_equal(hs_finger_matcher_bounds(&lo, &hi, HS_MATCH_MAX_ROTATION), HS_OK);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 180);
    assert_int_equal(tu_mget(mt, HS_MATCH_MAX_ROTATION), 180);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_MAX_ROTATION, 181), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_matcher_set(mt, 999, 1), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_matcher_bounds(&lo, &hi, 999), HS_ERR_INVALID_ARG);
    /* kernel sets: AUTO resolves to a real set; unknown values are refused */
    assert_int_equal(hs_finger_matcher_bounds(&lo, &hi, HS_MATCH_KERNELS), HS_OK);
    assert_int_equal(lo, HS_MATCH_KERNELS_AUTO);
    assert_int_equal(hi, HS_MATCH_KERNELS_NEON);
    int32_t auto_set = tu_mget(mt, HS_MATCH_KERNELS);
    assert_true(auto_set >= HS_MATCH_KERNELS_PORTABLE && auto_set <= HS_MATCH_KERNELS_NEON);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_KERNELS, 5), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_KERNELS, -1), HS_ERR_INVALID_ARG);
#if defined(__aarch64__)
    /* every AArch64 CPU has NEON: AUTO picks it, and the x86 sets are refused */
    assert_int_equal(auto_set, HS_MATCH_KERNELS_NEON);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_KERNELS, HS_MATCH_KERNELS_AVX2),
                     HS_ERR_UNSUPPORTED);
    assert_int_equal(tu_mget(mt, HS_MATCH_KERNELS), HS_MATCH_KERNELS_NEON);
#elif defined(__x86_64__)
    assert_true(auto_set != HS_MATCH_KERNELS_NEON);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_KERNELS, HS_MATCH_KERNELS_NEON),
                     HS_ERR_UNSUPPORTED);
    assert_int_equal(tu_mget(mt, HS_MATCH_KERNELS), auto_set);
#endif
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_KERNELS, HS_MATCH_KERNELS_PORTABLE), HS_OK);
    assert_int_equal(tu_mget(mt, HS_MATCH_KERNELS), HS_MATCH_KERNELS_PORTABLE);
    hs_status ks = hs_finger_matcher_set(mt, HS_MATCH_KERNELS, HS_MATCH_KERNELS_AVX512);
    assert_true(ks == HS_OK || ks == HS_ERR_UNSUPPORTED);
    if (ks == HS_ERR_UNSUPPORTED) /* refused: the set in use stays */
        assert_int_equal(tu_mget(mt, HS_MATCH_KERNELS), HS_MATCH_KERNELS_PORTABLE);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_KERNELS, HS_MATCH_KERNELS_AUTO), HS_OK);
    assert_int_equal(tu_mget(mt, HS_MATCH_KERNELS), auto_set);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_FAST, 1), HS_OK);
    assert_int_equal(tu_mget(mt, HS_MATCH_FAST), 1);
    /* thorough mode (1.1): 0 or 1, default 0; refused values leave it */
    assert_int_equal(hs_finger_matcher_bounds(&lo, &hi, HS_MATCH_THOROUGH), HS_OK);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 1);
    assert_int_equal(tu_mget(mt, HS_MATCH_THOROUGH), 0);
    assert_int_equal(tu_mget(NULL, HS_MATCH_THOROUGH), 0);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_THOROUGH, 1), HS_OK);
    assert_int_equal(tu_mget(mt, HS_MATCH_THOROUGH), 1);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_THOROUGH, 2), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_THOROUGH, -1), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_matcher_set(NULL, HS_MATCH_THOROUGH, 1), HS_ERR_INVALID_ARG);
    assert_int_equal(tu_mget(mt, HS_MATCH_THOROUGH), 1);
    assert_int_equal(tu_mget(mt, HS_MATCH_FAST), 1); /* independent of each other */
    assert_int_equal(hs_finger_matcher_set(mt, HS_MATCH_THOROUGH, 0), HS_OK);
    assert_int_equal(tu_mget(mt, HS_MATCH_THOROUGH), 0);
    /* thresholds rise as the FMR falls, and are clamped */
    float prev = -1;
    for (double f = 1e-2; f >= 1e-6 * 0.99; f /= 10) {
        float t = tu_thr(f);
        assert_true(t > prev);
        assert_true(t > 0.0f && t < 1.0f);
        prev = t;
    }
    assert_true(tu_thr(0.5) == tu_thr(1e-2));
    assert_true(tu_thr(1e-9) == tu_thr(1e-6));
    /* Rates that are not a probability are refused, never clamped. */
    float t = 0.25f;
    assert_int_equal(hs_finger_threshold_for_fmr(&t, NAN), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_threshold_for_fmr(&t, INFINITY), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_threshold_for_fmr(&t, 1.0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_threshold_for_fmr(&t, 2.0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_threshold_for_fmr(&t, 0.0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_threshold_for_fmr(&t, -1e-3), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_threshold_for_fmr(NULL, 1e-3), HS_ERR_INVALID_ARG);
    assert_true(t == 0.25f);
    hs_finger_matcher_free(mt);
}

static void test_multi(void **state)
{
    (void)state;
    rng_state = 5;
    hs_minutia a[50], b[50], c[50];
    int na = make_set(a, 35, 1000, 1000, 140), nc = make_set(c, 35, 1000, 1000, 140);
    int nb = transform(a, na, b, 0.2f, 1000, 1000, 10, 10, 2.0f, 6);
    hs_template *ta = tpl(a, na, 500, HS_FINGER_RIGHT_INDEX);
    hs_template *tb = tpl(b, nb, 500, HS_FINGER_RIGHT_INDEX);
    hs_template *tc = tpl(c, nc, 500, HS_FINGER_LEFT_INDEX);
    hs_template *tb2 = tpl(b, nb, 500, HS_FINGER_LEFT_INDEX); /* same minutiae, other finger */
    hs_finger_prepared *pa, *pb, *pc, *pb2;
    assert_int_equal(hs_finger_prepare(NULL, &pa, ta, 0), HS_OK);
    assert_int_equal(hs_finger_prepare(NULL, &pb, tb, 0), HS_OK);
    assert_int_equal(hs_finger_prepare(NULL, &pc, tc, 0), HS_OK);
    assert_int_equal(hs_finger_prepare(NULL, &pb2, tb2, 0), HS_OK);
    assert_int_equal(hs_finger_prepared_position(pa), HS_FINGER_RIGHT_INDEX);
    hs_finger_matcher *mt = new_matcher();
    const hs_finger_prepared *probe[2] = {pa, pc};
    const hs_finger_prepared *cand[2] = {pc, pb};
    const hs_finger_prepared *cand_wrong[1] = {pb2};
    float smax, smean, stop2, sw;
    assert_int_equal(hs_finger_match_multi(mt, &smax, probe, 2, cand, 2, HS_FUSION_MAX), HS_OK);
    assert_int_equal(hs_finger_match_multi(mt, &smean, probe, 2, cand, 2, HS_FUSION_MEAN), HS_OK);
    assert_int_equal(hs_finger_match_multi(mt, &stop2, probe, 2, cand, 2, HS_FUSION_SUM_TOP2),
                     HS_OK);
    float direct = score_of(mt, pa, pb);
    assert_true(smax >= direct - 1e-6f);
    assert_true(smean <= smax && stop2 <= smax);
    /* position mismatch: no comparison, score 0 */
    assert_int_equal(hs_finger_match_multi(mt, &sw, probe, 1, cand_wrong, 1, HS_FUSION_MAX),
                     HS_OK);
    assert_true(sw == 0.0f);
    assert_int_equal(hs_finger_match_multi(mt, &sw, probe, 2, cand, 2, 77), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_match_multi(mt, &sw, probe, 0, cand, 2, HS_FUSION_MAX),
                     HS_ERR_INVALID_ARG);
    hs_finger_matcher_free(mt);
    hs_finger_prepared_free(pa);
    hs_finger_prepared_free(pb);
    hs_finger_prepared_free(pc);
    hs_finger_prepared_free(pb2);
    hs_template_free(ta);
    hs_template_free(tb);
    hs_template_free(tc);
    hs_template_free(tb2);
}

static void test_codec(void **state)
{
    (void)state;
    rng_state = 21;
    hs_minutia a[60], b[60];
    int na = make_set(a, 45, 600, 600, 150);
    int nb = transform(a, na, b, 0.4f, 600, 600, 5, 5, 2.0f, 4);
    hs_finger_prepared *pa = prep(a, na, 500), *pb = prep(b, nb, 500);
    size_t size = 0;
    assert_int_equal(hs_finger_prepared_encode(NULL, NULL, &size, pa), HS_OK);
    assert_true(size > 16 && size < 64 * 60);
    uint8_t *buf = malloc(size);
    size_t small = size - 1;
    assert_int_equal(hs_finger_prepared_encode(NULL, buf, &small, pa), HS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(small, size);
    assert_int_equal(hs_finger_prepared_encode(NULL, buf, &size, pa), HS_OK);
    hs_finger_prepared *pd = NULL;
    assert_int_equal(hs_finger_prepared_decode(NULL, &pd, buf, size), HS_OK);
    assert_int_equal(hs_finger_prepared_count(pd), hs_finger_prepared_count(pa));
    hs_finger_matcher *mt = new_matcher();
    assert_true(score_of(mt, pd, pb) == score_of(mt, pa, pb));
    /* re-encoding gives the same bytes */
    uint8_t *buf2 = malloc(size);
    size_t size2 = size;
    assert_int_equal(hs_finger_prepared_encode(NULL, buf2, &size2, pd), HS_OK);
    assert_memory_equal(buf, buf2, size);
    hs_finger_prepared_free(pd);

    /* hostile input: every truncation, every single-bit flip */
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    for (size_t n = 0; n < size; n++) {
        pd = (hs_finger_prepared *)1;
        hs_status s = hs_finger_prepared_decode(ctx, &pd, buf, n);
        assert_true(s < 0);
        assert_null(pd);
    }
    for (size_t bit = 0; bit < size * 8; bit += 3) {
        memcpy(buf2, buf, size);
        buf2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        hs_status s = hs_finger_prepared_decode(ctx, &pd, buf2, size);
        assert_true(s < 0);
        assert_null(pd);
    }
    assert_int_equal(hs_finger_prepared_decode(ctx, &pd, "XXXXXXXXXXXXXXXXXXXXX", 20), HS_ERR_FORMAT);
    buf2 = realloc(buf2, size + 1);
    memcpy(buf2, buf, size);
    buf2[size] = 0;
    assert_int_equal(hs_finger_prepared_decode(ctx, &pd, buf2, size + 1), HS_ERR_CORRUPT);
    memcpy(buf2, buf, size);
    buf2[4] = 9; /* future version */
    assert_int_equal(hs_finger_prepared_decode(ctx, &pd, buf2, size), HS_ERR_VERSION);
    assert_int_equal(hs_finger_prepared_decode(ctx, NULL, buf, size), HS_ERR_INVALID_ARG);
    hs_ctx_free(ctx);
    free(buf);
    free(buf2);
    hs_finger_prepared_free(pa);
    hs_finger_prepared_free(pb);
    hs_finger_matcher_free(mt);
}


/* ---- The orientation field (1.1) ----------------------------------------- */

/* A loop-like ridge orientation field of "finger" a (minutiae around (800,
 * 800)), seen through transform(rot, tx, ty) when rot or tx, ty are set:
 * the HS__TBLOCK_FIELD block of a 56 x 56 grid of 16 px cells covering
 * [352, 1248) on both axes, every cell within 400 px of the centre
 * carrying ridges. Returns the block's size. */
#define FG 56
static size_t field_of(uint8_t *blk, float rot, float tx, float ty)
{
    const int x0 = 22, y0 = 22; /* 22 * 16 = 352 */
    const uint16_t h[5] = {16 * 16, FG, FG, x0, y0};
    blk[0] = 1;
    blk[1] = 0;
    for (int k = 0; k < 5; k++) {
        blk[2 + 2 * k] = (uint8_t)(h[k] & 255);
        blk[3 + 2 * k] = (uint8_t)(h[k] >> 8);
    }
    float c = cosf(-rot), s = sinf(-rot);
    for (int j = 0; j < FG; j++)
        for (int i = 0; i < FG; i++) {
            /* the cell's centre, back to a's frame (y up about the centre) */
            float px = ((float)(x0 + i) + 0.5f) * 16.0f - tx - 800.0f;
            float py = -(((float)(y0 + j) + 0.5f) * 16.0f - ty - 800.0f);
            float X = c * px - s * py, Y = s * px + c * py;
            uint8_t v = 0;
            if (X * X + Y * Y < 400.0f * 400.0f) {
                float th = 0.5f * atan2f(Y, X) + 0.3f + rot; /* ridge angle, y up */
                long q = lrintf(th * 64.0f / (float)(TWO_PI / 2.0)) & 63;
                v = (uint8_t)(q | 3 << 6);
            }
            blk[HS__FIELD_HDR + j * FG + i] = v;
        }
    return HS__FIELD_HDR + FG * FG;
}

/* The format version a prepared template encodes with (1: no field, 2). */
static uint8_t encoded_version(const hs_finger_prepared *p)
{
    static uint8_t buf[HS__PREPARED_BYTES(255) + 12 + HS__FIELD_MAX_DIM * HS__FIELD_MAX_DIM];
    size_t n = sizeof buf;
    assert_int_equal(hs_finger_prepared_encode(NULL, buf, &n, p), HS_OK);
    return buf[4];
}

static hs_finger_prepared *prep_field(const hs_minutia *m, int n, const uint8_t *blk, size_t len)
{
    hs_template *t = tpl(m, n, 500, 0);
    assert_int_equal(hs__template_block_set(NULL, t, 0, HS__TBLOCK_FIELD, blk, len), HS_OK);
    hs_finger_prepared *p = NULL;
    assert_int_equal(hs_finger_prepare(NULL, &p, t, 0), HS_OK);
    hs_template_free(t);
    return p;
}

/* The field's samples are stored in the spread order: a permutation of
 * the row order (every 4th cell of every 4th row, staggered) in which the
 * first 16 reach from the first rows to the last ones. */
static void test_field_sample_order(void **state)
{
    (void)state;
    const hs_allocator *al = hs__default_allocator();
    static uint8_t grid[120 * 90], used[120 * 90];
    rng_state = 99;
    for (int trial = 0; trial < 60; trial++) {
        uint32_t gw = 1 + rnd() % 120;
        uint32_t gh = 1 + rnd() % 90;
        uint32_t holes = rnd() % 4;
        for (uint32_t c = 0; c < gw * gh; c++) {
            uint32_t r = rnd();
            grid[c] = r % 4 < holes ? 0 : (uint8_t)(64 | (r >> 8) % 64);
        }
        /* 16 px cells from (3, 5): centre of cell (i, j) at 16 (3 + i) + 8 */
        hs_finger_prepared *p = hs__prepared_new_field(al, 4, grid, gw, gh, 3, 5, 16 * 64);
        assert_non_null(p);
        uint32_t ns = 0, first_j = 0, last_j = 0;
        for (uint32_t j = 0; j < gh; j += HS__FIELD_STEP)
            for (uint32_t i = (j / HS__FIELD_STEP) % HS__FIELD_STEP; i < gw; i += HS__FIELD_STEP)
                if (grid[j * gw + i]) {
                    if (!ns)
                        first_j = j;
                    last_j = j;
                    ns++;
                }
        assert_int_equal(p->fd->ns, ns);
        /* every stored sample is a sampled ridge cell's centre, each once */
        memset(used, 0, sizeof used);
        uint32_t j16[16];
        for (uint32_t k = 0; k < ns; k++) {
            int32_t i = (p->fd->sx[k] - 8) / 16 - 3, j = (-p->fd->sy[k] - 8) / 16 - 5;
            assert_true(i >= 0 && i < (int32_t)gw && j >= 0 && j < (int32_t)gh);
            assert_int_equal(p->fd->sx[k], 16 * (3 + i) + 8);
            assert_int_equal(-p->fd->sy[k], 16 * (5 + j) + 8);
            assert_int_equal(j % HS__FIELD_STEP, 0);
            assert_int_equal((i - (j / HS__FIELD_STEP) % HS__FIELD_STEP) % HS__FIELD_STEP, 0);
            uint8_t v = grid[j * (int32_t)gw + i];
            assert_true(v != 0);
            assert_int_equal(p->fd->sd[k], (uint8_t)((v & 63u) * 4u));
            assert_int_equal(used[j * (int32_t)gw + i], 0);
            used[j * (int32_t)gw + i] = 1;
            if (k < 16)
                j16[k] = (uint32_t)j;
        }
        if (ns >= 32) {
            /* the first chunk reaches from the first sampled row to the last */
            int has_first = 0, has_last = 0;
            for (uint32_t k = 0; k < 16; k++) {
                has_first |= j16[k] == first_j;
                has_last |= j16[k] + 2 * HS__FIELD_STEP >= last_j;
            }
            assert_true(has_first);
            assert_true(has_last);
        }
        hs_finger_prepared_free(p);
    }
}

/* With both fields the matcher refines one more alignment, so no score is
 * lower than without them, and some pairs whose minutiae mislead the first
 * anchors score higher; every kernel set agrees, both orders agree, and the
 * prepared codec (format version 2) keeps the field. The thorough mode with
 * fields (its orientation-descriptor pass) is never below the default,
 * agrees on every kernel set and in both orders, and is higher on some
 * pairs. A malformed block is refused. */
static void test_orientation_field(void **state)
{
    (void)state;
    hs_finger_matcher *mt[NSETS], *tht[NSETS], *th = new_matcher();
    kernel_matchers(mt);
    kernel_matchers(tht); /* thorough on every kernel set (its orientation pass) */
    assert_int_equal(hs_finger_matcher_set(th, HS_MATCH_THOROUGH, 1), HS_OK);
    for (int k = 0; k < NSETS; k++)
        assert_int_equal(hs_finger_matcher_set(tht[k], HS_MATCH_THOROUGH, 1), HS_OK);
    int th_higher = 0;
    static uint8_t fa[HS__FIELD_HDR + FG * FG], fb[HS__FIELD_HDR + FG * FG];
    rng_state = 4242;
    hs_minutia a[256], b[256];
    int higher = 0;
    for (int trial = 0; trial < 240; trial++) {
        /* (one random draw per statement: the order in which a call's
         * arguments are evaluated differs between compilers and targets) */
        int want = 8 + (int)(rnd() % 40);
        float radius = 120 + (float)(rnd() % 150);
        int na = make_set(a, want, 800, 800, radius);
        float rot = frand(-1.5f, 1.5f);
        float tx = frand(-60, 60);
        float ty = frand(-60, 60);
        float jit = frand(4, 12);
        int drop = 2 + (int)(rnd() % 2);
        /* heavy jitter and many minutiae lost: few reliable pairs */
        int nb = transform(a, na, b, rot, 800, 800, tx, ty, jit, drop);
        /* and spurious minutiae, as in dry or wet areas */
        int extra = make_set(b + nb, (int)(rnd() % 4), 800 + tx, 800 + ty, radius);
        nb += extra;
        if (trial % 4 == 3) { /* unrelated prints with the same flow */
            want = 8 + (int)(rnd() % 40);
            nb = make_set(b, want, 800, 800, 150);
        }
        size_t la = field_of(fa, 0, 0, 0), lb = field_of(fb, rot, tx, ty);
        hs_finger_prepared *pa = prep(a, na, 500), *pb = prep(b, nb, 500);
        hs_finger_prepared *qa = prep_field(a, na, fa, la), *qb = prep_field(b, nb, fb, lb);
        float plain = score_of(mt[0], pa, pb), with = score_of(mt[0], qa, qb);
        for (int k = 1; k < NSETS; k++)
            assert_true(score_of(mt[k], qa, qb) == with);
        assert_true(score_of(mt[0], qb, qa) == with);
        assert_true(with >= plain);
        const float thw = score_of(th, qa, qb);
        assert_true(thw >= with); /* thorough >= default */
        for (int k = 0; k < NSETS; k++)
            assert_true(score_of(tht[k], qa, qb) == thw);
        assert_true(score_of(tht[0], qb, qa) == thw);
        th_higher += thw > with;
        /* one field alone changes nothing */
        assert_true(score_of(mt[0], qa, pb) == plain);
        higher += with > plain;
        if (trial == 0) { /* the codec: version 2, same bytes and scores back */
            size_t size = 0;
            assert_int_equal(hs_finger_prepared_encode(NULL, NULL, &size, qa), HS_OK);
            size_t plain_size = 0;
            assert_int_equal(hs_finger_prepared_encode(NULL, NULL, &plain_size, pa), HS_OK);
            assert_int_equal(size, plain_size + 12 + FG * FG);
            uint8_t *buf = malloc(size), *buf2 = malloc(size);
            assert_non_null(buf);
            assert_non_null(buf2);
            assert_int_equal(hs_finger_prepared_encode(NULL, buf, &size, qa), HS_OK);
            assert_int_equal(buf[4], 2);
            hs_finger_prepared *d = NULL;
            assert_int_equal(hs_finger_prepared_decode(NULL, &d, buf, size), HS_OK);
            assert_true(score_of(mt[0], d, qb) == with);
            size_t size2 = size;
            assert_int_equal(hs_finger_prepared_encode(NULL, buf2, &size2, d), HS_OK);
            assert_memory_equal(buf, buf2, size);
            hs_finger_prepared_free(d);
            /* a field header that lies about the grid: refused even with a
             * good CRC */
            memcpy(buf2, buf, size);
            size_t at = HS__PREPARED_BYTES(hs_finger_prepared_count(qa)) - 4;
            buf2[at] = 0; /* gw 0 */
            buf2[at + 1] = 0;
            uint32_t crc = hs__crc32c(0, buf2, size - 4);
            for (int k = 0; k < NSETS; k++)
                buf2[size - 4 + (size_t)k] = (uint8_t)(crc >> (8 * k));
            d = (hs_finger_prepared *)1;
            assert_int_equal(hs_finger_prepared_decode(NULL, &d, buf2, size), HS_ERR_CORRUPT);
            assert_null(d);
            /* version 1 when there is no field: 1.0's bytes */
            assert_int_equal(encoded_version(pa), 1);
            free(buf);
            free(buf2);
        }
        hs_finger_prepared_free(pa);
        hs_finger_prepared_free(pb);
        hs_finger_prepared_free(qa);
        hs_finger_prepared_free(qb);
    }
    printf("note: the orientation anchor raised %d of 240 scores\n", higher);
    assert_true(higher >= 1);

    /* malformed blocks: refused by hs_finger_prepare */
    int na = make_set(a, 30, 800, 800, 150);
    size_t la = field_of(fa, 0, 0, 0);
    hs_template *t = tpl(a, na, 500, 0);
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const struct {
        size_t at;
        uint8_t v;
    } bad[] = {{0, 2}, {1, 1}, {2, 0}, {3, 0}, {4, 0}, {6, 0}, {5, 9}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memcpy(fb, fa, la);
        fb[bad[k].at] = bad[k].v;
        if (bad[k].at == 2 || bad[k].at == 3) /* cell size 0 */
            fb[2] = fb[3] = 0;
        assert_int_equal(hs__template_block_set(NULL, t, 0, HS__TBLOCK_FIELD, fb, la), HS_OK);
        hs_finger_prepared *p = (hs_finger_prepared *)1;
        assert_int_equal(hs_finger_prepare(ctx, &p, t, 0), HS_ERR_CORRUPT);
        assert_null(p);
    }
    assert_int_equal(hs__template_block_set(NULL, t, 0, HS__TBLOCK_FIELD, fa, la - 1), HS_OK);
    hs_finger_prepared *p = (hs_finger_prepared *)1;
    assert_int_equal(hs_finger_prepare(ctx, &p, t, 0), HS_ERR_CORRUPT);
    assert_null(p);
    /* cells of 4 px (below 8), a ridge cell without a coherence class */
    memcpy(fb, fa, la);
    fb[2] = 64;
    fb[3] = 0;
    assert_int_equal(hs__template_block_set(NULL, t, 0, HS__TBLOCK_FIELD, fb, la), HS_OK);
    assert_int_equal(hs_finger_prepare(ctx, &p, t, 0), HS_ERR_CORRUPT);
    memcpy(fb, fa, la);
    fb[HS__FIELD_HDR + 28 * FG + 28] &= 63;
    assert_int_equal(hs__template_block_set(NULL, t, 0, HS__TBLOCK_FIELD, fb, la), HS_OK);
    assert_int_equal(hs_finger_prepare(ctx, &p, t, 0), HS_ERR_CORRUPT);
    assert_null(p);

    /* the same minutiae with two different fields: both orders agree */
    hs_finger_prepared *q1 = prep_field(a, na, fa, la);
    size_t lb = field_of(fb, 0.3f, 10.0f, -5.0f);
    hs_finger_prepared *q2 = prep_field(a, na, fb, lb);
    assert_true(score_of(mt[0], q1, q2) == score_of(mt[0], q2, q1));
    hs_finger_prepared_free(q1);
    hs_finger_prepared_free(q2);

    /* a view whose x and y resolutions differ: its field is not used */
    hs_template *an = tpl(a, na, 500, 0);
    hs_view_info vi;
    memset(&vi, 0, sizeof vi);
    vi.struct_size = sizeof vi;
    assert_int_equal(hs_template_view_info(an, &vi, 0), HS_OK);
    hs_template *an2 = NULL;
    assert_int_equal(hs_template_new(NULL, &an2), HS_OK);
    vi.ppi_y = 600;
    uint32_t cnt = 0;
    const hs_minutia *mm = hs_template_minutiae(an, &cnt, 0);
    assert_int_equal(hs_template_add_view(NULL, an2, &vi, mm, cnt), HS_OK);
    assert_int_equal(hs__template_block_set(NULL, an2, 0, HS__TBLOCK_FIELD, fa, la), HS_OK);
    assert_int_equal(hs_finger_prepare(ctx, &p, an2, 0), HS_OK);
    assert_int_equal(encoded_version(p), 1);
    hs_finger_prepared_free(p);
    hs_template_free(an);
    hs_template_free(an2);
    hs_ctx_free(ctx);
    hs_template_free(t);
    for (int k = 0; k < NSETS; k++) {
        hs_finger_matcher_free(mt[k]);
        hs_finger_matcher_free(tht[k]);
    }
    hs_finger_matcher_free(th);
    /* the thorough mode's passes (more alignments, orientation descriptors)
     * find better scores on some of these pairs */
    printf("note: thorough above the default with fields on %d of 240 pairs\n", th_higher);
    assert_true(th_higher >= 1);
}
#undef FG

/* Shared data: genuine scores well above impostor scores on every FVC set
 * (ISO templates of a commercial extractor; fingers 1-5, impressions 1-4). */
static void test_shared_iso(void **state)
{
    (void)state;
    static const char *sets[8] = {"FVC2002_DB1_B", "FVC2002_DB2_B", "FVC2002_DB3_B",
                                  "FVC2002_DB4_B", "FVC2004_DB1_B", "FVC2004_DB2_B",
                                  "FVC2004_DB3_B", "FVC2004_DB4_B"};
    char root[512];
    if (!tu_shared("fingerprint/iso19794-2-secugen", root, sizeof root)) {
        skip();
        return;
    }
    hs_finger_matcher *mt = new_matcher();
    for (int s = 0; s < 8; s++) {
        hs_finger_prepared *p[5][4];
        for (int f = 0; f < 5; f++)
            for (int i = 0; i < 4; i++) {
                char path[700];
                snprintf(path, sizeof path, "%s/%s/%d_%d.iso", root, sets[s], 101 + f, i + 1);
                hs_template *t = NULL;
                assert_int_equal(hs_template_load(NULL, &t, NULL, path), HS_OK);
                assert_int_equal(hs_finger_prepare(NULL, &p[f][i], t, 0), HS_OK);
                hs_template_free(t);
            }
        double g = 0, im = 0;
        int ng = 0, ni = 0;
        for (int f = 0; f < 5; f++)
            for (int i = 0; i < 4; i++)
                for (int f2 = f; f2 < 5; f2++)
                    for (int i2 = 0; i2 < 4; i2++) {
                        if (f2 == f && i2 <= i)
                            continue;
                        float sc = score_of(mt, p[f][i], p[f2][i2]);
                        if (f2 == f) {
                            g += sc;
                            ng++;
                        } else {
                            im += sc;
                            ni++;
                        }
                    }
        g /= ng;
        im /= ni;
        printf("%s: genuine mean %.3f, impostor mean %.3f\n", sets[s], g, im);
        assert_true(g > 2.0 * im);
        assert_true(g > im + 0.04);
        for (int f = 0; f < 5; f++)
            for (int i = 0; i < 4; i++)
                hs_finger_prepared_free(p[f][i]);
    }
    hs_finger_matcher_free(mt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_symmetry),
        cmocka_unit_test(test_rotation_translation),
        cmocka_unit_test(test_stretch),
        cmocka_unit_test(test_quality_counts),
        cmocka_unit_test(test_resolution),
        cmocka_unit_test(test_tiny_templates),
        cmocka_unit_test(test_no_nan_random),
        cmocka_unit_test(test_vector_kernels),
        cmocka_unit_test(test_sort_kernels),
        cmocka_unit_test(test_thorough),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_multi),
        cmocka_unit_test(test_codec),
        cmocka_unit_test(test_orientation_field),
        cmocka_unit_test(test_field_sample_order),
        cmocka_unit_test(test_shared_iso),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
