#pragma once

// Helpers of the durable-execution tests (issue: PostgreSQL and durable executions): real
// `lekhika-worker serve` processes on one database, killed with SIGKILL and started again, with
// the fake provider as their model provider. The database is a SQLite file or a fresh schema on
// the PostgreSQL server named by PG_TEST_DSN (scripts/pg-test-server, started by scripts/test).

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lekhika/persistence/store.hpp"
#include "lekhika/testing/fake_provider.hpp"
#include "lekhika/testing/postgres.hpp"
#include "lekhika/testing/temp_dir.hpp"
#include "provider_harness.hpp"
#include "server_harness.hpp"

namespace lekhika::e2e::durable {

/// A loopback port nobody listens on right now (the kernel's pick for port 0).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof(address);
  // The sockets API takes a generic address; the cast is how it is meant to be called.
  auto* generic = reinterpret_cast<sockaddr*>(&address);  // NOLINT(*-reinterpret-cast)
  if (::bind(fd, generic, size) != 0 || ::getsockname(fd, generic, &size) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  const int port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

/// The database the workers of one test share.
class shared_database {
 public:
  virtual ~shared_database() = default;
  [[nodiscard]] virtual std::string url() const = 0;
  [[nodiscard]] virtual std::string name() const = 0;

  /// A store connection of the test itself, to read what the workers wrote.
  [[nodiscard]] std::unique_ptr<persistence::store> open() const {
    auto opened = persistence::open_store(url());
    if (!opened) throw std::runtime_error("cannot open the store: " + opened.error().message);
    return std::move(opened).value();
  }
};

class sqlite_database final : public shared_database {
 public:
  [[nodiscard]] std::string url() const override {
    return "sqlite://" + (dir_.path() / "lekhika.db").string();
  }
  [[nodiscard]] std::string name() const override { return "sqlite"; }

 private:
  testing::temp_dir dir_;
};

/// A fresh schema on the test PostgreSQL server; every connection of the URL finds its tables
/// there (libpq's `options` sets the session's search_path). Dropped at the end.
class pg_database final : public shared_database {
 public:
  explicit pg_database(std::string dsn) : dsn_(std::move(dsn)) {
    std::random_device random;
    std::uniform_int_distribution<unsigned> hex(0, 15);
    schema_ = "e2e_";
    for (int i = 0; i < 12; ++i) schema_ += "0123456789abcdef"[hex(random)];
    pqxx::connection admin{dsn_};
    pqxx::nontransaction tx{admin};
    tx.exec("CREATE SCHEMA " + schema_);
  }
  ~pg_database() override {
    try {
      pqxx::connection admin{dsn_};
      pqxx::nontransaction tx{admin};
      tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    } catch (...) {  // NOLINT(bugprone-empty-catch): a leftover schema harms nothing
    }
  }
  pg_database(const pg_database&) = delete;
  pg_database& operator=(const pg_database&) = delete;

  [[nodiscard]] std::string url() const override {
    return dsn_ + (dsn_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema_;
  }
  [[nodiscard]] std::string name() const override { return "postgres"; }

  /// Runs SQL in this schema (to set up a table, or to read one).
  pqxx::result exec(const std::string& sql) const {
    pqxx::connection conn{url()};
    pqxx::nontransaction tx{conn};
    return tx.exec(sql);
  }

 private:
  std::string dsn_;
  std::string schema_;
};

using testing::own_pg_server;

/// The test PostgreSQL server's DSN, or "" when there is none (the tests then skip).
inline std::string pg_test_dsn() {
  const char* dsn = std::getenv("PG_TEST_DSN");
  return dsn != nullptr ? std::string{dsn} : std::string{};
}

inline std::unique_ptr<shared_database> make_database(const std::string& kind) {
  if (kind == "postgres") return std::make_unique<pg_database>(pg_test_dsn());
  return std::make_unique<sqlite_database>();
}

/// How a worker process is started.
struct worker_options {
  std::string worker_id;
  std::chrono::milliseconds lease_ttl{3000};
  std::chrono::milliseconds claim_interval{200};
  std::map<std::string, std::string> extra_env;
};

inline worker_options worker_named(std::string id, std::chrono::milliseconds lease_ttl = 3000ms) {
  worker_options options;
  options.worker_id = std::move(id);
  options.lease_ttl = lease_ttl;
  return options;
}

/// The backend name as the test's name ("sqlite", "postgres").
inline std::string backend_name(const ::testing::TestParamInfo<std::string>& param) {
  return param.param;
}

/// `lekhika-worker serve` on a free port of its own, pointed at `db` and at the fake provider.
/// SIGKILLed on destruction if still running.
class serve_process {
 public:
  serve_process(const shared_database& db, const testing::fake_provider_process& fake,
                const std::filesystem::path& dir, const worker_options& options)
      : port_(free_port()), dir_(dir), name_(options.worker_id) {
    std::map<std::string, std::string> env = fake_env(fake);
    env["DATABASE_URL"] = db.url();
    env["ARTIFACT_DIR"] = (dir / "artifacts").string();
    env["INTERNAL_API_SECRET"] = std::string{kSecret};
    env["PORT"] = std::to_string(port_);
    env["HOST"] = "127.0.0.1";
    env["WORKER_ID"] = options.worker_id;
    env["LOG_LEVEL"] = "warn";
    env["LEKHIKA_LEASE_TTL_MS"] = std::to_string(options.lease_ttl.count());
    env["LEKHIKA_CLAIM_INTERVAL_MS"] = std::to_string(options.claim_interval.count());
    for (const auto& [key, value] : options.extra_env) env[key] = value;
    process_ = std::make_unique<worker_process>(std::vector<std::string>{"serve"}, env, dir, dir,
                                                name_ + "-" + std::to_string(port_));
  }

  [[nodiscard]] std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string{path};
  }

  /// Waits until GET /ready answers 200 (false, with the worker's stderr, after the patience).
  [[nodiscard]] ::testing::AssertionResult wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto code = process_->poll()) {
        return ::testing::AssertionFailure()
               << name_ << " exited with " << *code << ": " << process_->err().substr(0, 3000);
      }
      if (request("GET", "/ready").status == 200) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(50ms);
    }
    return ::testing::AssertionFailure() << name_ << " never became ready: " << process_->err();
  }

  [[nodiscard]] http_response request(const std::string& method, std::string_view path,
                                      std::string body = {}, std::vector<std::string> headers = {},
                                      std::chrono::milliseconds timeout = 30s) const {
    http_request req;
    req.method = method;
    req.url = url(path);
    req.body = std::move(body);
    req.headers = std::move(headers);
    req.headers.push_back(auth_header());
    if (!req.body.empty()) req.headers.emplace_back("Content-Type: application/json");
    req.timeout = timeout;
    return testing::perform(req);
  }

  /// POST /execute asynchronously; the execution id ("" and a test failure when refused).
  [[nodiscard]] std::string submit(const json& body) const {
    auto data = ok_data(request("POST", "/execute", body.dump(), {"Prefer: respond-async"}), 202);
    return data.is_object() ? data.value("executionId", std::string{}) : std::string{};
  }

  /// GET /executions/{id} data (null when not 200).
  [[nodiscard]] json execution(const std::string& id) const {
    auto response = request("GET", "/executions/" + id);
    if (response.status != 200) return nullptr;
    auto body = json::parse(response.body, nullptr, false);
    return body.is_object() && body.contains("data") ? body["data"] : json{nullptr};
  }

  /// kill -9: no shutdown, no last write.
  void kill() {
    process_->signal(SIGKILL);
    process_->wait();
  }

  [[nodiscard]] std::string err() const { return process_->err(); }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  int port_;
  std::filesystem::path dir_;
  std::string name_;
  std::unique_ptr<worker_process> process_;
};

