/* Internal layout of hs_template, shared by the template codecs. */
#ifndef HOTSPOT_INTERNAL_TEMPLATE_H
#define HOTSPOT_INTERNAL_TEMPLATE_H

#include "hotspot/template.h"
#include "internal/core.h"

typedef struct hs__view {
    hs_view_info info;   /* minutia_count kept equal to count */
    hs_minutia *minutiae;
    uint32_t count;
    /* Opaque extension blocks preserved across decode/encode (ISO extended
     * data, matcher extras). Owned; may be NULL. */
    uint8_t *ext;
    size_t ext_size;
} hs__view;

struct hs_template {
    hs_allocator alloc;
    hs__view *views;
    uint32_t nviews;
    uint32_t cap;
};

/* Validate one minutia against a view's info; NULL on success or a static
 * reason on failure. */
const char *hs__minutia_check(const hs_minutia *m, const hs_view_info *info);

#endif
