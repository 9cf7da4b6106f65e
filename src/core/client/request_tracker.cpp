#include "core/client/request_tracker.h"

namespace callsignal {

void RequestTracker::add(const std::string& id, PendingRequest request, std::int64_t now_ms) {
  forget_expired(now_ms);
  while (by_id_.size() >= max_entries_ && !by_deadline_.empty()) {
    by_id_.erase(by_deadline_.begin()->second);
    by_deadline_.erase(by_deadline_.begin());
  }
  by_deadline_.emplace(request.forget_at_ms, id);
  by_id_[id] = std::move(request);
}

std::optional<PendingRequest> RequestTracker::take(const std::string& id) {
  auto found = by_id_.find(id);
  if (found == by_id_.end()) return std::nullopt;
  PendingRequest request = std::move(found->second);
  by_id_.erase(found);
  for (auto it = by_deadline_.lower_bound(request.forget_at_ms);
       it != by_deadline_.end() && it->first == request.forget_at_ms; ++it) {
    if (it->second == id) {
      by_deadline_.erase(it);
      break;
    }
  }
  return request;
}

void RequestTracker::forget_expired(std::int64_t now_ms) {
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now_ms) {
    by_id_.erase(by_deadline_.begin()->second);
    by_deadline_.erase(by_deadline_.begin());
  }
}

}  // namespace callsignal
