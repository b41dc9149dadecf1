#pragma once
// `protean server --workers N` (N > 1, or [server] workers): a supervisor
// process that runs N `protean server` processes of the same domain, as
// Protean's Supervisor does, and coordinates nothing else (the workers share
// work only through the broker's consumer groups and the database).
//
//   - Each worker is this binary again (/proc/self/exe) with `--workers 1
//     --worker-index I` and its own identity (the generated one: --instance
//     names one process and is refused with --workers). Its health port is
//     its own: with port_auto_increment every worker starts at the base port
//     and takes the next free one; without it worker I gets base + I.
//     --port-file and --history get a per-worker suffix (WorkerPath).
//   - Refused (exit 2) when an event_store subscription is not partitioned
//     with consumer_group_size = N (EventStoreWorkerFindings): every worker
//     would handle every event. Worker I reads member I.
//   - SIGINT/SIGTERM/SIGHUP are forwarded to every worker as SIGTERM; a
//     second signal is forwarded again (each worker then cuts its drain
//     short). Workers still running drain_timeout + kKillMargin after the
//     first signal are killed (SIGKILL).
//   - A worker that dies unexpectedly (non-zero exit or a signal, outside a
//     stop) is restarted after a backoff (kRestartDelayMin doubling to
//     kRestartDelayMax; reset after kHealthyRun of uptime). After
//     kRestartsMax consecutive quick deaths the supervisor stops the others
//     and exits 1. A worker that exits 0 by itself (--run-for, or its own
//     SIGTERM) is not restarted; one that exits 2 (a configuration error)
//     before kHealthyRun stops everything with exit 2.
//
// Exit code: 0 when every worker stopped cleanly, 1 when one was killed,
// failed its stop or could not be kept running, 2 on a configuration error.

#include <cstdint>
#include <ostream>
#include <string>

#include "app/server/server_options.h"
#include "core/config/domain_config.h"

namespace protean::cli {

// `config` is the domain's, loaded by the caller (for [server] workers).
int RunSupervisor(const ServerOptions& options, const config::DomainConfig& config, int64_t workers,
                  std::ostream& out, std::ostream& err);

// `path` for worker `index` ("run.jsonl" -> "run.w0.jsonl", "port" ->
// "port.w0"); its restart r > 0 gets "run.w0-r<r>.jsonl", so every process
// has a file of its own.
std::string WorkerPath(const std::string& path, int64_t index, int64_t restart = 0);

}  // namespace protean::cli
