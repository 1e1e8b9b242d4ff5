/* libFuzzer target for the BMP decoder (see image_fuzz.h). */
#include "image_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return hs_fuzz_image(data, size, (const uint8_t *)"BM", 2);
}
