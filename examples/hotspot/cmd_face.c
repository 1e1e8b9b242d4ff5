/* hotspot face detect|embed|compare|eval
 *
 * Models come from --detector/--landmarks/--model/--config/--cascade. With
 * none of them the library loads its default set from --models DIR, else
 * $HOTSPOT_FACE_MODELS, else the installed models (hs_face_engine_options).
 * A model named without a detector gets the Haar cascade. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DIM HS_FACE_MAX_DIM

typedef struct face_opts {
    const char *detector, *landmarks, *model, *config, *cascade, *models_dir, *out;
    int preset; /* -1: from the model file name */
    int json;
    uint32_t kind;
    char cfg_buf[4096];
} face_opts;

static bool is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int preset_from_name(const char *model)
{
    if (!model)
        return HS_FACE_MODEL_CUSTOM;
    if (strstr(model, "sface"))
        return HS_FACE_MODEL_SFACE;
    if (strstr(model, "mobilefacenet"))
        return HS_FACE_MODEL_MOBILEFACENET;
    /* fr_feature named with YuNet was calibrated as ARCFACE; the default
     * set (no model named) gets FR_FEATURE from the library */
    if (strstr(model, "fr_feature") || strstr(model, "arcface"))
        return HS_FACE_MODEL_ARCFACE;
    return HS_FACE_MODEL_CUSTOM;
}

/* The prototxt beside a .caffemodel, and the preset from the file name. */
static void resolve_models(face_opts *o)
{
    if (o->model && !o->config) {
        size_t n = strlen(o->model);
        if (n > 11 && !strcmp(o->model + n - 11, ".caffemodel") && n < sizeof o->cfg_buf) {
            snprintf(o->cfg_buf, sizeof o->cfg_buf, "%.*s.prototxt", (int)(n - 11), o->model);
            o->config = o->cfg_buf;
        }
    }
    if (o->preset < 0)
        o->preset = preset_from_name(o->model);
}

static hs_status make_engine(hs_ctx *ctx, face_opts *o, bool need_net, hs_face_engine **e)
{
    resolve_models(o);
    hs_face_engine_options eo;
    memset(&eo, 0, sizeof eo);
    eo.struct_size = sizeof eo;
    eo.model_id = (uint32_t)o->preset;
    eo.detector_path = o->detector;
    eo.landmark_path = o->landmarks;
    eo.cascade_path = o->cascade;
    eo.model_path = o->model;
    eo.model_config_path = o->config;
    eo.models_dir = o->models_dir;
    bool named = o->detector || o->landmarks || o->cascade || o->model;
    if (need_net && named && !o->model) {
        fprintf(stderr, "hotspot face: no embedding model: give --model too, or no model "
                        "option at all for the default models (see docs/face.md)\n");
        return HS_ERR_MODEL;
    }
    hs_status s = hs_face_engine_new(ctx, e, &eo);
    if (s)
        cli_error(ctx, s, "face engine");
    return s;
}

/* ---- detect ---------------------------------------------------------- */

