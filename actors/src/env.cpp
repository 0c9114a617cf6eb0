#include "lekhika/actors/env.hpp"

#include <chrono>

namespace lekhika::actors {

std::optional<provider_actor> provider_directory::find(
    const providers::provider_config& config) const {
  if (config.type == providers::provider_type::offline) return offline_;
  if (auto it = by_key_.find(config.key_id); it != by_key_.end()) return it->second;
  return std::nullopt;
}

std::vector<provider_actor> provider_directory::all() const {
  std::vector<provider_actor> out;
  if (offline_) out.push_back(*offline_);
  for (const auto& [key, actor] : by_key_) out.push_back(actor);
  return out;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::uint64_t next_call_id() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace lekhika::actors
