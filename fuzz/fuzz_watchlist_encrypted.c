/* Fuzz the encrypted watchlist reader (hs_watchlist_decode_encrypted): its
 * header checks, then authentication, with a fixed storage key (32 x 0x24,
 * the key gen_device_seeds encrypts its seed with), so that the valid seed
 * reaches the decoder. Invariant: whatever decrypts decodes to a list that
 * encodes again. */
#include <hotspot/hotspot.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t key[32];
    memset(key, 0x24, sizeof key);
    hs_watchlist *wl = NULL;
    if (hs_watchlist_decode_encrypted(NULL, &wl, data, size, key) == HS_OK) {
        size_t m = 0;
        if (!wl || hs_watchlist_encode(NULL, NULL, &m, wl) != HS_OK)
            abort();
    } else if (wl) {
        abort();
    }
    hs_watchlist_free(wl);
    return 0;
}
