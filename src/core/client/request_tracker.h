// The uplink requests still waiting for a possible `error` reply, so that a refusal from the service
// (which names the refused request by id, body.reply_to) can be handed to the call it concerns.
// Bounded: entries leave once their lifetime has passed, and the oldest go first when full.
// Not thread-safe: the client guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/envelope/message_type.h"

namespace callsignal {

struct PendingRequest {
  std::string call_key;  // the call's key in the state machine; empty for requests of no call
  MessageType type = MessageType::hello;
  std::int64_t forget_at_ms = 0;
};

class RequestTracker {
 public:
  explicit RequestTracker(std::size_t max_entries = 1024) : max_entries_(max_entries) {}

  // Remembers request `id` until `forget_at_ms` (service clock).
  void add(const std::string& id, PendingRequest request, std::int64_t now_ms);
  // The request `id` names, removed from the tracker; nullopt if unknown or forgotten.
  std::optional<PendingRequest> take(const std::string& id);
  std::size_t size() const noexcept { return by_id_.size(); }

 private:
  void forget_expired(std::int64_t now_ms);

  std::size_t max_entries_;
  std::map<std::string, PendingRequest> by_id_;
  std::multimap<std::int64_t, std::string> by_deadline_;
};

}  // namespace callsignal
