/* Fuzz the watchlist file reader: hs_watchlist_decode on arbitrary bytes;
 * whatever it accepts must survive reading every subject back, a face
 * search, and re-encoding to identical bytes. */
#include <hotspot/hotspot.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_watchlist *wl = NULL;
    if (hs_watchlist_decode(NULL, &wl, data, size) != HS_OK)
        return 0;
    uint64_t n = hs_watchlist_count(wl);
    for (uint64_t i = 0; i < n; i++) {
        hs_watchlist_subject *s = NULL;
        if (hs_watchlist_subject_at(NULL, wl, i, &s) != HS_OK)
            abort();
        for (uint32_t f = 0; f < hs_watchlist_subject_finger_count(s); f++) {
            hs_template *t = NULL;
            if (hs_watchlist_subject_finger(NULL, s, f, &t) != HS_OK)
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
    size_t m = 0;
    if (hs_watchlist_encode(NULL, wl, NULL, &m) != HS_OK || m != size)
        abort();
    uint8_t *b = malloc(m);
    if (!b || hs_watchlist_encode(NULL, wl, b, &m) != HS_OK || memcmp(b, data, size))
        abort();
    free(b);
    hs_watchlist_free(wl);
    return 0;
}
