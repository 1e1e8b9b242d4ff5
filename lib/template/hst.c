/* Native template format (.hst), version 1. Little-endian throughout; the
 * byte-level tables and the compatibility promise are in
 * docs/template-format.md. Readers of version N read every version <= N,
 * skip header bytes they do not know (the header and view-header sizes and
 * the minutia record size are stored), and keep unknown typed blocks. */
#include "internal/template.h"

#include <string.h>

#define HST_VERSION 1
#define HST_HEADER 32
#define HST_VIEW_HEADER 40
#define HST_MINUTIA 16
#define HST_CRC 4
/* Flags bits 0-15 must be understood by a reader (none defined in v1);
 * bits 16-31 are informational and may be ignored. */
#define HST_FLAGS_CRITICAL 0x0000FFFFu

static void ld_init(hs__reader *r, const uint8_t *p, size_t n) { hs__reader_init(r, p, n); }

hs_status hs__hst_encode(hs_ctx *ctx, const hs_template *t, hs__writer *w)
{
    (void)ctx;
    hs__wr_bytes(w, "HST\x1a", 4);
    hs__wr_le16(w, HST_VERSION);
    hs__wr_le16(w, HST_HEADER);
    hs__wr_le32(w, 0); /* flags */
    size_t len_at = w->len;
    hs__wr_le32(w, 0); /* record length, patched below */
    hs__wr_le32(w, t->nviews);
    hs__wr_le16(w, t->capture_equipment);
    hs__wr_le16(w, 0);
    hs__wr_le32(w, t->cbeff_product_id);
    hs__wr_le32(w, 0);
    for (uint32_t i = 0; i < t->nviews; i++) {
        const hs__view *v = &t->views[i];
        uint32_t nblocks = 0;
        size_t pos = 0;
        hs__tblock b;
        bool bad;
        while (hs__tblock_next(v->ext, v->ext_size, &pos, &b, &bad))
            nblocks++;
        if (bad)
            return hs__error(ctx, HS_ERR_INTERNAL, "hst: view %u holds a malformed block area", i);
        size_t vlen = HST_VIEW_HEADER + (size_t)v->count * HST_MINUTIA + v->ext_size;
        if (vlen > 0xFFFFFFFFu)
            return hs__error(ctx, HS_ERR_LIMIT, "hst: view %u too large", i);
        hs__wr_le32(w, (uint32_t)vlen);
        hs__wr_le16(w, HST_VIEW_HEADER);
        hs__wr_le16(w, HST_MINUTIA);
        hs__wr_le32(w, v->info.width);
        hs__wr_le32(w, v->info.height);
        hs__wr_le32(w, v->info.ppi_x);
        hs__wr_le32(w, v->info.ppi_y);
        hs__wr_u8(w, (uint8_t)v->info.finger_position);
        hs__wr_u8(w, (uint8_t)v->info.view_number);
        hs__wr_u8(w, (uint8_t)v->info.impression_type);
        hs__wr_u8(w, (uint8_t)v->info.quality);
        hs__wr_le32(w, v->count);
        hs__wr_le32(w, nblocks);
        hs__wr_le32(w, (uint32_t)v->ext_size);
        for (uint32_t k = 0; k < v->count; k++) {
            const hs_minutia *m = &v->minutiae[k];
            hs__wr_lef32(w, m->x);
            hs__wr_lef32(w, m->y);
            hs__wr_lef32(w, m->angle);
            hs__wr_u8(w, m->type);
            hs__wr_u8(w, m->quality);
            hs__wr_le16(w, 0);
        }
        hs__wr_bytes(w, v->ext, v->ext_size);
    }
    if (w->failed)
        return HS_OK; /* reported by the caller as HS_ERR_NOMEM */
    size_t total = w->len + HST_CRC;
    if (total > 0xFFFFFFFFu)
        return hs__error(ctx, HS_ERR_LIMIT, "hst: template too large");
    hs__wr_patch_le32(w, len_at, (uint32_t)total);
    if (w->buf)
        hs__wr_le32(w, hs__crc32c(0, w->buf, w->len));
    else
        hs__wr_le32(w, 0);
    return HS_OK;
}

