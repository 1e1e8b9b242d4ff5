/* Internal layout of hs_nist, shared by the traditional codec (nist.c),
 * the XML codec (nist_xml.c), validation and the builders. */
#ifndef HOTSPOT_INTERNAL_NIST_H
#define HOTSPOT_INTERNAL_NIST_H

#include "hotspot/nist.h"
#include "internal/core.h"

#define HS__NIST_FS 0x1C
#define HS__NIST_GS 0x1D
#define HS__NIST_RS 0x1E
#define HS__NIST_US 0x1F
#define HS__NIST_MAX_RECORDS 999u
#define HS__NIST_MAX_FIELDS 100000u

typedef struct hs__nist_field {
    uint32_t num;
    char tag[16];  /* tag text as read ("1.01", "13.005"); "" = "T.NNN" */
    uint8_t *val;  /* owned; NULL when len is 0 */
    size_t len;
} hs__nist_field;

typedef struct hs__nist_record {
    uint32_t type;
    hs__nist_field *f;
    uint32_t nf, cap;
    /* XML read: the record element serialised with its namespaces, written
     * back as it was while the record is unchanged (it holds the elements
     * that have no traditional field). Dropped on the first change. */
    char *xml;
    size_t xml_len;
    uint32_t xml_unmapped; /* elements of xml without a field */
} hs__nist_record;

struct hs_nist {
    hs_allocator alloc;
    hs__nist_record *r;
    uint32_t nr, cap;
    uint32_t xml_root_extra; /* unused, reserved */
};

/* True for the binary record types with a fixed header (3-8). */
bool hs__nist_is_binary(uint32_t type);

/* Append a field (value copied) to record r. */
hs_status hs__nist_add_field(hs_ctx *ctx, hs_nist *n, hs__nist_record *r, uint32_t num,
                             const char *tag, const void *val, size_t len);
/* Append an empty record of type (no fields). */
hs_status hs__nist_add_record(hs_ctx *ctx, hs_nist *n, uint32_t type, hs__nist_record **out);
/* First field numbered num, or NULL. */
hs__nist_field *hs__nist_find(const hs__nist_record *r, uint32_t num);
/* Item (subfield si, item ii) of a raw field value; false when absent. */
bool hs__nist_item_span(const uint8_t *v, size_t len, uint32_t si, uint32_t ii,
                        const uint8_t **p, size_t *n);
/* Unsigned decimal of a whole item (false if not 1-9 digits). */
bool hs__nist_item_u32(const hs__nist_field *f, uint32_t si, uint32_t ii, uint32_t *out);
/* Drop any kept XML of a record (after a change). */
void hs__nist_record_touched(hs_nist *n, hs__nist_record *r);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t hs__nist_days(long y, long m, long d);
/* Seconds since 1970 (UTC) as "YYYYMMDDhhmmssZ" into out; false for a year
 * outside 0-9999. */
bool hs__nist_gmt(int64_t t, char out[16]);

/* Encodings. */
hs_status hs__nist_decode_traditional(hs_ctx *ctx, hs_nist *n, const uint8_t *p, size_t size);
hs_status hs__nist_encode_traditional(hs_ctx *ctx, hs__writer *w, const hs_nist *n,
                                      uint32_t flags);
hs_status hs__nist_decode_xml(hs_ctx *ctx, hs_nist *n, const uint8_t *p, size_t size);
hs_status hs__nist_encode_xml(hs_ctx *ctx, hs__writer *w, const hs_nist *n, uint32_t flags);

#endif
