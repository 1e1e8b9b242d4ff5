/* The face engine's C side: options and parameters, image preparation,
 * alignment (our own least-squares similarity transform onto the 5-point
 * template), quality, ordering of faces and the normalisation of embeddings.
 * OpenCV is reached only through lib/internal/face_cv.h; without it every
 * engine function returns HS_ERR_NOT_BUILT and only the parameter table
 * remains. */
#define _GNU_SOURCE /* secure_getenv */
#include "internal/core.h"
#include "hotspot/face.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef HOTSPOT_HAVE_OPENCV
#  include "internal/face_cv.h"
#endif

struct param_desc {
    double def, min, max;
};

static const struct param_desc param_table[] = {
    {0, 0, 0},               /* unused 0 */
    {0.6, 0, 1},             /* SCORE_THRESHOLD */
    {0.3, 0, 1},             /* NMS_THRESHOLD */
    {640, 160, 4096},        /* MAX_SIDE */
    {200, 0, 1024},          /* UPSCALE_BELOW */
    {112, 32, 512},          /* INPUT_SIZE */
    {1.0 / 128, 1e-6, 1e3},  /* INPUT_SCALE */
    {127.5, 0, 255},         /* INPUT_MEAN */
    {1, 0, 1},               /* INPUT_RGB */
    {0, 0, 4096},            /* MIN_FACE */
};
#define PARAM_KEYS ((int)(sizeof param_table / sizeof param_table[0]))

HS__DEFINE_BOUNDS(hs_face_param_bounds, double, hs_face_param, param_table, min, max)

#ifndef HOTSPOT_HAVE_OPENCV

/* ---- built without OpenCV ------------------------------------------- */

static hs_status not_built(hs_ctx *ctx)
{
    return hs__error(ctx, HS_ERR_NOT_BUILT,
                     "face engine not built (library configured with HOTSPOT_WITH_OPENCV=OFF)");
}

hs_status hs_face_engine_new(hs_ctx *ctx, hs_face_engine **out, const hs_face_engine_options *opt)
{
    (void)opt;
    if (out)
        *out = NULL;
    return not_built(ctx);
}

void hs_face_engine_free(hs_face_engine *e) { (void)e; }
uint32_t hs_face_engine_dim(const hs_face_engine *e) { (void)e; return 0; }
uint32_t hs_face_engine_model_id(const hs_face_engine *e) { (void)e; return 0; }
uint32_t hs_face_engine_has_landmarks(const hs_face_engine *e) { (void)e; return 0; }

hs_status hs_face_engine_set_param(hs_face_engine *e, hs_face_param key, double value)
{
    (void)e;
    (void)key;
    (void)value;
    return HS_ERR_NOT_BUILT;
}

hs_status hs_face_engine_get_param(const hs_face_engine *e, double *value, hs_face_param key)
{
    (void)e;
    (void)key;
    if (value)
        *value = 0;
    return HS_ERR_NOT_BUILT;
}

hs_status hs_face_detect(hs_ctx *ctx, hs_face *faces, uint32_t cap, uint32_t *count,
                         hs_face_engine *e, const hs_image *img)
{
    (void)e;
    (void)img;
    (void)faces;
    (void)cap;
    if (count)
        *count = 0;
    return not_built(ctx);
}

hs_status hs_face_align(hs_ctx *ctx, uint8_t *rgb, size_t rgb_size,
                        hs_face_engine *e, const hs_image *img, const hs_face *face)
{
    (void)e;
    (void)img;
    (void)face;
    (void)rgb;
    (void)rgb_size;
    return not_built(ctx);
}

hs_status hs_face_embed(hs_ctx *ctx, float *out, uint32_t cap,
                        uint32_t *dim, hs_face *used, hs_face_engine *e, const hs_image *img,
                        const hs_face *face)
{
    (void)e;
    (void)img;
    (void)face;
    (void)out;
    (void)cap;
    if (dim)
        *dim = 0;
    if (used)
        memset(used, 0, sizeof *used);
    return not_built(ctx);
}

#else /* HOTSPOT_HAVE_OPENCV */

/* Debian's opencv-data puts the cascades here. */
#define DEFAULT_CASCADE "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
#define MAX_FACES 256

