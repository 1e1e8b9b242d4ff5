/* Internal interface between the stages of the watchlist search
 * (lib/watchlist/): search.c runs them in order, filter.c selects the
 * candidates (both filter stages), rescore.c scores them with the full
 * matcher and the face, fusion.c turns the evidence into a fused score.
 * Never installed. */
#ifndef HOTSPOT_INTERNAL_WATCHLIST_SEARCH_H
#define HOTSPOT_INTERNAL_WATCHLIST_SEARCH_H

#include "internal/watchlist.h"

/* A re-scored subject: its evidence, its fused score and its id. */
typedef struct hs__wl_cand {
    uint32_t idx; /* entry index in the list */
    uint32_t hit;
    double score, finger_score, face_score, face_sim;
    float fsim[HS_WATCHLIST_FINGERS_MAX];
    uint32_t fpos[HS_WATCHLIST_FINGERS_MAX];
    char id[HS_WATCHLIST_ID_MAX + 1];
} hs__wl_cand;

/* The probe face in the list's int8 form (q NULL: no face). */
typedef struct hs__wl_face {
    const int8_t *q;
    uint32_t dim, model;
} hs__wl_face;

/* Two fingers can be mates: either position unknown (0), or the same. */
static inline bool hs__wl_compatible(uint32_t probe_pos, uint32_t gallery_pos)
{
    return probe_pos == 0 || gallery_pos == 0 || probe_pos == gallery_pos;
}

/* ---- filter.c: candidate selection ----------------------------------- */

/* The probe fingers' filter index: per finger, its pair codes (widened by
 * the code tolerance) with their directions and poses. */
typedef struct hs__wl_filter hs__wl_filter;

/* Build the index of every view of fingers (1..HS_WATCHLIST_FINGERS_MAX
 * views) with ctx's allocator. */
hs_status hs__wl_filter_new(hs_ctx *ctx, hs__wl_filter **out, const hs_template *fingers);
/* Free (wiped; NULL accepted). */
void hs__wl_filter_free(hs__wl_filter *f);

/* The subjects the full matcher re-scores: the best of the first stage
 * (rotation votes, every subject with fingers), re-ranked by the second
 * (pose and minutia count), plus the best by face similarity when face->q
 * is set. rescore is the option (0: automatic budget). *cidx (allocated
 * with ctx's allocator, caller frees) receives *ncand entry indices in
 * increasing order. Uses up to `threads` threads. */
hs_status hs__wl_filter_select(hs_ctx *ctx, uint32_t **cidx, uint32_t *ncand,
                               const hs__wl_filter *f, const hs_watchlist *wl,
                               const hs__wl_face *face, uint32_t rescore, uint32_t threads);

/* ---- fusion.c: calibration and fusion --------------------------------- */

#define HS__WL_NCAL 17 /* calibrated points of the finger scores */

/* Score -> log10 p-value calibration: points (thr[k], lf[k]). */
typedef struct hs__wl_calib {
    int n;
    double zero; /* score at which p reaches 1 */
    double thr[HS__WL_NCAL];
    double lf[HS__WL_NCAL]; /* log10 of the FMR at thr[k] */
} hs__wl_calib;

typedef struct hs__wl_fusion {
    hs__wl_calib finger;
    hs__wl_calib face;
    bool face_calibrated; /* false: the default model of unrelated faces */
    double fmr_score;     /* -log10(fmr): the hit threshold */
} hs__wl_fusion;

/* The calibrations for a search at false match rate fmr, with a probe face
 * of model face_model when face is true. */
void hs__wl_fusion_init(hs__wl_fusion *fu, bool face, uint32_t face_model, double fmr);

/* Fuse c's evidence (fsim[v] with ncomp[v] comparisons for probe finger v
 * < nprobe, and face_sim, -2 when none) into its scores and hit flag. */
void hs__wl_fuse(const hs__wl_fusion *fu, hs__wl_cand *c, uint32_t nprobe, const uint32_t *ncomp);

/* Best cosine similarity of the probe face with the subject's faces of its
 * dimension and a compatible model; -2 when there is none. */
double hs__wl_face_best(const hs__wl_face *face, const hs__wl_entry *e);

/* ---- rescore.c: the full matcher -------------------------------------- */

/* The probe's fingers, prepared once for every stage of a search that
 * runs the full matcher: p[v] and the finger position pos[v] of each of
 * the template's n views. */
typedef struct hs__wl_probe {
    hs_finger_prepared *p[HS_WATCHLIST_FINGERS_MAX];
    uint32_t pos[HS_WATCHLIST_FINGERS_MAX];
    uint32_t n;
} hs__wl_probe;

/* Prepare every view of fingers (may be NULL: n = 0) into p, with ctx's
 * allocator; on failure p holds nothing. */
hs_status hs__wl_probe_prepare(hs_ctx *ctx, hs__wl_probe *p, const hs_template *fingers);
/* Free what hs__wl_probe_prepare made (p may be zeroed). */
void hs__wl_probe_free(hs__wl_probe *p);

/* Re-score subjects cidx[0..ncand) into out[0..ncand): every view of the
 * prepared probe (n may be 0) against the compatible stored fingers, with
 * the prepared cache where the list has it and per-thread scratch
 * otherwise, and the face; then fusion. Uses up to `threads` threads;
 * matchers and scratch come from ctx's allocator. With `thorough` the
 * matchers run in HS_MATCH_THOROUGH mode (the second stage of
 * hs_watchlist_search_options .thorough). */
hs_status hs__wl_rescore(hs_ctx *ctx, hs__wl_cand *out, const hs_watchlist *wl,
                         const uint32_t *cidx, uint32_t ncand, const hs__wl_probe *probe,
                         const hs__wl_face *face, const hs__wl_fusion *fu, uint32_t threads,
                         bool thorough);

#endif
