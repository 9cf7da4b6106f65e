// The outbox log: <data_dir>/outbox.log, a sequence of records, each
//
//   u32 body_length   little-endian, like every integer below
//   u32 crc32         CRC-32 (IEEE, zlib's) over the body
//   body:
//     u8  type        1 = add, 2 = ack
//     u64 seq         > 0
//     add only:
//       i64 created_unix_ms
//       u32 expiry_s
//       u8  retain    0 or 1
//       u32 topic_length,   topic bytes    (topic_length <= 65535)
//       u32 payload_length, payload bytes  (payload_length <= 268435455)
//
// An ack body is exactly 9 bytes; an add body exactly 30 + topic_length + payload_length.
// Adds appear in strictly increasing seq order. An ack removes its seq from the pending set; an ack
// of a seq that is not pending changes nothing, but its seq still counts as issued: compaction ends
// the new log with an ack of the last seq issued (when that seq is no longer pending) so that seqs
// are never reused in a data dir, even when nothing is pending.
//
// Open reads the records in order and stops at the first one whose length is out of range, whose
// CRC does not match or whose body does not parse: the file is cut there (a kill mid-write leaves
// a torn last record; a bit flip anything after it). Each record is written with one write() on an
// O_APPEND descriptor, and a failed write is truncated away at once, so that records appended after
// it are never hidden behind a torn one.
//
// Compaction (acknowledged adds dominate): the pending adds and the seq watermark go to
// outbox.log.tmp, which is fsync'ed (when configured) and renamed over outbox.log; the directory is
// then fsync'ed (when configured). The descriptor of the new file becomes the append descriptor, so
// there is no reopen that could fail after the rename. A crash at any point leaves either the old
// or the new log; a leftover .tmp is deleted at open.
//
// One Outbox per data dir: an exclusive flock() on the directory refuses a second one.
#include "core/session/outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "core/common/file_io.h"

namespace callsignal {
namespace {

using file_io::close_fd;
using file_io::get_le;
using file_io::io_error;
using file_io::put_u32;
using file_io::put_u64;
using file_io::put_u8;
using file_io::write_all;

constexpr std::uint8_t kAdd = 1;
constexpr std::uint8_t kAck = 2;
constexpr std::size_t kHeaderBytes = file_io::kRecordHeaderBytes;
constexpr std::size_t kAckBodyBytes = 1 + 8;
constexpr std::size_t kAddFixedBytes = 1 + 8 + 8 + 4 + 1 + 4 + 4;  // 30
constexpr std::size_t kMaxTopicBytes = 65535;                        // MQTT's limit
constexpr std::size_t kMaxPayloadBytes = 268'435'455;                // MQTT's packet limit
constexpr std::size_t kMaxBodyBytes = kAddFixedBytes + kMaxTopicBytes + kMaxPayloadBytes;

// Compaction thresholds: acknowledged adds still in the log versus pending ones, by count and by bytes.
constexpr std::size_t kCompactMinAcked = 1024;
constexpr std::uint64_t kCompactMinDeadBytes = 8u * 1024 * 1024;

std::size_t add_record_bytes(std::size_t topic, std::size_t payload) {
  return kHeaderBytes + kAddFixedBytes + topic + payload;
}
std::size_t add_record_bytes(const OutboxEntry& e) { return add_record_bytes(e.topic.size(), e.payload.size()); }

void encode_add(std::string& out, const OutboxEntry& e) {
  const std::size_t record = file_io::begin_record(out);
  put_u8(out, kAdd);
  put_u64(out, e.seq);
  put_u64(out, static_cast<std::uint64_t>(e.created_unix_ms));
  put_u32(out, e.expiry_s);
  put_u8(out, e.retain ? 1 : 0);
  put_u32(out, static_cast<std::uint32_t>(e.topic.size()));
  out += e.topic;
  put_u32(out, static_cast<std::uint32_t>(e.payload.size()));
  out += e.payload;
  file_io::seal_record(out, record);
}

void encode_ack(std::string& out, std::uint64_t seq) {
  const std::size_t record = file_io::begin_record(out);
  put_u8(out, kAck);
  put_u64(out, seq);
  file_io::seal_record(out, record);
}

struct Decoded {
  std::uint8_t type = 0;
  OutboxEntry entry;  // add: everything; ack: seq only
};

// Parses a body whose CRC matched; false when its structure is wrong.
bool decode(const unsigned char* p, std::size_t n, Decoded* out) {
  if (n < kAckBodyBytes) return false;
  out->type = p[0];
  out->entry.seq = get_le(p + 1, 8);
  if (out->entry.seq == 0) return false;
  if (out->type == kAck) return n == kAckBodyBytes;
  if (out->type != kAdd || n < kAddFixedBytes) return false;
  out->entry.created_unix_ms = static_cast<std::int64_t>(get_le(p + 9, 8));
  out->entry.expiry_s = static_cast<std::uint32_t>(get_le(p + 17, 4));
  if (p[21] > 1) return false;
  out->entry.retain = p[21] == 1;
  const std::size_t topic_size = get_le(p + 22, 4);
  if (topic_size > kMaxTopicBytes || topic_size > n - kAddFixedBytes) return false;
  const std::size_t payload_at = 26 + topic_size;
  const std::size_t payload_size = get_le(p + payload_at, 4);
  if (payload_size != n - kAddFixedBytes - topic_size) return false;
  out->entry.topic.assign(reinterpret_cast<const char*>(p + 26), topic_size);
  out->entry.payload.assign(reinterpret_cast<const char*>(p + payload_at + 4), payload_size);
  return true;
}

}  // namespace

struct Outbox::Impl {
  std::string dir;   // empty: memory only
  std::string path;  // <dir>/outbox.log
  OutboxLimits limits;
  bool fsync = false;
  int fd = -1;      // the log, O_APPEND
  int dir_fd = -1;  // holds the flock; fsync'ed after a rename