/* The installed default models: <prefix>/share/hotspot/models, given by
 * CMake. */
#ifndef HOTSPOT_MODEL_DIR
#  define HOTSPOT_MODEL_DIR "/usr/local/share/hotspot/models"
#endif

/* UltraFace scores sit higher than YuNet's on faces and clutter alike. */
#define ULTRAFACE_SCORE_THRESHOLD 0.7

struct hs_face_engine {
    hs_allocator alloc;
    hs__face_cv *cv;
    uint32_t model_id;
    uint32_t dim;
    uint32_t has_landmarks;
    double params[PARAM_KEYS];
    uint8_t *crop;      /* INPUT_SIZE^2 * 3 scratch */
    size_t crop_cap;
    float rows[MAX_FACES * HS__FACE_ROW];
};

/* The standard 5-point template of ArcFace-style 112x112 crops. */
static const double tmpl112[10] = {38.2946, 51.6963, 73.5318, 51.5014, 56.0252,
                                   71.7366, 41.5493, 92.3655, 70.7299, 92.2041};

static void preset(hs_face_engine *e, uint32_t model_id)
{
    for (int k = 1; k < PARAM_KEYS; k++)
        e->params[k] = param_table[k].def;
    if (model_id == HS_FACE_MODEL_SFACE) {
        /* FaceRecognizerSF::feature(): raw 0-255, RGB (it swaps a BGR crop). */
        e->params[HS_FACE_PARAM_INPUT_SCALE] = 1.0;
        e->params[HS_FACE_PARAM_INPUT_MEAN] = 0.0;
        e->params[HS_FACE_PARAM_INPUT_RGB] = 1;
    } else if (model_id == HS_FACE_MODEL_FR_FEATURE) {
        /* what the model's own JavaScript feeds it */
        e->params[HS_FACE_PARAM_INPUT_MEAN] = 127.0;
    }
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *env_dir(void)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return secure_getenv(HS_FACE_MODELS_ENV);
#else
    return getenv(HS_FACE_MODELS_ENV);
#endif
}

/* Paths of the default model set (detector, landmarks, embedder). */
typedef struct default_paths {
    char det[1024], lmk[1024], net[1024];
} default_paths;

/* Find the default set: models_dir, else $HOTSPOT_FACE_MODELS, else the
 * installed directory; the first one given is the only one tried. */
