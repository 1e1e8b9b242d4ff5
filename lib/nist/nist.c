/* ANSI/NIST-ITL transactions: the object model, field access, the
 * traditional encoding (tagged records with FS/GS/RS/US separators, binary
 * Types 3-8) and the typed accessors. Every length read from the input is
 * checked against the bytes present before use; messages name the record,
 * field and byte offset. Byte layouts and the quirks of real files that the
 * reader accepts are in docs/nist.md. */
#include "internal/nist.h"
#include "internal/template.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- model ------------------------------------------------------------- */

bool hs__nist_is_binary(uint32_t type)
{
    return type >= 3 && type <= 8;
}

/* The header of a binary record after its 4-byte LEN (.001): its fields in
 * order, each `items` numbers of `bytes` bytes (big-endian); the data field
 * (.009, Type-8 .008) follows. Types 3-7: IDC, IMP, FGP (six bytes, 255 =
 * unused), ISR, HLL, VLL, GCA; Type-8: IDC, SIG, SRT, ISR, HLL, VLL. */
typedef struct bin_field {
    uint8_t num, bytes, items;
} bin_field;

static const bin_field layout_image[] = {
    { 2, 1, 1 }, { 3, 1, 1 }, { 4, 1, 6 }, { 5, 1, 1 }, { 6, 2, 1 }, { 7, 2, 1 }, { 8, 1, 1 },
};
static const bin_field layout_signature[] = {
    { 2, 1, 1 }, { 3, 1, 1 }, { 4, 1, 1 }, { 5, 1, 1 }, { 6, 2, 1 }, { 7, 2, 1 },
};

/* The layout of binary type @p type: *count fields, the data field's number
 * and the header size (LEN included). */
static const bin_field *bin_layout(uint32_t type, size_t *count, uint32_t *data_num, size_t *hdr)
{
    const bin_field *l = type == 8 ? layout_signature : layout_image;
    *count = type == 8 ? sizeof layout_signature / sizeof layout_signature[0]
                       : sizeof layout_image / sizeof layout_image[0];
    *data_num = type == 8 ? 8 : 9;
    *hdr = 4;
    for (size_t i = 0; i < *count; i++)
        *hdr += (size_t)l[i].bytes * l[i].items;
    return l;
}

/* Fields whose value is one binary item (never split at RS/US). */
static bool is_data_field(uint32_t type, uint32_t num)
{
    if (hs__nist_is_binary(type))
        return (type == 8) ? num == 8 : num == 9;
    return num == 999 && type != 1 && type != 2 && type != 9;
}

static void free_record(const hs_allocator *a, hs__nist_record *r)
{
    for (uint32_t i = 0; i < r->nf; i++)
        hs__free_wiped(a, r->f[i].val, r->f[i].len);
    hs__free(a, r->f);
    hs__free(a, r->xml);
    memset(r, 0, sizeof *r);
}

hs_status hs_nist_new(hs_ctx *ctx, hs_nist **out)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_new: out is NULL");
    *out = NULL;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    hs_nist *n = hs__calloc(a, 1, sizeof *n);
    if (!n)
        return hs__error(ctx, HS_ERR_NOMEM, "hs_nist_new: out of memory");
    n->alloc = *a;
    *out = n;
    return HS_OK;
}

void hs_nist_free(hs_nist *n)
{
    if (!n)
        return;
    while (n->nr)
        free_record(&n->alloc, &n->r[--n->nr]);
    hs__free(&n->alloc, n->r);
    HS__OBJECT_FREE(n, hs_nist, 0);
}

hs_status hs__nist_add_record(hs_ctx *ctx, hs_nist *n, uint32_t type, hs__nist_record **out)
{
    if (out)
        *out = NULL;
    if (n->nr >= HS__NIST_MAX_RECORDS)
        return hs__error(ctx, HS_ERR_LIMIT, "transaction: more than %u records",
                         HS__NIST_MAX_RECORDS);
    if (!HS__ARRAY_ROOM(&n->alloc, n->r, n->nr, n->cap, 8))
        return hs__error(ctx, HS_ERR_NOMEM, "transaction: out of memory for records");
    hs__nist_record *r = &n->r[n->nr++];
    memset(r, 0, sizeof *r);
    r->type = type;
    if (out)
        *out = r;
    return HS_OK;
}

hs_status hs__nist_add_field(hs_ctx *ctx, hs_nist *n, hs__nist_record *r, uint32_t num,
                             const char *tag, const void *val, size_t len)
{
    if (r->nf >= HS__NIST_MAX_FIELDS)
        return hs__error(ctx, HS_ERR_LIMIT, "Type-%u record: more than %u fields", r->type,
                         HS__NIST_MAX_FIELDS);
    if (!HS__ARRAY_ROOM(&n->alloc, r->f, r->nf, r->cap, 16))
        return hs__error(ctx, HS_ERR_NOMEM, "Type-%u record: out of memory", r->type);
    hs__nist_field *f = &r->f[r->nf];
    memset(f, 0, sizeof *f);
    f->num = num;
    if (tag) {
        size_t tl = strlen(tag);
        if (tl >= sizeof f->tag)
            return hs__error(ctx, HS_ERR_CORRUPT, "tag %.20s too long", tag);
        memcpy(f->tag, tag, tl + 1);
    }
    if (len) {
        f->val = hs__malloc(&n->alloc, len);
        if (!f->val)
            return hs__error(ctx, HS_ERR_NOMEM, "field %u.%03u: cannot allocate %zu bytes",
                             r->type, num, len);
        memcpy(f->val, val, len);
        f->len = len;
    }
    r->nf++;
    return HS_OK;
}

hs__nist_field *hs__nist_find(const hs__nist_record *r, uint32_t num)
{
    for (uint32_t i = 0; i < r->nf; i++)
        if (r->f[i].num == num)
            return &r->f[i];
    return NULL;
}

void hs__nist_record_touched(hs_nist *n, hs__nist_record *r)
{
    hs__free(&n->alloc, r->xml);
    r->xml = NULL;
    r->xml_len = 0;
    r->xml_unmapped = 0;
}

/* Span [*pos, returned end) of the part of v[0..len) that begins after
 * @p skip separators @p sep from *pos and runs to the next one (or len);
 * false when there are fewer than @p skip. */
static bool nth_part(const uint8_t *v, size_t len, uint8_t sep, uint32_t skip, size_t *pos,
                     size_t *end)
{
    for (uint32_t k = 0;; k++) {
        const uint8_t *q = len > *pos ? memchr(v + *pos, sep, len - *pos) : NULL;
        if (k == skip) {
            *end = q ? (size_t)(q - v) : len;
            return true;
        }
        if (!q)
            return false;
        *pos = (size_t)(q - v) + 1;
    }
}

bool hs__nist_item_span(const uint8_t *v, size_t len, uint32_t si, uint32_t ii,
                        const uint8_t **p, size_t *n)
{
    size_t pos = 0, send, iend;
    if (!nth_part(v, len, HS__NIST_RS, si, &pos, &send) ||
        !nth_part(v, send, HS__NIST_US, ii, &pos, &iend))
        return false;
    *p = v ? v + pos : v; /* an empty value has no bytes (and no pointer) */
    *n = iend - pos;
    return true;
}

static bool parse_u32(const uint8_t *p, size_t n, uint32_t *out)
{
    if (n == 0 || n > 9)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(p[i] - '0');
    }
    *out = v;
    return true;
}

