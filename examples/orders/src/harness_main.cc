// orders-harness: `orders-harness run scenarios --domain .` (memory mode) and
// `... --protean-env test --server-binary orders-server` with the orders handlers.

#include "harness/harness_main.h"
#include "src/handlers.h"

int main(int argc, char** argv) {
  return protean::harness::Main(argc, argv, orders::RegisterHandlers);
}
