#include "lekhika/persistence/store.hpp"

namespace lekhika::persistence {

// Defaults for back ends that have no single scoped query: the ownership check, then the read.
// A row's owner never changes, so the two steps cannot disagree.

result<std::vector<event_record>> store::scoped_events_after(
    const std::string& id, const std::optional<std::string>& user_id, std::int64_t after_seq,
    int limit) {
  if (user_id) {
    auto found = get_execution(id, user_id);
    if (!found.ok()) return found.error();
    if (!found.value()) return std::vector<event_record>{};
  }
  return events_after(id, after_seq, limit);
}

result<std::vector<artifact_record>> store::scoped_artifacts(
    const std::string& id, const std::optional<std::string>& user_id) {
  if (user_id) {
    auto found = get_execution(id, user_id);
    if (!found.ok()) return found.error();
    if (!found.value()) return std::vector<artifact_record>{};
  }
  return artifacts(id);
}

}  // namespace lekhika::persistence
