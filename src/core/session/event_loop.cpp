#include "core/session/event_loop.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace callsignal {

using Clock = std::chrono::steady_clock;

struct EventLoop::State {
  std::string name;
  mutable std::mutex mu;
  std::condition_variable wake;
  std::deque<Task> tasks;
  std::map<std::pair<Clock::time_point, TimerId>, Task> timers;  // ordered by due time
  std::unordered_map<TimerId, Clock::time_point> timer_due;
  TimerId next_timer = 1;
  bool stopping = false;
  std::thread thread;
  std::thread::id thread_id;

  std::deque<Task> blocking_jobs;
  std::condition_variable blocking_wake;
  std::thread blocking_thread;
};

namespace {

// Tasks are the SDK's own code; an exception escaping one must not end the thread that serves
// every client, so it is swallowed here (each task reports its own failures).
void run_guarded(EventLoop::Task& task) noexcept {
  try {
    task();
  } catch (...) {
  }
}

void run_event_thread(std::shared_ptr<EventLoop::State> state) {
  for (;;) {
    EventLoop::Task task;
    {
      std::unique_lock<std::mutex> lock(state->mu);
      for (;;) {
        if (state->stopping) return;
        if (!state->timers.empty() && state->timers.begin()->first.first <= Clock::now()) {
          auto first = state->timers.begin();
          task = std::move(first->second);
          state->timer_due.erase(first->first.second);
          state->timers.erase(first);
          break;
        }
        if (!state->tasks.empty()) {
          task = std::move(state->tasks.front());
          state->tasks.pop_front();
          break;
        }
        if (state->timers.empty()) {
          state->wake.wait(lock);
        } else {
          // A copy: cancel() may erase this timer (and its key) while we wait.
          const auto next_deadline = state->timers.begin()->first.first;
          state->wake.wait_until(lock, next_deadline);
        }
      }
    }
    run_guarded(task);
  }
}

void run_blocking_thread(std::shared_ptr<EventLoop::State> state) {
  for (;;) {
    EventLoop::Task job;
    {
      std::unique_lock<std::mutex> lock(state->mu);
      state->blocking_wake.wait(lock, [&] { return state->stopping || !state->blocking_jobs.empty(); });
      if (state->stopping) return;
      job = std::move(state->blocking_jobs.front());
      state->blocking_jobs.pop_front();
    }
    run_guarded(job);
  }
}

// The last reference to a loop can be dropped by one of its own tasks: then the thread cannot
// join itself and is detached; it holds the State alive until it returns.
void finish(std::thread& thread) {
  if (!thread.joinable()) return;
  if (thread.get_id() == std::this_thread::get_id()) {
    thread.detach();
  } else {
    thread.join();
  }
}

}  // namespace

std::shared_ptr<EventLoop> EventLoop::create(std::string name) {
  auto state = std::make_shared<State>();
  state->name = std::move(name);
  {
    std::lock_guard<std::mutex> lock(state->mu);
    state->thread = std::thread(run_event_thread, state);
    state->thread_id = state->thread.get_id();
  }
  return std::shared_ptr<EventLoop>(new EventLoop(std::move(state)));
}

std::shared_ptr<EventLoop> EventLoop::shared_default() {
  // Deliberately never destroyed: sessions may still use it while static destructors run.
  static auto* loop = new std::shared_ptr<EventLoop>(create("callsignal-shared"));
  return *loop;
}

EventLoop::EventLoop(std::shared_ptr<State> state) : state_(std::move(state)) {}

EventLoop::~EventLoop() {
  std::deque<Task> dropped_tasks;
  std::map<std::pair<Clock::time_point, TimerId>, Task> dropped_timers;
  std::deque<Task> dropped_jobs;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = true;
    dropped_tasks.swap(state_->tasks);
    dropped_timers.swap(state_->timers);
    dropped_jobs.swap(state_->blocking_jobs);
    state_->timer_due.clear();
  }
  state_->wake.notify_all();
  state_->blocking_wake.notify_all();
  finish(state_->thread);
  finish(state_->blocking_thread);
  // The dropped tasks' captures are destroyed here, outside the lock.
}

void EventLoop::post(Task task) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stopping) return;
    state_->tasks.push_back(std::move(task));
  }
  state_->wake.notify_one();
}

EventLoop::TimerId EventLoop::post_after(std::chrono::milliseconds delay, Task task) {
  const auto due = Clock::now() + delay;
  TimerId id = 0;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stopping) return 0;
    id = state_->next_timer++;
    state_->timers.emplace(std::make_pair(due, id), std::move(task));
    state_->timer_due.emplace(id, due);
  }
  state_->wake.notify_one();
  return id;
}

bool EventLoop::cancel(TimerId id) {
  Task cancelled;  // destroyed after the lock is released
  std::lock_guard<std::mutex> lock(state_->mu);
  auto due = state_->timer_due.find(id);
  if (due == state_->timer_due.end()) return false;
  auto timer = state_->timers.find(std::make_pair(due->second, id));
  cancelled = std::move(timer->second);
  state_->timers.erase(timer);
  state_->timer_due.erase(due);
  return true;
}

void EventLoop::post_blocking(Task job) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stopping) return;
    state_->blocking_jobs.push_back(std::move(job));
    if (!state_->blocking_thread.joinable()) {
      state_->blocking_thread = std::thread(run_blocking_thread, state_);
    }
  }
  state_->blocking_wake.notify_one();
}

bool EventLoop::in_loop_thread() const noexcept {
  return std::this_thread::get_id() == state_->thread_id;
}

std::size_t EventLoop::queued() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->tasks.size() + state_->timers.size();
}

}  // namespace callsignal
