/* Face: embedding comparison, compact form, encoded records, gallery search
 * and thresholds (always); the OpenCV engine on a few AT&T images when it is
 * built and the models are in ../shared/data/face/models; the default model
 * set and its search order (the set from tools/setup.sh's cache or the
 * installed directory; tests that need it skip, saying why, without it). */
#include "testutil.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state = 12345;
static float frand(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void rand_vec(float *v, uint32_t dim)
{
    for (uint32_t i = 0; i < dim; i++)
        v[i] = frand();
}

static void test_normalize_similarity(void **state)
{
    (void)state;
    float a[128], b[128], c[128];
    rand_vec(a, 128);
    memcpy(b, a, sizeof a);
    assert_int_equal(hs_face_embedding_normalize(NULL, b, 128), HS_OK);
    double n = 0;
    for (int i = 0; i < 128; i++)
        n += (double)b[i] * b[i];
    assert_true(fabs(n - 1) < 1e-5);
    float s;
    assert_int_equal(hs_face_similarity(NULL, &s, a, b, 128), HS_OK);
    assert_true(s > 0.9999f);
    for (int i = 0; i < 128; i++)
        c[i] = -a[i];
    assert_int_equal(hs_face_similarity(NULL, &s, a, c, 128), HS_OK);
    assert_true(s < -0.9999f);
    float x[2] = {1, 0}, y[2] = {0, 3};
    assert_int_equal(hs_face_similarity(NULL, &s, x, y, 2), HS_OK);
    assert_true(fabsf(s) < 1e-6f);

    /* Bad input: NaN, Inf, zero vector, dimension; v unchanged. */
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    c[5] = NAN;
    float keep = c[0];
    assert_int_equal(hs_face_embedding_normalize(ctx, c, 128), HS_ERR_INVALID_ARG);
    assert_true(c[0] == keep);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "NaN"));
    assert_int_equal(hs_face_similarity(ctx, &s, a, c, 128), HS_ERR_INVALID_ARG);
    c[5] = INFINITY;
    assert_int_equal(hs_face_similarity(ctx, &s, c, a, 128), HS_ERR_INVALID_ARG);
    memset(c, 0, sizeof c);
    assert_int_equal(hs_face_embedding_normalize(ctx, c, 128), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_embedding_normalize(ctx, a, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_embedding_normalize(ctx, a, HS_FACE_MAX_DIM + 1), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_similarity(ctx, NULL, a, b, 128), HS_ERR_INVALID_ARG);
    hs_ctx_free(ctx);
}

static void test_quantize(void **state)
{
    (void)state;
    float a[128], b[128], r[128];
    int8_t qa[128], qb[128];
    float sa, sb, s, sq;
    rand_vec(a, 128);
    rand_vec(b, 128);
    for (int i = 0; i < 128; i++)
        b[i] = 0.7f * a[i] + 0.3f * b[i];
    hs_face_embedding_normalize(NULL, a, 128);
    hs_face_embedding_normalize(NULL, b, 128);
    assert_int_equal(hs_face_quantize(NULL, qa, &sa, a, 128), HS_OK);
    assert_int_equal(hs_face_quantize(NULL, qb, &sb, b, 128), HS_OK);
    assert_int_equal(hs_face_dequantize(NULL, r, qa, sa, 128), HS_OK);
    assert_int_equal(hs_face_similarity(NULL, &s, a, r, 128), HS_OK);
    assert_true(s > 0.999f);
    assert_int_equal(hs_face_similarity(NULL, &s, a, b, 128), HS_OK);
    assert_int_equal(hs_face_similarity_q8(NULL, &sq, qa, qb, 128), HS_OK);
    assert_true(fabsf(s - sq) < 0.005f);
    /* scan over a padded matrix agrees with the pairwise form */
    int8_t m[3 * 160];
    float scales[3] = {sb, sa, sb}, scores[3];
    memset(m, 0, sizeof m);
    memcpy(m, qb, 128);
    memcpy(m + 160, qa, 128);
    memcpy(m + 320, qb, 128);
    assert_int_equal(hs_face_scan_q8(NULL, scores, qa, sa, m, scales, 3, 128, 160), HS_OK);
    assert_true(fabsf(scores[0] - s) < 0.01f);
    assert_true(fabsf(scores[1] - 1) < 0.01f);
    assert_true(scores[0] == scores[2]);
    /* odd dimension takes the scalar tail */
    assert_int_equal(hs_face_scan_q8(NULL, scores, qa, sa, m, scales, 3, 37, 160), HS_OK);
    assert_int_equal(hs_face_scan_q8(NULL, scores, qa, sa, m, scales, 3, 128, 100),
                     HS_ERR_INVALID_ARG);
    memset(qa, 0, sizeof qa);
    assert_int_equal(hs_face_similarity_q8(NULL, &s, qa, qb, 128), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_dequantize(NULL, r, qb, NAN, 128), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_dequantize(NULL, r, qa, 1.0f, 128), HS_ERR_INVALID_ARG);
}

