#include "node_actor.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>

#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/exporters.hpp"
#include "lekhika/workflow/chapters.hpp"
#include "lekhika/workflow/conditions.hpp"
#include "lekhika/workflow/prompts.hpp"
#include "lekhika/workflow/user_input.hpp"

namespace lekhika::actors {
namespace {

using workflow::role_kind;

/// How much of each earlier chapter a chapter prompt may quote (it only uses summaries).
constexpr std::size_t previous_chapter_excerpt = 600;
/// Longest a cancelling node waits for a provider to confirm an abort.
constexpr std::chrono::seconds abort_timeout{5};
/// Longest an exporter may take to render a book in every requested format.
constexpr std::chrono::minutes export_timeout{10};

/// What a node does with an answer: the completion and what the call consumed in all.
using answer_handler = std::function<void(const providers::completion&, const usage_totals&)>;

struct node_state {
  static inline const char* name = "node";

  node_actor::stateful_pointer<node_state> self = nullptr;
  execution_plan_ptr plan;
  std::size_t index = 0;
  const workflow::node* spec = nullptr;
  std::vector<successor> successors;
  supervisor_actor supervisor;
  execution_env_ptr env;

  // Inputs: one slot per direct predecessor, in edge order.
  std::vector<std::size_t> predecessors;
  std::vector<node_output_ptr> inputs;
  std::vector<bool> arrived;
  std::vector<std::size_t> arrival_order;
  std::size_t waiting = 0;
  bool started = false;
  bool done = false;

  // What the inputs add up to.
  std::shared_ptr<const manuscript> book;
  std::shared_ptr<const outline> plan_outline;
  std::vector<workflow::upstream_text> upstream;  // newest first

  // Work in progress.
  usage_totals usage;
  int attempts = 0;
  std::unordered_map<std::uint64_t, provider_actor> in_flight;
  std::vector<std::string> warnings;
  std::string answered_model;
  std::string answered_provider;

  // Chapter loops of writers and revisers.
  int chapters_total = 0;
  int next_chapter = 1;
  int chapters_running = 0;
  int chapters_done = 0;
  std::vector<std::optional<workflow::chapter>> chapters;
  std::vector<std::string> chapter_titles;
  std::shared_ptr<const manuscript> revising;  // reviser: the book it revises

  // Chapters this node wrote before a takeover, and what they cost.
  std::vector<workflow::chapter> written_before;
  usage_totals written_before_usage;

  // Output node: artifacts still being stored.
  std::size_t artifacts_pending = 0;
  nlohmann::json artifact_formats = nlohmann::json::object();
  std::shared_ptr<std::map<std::string, std::string>> inline_text;
  nlohmann::json book_details;

  // ---- inputs ---------------------------------------------------------------------------------

  void on_delivery(const edge_delivery& delivery) {
    if (done || started) return;
    for (std::size_t slot = 0; slot < predecessors.size(); ++slot) {
      if (predecessors[slot] != delivery.from || arrived[slot]) continue;
      arrived[slot] = true;
      inputs[slot] = delivery.output;
      arrival_order.push_back(slot);
      --waiting;
      break;
    }
    if (waiting == 0) begin_work();
  }

  void merge_inputs() {
    std::vector<std::shared_ptr<const manuscript>> books;
    for (const auto& in : inputs) {
      if (!in) continue;
      books.push_back(in->book);
      if (!plan_outline && in->plan) plan_outline = in->plan;
    }
    book = merge_books(books, spec->id);
    for (auto it = arrival_order.rbegin(); it != arrival_order.rend(); ++it) {
      const auto& in = inputs[*it];
      if (in && !in->text.empty()) upstream.push_back({in->node_id, in->text});
    }
  }

  [[nodiscard]] bool any_input_taken() const {
    return std::any_of(inputs.begin(), inputs.end(),
                       [](const node_output_ptr& in) { return in != nullptr; });
  }

  [[nodiscard]] std::string joined_upstream_text() const {
    std::string text;
    for (auto it = upstream.rbegin(); it != upstream.rend(); ++it) {
      if (!text.empty()) text += "\n\n";
      text += it->text;
    }
    return text;
  }

