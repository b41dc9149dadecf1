// The `protean` binary: the CLI with scripted handlers only ([handlers.*] in
// domain.toml); see app/server_main.h.

#include "app/server_main.h"

int main(int argc, char** argv) { return protean::ServerMain(argc, argv, {}); }