bool hs__nist_item_u32(const hs__nist_field *f, uint32_t si, uint32_t ii, uint32_t *out)
{
    const uint8_t *p;
    size_t n;
    if (!f || !f->val || !hs__nist_item_span(f->val, f->len, si, ii, &p, &n))
        return false;
    return parse_u32(p, n, out);
}

/* ---- traditional decoding ------------------------------------------------ */

typedef struct tdec {
    hs_ctx *ctx;
    hs_nist *n;
    const uint8_t *p;
    size_t size;
} tdec;

/* Parse "T.NNN:" at p[pos..end); on success *type, *num, the tag text and
 * the position after ':'. */
/* Days since 1970-01-01 of a civil date and back (Howard Hinnant's
 * algorithms): gmtime() is not reentrant and gmtime_r() is not C11. */
int64_t hs__nist_days(long y, long m, long d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool hs__nist_gmt(int64_t t, char out[16])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t sec = t - days * 86400;
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    if (y < 0 || y > 9999)
        return false;
    char buf[48];
    if (snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02dZ", (int)y, m, d, (int)(sec / 3600),
                 (int)(sec / 60 % 60), (int)(sec % 60)) != 15)
        return false;
    memcpy(out, buf, 16);
    return true;
}

/* One number of a tag: 1 to @p max digits at p[*i] into *v (copied to
 * tag[*k...]), then the character @p sep (copied, except ':'). */
static bool tag_part(const uint8_t *p, size_t *i, size_t end, size_t max, uint32_t *v,
                     char *tag, size_t *k, char sep)
{
    size_t digits = 0;
    *v = 0;
    while (*i < end && p[*i] >= '0' && p[*i] <= '9' && digits < max) {
        *v = *v * 10 + (uint32_t)(p[*i] - '0');
        tag[(*k)++] = (char)p[(*i)++];
        digits++;
    }
    if (digits == 0 || *i >= end || p[*i] != (uint8_t)sep)
        return false;
    if (sep != ':')
        tag[(*k)++] = (char)p[*i];
    (*i)++;
    return true;
}

static bool parse_tag(const uint8_t *p, size_t pos, size_t end, uint32_t *type, uint32_t *num,
                      char tag[16], size_t *after)
{
    size_t i = pos, k = 0;
    uint32_t t, f;
    if (!tag_part(p, &i, end, 3, &t, tag, &k, '.') || !tag_part(p, &i, end, 9, &f, tag, &k, ':'))
        return false;
    tag[k] = 0;
    *type = t;
    *num = f;
    *after = i;
    return true;
}

/* A short ASCII value of a duplicate T.999 field: printable bytes up to a GS
 * that is followed by the same T.999 tag (docs/nist.md, "duplicate .999"). */
static bool short_999(const uint8_t *p, size_t pos, size_t end, const char *tag)
{
    size_t tl = strlen(tag);
    for (size_t i = pos; i < end && i - pos < 64; i++) {
        if (p[i] == HS__NIST_GS)
            return end - i - 1 > tl && memcmp(p + i + 1, tag, tl) == 0 && p[i + 1 + tl] == ':';
        if (p[i] < 0x20 || p[i] > 0x7E)
            return false;
    }
    return false;
}

static hs_status decode_tagged(tdec *d, size_t *pos, uint32_t want_type, uint32_t index)
{
    hs_ctx *ctx = d->ctx;
    const uint8_t *p = d->p;
    size_t start = *pos;
    uint32_t type, num;
    char tag[16];
    size_t vpos;
    if (!parse_tag(p, start, d->size, &type, &num, tag, &vpos))
        return hs__error(ctx, HS_ERR_CORRUPT, "record %u at offset %zu: no field tag", index + 1,
                         start);
    if (num != 1)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "record %u at offset %zu: first field is %s, not LEN (.001)",
                         index + 1, start, tag);
    if (want_type && type != want_type)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "record %u at offset %zu: CNT (1.003) says Type-%u, the record is Type-%u",
                         index + 1, start, want_type, type);
    size_t i = vpos;
    uint32_t len = 0;
    size_t digits = 0;
    while (i < d->size && p[i] >= '0' && p[i] <= '9') {
        if (++digits > 9)
            return hs__error(ctx, HS_ERR_CORRUPT, "record %u (Type-%u) at offset %zu: LEN too long",
                             index + 1, type, start);
        len = len * 10 + (uint32_t)(p[i++] - '0');
    }
    if (digits == 0 || i >= d->size || (p[i] != HS__NIST_GS && p[i] != HS__NIST_FS))
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "record %u (Type-%u) at offset %zu: LEN is not a number followed by GS",
                         index + 1, type, start);
    if (len < i - start + 1)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "record %u (Type-%u) at offset %zu: LEN %u is shorter than the LEN field",
                         index + 1, type, start, len);
    if (len > d->size - start)
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "record %u (Type-%u) at offset %zu: LEN %u but only %zu bytes left",
                         index + 1, type, start, len, d->size - start);
    size_t end = start + len; /* one past the record's FS */
    if (p[end - 1] != HS__NIST_FS)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "record %u (Type-%u) at offset %zu: byte %zu (end of LEN %u) is not FS",
                         index + 1, type, start, end - 1, len);
    hs__nist_record *r;
    hs_status s = hs__nist_add_record(ctx, d->n, type, &r);
    if (s)
        return s;
    size_t fpos = start;
    for (;;) {
        uint32_t ft, fn;
        char ftag[16];
        size_t v0;
        if (!parse_tag(p, fpos, end - 1, &ft, &fn, ftag, &v0))
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "record %u (Type-%u) at offset %zu: no field tag (missing GS?)",
                             index + 1, type, fpos);
        size_t v1;
        if (fn == 999 && is_data_field(type, fn) && !short_999(p, v0, end - 1, ftag)) {
            v1 = end - 1; /* binary data runs to the record's FS */
        } else {
            v1 = v0;
            while (v1 < end - 1 && p[v1] != HS__NIST_GS && p[v1] != HS__NIST_FS)
                v1++;
            if (p[v1] == HS__NIST_FS && v1 != end - 1)
                return hs__error(ctx, HS_ERR_CORRUPT,
                                 "record %u (Type-%u) field %s at offset %zu: FS before the end "
                                 "given by LEN %u",
                                 index + 1, type, ftag, v1, len);
        }
        s = hs__nist_add_field(ctx, d->n, r, fn, ftag, p + v0, v1 - v0);
        if (s)
            return s;
        if (v1 == end - 1)
            break;
        fpos = v1 + 1;
    }
    *pos = end;
    return HS_OK;
}

static hs_status add_num_field(hs_ctx *ctx, hs_nist *n, hs__nist_record *r, uint32_t num,
                               uint32_t v)
{
    char buf[16];
    int k = snprintf(buf, sizeof buf, "%u", v);
    return hs__nist_add_field(ctx, n, r, num, NULL, buf, (size_t)k);
}

