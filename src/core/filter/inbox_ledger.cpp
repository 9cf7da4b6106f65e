// The ledger's record format and recovery rules are documented in inbox_ledger.h. Beyond them:
//
// Every record is built in a reused buffer and goes to the kernel with one write() on an O_APPEND
// descriptor; a failed write is truncated away at once (file_io::append_or_undo), so a torn record
// can only ever be the last one, left by a kill mid-write.
//
// Compaction rewrites the live state into ledger.log.tmp and renames it over ledger.log. The new
// file's descriptor, locked before the rename, becomes the append descriptor, so there is no reopen
// that could fail after the rename, and the lock never leaves the file the path names.
#include "core/filter/inbox_ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "core/common/file_io.h"
#include "core/filter/seen_set.h"
#include "core/filter/undelivered_queue.h"

namespace callsignal {
namespace {

using file_io::get_le;
using file_io::io_error;
using file_io::put_u32;
using file_io::put_u64;
using file_io::put_u8;

constexpr std::uint8_t kAdmitted = 1;
constexpr std::uint8_t kDelivered = 2;
constexpr std::uint8_t kSeen = 3;

constexpr std::size_t kIdBytes = MessageId::kBytes;
constexpr std::size_t kAdmittedFixedBytes = 1 + kIdBytes + 8 + 4 + 4;  // 33
constexpr std::size_t kDeliveredBodyBytes = 1 + kIdBytes;              // 17
constexpr std::size_t kSeenPairBytes = kIdBytes + 8;                   // 24
constexpr std::size_t kMaxTopicBytes = 65535;                          // MQTT's limit
constexpr std::size_t kMaxPayloadBytes = 268'435'455;                  // MQTT's packet limit
constexpr std::size_t kMaxBodyBytes = kAdmittedFixedBytes + kMaxTopicBytes + kMaxPayloadBytes;

// Compaction writes seen ids this many to a record (96 KiB), and hands the kernel 1 MiB at a time.
constexpr std::size_t kSeenBatch = 4096;
constexpr std::size_t kCompactChunk = 1u << 20;

std::uint64_t admitted_record_bytes(std::size_t topic, std::size_t payload) {
  return file_io::kRecordHeaderBytes + kAdmittedFixedBytes + topic + payload;
}

// One id of a seen record, collected at load and inserted once the whole file is read.
struct SeenPair {
  MessageId id;
  std::int64_t expires_at = 0;
};

void put_id(std::string& out, const MessageId& id) {
  out.append(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

MessageId get_id(const unsigned char* p) {
  MessageId id;
  std::memcpy(id.bytes.data(), p, kIdBytes);
  return id;
}

void encode_admitted(std::string& out, const MessageId& id, std::int64_t expires_at_ms, std::string_view topic,
                     std::string_view payload) {
  const std::size_t record = file_io::begin_record(out);
  put_u8(out, kAdmitted);
  put_id(out, id);
  put_u64(out, static_cast<std::uint64_t>(expires_at_ms));
  put_u32(out, static_cast<std::uint32_t>(topic.size()));
  out.append(topic.data(), topic.size());
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  out.append(payload.data(), payload.size());
  file_io::seal_record(out, record);
}

void encode_delivered(std::string& out, const MessageId& id) {
  const std::size_t record = file_io::begin_record(out);
  put_u8(out, kDelivered);
  put_id(out, id);
  file_io::seal_record(out, record);
}

}  // namespace

struct InboxLedger::Impl {
  std::string dir;   // empty: memory only
  std::string path;  // <dir>/ledger.log
  LedgerOptions options;
  int fd = -1;      // ledger.log, O_APPEND, flock'ed
  int dir_fd = -1;  // fsync'ed after a rename

  mutable std::mutex mutex;
  SeenSet seen;
  UndeliveredQueue undelivered;         // every id in it is also in seen
  std::vector<SeenPair> loaded_pairs;   // seen records, during load only
  std::uint64_t file_size = 0;          // where the next record starts
  std::uint64_t compact_floor = 0;      // after a failed compaction: dead bytes to wait for
  std::string scratch;                  // reused record buffer: no allocation per admit
  bool broken = false;                  // a failed write could not be undone: refuse writes
  std::size_t dropped = 0;
  std::size_t expired_dropped = 0;
  std::size_t compactions = 0;

  ~Impl() {
    file_io::close_fd(fd);
    file_io::close_fd(dir_fd);
  }

  Status open_files();
  Status load();
  bool apply(const unsigned char* body, std::size_t size);
  std::uint64_t undelivered_record_bytes() const;
  std::uint64_t live_bytes() const;
  void maybe_compact();
  Status compact();
  Status write_compacted(int tmp_fd, std::uint64_t* size);
};

Status InboxLedger::Impl::open_files() {
  int error = 0;
  if (!file_io::make_dirs(dir, &error)) return io_error(dir, "cannot create the directory", error);
  dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return io_error(dir, "cannot open the directory", errno);

  struct stat st {};
  for (int attempt = 0;; ++attempt) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return io_error(path, "cannot open", errno);
    if (::fstat(fd, &st) != 0) return io_error(path, "cannot stat", errno);
    if (!S_ISREG(st.st_mode)) return Status::error(Errc::io_error, path + ": not a regular file");
    Status locked = file_io::lock_exclusive(fd, path, "another inbox ledger");
    if (!locked.ok()) return locked;
    // A compaction elsewhere may have renamed a new file over the path between our open and our
    // lock: then we hold the lock of a file nobody will read. Retry with the file the path names.
    struct stat now {};
    if (::stat(path.c_str(), &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino) break;
    file_io::close_fd(fd);
    if (attempt == 10) return Status::error(Errc::io_error, path + ": keeps being replaced by another process");
  }
  const std::string tmp = path + ".tmp";
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return io_error(tmp, "cannot delete a stale file", errno);
  file_size = static_cast<std::uint64_t>(st.st_size);
  if (options.fsync && !file_io::sync(dir_fd)) return io_error(dir, "cannot fsync the directory", errno);
  return load();
}

// Applies one record whose CRC matched; false when its body does not parse.
bool InboxLedger::Impl::apply(const unsigned char* p, std::size_t n) {
  switch (p[0]) {
    case kAdmitted: {
      if (n < kAdmittedFixedBytes) return false;
      const MessageId id = get_id(p + 1);
      const auto expires_at = static_cast<std::int64_t>(get_le(p + 1 + kIdBytes, 8));
      const std::size_t topic_size = get_le(p + 25, 4);
      if (topic_size > kMaxTopicBytes || topic_size > n - kAdmittedFixedBytes) return false;
      const std::size_t payload_at = 29 + topic_size;
      const std::size_t payload_size = get_le(p + payload_at, 4);
      if (payload_size != n - kAdmittedFixedBytes - topic_size) return false;
      // The same id admitted again: only after prune forgot it, so take the later expiry; a second
      // copy of a message still undelivered is not ours to invent, keep the first.
      seen.insert_or_extend(id, expires_at);
      if (!undelivered.contains(id)) {
        undelivered.push(id, expires_at, std::string_view(reinterpret_cast<const char*>(p + 29), topic_size),
                         std::string_view(reinterpret_cast<const char*>(p + payload_at + 4), payload_size));
      }
      return true;
    }
    case kDelivered: {
      if (n != kDeliveredBodyBytes) return false;
      undelivered.remove(get_id(p + 1));
      return true;
    }
    case kSeen: {
      if ((n - 1) % kSeenPairBytes != 0) return false;
      // Collected, not inserted: once the file is read their number is known, and the set grows
      // once instead of doubling its way up. Membership and the later-expiry rule do not depend
      // on the order of insertion.
      for (std::size_t at = 1; at < n; at += kSeenPairBytes) {
        loaded_pairs.push_back(SeenPair{get_id(p + at), static_cast<std::int64_t>(get_le(p + at + kIdBytes, 8))});
      }
      return true;
    }
    default:
      return false;
  }
}

Status InboxLedger::Impl::load() {
  const auto visit = [this](const unsigned char* body, std::size_t size) { return apply(body, size); };
  file_io::ScanResult scan;
  Status status = file_io::scan_records(fd, path, file_size, kDeliveredBodyBytes, kMaxBodyBytes, visit, &scan);
  if (status.ok()) {
    seen.reserve(seen.size() + loaded_pairs.size());
    for (const SeenPair& pair : loaded_pairs) seen.insert_or_extend(pair.id, pair.expires_at);
  }
  std::vector<SeenPair>().swap(loaded_pairs);
  if (!status.ok()) return status;
  if (scan.dropped_records == 0) return Status::success();
  dropped = scan.dropped_records;
  status = file_io::truncate_to(fd, path, scan.valid_bytes, options.fsync);
  if (!status.ok()) return status;
  file_size = scan.valid_bytes;
  return Status::success();
}

std::uint64_t InboxLedger::Impl::undelivered_record_bytes() const {
  return undelivered.size() * admitted_record_bytes(0, 0) + undelivered.content_bytes();
}

// The size a compaction would write now.
std::uint64_t InboxLedger::Impl::live_bytes() const {
  const std::uint64_t seen_only = seen.size() - undelivered.size();
  const std::uint64_t batches = (seen_only + kSeenBatch - 1) / kSeenBatch;
  return seen_only * kSeenPairBytes + batches * (file_io::kRecordHeaderBytes + 1) + undelivered_record_bytes();
}

void InboxLedger::Impl::maybe_compact() {
  if (fd < 0) return;
  const std::uint64_t live = live_bytes();
  const std::uint64_t dead = file_size > live ? file_size - live : 0;
  if (dead <= live || dead < options.compact_min_dead_bytes || dead < compact_floor) return;
  // Compaction is an optimisation: on failure keep the old file, and try again only once the dead
  // part has doubled, not on every call.
  if (!compact().ok()) compact_floor = 2 * dead;
}

Status InboxLedger::Impl::write_compacted(int tmp_fd, std::uint64_t* size) {
  std::string chunk;
  bool ok = true;
  int error = 0;
  const auto flush = [&](std::size_t at_least) {
    if (!ok || chunk.size() < at_least) return;
    ok = file_io::write_all(tmp_fd, chunk);
    if (!ok) error = errno;
    *size += chunk.size();
    chunk.clear();
  };

  // Remembered ids without an undelivered message, as batched seen records.
  std::size_t batch_start = 0;
  std::size_t in_batch = 0;
  seen.for_each([&](const MessageId& id, std::int64_t expires_at) {
    if (!ok || (!undelivered.empty() && undelivered.contains(id))) return;
    if (in_batch == 0) {
      batch_start = file_io::begin_record(chunk);
      put_u8(chunk, kSeen);
    }
    put_id(chunk, id);
    put_u64(chunk, static_cast<std::uint64_t>(expires_at));
    if (++in_batch == kSeenBatch) {
      file_io::seal_record(chunk, batch_start);
      in_batch = 0;
      flush(kCompactChunk);
    }
  });
  if (in_batch > 0) file_io::seal_record(chunk, batch_start);

  // Then the undelivered messages, in admission order.
  undelivered.for_each([&](const InboxMessage& message) {
    if (!ok) return;
    encode_admitted(chunk, message.id, message.expires_at_ms, message.topic, message.payload);
    flush(kCompactChunk);
  });
  flush(0);
  if (!ok) return io_error(path + ".tmp", "write failed", error);
  if (options.fsync && !file_io::sync(tmp_fd)) return io_error(path + ".tmp", "fsync failed", errno);
  return Status::success();
}

Status InboxLedger::Impl::compact() {
  if (fd < 0) return Status::success();
  const std::string tmp = path + ".tmp";
  int tmp_fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (tmp_fd < 0) return io_error(tmp, "cannot create", errno);
  (void)::flock(tmp_fd, LOCK_EX | LOCK_NB);  // ours alone until the rename; then it guards the path

  std::uint64_t new_size = 0;
  Status status = write_compacted(tmp_fd, &new_size);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) status = io_error(path, "cannot rename over", errno);
  if (!status.ok()) {
    ::close(tmp_fd);
    ::unlink(tmp.c_str());
    return status;
  }
  // The rename is done: the new file is in place. A failed directory fsync only means the rename
  // might not survive a power loss, in which case the old file (still valid) comes back.
  if (options.fsync) (void)file_io::sync(dir_fd);
  file_io::close_fd(fd);
  fd = tmp_fd;
  file_size = new_size;
  compact_floor = 0;
  broken = false;  // the torn record, if any, was in the old file
  ++compactions;
  return Status::success();
}

InboxLedger::InboxLedger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InboxLedger::~InboxLedger() = default;

Result<std::unique_ptr<InboxLedger>> InboxLedger::open(const std::string& dir, LedgerOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  if (!dir.empty()) {
    if (dir.find('\0') != std::string::npos) return Status::error(Errc::io_error, "data dir: contains NUL");
    impl->path = dir + (dir.back() == '/' ? "" : "/") + "ledger.log";
    Status status = impl->open_files();
    if (!status.ok()) return status;
    impl->maybe_compact();
  }
  return std::unique_ptr<InboxLedger>(new InboxLedger(std::move(impl)));
}

Result<bool> InboxLedger::admit(const MessageId& id, std::int64_t expires_at_ms, std::string_view topic,
                                std::string_view payload) {
  if (topic.size() > kMaxTopicBytes) return Status::error(Errc::invalid_argument, "topic: longer than 65535 bytes");
  if (payload.size() > kMaxPayloadBytes) {
    return Status::error(Errc::invalid_argument, "payload: longer than 268435455 bytes");
  }
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.seen.contains(id)) return false;
  if (d.fd >= 0) {
    // A write that failed and could not be undone left a torn record: a compaction replaces the
    // file with a clean one, after which appending is safe again.
    if (d.broken) (void)d.compact();
    d.scratch.clear();
    encode_admitted(d.scratch, id, expires_at_ms, topic, payload);
    Status status = file_io::append_or_undo(d.fd, d.path, d.scratch, d.options.fsync, &d.file_size, &d.broken);
    // Keep the buffer for the next record, unless an unusually large message grew it.
    if (d.scratch.capacity() > 64 * 1024) std::string().swap(d.scratch);
    if (!status.ok()) return status;
  }
  d.seen.check_and_insert(id, expires_at_ms);
  d.undelivered.push(id, expires_at_ms, topic, payload);
  return true;
}

Status InboxLedger::mark_delivered(const MessageId& id) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  if (!d.undelivered.contains(id)) return Status::success();
  Status status;
  if (d.fd >= 0) {
    d.scratch.clear();
    encode_delivered(d.scratch, id);
    status = file_io::append_or_undo(d.fd, d.path, d.scratch, d.options.fsync, &d.file_size, &d.broken);
  }
  // Applied in memory even if the record failed: the app has the message; the worst a lost record
  // does is a replay after a reopen.
  d.undelivered.remove(id);
  d.maybe_compact();
  return status;
}

std::vector<InboxMessage> InboxLedger::undelivered() const {
  const Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  return d.undelivered.copy();
}

bool InboxLedger::contains(const MessageId& id) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->seen.contains(id);
}

std::size_t InboxLedger::prune(std::int64_t now_ms) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  const std::size_t forgotten = d.seen.prune(now_ms);
  d.expired_dropped += d.undelivered.remove_expired(now_ms);
  d.maybe_compact();
  return forgotten;
}

Status InboxLedger::compact() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->compact();
}

LedgerStats InboxLedger::stats() const {
  const Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  LedgerStats s;
  s.seen_ids = d.seen.size();
  s.undelivered = d.undelivered.size();
  s.corrupt_records_dropped = d.dropped;
  s.expired_undelivered_dropped = d.expired_dropped;
  s.compactions = d.compactions;
  s.file_bytes = d.fd >= 0 ? d.file_size : 0;
  return s;
}

std::size_t InboxLedger::corrupt_records_dropped() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->dropped;
}

}  // namespace callsignal
