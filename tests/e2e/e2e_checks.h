// Catch2 helpers shared by the end-to-end tests: what a CLI prints about a call, and the clean
// stop every test ends with.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "e2e/e2e_world.h"

namespace callsignal::e2e {

inline Match state(const std::string& call_id, const std::string& s) {
  return ev("call_state").with("call_id", call_id).with("state", s);
}

inline Match ended(const std::string& call_id, const std::string& reason) {
  return state(call_id, "ended").with("reason", reason);
}

// A participants line listing exactly these "user:state" entries (any order).
inline Match participants(const std::string& call_id, std::vector<std::string> entries) {
  std::sort(entries.begin(), entries.end());
  std::string what = "participants=";
  for (const std::string& e : entries) what += e + " ";
  return ev("participants").with("call_id", call_id).where(what, [entries](const JsonLine& line) {
    std::vector<std::string> got = line.strings("participants");
    std::sort(got.begin(), got.end());
    return got == entries;
  });
}

// Stops the world cleanly; every process must exit 0 with no sanitizer report.
inline void finish(World& w) {
  for (const std::string& problem : w.shutdown()) FAIL_CHECK(problem);
}

}  // namespace callsignal::e2e
