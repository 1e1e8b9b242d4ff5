/* The watchlist commands' ANSI/NIST-ITL side (hotspot/nist.h, public API only):
 *   watchlist add LIST --id ID --nist FILE   enrols the transaction's fingers
 *     (Type-9 minutiae, else minutiae extracted from its Type-4/13/14 images,
 *     by position) and its Type-10 face when a face engine can be made;
 *   watchlist search LIST --nist FILE [--answer OUT]   searches with all of
 *     them and can write the answer as an INT-I SRE transaction (XML when OUT
 *     ends in .xml). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static hs_status load_nist(hs_ctx *ctx, const char *path, hs_nist **out)
{
    hs_status s = hs_nist_load(ctx, out, NULL, path, 0);
    if (s)
        cli_error(ctx, s, path);
    return s;
}

/* Does the transaction carry a face? (The engine is made only then.) */
static bool has_face(const hs_nist *n)
{
    for (uint32_t i = 0; i < hs_nist_image_count(n); i++) {
        hs_nist_image_info ii = HS_NIST_IMAGE_INFO_INIT;
        if (hs_nist_image_info_get(NULL, &ii, n, i) == HS_OK && ii.kind == HS_NIST_IMAGE_FACE)
            return true;
    }
    return false;
}

/* The face embedding of a transaction with the default face engine, into a
 * new array (*v, freed by the caller); *dim 0 when there is no face or it
 * cannot be used (a note on stderr says why: no OpenCV, no models, no face
 * found). Only memory failures are errors. */
static hs_status nist_face(hs_ctx *ctx, const hs_nist *n, const char *path, float **v,
                           uint32_t *dim, uint32_t *model)
{
    *v = NULL;
    *dim = 0;
    *model = 0;
    if (!has_face(n))
        return HS_OK;
    hs_face_engine *e = NULL;
    hs_status s = hs_face_engine_new(ctx, &e, NULL);
    if (!s) {
        uint32_t cap = hs_face_engine_dim(e);
        *v = cap ? malloc((size_t)cap * sizeof **v) : NULL;
        s = *v ? hs_nist_face_embed(ctx, *v, cap, dim, e, n) : HS_ERR_STATE;
        *model = hs_face_engine_model_id(e);
        hs_face_engine_free(e);
    }
    if (s == HS_ERR_NOMEM) {
        free(*v);
        *v = NULL;
        return s;
    }
    if (s) {
        fprintf(stderr, "hotspot: %s: face not used: %s\n", path, cli_detail(ctx));
        free(*v);
        *v = NULL;
        *dim = 0;
    }
    return HS_OK;
}

int cli_wl_nist_add(hs_ctx *ctx, hs_watchlist_subject *sub, const char *path)
{
    hs_nist *n = NULL;
    if (load_nist(ctx, path, &n))
        return CLI_ERR;
    hs_template *t = NULL;
    hs_status s = hs_nist_fingers(ctx, &t, n, NULL, HS_NIST_FINGERS_SKIP_BAD);
    if (s == HS_ERR_NOT_FOUND)
        s = HS_OK; /* a face-only transaction */
    for (uint32_t v = 0; !s && t && v < hs_template_view_count(t); v++)
        s = hs_watchlist_subject_add_finger(ctx, sub, t, v);
    hs_template_free(t);
    float *face = NULL;
    uint32_t dim = 0, model = 0;
    if (!s)
        s = nist_face(ctx, n, path, &face, &dim, &model);
    if (!s && dim)
        s = hs_watchlist_subject_add_face(ctx, sub, face, dim, model);
    free(face);
    hs_nist_free(n);
    if (!s && !hs_watchlist_subject_finger_count(sub) && !hs_watchlist_subject_face_count(sub))
        s = cli_fail(HS_ERR_NOT_FOUND, "no usable finger or face in the transaction");
    if (s) {
        cli_error(ctx, s, path);
        return CLI_ERR;
    }
    return CLI_OK;
}

int cli_wl_nist_probe(hs_ctx *ctx, hs_nist **txn, hs_template *probe, float **face,
                      uint32_t *face_dim, uint32_t *face_model, const char *path)
{
    if (load_nist(ctx, path, txn))
        return CLI_ERR;
    hs_template *t = NULL;
    hs_status s = hs_nist_fingers(ctx, &t, *txn, NULL, HS_NIST_FINGERS_SKIP_BAD);
    if (s == HS_ERR_NOT_FOUND)
        s = HS_OK;
    if (!s && t)
        s = cli_append_views(ctx, probe, t);
    hs_template_free(t);
    if (!s && !*face) {
        float *v = NULL;
        uint32_t dim = 0, model = 0;
        s = nist_face(ctx, *txn, path, &v, &dim, &model);
        if (dim) {
            *face = v;
            *face_dim = dim;
            *face_model = model;
        }
    }
    if (s) {
        cli_error(ctx, s, path);
        return CLI_ERR;
    }
    return CLI_OK;
}

/* path with "-hitN" before its extension (if any): the SRE of hit N. */
static bool hit_path(char *buf, size_t cap, const char *path, uint32_t n)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    size_t stem = dot ? (size_t)(dot - path) : strlen(path);
    int w = snprintf(buf, cap, "%.*s-hit%u%s", (int)stem, path, n, dot ? dot : "");
    return w > 0 && (size_t)w < cap;
}

static hs_status save_answer(hs_ctx *ctx, const char *path, const hs_nist *sre)
{
    size_t len = strlen(path);
    bool xml = len >= 4 && !strcmp(path + len - 4, ".xml");
    /* 2.065 (the hit subjects' ids) has no INT-I XML element: dropped in
     * the XML summary, which keeps the respondents list (2.064). */
    return hs_nist_save(ctx, path, sre,
                        xml ? HS_NIST_ENCODING_XML : HS_NIST_ENCODING_TRADITIONAL,
                        xml ? HS_NIST_ALLOW_LOSS : 0);
}

int cli_wl_nist_answer(hs_ctx *ctx, const char *path, const hs_nist *search,
                       const hs_watchlist_result *r)
{
    /* The answer's TCN serial: seconds of the day it is built on and a
     * counter would need state; the time in seconds (12 digits), plus the
     * hit number for the per-hit answers, is unique enough for one
     * answering command. */
    int64_t now = (int64_t)time(NULL);
    uint64_t serial = (uint64_t)now % 1000000000000ull;
    /* k = 0: the summary SRE at path; then, as INT-I answers a hit with one
     * SRE per candidate (named in 2.010, its rank in 2.064), hit k at
     * path-hitk until there is none. */
    for (uint32_t k = 0;; k++) {
        char hp[4096];
        if (k && !hit_path(hp, sizeof hp, path, k)) {
            fprintf(stderr, "hotspot: %s: path too long for the per-hit answers\n", path);
            return CLI_ERR;
        }
        const char *out = k ? hp : path;
        hs_nist *sre = NULL;
        uint64_t tcn = (serial + k) % 1000000000000ull;
        hs_status s = k ? hs_nist_build_result_hit(ctx, &sre, search, r, k - 1, tcn, now, NULL)
                        : hs_nist_build_result(ctx, &sre, search, r, tcn, now);
        if (k && s == HS_ERR_NOT_FOUND)
            return CLI_OK;
        if (!s)
            s = save_answer(ctx, out, sre);
        hs_nist_free(sre);
        if (s) {
            cli_error(ctx, s, out);
            return CLI_ERR;
        }
    }
}
