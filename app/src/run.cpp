#include <pthread.h>
#include <unistd.h>

#include <caf/all.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "lekhika/actors/engine.hpp"
#include "lekhika/actors/env.hpp"
#include "lekhika/actors/log.hpp"
#include "lekhika/app/cli.hpp"
#include "progress.hpp"
#include "signals.hpp"

namespace lekhika::app {
namespace {

/// A bare workflow, or a body without userId, runs as this local tenant.
constexpr const char* local_user = "cli";

// Prepares the file's JSON as a POST /execute body: a bare workflow is wrapped, a missing
// userId becomes the local tenant, and --formats replaces the requested formats.
nlohmann::json as_request_body(nlohmann::json document, const std::optional<std::string>& formats) {
  if (!document.contains("workflow") && !document.contains("userId") &&
      document.contains("nodes")) {
    nlohmann::json flow{{"nodes", document["nodes"]},
                        {"edges", document.value("edges", nlohmann::json::array())},
                        {"models", document.value("models", nlohmann::json::array())}};
    document = {{"workflow", std::move(flow)}, {"inputs", nlohmann::json::object()}};
  }
  if (!document.contains("userId")) document["userId"] = local_user;
  if (formats) {
    nlohmann::json list = nlohmann::json::array();
    std::string item;
    for (char c : *formats + ",") {
      if (c == ',') {
        if (!item.empty()) list.push_back(item);
        item.clear();
      } else if (c != ' ') {
        item += c;
      }
    }
    const char* input_key = document.contains("workflow") ? "inputs" : "userInput";
    if (!document.contains(input_key) || !document[input_key].is_object())
      document[input_key] = nlohmann::json::object();
    document[input_key]["output_formats"] = std::move(list);
    // The formats the output node names would be added to these (docs/behaviour.md): the
    // command line's choice is the whole list, so they are dropped.
    if (document.contains("workflow") && document["workflow"].is_object() &&
        document["workflow"].contains("nodes") && document["workflow"]["nodes"].is_array()) {
      for (auto& node : document["workflow"]["nodes"]) {
        if (!node.is_object() || !node.contains("data") || !node["data"].is_object()) continue;
        for (const char* key : {"exportFormats", "outputFormat", "outputFormats"}) {
          node["data"].erase(key);
        }
      }
    }
  }
  return document;
}

// Waits for SIGINT/SIGTERM while the run lasts: the first one cancels the execution (its
// partial output is kept), a second one leaves at once. SIGUSR1 ends the watch.
class interrupt_watch {
 public:
  interrupt_watch(caf::actor_system& system, actors::registry_actor registry,
                  std::string execution_id)
      : thread_([&system, registry = std::move(registry), id = std::move(execution_id)] {
          const sigset_t set = handled_signals();
          bool cancelling = false;
          for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) continue;
            if (sig == SIGUSR1) return;
            if (cancelling) {
              static constexpr char msg[] = "\ninterrupted again: leaving now\n";
              (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
              std::_Exit(exit_cancelled);
            }
            cancelling = true;
            static constexpr char msg[] = "\ncancelling (press Ctrl-C again to leave at once)\n";
            (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
            caf::anon_send(registry, actors::cancel_request{
                                         id, std::nullopt, "interrupted from the terminal", false});
            (void)system;
          }
        }) {}
  interrupt_watch(const interrupt_watch&) = delete;
  interrupt_watch& operator=(const interrupt_watch&) = delete;
  ~interrupt_watch() {
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
  }

