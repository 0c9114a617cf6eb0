#include <exception>

#include "lekhika/actors/spawn.hpp"

namespace lekhika::actors {
namespace {

// The index is unused but must be there: CAF 0.17 spawns a function actor without extra
// arguments through a null std::tuple<> pointer it then dereferences (UBSan reports it).
exporter_actor::behavior_type exporter(exporter_actor::pointer /*self*/, int /*index*/) {
  return {
      [](export_cmd& cmd) -> export_reply {
        export_reply reply;
        for (const auto* format : cmd.formats) {
          auto file = publishing::export_book(*cmd.book, *format);
          if (file) {
            reply.files.push_back(std::move(*file));
          } else {
            reply.failed.emplace_back(format->name);
          }
        }
        return reply;
      },
  };
}

}  // namespace

exporter_actor spawn_exporter(caf::actor_system& system, int index) {
  return system.spawn<caf::detached>(exporter, index);
}

}  // namespace lekhika::actors
