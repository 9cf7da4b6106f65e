// TempDir: a fresh directory under /tmp, removed with its contents by the destructor.
// Mosquitto started as root drops to the `mosquitto` user before it writes its persistence db and
// before it reads its TLS files, so a directory it uses can be handed to that user.
#pragma once

#include <string>

namespace callsignal::test {

enum class DirOwner { current_user, mosquitto };

class TempDir {
 public:
  // Creates /tmp/<prefix>XXXXXX (mode 0700). With DirOwner::mosquitto and running as root, the
  // directory is chowned to the mosquitto user. Throws std::runtime_error on failure.
  explicit TempDir(const std::string& prefix = "callsignal-test-", DirOwner owner = DirOwner::current_user);
  ~TempDir();  // removes the tree unless released; never throws
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Keeps the directory on disk after destruction (for a broker that outlives this process).
  void release() { released_ = true; }

 private:
  std::string path_;
  bool released_ = false;
};

// When running as root, gives path to the mosquitto user, so a broker that dropped privileges can
// read (or write) it. Does nothing otherwise. Throws if root and the user is missing.
void give_to_mosquitto_if_root(const std::string& path);

}  // namespace callsignal::test
