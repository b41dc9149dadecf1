// An application that serves its own HTTP API with cpp-httplib and mounts
// the engine's probes on the same server (Protean's FastAPI
// create_health_router, in C++): /livez, /readyz and /metrics answer next to
// /hello, from an Engine running one handler over a memory broker.
//
//   build/examples/embedded_probes/embedded_probes 8090 &
//   curl localhost:8090/hello; curl localhost:8090/readyz
//
// Runs until SIGINT/SIGTERM, then shuts the engine down.

#include <httplib.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include "adapters/memory/memory_broker.h"
#include "app/server/health_http_server.h"
#include "core/engine/engine.h"
#include "core/runtime/prng.h"
#include "core/runtime/real_executor.h"

int main(int argc, char** argv) {
  using namespace protean;
  const int port = argc > 1 ? std::atoi(argv[1]) : 8090;
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before any thread starts

  RealClock clock;
  RealExecutor loop(clock, 2);
  MemoryBroker broker(clock, "inline");
  Prng prng(1);
  MetricsRegistry metrics;
  EngineAdapters adapters;
  adapters.brokers = {{"default", &broker}};
  HandlerRegistration handler;
  handler.name = "Greeter";
  handler.stream = "greetings";
  handler.fn = [](const Message&, HandlerContext&) { return HandlerResult::Ok(); };
  Engine engine(loop, prng, metrics, adapters, EngineOptions{}, nullptr);
  if (!engine.AddSubscription(handler, SubscriptionConfig{}).ok()) return 2;

  httplib::Server app;
  app.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("hello\n", "text/plain");
  });
  HealthProbes probes;  // no log, no /drainz, no API keys
  probes.live = [&] { return engine.Live(); };
  probes.ready = [&] { return engine.Ready(); };
  probes.metrics = [&] { return metrics.RenderPrometheus(); };
  MountHealthRoutes(app, probes);
  if (!app.bind_to_port("127.0.0.1", port)) return 2;
  std::thread http([&] { app.listen_after_bind(); });

  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop, &sig);
    loop.Post([&] { engine.Shutdown("signal", [&](int) { loop.Stop(); }); });
  });
  loop.Post([&] { engine.Start(); });
  loop.Run();
  app.stop();
  http.join();
  signals.join();
  loop.StopWorkers(Millis(200));
  return 0;
}
