/* bench_face: figures for the face module (printed, never asserted).
 *
 *  1. AT&T all-vs-all (400 images, 1,800 genuine / 78,000 impostor pairs)
 *     with the default models (UltraFace + 68-point landmarks + fr_feature),
 *     YuNet + MobileFaceNet and YuNet + fr_feature: detection rate, EER,
 *     TAR at FAR 1e-2/1e-3/1e-4, the impostor-score thresholds used for
 *     hs_face_threshold_for_fmr(), and the loss of the int8 form.
 *  2. Detection + alignment + embedding of a 640x480 photo (an AT&T face
 *     enlarged x3 on a 640x480 background, as there is no 640x480 face photo
 *     in the shared data): median wall and CPU time, default models and
 *     YuNet + MobileFaceNet in the same run.
 *  3. A 128-d probe against 1,000,000 int8 embeddings, 1 and 2 threads,
 *     next to the time a plain read of the same 128 MB takes.
 *
 *  usage: bench_face [--quick] [--models DIR]
 *    --quick: parts 2 and 3 only
 *    --models DIR: the default set from DIR (else the library's own search:
 *      $HOTSPOT_FACE_MODELS, then the installed models)
 *  YuNet, MobileFaceNet and fr_feature come from ../shared/data/face/models. */
#include "benchutil.h"

#include <hotspot/hotspot.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char models[4096];
static const char *default_dir; /* --models, or NULL: the library's search */

/* Pipelines measured. */
enum { P_DEFAULT, P_YUNET_MFN, P_YUNET_FR };
static const char *const pipeline_name[3] = {
    "default models (UltraFace + 68-point landmarks + fr_feature, 512-d)",
    "YuNet + MobileFaceNet (Caffe, 128-d)", "YuNet + fr_feature (ARCFACE preset, 512-d)"};

/* CPU time of the whole process (OpenCV runs layers on its own threads). */
static double proc_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *model_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", models, name);
    return buf;
}

static hs_face_engine *make_engine(int pipeline)
{
    char det[4200], net[4200], cfg[4200];
    hs_face_engine_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    if (pipeline == P_DEFAULT) {
        o.models_dir = default_dir; /* nothing named: the default set */
    } else if (pipeline == P_YUNET_MFN) {
        o.model_id = HS_FACE_MODEL_MOBILEFACENET;
        o.detector_path = model_path(det, sizeof det, "face_detection_yunet_2022mar.onnx");
        o.model_path = model_path(net, sizeof net, "mobilefacenet.caffemodel");
        o.model_config_path = model_path(cfg, sizeof cfg, "mobilefacenet.prototxt");
    } else {
        o.model_id = HS_FACE_MODEL_ARCFACE;
        o.detector_path = model_path(det, sizeof det, "face_detection_yunet_2022mar.onnx");
        o.model_path = model_path(net, sizeof net, "fr_feature.onnx");
    }
    hs_ctx *ctx;
    hs_ctx_new(&ctx, NULL);
    hs_face_engine *e = NULL;
    hs_status s = hs_face_engine_new(ctx, &e, &o);
    if (s)
        printf("  engine: %s: %s\n", hs_status_str(s), hs_ctx_last_error(ctx));
    hs_ctx_free(ctx);
    return e;
}

/* EER and, at FAR 1e-1 .. 1e-4, the threshold a pair must exceed and the
 * TAR (eval.h, "accept above" thresholds as hs_face_threshold_for_fmr). */
typedef struct face_roc {
    double eer, eer_threshold;
    double thr[4], tar[4];
} face_roc;

static void face_roc_compute(face_roc *r, const double *gen, size_t ng, const double *imp,
                             size_t ni)
{
    static const double fars[4] = {1e-1, 1e-2, 1e-3, 1e-4};
    memset(r, 0, sizeof *r);
    hs_eval_result er = HS_EVAL_RESULT_INIT;
    if (hs_eval_rates(NULL, &er, gen, ng, imp, ni, HS_EVAL_ACCEPT_ABOVE) != HS_OK)
        return;
    r->eer = er.eer;
    r->eer_threshold = er.eer_threshold;
    for (int k = 0; k < 4; k++) {
        hs_eval_point p;
        if (hs_eval_threshold_for_fmr(NULL, &p, gen, ng, imp, ni, fars[k],
                                      HS_EVAL_ACCEPT_ABOVE) == HS_OK) {
            r->thr[k] = p.threshold;
            r->tar[k] = 1.0 - p.fnmr;
        }
    }
}

