#include "core/common/file_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/common/crc32.h"

namespace callsignal::file_io {

Status io_error(const std::string& path, const char* what, int error) {
  return Status::error(Errc::io_error, path + ": " + what + ": " + std::strerror(error));
}

bool make_dirs(const std::string& dir, int* error) {
  for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string prefix = dir.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      *error = errno;
      return false;
    }
    if (slash == std::string::npos) return true;
  }
}

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* in = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, in, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = EIO;
      return false;
    }
    in += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool read_at(int fd, std::uint64_t offset, void* data, std::size_t size) {
  auto* out = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = EIO;
      return false;
    }
    out += n;
    offset += static_cast<std::uint64_t>(n);
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool sync(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

Status lock_exclusive(int fd, const std::string& path, const char* holder) {
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    return Status::error(Errc::io_error,
                         path + ": already in use by " + holder + " (in this or another process)");
  }
  return Status::success();
}

std::size_t begin_record(std::string& out) {
  const std::size_t start = out.size();
  out.append(kRecordHeaderBytes, '\0');
  return start;
}

void seal_record(std::string& out, std::size_t record_start) {
  const std::size_t body_at = record_start + kRecordHeaderBytes;
  const std::size_t body = out.size() - body_at;
  const std::uint32_t crc = crc32(0, out.data() + body_at, body);
  for (int i = 0; i < 4; ++i) {
    out[record_start + static_cast<std::size_t>(i)] = static_cast<char>((body >> (8 * i)) & 0xFFu);
    out[record_start + 4 + static_cast<std::size_t>(i)] = static_cast<char>((crc >> (8 * i)) & 0xFFu);
  }
}

namespace {

constexpr std::size_t kScanChunk = 1u << 20;

bool plausible(std::uint64_t body, std::uint64_t at, std::uint64_t file_size, std::size_t min_body,
               std::size_t max_body) {
  return body >= min_body && body <= max_body && body <= file_size - at - kRecordHeaderBytes;
}

// After a cut at `at`: how many records are lost, following the length fields as far as they stay
// plausible (the first bad record counts even when nothing about it is plausible).
std::size_t count_dropped(int fd, std::uint64_t at, std::uint64_t file_size, std::size_t min_body,
                          std::size_t max_body) {
  std::size_t dropped = 0;
  while (at < file_size) {
    ++dropped;
    unsigned char header[4];
    if (file_size - at < kRecordHeaderBytes || !read_at(fd, at, header, sizeof header)) break;
    const std::uint64_t size = get_le(header, 4);
    if (!plausible(size, at, file_size, min_body, max_body)) break;
    at += kRecordHeaderBytes + size;
  }
  return dropped;
}

}  // namespace

Status scan_records(int fd, const std::string& path, std::uint64_t file_size, std::size_t min_body,
                    std::size_t max_body, const RecordVisitor& visit, ScanResult* result) {
  *result = ScanResult{};
  // buffer[begin, end) holds the file's bytes from `offset` on.
  std::vector<unsigned char> buffer;
  std::size_t begin = 0;
  std::size_t end = 0;
  std::uint64_t offset = 0;  // where the record being looked at starts
  // Makes buffer hold at least `need` bytes from `offset` (the caller checked they are in the file).
  const auto fill = [&](std::size_t need) -> bool {
    if (end - begin >= need) return true;
    const std::size_t have = end - begin;
    const std::uint64_t remaining = file_size - offset;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(
        remaining, std::max<std::uint64_t>(need, std::min<std::uint64_t>(kScanChunk, remaining))));
    // (memcpy and memmove with nothing to move would still be given a null pointer: skip them.)
    if (buffer.size() < want) {
      std::vector<unsigned char> bigger(want);
      if (have > 0) std::memcpy(bigger.data(), buffer.data() + begin, have);
      buffer.swap(bigger);
    } else if (have > 0) {
      std::memmove(buffer.data(), buffer.data() + begin, have);
    }
    begin = 0;
    end = have;
    if (!read_at(fd, offset + have, buffer.data() + have, want - have)) return false;
    end = want;
    return true;
  };

  bool bad = false;
  while (offset < file_size) {
    if (file_size - offset < kRecordHeaderBytes) {
      bad = true;
      break;
    }
    if (!fill(kRecordHeaderBytes)) return io_error(path, "read failed", errno);
    const unsigned char* header = buffer.data() + begin;
    const std::uint64_t body_size = get_le(header, 4);
    const auto crc = static_cast<std::uint32_t>(get_le(header + 4, 4));
    if (!plausible(body_size, offset, file_size, min_body, max_body)) {
      bad = true;
      break;
    }
    const std::size_t record_size = kRecordHeaderBytes + static_cast<std::size_t>(body_size);
    if (!fill(record_size)) return io_error(path, "read failed", errno);
    const unsigned char* body = buffer.data() + begin + kRecordHeaderBytes;
    if (crc32(0, body, static_cast<std::size_t>(body_size)) != crc ||
        !visit(body, static_cast<std::size_t>(body_size))) {
      bad = true;
      break;
    }
    begin += record_size;
    offset += record_size;
  }
  result->valid_bytes = offset;
  if (bad) result->dropped_records = count_dropped(fd, offset, file_size, min_body, max_body);
  return Status::success();
}

Status append_or_undo(int fd, const std::string& path, const std::string& data, bool fsync,
                      std::uint64_t* file_size, bool* broken) {
  if (*broken) {
    return Status::error(Errc::io_error, path + ": an earlier write failed and could not be undone; reopen it");
  }
  const char* what = "write failed";
  bool ok = write_all(fd, data);
  if (ok && fsync && !sync(fd)) {
    what = "fsync failed";
    ok = false;
  }
  if (ok) {
    *file_size += data.size();
    return Status::success();
  }
  const int error = errno;
  // Cut the partial record off: a torn record in the middle would hide every later one at open.
  if (::ftruncate(fd, static_cast<off_t>(*file_size)) != 0) *broken = true;
  return io_error(path, what, error);
}

Status truncate_to(int fd, const std::string& path, std::uint64_t size, bool fsync) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return io_error(path, "cannot cut off a corrupt tail", errno);
  if (fsync && !sync(fd)) return io_error(path, "fsync failed", errno);
  return Status::success();
}

}  // namespace callsignal::file_io
