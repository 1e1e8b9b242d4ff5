/* libFuzzer target: conversions. Whatever decodes (either encoding) is
 * converted to the other encoding, allowing loss, and back; every field
 * that survived the first conversion must survive the second unchanged. */
#include "fuzz_nist_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_nist *n = NULL;
    uint32_t enc = 0;
    if (hs_nist_decode(NULL, &n, &enc, data, size, 0) == HS_OK) {
        hs_nist_encoding other = enc == HS_NIST_ENCODING_XML ? HS_NIST_ENCODING_TRADITIONAL
                                                             : HS_NIST_ENCODING_XML;
        hs_nist *a = fz_nist_convert(n, other, HS_NIST_ALLOW_LOSS);
        if (a) {
            hs_nist *b = fz_nist_convert(a, (hs_nist_encoding)enc, HS_NIST_ALLOW_LOSS);
            hs_nist *c = b ? fz_nist_convert(b, other, HS_NIST_ALLOW_LOSS) : NULL;
            if (b && !c)
                abort();
            if (c)
                fz_nist_same_fields(a, c);
            hs_nist_free(c);
            hs_nist_free(b);
            hs_nist_free(a);
        }
    }
    hs_nist_free(n);
    return 0;
}
