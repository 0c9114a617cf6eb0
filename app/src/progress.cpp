#include "progress.hpp"

namespace lekhika::app {
namespace {

constexpr int bar_width = 28;

std::string elapsed_text(std::chrono::steady_clock::duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  const auto minutes = std::to_string(s / 60);
  const auto seconds = std::to_string(s % 60);
  return (minutes.size() < 2 ? "0" + minutes : minutes) + ":" +
         (seconds.size() < 2 ? "0" + seconds : seconds);
}

}  // namespace

progress_view::progress_view(progress_mode mode, std::FILE* out) : mode_(mode), out_(out) {}

void progress_view::on_event(const persistence::event_record& event) {
  if (mode_ == progress_mode::json) {
    nlohmann::json line{{"seq", event.seq}, {"type", event.type}, {"data", event.data}};
    std::fprintf(out_, "%s\n", line.dump().c_str());
    std::fflush(out_);
    return;
  }
  const auto& data = event.data;
  if (data.contains("progress") && data["progress"].is_number_integer()) {
    progress_ = std::max(progress_, data["progress"].get<int>());
  }
  const std::string node = data.value("nodeId", std::string{});
  std::string line;
  if (event.type == "node.started") {
    running_[node] = data.value("role", std::string{});
    line = node + " started";
  } else if (event.type == "node.progress") {
    const auto chapter = data.value("chapter", 0);
    const auto of = data.value("of", 0);
    running_[node] = "chapter " + std::to_string(chapter) + "/" + std::to_string(of);
    line = node + ": chapter " + std::to_string(chapter) + " of " + std::to_string(of) + " written";
  } else if (event.type == "node.completed") {
    running_.erase(node);
    if (data.contains("usage"))
      output_tokens_ += data["usage"].value("outputTokens", std::int64_t{0});
    line = node + " completed";
  } else if (event.type == "node.skipped") {
    running_.erase(node);
    line = node + " skipped: " + data.value("reason", std::string{});
  } else if (event.type == "node.failed") {
    running_.erase(node);
    line = node + " failed: " +
           data.value("error", nlohmann::json::object()).value("message", std::string{});
  } else if (event.type == "execution.cancelling") {
    line = "cancelling (" + data.value("reason", std::string{}) + ")";
  } else if (event.type.starts_with("execution.")) {
    line = event.type.substr(10);
    if (event.type == "execution.completed") progress_ = 100;
  } else {
    line = event.type;
  }
  if (mode_ == progress_mode::lines) {
    std::fprintf(out_, "[%3d%%] %s\n", progress_, line.c_str());
    std::fflush(out_);
    return;
  }
  activity_ = line;
  draw_bar();
}

void progress_view::draw_bar() {
  const int filled = progress_ * bar_width / 100;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(bar_width - filled), '.');
  std::string doing;
  for (const auto& [node, what] : running_) {
    if (!doing.empty()) doing += ", ";
    doing += node;
    if (!what.empty()) doing += " " + what;
  }
  if (doing.empty()) doing = activity_;
  if (doing.size() > 60) doing = doing.substr(0, 57) + "...";
  std::fprintf(out_, "\r\033[2K[%s] %3d%%  %s  %s", bar.c_str(), progress_,
               elapsed_text(std::chrono::steady_clock::now() - started_).c_str(), doing.c_str());
  std::fflush(out_);
  drawn_ = true;
}

void progress_view::close() {
  if (mode_ == progress_mode::bar && drawn_) {
    std::fprintf(out_, "\n");
    std::fflush(out_);
  }
}

}  // namespace lekhika::app
