// docs/call-states.md must show exactly the code's transition table (call_transitions()), row for
// row, and its Mermaid diagram must draw every state change of that table.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/call/call_transitions.h"

using namespace callsignal;

namespace {

// tests/unit/<this file> -> <repo>/docs/call-states.md (no compile definition needed).
std::string doc_path() {
  std::string path = __FILE__;
  for (int up = 0; up < 3; ++up) path = path.substr(0, path.find_last_of('/'));
  return path + "/docs/call-states.md";
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(' ') - first + 1);
}

std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line.substr(1, line.size() - 2));  // drop the outer pipes
  std::string cell;
  while (std::getline(ss, cell, '|')) out.push_back(trim(cell));
  return out;
}

std::string read_doc() {
  std::ifstream in(doc_path());
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("call: docs/call-states.md shows the code's transition table", "[call]") {
  INFO("doc: " << doc_path());
  std::istringstream doc(read_doc());
  std::vector<std::vector<std::string>> rows;
  bool inside = false;
  std::string line;
  while (std::getline(doc, line)) {
    if (line == "<!-- transitions:begin -->") inside = true;
    else if (line == "<!-- transitions:end -->") inside = false;
    else if (inside && line.size() > 2 && line[0] == '|') rows.push_back(cells(line));
  }
  REQUIRE(rows.size() >= 2);
  CHECK(rows[0] == std::vector<std::string>{"from", "event", "to", "what happens"});
  rows.erase(rows.begin(), rows.begin() + 2);  // header and separator

  const auto& table = call_transitions();
  CHECK(rows.size() == table.size());
  for (std::size_t i = 0; i < std::min(rows.size(), table.size()); ++i) {
    const auto& row = table[i];
    CAPTURE(i);
    CHECK(rows[i] ==
          std::vector<std::string>{to_string(row.from), to_string(row.event), to_string(row.to), row.note});
  }
}

TEST_CASE("call: the doc's diagram draws every state change", "[call]") {
  const std::string doc = read_doc();
  REQUIRE(doc.find("```mermaid\nstateDiagram-v2\n") != std::string::npos);
  for (const auto& row : call_transitions()) {
    if (row.from == row.to) continue;
    const std::string edge = std::string("    ") + to_string(row.from) + " --> " + to_string(row.to) + ": ";
    const auto at = doc.find(edge);
    CAPTURE(edge, to_string(row.event));
    REQUIRE(at != std::string::npos);
    const std::string label = doc.substr(at + edge.size(), doc.find('\n', at) - at - edge.size());
    CHECK((", " + label + ",").find(std::string(" ") + to_string(row.event) + ",") != std::string::npos);
  }
}