  // ---- start ----------------------------------------------------------------------------------

  void begin_work() {
    if (started || done) return;
    started = true;
    merge_inputs();
    if (!predecessors.empty() && !any_input_taken()) {
      finish_skipped("no incoming edge was taken", false);
      return;
    }
    self->send(supervisor, node_started{index});
    switch (spec->kind) {
      case role_kind::input:
        return run_input();
      case role_kind::condition:
        return run_condition();
      case role_kind::writer:
        return run_writer();
      case role_kind::reviser:
        return run_reviser();
      case role_kind::image:
        return run_image();
      case role_kind::output:
        return run_output();
      case role_kind::structural:
      case role_kind::planner:
      case role_kind::preview:
      case role_kind::generic:
        return run_single();
    }
  }

  void run_input() {
    auto out = passthrough_output();
    out->text = workflow::render_input(plan->input);
    out->details = plan->input;
    finish_completed(std::move(out));
  }

  void run_condition() {
    std::vector<std::string> ids;
    ids.reserve(successors.size());
    for (const auto& [i, actor] : successors) ids.push_back(plan->request.flow.nodes[i].id);
    auto decision = workflow::decide_routes(*spec, ids, plan->input);
    if (!successors.empty() && decision.taken.empty()) {
      std::string detail;
      std::vector<std::string> fields;  // each field once, however many rules read it
      for (const auto& e : decision.evaluations) {
        if (std::find(fields.begin(), fields.end(), e.field) != fields.end()) continue;
        fields.push_back(e.field);
        if (!detail.empty()) detail += ", ";
        detail += e.field + " = " +
                  (e.field_value.is_null() ? std::string{"<absent>"} : e.field_value.dump());
      }
      fail(failure{"no_route",
                   "condition node '" + spec->id + "': no rule matched (" + detail + ")"});
      return;
    }
    auto out = passthrough_output();
    out->details = decision.to_json();
    node_output_ptr shared = std::move(out);
    report(node_finished{index, "completed", shared, usage, std::nullopt, {}, attempts});
    for (const auto& [i, actor] : successors) {
      const auto& id = plan->request.flow.nodes[i].id;
      const bool taken =
          std::find(decision.taken.begin(), decision.taken.end(), id) != decision.taken.end();
      self->send(actor, edge_delivery{index, taken ? shared : nullptr});
    }
    end();
  }

  void run_image() {
    // No image provider is wired in this build: the node steps aside and the book goes on
    // without the picture, as workflow.md asks of image nodes.
    std::string reason;
    const auto& chain = plan->models[index];
    if (chain.empty()) {
      reason = "no image model selected";
    } else if (chain.front().provider.type == providers::provider_type::offline) {
      reason = "the offline provider does not generate images";
    } else {
      reason = "image generation is not available in this build";
    }
    finish_skipped(reason, true);
  }

  void run_single() {
    auto context = base_context();
    auto built = workflow::build_prompt(*spec, context);
    add_warnings(built.warnings);
    auto request = base_request(std::move(built));
    if (spec->kind == role_kind::structural) {
      request.purpose = providers::call_purpose::outline;
      request.chapter_total = workflow::chapter_count_from_input(plan->input);
    } else if (spec->kind == role_kind::preview) {
      request.purpose = providers::call_purpose::preview;
      if (spec->approval_required) {
        add_warnings(
            {"approvalRequired is not supported by this build yet: the preview was not held "
             "for review"});
      }
    }
    call_model(std::move(request), 0,
               [this](const providers::completion& answer, const usage_totals&) {
                 auto out = passthrough_output();
                 out->text = answer.text;
                 if (spec->kind == role_kind::structural) {
                   out->plan = std::make_shared<const outline>(outline{spec->id, answer.text});
                 }
                 finish_completed(std::move(out));
               });
  }

  void run_writer() {
    const std::string outline_text = plan_outline ? plan_outline->text : std::string{};
    auto chapter_plan = workflow::plan_chapters(plan->input, outline_text);
    add_warnings(chapter_plan.warnings);
    chapter_titles = chapter_plan.titles;
    chapter_titles.resize(static_cast<std::size_t>(chapter_plan.count));
    if (chapter_plan.count == 1 && chapter_titles[0].empty()) {
      chapter_titles[0] =
          workflow::input_string(plan->input, {"book_title", "story_title", "title"}).value_or("");
    }
    start_chapters(chapter_plan.count);
  }

