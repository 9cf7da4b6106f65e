#include "core/filter/undelivered_queue.h"

#include <string>

namespace callsignal {

void UndeliveredQueue::push(const MessageId& id, std::int64_t expires_at_ms, std::string_view topic,
                            std::string_view payload) {
  Entry& entry = entries_.emplace_back();
  entry.message.id = id;
  entry.message.expires_at_ms = expires_at_ms;
  entry.message.topic.assign(topic.data(), topic.size());
  entry.message.payload.assign(payload.data(), payload.size());
  index_.emplace(id, front_admission_ + entries_.size() - 1);
  content_bytes_ += topic.size() + payload.size();
}

void UndeliveredQueue::kill(Entry& entry) {
  content_bytes_ -= entry.message.topic.size() + entry.message.payload.size();
  entry.live = false;
  std::string().swap(entry.message.topic);
  std::string().swap(entry.message.payload);
}

void UndeliveredQueue::pop_dead_front() {
  while (!entries_.empty() && !entries_.front().live) {
    entries_.pop_front();
    ++front_admission_;
  }
}

bool UndeliveredQueue::remove(const MessageId& id) {
  const auto it = index_.find(id);
  if (it == index_.end()) return false;
  kill(entries_[static_cast<std::size_t>(it->second - front_admission_)]);
  index_.erase(it);
  pop_dead_front();
  return true;
}

std::size_t UndeliveredQueue::remove_expired(std::int64_t now_ms) {
  std::size_t removed = 0;
  for (Entry& entry : entries_) {
    if (entry.live && entry.message.expires_at_ms < now_ms) {
      index_.erase(entry.message.id);
      kill(entry);
      ++removed;
    }
  }
  pop_dead_front();
  return removed;
}

std::vector<InboxMessage> UndeliveredQueue::copy() const {
  std::vector<InboxMessage> out;
  out.reserve(size());
  for_each([&](const InboxMessage& message) { out.push_back(message); });
  return out;
}

}  // namespace callsignal
