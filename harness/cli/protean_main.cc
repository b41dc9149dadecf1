// The `protean` binary; see harness/cli/cli.h.

#include <iostream>

#include "harness/cli/cli.h"

int main(int argc, char** argv) {
  return protean::cli::RunProteanCli(argc, argv, std::cout, std::cerr);
}
