/* The encounter object: metadata, finger images and templates, the face,
 * the offline result, its JSON form and its INT-I search transaction. */
#include "internal/encounter.h"
#include "internal/image.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef HOTSPOT_HAVE_SODIUM
#include <sodium.h>
#endif

int64_t hs__encounter_now_ms(void)
{
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

hs_status hs__encounter_alloc(hs_ctx *ctx, hs_encounter **out)
{
    hs_status st;
    hs_encounter *e = HS__OBJECT_ALLOC(ctx, &st, hs_encounter);
    if (!e)
        return st;
    e->decision = HS_ENCOUNTER_NOT_SEARCHED;
    *out = e;
    return HS_OK;
}

hs_status hs_encounter_new(hs_ctx *ctx, hs_encounter **out)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_new: out is NULL");
    *out = NULL;
#ifdef HOTSPOT_HAVE_SODIUM
    if (sodium_init() < 0)
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    hs_encounter *e = NULL;
    hs_status s = hs__encounter_alloc(ctx, &e);
    if (s)
        return s;
    do
        randombytes_buf(e->id, sizeof e->id);
    while (sodium_is_zero(e->id, sizeof e->id));
    e->time_ms = hs__encounter_now_ms();
    *out = e;
    return HS_OK;
#else
    return hs__error(ctx, HS_ERR_NOT_BUILT, "encounters need libsodium (random ids)");
#endif
}

void hs_encounter_free(hs_encounter *e)
{
    if (!e)
        return;
    for (uint32_t i = 0; i < e->nfingers; i++)
        hs_image_free(e->finger[i]);
    hs_template_free(e->tmpl);
    hs__free_wiped(&e->alloc, e->face, e->face_size);
    HS__OBJECT_FREE(e, hs_encounter, sizeof *e);
}

const uint8_t *hs_encounter_id(const hs_encounter *e) { return e ? e->id : NULL; }

hs_status hs_encounter_set_id(hs_ctx *ctx, hs_encounter *e, const uint8_t id[HS_ENCOUNTER_ID_BYTES])
{
    if (!e || !id)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_id: NULL argument");
    uint8_t z = 0;
    for (int i = 0; i < HS_ENCOUNTER_ID_BYTES; i++)
        z |= id[i];
    if (!z)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_id: the id is all zeros");
    memcpy(e->id, id, HS_ENCOUNTER_ID_BYTES);
    return HS_OK;
}

int64_t hs_encounter_time(const hs_encounter *e) { return e ? e->time_ms : 0; }

hs_status hs_encounter_set_time(hs_ctx *ctx, hs_encounter *e, int64_t time_ms)
{
    if (!e)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_time: e is NULL");
    if (time_ms < HS__ENC_TIME_MIN || time_ms > HS__ENC_TIME_MAX)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_set_time: %lld ms is outside 2000-01-01..9999-12-31 UTC",
                         (long long)time_ms);
    e->time_ms = time_ms;
    return HS_OK;
}

/* ---- text validation ---------------------------------------------------- */

static int printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

const char *hs__encounter_text_check(int key, const char *v, size_t len)
{
    if (key < 1 || key >= HS__ENC_TEXT_KEYS)
        return "unknown text key (1-11)";
    if (key == HS_ENCOUNTER_TEXT_SHOWN && len > HS_ENCOUNTER_SHOWN_MAX)
        return "the shown text is longer than 127 bytes";
    if (len > HS_ENCOUNTER_TEXT_MAX)
        return "longer than 128 bytes";
    if (!printable(v, len))
        return "a byte outside printable ASCII 0x20-0x7e";
    if ((key == HS_ENCOUNTER_TEXT_ORI_COUNTRY || key == HS_ENCOUNTER_TEXT_DAI_COUNTRY) && len) {
        if (len != 3)
            return "a country is three letters A-Z";
        for (size_t i = 0; i < 3; i++)
            if (v[i] < 'A' || v[i] > 'Z')
                return "a country is three letters A-Z";
    }
    return NULL;
}