  void run_reviser() {
    if (book && !book->chapters.empty()) {
      revising = book;
      chapter_titles.clear();
      for (const auto& ch : book->chapters) chapter_titles.push_back(ch.title);
      start_chapters(static_cast<int>(book->chapters.size()));
      return;
    }
    auto context = base_context();
    context.text_to_revise = joined_upstream_text();
    auto built = workflow::build_prompt(*spec, context);
    add_warnings(built.warnings);
    auto request = base_request(std::move(built));
    request.purpose = providers::call_purpose::revision;
    call_model(std::move(request), 0,
               [this](const providers::completion& answer, const usage_totals&) {
                 auto out = passthrough_output();
                 out->text = answer.text;
                 finish_completed(std::move(out));
               });
  }

  // ---- chapter loops ---------------------------------------------------------------------------

  void start_chapters(int total) {
    chapters_total = std::max(total, 1);
    chapters.assign(static_cast<std::size_t>(chapters_total), std::nullopt);
    // Chapters written before a takeover are kept (they are stored already): only the missing
    // ones are written now.
    for (auto& ch : written_before) {
      if (ch.number < 1 || ch.number > chapters_total) continue;
      auto& slot = chapters[static_cast<std::size_t>(ch.number - 1)];
      if (!slot) ++chapters_done;
      slot = std::move(ch);
    }
    written_before.clear();
    usage += written_before_usage;
    self->send(supervisor,
               node_progress{index, chapters_done, chapters_total, usage.output_tokens});
    if (chapters_done == chapters_total) {
      finish_book();
      return;
    }
    launch_chapters();
  }

  void launch_chapters() {
    while (!done && chapters_running < spec->chapter_concurrency) {
      while (next_chapter <= chapters_total &&
             chapters[static_cast<std::size_t>(next_chapter - 1)]) {
        ++next_chapter;
      }
      if (next_chapter > chapters_total) return;
      launch_chapter(next_chapter++);
    }
  }

  [[nodiscard]] std::vector<workflow::chapter> previous_chapters(int number) const {
    std::vector<workflow::chapter> previous;
    for (int i = 1; i < number; ++i) {
      const auto& ch = chapters[static_cast<std::size_t>(i - 1)];
      if (!ch) break;  // only the finished, contiguous beginning of the book
      workflow::chapter excerpt = *ch;
      if (excerpt.content.size() > previous_chapter_excerpt)
        excerpt.content.resize(previous_chapter_excerpt);
      previous.push_back(std::move(excerpt));
    }
    return previous;
  }

  void launch_chapter(int number) {
    ++chapters_running;
    const auto& title = chapter_titles[static_cast<std::size_t>(number - 1)];
    auto context = base_context();
    context.chapter =
        workflow::chapter_call{number, chapters_total, title, previous_chapters(number)};
    if (revising) {
      const auto& source = revising->chapters[static_cast<std::size_t>(number - 1)];
      context.text_to_revise =
          "Chapter " + std::to_string(number) + ": " + source.title + "\n\n" + source.content;
    }
    auto built = workflow::build_prompt(*spec, context);
    add_warnings(built.warnings);
    auto request = base_request(std::move(built));
    request.purpose =
        revising ? providers::call_purpose::revision : providers::call_purpose::chapter;
    request.chapter_number = number;
    request.chapter_total = chapters_total;
    request.chapter_title = title;
    request.target_words = std::max(300, workflow::target_words(plan->input) / chapters_total);
    call_model(std::move(request), 0,
               [this, number](const providers::completion& answer, const usage_totals& spent) {
                 on_chapter(number, answer, spent);
               });
  }

