/* The hs_template container: views of minutiae. Codecs live beside it. */
#include "internal/template.h"

#include <math.h>
#include <string.h>

#define TWO_PI 6.28318530717958647692

hs_status hs_template_new(hs_ctx *ctx, hs_template **out)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    hs_template *t = hs__calloc(a, 1, sizeof *t);
    if (!t)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    t->alloc = *a;
    *out = t;
    return HS_OK;
}

static void view_clear(const hs_allocator *a, hs__view *v)
{
    if (v->minutiae) {
        hs__memzero(v->minutiae, (size_t)v->count * sizeof *v->minutiae);
        hs__free(a, v->minutiae);
    }
    if (v->ext) {
        hs__memzero(v->ext, v->ext_size);
        hs__free(a, v->ext);
    }
    memset(v, 0, sizeof *v);
}

void hs_template_free(hs_template *t)
{
    if (!t)
        return;
    hs_allocator a = t->alloc;
    for (uint32_t i = 0; i < t->nviews; i++)
        view_clear(&a, &t->views[i]);
    hs__free(&a, t->views);
    hs__free(&a, t);
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

static hs_status check_info(hs_ctx *ctx, const hs_view_info *info)
{
    if (info->struct_size < sizeof(hs_view_info))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_view_info.struct_size too small");
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
    uint64_t maxdim = hs__limit(ctx, HS_LIMIT_MAX_DIMENSION);
    if (info->width > maxdim || info->height > maxdim)
        return hs__error(ctx, HS_ERR_LIMIT, "image size %ux%u beyond the limit %llu",
                         info->width, info->height, (unsigned long long)maxdim);
    return HS_OK;
}

hs_status hs_template_add_view(hs_ctx *ctx, hs_template *t, const hs_view_info *info,
                               const hs_minutia *minutiae, uint32_t count)
{
    if (!t || !info || (count && !minutiae))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    hs_status s = check_info(ctx, info);
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
    if (t->nviews == t->cap) {
        uint32_t ncap = t->cap ? t->cap * 2 : 2;
        hs__view *nv = hs__realloc(&t->alloc, t->views, (size_t)ncap * sizeof *nv);
        if (!nv)
            return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        t->views = nv;
        t->cap = ncap;
    }
    hs__view v;
    memset(&v, 0, sizeof v);
    v.info = *info;
    v.info.struct_size = sizeof(hs_view_info);
    v.info.minutia_count = count;
    v.count = count;
    if (count) {
        v.minutiae = hs__malloc(&t->alloc, (size_t)count * sizeof *v.minutiae);
        if (!v.minutiae)
            return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        memcpy(v.minutiae, minutiae, (size_t)count * sizeof *v.minutiae);
        for (uint32_t i = 0; i < count; i++)
            memset(v.minutiae[i].reserved, 0, sizeof v.minutiae[i].reserved);
    }
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

uint32_t hs_template_view_count(const hs_template *t) { return t ? t->nviews : 0; }

hs_status hs_template_view_info(const hs_template *t, uint32_t view, hs_view_info *info)
{
    if (!t || !info || info->struct_size < sizeof(hs_view_info))
        return HS_ERR_INVALID_ARG;
    if (view >= t->nviews)
        return HS_ERR_NOT_FOUND;
    *info = t->views[view].info;
    info->struct_size = sizeof(hs_view_info);
    info->minutia_count = t->views[view].count;
    return HS_OK;
}

const hs_minutia *hs_template_minutiae(const hs_template *t, uint32_t view, uint32_t *count)
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
        if (!s && v->ext_size) {
            hs__view *cv = &c->views[c->nviews - 1];
            cv->ext = hs__malloc(&c->alloc, v->ext_size);
            if (!cv->ext)
                s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
            else {
                memcpy(cv->ext, v->ext, v->ext_size);
                cv->ext_size = v->ext_size;
            }
        }
        if (s) {
            hs_template_free(c);
            return s;
        }
    }
    *out = c;
    return HS_OK;
}