  mutable std::mutex mutex;
  std::map<std::uint64_t, OutboxEntry> pending;
  std::size_t bytes = 0;           // topic + payload of pending
  std::uint64_t last_seq = 0;      // highest seq issued
  std::size_t dropped = 0;         // records cut off at open
  std::uint64_t file_size = 0;     // the log's length: where the next record starts
  std::uint64_t live_bytes = 0;    // on-disk bytes of the pending adds
  std::size_t acked_in_log = 0;    // adds in the log that are no longer pending
  std::size_t compact_floor = 0;   // after a failed compaction: wait for this many acked adds
  bool broken = false;             // a failed write could not be truncated away: refuse writes

  ~Impl() {
    close_fd(fd);
    close_fd(dir_fd);  // releases the flock
  }

  Status open_files();
  Status load();
  Status write_record(const std::string& record);
  void maybe_compact();
  bool compact();
};

Status Outbox::Impl::open_files() {
  int error = 0;
  if (!file_io::make_dirs(dir, &error)) return io_error(dir, "cannot create the directory", error);
  dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return io_error(dir, "cannot open the directory", errno);
  Status locked = file_io::lock_exclusive(dir_fd, dir, "another outbox");
  if (!locked.ok()) return locked;
  const std::string tmp = path + ".tmp";
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return io_error(tmp, "cannot delete a stale file", errno);

  fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_error(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) return Status::error(Errc::io_error, path + ": not a regular file");
  file_size = static_cast<std::uint64_t>(st.st_size);
  if (fsync && !file_io::sync(dir_fd)) return io_error(dir, "cannot fsync the directory", errno);
  return load();
}

Status Outbox::Impl::load() {
  Decoded decoded;
  const auto visit = [&](const unsigned char* body, std::size_t size) {
    if (!decode(body, size, &decoded)) return false;
    const std::uint64_t record_size = kHeaderBytes + size;
    if (decoded.type == kAdd) {
      if (decoded.entry.seq <= last_seq) return false;  // adds only ever go up: this one is not ours
      last_seq = decoded.entry.seq;
      bytes += decoded.entry.topic.size() + decoded.entry.payload.size();
      live_bytes += record_size;
      const std::uint64_t seq = decoded.entry.seq;
      pending.emplace(seq, std::move(decoded.entry));
      decoded.entry = OutboxEntry{};
    } else {
      const auto it = pending.find(decoded.entry.seq);
      if (it != pending.end()) {
        bytes -= it->second.topic.size() + it->second.payload.size();
        live_bytes -= add_record_bytes(it->second);
        ++acked_in_log;
        pending.erase(it);
      }
      if (decoded.entry.seq > last_seq) last_seq = decoded.entry.seq;  // the compaction watermark
    }
    return true;
  };
  file_io::ScanResult scan;
  Status status = file_io::scan_records(fd, path, file_size, kAckBodyBytes, kMaxBodyBytes, visit, &scan);
  if (!status.ok()) return status;
  if (scan.dropped_records == 0) return Status::success();
  dropped = scan.dropped_records;
  status = file_io::truncate_to(fd, path, scan.valid_bytes, fsync);
  if (!status.ok()) return status;
  file_size = scan.valid_bytes;
  return Status::success();
}

Status Outbox::Impl::write_record(const std::string& record) {
  return file_io::append_or_undo(fd, path, record, fsync, &file_size, &broken);
}

void Outbox::Impl::maybe_compact() {
  if (fd < 0 || acked_in_log < compact_floor) return;
  const std::uint64_t dead_bytes = file_size - live_bytes;
  const bool by_count = acked_in_log > kCompactMinAcked && acked_in_log > 2 * pending.size();
  const bool by_bytes = dead_bytes > kCompactMinDeadBytes && dead_bytes > 2 * live_bytes;
  if (!(by_count || by_bytes) || compact()) return;
  // Compaction is an optimisation: on failure keep the old log, and retry only once the number of
  // acknowledged adds has doubled, not on every acknowledgement.
  compact_floor = 2 * acked_in_log;
}

bool Outbox::Impl::compact() {
  const std::string tmp = path + ".tmp";
  int tmp_fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (tmp_fd < 0) return false;

  std::uint64_t new_size = 0;
  std::string chunk;
  bool ok = true;
  for (auto it = pending.begin(); ok && it != pending.end();) {
    chunk.clear();
    for (; it != pending.end() && chunk.size() < (1u << 20); ++it) encode_add(chunk, it->second);
    ok = write_all(tmp_fd, chunk);
    new_size += chunk.size();
  }
  if (ok && last_seq != 0 && (pending.empty() || pending.rbegin()->first < last_seq)) {
    chunk.clear();
    encode_ack(chunk, last_seq);
    ok = write_all(tmp_fd, chunk);
    new_size += chunk.size();
  }
  ok = ok && (!fsync || file_io::sync(tmp_fd));
  ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    ::close(tmp_fd);
    ::unlink(tmp.c_str());
    return false;
  }
  // The rename is done: the new log is in place. A failed directory fsync only means the rename
  // might not survive a power loss, in which case the old log (still valid) comes back.
  if (fsync) (void)file_io::sync(dir_fd);
  close_fd(fd);
  fd = tmp_fd;
  file_size = new_size;
  live_bytes = 0;
  for (const auto& [seq, entry] : pending) live_bytes += add_record_bytes(entry);
  acked_in_log = 0;
  compact_floor = 0;
  return true;
}

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Outbox::~Outbox() = default;

