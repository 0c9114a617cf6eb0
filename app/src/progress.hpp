#pragma once

// Private to app/: how `run` shows an execution's events.

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "lekhika/persistence/records.hpp"

namespace lekhika::app {

/// How progress is shown: a redrawn bar on a terminal, plain lines otherwise, or JSON lines.
enum class progress_mode { bar, lines, json };

/// Renders the events of one execution as they arrive.
class progress_view {
 public:
  progress_view(progress_mode mode, std::FILE* out);
  /// Shows one event.
  void on_event(const persistence::event_record& event);
  /// Ends the bar's line (the summary follows on its own lines).
  void close();

 private:
  void draw_bar();

  progress_mode mode_;
  std::FILE* out_;
  int progress_ = 0;
  std::string activity_;
  std::map<std::string, std::string> running_;  // node id -> what it is doing
  std::int64_t output_tokens_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool drawn_ = false;
};

}  // namespace lekhika::app
