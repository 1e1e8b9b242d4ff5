/* libFuzzer target for the PNG decoder (see image_fuzz.h). */
#include "image_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return hs_fuzz_image(data, size, (const uint8_t *)"\x89PNG\r\n\x1a\n", 8);
}
