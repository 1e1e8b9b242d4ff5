/* libFuzzer target: ANSI/NIST-ITL XML encoding through libxml2 (no
 * network, no entities, no DTD). Accepted input must write back as XML that
 * reads again with the same fields. */
#include "fuzz_nist_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_nist *n = NULL;
    uint32_t enc = 0;
    if (hs_nist_decode(NULL, &n, &enc, data, size, 0) == HS_OK && enc == HS_NIST_ENCODING_XML) {
        fz_nist_exercise(n);
        fz_nist_stable(n, HS_NIST_ENCODING_XML);
    }
    hs_nist_free(n);
    return 0;
}