static hs_status decode_view(hs_ctx *ctx, hs_template *t, hs__reader *r, uint32_t vi,
                             hs_minutia *mins)
{
    if (hs__reader_left(r) < 4 + 4)
        return hs__error(ctx, HS_ERR_TRUNCATED, "hst: record ends inside the header of view %u",
                         vi);
    size_t start = r->pos;
    uint32_t vlen = hs__rd_le32(r);
    uint32_t hsize = hs__rd_le16(r);
    uint32_t msize = hs__rd_le16(r);
    if (vlen > hs__reader_left(r) + 8)
        return hs__error(ctx, HS_ERR_CORRUPT, "hst: view %u claims %u bytes, %zu left", vi, vlen,
                         hs__reader_left(r) + 8);
    if (hsize < HST_VIEW_HEADER || msize < HST_MINUTIA || hsize > vlen)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "hst: view %u: header size %u or minutia size %u below version 1 sizes "
                         "(or beyond the view)",
                         vi, hsize, msize);
    hs_view_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    info.width = hs__rd_le32(r);
    info.height = hs__rd_le32(r);
    info.ppi_x = hs__rd_le32(r);
    info.ppi_y = hs__rd_le32(r);
    info.finger_position = hs__rd_u8(r);
    info.view_number = hs__rd_u8(r);
    info.impression_type = hs__rd_u8(r);
    info.quality = hs__rd_u8(r);
    uint32_t count = hs__rd_le32(r);
    uint32_t nblocks = hs__rd_le32(r);
    uint32_t bsize = hs__rd_le32(r);
    hs__skip(r, hsize - HST_VIEW_HEADER);
    uint64_t lim = hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE);
    if (count > lim)
        return hs__error(ctx, HS_ERR_LIMIT, "hst: view %u has %u minutiae, the limit is %llu", vi,
                         count, (unsigned long long)lim);
    if ((uint64_t)hsize + (uint64_t)count * msize + bsize != vlen)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "hst: view %u: length %u disagrees with %u minutiae of %u bytes and %u "
                         "block bytes",
                         vi, vlen, count, msize, bsize);
    if (info.impression_type > 3 && info.impression_type != HS_IMPRESSION_SWIPE)
        return hs__error(ctx, HS_ERR_CORRUPT, "hst: view %u: impression type %u is reserved", vi,
                         info.impression_type);
    for (uint32_t k = 0; k < count; k++) {
        hs_minutia *m = &mins[k];
        m->x = hs__rd_lef32(r);
        m->y = hs__rd_lef32(r);
        m->angle = hs__rd_lef32(r);
        m->type = hs__rd_u8(r);
        m->quality = hs__rd_u8(r);
        uint32_t res = hs__rd_le16(r);
        m->reserved[0] = m->reserved[1] = 0;
        hs__skip(r, msize - HST_MINUTIA);
        const char *why = res ? "reserved bytes are not zero" : hs__minutia_check(m, &info);
        if (why)
            return hs__error(ctx, HS_ERR_CORRUPT, "hst: view %u minutia %u: %s", vi, k, why);
    }
    const uint8_t *area = r->p + r->pos;
    size_t pos = 0;
    hs__tblock b;
    bool bad;
    uint32_t seen = 0;
    uint8_t types[65536 / 8]; /* one bit per block type: duplicates in linear time */
    memset(types, 0, sizeof types);
    while (hs__tblock_next(area, bsize, &pos, &b, &bad)) {
        if (b.type == 0 || b.type == 0xFFFF)
            return hs__error(ctx, HS_ERR_CORRUPT, "hst: view %u block %u: type 0x%04x is invalid",
                             vi, seen, b.type);
        uint8_t bit = (uint8_t)(1u << (b.type & 7));
        if (types[b.type >> 3] & bit)
            return hs__error(ctx, HS_ERR_CORRUPT, "hst: view %u: block type 0x%04x twice", vi,
                             b.type);
        types[b.type >> 3] |= bit;
        seen++;
    }
    if (bad || seen != nblocks)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "hst: view %u: block area of %u bytes does not hold %u blocks", vi, bsize,
                         nblocks);
    hs_status s = hs_template_add_view(ctx, t, &info, mins, count);
    if (s == HS_ERR_INVALID_ARG)
        s = hs__error(ctx, HS_ERR_CORRUPT, "hst: view %u: %s", vi, hs_ctx_last_error(ctx));
    if (!s && bsize)
        s = hs__template_set_ext(ctx, t, t->nviews - 1, area, bsize);
    hs__skip(r, bsize);
    if (!s && r->pos - start != vlen)
        s = hs__error(ctx, HS_ERR_INTERNAL, "hst: view %u parse length mismatch", vi);
    return s;
}