 private:
  std::thread thread_;
};

// Receives the execution's events and shows them.
caf::behavior progress_observer(caf::event_based_actor*, progress_view* view) {
  return {
      [view](actors::execution_event& e) { view->on_event(e.event); },
      [](actors::not_live&) {},
      // Answered after every event queued before it: the caller then knows the view is whole.
      [](actors::flush_atom) { return true; },
  };
}

int exit_code_of(const std::string& status) {
  if (status == "completed") return exit_completed;
  if (status == "cancelled") return exit_cancelled;
  return exit_failed;
}

}  // namespace

int run_command(const command_line& cmd, const config& cfg) {
  if (cmd.positional.size() != 1) {
    std::cerr << "usage: lekhika-worker run FILE.json [--out DIR] [--formats md,html,txt] "
                 "[--offline] [--json]\n";
    return exit_invalid_input;
  }
  auto document = read_json_file(cmd.positional[0]);
  if (!document) return exit_invalid_input;
  if (!document->is_object()) {
    std::cerr << "error: " << cmd.positional[0] << " must hold a JSON object\n";
    return exit_invalid_input;
  }
  std::optional<std::string> formats;
  if (auto it = cmd.options.find("formats"); it != cmd.options.end()) formats = it->second;
  const bool had_user = document->contains("userId");
  auto body = as_request_body(std::move(*document), formats);

  auto catalog = providers::provider_catalog::build(cfg.env, cfg.providers_file);
  if (!catalog) {
    std::cerr << "error: " << catalog.error().message << "\n";
    return exit_invalid_input;
  }
  actors::admission_options admission;
  admission.force_offline = cmd.options.contains("offline");
  auto admitted = actors::make_plan(body, catalog.value(), admission, actors::new_execution_id(),
                                    actors::now_ms());
  if (auto* refused = std::get_if<actors::admission_error>(&admitted)) {
    std::cerr << "error: " << refused->message << "\n";
    for (const auto& p : refused->details)
      std::cerr << "  " << (p.path.empty() ? "/" : p.path) << ": " << p.message << "\n";
    return exit_invalid_input;
  }
  auto plan = std::get<actors::execution_plan_ptr>(std::move(admitted));

  const bool json_mode = cmd.options.contains("json");
  const progress_mode mode =
      json_mode ? progress_mode::json
                : (::isatty(STDERR_FILENO) != 0 ? progress_mode::bar : progress_mode::lines);
  std::FILE* progress_out = json_mode ? stdout : stderr;
  auto say = [json_mode](const std::string& line) {
    if (!json_mode) std::cerr << line << "\n";
  };

  block_signals();
  // `run` executes its own execution only: it never takes over what other workers left.
  auto settings = cfg.engine;
  settings.recover = false;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  settings.worker_id = std::string{host} + ":run-" + std::to_string(::getpid());
  auto engine = actors::engine::start(settings, std::move(catalog).value());
  if (!engine) {
    std::cerr << "error: cannot start the engine: " << engine.error().message << "\n";
    return exit_failed;
  }
  auto& sys = engine.value()->system();
  say("Lekhika: running " + cmd.positional[0] + " as execution " + plan->execution_id + " (" +
      std::to_string(plan->request.flow.nodes.size()) + " nodes)");
  if (!had_user)
    say("note: the file names no userId; running as local tenant '" + std::string{local_user} +
        "'");
  if (plan->offline_forced)
    say("note: --offline: every model call goes to the built-in offline provider");
  for (const auto& w : plan->warnings) say("warning: " + w.path + ": " + w.message);

  progress_view view{mode, progress_out};
  auto observer = sys.spawn(progress_observer, &view);
  actors::final_result_ptr final;
  std::string failure_message;
  int failure_code = exit_failed;
  bool stored_earlier = false;
  {
    interrupt_watch watch{sys, engine.value()->registry(), plan->execution_id};
    caf::scoped_actor self{sys};
    self->request(engine.value()->registry(), caf::infinite,
                  actors::submit_execution{plan, true, observer})
        .receive(
            [&](actors::submit_reply& reply) {
              if (reply.error) {
                failure_message = reply.error->message;
                failure_code = reply.error->code == "conflict" ? exit_invalid_input : exit_failed;
              } else if (reply.final) {
                final = reply.final;
              } else {
                stored_earlier = true;
              }
            },
            [&](caf::error& err) { failure_message = to_string(err); });
    if (stored_earlier) {
      // The same body ran before under this executionId: show what was stored, never run twice.
      say("note: execution " + plan->execution_id + " ran before; showing its stored result");
      self->request(engine.value()->reader(), std::chrono::seconds{30},
                    actors::execution_query{plan->execution_id, std::nullopt, true})
          .receive(
              [&](actors::execution_view& stored_view) {
                if (!stored_view.snapshot.found) {
                  failure_message =
                      stored_view.error ? stored_view.error->message : "stored execution not found";
                  return;
                }
                auto stored = std::make_shared<actors::final_result>();
                stored->record = std::move(stored_view.snapshot.record);
                stored->inline_text = std::move(stored_view.inline_text);
                final = std::move(stored);
              },
              [&](caf::error& err) { failure_message = to_string(err); });
    }
  }
  {
    // The events of the end were sent to the observer before the end reached us; let it show
    // them before the summary, which must come last (one JSON object per line, summary last).
    caf::scoped_actor self{sys};
    self->request(observer, std::chrono::seconds{10}, actors::flush_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
  }
  caf::anon_send_exit(observer, caf::exit_reason::user_shutdown);
  view.close();
  if (!final) {
    std::cerr << "error: " << failure_message << "\n";
    engine.value()->stop();
    return failure_code;
  }

  const auto& record = final->record;
  const std::filesystem::path out_dir = cmd.options.contains("out")
                                            ? std::filesystem::path{cmd.options.at("out")}
                                            : std::filesystem::path{"out"} / plan->execution_id;
  std::vector<std::string> written;
  if (record.output.is_object() && record.output.contains("formats")) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) {
      std::cerr << "warning: cannot create " << out_dir.string() << ": " << ec.message()
                << "; the files stay in the store (ARTIFACT_DIR)\n";
    }
    caf::scoped_actor self{sys};
    for (const auto& item : record.output["formats"].items()) {
      const std::string& format = item.key();
      self->request(engine.value()->reader(), std::chrono::seconds{30},
                    actors::artifact_query{plan->execution_id, std::nullopt, format})
          .receive(
              [&](actors::artifact_bytes& file) {
                if (!file.bytes) return;
                const auto path = out_dir / ("book." + format);
                std::ofstream out{path, std::ios::binary | std::ios::trunc};
                out << *file.bytes;
                out.close();
                if (!out) {
                  std::cerr << "warning: cannot write " << path.string() << "\n";
                  return;
                }
                written.push_back(path.string());
              },
              [&](caf::error& err) {
                std::cerr << "warning: cannot read the " << format << " file: " << to_string(err)
                          << "\n";
              });
    }
  }