static hs_status find_defaults(hs_ctx *ctx, const char *models_dir, default_paths *d)
{
    const char *env = env_dir();
    const char *dir, *from;
    if (models_dir && *models_dir) {
        dir = models_dir;
        from = "models_dir";
    } else if (env && *env) {
        dir = env;
        from = HS_FACE_MODELS_ENV;
    } else {
        dir = HOTSPOT_MODEL_DIR;
        from = "installed default, " HS_FACE_MODELS_ENV " not set";
    }
    const char *what = "run tools/setup.sh and install, set " HS_FACE_MODELS_ENV
                       ", or name the models in hs_face_engine_options";
    if (!is_dir(dir))
        return hs__error(ctx, HS_ERR_MODEL, "face models: no directory %s (%s); %s", dir, from,
                         what);
    char *paths[3] = {d->det, d->lmk, d->net};
    static const char *const names[3] = {HS_FACE_DEFAULT_DETECTOR, HS_FACE_DEFAULT_LANDMARK,
                                         HS_FACE_DEFAULT_EMBEDDER};
    for (int i = 0; i < 3; i++) {
        int n = snprintf(paths[i], sizeof d->det, "%s/%s", dir, names[i]);
        if (n < 0 || (size_t)n >= sizeof d->det)
            return hs__error(ctx, HS_ERR_MODEL, "face models: directory path too long (%s)",
                             from);
        if (!is_file(paths[i]))
            return hs__error(ctx, HS_ERR_MODEL, "face models: %s not found (%s); %s", paths[i],
                             from, what);
    }
    return HS_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

hs_status hs_face_engine_new(hs_ctx *ctx, hs_face_engine **out, const hs_face_engine_options *opt)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face_engine_new: NULL out");
    *out = NULL;
    hs_face_engine_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    /* The first 1.0 layout ends with the model config buffer; callers built
     * before the landmark and models_dir fields get them zero. */
    hs_status st = hs__struct_in(ctx, &o, sizeof o, opt,
                                 HS__SIZE_TO(hs_face_engine_options, model_config_size),
                                 "hs_face_engine_options");
    if (st)
        return st;
    if (o.model_id > HS_FACE_MODEL_FR_FEATURE)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face_engine_new: unknown model id %u",
                         o.model_id);
    if (o.model_format > HS_FACE_FORMAT_CAFFE)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face_engine_new: unknown model format %u",
                         o.model_format);
    if ((o.detector_data && !o.detector_size) || (o.model_data && !o.model_size) ||
        (o.model_config_data && !o.model_config_size) ||
        (o.landmark_data && !o.landmark_size))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face_engine_new: buffer with size 0");
    bool named = o.detector_path || o.detector_data || o.cascade_path || o.model_path ||
                 o.model_data || o.landmark_path || o.landmark_data;
    default_paths dp;
    if (!named) {
        hs_status ds = find_defaults(ctx, o.models_dir, &dp);
        if (ds)
            return ds;
        o.detector_path = dp.det;
        o.landmark_path = dp.lmk;
        o.model_path = dp.net;
        o.model_format = HS_FACE_FORMAT_ONNX;
        if (o.model_id == HS_FACE_MODEL_CUSTOM)
            o.model_id = HS_FACE_MODEL_FR_FEATURE;
    }

    hs__face_cv_opts co;
    memset(&co, 0, sizeof co);
    co.det_path = o.detector_path;
    co.det_data = o.detector_data;
    co.det_size = o.detector_size;
    co.cascade_path = o.cascade_path ? o.cascade_path : DEFAULT_CASCADE;
    co.lmk_path = o.landmark_path;
    co.lmk_data = o.landmark_data;
    co.lmk_size = o.landmark_size;
    bool has_net = o.model_path || o.model_data;
    if (has_net) {
        int fmt = (int)o.model_format;
        if (fmt == HS_FACE_FORMAT_AUTO) {
            if (o.model_config_path || o.model_config_data)
                fmt = HS_FACE_FORMAT_CAFFE;
            else if (!o.model_data && o.model_path && ends_with(o.model_path, ".caffemodel"))
                fmt = HS_FACE_FORMAT_CAFFE;
            else
                fmt = HS_FACE_FORMAT_ONNX;
        }
        if (fmt == HS_FACE_FORMAT_CAFFE && !o.model_config_path && !o.model_config_data)
            return hs__error(ctx, HS_ERR_MODEL,
                             "face_engine_new: a Caffe model needs its prototxt (model_config)");
        co.net_format = fmt;
        co.net_path = o.model_path;
        co.net_data = o.model_data;
        co.net_size = o.model_size;
        co.cfg_path = o.model_config_path;
        co.cfg_data = o.model_config_data;
        co.cfg_size = o.model_config_size;
    }
    hs_face_engine *e = HS__OBJECT_ALLOC(ctx, &st, hs_face_engine);
    if (!e)
        return st;
    const hs_allocator *a = &e->alloc;
    e->model_id = o.model_id;
    preset(e, o.model_id);
    if (o.input_size) {
        if (o.input_size < param_table[HS_FACE_PARAM_INPUT_SIZE].min ||
            o.input_size > param_table[HS_FACE_PARAM_INPUT_SIZE].max) {
            hs__free(a, e);
            return hs__error(ctx, HS_ERR_INVALID_ARG, "face_engine_new: input_size %u outside "
                             "32..512", o.input_size);
        }
        e->params[HS_FACE_PARAM_INPUT_SIZE] = o.input_size;
    }
    co.input_size = (int)e->params[HS_FACE_PARAM_INPUT_SIZE];
    char msg[HS__ERRMSG_MAX] = "";
    int s = hs__face_cv_new(&e->cv, &co, &e->dim, msg, sizeof msg);
    if (s != HS_OK) {
        hs__free(a, e);
        return hs__error(ctx, s, "face model: %s", msg[0] ? msg : hs_status_str(s));
    }
    int det_kind = 0, real = 0;
    hs__face_cv_info(e->cv, &det_kind, &real);
    e->has_landmarks = real ? 1 : 0;
    if (det_kind == HS__FACE_DET_ULTRAFACE)
        e->params[HS_FACE_PARAM_SCORE_THRESHOLD] = ULTRAFACE_SCORE_THRESHOLD;
    *out = e;
    return HS_OK;
}

