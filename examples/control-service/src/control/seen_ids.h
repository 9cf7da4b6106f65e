// Uplink dedup: message ids seen recently. QoS 1 delivers at least once, and a device re-sends
// from its outbox after a kill, so the same request may arrive twice: it is handled once.
// Bounded in count and time. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_set>
#include <utility>

namespace callsignal::control {

class SeenIds {
 public:
  SeenIds(std::size_t max_ids, std::int64_t memory_ms) : max_ids_(max_ids), memory_ms_(memory_ms) {}

  // Records `id`; false when it was already there.
  bool insert(const std::string& id, std::int64_t now_ms) {
    expire(now_ms);
    if (!ids_.insert(id).second) return false;
    order_.emplace_back(now_ms + memory_ms_, id);
    while (order_.size() > max_ids_) pop();
    return true;
  }

  std::size_t size() const { return ids_.size(); }

 private:
  void expire(std::int64_t now_ms) {
    while (!order_.empty() && order_.front().first <= now_ms) pop();
  }
  void pop() {
    ids_.erase(order_.front().second);
    order_.pop_front();
  }

  std::size_t max_ids_;
  std::int64_t memory_ms_;
  std::unordered_set<std::string> ids_;
  std::deque<std::pair<std::int64_t, std::string>> order_;
};

}  // namespace callsignal::control