static hs_status decode_binary(tdec *d, size_t *pos, uint32_t type, uint32_t index)
{
    hs_ctx *ctx = d->ctx;
    size_t start = *pos, nparts, hdr;
    uint32_t data_num;
    const bin_field *lay = bin_layout(type, &nparts, &data_num, &hdr);
    if (d->size - start < 4)
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "record %u (Type-%u) at offset %zu: no room for its 4-byte length",
                         index + 1, type, start);
    hs__reader rd;
    hs__reader_init(&rd, d->p + start, d->size - start);
    uint32_t len = hs__rd_be32(&rd);
    if (len < hdr)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "record %u (Type-%u) at offset %zu: length %u below the %zu-byte header",
                         index + 1, type, start, len, hdr);
    if (len > d->size - start)
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "record %u (Type-%u) at offset %zu: length %u but only %zu bytes left",
                         index + 1, type, start, len, d->size - start);
    hs__nist_record *r;
    hs_status s = hs__nist_add_record(ctx, d->n, type, &r);
    if (s)
        return s;
    s = add_num_field(ctx, d->n, r, 1, len);
    for (size_t k = 0; k < nparts && !s; k++) {
        char text[6 * 6];
        int tl = 0;
        for (uint32_t i = 0; i < lay[k].items; i++)
            tl += snprintf(text + tl, sizeof text - (size_t)tl, i ? "\x1f%u" : "%u",
                           lay[k].bytes == 2 ? (unsigned)hs__rd_be16(&rd)
                                             : (unsigned)hs__rd_u8(&rd));
        s = hs__nist_add_field(ctx, d->n, r, lay[k].num, NULL, text, (size_t)tl);
    }
    if (!s)
        s = hs__nist_add_field(ctx, d->n, r, data_num, NULL, d->p + start + hdr, len - hdr);
    if (s)
        return s;
    *pos = start + len;
    return HS_OK;
}

hs_status hs__nist_decode_traditional(hs_ctx *ctx, hs_nist *n, const uint8_t *p, size_t size)
{
    tdec d = { ctx, n, p, size };
    size_t pos = 0;
    hs_status s = decode_tagged(&d, &pos, 1, 0);
    if (s)
        return s;
    hs__nist_field *cnt = hs__nist_find(&n->r[0], 3);
    if (!cnt)
        return hs__error(ctx, HS_ERR_CORRUPT, "Type-1 record: no CNT field (1.003)");
    uint32_t first = 0, count = 0;
    const uint8_t *xp;
    size_t xl;
    if (!hs__nist_item_u32(cnt, 0, 0, &first) || first != 1 ||
        !hs__nist_item_u32(cnt, 0, 1, &count) || hs__nist_item_span(cnt->val, cnt->len, 0, 2, &xp, &xl))
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "field 1.003 CNT: first subfield is not 1<US>record count");
    if (count >= HS__NIST_MAX_RECORDS)
        return hs__error(ctx, HS_ERR_LIMIT, "field 1.003 CNT: %u records (at most %u)", count,
                         HS__NIST_MAX_RECORDS - 1);
    uint32_t subfields = 1;
    for (size_t i = 0; i < cnt->len; i++)
        subfields += cnt->val[i] == HS__NIST_RS;
    if (subfields - 1 != count)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "field 1.003 CNT: says %u records but lists %u", count, subfields - 1);
    for (uint32_t i = 1; i <= count; i++) {
        uint32_t type, idc;
        const uint8_t *ip;
        size_t il;
        if (!hs__nist_item_u32(cnt, i, 0, &type) || type == 0 || type > 99 || type == 1)
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "field 1.003 CNT, subfield %u: record type is not 2-99", i + 1);
        if (!hs__nist_item_u32(cnt, i, 1, &idc) || hs__nist_item_span(cnt->val, cnt->len, i, 2, &ip, &il))
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "field 1.003 CNT, subfield %u: not a record type and a numeric IDC",
                             i + 1);
        if (pos >= size)
            return hs__error(ctx, HS_ERR_TRUNCATED,
                             "CNT (1.003) lists %u records, the data ends after %u", count + 1, i);
        s = hs__nist_is_binary(type) ? decode_binary(&d, &pos, type, i)
                                     : decode_tagged(&d, &pos, type, i);
        if (s)
            return s;
    }
    if (pos != size)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "%zu bytes after the last record CNT (1.003) lists (offset %zu)",
                         size - pos, pos);
    return HS_OK;
}

/* ---- traditional encoding ----------------------------------------------- */

static size_t udigits(uint64_t v)
{
    size_t d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

static void tag_text(char out[24], uint32_t type, const hs__nist_field *f)
{
    if (f->tag[0])
        snprintf(out, 24, "%s", f->tag);
    else
        snprintf(out, 24, "%u.%03u", type, f->num);
}

/* CNT written as the records are, unless the one stored already says so
 * (kept byte for byte, with its IDC spelling). */
static hs_status cnt_value(hs_ctx *ctx, const hs_nist *n, hs__writer *w)
{
    const hs__nist_field *cnt = hs__nist_find(&n->r[0], 3);
    bool keep = cnt != NULL;
    if (keep) {
        uint32_t first, count;
        keep = hs__nist_item_u32(cnt, 0, 0, &first) && first == 1 &&
               hs__nist_item_u32(cnt, 0, 1, &count) && count == n->nr - 1;
        uint32_t subs = 1;
        for (size_t i = 0; keep && i < cnt->len; i++)
            subs += cnt->val[i] == HS__NIST_RS;
        keep = keep && subs == n->nr;
        for (uint32_t i = 1; keep && i < n->nr; i++) {
            /* An IDC that disagrees with the record's is kept as written
             * (hs_nist_validate() reports it). */
            uint32_t t, idc;
            keep = hs__nist_item_u32(cnt, i, 0, &t) && t == n->r[i].type &&
                   hs__nist_item_u32(cnt, i, 1, &idc);
        }
    }
    if (keep) {
        hs__wr_bytes(w, cnt->val, cnt->len);
        return HS_OK;
    }
    char buf[32];
    int k = snprintf(buf, sizeof buf, "1\x1f%u", n->nr - 1);
    hs__wr_bytes(w, buf, (size_t)k);
    for (uint32_t i = 1; i < n->nr; i++) {
        uint32_t idc = 0;
        hs__nist_item_u32(hs__nist_find(&n->r[i], 2), 0, 0, &idc);
        k = snprintf(buf, sizeof buf, "\x1e%u\x1f%02u", n->r[i].type, idc);
        hs__wr_bytes(w, buf, (size_t)k);
    }
    (void)ctx;
    return HS_OK;
}

static hs_status encode_tagged(hs_ctx *ctx, hs__writer *w, const hs_nist *n, uint32_t ri)
{
    const hs__nist_record *r = &n->r[ri];
    /* Body length without the LEN value: every field as "tag:value" plus one
     * separator; LEN's own digits are added until the count is stable. */
    size_t body = 0;
    /* LEN is the first field (the reader insists); CNT the first 1.003. A
     * repeated tag of either is an ordinary field. */
    bool have_len = r->nf && r->f[0].num == 1;
    const hs__nist_field *cnt = ri == 0 ? hs__nist_find(r, 3) : NULL;
    hs__writer cw;
    hs__writer_init(&cw, NULL);
    for (uint32_t i = 0; i < r->nf; i++) {
        const hs__nist_field *f = &r->f[i];
        char tag[24];
        tag_text(tag, r->type, f);
        body += strlen(tag) + 2;
        if (i == 0 && have_len)
            continue;
        if (f == cnt) {
            cnt_value(ctx, n, &cw);
            body += cw.len;
        } else {
            body += f->len;
        }
    }
    char tag1[24];
    if (!have_len) {
        snprintf(tag1, sizeof tag1, "%u.001", r->type);
        body += strlen(tag1) + 2;
    }
    size_t total = body + 1;
    while (body + udigits(total) != total)
        total = body + udigits(total);
    char num[24];
    int k;
    if (!have_len) {
        k = snprintf(num, sizeof num, "%s:%zu", tag1, total);
        hs__wr_bytes(w, num, (size_t)k);
        hs__wr_u8(w, r->nf ? HS__NIST_GS : HS__NIST_FS);
    }
    for (uint32_t i = 0; i < r->nf; i++) {
        const hs__nist_field *f = &r->f[i];
        char tag[24];
        tag_text(tag, r->type, f);
        hs__wr_bytes(w, tag, strlen(tag));
        hs__wr_u8(w, ':');
        if (i == 0 && have_len) {
            k = snprintf(num, sizeof num, "%zu", total);
            hs__wr_bytes(w, num, (size_t)k);
        } else if (f == cnt) {
            cnt_value(ctx, n, w);
        } else {
            if (!is_data_field(r->type, f->num) && f->val &&
                (memchr(f->val, HS__NIST_FS, f->len) || memchr(f->val, HS__NIST_GS, f->len)))
                return hs__error(ctx, HS_ERR_CORRUPT, "field %s: FS or GS inside its value", tag);
            /* Data that begins like a short duplicate .999 field would be
             * read back as two fields (docs/nist.md). */
            if (f->num == 999 && is_data_field(r->type, f->num) && f->len &&
                short_999(f->val, 0, f->len, tag))
                return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                 "field %s: the data begins with text, GS and another %s tag, "
                                 "which reads back as two fields",
                                 tag, tag);
            hs__wr_bytes(w, f->val, f->len);
        }
        hs__wr_u8(w, i + 1 == r->nf ? HS__NIST_FS : HS__NIST_GS);
    }
    return HS_OK;
}

