// protean::ServerMain and the CLI with C++ handlers: `check` registers and
// resolves them as the server does, alert callbacks of the catalog are found
// by name, and a registrar's error is exit 2 before any command runs.

#include <sstream>

#include <gtest/gtest.h>

#include "app/cli.h"
#include "app/server_main.h"
#include "tests/config/test_util.h"

namespace protean::cli {
namespace {

using config::testing::TempDir;

HandlerResult Accept(const Message&, HandlerContext&) { return HandlerResult::Ok(); }

struct CheckRun {
  int exit_code;
  std::string out;
  std::string err;
};

// argv for ServerMain: pointers into `args`, which must outlive it.
std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return argv;
}

// `protean check` with `catalog` over a domain.toml holding `toml`.
CheckRun Check(const HandlerCatalog& catalog, const std::string& toml) {
  TempDir dir;
  const std::string domain = dir.Write("domain.toml", toml).string();
  std::ostringstream out, err;
  const char* argv[] = {"protean", "check", "--domain", domain.c_str(), "--env", "none"};
  int rc = RunProteanCli(6, argv, out, err, catalog);
  return CheckRun{rc, out.str(), err.str()};
}

TEST(CheckWithCppHandlers, ReportsEachCppHandlerAndItsStream) {
  HandlerCatalog catalog;
  HandlerOptions shipping;
  shipping.stream = "shipments";
  catalog.AddHandler("Billing", Accept).AddHandler("Shipping", Accept, shipping);
  CheckRun run = Check(catalog, "[handlers.Billing]\nstream = \"orders\"\nfail_first = 1\n");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("info CPP_HANDLER handlers.Billing: C++ handler Billing consumes orders"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("C++ handler Shipping consumes shipments"), std::string::npos) << run.out;
}

TEST(CheckWithCppHandlers, HandlerTheServerWouldRefuseIsAnError) {
  HandlerCatalog catalog;
  catalog.AddHandler("Shipping", Accept);  // no stream, no [handlers.Shipping]
  CheckRun run = Check(catalog, "[server]\nworkers = 1\n");
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.out.find("CONFIG_INVALID_VALUE"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("[handlers.Shipping]"), std::string::npos) << run.out;
}

TEST(CheckWithCppHandlers, BadSubscriptionSettingOfACppHandlerIsAnError) {
  HandlerCatalog catalog;
  HandlerOptions options;
  options.stream = "shipments";
  options.subscription_profile = "NO_SUCH_PROFILE";
  catalog.AddHandler("Shipping", Accept, options);
  CheckRun run = Check(catalog, "");
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.out.find("NO_SUCH_PROFILE"), std::string::npos) << run.out;
}

TEST(ServerMainTest, AlertCallbackOfTheCatalogIsFoundByName) {
  TempDir dir;
  std::string domain = dir.Write("domain.toml",
                                 "[server.dlq]\nenabled = true\n"
                                 "alert_callback = \"tests.server_main.page\"\n")
                           .string();
  std::vector<std::string> args = {"protean", "check", "--domain", domain, "--env", "none"};
  std::vector<char*> argv = Argv(args);
  // Not registered: check refuses it, as the server would.
  EXPECT_EQ(ServerMain(static_cast<int>(argv.size()), argv.data(), {}), 2);
  EXPECT_EQ(ServerMain(static_cast<int>(argv.size()), argv.data(),
                       [](HandlerCatalog& catalog) {
                         catalog.AddAlertCallback(
                             "tests.server_main.page",
                             [](const std::string&, int64_t, int64_t) { return Status::Ok(); });
                       }),
            0);
}

TEST(ServerMainTest, RegistrarErrorIsExitTwoWithOneLine) {
  std::vector<std::string> args = {"protean", "--version"};
  std::vector<char*> argv = Argv(args);
  ::testing::internal::CaptureStderr();
  int rc = ServerMain(2, argv.data(), [](HandlerCatalog& catalog) {
    catalog.AddHandler("Billing", Accept).AddHandler("Billing", Accept);
  });
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(err,
            "protean: error: HandlerCatalog::AddHandler: handler Billing is registered twice\n");
}

}  // namespace
}  // namespace protean::cli
