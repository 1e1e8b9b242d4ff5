/* libFuzzer target: ANSI/NIST-ITL traditional encoding. Any input that
 * decodes must encode again, re-decode and give the same bytes, and every
 * accessor must cope with what the reader accepted. */
#include "fuzz_nist_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Only the traditional reader: inputs that look like XML go elsewhere. */
    if (size && data[0] == '<')
        return 0;
    hs_nist *n = NULL;
    if (hs_nist_decode(NULL, &n, NULL, data, size, 0) == HS_OK) {
        fz_nist_exercise(n);
        fz_nist_stable(n, HS_NIST_ENCODING_TRADITIONAL);
    }
    hs_nist_free(n);
    return 0;
}