  void on_chapter(int number, const providers::completion& answer, const usage_totals& spent) {
    --chapters_running;
    const auto& title = chapter_titles[static_cast<std::size_t>(number - 1)];
    auto written = workflow::make_chapter(number, answer.text, title);
    if (written.title.empty()) written.title = "Chapter " + std::to_string(number);
    const usage_totals& chapter_usage = spent;
    chapters[static_cast<std::size_t>(number - 1)] = written;
    ++chapters_done;
    self->send(supervisor, chapter_finished{index, written, chapter_usage});
    self->send(supervisor,
               node_progress{index, chapters_done, chapters_total, usage.output_tokens});
    if (chapters_done < chapters_total) {
      launch_chapters();
      return;
    }
    finish_book();
  }

  void finish_book() {
    auto out = passthrough_output();
    auto written_book = std::make_shared<manuscript>();
    written_book->node_id = spec->id;
    for (auto& ch : chapters) written_book->chapters.push_back(std::move(*ch));
    out->text = manuscript_text(*written_book);
    out->book = std::move(written_book);
    finish_completed(std::move(out));
  }

  // ---- output node ---------------------------------------------------------------------------

  void run_output() {
    std::vector<workflow::chapter> book_chapters;
    if (book) {
      book_chapters = book->chapters;
    } else if (auto text = joined_upstream_text(); !text.empty()) {
      auto title =
          workflow::input_string(plan->input, {"book_title", "story_title", "title"}).value_or("");
      book_chapters.push_back(workflow::make_chapter(1, text, title));
    } else {
      add_warnings({"no content reached the output node; the book is empty"});
    }
    auto compiled = std::make_shared<const publishing::book>(
        publishing::compile_book(plan->input, std::move(book_chapters)));
    auto selection = publishing::select_formats(plan->input, spec->export_formats);
    add_warnings(selection.warnings);
    book_details = publishing::book_to_json(*compiled);
    inline_text = std::make_shared<std::map<std::string, std::string>>();
    // Rendered by an exporter actor on its own thread (a long PDF takes real time).
    self->request(env->exporters->next(), export_timeout, export_cmd{compiled, selection.formats})
        .then(
            [this, selection](export_reply& reply) {
              if (done) return;
              for (const auto& format : reply.failed) {
                add_warnings({"format '" + format + "' could not be produced"});
              }
              store_files(selection, std::move(reply.files));
            },
            [this](caf::error& err) {
              if (!done)
                fail(failure{"export_error", "exporting the book failed: " + to_string(err)});
            });
  }

  // Stores every exported file; the node completes once each is recorded.
  void store_files(const publishing::format_selection& selection,
                   std::vector<publishing::exported_file> files) {
    if (files.empty()) return finish_output(selection);
    artifacts_pending = files.size();
    for (auto& file : files) {
      const std::string format{file.format->name};
      add_warnings(file.warnings);
      if (file.format->is_text) (*inline_text)[format] = file.bytes;
      auto bytes = std::make_shared<const std::string>(std::move(file.bytes));
      store_artifact_cmd cmd{plan->execution_id, format, file.file_name,
                             std::string{file.format->mime_type}, std::move(bytes)};
      self->request(env->writer, std::chrono::seconds{60}, std::move(cmd))
          .then(
              [this, selection, format](artifact_reply& reply) {
                if (done) return;
                if (reply.error) {
                  fail(failure{"artifact_error",
                               "storing the " + format + " file failed: " + reply.error->message});
                  return;
                }
                artifact_formats[format] = {
                    {"mimeType", reply.artifact.mime_type},
                    {"bytes", reply.artifact.bytes},
                    {"sha256", reply.artifact.sha256},
                    {"url", "/executions/" + plan->execution_id + "/artifacts/" + format}};
                if (--artifacts_pending == 0) finish_output(selection);
              },
              [this, format](caf::error& err) {
                if (!done)
                  fail(failure{"artifact_error",
                               "storing the " + format + " file failed: " + to_string(err)});
              });
    }
  }

  void finish_output(const publishing::format_selection& selection) {
    auto out = passthrough_output();
    out->text = book ? manuscript_text(*book) : joined_upstream_text();
    // The first requested format that was produced (one that failed is only a warning);
    // null when none was.
    nlohmann::json primary = nullptr;
    for (const auto* format : selection.formats) {
      if (artifact_formats.contains(std::string{format->name})) {
        primary = std::string{format->name};
        break;
      }
    }
    out->details = {
        {"book", book_details},
        {"output",
         {{"primaryFormat", primary}, {"formats", artifact_formats}, {"warnings", warnings}}}};
    out->inline_text = inline_text;
    finish_completed(std::move(out));
  }

