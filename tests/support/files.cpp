#include "support/files.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace callsignal::test {

std::string read_file(const std::string& path) {
  // Sized read rather than istreambuf_iterator, which trips GCC 12's -Wnull-dereference at -O2.
  std::string data(std::filesystem::file_size(path), '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (!in.good()) throw std::runtime_error("read_file: cannot read " + path);
  return data;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.good()) throw std::runtime_error("write_file: cannot write " + path);
}

void append_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.good()) throw std::runtime_error("append_file: cannot append to " + path);
}

std::uint64_t file_size(const std::string& path) { return std::filesystem::file_size(path); }

FileSizeLimit::FileSizeLimit(std::uint64_t max_bytes) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  if (::sigaction(SIGXFSZ, &ignore, &previous_action_) != 0) throw std::runtime_error("sigaction(SIGXFSZ) failed");
  if (::getrlimit(RLIMIT_FSIZE, &previous_limit_) != 0) throw std::runtime_error("getrlimit failed");
  struct rlimit limit = previous_limit_;
  limit.rlim_cur = static_cast<rlim_t>(max_bytes);
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) throw std::runtime_error("setrlimit(RLIMIT_FSIZE) failed");
}

FileSizeLimit::~FileSizeLimit() {
  ::setrlimit(RLIMIT_FSIZE, &previous_limit_);
  ::sigaction(SIGXFSZ, &previous_action_, nullptr);
}

}  // namespace callsignal::test
