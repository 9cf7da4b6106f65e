// The SDK's own event thread: a serial task queue with timers, shared by any number of sessions.
//
// Every callback the SDK makes to app code runs here, one at a time, so 1,000 clients need one
// event thread, not 1,000. A slow callback delays the others on the same loop: apps that want
// isolation create more loops. A second, lazily started thread runs blocking jobs (TLS pin
// probes) so that they never stall the event thread.
//
// Thread-safe. Tasks never run while the loop holds its own lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace callsignal {

class EventLoop {
 public:
  using Task = std::function<void()>;
  using TimerId = std::uint64_t;  // 0 is never a valid id

  // Starts the event thread. The name is given to the thread (visible in debuggers).
  static std::shared_ptr<EventLoop> create(std::string name = "callsignal");
  // A process-wide loop, created on first use and kept for the life of the process.
  static std::shared_ptr<EventLoop> shared_default();

  // Stops the thread after the task running now; tasks still queued are dropped (their
  // captures are destroyed on the destroying thread). Safe to run on the loop's own thread.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Queues a task to run on the event thread, after the tasks queued before it.
  void post(Task task);
  // Runs a task once `delay` has passed. Returns an id for cancel().
  TimerId post_after(std::chrono::milliseconds delay, Task task);
  // Cancels a timer that has not fired yet. Returns whether it was cancelled. Once it returns,
  // the task will not start (it may be running now if called from another thread).
  bool cancel(TimerId id);
  // Runs `job` on the loop's blocking-work thread (FIFO).
  void post_blocking(Task job);

  bool in_loop_thread() const noexcept;
  std::size_t queued() const;  // tasks and timers waiting, for tests and stats

  struct State;  // shared with the threads, so a loop may be released from its own thread

 private:
  explicit EventLoop(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace callsignal
