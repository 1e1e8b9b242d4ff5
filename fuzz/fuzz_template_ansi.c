/* libFuzzer target: template decoding of ANSI/INCITS 378-2004 and -2009 records. */
#include "fuzz_template_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_fmr_target(data, size, HS_TEMPLATE_FORMAT_ANSI378_2004, HS_TEMPLATE_FORMAT_ANSI378_2009);
    return 0;
}