static void test_encode_decode(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    float a[128], out[128];
    rand_vec(a, 128);
    for (uint32_t kind = HS_FACE_ENC_F32; kind <= HS_FACE_ENC_Q8; kind++) {
        size_t size = 0;
        assert_int_equal(hs_face_embedding_encode(ctx, NULL, &size, a, 128, 2, kind), HS_OK);
        assert_int_equal(size, kind == HS_FACE_ENC_F32 ? 12 + 512 + 4 : 16 + 128 + 4);
        uint8_t buf[600];
        size_t small = 10;
        assert_int_equal(hs_face_embedding_encode(ctx, buf, &small, a, 128, 2, kind),
                         HS_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(small, size);
        assert_int_equal(hs_face_embedding_encode(ctx, buf, &size, a, 128, 2, kind), HS_OK);
        uint32_t dim = 0, model = 0;
        assert_int_equal(hs_face_embedding_decode(ctx, NULL, 0, &dim, &model, buf, size), HS_OK);
        assert_int_equal(dim, 128);
        assert_int_equal(model, 2);
        assert_int_equal(hs_face_embedding_decode(ctx, out, 64, &dim, NULL, buf, size),
                         HS_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(hs_face_embedding_decode(ctx, out, 128, &dim, NULL, buf, size), HS_OK);
        float s;
        assert_int_equal(hs_face_similarity(ctx, &s, a, out, 128), HS_OK);
        assert_true(s > (kind == HS_FACE_ENC_F32 ? 0.99999f : 0.999f));
        /* damage: every truncation, a flipped bit, bad magic, version */
        for (size_t n = 0; n < size; n++)
            assert_true(hs_face_embedding_decode(ctx, out, 128, &dim, NULL, buf, n) < 0);
        buf[20] ^= 1;
        assert_int_equal(hs_face_embedding_decode(ctx, out, 128, &dim, NULL, buf, size),
                         HS_ERR_CHECKSUM);
        buf[20] ^= 1;
        buf[4] = 9;
        assert_int_equal(hs_face_embedding_decode(ctx, out, 128, &dim, NULL, buf, size),
                         HS_ERR_VERSION);
        buf[0] = 'X';
        assert_int_equal(hs_face_embedding_decode(ctx, out, 128, &dim, NULL, buf, size),
                         HS_ERR_FORMAT);
    }
    size_t size = 0;
    a[3] = NAN;
    assert_int_equal(hs_face_embedding_encode(ctx, NULL, &size, a, 128, 2, HS_FACE_ENC_F32),
                     HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_embedding_encode(ctx, NULL, &size, out, 128, 2, 7),
                     HS_ERR_INVALID_ARG);
    hs_ctx_free(ctx);
}

static void test_gallery(void **state)
{
    (void)state;
    enum { N = 500, D = 128 };
    static float vecs[N][D];
    hs_face_gallery *g;
    assert_int_equal(hs_face_gallery_new(NULL, &g, D), HS_OK);
    for (int i = 0; i < N; i++) {
        rand_vec(vecs[i], D);
        assert_int_equal(hs_face_gallery_add(NULL, g, (uint64_t)(i / 2), vecs[i], D), HS_OK);
    }
    assert_int_equal(hs_face_gallery_count(g), N);
    assert_int_equal(hs_face_gallery_dim(g), D);
    hs_face_hit hits[10];
    uint32_t n;
    assert_int_equal(hs_face_gallery_search(NULL, hits, 10, &n, g, vecs[123], D, NULL), HS_OK);
    assert_int_equal(n, 10);
    assert_int_equal(hits[0].index, 123);
    assert_int_equal(hits[0].label, 61);
    assert_true(hits[0].score > 0.99f);
    for (int i = 1; i < 10; i++)
        assert_true(hits[i].score <= hits[i - 1].score);
    /* a probe close to rows 122 and 123 (both label 61): one_per_label keeps one */
    float p[D];
    for (int i = 0; i < D; i++)
        p[i] = vecs[122][i] + vecs[123][i];
    hs_face_search_options opt = {sizeof opt, 1, -1.0f, 0};
    assert_int_equal(hs_face_gallery_search(NULL, hits, 10, &n, g, p, D, &opt), HS_OK);
    assert_int_equal(hits[0].label, 61);
    assert_int_equal(hits[1].label, 61);
    opt.one_per_label = 1;
    assert_int_equal(hs_face_gallery_search(NULL, hits, 10, &n, g, p, D, &opt), HS_OK);
    assert_int_equal(hits[0].label, 61);
    assert_int_not_equal(hits[1].label, 61);
    opt.min_score = 0.5f;
    assert_int_equal(hs_face_gallery_search(NULL, hits, 10, &n, g, p, D, &opt), HS_OK);
    assert_int_equal(n, 1);
    /* remove */
    uint32_t removed;
    assert_int_equal(hs_face_gallery_remove(g, &removed, 61), HS_OK);
    assert_int_equal(removed, 2);
    assert_int_equal(hs_face_gallery_count(g), N - 2);
    assert_int_equal(hs_face_gallery_remove(g, &removed, 61), HS_ERR_NOT_FOUND);
    assert_int_equal(hs_face_gallery_search(NULL, hits, 10, &n, g, vecs[123], D, NULL), HS_OK);
    assert_int_not_equal(hits[0].label, 61);
    /* bad input */
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_face_gallery_add(ctx, g, 1, vecs[0], 64), HS_ERR_INVALID_ARG);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "dimension"));
    p[7] = NAN;
    assert_int_equal(hs_face_gallery_add(ctx, g, 1, p, D), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_gallery_search(ctx, hits, 10, &n, g, p, D, NULL), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_gallery_search(ctx, hits, 10, &n, g, vecs[0], 64, NULL),
                     HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_gallery_search(ctx, hits, 0, &n, g, vecs[0], D, NULL),
                     HS_ERR_INVALID_ARG);
    opt.threads = 1000;
    assert_int_equal(hs_face_gallery_search(ctx, hits, 10, &n, g, vecs[0], D, &opt),
                     HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_gallery_count(g), N - 2);
    hs_ctx_free(ctx);
    hs_face_gallery_free(g);
    hs_face_gallery_free(NULL);
    assert_int_equal(hs_face_gallery_new(NULL, &g, 0), HS_ERR_INVALID_ARG);
    assert_null(g);
}

