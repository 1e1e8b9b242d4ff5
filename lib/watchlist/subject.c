/* Subject builder: id, fields, fingers (quantised as they will be stored)
 * and face embeddings. */
#include "internal/match.h"
#include "internal/template.h"
#include "internal/watchlist.h"
#include "hotspot/face.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.28318530717958647692

bool hs__wl_utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        uint32_t cp;
        size_t len = hs__utf8_decode(s + i, n - i, &cp);
        if (!len)
            return false;
        i += len;
    }
    return true;
}

/* Code points refused in subject ids besides the C0 controls and DEL that
 * hs__wl_utf8_ok() refuses: the C1 controls (U+0085 is a line break), the
 * bidirectional controls (U+202E turns "P-1" and "1-P" into look-alikes) and
 * invisible format characters (zero-width spaces and joiners, word joiner,
 * invisible operators, BOM, soft hyphen), so that two ids that print the
 * same are the same id. docs/watchlist-format.md lists them. */
static bool id_cp_refused(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x34f || cp == 0x61c ||
           cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
           cp == 0xfffe || cp == 0xffff;
}

/* Value rule for field values: no C1 controls either (they are controls in
 * every terminal); bidirectional marks stay allowed, names need them. */
static bool value_cp_refused(uint32_t cp) { return cp >= 0x80 && cp <= 0x9f; }

static bool text_ok(const uint8_t *s, size_t n, bool (*refused)(uint32_t))
{
    if (!hs__wl_utf8_ok(s, n))
        return false;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1fu : len == 3 ? c & 0x0fu : c & 0x07u;
        for (size_t k = 1; k < len; k++)
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        if (refused(cp))
            return false;
        i += len;
    }
    return true;
}

bool hs__wl_id_ok(const uint8_t *s, size_t n) { return text_ok(s, n, id_cp_refused); }

bool hs__wl_value_ok(const uint8_t *s, size_t n) { return text_ok(s, n, value_cp_refused); }

static bool key_ok(const char *k, size_t n)
{
    if (n < 1 || n > HS_WATCHLIST_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

hs_status hs_watchlist_subject_new(hs_ctx *ctx, hs_watchlist_subject **out, const char *id)
{
    hs_status st = hs__out_and_input(ctx, out, id, "id");
    if (st)
        return st;
    size_t n = strlen(id);
    if (n < 1 || n > HS_WATCHLIST_ID_MAX)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "subject id of %zu bytes (1..%d allowed)", n,
                         HS_WATCHLIST_ID_MAX);
    if (!hs__wl_id_ok((const uint8_t *)id, n)) {
        char q[64];
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "subject id %s is not valid UTF-8 or holds control, bidirectional or "
                         "invisible characters (docs/watchlist-format.md lists them)",
                         hs__quote(q, sizeof q, id));
    }
    hs_watchlist_subject *s = HS__OBJECT_ALLOC(ctx, &st, hs_watchlist_subject);
    if (!s)
        return st;
    memcpy(s->id, id, n + 1);
    *out = s;
    return HS_OK;
}

void hs_watchlist_subject_free(hs_watchlist_subject *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nfaces; i++)
        hs__free_wiped(&s->alloc, s->face[i], (size_t)s->face_dim[i] * sizeof(float));
    HS__OBJECT_FREE(s, hs_watchlist_subject, sizeof *s);
}

const char *hs_watchlist_subject_id(const hs_watchlist_subject *s)
{
    return s ? s->id : NULL;
}

static int field_find(const hs_watchlist_subject *s, const char *key)
{
    for (uint32_t i = 0; i < s->nfields; i++)
        if (!strcmp(s->key[i], key))
            return (int)i;
    return -1;
}

hs_status hs_watchlist_subject_set_field(hs_ctx *ctx, hs_watchlist_subject *s, const char *key,
                                         const char *value)
{
    if (!s || !key)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    size_t kn = strlen(key);
    if (!key_ok(key, kn))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "field key must be 1..%d characters of [a-z0-9_.-]",
                         HS_WATCHLIST_KEY_MAX);
    int idx = field_find(s, key);
    if (!value) {
        if (idx < 0)
            return hs__error(ctx, HS_ERR_NOT_FOUND, "no field \"%s\"", key);
        uint32_t i = (uint32_t)idx;
        for (; i + 1 < s->nfields; i++) {
            memcpy(s->key[i], s->key[i + 1], sizeof s->key[i]);
            memcpy(s->value[i], s->value[i + 1], sizeof s->value[i]);
        }
        s->nfields--;
        return HS_OK;
    }
    size_t vn = strlen(value);
    if (vn > HS_WATCHLIST_VALUE_MAX || !hs__wl_value_ok((const uint8_t *)value, vn))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "field value must be valid UTF-8 of at most %d bytes without "
                         "control characters",
                         HS_WATCHLIST_VALUE_MAX);
    if (idx < 0) {
        if (s->nfields >= HS_WATCHLIST_FIELDS_MAX)
            return hs__error(ctx, HS_ERR_LIMIT, "a subject has at most %d fields",
                             HS_WATCHLIST_FIELDS_MAX);
        idx = (int)s->nfields++;
        memcpy(s->key[idx], key, kn + 1);
    }
    memcpy(s->value[idx], value, vn + 1);
    return HS_OK;
}

