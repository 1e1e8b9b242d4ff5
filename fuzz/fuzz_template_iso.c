/* libFuzzer target: template decoding of ISO/IEC 19794-2:2005 and :2011 records. */
#include "fuzz_template_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_template *t = NULL;
    uint32_t f = 0;
    if (hs_template_decode(NULL, &t, data, size, &f) == HS_OK)
        fz_encode_all(t);
    else if (t)
        abort();
    hs_template_free(t);
    /* Force the layout, bypassing detection, so that every input reaches
     * this parser. */
    if (size >= 8) {
        uint32_t f = data[4] == '0' ? HS_TEMPLATE_FORMAT_ISO19794_2_2011 : HS_TEMPLATE_FORMAT_ISO19794_2_2005;
        hs_template *u = NULL;
        if (hs__fmr_decode(NULL, &u, data, size, f) == HS_OK) {
            fz_round_trip(u, f);
            fz_encode_all(u);
        }
        hs_template_free(u);
    }
    fz_decode_limited(data, size);
    return 0;
}