/* Two threads must give exactly the single-thread answer. */
static void test_gallery_threads(void **state)
{
    (void)state;
    enum { N = 140000, D = 16 };
    hs_face_gallery *g;
    assert_int_equal(hs_face_gallery_new(NULL, &g, D), HS_OK);
    float v[D], probe[D];
    rand_vec(probe, D);
    for (int i = 0; i < N; i++) {
        rand_vec(v, D);
        assert_int_equal(hs_face_gallery_add(NULL, g, (uint64_t)i % 5000, v, D), HS_OK);
    }
    hs_face_hit h1[50], h2[50];
    uint32_t n1, n2;
    for (uint32_t one = 0; one < 2; one++) {
        hs_face_search_options o1 = {sizeof o1, 1, -1.0f, one}, o2 = {sizeof o2, 2, -1.0f, one};
        assert_int_equal(hs_face_gallery_search(NULL, h1, 50, &n1, g, probe, D, &o1), HS_OK);
        assert_int_equal(hs_face_gallery_search(NULL, h2, 50, &n2, g, probe, D, &o2), HS_OK);
        assert_int_equal(n1, 50);
        assert_int_equal(n2, 50);
        for (int i = 0; i < 50; i++) {
            assert_int_equal(h1[i].index, h2[i].index);
            assert_true(h1[i].score == h2[i].score);
            if (one)
                for (int k = 0; k < i; k++)
                    assert_int_not_equal(h1[i].label, h1[k].label);
        }
    }
    hs_face_gallery_free(g);
}