const char *hs_watchlist_subject_field(const hs_watchlist_subject *s, const char *key)
{
    int i = s && key ? field_find(s, key) : -1;
    return i < 0 ? NULL : s->value[i];
}

uint32_t hs_watchlist_subject_field_count(const hs_watchlist_subject *s)
{
    return s ? s->nfields : 0;
}

hs_status hs_watchlist_subject_field_at(const hs_watchlist_subject *s, const char **key,
                                        const char **value, uint32_t index)
{
    if (!s || !key || !value)
        return HS_ERR_INVALID_ARG;
    if (index >= s->nfields)
        return HS_ERR_NOT_FOUND;
    *key = s->key[index];
    *value = s->value[index];
    return HS_OK;
}

/* Quantise as the record stores it: x, y to 1/2 pixel, angle to 2*pi/65536. */
static void quantise(hs_minutia *m)
{
    double x2 = floor((double)m->x * 2.0 + 0.5);
    double y2 = floor((double)m->y * 2.0 + 0.5);
    if (x2 > 65535.0)
        x2 = 65535.0;
    if (y2 > 65535.0)
        y2 = 65535.0;
    if (x2 < 0)
        x2 = 0;
    if (y2 < 0)
        y2 = 0;
    double aq = floor((double)m->angle * (65536.0 / TWO_PI) + 0.5);
    uint32_t a = (uint32_t)aq & 0xffffu;
    m->x = (float)(x2 / 2.0);
    m->y = (float)(y2 / 2.0);
    m->angle = (float)((double)a * (TWO_PI / 65536.0));
    memset(m->reserved, 0, sizeof m->reserved);
}

static int by_quality_desc(const void *pa, const void *pb)
{
    const hs_minutia *a = pa, *b = pb;
    if (a->quality != b->quality)
        return a->quality > b->quality ? -1 : 1;
    /* ties: keep a deterministic order */
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    return 0;
}

hs_status hs_watchlist_subject_add_finger(hs_ctx *ctx, hs_watchlist_subject *s,
                                          const hs_template *t, uint32_t view)
{
    if (!s || !t)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    if (view >= t->nviews)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "template has no view %u", view);
    const hs__view *v = &t->views[view];
    uint32_t pos = v->info.finger_position;
    if (pos > 10)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "finger position %u", pos);
    if (s->nfingers >= HS_WATCHLIST_FINGERS_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "a subject has at most %d fingers",
                         HS_WATCHLIST_FINGERS_MAX);
    if (pos)
        for (uint32_t i = 0; i < s->nfingers; i++)
            if (s->finger[i].position == pos)
                return hs__error(ctx, HS_ERR_EXISTS, "subject already has finger position %u",
                                 pos);
    if (v->info.ppi_x < 1 || v->info.ppi_x > 10000 || v->info.ppi_y < 1 ||
        v->info.ppi_y > 10000 || v->info.width > 32768 || v->info.height > 32768)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "view size or resolution out of range");
    /* the ridge orientation field, kept whole when the matcher can use it
     * (one resolution) and it has at most HS__WL_FIELD_CELLS_MAX cells */
    size_t fsz = 0;
    const uint8_t *fb = hs__template_block_get(t, view, HS__TBLOCK_FIELD, &fsz);
    if (fb) {
        uint32_t h[5], c64;
        const char *why = hs__field_block_check(fb, fsz, v->info.ppi_x, h, &c64);
        if (why)
            return hs__error(ctx, HS_ERR_CORRUPT, "view %u: orientation field: %s", view, why);
        if (v->info.ppi_x != v->info.ppi_y || fsz > HS__WL_FIELD_BYTES_MAX)
            fb = NULL;
    }
    hs__wl_bfinger *f = &s->finger[s->nfingers];
    memset(f, 0, sizeof *f);
    if (fb) {
        memcpy(f->field, fb, fsz);
        f->field_len = (uint32_t)fsz;
    }
    f->position = pos;
    /* template.h accepts 0-3 and 8 */
    f->impression = (v->info.impression_type <= 3 || v->info.impression_type == 8)
                        ? v->info.impression_type
                        : 0;
    f->quality = v->info.quality > 100 ? 100 : v->info.quality;
    f->width = v->info.width;
    f->height = v->info.height;
    f->ppi_x = v->info.ppi_x;
    f->ppi_y = v->info.ppi_y;
    uint32_t n = v->count;
    if (n > HS_WATCHLIST_MINUTIAE_MAX) {
        /* keep the best-quality minutiae; sort a scratch copy */
        const hs_allocator *a = &s->alloc;
        hs_minutia *tmp;
        if (hs__memdup(ctx, a, &tmp, v->minutiae, (size_t)n * sizeof *tmp))
            return HS_ERR_NOMEM;
        qsort(tmp, n, sizeof *tmp, by_quality_desc);
        memcpy(f->m, tmp, HS_WATCHLIST_MINUTIAE_MAX * sizeof *tmp);
        hs__free_wiped(a, tmp, (size_t)n * sizeof *tmp);
        n = HS_WATCHLIST_MINUTIAE_MAX;
    } else if (n) {
        memcpy(f->m, v->minutiae, (size_t)n * sizeof *f->m);
    }
    f->count = n;
    for (uint32_t i = 0; i < n; i++) {
        quantise(&f->m[i]);
        if (f->m[i].type > HS_MINUTIA_BIFURCATION)
            f->m[i].type = HS_MINUTIA_OTHER;
        if (f->m[i].quality > 100)
            f->m[i].quality = 100;
        if (f->width && f->m[i].x > (float)f->width)
            f->m[i].x = (float)f->width;
        if (f->height && f->m[i].y > (float)f->height)
            f->m[i].y = (float)f->height;
    }
    s->nfingers++;
    return HS_OK;
}