Result<std::unique_ptr<Outbox>> Outbox::open(const std::string& dir, OutboxLimits limits, bool fsync) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->limits = limits;
  impl->fsync = fsync;
  if (!dir.empty()) {
    if (dir.find('\0') != std::string::npos) return Status::error(Errc::io_error, "data dir: contains NUL");
    impl->path = dir + (dir.back() == '/' ? "" : "/") + "outbox.log";
    Status status = impl->open_files();
    if (!status.ok()) return status;
    impl->maybe_compact();
  }
  return std::unique_ptr<Outbox>(new Outbox(std::move(impl)));
}

Result<std::uint64_t> Outbox::append(std::string topic, std::string payload, std::uint32_t expiry_s, bool retain,
                                     std::int64_t now_unix_ms) {
  if (topic.size() > kMaxTopicBytes) {
    return Status::error(Errc::invalid_argument, "topic: longer than 65535 bytes");
  }
  if (payload.size() > kMaxPayloadBytes) {
    return Status::error(Errc::invalid_argument, "payload: longer than 268435455 bytes");
  }
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  const std::size_t size = topic.size() + payload.size();
  if (d.pending.size() >= d.limits.max_messages) {
    return Status::error(Errc::outbox_full, "outbox holds " + std::to_string(d.pending.size()) +
                                                " messages, the maximum (max_messages)");
  }
  if (size > d.limits.max_bytes || d.bytes > d.limits.max_bytes - size) {
    return Status::error(Errc::outbox_full, "outbox holds " + std::to_string(d.bytes) + " bytes; " +
                                                std::to_string(size) + " more would exceed the maximum " +
                                                std::to_string(d.limits.max_bytes) + " (max_bytes)");
  }

  OutboxEntry entry;
  entry.seq = d.last_seq + 1;
  entry.topic = std::move(topic);
  entry.payload = std::move(payload);
  entry.expiry_s = expiry_s;
  entry.retain = retain;
  entry.created_unix_ms = now_unix_ms;
  if (d.fd >= 0) {
    std::string record;
    encode_add(record, entry);
    Status status = d.write_record(record);
    if (!status.ok()) return status;
    d.live_bytes += record.size();
  }
  const std::uint64_t seq = entry.seq;
  d.last_seq = seq;
  d.bytes += size;
  d.pending.emplace(seq, std::move(entry));
  return seq;
}

Status Outbox::acknowledge(std::uint64_t seq) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  const auto it = d.pending.find(seq);
  if (it == d.pending.end()) return Status::success();

  Status status;
  if (d.fd >= 0) {
    std::string record;
    encode_ack(record, seq);
    status = d.write_record(record);
    // Applied in memory even if the record failed: the broker has the message, and the worst a
    // lost ack record does is a duplicate send after a reopen (receivers deduplicate).
    d.live_bytes -= add_record_bytes(it->second);
    ++d.acked_in_log;
  }
  d.bytes -= it->second.topic.size() + it->second.payload.size();
  d.pending.erase(it);
  d.maybe_compact();
  return status;
}

std::vector<OutboxEntry> Outbox::pending(std::uint64_t after_seq, std::size_t max) const {
  const Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  std::vector<OutboxEntry> out;
  for (auto it = d.pending.upper_bound(after_seq); it != d.pending.end() && out.size() < max; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::optional<OutboxEntry> Outbox::find(std::uint64_t seq) const {
  const Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  const auto it = d.pending.find(seq);
  if (it == d.pending.end()) return std::nullopt;
  return it->second;
}

std::size_t Outbox::size() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->pending.size();
}

std::size_t Outbox::bytes() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->bytes;
}

std::size_t Outbox::corrupt_records_dropped() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->dropped;
}

}  // namespace callsignal
