#include "cli_output.h"

#include <chrono>
#include <cstdio>

std::string json_quote(const std::string& text) {
  std::string out = "\"";
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += ch;  // the SDK hands out valid UTF-8 only
        }
    }
  }
  return out + "\"";
}

Line& Line::str(const std::string& key, const std::string& value) {
  json_fields_.emplace_back(key, json_quote(value));
  human_fields_.emplace_back(key, value);
  return *this;
}

Line& Line::num(const std::string& key, long long value) {
  json_fields_.emplace_back(key, std::to_string(value));
  human_fields_.emplace_back(key, std::to_string(value));
  return *this;
}

Line& Line::flag(const std::string& key, bool value) {
  json_fields_.emplace_back(key, value ? "true" : "false");
  if (value) human_fields_.emplace_back(key, "yes");
  return *this;
}

Line& Line::list(const std::string& key, const std::vector<std::string>& values) {
  std::string json = "[";
  std::string human;
  for (std::size_t i = 0; i < values.size(); ++i) {
    json += (i ? "," : "") + json_quote(values[i]);
    human += (i ? "," : "") + values[i];
  }
  json_fields_.emplace_back(key, json + "]");
  human_fields_.emplace_back(key, human);
  return *this;
}

Line& Line::raw_json(const std::string& key, const std::string& json) {
  json_fields_.emplace_back(key, json.empty() ? "null" : json);
  if (!json.empty()) human_fields_.emplace_back(key, json);
  return *this;
}

std::string Line::human() const {
  std::string out = event_;
  for (const auto& [key, value] : human_fields_) out += "  " + key + "=" + value;
  return out;
}

std::string Line::json(long long t_ms) const {
  const long long ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  std::string out = "{\"event\":" + json_quote(event_) + ",\"t_ms\":" + std::to_string(t_ms) +
                    ",\"ts\":" + std::to_string(ts);
  for (const auto& [key, value] : json_fields_) out += "," + json_quote(key) + ":" + value;
  return out + "}";
}

void Output::print(const Line& line) {
  const long long t_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_).count();
  const std::string text = json_ ? line.json(t_ms) : line.human();
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(stdout, "%s\n", text.c_str());
  std::fflush(stdout);
}

void Output::note(const std::string& text) {
  if (json_) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(stdout, "%s\n", text.c_str());
  std::fflush(stdout);
}