static void test_thresholds(void **state)
{
    (void)state;
    float t2, t3, t4, tm;
    assert_int_equal(hs_face_threshold_for_fmr(&t2, HS_FACE_MODEL_MOBILEFACENET, 1e-2), HS_OK);
    assert_int_equal(hs_face_threshold_for_fmr(&t3, HS_FACE_MODEL_MOBILEFACENET, 1e-3), HS_OK);
    assert_int_equal(hs_face_threshold_for_fmr(&t4, HS_FACE_MODEL_MOBILEFACENET, 1e-4), HS_OK);
    assert_int_equal(hs_face_threshold_for_fmr(&tm, HS_FACE_MODEL_MOBILEFACENET, 3e-3), HS_OK);
    assert_true(t2 < t3 && t3 < t4);
    assert_true(t2 < tm && tm < t3);
    assert_true(t2 > 0 && t4 < 1);
    assert_int_equal(hs_face_threshold_for_fmr(&t2, HS_FACE_MODEL_ARCFACE, 1e-3), HS_OK);
    assert_int_equal(hs_face_threshold_for_fmr(&t3, HS_FACE_MODEL_FR_FEATURE, 1e-3), HS_OK);
    assert_int_equal(hs_face_threshold_for_fmr(&t4, HS_FACE_MODEL_FR_FEATURE, 1e-4), HS_OK);
    assert_true(t3 > 0.3f && t3 < t4);
    assert_int_equal(hs_face_threshold_for_fmr(&t2, 5, 1e-3), HS_ERR_UNSUPPORTED);
    assert_int_equal(hs_face_threshold_for_fmr(&t2, HS_FACE_MODEL_SFACE, 1e-3), HS_ERR_UNSUPPORTED);
    assert_int_equal(hs_face_threshold_for_fmr(&t2, HS_FACE_MODEL_CUSTOM, 1e-3), HS_ERR_UNSUPPORTED);
    assert_int_equal(hs_face_threshold_for_fmr(&t2, HS_FACE_MODEL_MOBILEFACENET, 1e-6),
                     HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_threshold_for_fmr(&t2, HS_FACE_MODEL_MOBILEFACENET, NAN),
                     HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_threshold_for_fmr(NULL, HS_FACE_MODEL_MOBILEFACENET, 1e-3),
                     HS_ERR_INVALID_ARG);
    double lo, hi;
    assert_int_equal(hs_face_param_bounds(&lo, &hi, HS_FACE_PARAM_MAX_SIDE), HS_OK);
    assert_true(lo <= 640 && hi >= 640);
    assert_int_equal(hs_face_param_bounds(&lo, &hi, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_param_bounds(&lo, &hi, 99), HS_ERR_INVALID_ARG);
}


#ifdef HOTSPOT_HAVE_OPENCV
/* ---- engine (OpenCV + shared models) --------------------------------- */

static char models_dir[4096];

static bool have_models(void)
{
    if (!tu_shared("face/models/mobilefacenet.caffemodel", models_dir, sizeof models_dir))
        return false;
    return tu_shared("face/models", models_dir, sizeof models_dir) != NULL;
}

static hs_face_engine *make_engine(hs_ctx *ctx, bool yunet)
{
    char det[4200], net[4200], cfg[4200];
    snprintf(det, sizeof det, "%s/face_detection_yunet_2022mar.onnx", models_dir);
    snprintf(net, sizeof net, "%s/mobilefacenet.caffemodel", models_dir);
    snprintf(cfg, sizeof cfg, "%s/mobilefacenet.prototxt", models_dir);
    hs_face_engine_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.model_id = HS_FACE_MODEL_MOBILEFACENET;
    o.detector_path = yunet ? det : NULL;
    o.model_path = net;
    o.model_config_path = cfg;
    hs_face_engine *e = NULL;
    hs_status s = hs_face_engine_new(ctx, &e, &o);
    if (s)
        printf("engine: %s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    return e;
}

static hs_image *att(int person, int shot)
{
    char rel[64], path[4096];
    snprintf(rel, sizeof rel, "face/att_faces/s%d/%d.pgm", person, shot);
    assert_non_null(tu_shared(rel, path, sizeof path));
    hs_image *img = NULL;
    assert_int_equal(hs_image_load(NULL, &img, path, HS_IMAGE_KEEP_COLOR), HS_OK);
    return img;
}

static void test_engine_att(void **state)
{
    (void)state;
    if (!have_models() || !tu_shared("face/att_faces", models_dir + 2048, 2048)) {
        skip();
        return;
    }
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_face_engine *e = make_engine(ctx, true);
    assert_int_equal(hs_face_engine_dim(e), 128);
    assert_int_equal(hs_face_engine_has_landmarks(e), 1);
    static const int who[4][2] = {{1, 1}, {1, 5}, {2, 1}, {3, 2}};
    float v[4][128];
    for (int i = 0; i < 4; i++) {
        hs_image *img = att(who[i][0], who[i][1]);
        hs_face f[4];
        uint32_t n = 0, d = 0;
        assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_OK);
        assert_int_equal(n, 1);
        assert_true(f[0].width > 30 && f[0].width < 92);
        /* the image's left eye is left of its right eye, both above the mouth */
        assert_true(f[0].landmarks[0] < f[0].landmarks[2]);
        assert_true(f[0].landmarks[1] < f[0].landmarks[7]);
        assert_true(f[0].quality > 0 && f[0].quality <= 100);
        assert_int_equal(f[0].flags, 0);
        assert_int_equal(hs_face_embed(ctx, v[i], 128, &d, NULL, e, img, NULL), HS_OK);
        assert_int_equal(d, 128);
        hs_image_free(img);
    }
    float same, diff1, diff2, t;
    hs_face_similarity(NULL, &same, v[0], v[1], 128);
    hs_face_similarity(NULL, &diff1, v[0], v[2], 128);
    hs_face_similarity(NULL, &diff2, v[0], v[3], 128);
    printf("same person %.3f, different %.3f %.3f\n", same, diff1, diff2);
    assert_true(same > diff1 && same > diff2);
    assert_int_equal(hs_face_threshold_for_fmr(&t, HS_FACE_MODEL_MOBILEFACENET, 1e-3), HS_OK);
    assert_true(same > t && diff1 < t && diff2 < t);

    /* the aligned crop */
    hs_image *img = att(1, 1);
    hs_face f;
    uint32_t n, d;
    static uint8_t crop[112 * 112 * 3];
    assert_int_equal(hs_face_detect(ctx, &f, 1, &n, e, img), HS_OK);
    assert_int_equal(hs_face_align(ctx, crop, sizeof crop, e, img, &f), HS_OK);
    assert_int_equal(hs_face_align(ctx, crop, 100, e, img, &f), HS_ERR_BUFFER_TOO_SMALL);
    /* the net's input size is fixed once it is loaded */
    assert_int_equal(hs_face_engine_set_param(e, HS_FACE_PARAM_INPUT_SIZE, 64),
                     HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_engine_set_param(e, HS_FACE_PARAM_INPUT_SIZE, 112), HS_OK);
    float small[16];
    assert_int_equal(hs_face_embed(ctx, small, 16, &d, NULL, e, img, NULL),
                     HS_ERR_BUFFER_TOO_SMALL);
    hs_image_free(img);

    /* the same models from memory buffers give the same embedding */
    {
        char det[4200], net[4200], cfg[4200];
        snprintf(det, sizeof det, "%s/face_detection_yunet_2022mar.onnx", models_dir);
        snprintf(net, sizeof net, "%s/mobilefacenet.caffemodel", models_dir);
        snprintf(cfg, sizeof cfg, "%s/mobilefacenet.prototxt", models_dir);
        size_t nd, nn, nc;
        uint8_t *bd = tu_read(det, &nd), *bn = tu_read(net, &nn), *bc = tu_read(cfg, &nc);
        assert_non_null(bd);
        assert_non_null(bn);
        assert_non_null(bc);
        hs_face_engine_options o;
        memset(&o, 0, sizeof o);
        o.struct_size = sizeof o;
        o.model_id = HS_FACE_MODEL_MOBILEFACENET;
        o.detector_data = bd;
        o.detector_size = nd;
        o.model_data = bn;
        o.model_size = nn;
        o.model_config_data = bc;
        o.model_config_size = nc;
        hs_face_engine *m = NULL;
        hs_status ms = hs_face_engine_new(ctx, &m, &o);
        if (ms)
            printf("from memory: %s\n", hs_ctx_last_error(ctx));
        assert_int_equal(ms, HS_OK);
        free(bd);
        free(bn);
        free(bc);
        assert_int_equal(hs_face_engine_has_landmarks(m), 1);
        float w[128], sm;
        img = att(1, 1);
        assert_int_equal(hs_face_embed(ctx, w, 128, &d, NULL, m, img, NULL), HS_OK);
        assert_int_equal(hs_face_similarity(NULL, &sm, w, v[0], 128), HS_OK);
        assert_true(sm > 0.9999f);
        hs_image_free(img);
        hs_face_engine_free(m);
    }

    /* Haar fallback: landmarks estimated and flagged */
    hs_face_engine *h = make_engine(ctx, false);
    assert_int_equal(hs_face_engine_has_landmarks(h), 0);
    img = att(2, 1);
    assert_int_equal(hs_face_detect(ctx, &f, 1, &n, h, img), HS_OK);
    assert_true(f.flags & HS_FACE_LANDMARKS_ESTIMATED);
    hs_image_free(img);
    hs_face_engine_free(h);
    hs_face_engine_free(e);
    hs_ctx_free(ctx);
}

/* no face, tiny image, several faces */
static void test_engine_bad_images(void **state)
{
    (void)state;
    if (!have_models() || !tu_shared("face/att_faces", models_dir + 2048, 2048)) {
        skip();
        return;
    }
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_face_engine *e = make_engine(ctx, true);
    hs_image *img;
    hs_face f[4];
    uint32_t n = 9, d;
    float v[128];
    assert_int_equal(hs_image_new(NULL, &img, 300, 200, 0, 128), HS_OK);
    assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_ERR_NO_FACE);
    assert_int_equal(n, 0);
    assert_int_equal(hs_face_embed(ctx, v, 128, &d, NULL, e, img, NULL), HS_ERR_NO_FACE);
    hs_image_free(img);
    assert_int_equal(hs_image_new(NULL, &img, 8, 8, 0, 128), HS_OK);
    assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_ERR_LIMIT);
    hs_image_free(img);
    /* tiny and thin images: no face, not an OpenCV failure */
    static const uint32_t sizes[4][2] = {{16, 16}, {17, 40}, {2000, 16}, {16, 3000}};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(hs_image_new(NULL, &img, sizes[i][0], sizes[i][1], 0, 77), HS_OK);
        assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_ERR_NO_FACE);
        hs_image_free(img);
    }
    /* two AT&T faces side by side, the second enlarged x2: it comes first */
    hs_image *a = att(4, 1), *b = att(5, 1);
    static uint8_t canvas[400 * 260];
    memset(canvas, 200, sizeof canvas);
    const uint8_t *pa = hs_image_pixels(a), *pb = hs_image_pixels(b);
    for (int y = 0; y < 112; y++)
        memcpy(canvas + (size_t)(y + 70) * 400 + 10, pa + (size_t)y * hs_image_stride(a), 92);
    for (int y = 0; y < 224; y++)
        for (int x = 0; x < 184; x++)
            canvas[(size_t)(y + 18) * 400 + 200 + x] = pb[(size_t)(y / 2) * hs_image_stride(b) + x / 2];
    assert_int_equal(hs_image_wrap(NULL, &img, canvas, 400, 260, 400, 0), HS_OK);
    assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_OK);
    assert_int_equal(n, 2);
    assert_true(f[0].x > 200 && f[1].x < 110);
    assert_true(f[0].width > f[1].width);
    /* cap smaller than the count: count still says 2 */
    assert_int_equal(hs_face_detect(ctx, f, 1, &n, e, img), HS_OK);
    assert_int_equal(n, 2);
    hs_image_free(img);
    /* a large photo (3000x2000, face enlarged x8 at 1500,400): detected after
     * the downscale, box reported in original pixels */
    uint8_t *big = malloc((size_t)3000 * 2000);
    assert_non_null(big);
    memset(big, 90, (size_t)3000 * 2000);
    for (int y = 0; y < 112 * 8; y++)
        for (int x = 0; x < 92 * 8; x++)
            big[(size_t)(y + 400) * 3000 + 1500 + x] = pa[(size_t)(y / 8) * hs_image_stride(a) + x / 8];
    assert_int_equal(hs_image_wrap(NULL, &img, big, 3000, 2000, 3000, 0), HS_OK);
    assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_OK);
    assert_int_equal(n, 1);
    assert_true(f[0].x > 1400 && f[0].x < 1700);
    assert_true(f[0].y > 400 && f[0].y < 800 && f[0].width > 400);
    assert_int_equal(hs_face_embed(ctx, v, 128, &d, NULL, e, img, NULL), HS_OK);
    hs_image_free(img);
    free(big);
    hs_image_free(a);
    hs_image_free(b);
    hs_face_engine_free(e);
    hs_ctx_free(ctx);
}