  // ---- model calls ---------------------------------------------------------------------------

  [[nodiscard]] workflow::prompt_context base_context() const {
    workflow::prompt_context context;
    context.user_input = &plan->input;
    context.upstream = upstream;
    if (plan_outline) context.outline = plan_outline->text;
    return context;
  }

  [[nodiscard]] providers::completion_request base_request(workflow::built_prompt built) const {
    providers::completion_request request;
    request.system = std::move(built.system);
    request.user = std::move(built.user);
    const auto* role = workflow::find_role(spec->role);
    request.temperature = spec->temperature.value_or(
        role != nullptr && role->max_tokens > 0 ? role->temperature : 0.7);
    request.max_tokens = spec->max_tokens.value_or(
        role != nullptr && role->max_tokens > 0 ? role->max_tokens : 4096);
    return request;
  }

  // "provider:model" as a person reads it in a warning.
  [[nodiscard]] static std::string model_name(const resolved_model& m) {
    return std::string{providers::to_string(m.provider.type)} + ":" + m.model;
  }

  // Calls model `position` of the node's chain; when its provider gives up, the next model of
  // the chain (selectedModels[1..]) is tried, and only the last failure fails the node.
  void call_model(providers::completion_request request, std::size_t position,
                  answer_handler on_answer) {
    const auto& chain = plan->models[index];
    if (position >= chain.size()) {
      fail(failure{"no_model", "node '" + spec->id + "' has no usable model"});
      return;
    }
    const auto& choice = chain[position];
    auto provider = env->providers->find(choice.provider);
    if (!provider) {
      const std::string why =
          "provider " + std::string{providers::to_string(choice.provider.type)} + " (handle '" +
          choice.provider.handle + "') cannot be called by this build";
      if (position + 1 < chain.size()) {
        add_warnings({why + "; falling back to the next selected model"});
        call_model(std::move(request), position + 1, std::move(on_answer));
      } else {
        fail(failure{"provider_unavailable", why});
      }
      return;
    }
    request.model = choice.model;
    const auto call_id = next_call_id();
    in_flight.emplace(call_id, *provider);
    ++attempts;
    self->request(*provider, caf::infinite,
                  complete_prompt{call_id, request, plan->user_id, plan->execution_id, spec->id})
        .then(
            [this, call_id, request, position, on_answer](prompt_result& result) mutable {
              in_flight.erase(call_id);
              if (done) return;
              attempts += std::max(result.attempts, 1) - 1;
              usage += result.spent;  // every attempt counts, failed ones too
              if (result.answer) {
                answered_model = result.answer->model;
                answered_provider = result.answer->provider;
                on_answer(*result.answer, result.spent);
                return;
              }
              const auto error =
                  result.error.value_or(failure{"provider_error", "the provider gave no answer"});
              if (position + 1 < plan->models[index].size()) {
                const auto& chain_now = plan->models[index];
                add_warnings({"model " + model_name(chain_now[position]) + " failed (" +
                              error.code + "); falling back to " +
                              model_name(chain_now[position + 1])});
                call_model(std::move(request), position + 1, std::move(on_answer));
                return;
              }
              fail(error);
            },
            [this, call_id](caf::error& err) {
              in_flight.erase(call_id);
              if (!done)
                fail(failure{"provider_error", "provider actor failed: " + to_string(err)});
            });
  }

  // ---- endings --------------------------------------------------------------------------------

  [[nodiscard]] std::shared_ptr<node_output> passthrough_output() const {
    auto out = std::make_shared<node_output>();
    out->node_id = spec->id;
    out->kind = spec->kind;
    out->book = book;
    out->plan = plan_outline;
    out->text = joined_upstream_text();
    out->warnings = warnings;
    out->model = answered_model;
    out->provider = answered_provider;
    return out;
  }

  void add_warnings(const std::vector<std::string>& more) {
    for (const auto& w : more) {
      if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
    }
  }

