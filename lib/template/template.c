/* The hs_template container: views of minutiae. Codecs live beside it. */
#include "internal/template.h"

#include <math.h>
#include <string.h>

#define TWO_PI 6.28318530717958647692

hs_status hs_template_new(hs_ctx *ctx, hs_template **out)
{
    hs_status st;
    hs_template *t = HS__OBJECT_NEW(ctx, &st, out, hs_template);
    if (t)
        *out = t;
    return st;
}

/* Give v the extended-data area ext of size bytes (ext may be NULL), wiping
 * and freeing the one it had. */
static void view_take_ext(const hs_allocator *a, hs__view *v, uint8_t *ext, size_t size)
{
    hs__free_wiped(a, v->ext, v->ext_size);
    v->ext = ext;
    v->ext_size = size;
}

static void view_clear(const hs_allocator *a, hs__view *v)
{
    hs__free_wiped(a, v->minutiae, (size_t)v->count * sizeof *v->minutiae);
    view_take_ext(a, v, NULL, 0);
    memset(v, 0, sizeof *v);
}

void hs_template_free(hs_template *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->nviews; i++)
        view_clear(&t->alloc, &t->views[i]);
    hs__free(&t->alloc, t->views);
    HS__OBJECT_FREE(t, hs_template, 0);
}

const char *hs__minutia_check(const hs_minutia *m, const hs_view_info *info)
{
    if (!isfinite(m->x) || !isfinite(m->y) || !isfinite(m->angle))
        return "non-finite coordinate or angle";
    if (m->angle < 0.0f || m->angle >= (float)TWO_PI)
        return "angle outside [0, 2*pi)";
    if (m->x < -0.5f || m->y < -0.5f)
        return "negative coordinate";
    if (info->width && m->x > (float)info->width)
        return "x beyond the image width";
    if (info->height && m->y > (float)info->height)
        return "y beyond the image height";
    if (m->type > HS_MINUTIA_BIFURCATION)
        return "unknown minutia type";
    if (m->quality > 100)
        return "quality above 100";
    return NULL;
}

/* First published size of hs_view_info (1.0). */
#define VIEW_INFO_SIZE_1_0 HS__SIZE_TO(hs_view_info, minutia_count)

/* The caller's view description with any fields it does not know at their
 * defaults (zero), then checked. */
static hs_status check_info(hs_ctx *ctx, hs_view_info *out, const hs_view_info *in)
{
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    hs_status st = hs__struct_in(ctx, out, sizeof *out, in, VIEW_INFO_SIZE_1_0, "hs_view_info");
    if (st)
        return st;
    const hs_view_info *info = out;
    if (info->ppi_x < 1 || info->ppi_x > 10000 || info->ppi_y < 1 || info->ppi_y > 10000)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "resolution %ux%u ppi outside 1..10000",
                         info->ppi_x, info->ppi_y);
    if (info->finger_position > 10)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "finger position %u outside 0..10",
                         info->finger_position);
    if (info->view_number > 15)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "view number %u outside 0..15",
                         info->view_number);
    if (info->quality > 100)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "quality %u above 100", info->quality);
    if (info->impression_type > 3 && info->impression_type != HS_IMPRESSION_SWIPE)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "impression type %u is not 0-3 or 8",
                         info->impression_type);
    uint64_t maxdim = hs__limit(ctx, HS_LIMIT_MAX_DIMENSION);
    if (info->width > maxdim || info->height > maxdim)
        return hs__error(ctx, HS_ERR_LIMIT, "image size %ux%u beyond the limit %llu",
                         info->width, info->height, (unsigned long long)maxdim);
    return HS_OK;
}

hs_status hs_template_add_view(hs_ctx *ctx, hs_template *t, const hs_view_info *caller_info,
                               const hs_minutia *minutiae, uint32_t count)
{
    if (!t || !caller_info || (count && !minutiae))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    hs_view_info full;
    const hs_view_info *info = &full;
    hs_status s = check_info(ctx, &full, caller_info);
    if (s)
        return s;
    if (count > hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE))
        return hs__error(ctx, HS_ERR_LIMIT, "%u minutiae exceed the limit of %llu", count,
                         (unsigned long long)hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE));
    if (t->nviews >= hs__limit(ctx, HS_LIMIT_MAX_VIEWS))
        return hs__error(ctx, HS_ERR_LIMIT, "template already holds %u views", t->nviews);
    for (uint32_t i = 0; i < count; i++) {
        const char *why = hs__minutia_check(&minutiae[i], info);
        if (why)
            return hs__error(ctx, HS_ERR_INVALID_ARG, "minutia %u: %s", i, why);
    }
    if (!HS__ARRAY_ROOM(&t->alloc, t->views, t->nviews, t->cap, 2))
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    hs__view v;
    memset(&v, 0, sizeof v);
    v.info = *info;
    v.info.struct_size = sizeof(hs_view_info);
    v.info.minutia_count = count;
    v.count = count;
    s = hs__memdup(ctx, &t->alloc, &v.minutiae, minutiae, (size_t)count * sizeof *v.minutiae);
    if (s)
        return s;
    for (uint32_t i = 0; i < count; i++)
        memset(v.minutiae[i].reserved, 0, sizeof v.minutiae[i].reserved);
    t->views[t->nviews++] = v;
    return HS_OK;
}

