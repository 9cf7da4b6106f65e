// UndeliveredQueue: the admitted messages the app has not been given yet, in admission order,
// removable by id. InboxLedger's in-memory half of its `admitted` / `delivered` records.
//
// Messages are normally delivered in the order they were admitted, so the queue is a deque whose
// front is popped as deliveries reach it; a message delivered (or expired) out of order leaves a
// hole (its strings freed, about 100 bytes) until everything before it is gone. Holes are bounded
// by expiry, since every undelivered message is dropped once it expires. An id index makes
// removal O(1) whatever the order.
//
// Not thread-safe: the owner serialises calls. Allocates: std::bad_alloc on failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/filter/inbox_ledger.h"
#include "core/filter/message_id.h"

namespace callsignal {

class UndeliveredQueue {
 public:
  bool contains(const MessageId& id) const { return index_.count(id) != 0; }
  // Appends a copy of the message. The caller makes sure id is not in the queue.
  void push(const MessageId& id, std::int64_t expires_at_ms, std::string_view topic, std::string_view payload);
  // Removes id's message; false when it is not in the queue.
  bool remove(const MessageId& id);
  // Removes the messages whose expiry is before now_ms; returns how many.
  std::size_t remove_expired(std::int64_t now_ms);

  std::size_t size() const noexcept { return index_.size(); }
  bool empty() const noexcept { return index_.empty(); }
  // Topic plus payload bytes of the messages in the queue.
  std::uint64_t content_bytes() const noexcept { return content_bytes_; }

  // Calls visit(const InboxMessage&) for each message, oldest first.
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (const Entry& entry : entries_) {
      if (entry.live) visit(entry.message);
    }
  }
  std::vector<InboxMessage> copy() const;

 private:
  struct Entry {
    InboxMessage message;
    bool live = true;  // false: a hole left by an out-of-order removal
  };
  void kill(Entry& entry);
  void pop_dead_front();

  std::deque<Entry> entries_;
  std::uint64_t front_admission_ = 0;  // the admission number of entries_.front()
  std::unordered_map<MessageId, std::uint64_t, MessageIdHash> index_;  // id -> admission number
  std::uint64_t content_bytes_ = 0;
};

}  // namespace callsignal
