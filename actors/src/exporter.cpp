#include <exception>

#include "lekhika/actors/spawn.hpp"

namespace lekhika::actors {
namespace {

exporter_actor::behavior_type exporter(exporter_actor::pointer /*self*/) {
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

exporter_actor spawn_exporter(caf::actor_system& system) {
  return system.spawn<caf::detached>(exporter);
}

}  // namespace lekhika::actors