static hs_status bin_value(hs_ctx *ctx, const hs__nist_record *r, uint32_t num, uint32_t item,
                           uint32_t max, uint32_t *v)
{
    const hs__nist_field *f = hs__nist_find(r, num);
    if (!hs__nist_item_u32(f, 0, item, v) || *v > max)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "Type-%u field %u.%03u: missing, or not a number 0-%u", r->type,
                         r->type, num, max);
    return HS_OK;
}

static hs_status encode_binary(hs_ctx *ctx, hs__writer *w, const hs__nist_record *r)
{
    size_t nparts, hdr;
    uint32_t data_num;
    const bin_field *lay = bin_layout(r->type, &nparts, &data_num, &hdr);
    const hs__nist_field *data = hs__nist_find(r, data_num);
    size_t dlen = data ? data->len : 0;
    if (dlen > UINT32_MAX - hdr)
        return hs__error(ctx, HS_ERR_CORRUPT, "Type-%u record: data too large", r->type);
    uint32_t v[16];
    uint32_t nv = 0;
    for (size_t k = 0; k < nparts; k++)
        for (uint32_t i = 0; i < lay[k].items; i++) {
            hs_status s = bin_value(ctx, r, lay[k].num, i, lay[k].bytes == 2 ? 65535 : 255,
                                    &v[nv++]);
            if (s)
                return s;
        }
    hs__wr_be32(w, (uint32_t)(hdr + dlen));
    nv = 0;
    for (size_t k = 0; k < nparts; k++)
        for (uint32_t i = 0; i < lay[k].items; i++, nv++) {
            if (lay[k].bytes == 2)
                hs__wr_be16(w, (uint16_t)v[nv]);
            else
                hs__wr_u8(w, (uint8_t)v[nv]);
        }
    if (dlen)
        hs__wr_bytes(w, data->val, dlen);
    return HS_OK;
}

hs_status hs__nist_encode_traditional(hs_ctx *ctx, hs__writer *w, const hs_nist *n,
                                      uint32_t flags)
{
    (void)flags;
    if (n->nr == 0 || n->r[0].type != 1)
        return hs__error(ctx, HS_ERR_CORRUPT, "transaction: the first record is not Type-1");
    for (uint32_t i = 0; i < n->nr; i++) {
        if (i && n->r[i].type == 1)
            return hs__error(ctx, HS_ERR_CORRUPT, "record %u: a second Type-1 record", i + 1);
        if (n->r[i].xml_unmapped && !(flags & HS_NIST_ALLOW_LOSS))
            return hs__error(ctx, HS_ERR_UNSUPPORTED,
                             "record %u (Type-%u): %u XML elements have no traditional field "
                             "(HS_NIST_ALLOW_LOSS drops them)",
                             i + 1, n->r[i].type, n->r[i].xml_unmapped);
        hs_status s = hs__nist_is_binary(n->r[i].type) ? encode_binary(ctx, w, &n->r[i])
                                                        : encode_tagged(ctx, w, n, i);
        if (s)
            return s;
    }
    if (w->failed)
        return hs__error(ctx, HS_ERR_NOMEM, "transaction: out of memory while encoding");
    return HS_OK;
}

/* ---- public decode / encode ---------------------------------------------- */

static bool looks_xml(const uint8_t *p, size_t size)
{
    size_t i = 0;
    if (size >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < size && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < size && p[i] == '<';
}

hs_status hs_nist_decode(hs_ctx *ctx, hs_nist **out, uint32_t *encoding, const void *data,
                         size_t size, uint32_t flags)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_decode: out is NULL");
    *out = NULL;
    if (!data && size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_decode: data is NULL");
    if (flags)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_decode: flags must be 0");
    uint64_t max = hs__limit(ctx, HS_LIMIT_MAX_FILE_BYTES);
    if ((uint64_t)size > max)
        return hs__error(ctx, HS_ERR_LIMIT, "transaction of %zu bytes exceeds the limit of %llu",
                         size, (unsigned long long)max);
    const uint8_t *p = data;
    uint32_t enc;
    if (size >= 4 && p[0] == '1' && p[1] == '.' && p[2] == '0')
        enc = HS_NIST_ENCODING_TRADITIONAL;
    else if (looks_xml(p, size))
        enc = HS_NIST_ENCODING_XML;
    else
        return hs__error(ctx, HS_ERR_FORMAT,
                         "not an ANSI/NIST-ITL transaction (neither \"1.0\" nor XML at offset 0)");
    hs_nist *n;
    hs_status s = hs_nist_new(ctx, &n);
    if (s)
        return s;
    s = enc == HS_NIST_ENCODING_TRADITIONAL ? hs__nist_decode_traditional(ctx, n, p, size)
                                             : hs__nist_decode_xml(ctx, n, p, size);
    if (s) {
        hs_nist_free(n);
        return s;
    }
    *out = n;
    if (encoding)
        *encoding = enc;
    return HS_OK;
}

/* hs_nist_load's arguments for the decode of the file's bytes. */
typedef struct load_args {
    uint32_t *encoding;
    uint32_t flags;
} load_args;

static hs_status decode_loaded(hs_ctx *ctx, void *out, const uint8_t *data, size_t size,
                               const void *arg)
{
    const load_args *la = arg;
    return hs_nist_decode(ctx, out, la->encoding, data, size, la->flags);
}

hs_status hs_nist_load(hs_ctx *ctx, hs_nist **out, uint32_t *encoding, const char *path,
                       uint32_t flags)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_load: out is NULL");
    *out = NULL;
    load_args la = {encoding, flags};
    return hs__load_file(ctx, out, path, decode_loaded, &la);
}

/* Encode @p n into a new writer *w (freed by the caller in every case). */
static hs_status encode_any(hs_ctx *ctx, hs__writer *w, const hs_nist *n,
                            hs_nist_encoding encoding, uint32_t flags, const char *fn)
{
    hs__writer_init(w, hs__ctx_allocator(ctx));
    if (!n)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: transaction is NULL", fn);
    if (flags & ~HS_NIST_ALLOW_LOSS)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: unknown flags 0x%x", fn, flags);
    hs_status s;
    if (encoding == HS_NIST_ENCODING_TRADITIONAL)
        s = hs__nist_encode_traditional(ctx, w, n, flags);
    else if (encoding == HS_NIST_ENCODING_XML)
        s = hs__nist_encode_xml(ctx, w, n, flags);
    else
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: unknown encoding %d", fn, (int)encoding);
    if (!s && w->failed)
        s = hs__error(ctx, HS_ERR_NOMEM, "%s: out of memory", fn);
    return s;
}

