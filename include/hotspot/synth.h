/*
 * libhotspot - synth.h: synthetic fingerprints with known minutiae.
 *
 * Real fingerprints are personal data; the demo, the unit tests and the
 * gallery-scale benchmarks use generated ones instead. The method follows
 * SFinGe (Cappelli, Maio, Maltoni): a master fingerprint per finger (class,
 * singular points, an orientation field from the zero-pole model with
 * per-singularity corrections, a ridge-period map, ridges grown by iterative
 * Gabor filtering from random seeds, ridge-count-neutral minutia pairs added
 * by dislocation), then any number of impressions of it
 * (contact region and pressure, translation, rotation, plastic distortion,
 * dry or wet skin, sensor noise and background, any resolution), each with
 * its ground-truth minutiae mapped through the same transforms.
 *
 * Ground truth follows template.h: ISO angles (counter-clockwise, y down),
 * an ending points into its ridge, a bifurcation into the gap between its
 * branches. Truth minutiae are found on the master's ridge skeleton (crossing
 * number) and kept in an impression only where it shows them (inside the
 * contact region and the image).
 *
 * Determinism: the same seed, finger and impression numbers and parameters
 * give byte-identical images and truth with the same build of the library.
 *
 * Thread-safety (the phrases of docs/conventions.md, section 8): a generator
 * is configured with hs_synth_set() ("Exclusive") by one thread; once
 * configured, it and any master are only read, so making masters and
 * impressions is "Concurrent readers": many threads may do it at once, each
 * with its own ctx. Freeing is "Exclusive".
 */
#ifndef HOTSPOT_SYNTH_H
#define HOTSPOT_SYNTH_H