hs_status hs__hst_decode(hs_ctx *ctx, hs_template **out, const uint8_t *p, size_t n)
{
    *out = NULL;
    if (n < HST_HEADER + HST_CRC)
        return hs__error(ctx, HS_ERR_TRUNCATED, "hst: %zu bytes are shorter than the header", n);
    hs__reader r;
    ld_init(&r, p, n);
    hs__skip(&r, 4);
    uint32_t version = hs__rd_le16(&r);
    uint32_t hsize = hs__rd_le16(&r);
    uint32_t flags = hs__rd_le32(&r);
    uint32_t len = hs__rd_le32(&r);
    if (version == 0)
        return hs__error(ctx, HS_ERR_CORRUPT, "hst: version 0 is invalid");
    if (version > HST_VERSION)
        return hs__error(ctx, HS_ERR_VERSION, "hst: format version %u, this library reads up to %u",
                         version, HST_VERSION);
    if (len > n)
        return hs__error(ctx, HS_ERR_TRUNCATED, "hst: record length %u, only %zu bytes given", len,
                         n);
    if (len != n)
        return hs__error(ctx, HS_ERR_CORRUPT, "hst: record length %u, but %zu bytes given", len, n);
    uint32_t crc = (uint32_t)p[n - 4] | ((uint32_t)p[n - 3] << 8) | ((uint32_t)p[n - 2] << 16) |
                   ((uint32_t)p[n - 1] << 24);
    if (hs__crc32c(0, p, n - 4) != crc)
        return hs__error(ctx, HS_ERR_CHECKSUM, "hst: CRC-32C mismatch: the record is damaged");
    if (hsize < HST_HEADER || hsize > n - HST_CRC)
        return hs__error(ctx, HS_ERR_CORRUPT, "hst: header size %u is invalid", hsize);
    if (flags & HST_FLAGS_CRITICAL)
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "hst: unknown required flags 0x%08x",
                         flags & HST_FLAGS_CRITICAL);
    uint32_t nviews = hs__rd_le32(&r);
    uint32_t equipment = hs__rd_le16(&r);
    hs__skip(&r, 2);
    uint32_t cbeff = hs__rd_le32(&r);
    hs__skip(&r, hsize - 24);
    uint64_t lim = hs__limit(ctx, HS_LIMIT_MAX_VIEWS);
    if (nviews > lim)
        return hs__error(ctx, HS_ERR_LIMIT, "hst: %u views exceed the limit of %llu", nviews,
                         (unsigned long long)lim);
    /* The views are read inside the record without its CRC. */
    ld_init(&r, p, n - HST_CRC);
    hs__skip(&r, hsize);
    hs_template *t;
    hs_status s = hs_template_new(ctx, &t);
    if (s)
        return s;
    t->capture_equipment = (uint16_t)equipment;
    t->cbeff_product_id = cbeff;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    uint64_t mlim = hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE);
    size_t mcap = (size_t)(mlim < 65536 ? mlim : 65536);
    hs_minutia *mins = hs__malloc(a, (mcap ? mcap : 1) * sizeof *mins);
    if (!mins) {
        hs_template_free(t);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < nviews && !s; i++)
        s = decode_view(ctx, t, &r, i, mins);
    if (!s && hs__reader_left(&r))
        s = hs__error(ctx, HS_ERR_CORRUPT, "hst: %zu bytes left after the last view",
                      hs__reader_left(&r));
    hs__free_wiped(a, mins, (mcap ? mcap : 1) * sizeof *mins);
    if (s) {
        hs_template_free(t);
        return s;
    }
    *out = t;
    return HS_OK;
}