uint32_t hs_watchlist_subject_finger_count(const hs_watchlist_subject *s)
{
    return s ? s->nfingers : 0;
}

hs_status hs_watchlist_subject_finger(hs_ctx *ctx, hs_template **out, const hs_watchlist_subject *s,
                                      uint32_t index)
{
    hs_status st = hs__out_and_input(ctx, out, s, "subject");
    if (!st && index >= s->nfingers)
        st = hs__error(ctx, HS_ERR_NOT_FOUND, "subject has no finger %u", index);
    if (st)
        return st;
    const hs__wl_bfinger *f = &s->finger[index];
    hs_template *t;
    st = hs_template_new(ctx, &t);
    if (st)
        return st;
    const hs_view_info info = {
        .struct_size = sizeof info,
        .width = f->width,
        .height = f->height,
        .ppi_x = f->ppi_x,
        .ppi_y = f->ppi_y,
        .finger_position = f->position,
        .impression_type = f->impression,
        .quality = f->quality,
    };
    st = hs_template_add_view(ctx, t, &info, f->m, f->count);
    if (!st && f->field_len)
        st = hs__template_block_set(ctx, t, 0, HS__TBLOCK_FIELD, f->field, f->field_len);
    if (st) {
        hs_template_free(t);
        return st;
    }
    *out = t;
    return HS_OK;
}

hs_status hs_watchlist_subject_add_face(hs_ctx *ctx, hs_watchlist_subject *s,
                                        const float *embedding, uint32_t dim, uint32_t model_id)
{
    if (model_id > 0xffff)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face model id %u", model_id);
    if (!s || !embedding)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    if (dim < 1 || dim > HS_WATCHLIST_FACE_DIM_MAX)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face dimension %u outside 1..%d", dim,
                         HS_WATCHLIST_FACE_DIM_MAX);
    if (s->nfaces >= HS_WATCHLIST_FACES_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "a subject has at most %d faces",
                         HS_WATCHLIST_FACES_MAX);
    double ss = 0;
    for (uint32_t i = 0; i < dim; i++) {
        if (!isfinite(embedding[i]))
            return hs__error(ctx, HS_ERR_INVALID_ARG, "face value %u is not finite", i);
        ss += (double)embedding[i] * (double)embedding[i];
    }
    if (!(ss > 0) || !isfinite(ss))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "face embedding has zero length");
    float *v = hs__malloc(&s->alloc, (size_t)dim * sizeof *v);
    if (!v)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    /* keep what the record will hold: the int8 form, back to unit floats */
    int8_t *q = hs__malloc(&s->alloc, dim);
    float scale = 0;
    hs_status st = q ? hs_face_quantize(ctx, q, &scale, embedding, dim) : HS_ERR_NOMEM;
    if (!st)
        st = hs_face_dequantize(ctx, v, q, scale, dim);
    hs__free_wiped(&s->alloc, q, dim);
    if (st) {
        hs__free(&s->alloc, v);
        return st == HS_ERR_NOMEM ? hs__error(ctx, st, "out of memory") : st;
    }
    s->face[s->nfaces] = v;
    s->face_model[s->nfaces] = model_id;
    s->face_dim[s->nfaces] = dim;
    s->nfaces++;
    return HS_OK;
}

uint32_t hs_watchlist_subject_face_count(const hs_watchlist_subject *s)
{
    return s ? s->nfaces : 0;
}

const float *hs_watchlist_subject_face(const hs_watchlist_subject *s, uint32_t *dim,
                                       uint32_t *model_id, uint32_t index)
{
    if (dim)
        *dim = 0;
    if (model_id)
        *model_id = 0;
    if (!s || index >= s->nfaces)
        return NULL;
    if (dim)
        *dim = s->face_dim[index];
    if (model_id)
        *model_id = s->face_model[index];
    return s->face[index];
}
