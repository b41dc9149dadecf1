// The `protean` binary; see app/cli.h.

#include <iostream>

#include "app/cli.h"

int main(int argc, char** argv) {
  return protean::cli::RunProteanCli(argc, argv, std::cout, std::cerr);
}
