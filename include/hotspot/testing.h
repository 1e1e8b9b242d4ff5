/*
 * libhotspot - frontline biometric screening
 *
 * testing.h: hooks for the library's own tests and for developers, compiled
 * into the library only when it is configured with -DHOTSPOT_TESTING=ON
 * (off by default; this header is installed only then). Release builds
 * neither contain nor export these functions. They are not part of the
 * stable ABI: they may change in any release.
 */
#ifndef HOTSPOT_TESTING_H
#define HOTSPOT_TESTING_H

#include "hotspot/common.h"
#include "hotspot/finger.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Called once per stage of hs_finger_extract() with an 8-bit grey picture
 *  of it (in the 500 ppi working frame). Stages, in order: "normalised",
 *  "mask", "orientation", "frequency", "enhanced", "binary", "skeleton",
 *  "minutiae". The pixels are only valid during the call. */
typedef void (*hs_finger_debug_fn)(void *user, const char *stage, const uint8_t *pixels,
                                   uint32_t width, uint32_t height);

/** Install (@p fn non-NULL) or remove (@p fn NULL) the stage-picture hook of
 *  @p ex; @p user is passed to it. Errors: HS_ERR_INVALID_ARG (ex NULL).
 *  Exclusive. Only in HOTSPOT_TESTING builds, and not part of the stable
 *  ABI. @since 1.0 */
HS_API hs_status hs_finger_extractor_set_debug(hs_finger_extractor *ex, hs_finger_debug_fn fn,
                                               void *user);

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_TESTING_H */
