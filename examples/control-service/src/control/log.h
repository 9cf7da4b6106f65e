// Structured logs: one JSON object per line, {"ts":...,"level":"info","event":"call_created",...}.
//
// The service logs events, not prose: every line has ts (ms since the Unix epoch), level, event and
// the event's fields. Secrets (the RTC app key, the signing key, broker passwords) are never given
// to the logger. Thread-safe: lines are written whole, one at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace callsignal::control {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

const char* to_string(LogLevel level) noexcept;
// "debug", "info", "warn", "error", "off"; false for anything else.
bool parse_log_level(std::string_view text, LogLevel& level) noexcept;

// One field of a log line: a string, an integer or a boolean.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, std::int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, std::uint64_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}

  std::string_view key;
  std::variant<std::string, std::int64_t, bool> value;
};

class Logger {
 public:
  // Receives each line without its newline. Runs under the logger's lock.
  using Sink = std::function<void(const std::string& line)>;

  // A null sink writes to stderr.
  explicit Logger(LogLevel level = LogLevel::info, Sink sink = nullptr);

  bool enabled(LogLevel level) const noexcept { return level >= level_ && level_ != LogLevel::off; }
  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

  void debug(std::string_view event, std::initializer_list<LogField> fields = {}) { log(LogLevel::debug, event, fields); }
  void info(std::string_view event, std::initializer_list<LogField> fields = {}) { log(LogLevel::info, event, fields); }
  void warn(std::string_view event, std::initializer_list<LogField> fields = {}) { log(LogLevel::warn, event, fields); }
  void error(std::string_view event, std::initializer_list<LogField> fields = {}) { log(LogLevel::error, event, fields); }

 private:
  LogLevel level_;
  Sink sink_;
  std::mutex mutex_;
};

}  // namespace callsignal::control
