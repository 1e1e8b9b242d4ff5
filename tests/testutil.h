/* Helpers shared by the cmocka test executables. */
#ifndef HOTSPOT_TESTUTIL_H
#define HOTSPOT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hotspot/hotspot.h>

/* Path of ../shared/data/<rel> (HS_SHARED_DATA overrides the root) written to
 * buf; returns buf if it exists, else prints why and returns NULL, so that a
 * test can `if (!p) { skip(); }`. */
const char *tu_shared(const char *rel, char *buf, size_t size);

/* Path under the source tree (HS_SOURCE_DIR). */
const char *tu_source(const char *rel, char *buf, size_t size);

/* A fresh scratch directory for this test process (created); never NULL. */
const char *tu_tmpdir(void);

/* Read a whole file; NULL if it cannot. Caller frees with free(). */
uint8_t *tu_read(const char *path, size_t *size);

/* Finger threshold for a valid FMR (asserts the call succeeds). */
float tu_thr(double fmr);

/* Matcher parameter (asserts the call succeeds). */
int32_t tu_mget(const hs_finger_matcher *m, hs_finger_matcher_param key);

/* A new context with the default allocator (asserts it is made); freed
 * with hs_ctx_free. */
hs_ctx *tu_ctx(void);

#endif
