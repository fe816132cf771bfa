/* libFuzzer harness: cep_http_parse_request on arbitrary bytes (see head_oracle.h). */
#include "head_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oracle_check_head(0, data, size);
    return 0;
}
