/* libFuzzer target for the WSQ decoder (see image_fuzz.h). Seeds: files
 * made by our own encoder (gen_codec_seeds). */
#include "image_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return hs_fuzz_image(data, size, (const uint8_t *)"\xff\xa0", 2);
}