static void test_engine_bad_models(void **state)
{
    (void)state;
    if (!have_models()) {
        skip();
        return;
    }
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char det[4200], bad[4200], cfg[4200];
    snprintf(det, sizeof det, "%s/face_detection_yunet_2022mar.onnx", models_dir);
    snprintf(cfg, sizeof cfg, "%s/mobilefacenet.prototxt", models_dir);
    snprintf(bad, sizeof bad, "%s/corrupt.onnx", tu_tmpdir());
    FILE *fp = fopen(bad, "wb");
    assert_non_null(fp);
    fputs("this is not an ONNX model, just text pretending to be one", fp);
    fclose(fp);
    hs_face_engine_options o;
    hs_face_engine *e = (hs_face_engine *)&o;
    /* corrupt embedding net */
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.detector_path = det;
    o.model_path = bad;
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    assert_null(e);
    printf("corrupt net: %s\n", hs_ctx_last_error(ctx));
    /* corrupt detector */
    o.detector_path = bad;
    o.model_path = NULL;
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    /* missing files */
    o.detector_path = "/nonexistent/yunet.onnx";
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "nonexistent"));
    o.detector_path = NULL;
    o.cascade_path = "/nonexistent/cascade.xml";
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    /* wrong shape: YuNet as an embedding net (its output is not one vector) */
    o.cascade_path = NULL;
    o.model_path = det;
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    printf("wrong shape: %s\n", hs_ctx_last_error(ctx));
    /* Caffe without its prototxt; corrupt buffer */
    snprintf(bad, sizeof bad, "%s/mobilefacenet.caffemodel", models_dir);
    o.model_path = bad;
    o.model_format = HS_FACE_FORMAT_CAFFE;
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    o.model_path = NULL;
    o.model_format = HS_FACE_FORMAT_ONNX;
    o.model_data = "garbage";
    o.model_size = 7;
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    /* a net probed at an input size it was not made for: HS_ERR_MODEL */
    snprintf(bad, sizeof bad, "%s/mobilefacenet.caffemodel", models_dir);
    o.model_path = bad;
    o.model_config_path = cfg;
    o.model_format = HS_FACE_FORMAT_AUTO;
    o.input_size = 64;
    o.model_data = NULL;
    o.model_size = 0;
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    printf("input size 64: %s\n", hs_ctx_last_error(ctx));
    o.input_size = 0;
    o.model_path = NULL;
    o.model_config_path = NULL;
    /* engine without a net: detection only, embed refuses */
    o.model_data = NULL;
    o.model_size = 0;
    o.detector_path = det;
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_OK);
    assert_int_equal(hs_face_engine_dim(e), 0);
    hs_image *img;
    assert_int_equal(hs_image_new(NULL, &img, 64, 64, 0, 0), HS_OK);
    float v[8];
    uint32_t d;
    assert_int_equal(hs_face_embed(ctx, v, 8, &d, NULL, e, img, NULL), HS_ERR_STATE);
    assert_int_equal(hs_face_engine_set_param(e, HS_FACE_PARAM_MAX_SIDE, 10), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_face_engine_set_param(e, HS_FACE_PARAM_MAX_SIDE, 800), HS_OK);
    double pv = 0;
    assert_int_equal(hs_face_engine_get_param(e, &pv, HS_FACE_PARAM_MAX_SIDE), HS_OK);
    assert_true(pv == 800);
    assert_int_equal(hs_face_engine_get_param(e, &pv, (hs_face_param)99), HS_ERR_INVALID_ARG);
    hs_image_free(img);
    hs_face_engine_free(e);
    (void)cfg;
    hs_ctx_free(ctx);
}