hs_status hs_template_remove_view(hs_template *t, uint32_t view)
{
    if (!t)
        return HS_ERR_INVALID_ARG;
    if (view >= t->nviews)
        return HS_ERR_NOT_FOUND;
    view_clear(&t->alloc, &t->views[view]);
    memmove(&t->views[view], &t->views[view + 1],
            (size_t)(t->nviews - view - 1) * sizeof *t->views);
    t->nviews--;
    return HS_OK;
}

static size_t template_bytes(const hs_template *t);

hs_status hs_template_copy_view(hs_ctx *ctx, hs_template *dst, const hs_template *src,
                                uint32_t view, const hs_view_info *info)
{
    if (!dst || !src || dst == src)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL template, or the same one twice");
    if (view >= src->nviews)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "template has no view %u", view);
    const hs__view *v = &src->views[view];
    uint64_t lim = hs__limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES);
    uint64_t add = v->ext_size + (uint64_t)v->count * sizeof(hs_minutia);
    if ((uint64_t)template_bytes(dst) + add > lim)
        return hs__error(ctx, HS_ERR_LIMIT, "the view's %llu bytes exceed the template limit of %llu",
                         (unsigned long long)add, (unsigned long long)lim);
    hs_status st = hs_template_add_view(ctx, dst, info ? info : &v->info, v->minutiae, v->count);
    if (st || !v->ext_size)
        return st;
    st = hs__template_set_ext(ctx, dst, dst->nviews - 1, v->ext, v->ext_size);
    if (st)
        hs_template_remove_view(dst, dst->nviews - 1);
    return st;
}

uint32_t hs_template_view_count(const hs_template *t) { return t ? t->nviews : 0; }

hs_status hs_template_view_info(const hs_template *t, hs_view_info *info, uint32_t view)
{
    if (!t || !info)
        return HS_ERR_INVALID_ARG;
    if (view >= t->nviews)
        return HS_ERR_NOT_FOUND;
    hs_view_info all = t->views[view].info;
    all.struct_size = sizeof all;
    all.minutia_count = t->views[view].count;
    return hs__struct_out(NULL, info, &all, sizeof all, VIEW_INFO_SIZE_1_0, "hs_view_info");
}

const hs_minutia *hs_template_minutiae(const hs_template *t, uint32_t *count, uint32_t view)
{
    if (count)
        *count = 0;
    if (!t || view >= t->nviews)
        return NULL;
    if (count)
        *count = t->views[view].count;
    return t->views[view].count ? t->views[view].minutiae : NULL;
}

hs_status hs_template_clone(hs_ctx *ctx, hs_template **out, const hs_template *t)
{
    if (!out || !t)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    *out = NULL;
    hs_template *c;
    hs_status s = hs_template_new(ctx, &c);
    if (s)
        return s;
    for (uint32_t i = 0; i < t->nviews; i++) {
        const hs__view *v = &t->views[i];
        s = hs_template_add_view(ctx, c, &v->info, v->minutiae, v->count);
        if (!s && v->ext_size)
            s = hs__template_set_ext(ctx, c, c->nviews - 1, v->ext, v->ext_size);
        if (s) {
            hs_template_free(c);
            return s;
        }
    }
    c->capture_equipment = t->capture_equipment;
    c->cbeff_product_id = t->cbeff_product_id;
    *out = c;
    return HS_OK;
}

/* ---- typed optional blocks ------------------------------------------- */

