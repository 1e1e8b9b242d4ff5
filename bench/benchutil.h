/* Shared helpers for the benchmarks: timing, medians, the FVC set table. */
#ifndef HOTSPOT_BENCHUTIL_H
#define HOTSPOT_BENCHUTIL_H

#include <stddef.h>

/* CPU time of the calling thread, in milliseconds. */
double bu_thread_cpu_ms(void);
/* Monotonic wall-clock time, in milliseconds. */
double bu_wall_ms(void);
/* Median of n values (the array is sorted in place). */
double bu_median(double *v, size_t n);

/* The eight FVC2002/2004 B sets in ../shared/data/fingerprint. */
typedef struct bu_fvc_set {
    const char *name; /* folder name, e.g. "FVC2002_DB1_B" */
    unsigned ppi;     /* resolution from the data README */
} bu_fvc_set;
extern const bu_fvc_set bu_fvc_sets[8];

/* Root of the shared data: $HS_SHARED_DATA, else ../shared/data relative to
 * the source tree this benchmark was built from. */
const char *bu_shared_root(void);

/* Finger threshold for a valid FMR (exits with a message on failure); not
 * in builds with BU_NO_LIBRARY. */
float bu_thr(double fmr);

#ifndef BU_NO_LIBRARY
#include <hotspot/hotspot.h>
/* Template of impression `impression` (1-8) of finger `finger` (101-110) of
 * FVC set `set` (0-7): the SecuGen ISO record, or with ex our extractor's on
 * the image at the set's resolution (a failure to extract gives a template
 * with one empty view, which stays in the protocol); NULL when the file
 * cannot be read. The caller frees it. */
hs_template *bu_fvc_template(int set, int finger, int impression, hs_finger_extractor *ex);
#endif

#endif
