#pragma once

// PostgreSQL helpers shared by the store tests and the worker-process tests: Lekhika's own
// table, and a server of a test's own that it may stop and start.

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "lekhika/testing/temp_dir.hpp"

namespace lekhika::testing {

/// engine_executions as Lekhika's migrations create it (spec/original-worker.md section 4.2),
/// CHECK constraint included, without the foreign keys to tables the tests do not have.
/// Created unqualified, so it lands in the test's schema, where the store finds it through
/// search_path (in production it is public.engine_executions, and public is on the search_path).
inline constexpr const char* engine_executions_ddl = R"sql(
CREATE TABLE engine_executions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  engine_id uuid NOT NULL,
  user_id uuid NOT NULL,
  book_id uuid,
  execution_data jsonb DEFAULT '{}'::jsonb,
  status text DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
  error_message text,
  execution_time_ms integer,
  tokens_used integer DEFAULT 0,
  cost_estimate numeric(10,4) DEFAULT 0,
  created_at timestamptz DEFAULT now(),
  completed_at timestamptz,
  input_data jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX ON engine_executions (user_id);
CREATE INDEX ON engine_executions (status);
)sql";

/// A PostgreSQL server of one test's own (scripts/pg-test-server in a private folder, named by
/// PG_TEST_SERVER), for tests that stop and start it. Started by the constructor; stopped and
/// removed at the end.
class own_pg_server {
 public:
  own_pg_server() {
    const char* script = std::getenv("PG_TEST_SERVER");
    if (script == nullptr) return;
    script_ = script;
    started_ = control("start");
    const auto at = started_.find("PG_TEST_DSN=");
    if (!last_ok_ || at == std::string::npos) return;
    dsn_ = started_.substr(at + 12, started_.find('\n', at) - at - 12);
  }
  ~own_pg_server() {
    if (!script_.empty()) (void)control("stop");
  }
  own_pg_server(const own_pg_server&) = delete;
  own_pg_server& operator=(const own_pg_server&) = delete;

  /// "" when PG_TEST_SERVER is not set or the server did not start (see start_output()).
  [[nodiscard]] const std::string& dsn() const noexcept { return dsn_; }
  /// What `start` printed, for a failure message.
  [[nodiscard]] const std::string& start_output() const noexcept { return started_; }

  /// `scripts/pg-test-server <command>` on this server (down, up, restart, ...); its output.
  std::string control(const std::string& command) {
    const std::string line = "env -u PGPORT PGBASE='" + base_.path().string() + "' '" + script_ +
                             "' " + command + " 2>&1";
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(line.c_str(), "r"), &pclose);
    if (!pipe) return "";
    std::string out;
    std::array<char, 512> buffer{};
    while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get()) != nullptr) {
      out += buffer.data();
    }
    last_ok_ = pclose(pipe.release()) == 0;
    return out;
  }
  [[nodiscard]] bool last_ok() const noexcept { return last_ok_; }

 private:
  temp_dir base_;
  std::string script_;
  std::string started_;
  std::string dsn_;
  bool last_ok_ = false;
};

}  // namespace lekhika::testing
