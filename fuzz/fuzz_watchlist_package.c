/* Fuzz the package readers. The first byte picks the target:
 *  0: hs_watchlist_package_info_get + hs_watchlist_unpack with fixed keys
 *     (the outer layout and the checks before any decryption);
 *  1: the delta payload parser applied to a small list (what a device runs
 *     after a package has been verified and decrypted), as found in a
 *     package of format 2 or, with bit 1 of the first byte set, 3. */
#include <hotspot/hotspot.h>
#include "internal/watchlist.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hs_watchlist *base_list(void)
{
    hs_watchlist *wl = NULL;
    if (hs_watchlist_new(NULL, &wl))
        abort();
    for (int i = 0; i < 3; i++) {
        char id[8] = {'S', (char)('0' + i), 0};
        hs_watchlist_subject *s = NULL;
        if (hs_watchlist_subject_new(NULL, &s, id))
            abort();
        float f[4] = {1.0f, (float)i, 0.0f, 0.5f};
        hs_watchlist_subject_add_face(NULL, s, f, 4, 0);
        if (hs_watchlist_add(NULL, wl, s))
            abort();
        hs_watchlist_subject_free(s);
    }
    hs_watchlist_set_version(wl, 3);
    return wl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] & 1;
    data++;
    size--;
    if (mode == 0) {
        hs_watchlist_package_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        hs_watchlist_package_info_get(NULL, &info, data, size);
        uint8_t apk[32], dpk[32], dsk[32];
        memset(apk, 0x11, sizeof apk);
        memset(dpk, 0x22, sizeof dpk);
        memset(dsk, 0x33, sizeof dsk);
        hs_watchlist *base = base_list();
        hs_watchlist *out = NULL;
        if (hs_watchlist_unpack(NULL, &out, base, 1, data, size, apk, dpk, dsk) == HS_OK)
            abort(); /* no input can carry a valid signature for this key */
        hs_watchlist_free(base);
        return 0;
    }
    /* bit 1 of the first byte: the package format the delta came in (2, or
     * 3 where records may carry orientation fields) */
    uint32_t fmt = data[-1] & 2 ? 3 : 2;
    hs_watchlist *wl = base_list();
    if (hs__wl_delta_apply(NULL, wl, data, size, fmt) == HS_OK) {
        size_t m = 0;
        if (hs_watchlist_encode(NULL, NULL, &m, wl) != HS_OK)
            abort();
        uint8_t *b = malloc(m);
        hs_watchlist *back = NULL;
        if (!b || hs_watchlist_encode(NULL, b, &m, wl) != HS_OK ||
            hs_watchlist_decode(NULL, &back, b, m) != HS_OK ||
            hs_watchlist_count(back) != hs_watchlist_count(wl))
            abort();
        hs_watchlist_free(back);
        free(b);
    }
    hs_watchlist_free(wl);
    return 0;
}