static void bench_att(int pipeline)
{
    printf("\n== AT&T all-vs-all, %s ==\n", pipeline_name[pipeline]);
    hs_face_engine *e = make_engine(pipeline);
    if (!e)
        return;
    uint32_t dim = hs_face_engine_dim(e);
    float *emb = malloc(400 * (size_t)dim * sizeof *emb);
    int8_t *q = malloc(400 * (size_t)dim);
    int who[400], n = 0, missed = 0;
    double ms[400];
    for (int p = 1; p <= 40; p++)
        for (int k = 1; k <= 10; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/face/att_faces/s%d/%d.pgm", bu_shared_root(), p, k);
            hs_image *img;
            if (hs_image_load(NULL, &img, path, 0)) {
                printf("  cannot load %s\n", path);
                missed++;
                continue;
            }
            uint32_t d;
            float sc;
            double t0 = bu_wall_ms();
            hs_status s = hs_face_embed(NULL, emb + (size_t)n * dim, dim, &d, NULL, e, img, NULL);
            double t1 = bu_wall_ms();
            hs_image_free(img);
            if (s) {
                printf("  %s: %s\n", path, hs_status_str(s));
                missed++;
                continue;
            }
            ms[n] = t1 - t0;
            hs_face_quantize(NULL, q + (size_t)n * dim, &sc, emb + (size_t)n * dim, dim);
            who[n++] = p;
        }
    size_t ng = 0, ni = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            *(who[i] == who[j] ? &ng : &ni) += 1;
    double *gen = malloc(ng * sizeof *gen), *imp = malloc(ni * sizeof *imp);
    double *gq = malloc(ng * sizeof *gq), *iq = malloc(ni * sizeof *iq);
    size_t g = 0, m = 0;
    double max_err = 0, sum_err = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            float s, sq;
            hs_face_similarity(NULL, &s, emb + (size_t)i * dim, emb + (size_t)j * dim, dim);
            hs_face_similarity_q8(NULL, &sq, q + (size_t)i * dim, q + (size_t)j * dim, dim);
            double err = fabs((double)s - sq);
            max_err = err > max_err ? err : max_err;
            sum_err += err;
            if (who[i] == who[j]) {
                gq[g] = sq;
                gen[g++] = s;
            } else {
                iq[m] = sq;
                imp[m++] = s;
            }
        }
    face_roc r, rq;
    face_roc_compute(&r, gen, ng, imp, ni);
    face_roc_compute(&rq, gq, ng, iq, ni);
    printf("  detected and embedded %d / 400 (%d failed), %u-d, median %.1f ms per 92x112 image\n",
           n, missed, dim, bu_median(ms, (size_t)n));
    printf("  pairs: %zu genuine / %zu impostor\n", ng, ni);
    printf("  EER %.3f%% at %.4f\n", 100 * r.eer, r.eer_threshold);
    static const char *const nm[4] = {"1e-1", "1e-2", "1e-3", "1e-4"};
    for (int k = 0; k < 4; k++)
        printf("  FAR %s: TAR %.3f%% threshold %.4f | int8: TAR %.3f%% threshold %.4f\n", nm[k],
               100 * r.tar[k], r.thr[k], 100 * rq.tar[k], rq.thr[k]);
    printf("  int8 vs float cosine: mean |diff| %.5f, max %.5f over %zu pairs\n",
           sum_err / (double)(ng + ni), max_err, ng + ni);
    printf("  fmr_table row: {%.4ff, %.4ff, %.4ff, %.4ff}\n", r.thr[0], r.thr[1], r.thr[2],
           r.thr[3]);
    free(gen);
    free(imp);
    free(gq);
    free(iq);
    free(emb);
    free(q);
    hs_face_engine_free(e);
}

static void bench_photo(int pipeline)
{
    printf("\n== 640x480 photo: detect + align + embed, %s ==\n", pipeline_name[pipeline]);
    hs_face_engine *e = make_engine(pipeline);
    if (!e)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/face/att_faces/s7/1.pgm", bu_shared_root());
    hs_image *face;
    if (hs_image_load(NULL, &face, path, 0)) {
        printf("  cannot load %s\n", path);
        hs_face_engine_free(e);
        return;
    }
    /* Enlarge x3 onto a 640x480 RGB canvas with a gradient background. */
    static uint8_t rgb[640 * 480 * 3];
    const uint8_t *g = hs_image_pixels(face);
    uint32_t fw = hs_image_width(face), fh = hs_image_height(face), st = hs_image_stride(face);
    for (int y = 0; y < 480; y++)
        for (int x = 0; x < 640; x++) {
            uint8_t *p = rgb + ((size_t)y * 640 + x) * 3;
            int fx = (x - 180) / 3, fy = (y - 72) / 3;
            if (x >= 180 && fx < (int)fw && y >= 72 && fy < (int)fh) {
                p[0] = p[1] = p[2] = g[(size_t)fy * st + fx];
            } else {
                p[0] = (uint8_t)(x * 255 / 640);
                p[1] = (uint8_t)(y * 255 / 480);
                p[2] = 128;
            }
        }
    hs_image_free(face);
    hs_image *img;
    hs_image_from_rgb(NULL, &img, rgb, 640, 480, 640 * 3, 0);
    float v[HS_FACE_MAX_DIM];
    uint32_t d;
    hs_face f;
    double wall[3][30], cpu[3][30];
    hs_status s = HS_OK;
    /* 0: whole pipeline, 1: detection alone (with quality), 2: align+embed */
    for (int part = 0; part < 3 && !s; part++)
        for (int i = 0; i < 32 && !s; i++) {
            uint32_t nf;
            double w0 = bu_wall_ms(), c0 = proc_cpu_ms();
            if (part == 0)
                s = hs_face_embed(NULL, v, HS_FACE_MAX_DIM, &d, &f, e, img, NULL);
            else if (part == 1)
                s = hs_face_detect(NULL, &f, 1, &nf, e, img);
            else
                s = hs_face_embed(NULL, v, HS_FACE_MAX_DIM, &d, NULL, e, img, &f);
            if (i >= 2) { /* the first runs warm OpenCV up */
                wall[part][i - 2] = bu_wall_ms() - w0;
                cpu[part][i - 2] = proc_cpu_ms() - c0;
            }
        }
    static const char *const what[3] = {"detect+align+embed", "detect (+quality)",
                                         "align+embed"};
    if (s)
        printf("  failed: %s\n", hs_status_str(s));
    else
        for (int part = 0; part < 3; part++)
            printf("  %-20s median over 30 runs: %6.1f ms wall, %6.1f ms CPU (all threads)\n",
                   what[part], bu_median(wall[part], 30), bu_median(cpu[part], 30));
    hs_image_free(img);
    hs_face_engine_free(e);
}