/// The status of an execution in its stored row ("" when there is none).
inline std::string stored_status(persistence::store& store, const std::string& id) {
  auto row = store.get_execution(id, std::nullopt);
  if (!row || !row.value()) return {};
  return row.value()->status;
}

inline bool terminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

/// Completed answers of the fake per prompt (its FNV-1a hash): how often each prompt was paid.
inline std::map<std::string, int> completed_by_prompt(const testing::fake_provider_process& fake) {
  std::map<std::string, int> paid;
  for (const auto& entry : fake.log()) {
    if (entry.value("outcome", std::string{}) == "completed") {
      ++paid[entry.value("prompt_fnv1a64", std::string{})];
    }
  }
  return paid;
}

/// Checks one execution's stored event log: seq 1, 2, 3, ... without gap or repeat, the row's
/// last_seq equal to the last one, and exactly one terminal event at the end.
inline void expect_whole_event_log(persistence::store& store, const std::string& id) {
  SCOPED_TRACE(id);
  auto events = store.events_after(id, 0, 100000);
  ASSERT_TRUE(events) << events.error().message;
  const auto& log = events.value();
  ASSERT_FALSE(log.empty());
  for (std::size_t i = 0; i < log.size(); ++i) {
    ASSERT_EQ(log[i].seq, static_cast<std::int64_t>(i) + 1) << "gap or repeat at " << i;
  }
  int ends = 0;
  for (const auto& e : log) {
    if (e.type == "execution.completed" || e.type == "execution.failed" ||
        e.type == "execution.cancelled") {
      ++ends;
    }
  }
  EXPECT_EQ(ends, 1);
  EXPECT_TRUE(log.back().type.rfind("execution.", 0) == 0) << log.back().type;
  auto row = store.get_execution(id, std::nullopt);
  ASSERT_TRUE(row && row.value());
  EXPECT_EQ(row.value()->last_seq, log.back().seq);
}

/// The workerId of each `execution.started` event of an execution, in order.
inline std::vector<std::string> starts_of(persistence::store& store, const std::string& id) {
  std::vector<std::string> workers;
  auto events = store.events_after(id, 0, 100000);
  if (!events) return workers;
  for (const auto& e : events.value()) {
    if (e.type == "execution.started") workers.push_back(e.data.value("workerId", std::string{}));
  }
  return workers;
}

}  // namespace lekhika::e2e::durable