#include "hotspot/common.h"
#include "hotspot/image.h"
#include "hotspot/template.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup synth Synthetic fingerprints
 *  @{ */

/** Opaque generator: seed, parameters and precomputed filter banks. */
typedef struct hs_synth hs_synth;
/** Opaque master fingerprint of one synthetic finger. */
typedef struct hs_synth_master hs_synth_master;

/** Fingerprint classes (HS_SYNTH_CLASS and hs_synth_master_class()). */
#define HS_SYNTH_CLASS_RANDOM      0 /**< drawn with natural frequencies
                                          (arch 3.7%, tented arch 2.9%, left loop
                                          33.8%, right loop 31.7%, whorl 27.9%) */
#define HS_SYNTH_CLASS_ARCH        1
#define HS_SYNTH_CLASS_TENTED_ARCH 2
#define HS_SYNTH_CLASS_LEFT_LOOP   3 /**< opens to the left of the image */
#define HS_SYNTH_CLASS_RIGHT_LOOP  4 /**< opens to the right of the image */
#define HS_SYNTH_CLASS_WHORL       5

/** Parameter keys for hs_synth_set() / hs_synth_get(). Append only. */
typedef enum hs_synth_param {
    HS_SYNTH_WIDTH = 1, /**< impression width, px, 64-4096 (default 400) */
    HS_SYNTH_HEIGHT = 2, /**< impression height, px, 64-4096 (default 400) */
    HS_SYNTH_PPI = 3, /**< impression resolution, 250-1000 ppi (default 500) */
    HS_SYNTH_CLASS = 4, /**< HS_SYNTH_CLASS_* of new masters (default random) */
    HS_SYNTH_MAX_ROTATION = 5, /**< largest rotation, degrees, 0-180 (default 20) */
    /** largest shift of the finger, px at 500 ppi, 0-200 (default 60) */
    HS_SYNTH_MAX_TRANSLATION = 6,
    HS_SYNTH_DISTORTION = 7, /**< plastic distortion strength, percent, 0-300 (default 100) */
    HS_SYNTH_NOISE = 8, /**< sensor noise and clutter, percent, 0-300 (default 100) */
    HS_SYNTH_SKIN = 9, /**< dry/wet skin effects, percent, 0-300 (default 100) */
    HS_SYNTH_PRESSURE = 10, /**< contact size, percent, 50-150 (default 100) */
    HS_SYNTH_MINUTIAE = 11, /**< ridge seed density, percent, 25-400: seams
                                        between seed patches add minutiae (default 100) */
    HS_SYNTH_PROTOCOL = 12, /**< 1 (default): impressions follow the FVC2004
                                        acquisition cycle by impression number modulo 8:
                                        0-1 normal, 2-3 exaggerated displacement and
                                        rotation, 4-5 dry, 6-7 wet skin; 0: every
                                        impression drawn alike */
    HS_SYNTH_FAST = 13, /**< 1: grow masters at 250 ppi, about 7x faster,
                                        for truth-only galleries (impression images
                                        then have softer ridges); default 0 */
} hs_synth_param;

/** Create a generator with default parameters. The same seed gives the same
 *  fingers. The filter banks are computed here (about a millisecond). *out
 *  belongs to the caller (hs_synth_free()) and may outlive ctx; on failure it
 *  is NULL. Errors: HS_ERR_INVALID_ARG (out NULL), HS_ERR_NOMEM. One thread
 *  per object. @since 1.0 */
HS_API hs_status hs_synth_new(hs_ctx *ctx, hs_synth **out, uint64_t seed);

/** Free a generator; NULL is accepted. Nothing is wiped: it holds only its
 *  seed, parameters and filters, no fingerprint. Masters made from it stay
 *  valid. Exclusive. @since 1.0 */
HS_API void hs_synth_free(hs_synth *gen);

/** Set a parameter (HS_SYNTH_*) for masters and impressions made later. No
 *  output. Errors: HS_ERR_INVALID_ARG (gen NULL, unknown key, value outside
 *  hs_synth_param_bounds()); the generator is unchanged on failure.
 *  Exclusive. @since 1.0 */
HS_API hs_status hs_synth_set(hs_synth *gen, hs_synth_param key, int32_t value);

/** Current value of parameter @p key into *value (written only on
 *  success); the default when @p gen is NULL. Errors: HS_ERR_INVALID_ARG
 *  (value NULL, unknown key). Concurrent readers. @since 1.0 */
HS_API hs_status hs_synth_get(const hs_synth *gen, int32_t *value, hs_synth_param key);

/** Allowed range of a parameter key into *min_value and *max_value (either
 *  may be NULL; written only on success). Errors: HS_ERR_INVALID_ARG (unknown
 *  key or both outputs NULL). Thread-safe. @since 1.0 */
HS_API hs_status hs_synth_param_bounds(int32_t *min_value, int32_t *max_value,
                                       hs_synth_param key);

/** Generate the master fingerprint of finger number @p finger (any value; the
 *  generator's seed and @p finger determine it, with HS_SYNTH_CLASS). Takes
 *  about 0.1 s at 500 ppi: make each master once and draw several impressions.
 *  *out belongs to the caller (hs_synth_master_free()) and does not refer to
 *  @p gen; on failure it is NULL. Errors: HS_ERR_INVALID_ARG, HS_ERR_NOMEM.
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_synth_master_new(hs_ctx *ctx, hs_synth_master **out, const hs_synth *gen,
                                     uint32_t finger);

/** Free a master; NULL is accepted. Its ridge map and ground-truth minutiae
 *  are wiped first. Exclusive. @since 1.0 */
HS_API void hs_synth_master_free(hs_synth_master *master);

/** HS_SYNTH_CLASS_* of a master (0 for NULL). Cannot fail. Concurrent
 *  readers. @since 1.0 */
HS_API uint32_t hs_synth_master_class(const hs_synth_master *master);

/** The master itself as a clean 400x512, 500 ppi image (binary ridges, white
 *  outside the finger) and, if @p truth is not NULL, its ground-truth minutiae
 *  (at most the ctx's HS_LIMIT_MAX_MINUTIAE) as a one-view template. Either
 *  output may be NULL (not both); the caller frees *img with hs_image_free()
 *  and *truth with hs_template_free(). Errors: HS_ERR_INVALID_ARG,
 *  HS_ERR_LIMIT (the image beyond the ctx's image limits), HS_ERR_NOMEM; on
 *  failure the outputs are NULL. Concurrent readers. @since 1.0 */
HS_API hs_status hs_synth_master_image(hs_ctx *ctx, hs_image **img,
                                       hs_template **truth, const hs_synth_master *master);

/** Impression number @p impression of a master, with the generator's current
 *  size, resolution and variation parameters: *img receives the grey image
 *  (ridges dark) and *truth, if not NULL, the mapped ground-truth minutiae (one
 *  view of the image's size and resolution, view_number = impression % 16, at
 *  most the ctx's HS_LIMIT_MAX_MINUTIAE). @p img may be NULL for the truth
 *  alone, which skips rendering (about 250x faster). The caller frees *img
 *  with hs_image_free() and *truth with hs_template_free(). Errors:
 *  HS_ERR_INVALID_ARG (NULL generator or master, or both outputs NULL),
 *  HS_ERR_NOMEM, HS_ERR_LIMIT (image size beyond the ctx limits); on failure
 *  the outputs are NULL. Concurrent readers. @since 1.0 */
HS_API hs_status hs_synth_impression(hs_ctx *ctx, hs_image **img,
                                     hs_template **truth, const hs_synth *gen,
                                     const hs_synth_master *master, uint32_t impression);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_SYNTH_H */