static int face_detect(hs_ctx *ctx, face_opts *o, int nfiles, char **files)
{
    hs_face_engine *e;
    if (make_engine(ctx, o, false, &e))
        return CLI_ERR;
    int failed = 0;
    if (o->json)
        printf("[");
    for (int i = 0; i < nfiles; i++) {
        hs_image *img;
        hs_status s = hs_image_load(ctx, &img, files[i], HS_IMAGE_KEEP_COLOR);
        hs_face faces[64];
        uint32_t n = 0;
        if (!s)
            s = hs_face_detect(ctx, faces, 64, &n, e, img);
        if (s && s != HS_ERR_NO_FACE) {
            cli_error(ctx, s, files[i]);
            failed++;
            hs_image_free(img);
            continue;
        }
        uint32_t shown = n < 64 ? n : 64;
        if (o->json) {
            printf("%s\n {\"path\": ", i ? "," : "");
            cli_json_str(stdout, files[i]);
            printf(", \"faces\": [");
            for (uint32_t k = 0; k < shown; k++) {
                const hs_face *f = &faces[k];
                printf("%s{\"box\": [%.1f, %.1f, %.1f, %.1f], \"landmarks\": [", k ? ", " : "",
                       f->x, f->y, f->width, f->height);
                for (int j = 0; j < 10; j++)
                    printf("%s%.1f", j ? ", " : "", f->landmarks[j]);
                printf("], \"score\": %.3f, \"quality\": %.0f, \"quality_size\": %.0f, "
                       "\"quality_sharpness\": %.0f, \"quality_pose\": %.0f, "
                       "\"landmarks_estimated\": %s}",
                       f->score, f->quality, f->quality_size, f->quality_sharpness,
                       f->quality_pose,
                       (f->flags & HS_FACE_LANDMARKS_ESTIMATED) ? "true" : "false");
            }
            printf("]}");
        } else {
            printf("%s: %u face%s%s\n", files[i], n, n == 1 ? "" : "s",
                   hs_face_engine_has_landmarks(e) ? "" : " (Haar cascade: landmarks estimated)");
            for (uint32_t k = 0; k < shown; k++) {
                const hs_face *f = &faces[k];
                printf("  #%u box %.0f,%.0f %.0fx%.0f score %.2f quality %.0f "
                       "(size %.0f sharpness %.0f pose %.0f)\n",
                       k, f->x, f->y, f->width, f->height, f->score, f->quality,
                       f->quality_size, f->quality_sharpness, f->quality_pose);
                printf("     eyes %.1f,%.1f %.1f,%.1f nose %.1f,%.1f mouth %.1f,%.1f %.1f,%.1f\n",
                       f->landmarks[0], f->landmarks[1], f->landmarks[2], f->landmarks[3],
                       f->landmarks[4], f->landmarks[5], f->landmarks[6], f->landmarks[7],
                       f->landmarks[8], f->landmarks[9]);
            }
        }
        if (n == 0)
            failed++;
        hs_image_free(img);
    }
    if (o->json)
        printf("\n]\n");
    hs_face_engine_free(e);
    return failed ? CLI_ERR : CLI_OK;
}

/* ---- embeddings from files ------------------------------------------- */

/* Read an embedding: an HSFE record, a raw little-endian float32 file
 * (*.f32, from another SDK), or an image to embed with the engine (made on
 * first need). */
static hs_status load_embedding(hs_ctx *ctx, face_opts *o, hs_face_engine **e, const char *path,
                                float *v, uint32_t *dim, uint32_t *model)
{
    size_t size = 0;
    void *file = NULL;
    hs_status rs = hs_file_read(ctx, &file, &size, path);
    if (rs)
        return cli_fail(rs, "%s: %s", path, cli_detail(ctx));
    const uint8_t *data = file;
    hs_status s;
    size_t n = strlen(path);
    if (size >= 4 && !memcmp(data, "HSFE", 4)) {
        s = hs_face_embedding_decode(ctx, v, MAX_DIM, dim, model, data, size);
    } else if (n > 4 && !strcmp(path + n - 4, ".f32")) {
        if (size % 4 || size / 4 > MAX_DIM) {
            s = cli_fail(HS_ERR_INVALID_ARG, "%s: %zu bytes is not a float32 vector", path,
                         size);
        } else {
            for (size_t i = 0; i < size / 4; i++) {
                uint32_t u = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
                             (uint32_t)data[4 * i + 2] << 16 | (uint32_t)data[4 * i + 3] << 24;
                memcpy(&v[i], &u, 4);
            }
            *dim = (uint32_t)(size / 4);
            *model = HS_FACE_MODEL_CUSTOM;
            s = hs_face_embedding_normalize(ctx, v, *dim);
        }
    } else {
        hs_image *img = NULL;
        s = hs_image_decode(ctx, &img, data, size, HS_IMAGE_KEEP_COLOR);
        if (!s && !*e && make_engine(ctx, o, true, e))
            s = HS_ERR_MODEL;
        if (!s)
            s = hs_face_embed(ctx, v, MAX_DIM, dim, NULL, *e, img, NULL);
        if (!s)
            *model = hs_face_engine_model_id(*e);
        hs_image_free(img);
    }
    hs_file_free(ctx, file, size);
    return s;
}

