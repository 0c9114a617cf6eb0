#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lekhika/actors/messages.hpp"
#include "lekhika/actors/settings.hpp"
#include "lekhika/providers/catalog.hpp"

namespace lekhika::actors {

/// Provider actors by key; built once at start and then only read (safe to share).
class provider_directory {
 public:
  /// Registers the actor serving a provider key.
  void add(const std::string& key_id, provider_actor actor) { by_key_[key_id] = std::move(actor); }
  /// Registers the built-in offline provider (serves every handle of type offline).
  void set_offline(provider_actor actor) { offline_ = std::move(actor); }
  /// The actor for a resolved provider, or nullopt when this build cannot call it.
  [[nodiscard]] std::optional<provider_actor> find(const providers::provider_config& config) const;
  /// Every registered actor (for shutdown).
  [[nodiscard]] std::vector<provider_actor> all() const;

 private:
  std::map<std::string, provider_actor> by_key_;
  std::optional<provider_actor> offline_;
};

/// The exporter actors, taken in turn; built once at start and then only read.
class exporter_pool {
 public:
  explicit exporter_pool(std::vector<exporter_actor> exporters)
      : exporters_(std::move(exporters)) {}
  /// The next exporter (round robin).
  [[nodiscard]] const exporter_actor& next() const noexcept {
    return exporters_[turn_.fetch_add(1, std::memory_order_relaxed) % exporters_.size()];
  }
  [[nodiscard]] const std::vector<exporter_actor>& all() const noexcept { return exporters_; }

 private:
  std::vector<exporter_actor> exporters_;  ///< never empty
  mutable std::atomic<std::size_t> turn_{0};
};

/// What every execution's actors share: settings and the handles of the long-lived actors.
struct execution_env {
  engine_settings settings;
  store_writer_actor writer;
  store_reader_actor reader;
  std::shared_ptr<const provider_directory> providers;
  std::shared_ptr<const exporter_pool> exporters;
  std::shared_ptr<const providers::provider_catalog> catalog;  ///< to rebuild resumed plans
  bool shared_store = false;  ///< other workers share the database (PostgreSQL)
};

using execution_env_ptr = std::shared_ptr<const execution_env>;

/// Milliseconds since the Unix epoch, now.
[[nodiscard]] std::int64_t now_ms();

/// A process-wide unique id for a model call.
[[nodiscard]] std::uint64_t next_call_id();

}  // namespace lekhika::actors