bool hs__tblock_next(const uint8_t *area, size_t area_size, size_t *pos, hs__tblock *b,
                     bool *bad)
{
    *bad = false;
    if (*pos >= area_size)
        return false;
    if (area_size - *pos < HS__TBLOCK_HDR) {
        *bad = true;
        return false;
    }
    const uint8_t *h = area + *pos;
    uint32_t len = hs__get_le32(h + 4);
    if (len > area_size - *pos - HS__TBLOCK_HDR) {
        *bad = true;
        return false;
    }
    b->type = hs__get_le16(h);
    b->flags = hs__get_le16(h + 2);
    b->data = h + HS__TBLOCK_HDR;
    b->size = len;
    *pos += HS__TBLOCK_HDR + (size_t)len;
    return true;
}

/* Offset and total size (header included) of block type in the area. */
static bool find_block(const hs__view *v, uint16_t type, size_t *off, size_t *len)
{
    size_t pos = 0;
    hs__tblock b;
    bool bad;
    while (hs__tblock_next(v->ext, v->ext_size, &pos, &b, &bad)) {
        if (b.type == type) {
            *len = HS__TBLOCK_HDR + b.size;
            *off = pos - *len;
            return true;
        }
    }
    return false;
}

const void *hs__template_block_get(const hs_template *t, uint32_t view, uint16_t type,
                                   size_t *size)
{
    *size = 0;
    if (!t || view >= t->nviews)
        return NULL;
    size_t off, len;
    if (!find_block(&t->views[view], type, &off, &len))
        return NULL;
    *size = len - HS__TBLOCK_HDR;
    return t->views[view].ext + off + HS__TBLOCK_HDR;
}

static size_t template_bytes(const hs_template *t)
{
    size_t n = 0;
    for (uint32_t i = 0; i < t->nviews; i++)
        n += t->views[i].ext_size + (size_t)t->views[i].count * sizeof(hs_minutia);
    return n;
}

hs_status hs__template_block_set(hs_ctx *ctx, hs_template *t, uint32_t view, uint16_t type,
                                 const void *data, size_t size)
{
    if (!t || (size && !data) || type == 0 || type == 0xFFFF)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "bad block arguments");
    if (view >= t->nviews)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "no view %u", view);
    hs__view *v = &t->views[view];
    size_t off = 0, old = 0;
    bool had = find_block(v, type, &off, &old);
    uint64_t lim = hs__limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES);
    if (size > HS__TBLOCK_MAX_DATA ||
        (uint64_t)template_bytes(t) - old + HS__TBLOCK_HDR + size > lim)
        return hs__error(ctx, HS_ERR_LIMIT, "block of %zu bytes exceeds the template limit of %llu",
                         size, (unsigned long long)lim);
    size_t nsize = v->ext_size - old + HS__TBLOCK_HDR + size;
    uint8_t *n = hs__malloc(&t->alloc, nsize);
    if (!n)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    /* Keep the other blocks in order; the new one replaces the old in place
     * or goes to the end. */
    size_t head = had ? off : v->ext_size;
    if (head)
        memcpy(n, v->ext, head);
    uint8_t *h = n + head;
    h[0] = (uint8_t)type;
    h[1] = (uint8_t)(type >> 8);
    h[2] = h[3] = 0;
    for (int i = 0; i < 4; i++)
        h[4 + i] = (uint8_t)(size >> (8 * i));
    if (size)
        memcpy(h + HS__TBLOCK_HDR, data, size);
    if (had && v->ext_size > off + old)
        memcpy(h + HS__TBLOCK_HDR + size, v->ext + off + old, v->ext_size - off - old);
    view_take_ext(&t->alloc, v, n, nsize);
    return HS_OK;
}

hs_status hs__template_block_remove(hs_template *t, uint32_t view, uint16_t type)
{
    if (!t)
        return HS_ERR_INVALID_ARG;
    if (view >= t->nviews)
        return HS_ERR_NOT_FOUND;
    hs__view *v = &t->views[view];
    size_t off, len;
    if (!find_block(v, type, &off, &len))
        return HS_ERR_NOT_FOUND;
    memmove(v->ext + off, v->ext + off + len, v->ext_size - off - len);
    v->ext_size -= len;
    hs__memzero(v->ext + v->ext_size, len);
    return HS_OK;
}

hs_status hs__template_set_ext(hs_ctx *ctx, hs_template *t, uint32_t view, const uint8_t *area,
                               size_t size)
{
    if (!t || view >= t->nviews)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "no view %u", view);
    hs__view *v = &t->views[view];
    uint8_t *copy;
    if (hs__memdup(ctx, &t->alloc, &copy, area, size))
        return HS_ERR_NOMEM;
    view_take_ext(&t->alloc, v, copy, size);
    return HS_OK;
}