static int face_embed(hs_ctx *ctx, face_opts *o, int nfiles, char **files)
{
    if (nfiles != 1)
        return cli_usage("face embed", "give exactly one image");
    if (!o->out)
        return cli_usage("face embed", "--out FILE is required");
    hs_face_engine *e = NULL;
    static float v[MAX_DIM];
    uint32_t dim = 0, model = 0;
    hs_status s = load_embedding(ctx, o, &e, files[0], v, &dim, &model);
    if (s) {
        if (s != HS_ERR_MODEL || e)
            cli_error(ctx, s, files[0]);
        hs_face_engine_free(e);
        return CLI_ERR;
    }
    hs_face_engine_free(e);
    size_t size = 0;
    hs_face_embedding_encode(ctx, NULL, &size, v, dim, model, o->kind);
    uint8_t *buf = malloc(size);
    s = buf ? hs_face_embedding_encode(ctx, buf, &size, v, dim, model, o->kind) : HS_ERR_NOMEM;
    int rc = CLI_OK;
    if (s) {
        cli_error(ctx, s, "encode");
        rc = CLI_ERR;
    } else if ((s = hs_file_save(ctx, o->out, buf, size, HS_FILE_PRIVATE)) != HS_OK) {
        /* an embedding is biometric data: the file is the owner's only */
        cli_error(ctx, s, o->out);
        rc = CLI_ERR;
    } else {
        printf("%s: %u-d embedding (%s, %zu bytes) -> %s\n", files[0], dim,
               o->kind == HS_FACE_ENC_Q8 ? "int8" : "float32", size, o->out);
    }
    free(buf);
    return rc;
}

static int face_compare(hs_ctx *ctx, face_opts *o, int nfiles, char **files)
{
    if (nfiles != 2)
        return cli_usage("face compare", "give two images or embedding files");
    hs_face_engine *e = NULL;
    static float a[MAX_DIM], b[MAX_DIM];
    uint32_t da = 0, db = 0, ma = 0, mb = 0;
    /* every failure names the file it comes from */
    const char *which = files[0];
    hs_status s = load_embedding(ctx, o, &e, files[0], a, &da, &ma);
    if (!s) {
        which = files[1];
        s = load_embedding(ctx, o, &e, files[1], b, &db, &mb);
    }
    if (!s && da != db) {
        which = files[1];
        s = cli_fail(HS_ERR_INVALID_ARG, "%u values, but %s has %u", db, files[0], da);
    }
    float score = 0;
    if (!s)
        s = hs_face_similarity(ctx, &score, a, b, da);
    hs_face_engine_free(e);
    if (s) {
        if (s != HS_ERR_MODEL || e)
            cli_error(ctx, s, which);
        return CLI_ERR;
    }
    uint32_t model = ma ? ma : mb;
    float t = 0;
    bool have_t = hs_face_threshold_for_fmr(&t, model, 1e-3) == HS_OK;
    if (o->json) {
        printf("{\"score\": %.4f, \"dim\": %u", score, da);
        if (have_t)
            printf(", \"threshold_fmr_1e-3\": %.4f, \"match\": %s", t, score > t ? "true" : "false");
        printf("}\n");
    } else {
        printf("cosine %.4f (%u-d)", score, da);
        if (have_t)
            printf(": %s at FMR 1e-3 (threshold %.4f)", score > t ? "MATCH" : "no match", t);
        printf("\n");
    }
    return CLI_OK;
}

/* ---- eval ------------------------------------------------------------ */

/* Verification figures: EER and, at FAR 1e-1 .. 1e-4, the threshold (a
 * pair is accepted when its score is above it, as with
 * hs_face_threshold_for_fmr) and the TAR; far_valid[k] is 0 when the
 * impostor pairs are too few to measure FAR k. */
typedef struct face_roc {
    double eer, eer_threshold;
    double thr[4], tar[4];
    int far_valid[4];
} face_roc;

static hs_status face_roc_compute(face_roc *r, const double *gen, size_t ng, const double *imp,
                                  size_t ni)
{
    static const double fars[4] = {1e-1, 1e-2, 1e-3, 1e-4};
    hs_eval_result er = HS_EVAL_RESULT_INIT;
    hs_status s = hs_eval_rates(NULL, &er, gen, ng, imp, ni, HS_EVAL_ACCEPT_ABOVE);
    r->eer = er.eer;
    r->eer_threshold = er.eer_threshold;
    for (int k = 0; k < 4 && s == HS_OK; k++) {
        hs_eval_point p;
        s = hs_eval_threshold_for_fmr(NULL, &p, gen, ng, imp, ni, fars[k], HS_EVAL_ACCEPT_ABOVE);
        if (s != HS_OK)
            break;
        r->far_valid[k] = fars[k] * (double)ni >= 1.0;
        r->thr[k] = p.threshold;
        r->tar[k] = 1.0 - p.fnmr;
    }
    return s;
}

