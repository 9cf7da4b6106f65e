#include "integration/session_fixtures.h"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>

#include "support/process.h"

namespace callsignal::test {

std::string unique_device(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = std::random_device{}() % 100000;
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(salt) + "-" + std::to_string(++counter);
}

void let_time_pass(std::chrono::milliseconds duration) {
  std::mutex mutex;
  std::condition_variable never_signalled;
  std::unique_lock<std::mutex> lock(mutex);
  const auto until = std::chrono::steady_clock::now() + duration;
  while (never_signalled.wait_until(lock, until) != std::cv_status::timeout) {
  }
}

bool read_line_until(ChildProcess& child, const std::string& line, std::chrono::milliseconds timeout) {
  const Deadline deadline(timeout);
  std::string buffer;
  for (;;) {
    for (auto end = buffer.find('\n'); end != std::string::npos; end = buffer.find('\n')) {
      if (buffer.compare(0, end, line) == 0 && end == line.size()) return true;
      buffer.erase(0, end + 1);
    }
    pollfd pfd{child.stderr_fd(), POLLIN, 0};
    if (::poll(&pfd, 1, deadline.poll_timeout_ms()) <= 0) return false;
    char chunk[512];
    const ssize_t n = ::read(child.stderr_fd(), chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace callsignal::test
