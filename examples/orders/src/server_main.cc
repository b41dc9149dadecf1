// orders-server: `orders-server server --domain .`, `orders-server check`,
// `orders-server dlq list`, ... with the orders handlers.

#include "app/server_main.h"
#include "src/handlers.h"

int main(int argc, char** argv) {
  return protean::ServerMain(argc, argv, orders::RegisterHandlers);
}
