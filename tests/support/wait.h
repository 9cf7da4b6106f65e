// Deadline-bound waiting for tests: no sleeps, every wait ends by a deadline.
// Deadline: a point on the steady clock, for poll() loops that need the time left.
// wait_until: a condition-variable wait on a predicate.
// EventLog<T>: a thread-safe record that listener callbacks push into (from any thread) and that
// the test thread waits on. Predicates run under the log's lock: they must not call back into it.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace callsignal::test {

class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds timeout)
      : end_(std::chrono::steady_clock::now() + timeout) {}

  bool expired() const { return std::chrono::steady_clock::now() >= end_; }

  // Time left, never negative.
  std::chrono::milliseconds remaining() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end_ - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds(0));
  }

  // For poll(): the time left rounded up, so that a wait never ends a fraction early and spins.
  int poll_timeout_ms() const {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(end_ - std::chrono::steady_clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
  }

 private:
  std::chrono::steady_clock::time_point end_;
};

// Waits until pred() holds (checked under the lock), or the timeout passes. Returns pred().
template <class Pred>
bool wait_until(std::mutex& mutex, std::condition_variable& cv, Pred pred,
                std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex);
  return cv.wait_for(lock, timeout, std::move(pred));
}

template <class T>
class EventLog {
 public:
  // Notifies under the lock: a waiter that wakes and destroys the log (a test ending) can only do
  // so once push() no longer touches it.
  void push(T event) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }

  // Waits until pred(const std::vector<T>& events) holds, or the timeout passes. Returns pred().
  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return pred(events_); });
  }

  // Waits until at least n events were pushed.
  bool wait_for_size(std::size_t n, std::chrono::milliseconds timeout) const {
    return wait_for([n](const std::vector<T>& events) { return events.size() >= n; }, timeout);
  }

  // Waits until at least n events satisfy pred(const T&).
  template <class Pred>
  bool wait_for_count(Pred pred, std::size_t n, std::chrono::milliseconds timeout) const {
    return wait_for(
        [&](const std::vector<T>& events) {
          return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), pred)) >= n;
        },
        timeout);
  }

  std::vector<T> snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

  template <class Pred>
  std::size_t count_if(Pred pred) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<std::size_t>(std::count_if(events_.begin(), events_.end(), pred));
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_.size();
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.clear();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<T> events_;
};

}  // namespace callsignal::test
