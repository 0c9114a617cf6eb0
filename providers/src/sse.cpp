// Server-sent events as the WHATWG HTML standard ("9.2 Server-sent events", event stream
// interpretation) defines them, minus reconnection (`retry:` is ignored: the provider actor
// decides about new attempts itself).

#include <utility>

#include "lekhika/providers/wire.hpp"

namespace lekhika::providers {

std::vector<sse_parser::event> sse_parser::feed(std::string_view bytes) {
  std::vector<event> events;
  // buffer_ never holds a line end between calls, so only the new bytes need scanning; lines
  // are consumed in place and erased once, so byte-by-byte feeding stays linear.
  const std::size_t scan_from = buffer_.size();
  buffer_.append(bytes);
  std::size_t line_start = 0;
  for (std::size_t i = scan_from; i < buffer_.size(); ++i) {
    const char c = buffer_[i];
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') {  // the LF of a CRLF whose CR ended the previous line
        line_start = i + 1;
        continue;
      }
    }
    if (c == '\n' || c == '\r') {
      process_line(std::string_view{buffer_}.substr(line_start, i - line_start), events);
      line_start = i + 1;
      skip_lf_ = c == '\r';
    }
  }
  buffer_.erase(0, line_start);
  return events;
}

std::vector<sse_parser::event> sse_parser::finish() {
  std::vector<event> events;
  // A partial last line means the event was cut: drop it whole rather than hand on a part.
  if (buffer_.empty()) dispatch(events);
  buffer_.clear();
  current_ = event{};
  has_data_ = false;
  skip_lf_ = false;
  seen_line_ = false;
  return events;
}

void sse_parser::process_line(std::string_view line, std::vector<event>& events) {
  if (!seen_line_) {
    seen_line_ = true;
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (line.starts_with(bom)) line.remove_prefix(bom.size());
  }
  if (line.empty()) {
    dispatch(events);
    return;
  }
  if (line.front() == ':') return;  // a comment (servers send them as keep-alives)
  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  } else if (field == "event") {
    current_.type = std::string{value};
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) current_.id = std::string{value};
  }
  // "retry" and unknown fields are ignored, as the standard says.
}

void sse_parser::dispatch(std::vector<event>& events) {
  // An event without data lines is not dispatched; the last event id persists across events.
  if (has_data_) events.push_back(current_);
  current_.type.clear();
  current_.data.clear();
  has_data_ = false;
}

}  // namespace lekhika::providers
