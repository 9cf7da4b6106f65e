// Whole-file reads and writes for tests that inspect or damage on-disk state (logs, ledgers).
// Every helper throws std::runtime_error (std::filesystem::filesystem_error for a missing file's
// size) on failure, so a test cannot go on with data it did not get.
#pragma once

#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <string>

namespace callsignal::test {

// The whole file, byte for byte.
std::string read_file(const std::string& path);

// Creates or truncates path, then writes data (write_file(path, "") truncates to zero).
void write_file(const std::string& path, const std::string& data);

// Appends data to path, creating it if missing.
void append_file(const std::string& path, const std::string& data);

// The file's size in bytes.
std::uint64_t file_size(const std::string& path);

// While alive, files this process writes cannot grow past `max_bytes` (RLIMIT_FSIZE, with
// SIGXFSZ ignored): a write crossing it stops part-way and the next fails with EFBIG, which is a
// real partial write. The destructor restores the limit and the signal. Throws if it cannot set them.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(std::uint64_t max_bytes);
  ~FileSizeLimit();
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  struct sigaction previous_action_ {};
  struct rlimit previous_limit_ {};
};

}  // namespace callsignal::test
