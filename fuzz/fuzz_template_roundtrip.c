/* libFuzzer target: any input that decodes (in any format) must encode in
 * its own format (native for read-only ones), decode to the same template
 * and encode again to the same bytes. */
#include "fuzz_template_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_template *t = NULL;
    uint32_t f = 0;
    if (hs_template_decode(NULL, &t, &f, data, size) == HS_OK) {
        fz_round_trip(t, f);
        /* through the native format, blocks included */
        fz_round_trip(t, HS_TEMPLATE_FORMAT_HST);
        hs_template *c = NULL;
        if (hs_template_clone(NULL, &c, t) != HS_OK)
            abort();
        fz_same(t, c);
        hs_template_free(c);
    }
    hs_template_free(t);
    return 0;
}
