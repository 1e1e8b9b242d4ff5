/* Template serialization front end: format names, detection, dispatch to
 * the native (hst.c) and standard (fmr.c) codecs, file helpers. */
#include "internal/template.h"

#include <ctype.h>
#include <string.h>

static const struct {
    uint32_t format;
    const char *name;
} format_names[] = {
    {HS_TEMPLATE_FORMAT_HST, "hst"},
    {HS_TEMPLATE_FORMAT_ISO19794_2_2005, "iso19794-2"},
    {HS_TEMPLATE_FORMAT_ANSI378_2004, "ansi378"},
    {HS_TEMPLATE_FORMAT_ANSI378_2009, "ansi378-2009"},
    {HS_TEMPLATE_FORMAT_ISO19794_2_2011, "iso19794-2-2011"},
};

static const struct {
    const char *alias;
    uint32_t format;
} format_aliases[] = {
    {"iso19794-2-2005", HS_TEMPLATE_FORMAT_ISO19794_2_2005},
    {"iso", HS_TEMPLATE_FORMAT_ISO19794_2_2005},
    {"ansi378-2004", HS_TEMPLATE_FORMAT_ANSI378_2004},
    {"ansi", HS_TEMPLATE_FORMAT_ANSI378_2004},
    {"native", HS_TEMPLATE_FORMAT_HST},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *hs_template_format_name(uint32_t format)
{
    for (size_t i = 0; i < NELEM(format_names); i++)
        if (format_names[i].format == format)
            return format_names[i].name;
    return "unknown";
}

static bool same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

uint32_t hs_template_format_from_name(const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < NELEM(format_names); i++)
        if (same_name(name, format_names[i].name))
            return format_names[i].format;
    for (size_t i = 0; i < NELEM(format_aliases); i++)
        if (same_name(name, format_aliases[i].alias))
            return format_aliases[i].format;
    return 0;
}

static const uint8_t hst_magic[4] = {'H', 'S', 'T', 0x1A};

hs_status hs_template_encode(hs_ctx *ctx, void *buf, size_t *size, const hs_template *t,
                             uint32_t format)
{
    if (!t || !size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL template or size");
    hs__writer w;
    hs__writer_init(&w, hs__ctx_allocator(ctx));
    hs_status s;
    switch (format) {
    case HS_TEMPLATE_FORMAT_HST:
        s = hs__hst_encode(ctx, t, &w);
        break;
    case HS_TEMPLATE_FORMAT_ISO19794_2_2005:
    case HS_TEMPLATE_FORMAT_ANSI378_2004:
    case HS_TEMPLATE_FORMAT_ANSI378_2009:
        s = hs__fmr_encode(ctx, t, format, &w);
        break;
    case HS_TEMPLATE_FORMAT_ISO19794_2_2011:
        s = hs__error(ctx, HS_ERR_UNSUPPORTED, "writing %s is not supported (read only)",
                      hs_template_format_name(format));
        break;
    default:
        s = hs__error(ctx, HS_ERR_INVALID_ARG, "unknown template format %u", format);
        break;
    }
    if (!s && w.failed)
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    if (!s && w.len > hs__limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES))
        s = hs__error(ctx, HS_ERR_LIMIT, "encoded template of %zu bytes exceeds the limit of %llu",
                      w.len, (unsigned long long)hs__limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES));
    if (!s)
        s = hs__writer_output(ctx, &w, buf, size);
    if (w.buf)
        hs__memzero(w.buf, w.len);
    hs__writer_free(&w);
    return s;
}

hs_status hs_template_decode(hs_ctx *ctx, hs_template **out, uint32_t *format, const void *data,
                             size_t size)
{
    if (format)
        *format = 0;
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!data && size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "data is NULL");
    const uint8_t *p = data;
    uint64_t lim = hs__limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES);
    if (size > lim)
        return hs__error(ctx, HS_ERR_LIMIT, "template of %zu bytes exceeds the limit of %llu",
                         size, (unsigned long long)lim);
    if (size < 4)
        return hs__error(ctx, size ? HS_ERR_TRUNCATED : HS_ERR_FORMAT,
                         "%zu bytes are too short for any template format", size);
    if (!memcmp(p, hst_magic, 4)) {
        if (format)
            *format = HS_TEMPLATE_FORMAT_HST;
        return hs__hst_decode(ctx, out, p, size);
    }
    if (!memcmp(p, "FMR", 4)) { /* with its NUL */
        uint32_t f = hs__fmr_detect(p, size);
        if (!f)
            return hs__error(ctx, size < 8 ? HS_ERR_TRUNCATED : HS_ERR_UNSUPPORTED,
                             "finger minutiae record of an unknown version");
        if (format)
            *format = f;
        return hs__fmr_decode(ctx, out, p, size, f);
    }
    return hs__error(ctx, HS_ERR_FORMAT, "not a template (no hst or FMR signature)");
}

static hs_status decode_loaded(hs_ctx *ctx, void *out, const uint8_t *data, size_t size,
                               const void *format)
{
    return hs_template_decode(ctx, out, (uint32_t *)(uintptr_t)format, data, size);
}

hs_status hs_template_load(hs_ctx *ctx, hs_template **out, uint32_t *format, const char *path)
{
    if (format)
        *format = 0;
    if (!out || !path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    *out = NULL;
    return hs__load_file(ctx, out, path, decode_loaded, format);
}

hs_status hs_template_save(hs_ctx *ctx, const char *path, const hs_template *t, uint32_t format)
{
    if (!t || !path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    size_t size = 0;
    hs_status s = hs_template_encode(ctx, NULL, &size, t, format);
    if (s)
        return s;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    uint8_t *buf = hs__malloc(a, size);
    if (!buf)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    s = hs_template_encode(ctx, buf, &size, t, format);
    if (!s)
        s = hs__write_file_atomic(ctx, path, buf, size, HS_FILE_PRIVATE);
    hs__free_wiped(a, buf, size);
    return s;
}