static int face_eval(hs_ctx *ctx, face_opts *o, int nfiles, char **files)
{
    if (nfiles != 1 || !is_dir(files[0]))
        return cli_usage("face eval", "give one directory with one sub-directory per identity");
    hs_face_engine *e;
    if (make_engine(ctx, o, true, &e))
        return CLI_ERR;
    uint32_t dim = hs_face_engine_dim(e);
    size_t nid = 0, cap = 256, n = 0, fte = 0;
    char **ids = cli_list_dir(files[0], &nid);
    float *emb = malloc(cap * dim * sizeof *emb);
    int8_t *q = malloc(cap * dim);
    size_t *who = malloc(cap * sizeof *who);
    double t0 = cli_now_ms();
    for (size_t i = 0; i < nid && emb && q && who; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", files[0], ids[i]);
        if (!is_dir(path))
            continue;
        size_t nf;
        char **fs = cli_list_dir(path, &nf);
        for (size_t k = 0; k < nf; k++) {
            char fp[8192];
            snprintf(fp, sizeof fp, "%s/%s", path, fs[k]);
            if (n == cap) {
                cap *= 2;
                float *ne = realloc(emb, cap * dim * sizeof *emb);
                emb = ne ? ne : emb;
                int8_t *nq = realloc(q, cap * dim);
                q = nq ? nq : q;
                size_t *nw = realloc(who, cap * sizeof *who);
                who = nw ? nw : who;
                if (!ne || !nq || !nw)
                    break;
            }
            hs_image *img;
            hs_status s = hs_image_load(ctx, &img, fp, HS_IMAGE_KEEP_COLOR);
            if (s) /* not an image: skip silently (README files and such) */
                continue;
            uint32_t d;
            float sc;
            s = hs_face_embed(ctx, emb + n * dim, dim, &d, NULL, e, img, NULL);
            hs_image_free(img);
            if (s) {
                fprintf(stderr, "hotspot face eval: %s: %s\n", fp, hs_status_str(s));
                fte++;
                continue;
            }
            hs_face_quantize(NULL, q + n * dim, &sc, emb + n * dim, dim);
            who[n++] = i;
        }
        cli_free_list(fs, nf);
    }
    double t_embed = cli_now_ms() - t0;
    size_t ng = 0, ni = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            *(who[i] == who[j] ? &ng : &ni) += 1;
    double *gen = malloc((ng + 1) * sizeof *gen), *imp = malloc((ni + 1) * sizeof *imp);
    double *gq = malloc((ng + 1) * sizeof *gq), *iq = malloc((ni + 1) * sizeof *iq);
    int rc = CLI_OK;
    if (!gen || !imp || !gq || !iq || !emb || !q || !who) {
        fprintf(stderr, "hotspot face eval: out of memory\n");
        rc = CLI_ERR;
    } else {
        size_t g = 0, m = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                float s, sq;
                hs_face_similarity(NULL, &s, emb + i * dim, emb + j * dim, dim);
                hs_face_similarity_q8(NULL, &sq, q + i * dim, q + j * dim, dim);
                if (who[i] == who[j]) {
                    gq[g] = sq;
                    gen[g++] = s;
                } else {
                    iq[m] = sq;
                    imp[m++] = s;
                }
            }
        face_roc r, rq;
        if (face_roc_compute(&r, gen, ng, imp, ni) != HS_OK ||
            face_roc_compute(&rq, gq, ng, iq, ni) != HS_OK) {
            fprintf(stderr, "hotspot face eval: need genuine and impostor pairs\n");
            rc = CLI_ERR;
        } else if (o->json) {
            printf("{\"images\": %zu, \"failed\": %zu, \"genuine\": %zu, \"impostor\": %zu, "
                   "\"dim\": %u, \"eer\": %.5f, \"eer_threshold\": %.4f",
                   n, fte, ng, ni, dim, r.eer, r.eer_threshold);
            static const char *const nm[4] = {"1e-1", "1e-2", "1e-3", "1e-4"};
            for (int k = 0; k < 4; k++)
                if (r.far_valid[k])
                    printf(", \"tar_at_far_%s\": %.5f, \"threshold_far_%s\": %.4f, "
                           "\"tar_at_far_%s_int8\": %.5f",
                           nm[k], r.tar[k], nm[k], r.thr[k], nm[k], rq.tar[k]);
            printf(", \"ms_per_image\": %.1f}\n", n ? t_embed / (double)(n + fte) : 0);
        } else {
            printf("%zu images (%zu failed), %zu genuine / %zu impostor pairs, %u-d, "
                   "%.1f ms per image\n",
                   n, fte, ng, ni, dim, n ? t_embed / (double)(n + fte) : 0);
            printf("EER %.3f%% (threshold %.4f); int8 form: EER %.3f%%\n", 100 * r.eer,
                   r.eer_threshold, 100 * rq.eer);
            static const char *const nm[4] = {"10%", "1%", "0.1%", "0.01%"};
            for (int k = 0; k < 4; k++) {
                if (!r.far_valid[k]) {
                    printf("TAR at FAR %-5s: not measurable with %zu impostor pairs\n", nm[k],
                           ni);
                    continue;
                }
                printf("TAR at FAR %-5s: %.3f%% (threshold %.4f); int8: %.3f%% (threshold "
                       "%.4f)\n",
                       nm[k], 100 * r.tar[k], r.thr[k], 100 * rq.tar[k], rq.thr[k]);
            }
        }
    }
    free(gen);
    free(imp);
    free(gq);
    free(iq);
    free(emb);
    free(q);
    free(who);
    cli_free_list(ids, nid);
    hs_face_engine_free(e);
    return rc;
}