void hs_face_engine_free(hs_face_engine *e)
{
    if (!e)
        return;
    hs__face_cv_free(e->cv);
    hs__free_wiped(&e->alloc, e->crop, e->crop_cap);
    hs__memzero(e->rows, sizeof e->rows);
    HS__OBJECT_FREE(e, hs_face_engine, 0);
}

uint32_t hs_face_engine_dim(const hs_face_engine *e) { return e ? e->dim : 0; }
uint32_t hs_face_engine_model_id(const hs_face_engine *e) { return e ? e->model_id : 0; }
uint32_t hs_face_engine_has_landmarks(const hs_face_engine *e)
{
    return e ? e->has_landmarks : 0;
}

hs_status hs_face_engine_set_param(hs_face_engine *e, hs_face_param key, double value)
{
    if (!e || (int)key <= 0 || (int)key >= PARAM_KEYS)
        return HS_ERR_INVALID_ARG;
    if (!(value >= param_table[key].min && value <= param_table[key].max))
        return HS_ERR_INVALID_ARG;
    /* The net was probed (and its output size learnt) at this input size;
     * another one could make OpenCV fail, and log, on every call. */
    if (key == HS_FACE_PARAM_INPUT_SIZE && e->dim && (int)value != (int)e->params[key])
        return HS_ERR_INVALID_ARG;
    if (key == HS_FACE_PARAM_INPUT_SIZE)
        value = (int)value;
    e->params[key] = value;
    return HS_OK;
}

hs_status hs_face_engine_get_param(const hs_face_engine *e, double *value, hs_face_param key)
{
    if (!e || !value || (int)key <= 0 || (int)key >= PARAM_KEYS)
        return HS_ERR_INVALID_ARG;
    *value = e->params[key];
    return HS_OK;
}

/* ---- image preparation ------------------------------------------------ */

/* An image as interleaved RGB for the detector and the aligner. */
typedef struct face_rgb {
    const uint8_t *px; /* w x h x 3 bytes */
    uint32_t w, h;
    uint8_t *owned;    /* grey replicated here, or NULL: rgb_release frees it */
} face_rgb;

/* Interleaved RGB of img, after checking its size: its own RGB plane, or
 * grey replicated into a buffer allocated here (v->owned set). The caller
 * calls rgb_release whatever this returns. */
static hs_status image_rgb(hs_ctx *ctx, const hs_image *img, face_rgb *v)
{
    uint32_t w = hs_image_width(img), h = hs_image_height(img), st = hs_image_stride(img);
    v->px = NULL;
    v->owned = NULL;
    v->w = w;
    v->h = h;
    if (w < 16 || h < 16)
        return hs__error(ctx, HS_ERR_LIMIT, "face: image %ux%u is under 16 px a side", w, h);
    if (w > 32768 || h > 32768)
        return hs__error(ctx, HS_ERR_LIMIT, "face: image %ux%u over 32768 px a side", w, h);
    v->px = hs_image_rgb(img);
    if (v->px)
        return HS_OK;
    const uint8_t *g = hs_image_pixels(img);
    size_t n;
    if (!g || !hs__mul_ok((size_t)w * h, 3, &n))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face: image without pixels");
    uint8_t *b = hs__malloc(hs__ctx_allocator(ctx), n);
    if (!b)
        return hs__error(ctx, HS_ERR_NOMEM, "face: out of memory for a %ux%u image", w, h);
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *src = g + (size_t)y * st;
        uint8_t *dst = b + (size_t)y * w * 3;
        for (uint32_t x = 0; x < w; x++)
            dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[x];
    }
    v->px = b;
    v->owned = b;
    return HS_OK;
}

static void rgb_release(hs_ctx *ctx, face_rgb *v)
{
    hs__free(hs__ctx_allocator(ctx), v->owned);
    v->owned = NULL;
}