  void report(node_finished msg) { self->send(supervisor, std::move(msg)); }

  void deliver_all(const node_output_ptr& output) {
    for (const auto& [i, actor] : successors) self->send(actor, edge_delivery{index, output});
  }

  void end() {
    done = true;
    self->quit();
  }

  void finish_completed(std::shared_ptr<node_output> out) {
    out->warnings = warnings;
    out->model = answered_model;
    out->provider = answered_provider;
    node_output_ptr shared = std::move(out);
    report(node_finished{index, "completed", shared, usage, std::nullopt, {}, attempts});
    deliver_all(shared);
    end();
  }

  // `passthrough`: the node stepped aside but what reached it goes on (image nodes); otherwise
  // its outgoing edges are not taken either (a branch that was not chosen).
  void finish_skipped(const std::string& reason, bool passthrough) {
    node_output_ptr shared;
    if (passthrough) {
      auto out = passthrough_output();
      out->details = {{"skipped", reason}};
      shared = std::move(out);
    }
    report(node_finished{index, "skipped", shared, usage, std::nullopt, reason, attempts});
    deliver_all(shared);
    end();
  }

  // Aborts every call in flight (their connections close at once), adds what they had consumed
  // (tokens already streamed count), then reports `status` and quits.
  void stop_and_report(const std::string& status, std::optional<failure> error) {
    done = true;
    auto report_now = [this, status, error]() {
      report(node_finished{index, status, nullptr, usage, error, {}, attempts});
      self->quit();
    };
    if (in_flight.empty()) return report_now();
    auto receipts_due = std::make_shared<std::size_t>(in_flight.size());
    auto receipt = [this, receipts_due, report_now](const usage_totals& spent) {
      usage += spent;
      if (--*receipts_due == 0) report_now();
    };
    for (const auto& [call_id, provider] : in_flight) {
      self->request(provider, abort_timeout, abort_prompt{call_id})
          .then([receipt](abort_receipt& r) { receipt(r.spent); },
                [receipt](caf::error&) { receipt(usage_totals{}); });
    }
    in_flight.clear();
  }

  void fail(failure error) {
    if (done) return;
    stop_and_report("failed", std::move(error));
  }

  void cancel() {
    if (done) return;
    stop_and_report("cancelled", std::nullopt);
  }

  void on_retrying(const call_retrying& r) {
    if (done) return;
    self->send(supervisor, node_retrying{index, r.attempt, r.delay_ms, r.cause, r.model});
  }
};

node_actor::behavior_type node_behavior(node_actor::stateful_pointer<node_state> self,
                                        execution_plan_ptr plan, std::size_t index,
                                        std::vector<successor> successors,
                                        supervisor_actor supervisor, execution_env_ptr env,
                                        std::vector<workflow::chapter> written_before,
                                        usage_totals written_before_usage) {
  auto& st = self->state;
  st.written_before = std::move(written_before);
  st.written_before_usage = written_before_usage;
  st.self = self;
  st.plan = std::move(plan);
  st.index = index;
  st.spec = &st.plan->request.flow.nodes[index];
  st.successors = std::move(successors);
  st.supervisor = std::move(supervisor);
  st.env = std::move(env);
  st.predecessors = st.plan->graph->incoming(index);
  st.inputs.assign(st.predecessors.size(), nullptr);
  st.arrived.assign(st.predecessors.size(), false);
  st.waiting = st.predecessors.size();
  return {
      [self](start_atom) { self->state.begin_work(); },
      [self](edge_delivery& delivery) { self->state.on_delivery(delivery); },
      [self](cancel_atom) { self->state.cancel(); },
      [self](call_retrying& r) { self->state.on_retrying(r); },
  };
}

}  // namespace

node_actor spawn_node(caf::actor_system& system, execution_plan_ptr plan, std::size_t index,
                      std::vector<successor> successors, supervisor_actor supervisor,
                      execution_env_ptr env, std::vector<workflow::chapter> written_before,
                      usage_totals written_before_usage) {
  return system.spawn(node_behavior, std::move(plan), index, std::move(successors),
                      std::move(supervisor), std::move(env), std::move(written_before),
                      written_before_usage);
}

}  // namespace lekhika::actors
