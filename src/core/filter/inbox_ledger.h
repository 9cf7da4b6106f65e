// InboxLedger: the durable side of the dedup filter. It remembers every message id the client has
// admitted until the id's expiry, and keeps each admitted message until the app has been given it.
//
// Why it keeps messages, not just ids: Paho 1.3.12 sends a QoS 1 PUBACK before it calls
// messageArrived, so by the time a message is admitted the broker has forgotten it. If the process
// dies before the app has the message, the ledger's `admitted` record is the only copy left; after
// a restart undelivered() hands it back for replay, in admission order.
//
// On disk: <dir>/ledger.log, append-only records framed as in core/common/file_io.h (u32 length,
// u32 CRC-32 of the body, body = u8 type, ...), little-endian:
//   1 admitted   id[16], i64 expires_at_ms, u32 topic length, topic, u32 payload length, payload
//   2 delivered  id[16]
//   3 seen       one or more of: id[16], i64 expires_at_ms   (ids without a payload; compaction
//                writes them in batches)
//
// What survives what:
//   - A process kill (SIGKILL, a crash, the OS reclaiming a background app) at any instant: every
//     admit() that returned true, and every mark_delivered() that succeeded. Each record goes to the
//     kernel with one write() on an O_APPEND descriptor before the call returns, so it is in the
//     page cache, which outlives the process. A kill in the middle of a write leaves a torn last
//     record: open() cuts it off (it belonged to a call that never returned).
//   - Power loss or a kernel crash: only what was fsync'ed. With LedgerOptions::fsync every record
//     is fsync'ed before its call returns (a few ms on phone flash: it delays the PUBACK thread),
//     and compaction fsyncs the new file and the directory. Without it, the last seconds of records
//     may be lost, and with them the dedup memory of those ids: a message re-sent by the broker
//     after such a crash may be delivered twice. Choose per product; the default is off.
//
// Recovery: open() reads the records in order and stops at the first one whose length is out of
// range, whose CRC does not match, or whose body does not parse; the file is cut there, and the
// records lost are counted in corrupt_records_dropped() (a file of garbage opens empty, with a
// count, never an error). Only a failure to read, write or create the files is an error.
//
// Bounded: prune(now) forgets the ids whose expiry has passed (with any undelivered message of
// them: delivering it now would break expiry), and when dead records (delivered payloads, ids
// forgotten) outweigh the live state, the ledger compacts: the live state (ids still remembered,
// as `seen`, then undelivered messages, as `admitted`, in admission order) is written to
// ledger.log.tmp, fsync'ed if configured, and renamed over ledger.log; the directory is then
// fsync'ed if configured. A process kill at any point leaves the old or the new file, whole (with
// fsync on, so does a power loss); a leftover .tmp is deleted at open.
//
// One ledger per directory at a time: an exclusive flock() on ledger.log refuses a second one (in
// this process or another) with io_error.
//
// Thread-safe: every member may be called from any thread; calls are serialised by an internal
// mutex, held for the in-memory update and the one write(), and, when mark_delivered() or prune()
// triggers one, for a compaction (proportional to the live state: a few ms per 100k ids). No
// callback is ever made.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/filter/message_id.h"

namespace callsignal {

struct LedgerOptions {
  // fsync every record and the compacted file: survives power loss, costs a flash write per message.
  bool fsync = false;
  // Compaction waits until dead bytes exceed both this and the live bytes (so that the file stays
  // under about twice its live size plus this).
  std::uint64_t compact_min_dead_bytes = 1024 * 1024;
};

struct InboxMessage {
  MessageId id;
  std::int64_t expires_at_ms = 0;
  std::string topic;
  std::string payload;
};

struct LedgerStats {
  std::size_t seen_ids = 0;                 // ids remembered (delivered or not)
  std::size_t undelivered = 0;              // admitted messages not yet marked delivered
  std::size_t corrupt_records_dropped = 0;  // cut off at open (torn tail or corruption)
  std::size_t expired_undelivered_dropped = 0;  // undelivered messages prune() discarded
  std::size_t compactions = 0;              // successful compactions since open
  std::uint64_t file_bytes = 0;             // size of ledger.log (0 for a memory-only ledger)
};

class InboxLedger {
 public:
  // Opens (creating if needed) <dir>/ledger.log, creating dir and its parents (mode 0700) if
  // missing, and loads it: the remembered ids and the undelivered messages. An empty dir gives a
  // memory-only ledger (same behaviour, nothing persisted). Errors: io_error (cannot create, read
  // or lock the dir or file, or it is in use by another ledger; the message names the path).
  static Result<std::unique_ptr<InboxLedger>> open(const std::string& dir, LedgerOptions options = {});
  ~InboxLedger();

  InboxLedger(const InboxLedger&) = delete;
  InboxLedger& operator=(const InboxLedger&) = delete;

  // The dedup step for a received message. false: the id is remembered already (a duplicate);
  // nothing is written. true: the id is remembered until expires_at_ms and the message is kept as
  // undelivered, durably (the record's write() returned, and its fsync when configured).
  // Errors: invalid_argument (topic over 65535 or payload over 268435455 bytes, MQTT's limits),
  // io_error (the record could not be written: nothing is remembered, so a redelivery can be
  // admitted; the caller should not let the message be acknowledged or dropped silently).
  Result<bool> admit(const MessageId& id, std::int64_t expires_at_ms, std::string_view topic,
                     std::string_view payload);

  // Records that the app has been given the message of id: it leaves undelivered(); its id stays
  // remembered. An id that is not undelivered: no effect. Errors: io_error (the record could not be
  // written: the message leaves undelivered() anyway, but comes back after a reopen).
  Status mark_delivered(const MessageId& id);

  // Copies of the undelivered messages, in admission order (oldest first).
  std::vector<InboxMessage> undelivered() const;
  // Whether id is remembered (admitted or seen, not yet pruned).
  bool contains(const MessageId& id) const;

  // Forgets the ids whose expires_at_ms is before now_ms (service clock) and the undelivered
  // messages among them (counted in expired_undelivered_dropped), then compacts if dead records
  // now dominate. Returns the number of ids forgotten. O(ids remembered). Pass a now no later than
  // the one later timeliness checks use (subtract the clock estimate's uncertainty), so that no id
  // is forgotten while a copy of its message could still pass as fresh.
  std::size_t prune(std::int64_t now_ms);

  // Compacts now, whatever the dead/live ratio. Errors: io_error (the old file is kept, intact).
  Status compact();

  LedgerStats stats() const;
  std::size_t corrupt_records_dropped() const;

 private:
  struct Impl;
  explicit InboxLedger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace callsignal