static hs_status ensure_crop(hs_ctx *ctx, hs_face_engine *e, int size)
{
    size_t need = (size_t)size * size * 3;
    if (need <= e->crop_cap)
        return HS_OK;
    uint8_t *c = hs__malloc(&e->alloc, need);
    if (!c)
        return hs__error(ctx, HS_ERR_NOMEM, "face: out of memory for the crop");
    hs__free_wiped(&e->alloc, e->crop, e->crop_cap);
    e->crop = c;
    e->crop_cap = need;
    return HS_OK;
}

/* ---- alignment -------------------------------------------------------- */

/* Least-squares similarity transform (rotation, uniform scale, shift) taking
 * the 5 landmarks onto the template scaled to size: closed form after
 * centring both point sets. m maps image -> crop. */
static bool similarity(const float lm[10], int size, double m[6])
{
    double k = size / 112.0, mx = 0, my = 0, tx = 0, ty = 0;
    for (int i = 0; i < 5; i++) {
        mx += lm[2 * i];
        my += lm[2 * i + 1];
        tx += tmpl112[2 * i] * k;
        ty += tmpl112[2 * i + 1] * k;
    }
    mx /= 5;
    my /= 5;
    tx /= 5;
    ty /= 5;
    double sxx = 0, num_a = 0, num_b = 0;
    for (int i = 0; i < 5; i++) {
        double px = lm[2 * i] - mx, py = lm[2 * i + 1] - my;
        double qx = tmpl112[2 * i] * k - tx, qy = tmpl112[2 * i + 1] * k - ty;
        sxx += px * px + py * py;
        num_a += px * qx + py * qy;
        num_b += px * qy - py * qx;
    }
    if (!(sxx > 1e-9) || !isfinite(sxx))
        return false;
    double a = num_a / sxx, b = num_b / sxx;
    m[0] = a;
    m[1] = -b;
    m[2] = tx - (a * mx - b * my);
    m[3] = b;
    m[4] = a;
    m[5] = ty - (b * mx + a * my);
    return true;
}

static hs_status align_rgb(hs_ctx *ctx, hs_face_engine *e, const uint8_t *rgb, uint32_t w,
                           uint32_t h, const hs_face *f, int size, uint8_t *crop)
{
    double m[6];
    for (int i = 0; i < 10; i++)
        if (!isfinite(f->landmarks[i]))
            return hs__error(ctx, HS_ERR_INVALID_ARG, "face: landmark %d not finite", i);
    if (!similarity(f->landmarks, size, m))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face: degenerate landmarks");
    char msg[HS__ERRMSG_MAX] = "";
    (void)e;
    int s = hs__face_cv_warp(rgb, (int)w, (int)h, m, size, crop, msg, sizeof msg);
    if (s != HS_OK)
        return hs__error(ctx, s, "%s", msg[0] ? msg : "alignment failed");
    return HS_OK;
}

/* ---- quality ------------------------------------------------------- */

static float clamp100(double v) { return (float)(v < 0 ? 0 : v > 100 ? 100 : v); }

/* Variance of the 4-neighbour Laplacian over the central part of the
 * aligned crop (the face, not the border the warp may have filled). */
static double laplacian_var(const uint8_t *crop, int size)
{
    int lo = size / 8, hi = size - size / 8;
    double s = 0, s2 = 0;
    long n = 0;
    for (int y = lo; y < hi; y++)
        for (int x = lo; x < hi; x++) {
#define G(xx, yy) ((double)crop[((size_t)(yy) * size + (xx)) * 3] * 0.299 + \
                   crop[((size_t)(yy) * size + (xx)) * 3 + 1] * 0.587 + \
                   crop[((size_t)(yy) * size + (xx)) * 3 + 2] * 0.114)
            double l = G(x - 1, y) + G(x + 1, y) + G(x, y - 1) + G(x, y + 1) - 4 * G(x, y);
#undef G
            s += l;
            s2 += l * l;
            n++;
        }
    if (!n)
        return 0;
    double mu = s / n;
    return s2 / n - mu * mu;
}

