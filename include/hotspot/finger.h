/*
 * libhotspot - finger.h: fingerprint minutiae extraction.
 *
 * hs_finger_extract() turns a fingerprint image (8-bit grey, 150-2000 ppi,
 * normalised internally to 500 ppi) into an hs_template with one view:
 * the image size and resolution, finger position 0 (unknown), an overall
 * quality 0-100 and the minutiae (conventions in template.h: x, y in pixels
 * of the original image, ISO angle convention, an ending points into its
 * ridge, a bifurcation into the gap between its branches), each with a
 * quality 0-100.
 *
 * The pipeline (pure C): foreground segmentation, orientation field,
 * ridge frequency, contextual enhancement, binarisation, thinning, minutia
 * detection, false-minutia removal, direction and quality estimation. It is
 * described in docs/finger-extraction.md.
 *
 * An extractor owns all scratch memory, so extracting a batch of images
 * with one extractor allocates only when an image is larger than every
 * image before it. Output is deterministic: the same image and parameters
 * always give the same template. There is no global state.
 *
 * Thread-safety (the phrases of docs/conventions.md, section 8): extraction
 * writes the extractor's scratch, so an extractor is "One thread per object":
 * use one extractor (and one ctx) per thread to extract in parallel. Setting
 * a parameter is "Exclusive", reading one "Concurrent readers", and the
 * bounds query "Thread-safe".
 */
#ifndef HOTSPOT_FINGER_H
#define HOTSPOT_FINGER_H

#include "hotspot/common.h"
#include "hotspot/image.h"
#include "hotspot/template.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup finger Fingerprint extraction
 *  @{ */

/** Opaque minutiae extractor holding its parameters and scratch memory. */
typedef struct hs_finger_extractor hs_finger_extractor;

/** Parameter keys for hs_finger_extractor_set() / _get(). Append only;
 *  hs_finger_param_bounds() gives each key's range. */
typedef enum hs_finger_param {
    /** Resolution assumed for images whose ppi is 0 (unknown). Default 500. */
    HS_FINGER_PARAM_DEFAULT_PPI = 1,
    /** Resolution forced for every image, overriding the image's own; 0 (the
 *  default) uses the image's ppi, or HS_FINGER_PARAM_DEFAULT_PPI when that
 *  is 0. */
    HS_FINGER_PARAM_PPI = 2,
    /** Most minutiae kept per image; the best (by quality) are kept. Default
 *  128, range 1-255 (also capped by the ctx's HS_LIMIT_MAX_MINUTIAE). */
    HS_FINGER_PARAM_MAX_MINUTIAE = 3,
    /** Minutiae with a quality below this (0-100) are dropped. Default 0. */
    HS_FINGER_PARAM_MIN_QUALITY = 4,
} hs_finger_param;

/** Create an extractor with default parameters, using the allocator of
 *  @p ctx (may be NULL for malloc/free); scratch memory is allocated on
 *  first use and reused. *out belongs to the caller
 *  (hs_finger_extractor_free()) and may outlive ctx; on failure it is NULL.
 *  Errors: HS_ERR_INVALID_ARG (out NULL), HS_ERR_NOMEM. One thread per
 *  object. @since 1.0 */
HS_API hs_status hs_finger_extractor_new(hs_ctx *ctx, hs_finger_extractor **out);

/** Free an extractor; NULL is accepted. Its scratch memory (the last image
 *  and its ridge maps) is wiped first. Exclusive. @since 1.0 */
HS_API void hs_finger_extractor_free(hs_finger_extractor *ex);

/** Set parameter @p key to @p value for later extractions. No output.
 *  Errors: HS_ERR_INVALID_ARG (ex NULL, unknown key, value outside
 *  hs_finger_param_bounds(); HS_FINGER_PARAM_PPI also refuses 1-149); the
 *  extractor is unchanged on failure. Exclusive. @since 1.0 */
HS_API hs_status hs_finger_extractor_set(hs_finger_extractor *ex, hs_finger_param key,
                                         int32_t value);

/** Current value of parameter @p key into *value (written only on
 *  success); the default when @p ex is NULL. Errors: HS_ERR_INVALID_ARG
 *  (value NULL, unknown key). Concurrent readers. @since 1.0 */
HS_API hs_status hs_finger_extractor_get(const hs_finger_extractor *ex, int32_t *value,
                                         hs_finger_param key);

/** Allowed range of parameter @p key into *min_value and *max_value (either
 *  may be NULL; written only on success). Errors: HS_ERR_INVALID_ARG
 *  (unknown key or both outputs NULL). Thread-safe. @since 1.0 */
HS_API hs_status hs_finger_param_bounds(int32_t *min_value, int32_t *max_value,
                                        hs_finger_param key);

/** Extract the minutiae of the fingerprint in @p img into a new template
 *  (*out, allocated with the ctx's allocator and freed by the caller with
 *  hs_template_free(); independent of @p ex and @p img). The view's ppi is
 *  the resolution used (see HS_FINGER_PARAM_PPI). A poor but usable image
 *  gives a template with a low quality and few minutiae. Since 1.1 the view
 *  also carries the print's coarse ridge orientation field (an optional
 *  block of the native format, docs/template-format.md), which the matcher
 *  uses to propose one more alignment; the ISO and ANSI encoders carry it
 *  as a vendor area of the extended data. It is left out when it would
 *  make the template exceed HS_LIMIT_MAX_TEMPLATE_BYTES.
 *  Errors: HS_ERR_INVALID_ARG (NULL argument), HS_ERR_UNSUPPORTED
 *  (resolution outside 150-2000 ppi), HS_ERR_NO_FINGERPRINT (image too small
 *  or no ridge area found: blank, noise), HS_ERR_LIMIT (image beyond the ctx
 *  limits, or beyond 4096 pixels a side once scaled to 500 ppi),
 *  HS_ERR_NOMEM. On failure *out is NULL. @p ctx may be NULL. It writes the
 *  extractor's scratch. One thread per object. @since 1.0 */
HS_API hs_status hs_finger_extract(hs_ctx *ctx, hs_template **out, hs_finger_extractor *ex,
                                   const hs_image *img);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_FINGER_H */
