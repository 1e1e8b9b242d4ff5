/* The face engine's C side. This first version only carries the parameter
 * table; detection and embedding through OpenCV follow in cv_wrap.cpp. */
#include "internal/core.h"
#include "hotspot/face.h"

struct param_desc {
    double def, min, max;
};

static const struct param_desc param_table[] = {
    {0, 0, 0},         /* unused 0 */
    {0.6, 0, 1},       /* SCORE_THRESHOLD */
    {0.3, 0, 1},       /* NMS_THRESHOLD */
    {640, 160, 4096},  /* MAX_SIDE */
    {200, 0, 1024},    /* UPSCALE_BELOW */
    {112, 32, 512},    /* INPUT_SIZE */
    {1.0 / 128, 1e-6, 1e3}, /* INPUT_SCALE */
    {127.5, 0, 255},   /* INPUT_MEAN */
    {1, 0, 1},         /* INPUT_RGB */
    {0, 0, 4096},      /* MIN_FACE */
};
#define PARAM_KEYS ((int)(sizeof param_table / sizeof param_table[0]))

hs_status hs_face_param_bounds(int key, double *min_value, double *max_value)
{
    if (key <= 0 || key >= PARAM_KEYS)
        return HS_ERR_INVALID_ARG;
    if (min_value)
        *min_value = param_table[key].min;
    if (max_value)
        *max_value = param_table[key].max;
    return HS_OK;
}

hs_status hs_face_engine_new(hs_ctx *ctx, hs_face_engine **out, const hs_face_engine_options *opt)
{
    (void)opt;
    if (out)
        *out = NULL;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "face engine not built");
}

void hs_face_engine_free(hs_face_engine *e) { (void)e; }
uint32_t hs_face_engine_dim(const hs_face_engine *e) { (void)e; return 0; }
uint32_t hs_face_engine_model_id(const hs_face_engine *e) { (void)e; return 0; }
uint32_t hs_face_engine_has_landmarks(const hs_face_engine *e) { (void)e; return 0; }

hs_status hs_face_engine_set_param(hs_face_engine *e, int key, double value)
{
    (void)e; (void)key; (void)value;
    return HS_ERR_NOT_BUILT;
}

double hs_face_engine_get_param(const hs_face_engine *e, int key)
{
    (void)e; (void)key;
    return 0;
}

hs_status hs_face_detect(hs_ctx *ctx, hs_face_engine *e, const hs_image *img, hs_face *faces,
                         uint32_t cap, uint32_t *count)
{
    (void)e; (void)img; (void)faces; (void)cap;
    if (count)
        *count = 0;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "face engine not built");
}

hs_status hs_face_align(hs_ctx *ctx, hs_face_engine *e, const hs_image *img,
                        const hs_face *face, uint8_t *rgb, size_t rgb_size)
{
    (void)e; (void)img; (void)face; (void)rgb; (void)rgb_size;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "face engine not built");
}

hs_status hs_face_embed(hs_ctx *ctx, hs_face_engine *e, const hs_image *img,
                        const hs_face *face, float *out, uint32_t cap, uint32_t *dim,
                        hs_face *used)
{
    (void)e; (void)img; (void)face; (void)out; (void)cap; (void)used;
    if (dim)
        *dim = 0;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "face engine not built");
}