int cmd_face(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("face", "give detect, embed, compare or eval");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs("usage: hotspot face detect [--json] IMAGE...\n"
              "       hotspot face embed [--int8] --out FILE IMAGE\n"
              "       hotspot face compare A B        (images or embedding files)\n"
              "       hotspot face eval DIR           (one sub-directory per identity)\n"
              "models: none given = the default set (fr_detect, fr_landmark, fr_feature .onnx)\n"
              "  from --models DIR, else $HOTSPOT_FACE_MODELS, else the installed models;\n"
              "  or name them: --detector YUNET|ULTRAFACE.onnx [--landmarks LMK68.onnx]\n"
              "  --model NET.onnx|.caffemodel [--config NET.prototxt] [--cascade HAAR.xml]\n"
              "  [--preset sface|mobilefacenet|arcface|fr_feature|custom]\n",
              stdout);
        return CLI_OK;
    }
    face_opts o;
    memset(&o, 0, sizeof o);
    o.preset = -1;
    o.kind = HS_FACE_ENC_F32;
    char **files = calloc((size_t)argc, sizeof *files);
    int nfiles = 0;
    if (!files)
        return CLI_ERR;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(a, "--json"))
            o.json = 1;
        else if (!strcmp(a, "--detector") && has_val)
            o.detector = argv[++i];
        else if (!strcmp(a, "--model") && has_val)
            o.model = argv[++i];
        else if (!strcmp(a, "--landmarks") && has_val)
            o.landmarks = argv[++i];
        else if (!strcmp(a, "--models") && has_val)
            o.models_dir = argv[++i];
        else if (!strcmp(a, "--config") && has_val)
            o.config = argv[++i];
        else if (!strcmp(a, "--cascade") && has_val)
            o.cascade = argv[++i];
        else if (!strcmp(a, "--out") && has_val)
            o.out = argv[++i];
        else if (!strcmp(a, "--int8"))
            o.kind = HS_FACE_ENC_Q8;
        else if (!strcmp(a, "--preset") && has_val) {
            const char *p = argv[++i];
            o.preset = !strcmp(p, "sface")           ? HS_FACE_MODEL_SFACE
                       : !strcmp(p, "mobilefacenet") ? HS_FACE_MODEL_MOBILEFACENET
                       : !strcmp(p, "arcface")       ? HS_FACE_MODEL_ARCFACE
                       : !strcmp(p, "fr_feature")    ? HS_FACE_MODEL_FR_FEATURE
                       : !strcmp(p, "custom")        ? HS_FACE_MODEL_CUSTOM
                                                     : -2;
            if (o.preset == -2) {
                free(files);
                return cli_usage("face", "unknown preset %s (sface, mobilefacenet, arcface, "
                                         "fr_feature, custom)", p);
            }
        } else if (a[0] == '-' && a[1]) {
            free(files);
            return cli_usage("face", "unknown option %s", a);
        } else
            files[nfiles++] = argv[i];
    }
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        free(files);
        return CLI_ERR;
    }
    int rc;
    if (!strcmp(sub, "detect"))
        rc = nfiles ? face_detect(ctx, &o, nfiles, files)
                    : cli_usage("face detect", "no image given");
    else if (!strcmp(sub, "embed"))
        rc = face_embed(ctx, &o, nfiles, files);
    else if (!strcmp(sub, "compare"))
        rc = face_compare(ctx, &o, nfiles, files);
    else if (!strcmp(sub, "eval"))
        rc = face_eval(ctx, &o, nfiles, files);
    else
        rc = cli_usage("face", "unknown subcommand %s (detect, embed, compare, eval)", sub);
    hs_ctx_free(ctx);
    free(files);
    return rc;
}
