// The SDK's process-wide log: one sink the app installs (the C ABI's cs_log_set_handler), levels,
// and nothing formatted below the level in force. Lines never carry secrets: callers log names and
// ids, never keys, passwords or tokens.
//
// Thread-safe. The sink runs on whichever thread logs, possibly on several at once, outside any
// lock of ours. A replaced sink is destroyed once no thread is inside it any more.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace callsignal {

enum class LogLevel : int { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

using LogSink = std::function<void(LogLevel level, const std::string& line)>;

// Installs `sink` (null: logging off) for lines at `min_level` and above.
void set_log_sink(LogLevel min_level, std::shared_ptr<const LogSink> sink);

// Whether a line at `level` would reach a sink: test it before building an expensive line.
bool log_enabled(LogLevel level) noexcept;

// Hands `line` to the sink if `level` is enabled. Never throws: a throwing sink is ignored.
void log_line(LogLevel level, const std::string& line) noexcept;

}  // namespace callsignal
