/* Fuzz the watchlist file reader: hs_watchlist_decode on arbitrary bytes,
 * and again with both CRC-32C fields recomputed so that mutations reach the
 * record parser behind the checksums. Whatever it accepts must survive
 * reading every subject back, a face search, and re-encoding to identical
 * bytes (a version 3 file without orientation fields: as version 2). */
#include <hotspot/hotspot.h>
#include "internal/core.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size >= 64 && !memcmp(data, "HSWL", 4)) {
        uint8_t *c = malloc(size);
        if (!c)
            return 0;
        memcpy(c, data, size);
        uint32_t pc = hs__crc32c(0, c + 64, size - 64);
        for (int i = 0; i < 4; i++)
            c[40 + i] = (uint8_t)(pc >> (8 * i));
        uint32_t hc = hs__crc32c(0, c, 60);
        for (int i = 0; i < 4; i++)
            c[60 + i] = (uint8_t)(hc >> (8 * i));
        check(c, size);
        free(c);
    }
    return 0;
}

static void check(const uint8_t *data, size_t size)
{
    hs_watchlist *wl = NULL;
    if (hs_watchlist_decode(NULL, &wl, data, size) != HS_OK)
        return;
    uint64_t n = hs_watchlist_count(wl);
    for (uint64_t i = 0; i < n; i++) {
        hs_watchlist_subject *s = NULL;
        if (hs_watchlist_subject_at(NULL, &s, wl, i) != HS_OK)
            abort();
        for (uint32_t f = 0; f < hs_watchlist_subject_finger_count(s); f++) {
            hs_template *t = NULL;
            if (hs_watchlist_subject_finger(NULL, &t, s, f) != HS_OK)
                abort();
            hs_template_free(t);
        }
        hs_watchlist_subject_free(s);
    }
    float face[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    hs_watchlist_result *r = NULL;
    if (hs_watchlist_search(NULL, &r, wl, NULL, face, 4, NULL) != HS_OK)
        abort();
    hs_watchlist_result_free(r);
    /* an exhaustive finger search with the first stored finger as the
     * probe: every stored finger (minutiae and orientation field) is
     * prepared from its record and compared */
    hs_watchlist_subject *s0 = NULL;
    hs_template *probe = NULL;
    if (n && hs_watchlist_subject_at(NULL, &s0, wl, 0) == HS_OK &&
        hs_watchlist_subject_finger_count(s0) &&
        hs_watchlist_subject_finger(NULL, &probe, s0, 0) == HS_OK) {
        hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
        o.flags = HS_WATCHLIST_EXHAUSTIVE;
        if (hs_watchlist_search(NULL, &r, wl, probe, NULL, 0, &o) != HS_OK)
            abort();
        hs_watchlist_result_free(r);
    }
    hs_template_free(probe);
    hs_watchlist_subject_free(s0);
    size_t m = 0;
    if (hs_watchlist_encode(NULL, NULL, &m, wl) != HS_OK || m != size)
        abort();
    uint8_t *b = malloc(m);
    if (!b || hs_watchlist_encode(NULL, b, &m, wl) != HS_OK)
        abort();
    /* the same bytes, except that a version 3 file without orientation
     * fields is written as version 2 (the version byte and header CRC) */
    if (data[4] != b[4] && !(data[4] == 3 && b[4] == 2 && hs_watchlist_format_version(wl) == 2))
        abort();
    if (memcmp(b, data, 4) || memcmp(b + 5, data + 5, 55) || memcmp(b + 64, data + 64, size - 64) ||
        (data[4] == b[4] && memcmp(b + 60, data + 60, 4)))
        abort();
    free(b);
    hs_watchlist_free(wl);
}
