/* libFuzzer entry point for the config module (built only with -DGAITLAB_FUZZ=ON). */
#include <stddef.h>
#include <stdint.h>

#include "harness_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  glc_fuzz_one(data, size);
  return 0;
}
