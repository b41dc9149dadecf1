// One libFuzzer binary per target: PROTEAN_FUZZ_TARGET names its function
// (tests/fuzz/targets.h). Built with -DPROTEAN_FUZZ=ON (clang only).

#include "tests/fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return protean::fuzz::PROTEAN_FUZZ_TARGET(data, size);
}
