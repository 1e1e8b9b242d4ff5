/* Internal layout of hs_encounter, shared by the object (encounter.c) and
 * the sealing and central code (seal.c, central.c). Never installed. */
#ifndef HOTSPOT_INTERNAL_ENCOUNTER_H
#define HOTSPOT_INTERNAL_ENCOUNTER_H

#include "hotspot/encounter.h"
#include "internal/core.h"

#define HS__ENC_TEXT_KEYS 12 /* hs_encounter_text keys 1..11 */

typedef struct hs__enc_candidate {
    char subject[HS_ENCOUNTER_SUBJECT_MAX + 1];
    double score;
    uint32_t hit;
} hs__enc_candidate;

struct hs_encounter {
    hs_allocator alloc;
    uint8_t id[HS_ENCOUNTER_ID_BYTES];
    int64_t time_ms;
    char text[HS__ENC_TEXT_KEYS][HS_ENCOUNTER_TEXT_MAX + 1];
    uint32_t nfields;
    char fkey[HS_ENCOUNTER_FIELDS_MAX][HS_ENCOUNTER_KEY_MAX + 1];
    char fval[HS_ENCOUNTER_FIELDS_MAX][HS_ENCOUNTER_VALUE_MAX + 1];
    uint32_t nfingers;
    hs_image *finger[HS_ENCOUNTER_FINGERS_MAX];
    uint32_t fpos[HS_ENCOUNTER_FINGERS_MAX];
    uint32_t fqual[HS_ENCOUNTER_FINGERS_MAX];
    hs_template *tmpl; /* finger templates, one view per position; NULL when none */
    uint8_t *face;     /* JPEG */
    size_t face_size;
    int32_t decision;
    uint64_t wl_version;
    uint32_t ncand;
    hs__enc_candidate cand[HS_ENCOUNTER_CANDIDATES_MAX];
};

/* An empty encounter (zero id, time 0) with ctx's allocator. */
hs_status hs__encounter_alloc(hs_ctx *ctx, hs_encounter **out);

/* Validation shared by the setters and the plaintext reader: NULL when the
 * value is acceptable for key, else a static reason. */
const char *hs__encounter_text_check(int key, const char *v, size_t len);
const char *hs__encounter_field_check(const char *k, size_t klen, const char *v, size_t vlen);
const char *hs__encounter_subject_check(const char *s, size_t len);

/* Capture times accepted (2000-01-01 .. 9999-12-31 UTC, ms). */
#define HS__ENC_TIME_MIN INT64_C(946684800000)
#define HS__ENC_TIME_MAX INT64_C(253402300799999)

/* Current UTC time in ms. */
int64_t hs__encounter_now_ms(void);

#endif