/* hs_nist_encode (path NULL: into buf, a size query) and hs_nist_save (the
 * file at path, through the atomic save); fn names the caller in errors. */
static hs_status encode_out(hs_ctx *ctx, void *buf, size_t *size, const char *path,
                            const hs_nist *n, hs_nist_encoding encoding, uint32_t flags,
                            const char *fn)
{
    hs__writer w;
    hs_status s = encode_any(ctx, &w, n, encoding, flags, fn);
    if (!s)
        s = path ? hs__write_file_atomic(ctx, path, w.buf, w.len, HS_FILE_PRIVATE)
                 : hs__writer_output(ctx, &w, buf, size);
    hs__writer_free(&w);
    return s;
}

hs_status hs_nist_encode(hs_ctx *ctx, void *buf, size_t *size, const hs_nist *n,
                         hs_nist_encoding encoding, uint32_t flags)
{
    if (!size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_encode: size is NULL");
    return encode_out(ctx, buf, size, NULL, n, encoding, flags, "hs_nist_encode");
}

hs_status hs_nist_save(hs_ctx *ctx, const char *path, const hs_nist *n,
                       hs_nist_encoding encoding, uint32_t flags)
{
    if (!path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_save: path is NULL");
    return encode_out(ctx, NULL, NULL, path, n, encoding, flags, "hs_nist_save");
}

/* ---- field access --------------------------------------------------------- */

uint32_t hs_nist_record_count(const hs_nist *n)
{
    return n ? n->nr : 0;
}

uint32_t hs_nist_record_type(const hs_nist *n, uint32_t record)
{
    return n && record < n->nr ? n->r[record].type : 0;
}

uint32_t hs_nist_field_count(const hs_nist *n, uint32_t record)
{
    return n && record < n->nr ? n->r[record].nf : 0;
}

uint32_t hs_nist_field_number(const hs_nist *n, uint32_t record, uint32_t index)
{
    if (!n || record >= n->nr || index >= n->r[record].nf)
        return 0;
    return n->r[record].f[index].num;
}

static const hs__nist_field *get_field(const hs_nist *n, uint32_t record, uint32_t field)
{
    if (!n || record >= n->nr)
        return NULL;
    return hs__nist_find(&n->r[record], field);
}

const uint8_t *hs_nist_field(const hs_nist *n, size_t *size, uint32_t record, uint32_t field)
{
    const hs__nist_field *f = get_field(n, record, field);
    if (size)
        *size = f ? f->len : 0;
    if (!f)
        return NULL;
    static const uint8_t empty[1] = { 0 };
    return f->val ? f->val : empty;
}

const uint8_t *hs_nist_field_at(const hs_nist *n, size_t *size, uint32_t record, uint32_t index)
{
    const hs__nist_field *f =
        n && record < n->nr && index < n->r[record].nf ? &n->r[record].f[index] : NULL;
    if (size)
        *size = f ? f->len : 0;
    if (!f)
        return NULL;
    static const uint8_t empty[1] = { 0 };
    return f->val ? f->val : empty;
}

uint32_t hs_nist_subfield_count(const hs_nist *n, uint32_t record, uint32_t field)
{
    const hs__nist_field *f = get_field(n, record, field);
    if (!f)
        return 0;
    if (is_data_field(n->r[record].type, field))
        return 1;
    uint32_t c = 1;
    for (size_t i = 0; i < f->len; i++)
        c += f->val[i] == HS__NIST_RS;
    return c;
}

uint32_t hs_nist_item_count(const hs_nist *n, uint32_t record, uint32_t field, uint32_t subfield)
{
    const hs__nist_field *f = get_field(n, record, field);
    if (!f)
        return 0;
    if (is_data_field(n->r[record].type, field))
        return subfield == 0;
    const uint8_t *p;
    size_t len;
    if (!hs__nist_item_span(f->val, f->len, subfield, 0, &p, &len))
        return 0;
    if (f->len == 0) /* one empty subfield of one empty item */
        return subfield == 0;
    const uint8_t *end = memchr(p, HS__NIST_RS, f->len - (size_t)(p - f->val));
    size_t slen = end ? (size_t)(end - p) : f->len - (size_t)(p - f->val);
    uint32_t c = 1;
    for (size_t i = 0; i < slen; i++)
        c += p[i] == HS__NIST_US;
    return c;
}

static hs_status out_text(hs_ctx *ctx, char *buf, size_t *size, const uint8_t *p, size_t n)
{
    if (!size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "size is NULL");
    size_t need = n + 1;
    if (!buf) {
        *size = need;
        return HS_OK;
    }
    if (*size < need) {
        *size = need;
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "buffer of %zu bytes, %zu needed", *size,
                         need);
    }
    if (n)
        memcpy(buf, p, n);
    buf[n] = 0;
    *size = need;
    return HS_OK;
}

hs_status hs_nist_item(hs_ctx *ctx, char *buf, size_t *size, const hs_nist *n, uint32_t record,
                       uint32_t field, uint32_t subfield, uint32_t item)
{
    const hs__nist_field *f = get_field(n, record, field);
    if (!f)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "record %u has no field %u", record, field);
    const uint8_t *p = f->val;
    size_t len = f->len;
    if (is_data_field(n->r[record].type, field)) {
        if (subfield || item)
            return hs__error(ctx, HS_ERR_NOT_FOUND, "field %u is one binary item", field);
    } else if (!hs__nist_item_span(f->val, f->len, subfield, item, &p, &len)) {
        return hs__error(ctx, HS_ERR_NOT_FOUND, "field %u.%03u has no subfield %u item %u",
                         n->r[record].type, field, subfield, item);
    }
    return out_text(ctx, buf, size, p, len);
}

