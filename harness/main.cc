// The protean-harness binary: harness::Main with scripted handlers only.

#include "harness/harness_main.h"

int main(int argc, char** argv) { return protean::harness::Main(argc, argv, {}); }