  if (json_mode) {
    nlohmann::json summary{{"executionId", record.id},
                           {"status", record.status},
                           {"usage", record.usage},
                           {"files", written}};
    if (!record.error.is_null()) summary["error"] = record.error;
    std::cout << summary.dump() << "\n";
  } else {
    const auto& book = record.result.value("book", nlohmann::json{});
    std::cerr << "\n" << record.status;
    if (book.is_object()) {
      std::cerr << ": \"" << book.value("title", std::string{}) << "\", "
                << book.value("chapters", nlohmann::json::array()).size() << " chapters, "
                << book.value("words", 0) << " words";
    }
    std::cerr << "; " << record.usage.value("totalTokens", 0) << " tokens in "
              << record.usage.value("calls", 0) << " model calls\n";
    if (!record.error.is_null())
      std::cerr << "error: " << record.error.value("message", std::string{}) << "\n";
    if (record.output.is_object()) {
      for (const auto& w : record.output.value("warnings", nlohmann::json::array())) {
        if (w.is_string()) std::cerr << "warning: " << w.get<std::string>() << "\n";
      }
    }
    for (const auto& path : written) std::cerr << "  wrote " << path << "\n";
  }
  engine.value()->stop();
  return exit_code_of(record.status);
}

}  // namespace lekhika::app
