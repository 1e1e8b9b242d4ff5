/* libFuzzer target: template decoding of the native .hst format, and the
 * preparation for matching of what decodes (the orientation field block,
 * 0x0011, is parsed there). */
#include "fuzz_template_common.h"

#include <hotspot/hotspot.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_decode_detected(data, size);
    /* The CRC would stop almost every mutation: also decode with the
     * CRC fixed up, so that the parser behind it is reached. */
    if (size >= 36 && size <= 65536) {
        uint8_t *c = malloc(size);
        memcpy(c, data, size);
        uint32_t crc = hs__crc32c(0, c, size - 4);
        for (int i = 0; i < 4; i++)
            c[size - 4 + i] = (uint8_t)(crc >> (8 * i));
        hs_template *u = NULL;
        if (hs__hst_decode(NULL, &u, c, size) == HS_OK) {
            fz_round_trip(u, HS_TEMPLATE_FORMAT_HST);
            fz_encode_all(u);
            for (uint32_t v = 0; v < hs_template_view_count(u); v++) {
                hs_finger_prepared *p = NULL;
                if (hs_finger_prepare(NULL, &p, u, v) != HS_OK) {
                    if (p)
                        abort();
                    continue;
                }
                hs_finger_matcher *m = NULL;
                float sc = -1.0f;
                if (hs_finger_matcher_new(NULL, &m) != HS_OK ||
                    hs_finger_match(m, &sc, p, p) != HS_OK || !(sc >= 0.0f && sc <= 1.0f))
                    abort();
                hs_finger_matcher_free(m);
                hs_finger_prepared_free(p);
            }
        }
        hs_template_free(u);
        free(c);
    }
    fz_decode_limited(data, size);
    return 0;
}