const char *hs__encounter_field_check(const char *k, size_t klen, const char *v, size_t vlen)
{
    if (klen < 1 || klen > HS_ENCOUNTER_KEY_MAX)
        return "a key is 1 to 32 bytes";
    for (size_t i = 0; i < klen; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return "a key is made of [a-z0-9_.-]";
    }
    if (vlen > HS_ENCOUNTER_VALUE_MAX)
        return "a value is at most 256 bytes";
    if (!printable(v, vlen))
        return "a value byte outside printable ASCII 0x20-0x7e";
    return NULL;
}

const char *hs__encounter_subject_check(const char *s, size_t len)
{
    if (len < 1 || len > HS_ENCOUNTER_SUBJECT_MAX)
        return "a subject id is 1 to 128 bytes";
    if (!printable(s, len))
        return "a subject id byte outside printable ASCII 0x20-0x7e";
    return NULL;
}

static const char *text_name(int key)
{
    static const char *const names[HS__ENC_TEXT_KEYS] = {
        "?", "device_id", "operator_id", "location", "reason", "shown", "ori", "ori_name",
        "dai", "dai_name", "ori_country", "dai_country"};
    return key >= 1 && key < HS__ENC_TEXT_KEYS ? names[key] : "?";
}

hs_status hs_encounter_set_text(hs_ctx *ctx, hs_encounter *e, hs_encounter_text key,
                                const char *value)
{
    if (!e)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_text: e is NULL");
    int k = (int)key;
    if (k < 1 || k >= HS__ENC_TEXT_KEYS)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_text: unknown key %d (1-11)",
                         k);
    if (!value)
        value = "";
    size_t n = strnlen(value, HS_ENCOUNTER_TEXT_MAX + 1);
    const char *why = hs__encounter_text_check(k, value, n);
    if (why)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_text: %s: %s", text_name(k),
                         why);
    memcpy(e->text[k], value, n);
    e->text[k][n] = 0;
    return HS_OK;
}

hs_status hs_encounter_get_text(const hs_encounter *e, const char **value, hs_encounter_text key)
{
    int k = (int)key;
    if (!e || !value || k < 1 || k >= HS__ENC_TEXT_KEYS)
        return HS_ERR_INVALID_ARG;
    *value = e->text[k];
    return HS_OK;
}

/* ---- free fields ----------------------------------------------------------- */

static int find_field(const hs_encounter *e, const char *key)
{
    for (uint32_t i = 0; i < e->nfields; i++)
        if (!strcmp(e->fkey[i], key))
            return (int)i;
    return -1;
}

hs_status hs_encounter_set_field(hs_ctx *ctx, hs_encounter *e, const char *key, const char *value)
{
    if (!e || !key)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_field: NULL argument");
    size_t kl = strnlen(key, HS_ENCOUNTER_KEY_MAX + 1);
    size_t vl = value ? strnlen(value, HS_ENCOUNTER_VALUE_MAX + 1) : 0;
    const char *why = hs__encounter_field_check(key, kl, value ? value : "", vl);
    if (why) {
        char q[48];
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_field %s: %s",
                         hs__quote(q, sizeof q, key), why);
    }
    int at = find_field(e, key);
    if (!value) {
        if (at < 0)
            return hs__error(ctx, HS_ERR_NOT_FOUND, "hs_encounter_set_field: no field %s", key);
        for (uint32_t i = (uint32_t)at; i + 1 < e->nfields; i++) {
            memcpy(e->fkey[i], e->fkey[i + 1], sizeof e->fkey[i]);
            memcpy(e->fval[i], e->fval[i + 1], sizeof e->fval[i]);
        }
        e->nfields--;
        hs__memzero(e->fkey[e->nfields], sizeof e->fkey[0]);
        hs__memzero(e->fval[e->nfields], sizeof e->fval[0]);
        return HS_OK;
    }
    if (at < 0) {
        if (e->nfields >= HS_ENCOUNTER_FIELDS_MAX)
            return hs__error(ctx, HS_ERR_LIMIT, "hs_encounter_set_field: %d fields already",
                             HS_ENCOUNTER_FIELDS_MAX);
        at = (int)e->nfields++;
        memcpy(e->fkey[at], key, kl);
        e->fkey[at][kl] = 0;
    }
    memset(e->fval[at], 0, sizeof e->fval[at]);
    memcpy(e->fval[at], value, vl);
    return HS_OK;
}

