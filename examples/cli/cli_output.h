// What callsignal-cli prints: one line per event or command result, human-readable or JSON.
// Thread-safe: SDK callbacks (event thread) and command results (main thread) share stdout.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

// One line's fields, in order. Values are kept as JSON text.
class Line {
 public:
  explicit Line(std::string event) : event_(std::move(event)) {}
  Line& str(const std::string& key, const std::string& value);
  Line& num(const std::string& key, long long value);
  Line& flag(const std::string& key, bool value);
  Line& list(const std::string& key, const std::vector<std::string>& values);
  Line& raw_json(const std::string& key, const std::string& json);  // already JSON text
  // The human form: "event  key=value key=value".
  std::string human() const;
  // The JSON form: {"event":..., "t_ms": ms since the CLI started, "ts": Unix ms, fields...}.
  std::string json(long long t_ms) const;

 private:
  std::string event_;
  std::vector<std::pair<std::string, std::string>> json_fields_;
  std::vector<std::pair<std::string, std::string>> human_fields_;
};

class Output {
 public:
  explicit Output(bool json) : json_(json), start_(std::chrono::steady_clock::now()) {}
  void print(const Line& line);
  void note(const std::string& text);  // human-only remarks (prompts, hints); JSON mode skips them

 private:
  const bool json_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
};

std::string json_quote(const std::string& text);