static void quality(hs_face *f, const uint8_t *crop, int size)
{
    const float *p = f->landmarks;
    double ex = p[2] - p[0], ey = p[3] - p[1];
    double d = sqrt(ex * ex + ey * ey);
    f->quality_size = clamp100(100.0 * d / 60.0);
    /* Yaw: the nose tip's offset from the eye midline, in eye distances,
     * projected on the eye axis; roll: the eye axis angle (alignment undoes
     * it, so only large roll costs). */
    double yaw = 0, roll = 0;
    if (d > 1e-6) {
        double mx = (p[0] + p[2]) / 2, my = (p[1] + p[3]) / 2;
        yaw = ((p[4] - mx) * ex + (p[5] - my) * ey) / (d * d);
        roll = atan2(ey, ex) * 180.0 / 3.14159265358979;
    }
    f->quality_pose = clamp100(100.0 * (1 - fabs(yaw) / 0.5) * (1 - fabs(roll) / 90.0));
    double v = crop ? laplacian_var(crop, size) : 0;
    f->quality_sharpness = clamp100(100.0 * v / 150.0);
    float q = f->quality_size;
    if (f->quality_pose < q)
        q = f->quality_pose;
    if (f->quality_sharpness < q)
        q = f->quality_sharpness;
    f->quality = q;
}

static int cmp_faces(const void *a, const void *b)
{
    const hs_face *x = a, *y = b;
    double ax = (double)x->width * x->height, ay = (double)y->width * y->height;
    if (ax != ay)
        return ax > ay ? -1 : 1;
    return x->score > y->score ? -1 : x->score < y->score ? 1 : 0;
}

/* ---- detection ------------------------------------------------------- */

static hs_status detect_rgb(hs_ctx *ctx, hs_face_engine *e, const uint8_t *rgb, uint32_t w,
                            uint32_t h, hs_face *faces, uint32_t cap, uint32_t *count)
{
    hs__face_det_params p;
    p.score_threshold = (float)e->params[HS_FACE_PARAM_SCORE_THRESHOLD];
    p.nms_threshold = (float)e->params[HS_FACE_PARAM_NMS_THRESHOLD];
    p.max_side = (int)e->params[HS_FACE_PARAM_MAX_SIDE];
    p.upscale_below = (int)e->params[HS_FACE_PARAM_UPSCALE_BELOW];
    p.min_face = (int)e->params[HS_FACE_PARAM_MIN_FACE];
    char msg[HS__ERRMSG_MAX] = "";
    int n = 0;
    int s = hs__face_cv_detect(e->cv, rgb, (int)w, (int)h, &p, e->rows, MAX_FACES, &n, msg,
                               sizeof msg);
    if (s != HS_OK)
        return hs__error(ctx, s, "%s", msg[0] ? msg : "detection failed");
    if (n == 0)
        return hs__error(ctx, HS_ERR_NO_FACE, "no face found in the %ux%u image", w, h);
    uint32_t kept = n < MAX_FACES ? (uint32_t)n : MAX_FACES;
    hs_face *all = hs__calloc(&e->alloc, kept, sizeof *all);
    if (!all)
        return hs__error(ctx, HS_ERR_NOMEM, "face: out of memory");
    int size = (int)e->params[HS_FACE_PARAM_INPUT_SIZE];
    hs_status st = ensure_crop(ctx, e, size);
    for (uint32_t i = 0; i < kept && !st; i++) {
        const float *r = e->rows + (size_t)i * HS__FACE_ROW;
        hs_face *f = &all[i];
        f->x = r[0];
        f->y = r[1];
        f->width = r[2];
        f->height = r[3];
        memcpy(f->landmarks, r + 4, sizeof f->landmarks);
        f->score = r[14];
        f->flags = e->has_landmarks ? 0 : HS_FACE_LANDMARKS_ESTIMATED;
        bool ok = align_rgb(NULL, e, rgb, w, h, f, size, e->crop) == HS_OK;
        quality(f, ok ? e->crop : NULL, size);
    }
    if (!st) {
        qsort(all, kept, sizeof *all, cmp_faces);
        if (faces)
            memcpy(faces, all, (cap < kept ? cap : kept) * sizeof *faces);
        *count = (uint32_t)n;
    }
    hs__free_wiped(&e->alloc, all, kept * sizeof *all);
    return st;
}