hs_status hs_nist_record_add(hs_ctx *ctx, uint32_t *record, hs_nist *n, uint32_t type)
{
    if (!n || type == 0 || type > 99)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_record_add: type must be 1-99");
    if (type == 1 && n->nr)
        return hs__error(ctx, n->r[0].type == 1 ? HS_ERR_EXISTS : HS_ERR_INVALID_ARG,
                         "hs_nist_record_add: Type-1 must be the one first record");
    if (type != 1 && n->nr == 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_record_add: add the Type-1 record first");
    uint32_t idc = 0;
    for (uint32_t i = 1; i < n->nr; i++) {
        uint32_t v;
        if (hs__nist_item_u32(hs__nist_find(&n->r[i], 2), 0, 0, &v) && v + 1 > idc)
            idc = v + 1;
    }
    hs__nist_record *r;
    hs_status s = hs__nist_add_record(ctx, n, type, &r);
    if (s)
        return s;
    char b[8];
    s = add_num_field(ctx, n, r, 1, 0);
    if (!s && hs__nist_is_binary(type)) {
        size_t nparts, hdr;
        uint32_t last;
        const bin_field *lay = bin_layout(type, &nparts, &last, &hdr);
        for (size_t k = 0; k < nparts && !s; k++) {
            if (lay[k].num == 2)
                s = add_num_field(ctx, n, r, 2, idc > 255 ? 255 : idc);
            else if (lay[k].items == 6) /* FGP: no position */
                s = hs__nist_add_field(ctx, n, r, lay[k].num, NULL,
                                       "255\x1f" "255\x1f" "255\x1f" "255\x1f" "255\x1f" "255", 23);
            else
                s = add_num_field(ctx, n, r, lay[k].num, 0);
        }
        if (!s)
            s = hs__nist_add_field(ctx, n, r, last, NULL, NULL, 0);
    } else if (!s && type == 1) {
        /* CNT is rewritten by the encoder from the records. */
        s = hs__nist_add_field(ctx, n, r, 3, NULL, "1\x1f" "0", 3);
    } else if (!s) {
        int k = snprintf(b, sizeof b, "%02u", idc);
        s = hs__nist_add_field(ctx, n, r, 2, NULL, b, (size_t)k);
    }
    if (s) {
        free_record(&n->alloc, &n->r[--n->nr]);
        return s;
    }
    if (record)
        *record = n->nr - 1;
    return HS_OK;
}

hs_status hs_nist_field_set(hs_ctx *ctx, hs_nist *n, uint32_t record, uint32_t field,
                            const void *data, size_t size)
{
    if (!n || (!data && size) || field == 0 || field > 999999)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_field_set: bad arguments");
    if (record >= n->nr)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "no record %u", record);
    hs__nist_record *r = &n->r[record];
    if (field == 1)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "field %u.001 LEN is computed by the encoder",
                         r->type);
    const uint8_t *p = data;
    if (!is_data_field(r->type, field) && size &&
        (memchr(p, HS__NIST_FS, size) || memchr(p, HS__NIST_GS, size)))
        return hs__error(ctx, HS_ERR_CORRUPT, "field %u.%03u: FS or GS inside the value", r->type,
                         field);
    if (hs__nist_is_binary(r->type)) {
        size_t nparts, hdr, k = 0;
        uint32_t last;
        const bin_field *lay = bin_layout(r->type, &nparts, &last, &hdr);
        while (k < nparts && lay[k].num != field)
            k++;
        if (k == nparts && field != last)
            return hs__error(ctx, HS_ERR_CORRUPT, "Type-%u record has no field %u", r->type, field);
        if (field != last) {
            uint32_t items = lay[k].items;
            uint32_t max = lay[k].bytes == 2 ? 65535 : 255;
            hs__nist_field tmp = { field, "", (uint8_t *)(uintptr_t)p, size };
            for (uint32_t i = 0; i < items; i++) {
                uint32_t v;
                const uint8_t *q;
                size_t ql;
                if (!hs__nist_item_u32(&tmp, 0, i, &v) || v > max ||
                    (i + 1 == items && hs__nist_item_span(p, size, 0, items, &q, &ql)))
                    return hs__error(ctx, HS_ERR_CORRUPT,
                                     "field %u.%03u: needs %u number(s) 0-%u", r->type, field,
                                     items, max);
            }
        }
    }
    uint8_t *copy;
    if (hs__memdup(ctx, &n->alloc, &copy, p, size))
        return HS_ERR_NOMEM;
    hs__nist_field *f = hs__nist_find(r, field);
    if (f) {
        hs__free_wiped(&n->alloc, f->val, f->len);
        f->val = copy;
        f->len = size;
        hs__nist_record_touched(n, r);
        return HS_OK;
    }
    uint32_t at = r->nf;
    for (uint32_t i = 0; i < r->nf; i++)
        if (r->f[i].num > field) {
            at = i;
            break;
        }
    hs_status s = hs__nist_add_field(ctx, n, r, field, NULL, NULL, 0);
    if (s) {
        hs__free(&n->alloc, copy);
        return s;
    }
    hs__nist_field nf = r->f[r->nf - 1];
    memmove(&r->f[at + 1], &r->f[at], (size_t)(r->nf - 1 - at) * sizeof nf);
    nf.val = copy;
    nf.len = size;
    r->f[at] = nf;
    hs__nist_record_touched(n, r);
    return HS_OK;
}

hs_status hs_nist_field_remove(hs_ctx *ctx, hs_nist *n, uint32_t record, uint32_t field)
{
    if (!n)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_field_remove: n is NULL");
    if (record >= n->nr)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "no record %u", record);
    hs__nist_record *r = &n->r[record];
    if (field == 1 || hs__nist_is_binary(r->type))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "field %u.%03u cannot be removed", r->type, field);
    uint32_t k = 0, removed = 0;
    for (uint32_t i = 0; i < r->nf; i++) {
        if (r->f[i].num == field) {
            hs__free_wiped(&n->alloc, r->f[i].val, r->f[i].len);
            removed++;
        } else {
            r->f[k++] = r->f[i];
        }
    }
    r->nf = k;
    if (!removed)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "record %u has no field %u", record, field);
    hs__nist_record_touched(n, r);
    return HS_OK;
}

/* ---- typed access ------------------------------------------------------- */

hs_status hs_nist_text_get(hs_ctx *ctx, char *buf, size_t *size, const hs_nist *n,
                           hs_nist_text key)
{
    static const struct { uint32_t field, item; } map[] = {
        { 0, 0 }, { 2, 0 }, { 4, 0 }, { 5, 0 }, { 7, 0 }, { 8, 0 },
        { 9, 0 }, { 10, 0 }, { 13, 0 }, { 14, 0 }, { 17, 0 }, { 17, 1 },
    };
    if ((int)key < 1 || (int)key > HS_NIST_TEXT_ORI_NAME)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_text_get: unknown key %d", (int)key);
    if (!n || n->nr == 0 || n->r[0].type != 1)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "no Type-1 record");
    const hs__nist_field *f = hs__nist_find(&n->r[0], map[key].field);
    const uint8_t *p;
    size_t len;
    if (!f || !hs__nist_item_span(f->val, f->len, 0, map[key].item, &p, &len))
        return hs__error(ctx, HS_ERR_NOT_FOUND, "Type-1 has no field 1.%03u (item %u)",
                         map[key].field, map[key].item + 1);
    return out_text(ctx, buf, size, p, len);
}

static bool is_image_type(uint32_t t)
{
    return (t >= 3 && t <= 8) || t == 10 || (t >= 13 && t <= 17) || t == 19 || t == 20;
}

static const hs__nist_record *image_record(const hs_nist *n, uint32_t index, uint32_t *ri)
{
    if (!n)
        return NULL;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n->nr; i++) {
        const hs__nist_record *r = &n->r[i];
        if (!is_image_type(r->type))
            continue;
        if (!hs__nist_find(r, hs__nist_is_binary(r->type) ? (r->type == 8 ? 8 : 9) : 999))
            continue;
        if (k++ == index) {
            if (ri)
                *ri = i;
            return r;
        }
    }
    return NULL;
}

uint32_t hs_nist_image_count(const hs_nist *n)
{
    uint32_t c = 0;
    while (image_record(n, c, NULL))
        c++;
    return c;
}

/* The real data field of a tagged image record: the last .999 (earlier
 * ones are the short ASCII duplicates of docs/nist.md). */
static const hs__nist_field *data_field(const hs__nist_record *r)
{
    if (hs__nist_is_binary(r->type))
        return hs__nist_find(r, r->type == 8 ? 8 : 9);
    const hs__nist_field *d = NULL;
    for (uint32_t i = 0; i < r->nf; i++)
        if (r->f[i].num == 999)
            d = &r->f[i];
    return d;
}