const char *hs_encounter_field(const hs_encounter *e, const char *key)
{
    if (!e || !key)
        return NULL;
    int at = find_field(e, key);
    return at < 0 ? NULL : e->fval[at];
}

uint32_t hs_encounter_field_count(const hs_encounter *e) { return e ? e->nfields : 0; }

hs_status hs_encounter_field_at(const hs_encounter *e, const char **key, const char **value,
                                uint32_t index)
{
    if (!e || !key || !value)
        return HS_ERR_INVALID_ARG;
    if (index >= e->nfields)
        return HS_ERR_NOT_FOUND;
    *key = e->fkey[index];
    *value = e->fval[index];
    return HS_OK;
}

/* ---- fingers and face ------------------------------------------------------- */

hs_status hs_encounter_add_finger_image(hs_ctx *ctx, hs_encounter *e, const hs_image *img,
                                        uint32_t position, uint32_t quality)
{
    if (!e || !img)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_add_finger_image: NULL argument");
    if (position < 1 || position > 10)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_add_finger_image: position %u outside 1-10", position);
    if (quality > 100 && quality != 255)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_add_finger_image: quality %u outside 0-100 (255 = none)",
                         quality);
    uint32_t w = hs_image_width(img), h = hs_image_height(img);
    if (w < 32 || h < 32 || w > 65535 || h > 65535)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_add_finger_image: %ux%u image; WSQ needs 32-65535 a side",
                         w, h);
    for (uint32_t i = 0; i < e->nfingers; i++)
        if (e->fpos[i] == position)
            return hs__error(ctx, HS_ERR_EXISTS,
                             "hs_encounter_add_finger_image: position %u has an image", position);
    if (e->nfingers >= HS_ENCOUNTER_FINGERS_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "hs_encounter_add_finger_image: %d images already",
                         HS_ENCOUNTER_FINGERS_MAX);
    hs_image *copy = NULL;
    hs_status s = hs__image_alloc(ctx, &copy, w, h, 0);
    if (s)
        return s;
    const uint8_t *src = hs_image_pixels(img);
    uint32_t stride = hs_image_stride(img);
    for (uint32_t y = 0; y < h; y++)
        memcpy(copy->grey + (size_t)y * w, src + (size_t)y * stride, w);
    copy->ppi = hs_image_ppi(img);
    copy->color = HS_IMAGE_COLOR_GREY;
    copy->bits = 8;
    e->finger[e->nfingers] = copy;
    e->fpos[e->nfingers] = position;
    e->fqual[e->nfingers] = quality;
    e->nfingers++;
    return HS_OK;
}

hs_status hs_encounter_add_finger_template(hs_ctx *ctx, hs_encounter *e, const hs_template *t,
                                           uint32_t view)
{
    if (!e || !t)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_add_finger_template: NULL argument");
    hs_view_info vi = HS_VIEW_INFO_INIT;
    if (hs_template_view_info(t, &vi, view))
        return hs__error(ctx, HS_ERR_NOT_FOUND, "hs_encounter_add_finger_template: no view %u",
                         view);
    if (vi.finger_position < 1 || vi.finger_position > 10)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_add_finger_template: view %u has position %u, not 1-10",
                         view, vi.finger_position);
    uint32_t n = hs_template_view_count(e->tmpl);
    for (uint32_t i = 0; i < n; i++) {
        hs_view_info o = HS_VIEW_INFO_INIT;
        if (hs_template_view_info(e->tmpl, &o, i) == HS_OK &&
            o.finger_position == vi.finger_position)
            return hs__error(ctx, HS_ERR_EXISTS,
                             "hs_encounter_add_finger_template: position %u has a view",
                             vi.finger_position);
    }
    if (n >= HS_ENCOUNTER_FINGERS_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "hs_encounter_add_finger_template: %d views already",
                         HS_ENCOUNTER_FINGERS_MAX);
    hs_template *dst = e->tmpl;
    hs_status s = HS_OK;
    if (!dst && (s = hs_template_new(ctx, &dst)) != HS_OK)
        return s;
    /* with the view's extended data (an extracted finger's orientation
     * field, which the centre's matcher uses) */
    s = hs_template_copy_view(ctx, dst, t, view, &vi);
    if (s) {
        if (dst != e->tmpl)
            hs_template_free(dst);
        return s;
    }
    e->tmpl = dst;
    return HS_OK;
}