/* ---- the default models ---------------------------------------------- */

static char defaults_dir[4096];

static bool has_default_set(const char *dir)
{
    static const char *const names[3] = {HS_FACE_DEFAULT_DETECTOR, HS_FACE_DEFAULT_LANDMARK,
                                         HS_FACE_DEFAULT_EMBEDDER};
    for (int i = 0; i < 3; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        FILE *f = fopen(p, "rb");
        if (!f)
            return false;
        fclose(f);
    }
    return true;
}

/* The default set: where tools/setup.sh cached it (HS_MODEL_CACHE, set by
 * ctest), else where the library was installed; NULL (with the reason
 * printed when say_why) when neither has it. */
static const char *default_models(bool say_why)
{
    const char *cache = getenv("HS_MODEL_CACHE");
    if (cache && *cache && has_default_set(cache)) {
        snprintf(defaults_dir, sizeof defaults_dir, "%s", cache);
        return defaults_dir;
    }
    if (has_default_set(HOTSPOT_MODEL_DIR)) {
        snprintf(defaults_dir, sizeof defaults_dir, "%s", HOTSPOT_MODEL_DIR);
        return defaults_dir;
    }
    if (say_why)
        printf("SKIP: default face models in neither %s nor %s (run tools/setup.sh)\n",
               cache && *cache ? cache : "(HS_MODEL_CACHE unset)", HOTSPOT_MODEL_DIR);
    return NULL;
}

/* Search order without models: a models_dir or HOTSPOT_FACE_MODELS that
 * lacks the set is an error naming the paths tried, never a fall-back. */
static void test_engine_search_order(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_face_engine *e = (hs_face_engine *)&e;
    /* a directory that does not exist */
    assert_int_equal(setenv(HS_FACE_MODELS_ENV, "/nonexistent/hotspot-models", 1), 0);
    assert_int_equal(hs_face_engine_new(ctx, &e, NULL), HS_ERR_MODEL);
    assert_null(e);
    printf("missing dir: %s\n", hs_ctx_last_error(ctx));
    assert_non_null(strstr(hs_ctx_last_error(ctx), "/nonexistent/hotspot-models"));
    assert_non_null(strstr(hs_ctx_last_error(ctx), HS_FACE_MODELS_ENV));
    /* a directory without the models: the first missing file is named */
    assert_int_equal(setenv(HS_FACE_MODELS_ENV, tu_tmpdir(), 1), 0);
    hs_face_engine_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    char want[4200];
    snprintf(want, sizeof want, "%s/%s", tu_tmpdir(), HS_FACE_DEFAULT_DETECTOR);
    printf("empty dir: %s\n", hs_ctx_last_error(ctx));
    assert_non_null(strstr(hs_ctx_last_error(ctx), want));
    /* models_dir comes first: a bad one fails even with a good variable */
    const char *good = default_models(false);
    if (good)
        assert_int_equal(setenv(HS_FACE_MODELS_ENV, good, 1), 0);
    o.models_dir = "/nonexistent/models-dir";
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "/nonexistent/models-dir"));
    assert_non_null(strstr(hs_ctx_last_error(ctx), "models_dir"));
    /* no variable: the installed directory, named when it lacks the set */
    assert_int_equal(unsetenv(HS_FACE_MODELS_ENV), 0);
    hs_status s = hs_face_engine_new(ctx, &e, NULL);
    if (has_default_set(HOTSPOT_MODEL_DIR)) {
        assert_int_equal(s, HS_OK);
        assert_int_equal(hs_face_engine_model_id(e), HS_FACE_MODEL_FR_FEATURE);
    } else {
        assert_int_equal(s, HS_ERR_MODEL);
        printf("not installed: %s\n", hs_ctx_last_error(ctx));
        assert_non_null(strstr(hs_ctx_last_error(ctx), HOTSPOT_MODEL_DIR));
    }
    hs_face_engine_free(e);
    /* a named model turns the search off: the variable is not even read */
    assert_int_equal(setenv(HS_FACE_MODELS_ENV, "/nonexistent/hotspot-models", 1), 0);
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.cascade_path = "/nonexistent/cascade.xml";
    assert_int_equal(hs_face_engine_new(ctx, &e, &o), HS_ERR_MODEL);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "cascade"));
    assert_int_equal(unsetenv(HS_FACE_MODELS_ENV), 0);
    hs_ctx_free(ctx);
}

