/*
 * face_compare.c - are two face photos of the same person?
 *
 * Detects the largest face in each image, aligns it, computes an embedding
 * (a unit vector) with the given network, and compares the two embeddings by
 * cosine similarity against a threshold for a false match rate of 1e-3.
 *
 *   face_compare IMAGE_A IMAGE_B          (the default models)
 *   face_compare MODEL IMAGE_A IMAGE_B [sface|mobilefacenet|arcface]
 *   (default preset from the model's file name; fr_feature.onnx is arcface)
 *   The default models are the set tools/setup.sh fetches, found in
 *   $HOTSPOT_FACE_MODELS or where libhotspot was installed.
 *   exit status: 0 same person, 1 different, 2 error, 3 no face found
 *
 * Needs a build with OpenCV (HOTSPOT_WITH_OPENCV); otherwise the engine
 * reports HS_ERR_NOT_BUILT. Build: cc face_compare.c $(pkg-config --cflags --libs hotspot)
 */
#include <hotspot/hotspot.h>
#include <stdio.h>
#include <string.h>

/* Image file -> L2-normalised embedding of its largest face. */
static hs_status embed_file(hs_ctx *ctx, hs_face_engine *e, const char *path, float *out,
                            uint32_t cap, uint32_t *dim)
{
    hs_image *img = NULL;
    hs_status s = hs_image_load(ctx, &img, path, HS_IMAGE_KEEP_COLOR);  /* nets want colour */
    if (s == HS_OK)
        s = hs_face_embed(ctx, out, cap, dim, NULL, e, img, NULL /* detect, take the largest */);
    if (s != HS_OK)
        fprintf(stderr, "%s: %s (%s)\n", path, hs_status_str(s), hs_ctx_last_error(ctx));
    hs_image_free(img);
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: %s [MODEL] IMAGE_A IMAGE_B [sface|mobilefacenet|arcface]\n",
                argv[0]);
        return 2;
    }
    /* Two arguments: no model named, the engine loads the default set. */
    int defaults = argc == 3;
    const char *image_a = argv[defaults ? 1 : 2], *image_b = argv[defaults ? 2 : 3];
    /* The model id selects how pixels are normalised for the network. */
    const char *kind = defaults                           ? "default"
                     : argc == 5                          ? argv[4]
                     : strstr(argv[1], "sface")           ? "sface"
                     : strstr(argv[1], "mobilefacenet")   ? "mobilefacenet"
                                                          : "arcface";
    uint32_t model_id = !strcmp(kind, "mobilefacenet") ? HS_FACE_MODEL_MOBILEFACENET
                      : !strcmp(kind, "sface")         ? HS_FACE_MODEL_SFACE
                      : !strcmp(kind, "default")       ? HS_FACE_MODEL_CUSTOM /* engine's */
                                                       : HS_FACE_MODEL_ARCFACE;
    hs_ctx *ctx = NULL;
    hs_face_engine *engine = NULL;
    static float a[HS_FACE_MAX_DIM], b[HS_FACE_MAX_DIM];
    uint32_t dim_a = 0, dim_b = 0;
    int rc = 2;
    if (hs_ctx_new(&ctx, NULL) != HS_OK)
        return 2;

    /* Options structs that may grow start with their size; zero the rest.
     * No model named at all: the default set. A model but no detector path:
     * the engine falls back to OpenCV's Haar cascade. */
    hs_face_engine_options opt;
    memset(&opt, 0, sizeof opt);
    opt.struct_size = sizeof opt;
    opt.model_id = model_id;
    opt.model_path = defaults ? NULL : argv[1];
    hs_status s = hs_face_engine_new(ctx, &engine, &opt);
    if (s != HS_OK) {
        fprintf(stderr, "engine: %s (%s)\n", hs_status_str(s), hs_ctx_last_error(ctx));
        goto done;
    }
    model_id = hs_face_engine_model_id(engine); /* the default set: FR_FEATURE */

    s = embed_file(ctx, engine, image_a, a, HS_FACE_MAX_DIM, &dim_a);
    if (s == HS_OK)
        s = embed_file(ctx, engine, image_b, b, HS_FACE_MAX_DIM, &dim_b);
    if (s != HS_OK) {
        rc = s == HS_ERR_NO_FACE ? 3 : 2;
        goto done;
    }

    float score = 0.0f, threshold = 0.0f;
    if (hs_face_similarity(ctx, &score, a, b, dim_a) != HS_OK)
        goto done;
    /* Calibrated thresholds exist for MobileFaceNet, the 512-d ArcFace net
     * and the default set; SFace is not calibrated: use OpenCV's published
     * cosine 0.363. */
    if (hs_face_threshold_for_fmr(&threshold, model_id, 1e-3) != HS_OK)
        threshold = 0.363f;
    printf("cosine %.4f, threshold %.4f: %s\n", score, threshold,
           score >= threshold ? "same person" : "different people");
    rc = score >= threshold ? 0 : 1;

done:
    hs_face_engine_free(engine);
    hs_ctx_free(ctx);
    return rc;
}
