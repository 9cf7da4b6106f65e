// The durable outbound queue: every publish is written here before it is handed to Paho, and
// removed only when the broker's PUBACK arrives. It is the single source of truth for outbound
// messages, so nothing is lost when the process is killed, when Paho drops in-flight messages on
// a reconnect without session, or when the broker is away for a long time.
//
// On disk: <data_dir>/outbox.log, an append-only log of CRC-checked records (add, ack).
// A torn or corrupt tail (a kill mid-write) is cut off at open. When acknowledged records
// dominate, the log is compacted into a new file that replaces the old one by rename().
// Without fsync, records survive a process kill (they are in the page cache once write()
// returns); with fsync they survive power loss too.
//
// Thread-safe: every member may be called from any thread; no callback is made.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/common/status.h"

namespace callsignal {

struct OutboxLimits {
  std::size_t max_messages = 10'000;
  std::size_t max_bytes = 16 * 1024 * 1024;  // topic + payload bytes of pending messages
};

struct OutboxEntry {
  std::uint64_t seq = 0;            // increasing, never reused within one data dir
  std::string topic;
  std::string payload;
  std::uint32_t expiry_s = 0;       // 0: never expires
  bool retain = false;
  std::int64_t created_unix_ms = 0; // wall clock when appended; expiry counts from here
};

class Outbox {
 public:
  // Opens (creating if needed) <dir>/outbox.log; creates dir (and its parents) if missing. An
  // empty dir gives a memory-only outbox. One Outbox per dir at a time (an flock on the dir).
  // Errors: io_error (cannot create or read the dir or file, or the dir is in use by another
  // Outbox; the message names the path).
  static Result<std::unique_ptr<Outbox>> open(const std::string& dir, OutboxLimits limits, bool fsync);
  ~Outbox();

  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Durably records a message and returns its seq. Errors: invalid_argument (topic over 65535
  // bytes or payload over 268435455 bytes, MQTT's limits), outbox_full (limits reached: nothing
  // written), io_error (the write failed: nothing recorded).
  Result<std::uint64_t> append(std::string topic, std::string payload, std::uint32_t expiry_s,
                               bool retain, std::int64_t now_unix_ms);
  // Records that the broker acknowledged seq. Unknown or already acknowledged seq: no effect.
  // Errors: io_error (the ack record could not be written: the entry leaves the pending set
  // anyway, but may come back after a reopen and be sent again).
  Status acknowledge(std::uint64_t seq);
  // Copies of the pending (unacknowledged) entries with seq > after_seq, oldest first, at most max.
  std::vector<OutboxEntry> pending(std::uint64_t after_seq, std::size_t max) const;
  std::optional<OutboxEntry> find(std::uint64_t seq) const;

  std::size_t size() const;   // pending messages
  std::size_t bytes() const;  // topic + payload bytes of pending messages
  // Records dropped at open because their CRC or length was bad (a torn tail or corruption).
  std::size_t corrupt_records_dropped() const;

 private:
  struct Impl;
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace callsignal
