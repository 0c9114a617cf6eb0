#include <unordered_map>

#include "lekhika/actors/spawn.hpp"
#include "lekhika/providers/offline.hpp"

namespace lekhika::actors {
namespace {

struct offline_state {
  struct pending_call {
    caf::typed_response_promise<prompt_result> promise;
    complete_prompt call;
  };
  std::unordered_map<std::uint64_t, pending_call> pending;
  std::chrono::milliseconds latency{0};
  static inline const char* name = "offline_provider";
};

// Behaves like a slow remote provider: the answer is due after `latency`, driven by a timer
// message, so that hundreds of calls wait at once without a thread each, and an abort before
// the timer fires means the answer is never produced.
offline_provider_actor::behavior_type offline_provider(
    offline_provider_actor::stateful_pointer<offline_state> self,
    std::chrono::milliseconds latency) {
  self->state.latency = latency;
  return {
      [self](complete_prompt& call) -> caf::result<prompt_result> {
        auto promise = self->make_response_promise<prompt_result>();
        const auto id = call.call_id;
        self->state.pending.emplace(id, offline_state::pending_call{promise, std::move(call)});
        if (self->state.latency.count() > 0) {
          self->delayed_send(self, self->state.latency, due_atom::value, id);
        } else {
          self->send(self, due_atom::value, id);
        }
        return promise;
      },
      [self](abort_prompt& abort) -> abort_receipt {
        // The caller is gone or cancelled: drop the call. Nothing is delivered, and nothing was
        // consumed (the answer is made only when it is due).
        self->state.pending.erase(abort.call_id);
        return abort_receipt{abort.call_id, {}};
      },
      [self](due_atom, std::uint64_t id) {
        auto it = self->state.pending.find(id);
        if (it == self->state.pending.end()) return;  // aborted meanwhile
        auto call = std::move(it->second);
        self->state.pending.erase(it);
        prompt_result result;
        result.call_id = id;
        result.answer = providers::offline_complete(call.call.request);
        result.spent = usage_of(*result.answer);
        call.promise.deliver(std::move(result));
      },
  };
}

}  // namespace

provider_actor spawn_offline_provider(caf::actor_system& system,
                                      std::chrono::milliseconds latency) {
  return caf::actor_cast<provider_actor>(system.spawn(offline_provider, latency));
}

}  // namespace lekhika::actors
