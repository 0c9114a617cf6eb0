#pragma once

// The network transport of the provider layer: one libcurl multi handle driven by one thread,
// shared by every provider key, so that thousands of requests are in flight without a thread
// each. Connections are kept alive and reused (HTTP/2 multiplexed where the server offers it);
// TLS verification stays on.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lekhika/providers/wire.hpp"

namespace lekhika::providers {

/// Limits of one transfer that libcurl enforces itself.
struct transfer_limits {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds total_timeout{600000};
};

/// How a transfer ended (not reported for a cancelled transfer).
struct transfer_outcome {
  long http_status = 0;           ///< 0 when no answer arrived
  bool transport_failed = false;  ///< connect error, reset, timeout, ...
  bool timed_out = false;         ///< libcurl's connect or total timeout
  std::string error;              ///< libcurl's message when transport_failed
  bool tls_refused = false;       ///< the server's certificate failed verification
};

/// Callbacks of one transfer. They run on the transport thread, one at a time, and must return
/// quickly (the actor layer forwards them as messages).
struct transfer_events {
  /// The status line and headers arrived (once, before any data).
  std::function<void(long status, std::vector<std::pair<std::string, std::string>> headers)>
      on_headers;
  /// A piece of the body arrived.
  std::function<void(std::string_view chunk)> on_data;
  /// The transfer ended; called exactly once unless it was cancelled.
  std::function<void(transfer_outcome outcome)> on_done;
};

/// Counters of the transport.
struct transport_stats {
  std::int64_t started = 0;
  std::int64_t finished = 0;
  std::int64_t cancelled = 0;
  std::int64_t active = 0;
};

/// How the transport connects.
struct transport_options {
  long max_host_connections = 0;  ///< per host; 0: no bound
  /// A PEM file of the certificates trusted for TLS instead of the system's store (a provider
  /// behind a private certificate authority); empty: the system's. Verification stays on.
  std::string ca_file;
};

/// One libcurl multi loop on its own thread.
class curl_multi_transport {
 public:
  /// Starts the loop thread.
  explicit curl_multi_transport(transport_options options = {});
  curl_multi_transport(const curl_multi_transport&) = delete;
  curl_multi_transport& operator=(const curl_multi_transport&) = delete;
  /// Aborts every transfer (their on_done is not called) and joins the thread.
  ~curl_multi_transport();

  /// Starts a transfer; thread-safe. Returns its id.
  std::uint64_t submit(http_call call, transfer_limits limits, transfer_events events);
  /// Aborts a transfer at once: it is removed from the multi handle and its connection closed
  /// (not returned to the pool); thread-safe; no callback of it runs afterwards.
  void cancel(std::uint64_t id);
  /// A snapshot of the counters; thread-safe.
  [[nodiscard]] transport_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace lekhika::providers
