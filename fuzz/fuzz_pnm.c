/* libFuzzer target for the PNM decoder (see image_fuzz.h). The second byte
 * is kept when it names a type (P1-P6), otherwise mapped onto one. */
#include "image_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t magic[2] = {'P', '5'};
    if (size > 1)
        magic[1] = (uint8_t)('1' + (data[1] - '1' + 6 * 43) % 6);
    return hs_fuzz_image(data, size, magic, 2);
}
