// File helpers shared by the core's durable logs (session/outbox, filter/inbox_ledger): POSIX
// descriptor I/O that survives EINTR and short writes, fsync of files and directories, exclusive
// locks, and the one on-disk framing both logs use:
//
//   u32 body_length   little-endian
//   u32 crc32         CRC-32 (IEEE, zlib's) over the body
//   body              body_length bytes, whose first byte is the record type
//
// Functions returning bool set errno on failure; functions returning Status give an io_error whose
// message names the path. Nothing here throws, keeps state, or takes a lock of its own: every
// function is safe to call from any thread on distinct descriptors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/common/status.h"

namespace callsignal::file_io {

// ---- Descriptors --------------------------------------------------------------------------------

// io_error "<path>: <what>: <strerror(error)>".
Status io_error(const std::string& path, const char* what, int error);

// mkdir -p, creating missing directories with mode 0700. False with *error = errno on failure.
bool make_dirs(const std::string& dir, int* error);

// Writes all size bytes (one write() unless the kernel takes less, retried on EINTR).
bool write_all(int fd, const void* data, std::size_t size);
inline bool write_all(int fd, const std::string& data) { return write_all(fd, data.data(), data.size()); }

// Reads exactly size bytes at offset (EIO when the file is shorter).
bool read_at(int fd, std::uint64_t offset, void* data, std::size_t size);

// fsync, retried on EINTR. On a directory it makes a rename or create inside it durable.
bool sync(int fd);

// Closes fd if open and sets it to -1.
void close_fd(int& fd);

// Takes a non-blocking exclusive flock() on fd. Another holder (in this or another process) gives
// io_error "<path>: already in use by <holder>"; other failures (a file system without locks) are
// not errors, since the lock is a safety net, not the means of correctness.
Status lock_exclusive(int fd, const std::string& path, const char* holder);

// ---- Little-endian fields -----------------------------------------------------------------------

inline void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void put_u32(std::string& out, std::uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
  out.append(b, 4);
}
inline void put_u64(std::string& out, std::uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
  out.append(b, 8);
}
// The unsigned little-endian integer of `bytes` (1..8) bytes at p.
inline std::uint64_t get_le(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// ---- Framed records -----------------------------------------------------------------------------

constexpr std::size_t kRecordHeaderBytes = 8;

// Starts a record at the end of out: reserves its header. Append the body, then call seal_record
// with the returned offset to fill in the length and CRC.
std::size_t begin_record(std::string& out);
void seal_record(std::string& out, std::size_t record_start);

struct ScanResult {
  std::uint64_t valid_bytes = 0;    // the good records end here: where the file should be cut
  std::size_t dropped_records = 0;  // records after the cut, counted by following length fields
};

// Called with each body whose length is in range and whose CRC matches, in file order. Returns
// false when the body does not parse or does not fit (it and everything after it are then dropped).
using RecordVisitor = std::function<bool(const unsigned char* body, std::size_t size)>;

// Reads the records of fd from offset 0 to file_size, through a buffer (a few large reads, not one
// per record), and stops at the first record whose length is outside [min_body, max_body] or runs
// past file_size, whose CRC does not match, or that visit refuses. Allocates at most the larger
// of 1 MiB and the largest record, never more than the file holds. Does not modify the file.
// Errors: io_error when a read fails.
Status scan_records(int fd, const std::string& path, std::uint64_t file_size, std::size_t min_body,
                    std::size_t max_body, const RecordVisitor& visit, ScanResult* result);

// Appends data with write_all, then fsyncs when asked. On failure it truncates the file back to
// *file_size, so that a torn record never hides records appended after it, and returns io_error;
// if even the truncation fails it sets *broken, and every later call refuses with io_error (the
// owner should be reopened, which cuts the torn tail). On success *file_size grows by data.size().
Status append_or_undo(int fd, const std::string& path, const std::string& data, bool fsync,
                      std::uint64_t* file_size, bool* broken);

// Cuts the file to size (a corrupt tail found by scan_records), fsync'ed when asked.
Status truncate_to(int fd, const std::string& path, std::uint64_t size, bool fsync);

}  // namespace callsignal::file_io