/* What hs_face_detect (face NULL) or hs_face_align (face given) does with
 * the RGB pixels of an image. */
typedef struct rgb_step {
    hs_face *faces; /* detect: up to cap faces, *count found */
    uint32_t cap;
    uint32_t *count;
    const hs_face *face; /* align: into size x size x 3 bytes at rgb_out */
    int size;
    uint8_t *rgb_out;
} rgb_step;

static hs_status on_image(hs_ctx *ctx, hs_face_engine *e, const hs_image *img,
                          const rgb_step *step)
{
    face_rgb v;
    hs_status s = image_rgb(ctx, img, &v);
    if (!s && step->face)
        s = align_rgb(ctx, e, v.px, v.w, v.h, step->face, step->size, step->rgb_out);
    else if (!s)
        s = detect_rgb(ctx, e, v.px, v.w, v.h, step->faces, step->cap, step->count);
    rgb_release(ctx, &v);
    return s;
}

hs_status hs_face_detect(hs_ctx *ctx, hs_face *faces, uint32_t cap, uint32_t *count,
                         hs_face_engine *e, const hs_image *img)
{
    if (count)
        *count = 0;
    if (!e || !img || !count || (cap && !faces))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face_detect: NULL argument");
    const rgb_step detect = {.faces = faces, .cap = cap, .count = count};
    return on_image(ctx, e, img, &detect);
}

hs_status hs_face_align(hs_ctx *ctx, uint8_t *rgb_out, size_t rgb_size,
                        hs_face_engine *e, const hs_image *img, const hs_face *face)
{
    if (!e || !img || !face || !rgb_out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face_align: NULL argument");
    int size = (int)e->params[HS_FACE_PARAM_INPUT_SIZE];
    size_t need = (size_t)size * size * 3;
    if (rgb_size < need)
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "face_align: needs %zu bytes", need);
    const rgb_step align = {.face = face, .size = size, .rgb_out = rgb_out};
    return on_image(ctx, e, img, &align);
}

hs_status hs_face_embed(hs_ctx *ctx, float *out, uint32_t cap,
                        uint32_t *dim, hs_face *used, hs_face_engine *e, const hs_image *img,
                        const hs_face *face)
{
    if (dim)
        *dim = 0;
    if (!e || !img || !out || !dim)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face_embed: NULL argument");
    if (!e->dim)
        return hs__error(ctx, HS_ERR_STATE, "face_embed: engine has no embedding net");
    if (cap < e->dim)
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "face_embed: dimension %u, room for %u",
                         e->dim, cap);
    face_rgb v;
    hs_status s = image_rgb(ctx, img, &v);
    if (s) {
        rgb_release(ctx, &v);
        return s;
    }
    hs_face f;
    if (face) {
        f = *face;
    } else {
        uint32_t n = 0;
        s = detect_rgb(ctx, e, v.px, v.w, v.h, &f, 1, &n);
    }
    int size = (int)e->params[HS_FACE_PARAM_INPUT_SIZE];
    if (!s)
        s = ensure_crop(ctx, e, size);
    if (!s)
        s = align_rgb(ctx, e, v.px, v.w, v.h, &f, size, e->crop);
    if (!s) {
        char msg[HS__ERRMSG_MAX] = "";
        uint32_t d = 0;
        int cs = hs__face_cv_embed(e->cv, e->crop, size, e->params[HS_FACE_PARAM_INPUT_SCALE],
                                   e->params[HS_FACE_PARAM_INPUT_MEAN],
                                   (int)e->params[HS_FACE_PARAM_INPUT_RGB], out, cap, &d, msg,
                                   sizeof msg);
        if (cs != HS_OK)
            s = hs__error(ctx, cs, "%s", msg[0] ? msg : "embedding failed");
        else if (hs_face_embedding_normalize(NULL, out, d) != HS_OK)
            s = hs__error(ctx, HS_ERR_MODEL, "embedding net gave NaN, Inf or a zero vector");
        else
            *dim = d;
    }
    if (!s && used)
        *used = f;
    rgb_release(ctx, &v);
    return s;
}

#endif /* HOTSPOT_HAVE_OPENCV */