static uint32_t compression_code(const uint8_t *p, size_t n)
{
    static const struct { const char *name; uint32_t code; } c[] = {
        { "NONE", HS_NIST_COMPRESSION_NONE }, { "WSQ20", HS_NIST_COMPRESSION_WSQ },
        { "WSQ", HS_NIST_COMPRESSION_WSQ },   { "JPEGB", HS_NIST_COMPRESSION_JPEGB },
        { "JPEGL", HS_NIST_COMPRESSION_JPEGL }, { "JP2", HS_NIST_COMPRESSION_JP2 },
        { "JP2L", HS_NIST_COMPRESSION_JP2L }, { "PNG", HS_NIST_COMPRESSION_PNG },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        if (strlen(c[i].name) == n && memcmp(c[i].name, p, n) == 0)
            return c[i].code;
    return HS_NIST_COMPRESSION_OTHER;
}

/* "19.69" pixels per mm -> ppi. */
static uint32_t ppmm_to_ppi(const hs__nist_field *f)
{
    if (!f || f->len == 0 || f->len > 8)
        return 0;
    char b[9];
    memcpy(b, f->val, f->len);
    b[f->len] = 0;
    double v = 0, scale = 0;
    for (size_t i = 0; i < f->len; i++) {
        if (b[i] == '.' && scale == 0)
            scale = 1;
        else if (b[i] >= '0' && b[i] <= '9') {
            v = v * 10 + (b[i] - '0');
            if (scale != 0)
                scale *= 10;
        } else
            return 0;
    }
    if (scale != 0)
        v /= scale;
    return (uint32_t)lround(v * 25.4);
}

hs_status hs_nist_image_info_get(hs_ctx *ctx, hs_nist_image_info *info, const hs_nist *n,
                                 uint32_t index)
{
    if (!info || !n)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_image_info_get: NULL argument");
    uint32_t ri;
    const hs__nist_record *r = image_record(n, index, &ri);
    if (!r)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "no image %u (the transaction has %u)", index,
                         hs_nist_image_count(n));
    hs_nist_image_info v = HS_NIST_IMAGE_INFO_INIT;
    uint32_t t = r->type, x = 0;
    v.record = ri;
    v.record_type = t;
    const hs__nist_field *d = data_field(r);
    v.data_size = d ? d->len : 0;
    if (hs__nist_is_binary(t)) {
        v.kind = (t == 7 || t == 8) ? HS_NIST_IMAGE_OTHER : HS_NIST_IMAGE_FINGER;
        hs__nist_item_u32(hs__nist_find(r, 6), 0, 0, &v.width);
        hs__nist_item_u32(hs__nist_find(r, 7), 0, 0, &v.height);
        if (t != 8) {
            hs__nist_item_u32(hs__nist_find(r, 3), 0, 0, &v.impression);
            if (hs__nist_item_u32(hs__nist_find(r, 4), 0, 0, &x) && x != 255)
                v.position = x;
            x = 0;
            hs__nist_item_u32(hs__nist_find(r, 8), 0, 0, &x);
            v.compression = x == 0 ? HS_NIST_COMPRESSION_NONE
                                   : (x == 1 ? HS_NIST_COMPRESSION_WSQ : HS_NIST_COMPRESSION_OTHER);
            v.bits_per_pixel = (t == 5 || t == 6) ? 1 : 8;
        } else {
            hs__nist_item_u32(hs__nist_find(r, 4), 0, 0, &x);
            v.compression = x == 0 ? HS_NIST_COMPRESSION_NONE : HS_NIST_COMPRESSION_OTHER;
            v.bits_per_pixel = 1;
        }
        x = 0;
        hs__nist_item_u32(hs__nist_find(r, 5), 0, 0, &x);
        v.ppi = ppmm_to_ppi(hs__nist_find(&n->r[0], x ? 12 : 11));
    } else {
        /* Every tagged image record keeps HLL .006, VLL .007, SLC .008,
         * horizontal density .009 and compression .011. */
        uint32_t cga = 11;
        hs__nist_item_u32(hs__nist_find(r, 6), 0, 0, &v.width);
        hs__nist_item_u32(hs__nist_find(r, 7), 0, 0, &v.height);
        uint32_t slc = 0, hps = 0;
        hs__nist_item_u32(hs__nist_find(r, 8), 0, 0, &slc);
        hs__nist_item_u32(hs__nist_find(r, 9), 0, 0, &hps);
        v.ppi = slc == 1 ? hps : (slc == 2 ? (uint32_t)lround(hps * 2.54) : 0);
        const hs__nist_field *c = hs__nist_find(r, cga);
        v.compression = c ? compression_code(c->val, c->len) : HS_NIST_COMPRESSION_OTHER;
        v.bits_per_pixel = 8;
        if (t == 13 || t == 14 || t == 15 || t == 16 || t == 17 || t == 19 || t == 20)
            hs__nist_item_u32(hs__nist_find(r, 12), 0, 0, &v.bits_per_pixel);
        if (t == 13 || t == 14 || t == 15) {
            v.kind = t == 15 ? HS_NIST_IMAGE_PALM : HS_NIST_IMAGE_FINGER;
            hs__nist_item_u32(hs__nist_find(r, 3), 0, 0, &v.impression);
            hs__nist_item_u32(hs__nist_find(r, 13), 0, 0, &v.position);
            uint32_t q;
            if (hs__nist_item_u32(hs__nist_find(r, t == 14 ? 22 : 24), 0, 1, &q))
                v.quality = (int32_t)q;
        } else if (t == 10) {
            const hs__nist_field *imt = hs__nist_find(r, 3);
            v.kind = imt && imt->len == 4 && !memcmp(imt->val, "FACE", 4) ? HS_NIST_IMAGE_FACE
                                                                         : HS_NIST_IMAGE_OTHER;
        } else {
            v.kind = HS_NIST_IMAGE_OTHER;
        }
    }
    return hs__struct_out(ctx, info, &v, sizeof v, HS__SIZE_TO(hs_nist_image_info, data_size),
                          "hs_nist_image_info");
}

const uint8_t *hs_nist_image_data(const hs_nist *n, size_t *size, uint32_t index)
{
    const hs__nist_record *r = image_record(n, index, NULL);
    const hs__nist_field *d = r ? data_field(r) : NULL;
    if (size)
        *size = d ? d->len : 0;
    return d ? d->val : NULL;
}

hs_status hs_nist_image_decode(hs_ctx *ctx, hs_image **out, const hs_nist *n, uint32_t index,
                               uint32_t flags)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_image_decode: out is NULL");
    *out = NULL;
    hs_nist_image_info info = HS_NIST_IMAGE_INFO_INIT;
    hs_status s = hs_nist_image_info_get(ctx, &info, n, index);
    if (s)
        return s;
    size_t size;
    const uint8_t *p = hs_nist_image_data(n, &size, index);
    hs_image *img = NULL;
    if (info.compression == HS_NIST_COMPRESSION_NONE) {
        if (info.bits_per_pixel != 8)
            return hs__error(ctx, HS_ERR_UNSUPPORTED,
                             "image %u (record %u): uncompressed %u-bit pixels", index,
                             info.record + 1, info.bits_per_pixel);
        if (info.width == 0 || info.height == 0 ||
            (uint64_t)info.width * info.height != (uint64_t)size)
            return hs__error(ctx, HS_ERR_CORRUPT,
                             "image %u (record %u): %zu bytes of raw pixels, %ux%u needs %llu",
                             index, info.record + 1, size, info.width, info.height,
                             (unsigned long long)info.width * info.height);
        s = hs_image_new(ctx, &img, info.width, info.height,
                         info.ppi <= 10000 ? info.ppi : 0, 0);
        if (s)
            return s;
        uint8_t *px = hs_image_pixels_mut(img);
        uint32_t stride = hs_image_stride(img);
        for (uint32_t y = 0; y < info.height; y++)
            memcpy(px + (size_t)y * stride, p + (size_t)y * info.width, info.width);
    } else if (info.compression == HS_NIST_COMPRESSION_OTHER) {
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "image %u (record %u): unknown compression",
                         index, info.record + 1);
    } else {
        if (!p || size == 0)
            return hs__error(ctx, HS_ERR_CORRUPT, "image %u (record %u): no image data", index,
                             info.record + 1);
        s = hs_image_decode(ctx, &img, p, size, flags);
        if (s)
            return s;
        if (info.ppi && info.ppi <= 10000)
            hs_image_set_ppi(img, info.ppi);
    }
    *out = img;
    return HS_OK;
}

