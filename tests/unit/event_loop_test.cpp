#include <catch2/catch.hpp>

#include <future>
#include <thread>
#include <vector>

#include "core/session/event_loop.h"
#include "support/wait.h"

using namespace callsignal;
using namespace std::chrono_literals;

TEST_CASE("event loop runs posted tasks in order on its own thread", "[event_loop]") {
  // Declared before the loop, so the loop's thread is joined before they are destroyed.
  test::EventLog<int> ran;
  std::promise<std::thread::id> where;
  auto loop = EventLoop::create("test");
  loop->post([&] { where.set_value(std::this_thread::get_id()); });
  for (int i = 0; i < 100; ++i) loop->post([&ran, i] { ran.push(i); });
  REQUIRE(ran.wait_for_size(100, 5s));
  const auto order = ran.snapshot();
  for (int i = 0; i < 100; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
  CHECK(where.get_future().get() != std::this_thread::get_id());
  CHECK_FALSE(loop->in_loop_thread());
}

TEST_CASE("event loop timers fire in due order and can be cancelled", "[event_loop]") {
  test::EventLog<std::string> fired;
  auto loop = EventLoop::create("test");
  loop->post_after(60ms, [&] { fired.push("late"); });
  const auto cancelled = loop->post_after(30ms, [&] { fired.push("cancelled"); });
  loop->post_after(10ms, [&] { fired.push("early"); });
  CHECK(loop->cancel(cancelled));
  CHECK_FALSE(loop->cancel(cancelled));  // only once
  REQUIRE(fired.wait_for_size(2, 5s));
  CHECK(fired.snapshot() == std::vector<std::string>{"early", "late"});
  CHECK(loop->queued() == 0);
}

TEST_CASE("event loop tasks may post more tasks and check their thread", "[event_loop]") {
  std::promise<bool> inside;
  auto loop = EventLoop::create("test");
  loop->post([&] { loop->post([&] { inside.set_value(loop->in_loop_thread()); }); });
  CHECK(inside.get_future().get());
}

TEST_CASE("event loop survives a task that throws", "[event_loop]") {
  std::promise<void> after;
  auto loop = EventLoop::create("test");
  loop->post([] { throw std::runtime_error("boom"); });
  loop->post([&] { after.set_value(); });
  CHECK(after.get_future().wait_for(5s) == std::future_status::ready);
}

TEST_CASE("event loop may be released from one of its own tasks", "[event_loop]") {
  auto loop = EventLoop::create("test");
  std::promise<void> go;
  std::shared_future<void> started = go.get_future().share();
  std::promise<void> released;
  loop->post([started] { started.wait(); });  // holds the thread until the test lets go
  loop->post([owned = loop, &released]() mutable {
    owned.reset();  // the last reference: the thread detaches instead of joining itself
    released.set_value();
  });
  loop.reset();  // the second task now holds the only reference
  go.set_value();
  CHECK(released.get_future().wait_for(5s) == std::future_status::ready);
}

TEST_CASE("event loop blocking jobs run off the event thread", "[event_loop]") {
  std::promise<bool> on_loop_thread;
  auto loop = EventLoop::create("test");
  loop->post_blocking([&] { on_loop_thread.set_value(loop->in_loop_thread()); });
  CHECK_FALSE(on_loop_thread.get_future().get());
}

TEST_CASE("event loop destruction drops queued work without running it", "[event_loop]") {
  auto loop = EventLoop::create("test");
  auto flag = std::make_shared<int>(0);
  loop->post_after(10s, [flag] { *flag = 1; });
  CHECK(flag.use_count() == 2);
  loop.reset();
  CHECK(flag.use_count() == 1);  // the timer's capture was destroyed
  CHECK(*flag == 0);
}