uint32_t hs_encounter_finger_count(const hs_encounter *e) { return e ? e->nfingers : 0; }

const hs_image *hs_encounter_finger_image(const hs_encounter *e, uint32_t *position,
                                          uint32_t index)
{
    if (!e || index >= e->nfingers)
        return NULL;
    if (position)
        *position = e->fpos[index];
    return e->finger[index];
}

const hs_template *hs_encounter_templates(const hs_encounter *e) { return e ? e->tmpl : NULL; }

hs_status hs_encounter_set_face_jpeg(hs_ctx *ctx, hs_encounter *e, const void *jpeg, size_t size)
{
    if (!e || (!jpeg && size))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_face_jpeg: NULL argument");
    uint8_t *copy = NULL;
    if (jpeg) {
        const uint8_t *p = jpeg;
        if (size < 4 || p[0] != 0xFF || p[1] != 0xD8)
            return hs__error(ctx, HS_ERR_FORMAT,
                             "hs_encounter_set_face_jpeg: not a JPEG (no SOI marker)");
        if ((uint64_t)size > hs__limit(ctx, HS_LIMIT_MAX_FILE_BYTES))
            return hs__error(ctx, HS_ERR_LIMIT,
                             "hs_encounter_set_face_jpeg: %zu bytes beyond the file limit", size);
        copy = hs__malloc(&e->alloc, size);
        if (!copy)
            return hs__error(ctx, HS_ERR_NOMEM, "out of memory for the face");
        memcpy(copy, jpeg, size);
    }
    hs__free_wiped(&e->alloc, e->face, e->face_size);
    e->face = copy;
    e->face_size = copy ? size : 0;
    return HS_OK;
}

hs_status hs_encounter_set_face(hs_ctx *ctx, hs_encounter *e, const hs_image *img)
{
    if (!e || !img)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_face: NULL argument");
    hs__writer w;
    hs__writer_init(&w, &e->alloc);
    hs_status s = hs__encode_jpeg(ctx, &w, img, 90);
    if (!s && w.failed)
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory encoding the face");
    if (!s)
        s = hs_encounter_set_face_jpeg(ctx, e, w.buf, w.len);
    if (w.buf)
        hs__memzero(w.buf, w.len);
    hs__writer_free(&w);
    return s;
}

const uint8_t *hs_encounter_face_jpeg(const hs_encounter *e, size_t *size)
{
    if (size)
        *size = e && e->face ? e->face_size : 0;
    return e ? e->face : NULL;
}

/* ---- the offline result ------------------------------------------------------- */

hs_status hs_encounter_set_decision(hs_ctx *ctx, hs_encounter *e, int32_t decision)
{
    if (!e || decision < HS_ENCOUNTER_NO_HIT || decision > HS_ENCOUNTER_NOT_SEARCHED)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_set_decision: NULL encounter or decision outside 0-3");
    e->decision = decision;
    return HS_OK;
}

int32_t hs_encounter_decision(const hs_encounter *e)
{
    return e ? e->decision : HS_ENCOUNTER_NOT_SEARCHED;
}

hs_status hs_encounter_set_watchlist_version(hs_ctx *ctx, hs_encounter *e, uint64_t version)
{
    if (!e)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_watchlist_version: e is NULL");
    e->wl_version = version;
    return HS_OK;
}

uint64_t hs_encounter_watchlist_version(const hs_encounter *e) { return e ? e->wl_version : 0; }

static hs_status check_candidate(hs_ctx *ctx, const char *subject, double score, uint32_t hit)
{
    if (!subject)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_add_candidate: subject is NULL");
    size_t n = strnlen(subject, HS_ENCOUNTER_SUBJECT_MAX + 1);
    const char *why = hs__encounter_subject_check(subject, n);
    if (why)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_add_candidate: %s", why);
    if (!isfinite(score) || hit > 1)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_add_candidate: score not finite or hit not 0/1");
    return HS_OK;
}