/* ---- Type-9 minutiae ----------------------------------------------------- */

hs_status hs_nist_minutiae(hs_ctx *ctx, hs_template **out, const hs_nist *n, uint32_t record)
{
    if (!out || !n)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_minutiae: NULL argument");
    *out = NULL;
    if (record >= n->nr || n->r[record].type != 9)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "record %u is not a Type-9 record", record);
    const hs__nist_record *r = &n->r[record];
    /* An embedded ISO/ANSI record in any field. */
    for (uint32_t i = 0; i < r->nf; i++) {
        if (r->f[i].len >= 8 && !memcmp(r->f[i].val, "FMR", 4))
            return hs_template_decode(ctx, out, NULL, r->f[i].val, r->f[i].len);
    }
    const hs__nist_field *fmt = hs__nist_find(r, 4);
    const hs__nist_field *mrc = hs__nist_find(r, 12);
    if (!fmt || fmt->len != 1 || fmt->val[0] != 'S' || !mrc)
        return hs__error(ctx, HS_ERR_NOT_FOUND,
                         "record %u: no standard-format minutiae (9.004 FMT S with 9.012 MRC)",
                         record + 1);
    uint32_t nmn = 0;
    if (!hs__nist_item_u32(hs__nist_find(r, 10), 0, 0, &nmn))
        return hs__error(ctx, HS_ERR_CORRUPT, "record %u: field 9.010 NMN missing or not a number",
                         record + 1);
    uint32_t subs = 1;
    for (size_t i = 0; i < mrc->len; i++)
        subs += mrc->val[i] == HS__NIST_RS;
    if (mrc->len == 0)
        subs = 0;
    if (subs != nmn)
        return hs__error(ctx, HS_ERR_CORRUPT, "record %u: 9.010 NMN says %u minutiae, 9.012 has %u",
                         record + 1, nmn, subs);
    if (nmn > hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE))
        return hs__error(ctx, HS_ERR_LIMIT, "record %u: %u minutiae exceed the limit of %llu",
                         record + 1, nmn,
                         (unsigned long long)hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE));
    const hs_allocator *a = hs__ctx_allocator(ctx);
    hs_minutia *m = hs__calloc(a, nmn ? nmn : 1, sizeof *m);
    if (!m)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    /* Image height (pixels at 500 ppi) from the image record with the same
     * IDC; without one, the largest y seen. */
    uint32_t idc = 0, height = 0;
    hs__nist_item_u32(hs__nist_find(r, 2), 0, 0, &idc);
    uint32_t ni = hs_nist_image_count(n);
    hs_nist_image_info ii = HS_NIST_IMAGE_INFO_INIT;
    for (uint32_t i = 0; i < ni; i++) {
        uint32_t iidc;
        if (hs_nist_image_info_get(NULL, &ii, n, i) == HS_OK &&
            hs__nist_item_u32(hs__nist_find(&n->r[ii.record], 2), 0, 0, &iidc) && iidc == idc &&
            ii.kind == HS_NIST_IMAGE_FINGER) {
            height = ii.ppi ? (uint32_t)lround((double)ii.height * 500.0 / ii.ppi) : ii.height;
            break;
        }
    }
    hs_status s = HS_OK;
    double maxy = 0, maxx = 0;
    for (uint32_t i = 0; i < nmn; i++) {
        const uint8_t *p;
        size_t len;
        if (!hs__nist_item_span(mrc->val, mrc->len, i, 1, &p, &len) || len != 11) {
            s = hs__error(ctx, HS_ERR_CORRUPT,
                          "record %u field 9.012 subfield %u: location is not XXXXYYYYTTT",
                          record + 1, i + 1);
            break;
        }
        uint32_t x, y, t;
        if (!parse_u32(p, 4, &x) || !parse_u32(p + 4, 4, &y) || !parse_u32(p + 8, 3, &t) ||
            t >= 360) {
            s = hs__error(ctx, HS_ERR_CORRUPT,
                          "record %u field 9.012 subfield %u: bad digits in XXXXYYYYTTT",
                          record + 1, i + 1);
            break;
        }
        uint32_t q = 0;
        const uint8_t *tp = NULL;
        size_t tl = 0;
        if (hs__nist_item_span(mrc->val, mrc->len, i, 2, &tp, &tl))
            parse_u32(tp, tl, &q);
        uint8_t type = HS_MINUTIA_OTHER;
        if (hs__nist_item_span(mrc->val, mrc->len, i, 3, &tp, &tl) && tl == 1)
            type = tp[0] == 'A' ? HS_MINUTIA_ENDING
                                : (tp[0] == 'B' ? HS_MINUTIA_BIFURCATION : HS_MINUTIA_OTHER);
        /* 0.01 mm -> pixels at 500 ppi (19.685 px/mm). */
        m[i].x = (float)(x * 0.19685);
        double yy = y * 0.19685;
        m[i].y = (float)yy;
        m[i].angle = (float)(t * 3.14159265358979323846 / 180.0);
        m[i].type = type;
        m[i].quality = (uint8_t)(q > 63 ? 100 : q * 100 / 63);
        if (yy > maxy)
            maxy = yy;
        if (m[i].x > maxx)
            maxx = m[i].x;
    }
    if (!s) {
        if (!height)
            height = (uint32_t)ceil(maxy) + 1;
        for (uint32_t i = 0; i < nmn; i++) {
            double yy = m[i].y;
            double fy = (double)height - 1 - yy;
            m[i].y = (float)(fy < 0 ? 0 : fy);
        }
        hs_template *t;
        s = hs_template_new(ctx, &t);
        if (!s) {
            hs_view_info vi = HS_VIEW_INFO_INIT;
            vi.width = (uint32_t)ceil(maxx) + 1;
            vi.height = height;
            uint32_t imp = 0, fgp = 0;
            hs__nist_item_u32(hs__nist_find(r, 3), 0, 0, &imp);
            hs__nist_item_u32(hs__nist_find(r, 6), 0, 0, &fgp);
            vi.impression_type = imp <= 3 ? imp : 0;
            vi.finger_position = fgp <= 10 ? fgp : 0;
            s = hs_template_add_view(ctx, t, &vi, m, nmn);
            if (s)
                hs_template_free(t);
            else
                *out = t;
        }
    }
    hs__free_wiped(a, m, (size_t)(nmn ? nmn : 1) * sizeof *m);
    return s;
}

/* ---- TCN ---------------------------------------------------------------- */

char hs_nist_tcn_check(const char *digits)
{
    if (!digits)
        return 0;
    size_t n = strlen(digits);
    if (n == 0 || n > 18)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(digits[i] - '0');
    }
    return "ZABCDEFGHJKLMNPQRTUVWXY"[v % 23];
}
