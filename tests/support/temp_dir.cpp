#include "support/temp_dir.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace callsignal::test {

TempDir::TempDir(const std::string& prefix, DirOwner owner) {
  std::string pattern = "/tmp/" + prefix + "XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("TempDir: mkdtemp(" + pattern + "): " + std::strerror(errno));
  path_ = buf.data();
  if (owner == DirOwner::mosquitto) {
    try {
      give_to_mosquitto_if_root(path_);
    } catch (...) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
      throw;
    }
  }
}

TempDir::~TempDir() {
  if (released_ || path_.empty()) return;
  std::error_code ignored;  // a destructor must not throw; a leftover dir in /tmp is harmless
  std::filesystem::remove_all(path_, ignored);
}

void give_to_mosquitto_if_root(const std::string& path) {
  if (::geteuid() != 0) return;
  // getpwnam_r: tests may run helpers on several threads.
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  int rc = ::getpwnam_r("mosquitto", &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr)
    throw std::runtime_error("running as root but user 'mosquitto' does not exist (install mosquitto)");
  if (::chown(path.c_str(), pw.pw_uid, pw.pw_gid) != 0)
    throw std::runtime_error("chown(" + path + ", mosquitto): " + std::strerror(errno));
}

}  // namespace callsignal::test