hs_status hs_encounter_add_candidate(hs_ctx *ctx, hs_encounter *e, const char *subject,
                                     double score, uint32_t hit)
{
    if (!e)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_add_candidate: e is NULL");
    hs_status s = check_candidate(ctx, subject, score, hit);
    if (s)
        return s;
    if (e->ncand >= HS_ENCOUNTER_CANDIDATES_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "hs_encounter_add_candidate: %d candidates already",
                         HS_ENCOUNTER_CANDIDATES_MAX);
    hs__enc_candidate *c = &e->cand[e->ncand++];
    memset(c, 0, sizeof *c);
    memcpy(c->subject, subject, strlen(subject));
    c->score = score;
    c->hit = hit;
    return HS_OK;
}

hs_status hs_encounter_set_result(hs_ctx *ctx, hs_encounter *e, const hs_watchlist_result *result,
                                  uint64_t version)
{
    if (!e || !result)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_set_result: NULL argument");
    uint32_t n = hs_watchlist_result_count(result);
    if (n > HS_ENCOUNTER_CANDIDATES_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "hs_encounter_set_result: %u candidates, at most %d",
                         n, HS_ENCOUNTER_CANDIDATES_MAX);
    int any_hit = 0;
    for (uint32_t i = 0; i < n; i++) {
        hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
        if (hs_watchlist_result_candidate(result, &c, i))
            return hs__error(ctx, HS_ERR_INTERNAL, "hs_encounter_set_result: candidate %u", i);
        hs_status s = check_candidate(ctx, c.id, c.score, c.hit ? 1u : 0u);
        if (s)
            return s;
    }
    for (uint32_t i = 0; i < n; i++) {
        hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
        (void)hs_watchlist_result_candidate(result, &c, i);
        hs__enc_candidate *d = &e->cand[i];
        memset(d, 0, sizeof *d);
        memcpy(d->subject, c.id, strlen(c.id));
        d->score = c.score;
        d->hit = c.hit ? 1u : 0u;
        any_hit |= c.hit != 0;
    }
    for (uint32_t i = n; i < e->ncand; i++)
        hs__memzero(&e->cand[i], sizeof e->cand[i]);
    e->ncand = n;
    e->wl_version = version;
    e->decision = any_hit ? HS_ENCOUNTER_HIT : HS_ENCOUNTER_NO_HIT;
    return HS_OK;
}

uint32_t hs_encounter_candidate_count(const hs_encounter *e) { return e ? e->ncand : 0; }

hs_status hs_encounter_candidate(const hs_encounter *e, const char **subject, double *score,
                                 uint32_t *hit, uint32_t index)
{
    if (!e)
        return HS_ERR_INVALID_ARG;
    if (index >= e->ncand)
        return HS_ERR_NOT_FOUND;
    if (subject)
        *subject = e->cand[index].subject;
    if (score)
        *score = e->cand[index].score;
    if (hit)
        *hit = e->cand[index].hit;
    return HS_OK;
}

/* ---- JSON ---------------------------------------------------------------------- */

/* Every text is printable ASCII (checked when set or read), so escaping
 * needs only the quote and the backslash. */
static void json_str(hs__writer *w, const char *s)
{
    hs__wr_u8(w, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            hs__wr_u8(w, '\\');
        hs__wr_u8(w, (uint8_t)*s);
    }
    hs__wr_u8(w, '"');
}

static void json_raw(hs__writer *w, const char *s) { hs__wr_bytes(w, s, strlen(s)); }

static const char *decision_name(int32_t d)
{
    switch (d) {
    case HS_ENCOUNTER_NO_HIT: return "no_hit";
    case HS_ENCOUNTER_HIT: return "hit";
    case HS_ENCOUNTER_POSSIBLE_HIT: return "possible_hit";
    default: return "not_searched";
    }
}