static void test_engine_defaults(void **state)
{
    (void)state;
    const char *dir = default_models(true);
    if (!dir) {
        skip();
        return;
    }
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    /* no options at all, the set found through HOTSPOT_FACE_MODELS */
    assert_int_equal(setenv(HS_FACE_MODELS_ENV, dir, 1), 0);
    hs_face_engine *e = NULL;
    hs_status s = hs_face_engine_new(ctx, &e, NULL);
    if (s)
        printf("defaults: %s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    assert_int_equal(unsetenv(HS_FACE_MODELS_ENV), 0);
    assert_int_equal(hs_face_engine_dim(e), 512);
    assert_int_equal(hs_face_engine_model_id(e), HS_FACE_MODEL_FR_FEATURE);
    assert_int_equal(hs_face_engine_has_landmarks(e), 1);
    double mean = 0;
    assert_int_equal(hs_face_engine_get_param(e, &mean, HS_FACE_PARAM_INPUT_MEAN), HS_OK);
    assert_true(mean == 127.0);
    /* the same set through models_dir, with a bad variable ignored */
    assert_int_equal(setenv(HS_FACE_MODELS_ENV, "/nonexistent/hotspot-models", 1), 0);
    hs_face_engine_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.models_dir = dir;
    hs_face_engine *m = NULL;
    assert_int_equal(hs_face_engine_new(ctx, &m, &o), HS_OK);
    assert_int_equal(unsetenv(HS_FACE_MODELS_ENV), 0);

    /* no face; several faces ordered by size (a synthetic canvas needs the
     * AT&T images, below) */
    hs_image *img;
    hs_face f[4];
    uint32_t n = 9, d = 0;
    float v[4][512];
    assert_int_equal(hs_image_new(NULL, &img, 320, 240, 0, 128), HS_OK);
    assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_ERR_NO_FACE);
    assert_int_equal(n, 0);
    hs_image_free(img);
    static const uint32_t sizes[3][2] = {{16, 16}, {2000, 16}, {16, 3000}};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(hs_image_new(NULL, &img, sizes[i][0], sizes[i][1], 0, 77), HS_OK);
        assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_ERR_NO_FACE);
        hs_image_free(img);
    }
    if (!tu_shared("face/att_faces", models_dir, sizeof models_dir)) {
        printf("SKIP (part): AT&T faces absent, detection not checked on faces\n");
    } else {
        static const int who[4][2] = {{1, 1}, {1, 5}, {2, 1}, {3, 2}};
        for (int i = 0; i < 4; i++) {
            img = att(who[i][0], who[i][1]);
            assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_OK);
            assert_int_equal(n, 1);
            /* the box stays in the image; eyes left to right, above the mouth */
            assert_true(f[0].x >= 0 && f[0].y >= 0 && f[0].x + f[0].width <= 92.01f &&
                        f[0].y + f[0].height <= 112.01f && f[0].width > 30);
            assert_true(f[0].landmarks[0] < f[0].landmarks[2]);
            assert_true(f[0].landmarks[1] < f[0].landmarks[7]);
            assert_true(f[0].landmarks[3] < f[0].landmarks[9]);
            assert_true(f[0].landmarks[4] > f[0].landmarks[0] &&
                        f[0].landmarks[4] < f[0].landmarks[2]);
            assert_int_equal(f[0].flags, 0);
            assert_true(f[0].score >= 0.7f && f[0].score <= 1);
            assert_int_equal(hs_face_embed(ctx, v[i], 512, &d, NULL, e, img, NULL), HS_OK);
            assert_int_equal(d, 512);
            float w[512], sm;
            assert_int_equal(hs_face_embed(ctx, w, 512, &d, NULL, m, img, &f[0]), HS_OK);
            assert_int_equal(hs_face_similarity(NULL, &sm, w, v[i], 512), HS_OK);
            assert_true(sm > 0.9999f);
            hs_image_free(img);
        }
        float same, diff1, diff2, t;
        hs_face_similarity(NULL, &same, v[0], v[1], 512);
        hs_face_similarity(NULL, &diff1, v[0], v[2], 512);
        hs_face_similarity(NULL, &diff2, v[0], v[3], 512);
        printf("defaults: same person %.3f, different %.3f %.3f\n", same, diff1, diff2);
        assert_int_equal(hs_face_threshold_for_fmr(&t, HS_FACE_MODEL_FR_FEATURE, 1e-3), HS_OK);
        assert_true(same > t && diff1 < t && diff2 < t);

        /* two faces, the second enlarged x2 on a 400x260 canvas: largest first */
        hs_image *a = att(4, 1), *b = att(5, 1);
        static uint8_t canvas[400 * 260];
        memset(canvas, 200, sizeof canvas);
        const uint8_t *pa = hs_image_pixels(a), *pb = hs_image_pixels(b);
        for (int y = 0; y < 112; y++)
            memcpy(canvas + (size_t)(y + 70) * 400 + 10, pa + (size_t)y * hs_image_stride(a), 92);
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 184; x++)
                canvas[(size_t)(y + 18) * 400 + 200 + x] =
                    pb[(size_t)(y / 2) * hs_image_stride(b) + x / 2];
        assert_int_equal(hs_image_wrap(NULL, &img, canvas, 400, 260, 400, 0), HS_OK);
        assert_int_equal(hs_face_detect(ctx, f, 4, &n, e, img), HS_OK);
        assert_int_equal(n, 2);
        assert_true(f[0].x > 200 && f[1].x < 110);
        hs_image_free(img);
        hs_image_free(a);
        hs_image_free(b);

        /* models named explicitly, the detector and landmarks from memory;
         * Haar with the landmark net has real landmarks */
        char det[4200], lmk[4200], net[4200];
        snprintf(det, sizeof det, "%s/%s", dir, HS_FACE_DEFAULT_DETECTOR);
        snprintf(lmk, sizeof lmk, "%s/%s", dir, HS_FACE_DEFAULT_LANDMARK);
        snprintf(net, sizeof net, "%s/%s", dir, HS_FACE_DEFAULT_EMBEDDER);
        size_t nd, nl;
        uint8_t *bd = tu_read(det, &nd), *bl = tu_read(lmk, &nl);
        assert_non_null(bd);
        assert_non_null(bl);
        memset(&o, 0, sizeof o);
        o.struct_size = sizeof o;
        o.model_id = HS_FACE_MODEL_FR_FEATURE;
        o.detector_data = bd;
        o.detector_size = nd;
        o.landmark_data = bl;
        o.landmark_size = nl;
        o.model_path = net;
        hs_face_engine *x = NULL;
        assert_int_equal(hs_face_engine_new(ctx, &x, &o), HS_OK);
        img = att(1, 1);
        float w[512], sm;
        assert_int_equal(hs_face_embed(ctx, w, 512, &d, NULL, x, img, NULL), HS_OK);
        assert_int_equal(hs_face_similarity(NULL, &sm, w, v[0], 512), HS_OK);
        assert_true(sm > 0.9999f);
        hs_face_engine_free(x);
        /* a landmark net that is not one: the detector file, or garbage */
        o.landmark_data = bd;
        o.landmark_size = nd;
        assert_int_equal(hs_face_engine_new(ctx, &x, &o), HS_ERR_MODEL);
        printf("detector as landmark net: %s\n", hs_ctx_last_error(ctx));
        o.landmark_data = "garbage";
        o.landmark_size = 7;
        assert_int_equal(hs_face_engine_new(ctx, &x, &o), HS_ERR_MODEL);
        o.landmark_data = NULL;
        o.landmark_size = 0;
        o.landmark_path = "/nonexistent/lmk.onnx";
        assert_int_equal(hs_face_engine_new(ctx, &x, &o), HS_ERR_MODEL);
        assert_non_null(strstr(hs_ctx_last_error(ctx), "/nonexistent/lmk.onnx"));
        /* Haar boxes + the landmark net */
        memset(&o, 0, sizeof o);
        o.struct_size = sizeof o;
        o.landmark_path = lmk;
        assert_int_equal(hs_face_engine_new(ctx, &x, &o), HS_OK);
        assert_int_equal(hs_face_engine_has_landmarks(x), 1);
        assert_int_equal(hs_face_detect(ctx, f, 4, &n, x, img), HS_OK);
        assert_int_equal(f[0].flags, 0);
        hs_face_engine_free(x);
        /* UltraFace without landmarks: estimated and flagged */
        memset(&o, 0, sizeof o);
        o.struct_size = sizeof o;
        o.detector_path = det;
        assert_int_equal(hs_face_engine_new(ctx, &x, &o), HS_OK);
        assert_int_equal(hs_face_engine_has_landmarks(x), 0);
        assert_int_equal(hs_face_engine_dim(x), 0);
        assert_int_equal(hs_face_detect(ctx, f, 4, &n, x, img), HS_OK);
        assert_true(f[0].flags & HS_FACE_LANDMARKS_ESTIMATED);
        hs_face_engine_free(x);
        hs_image_free(img);
        free(bd);
        free(bl);
    }
    hs_face_engine_free(m);
    hs_face_engine_free(e);
    hs_ctx_free(ctx);
}
#endif

#ifndef HOTSPOT_HAVE_OPENCV
static void test_engine_not_built(void **state)
{
    (void)state;
    hs_face_engine *e = (hs_face_engine *)1;
    hs_face_engine_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    assert_int_equal(hs_face_engine_new(NULL, &e, &o), HS_ERR_NOT_BUILT);
    assert_null(e);
    uint32_t n = 5;
    assert_int_equal(hs_face_detect(NULL, NULL, 0, &n, NULL, NULL), HS_ERR_NOT_BUILT);
    assert_int_equal(n, 0);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_similarity),
        cmocka_unit_test(test_quantize),
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_gallery),
        cmocka_unit_test(test_gallery_threads),
        cmocka_unit_test(test_thresholds),
#ifndef HOTSPOT_HAVE_OPENCV
        cmocka_unit_test(test_engine_not_built),
#else
        cmocka_unit_test(test_engine_att),
        cmocka_unit_test(test_engine_bad_images),
        cmocka_unit_test(test_engine_bad_models),
        cmocka_unit_test(test_engine_search_order),
        cmocka_unit_test(test_engine_defaults),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