static void bench_gallery(void)
{
    enum { N = 1000000, D = 128 };
    printf("\n== 1:N search, 128-d probe vs %d int8 embeddings ==\n", N);
    hs_face_gallery *g;
    if (hs_face_gallery_new(NULL, &g, D))
        return;
    uint32_t r = 1;
    float v[D];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < D; k++) {
            r = r * 1664525u + 1013904223u;
            v[k] = (float)(r >> 8) / 16777216.0f - 0.5f;
        }
        if (hs_face_gallery_add(NULL, g, (uint64_t)i, v, D)) {
            printf("  gallery_add failed\n");
            hs_face_gallery_free(g);
            return;
        }
    }
    hs_face_hit hits[10];
    uint32_t n;
    for (uint32_t threads = 1; threads <= 2; threads++) {
        hs_face_search_options o = {sizeof o, threads, -1.0f, 0};
        double t[11];
        for (int i = 0; i < 11; i++) {
            double t0 = bu_wall_ms();
            hs_face_gallery_search(NULL, hits, 10, &n, g, v, D, &o);
            t[i] = bu_wall_ms() - t0;
        }
        printf("  %u thread%s: median %.1f ms (best %.1f), top hit score %.3f\n", threads,
               threads > 1 ? "s" : "", bu_median(t, 11), t[0], hits[0].score);
    }
    hs_face_gallery_free(g);
    /* Memory bandwidth reference: sum 128 MB of bytes. */
    size_t bytes = (size_t)N * D;
    uint64_t *buf = malloc(bytes);
    if (!buf)
        return;
    memset(buf, 1, bytes);
    double t[5];
    volatile uint64_t sink = 0;
    for (int i = 0; i < 5; i++) {
        double t0 = bu_wall_ms();
        uint64_t s = 0;
        for (size_t k = 0; k < bytes / 8; k += 4)
            s += buf[k] ^ buf[k + 1] ^ buf[k + 2] ^ buf[k + 3];
        sink += s;
        t[i] = bu_wall_ms() - t0;
    }
    (void)sink;
    double m = bu_median(t, 5);
    printf("  reading the same 128 MB once (1 thread): %.1f ms = %.1f GB/s\n", m,
           (double)bytes / m / 1e6);
    free(buf);
}

int main(int argc, char **argv)
{
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--models") && i + 1 < argc) {
            default_dir = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_face [--quick] [--models DIR]\n");
            return 2;
        }
    }
    snprintf(models, sizeof models, "%s/face/models", bu_shared_root());
    const char *env = getenv("HOTSPOT_FACE_MODELS");
    printf("bench_face: YuNet, MobileFaceNet in %s; default set from %s\n", models,
           default_dir ? default_dir
           : env && *env ? env
                         : "the installed models (HOTSPOT_FACE_MODELS not set)");
    /* Is the engine built? A Haar-only engine loads without any model file. */
    hs_face_engine_options ho;
    memset(&ho, 0, sizeof ho);
    ho.struct_size = sizeof ho;
    ho.cascade_path = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
    hs_face_engine *probe = NULL;
    hs_status s = hs_face_engine_new(NULL, &probe, &ho);
    hs_face_engine_free(probe);
    bool engine = s != HS_ERR_NOT_BUILT;
    if (!engine)
        printf("(face engine not built: HOTSPOT_WITH_OPENCV=OFF; gallery figures only)\n");
    if (engine && !quick) {
        bench_att(P_DEFAULT);
        bench_att(P_YUNET_MFN);
        bench_att(P_YUNET_FR);
    }
    if (engine) {
        bench_photo(P_DEFAULT);
        bench_photo(P_YUNET_MFN);
    }
    bench_gallery();
    return 0;
}