hs_status hs_encounter_result_json(hs_ctx *ctx, char *buf, size_t *size, const hs_encounter *e)
{
    if (!e || !size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_result_json: NULL argument");
    hs__writer w;
    hs__writer_init(&w, &e->alloc);
    char tmp[64];
    json_raw(&w, "{\"id\":\"");
    for (int i = 0; i < HS_ENCOUNTER_ID_BYTES; i++) {
        snprintf(tmp, sizeof tmp, "%02x", e->id[i]);
        json_raw(&w, tmp);
    }
    snprintf(tmp, sizeof tmp, "\",\"time_ms\":%lld", (long long)e->time_ms);
    json_raw(&w, tmp);
    for (int k = 1; k < HS__ENC_TEXT_KEYS; k++) {
        json_raw(&w, ",\"");
        json_raw(&w, text_name(k));
        json_raw(&w, "\":");
        json_str(&w, e->text[k]);
    }
    json_raw(&w, ",\"fields\":{");
    for (uint32_t i = 0; i < e->nfields; i++) {
        if (i)
            json_raw(&w, ",");
        json_str(&w, e->fkey[i]);
        json_raw(&w, ":");
        json_str(&w, e->fval[i]);
    }
    snprintf(tmp, sizeof tmp, "},\"watchlist_version\":%llu,\"decision\":\"",
             (unsigned long long)e->wl_version);
    json_raw(&w, tmp);
    json_raw(&w, decision_name(e->decision));
    json_raw(&w, "\",\"candidates\":[");
    for (uint32_t i = 0; i < e->ncand; i++) {
        json_raw(&w, i ? ",{\"subject\":" : "{\"subject\":");
        json_str(&w, e->cand[i].subject);
        snprintf(tmp, sizeof tmp, ",\"score\":%.17g,\"hit\":%s}", e->cand[i].score,
                 e->cand[i].hit ? "true" : "false");
        json_raw(&w, tmp);
    }
    json_raw(&w, "]}\n");
    hs_status s;
    if (w.failed)
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory for the JSON result");
    else if (buf && *size > w.len) {
        memcpy(buf, w.buf, w.len);
        buf[w.len] = 0;
        *size = w.len;
        s = HS_OK;
    } else
        s = hs__writer_output(ctx, &w, buf, size);
    if (w.buf)
        hs__memzero(w.buf, w.len);
    hs__writer_free(&w);
    return s;
}

/* ---- the INT-I transaction ------------------------------------------------------- */

static const char *text_or(const hs_encounter *e, int key, const char *dflt)
{
    return e->text[key][0] ? e->text[key] : dflt;
}

hs_status hs_encounter_transaction(hs_ctx *ctx, hs_nist **out, const hs_encounter *e,
                                   const char *tot)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_transaction: out is NULL");
    *out = NULL;
    if (!e)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_transaction: e is NULL");
    if (!tot || !*tot)
        tot = "CPS";
    if (strcmp(tot, "CPS") && strcmp(tot, "NPS"))
        return hs__error(ctx, HS_ERR_UNSUPPORTED,
                         "hs_encounter_transaction: TOT must be CPS or NPS");
    if (!e->nfingers && !e->face && !hs_template_view_count(e->tmpl))
        return hs__error(ctx, HS_ERR_STATE,
                         "hs_encounter_transaction: no finger image, template or face");
    hs_nist_finger fingers[HS_ENCOUNTER_FINGERS_MAX];
    for (uint32_t i = 0; i < e->nfingers; i++) {
        fingers[i].image = e->finger[i];
        fingers[i].position = e->fpos[i];
        fingers[i].quality = e->fqual[i];
    }
    hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
    memcpy(o.ori_country, e->text[HS_ENCOUNTER_TEXT_ORI_COUNTRY], 4);
    memcpy(o.dai_country, e->text[HS_ENCOUNTER_TEXT_DAI_COUNTRY], 4);
    const char *ori = text_or(e, HS_ENCOUNTER_TEXT_ORI, "HOTSPOT");
    const char *dai = text_or(e, HS_ENCOUNTER_TEXT_DAI, "INTERPOL");
    /* TCN serial: the id's first 40 bits, within the 12 digits INT-I allows */
    uint64_t serial = 0;
    for (int i = 0; i < 5; i++)
        serial = serial << 8 | e->id[i];
    serial %= UINT64_C(1000000000000);
    int64_t when = e->time_ms / 1000;
    return hs_nist_build_search(ctx, out, tot, ori, text_or(e, HS_ENCOUNTER_TEXT_ORI_NAME, ori),
                                dai, text_or(e, HS_ENCOUNTER_TEXT_DAI_NAME, dai), serial, when,
                                e->nfingers ? fingers : NULL, e->nfingers, e->face, e->face_size,
                                hs_template_view_count(e->tmpl) ? e->tmpl : NULL, &o);
}
