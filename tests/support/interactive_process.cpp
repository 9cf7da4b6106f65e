#include "support/interactive_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace callsignal::test {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Splits what arrived into complete lines; keeps the rest for the next chunk.
void take_lines(std::string& pending, const char* data, std::size_t size, EventLog<OutputLine>& log,
                const InteractiveProcess::LineHook& hook, InteractiveProcess::Stream stream) {
  pending.append(data, size);
  std::size_t start = 0;
  for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    OutputLine line{pending.substr(start, nl - start), std::chrono::steady_clock::now()};
    if (hook) hook(stream, line);
    log.push(std::move(line));
  }
  pending.erase(0, start);
}

}  // namespace

InteractiveProcess::InteractiveProcess(std::string name, const std::vector<std::string>& argv, LineHook on_line)
    : name_(std::move(name)), hook_(std::move(on_line)) {
  // A write to the stdin of a child that died must be an error (EPIPE), not the end of the test.
  ::signal(SIGPIPE, SIG_IGN);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  wake_read_.reset(wake[0]);
  wake_write_.reset(wake[1]);
  child_ = ChildProcess::spawn(argv, ChildProcess::Session::inherit, ChildProcess::Stdio{true, true});
  stdin_ = child_.take_stdin();
  UniqueFd out = child_.take_stdout();
  UniqueFd err = child_.take_stderr();
  reader_ = std::thread([this, out = std::move(out), err = std::move(err)]() mutable {
    read_loop(out.get(), err.get());
  });
}

InteractiveProcess::~InteractiveProcess() {
  stdin_.reset();
  try {
    child_.kill_now();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "InteractiveProcess %s: %s\n", name_.c_str(), e.what());
  }
  const char byte = 1;
  (void)!::write(wake_write_.get(), &byte, 1);
  if (reader_.joinable()) reader_.join();
}

void InteractiveProcess::read_loop(int out_fd, int err_fd) {
  std::string out_pending, err_pending;
  pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
  char chunk[4096];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;  // poll() ignores negative fds
        continue;
      }
      if (i == 0) take_lines(out_pending, chunk, static_cast<std::size_t>(n), out_, hook_, Stream::out);
      else take_lines(err_pending, chunk, static_cast<std::size_t>(n), err_, hook_, Stream::err);
    }
  }
  // A last line without its newline still counts.
  const auto now = std::chrono::steady_clock::now();
  for (auto [pending, log, stream] : {std::tuple{&out_pending, &out_, Stream::out},
                                      std::tuple{&err_pending, &err_, Stream::err}}) {
    if (pending->empty()) continue;
    OutputLine line{*pending, now};
    if (hook_) hook_(stream, line);
    log->push(std::move(line));
  }
  closed_.push(true);
}

void InteractiveProcess::write_line(const std::string& line) {
  if (!stdin_) throw std::runtime_error(name_ + ": stdin is closed");
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(stdin_.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(errno_text(name_ + ": write to stdin"));
    done += static_cast<std::size_t>(n);
  }
}

void InteractiveProcess::close_stdin() { stdin_.reset(); }

std::optional<OutputLine> InteractiveProcess::next_line(std::chrono::milliseconds timeout) {
  const std::size_t want = next_index_ + 1;
  if (!out_.wait_for_size(want, timeout)) return std::nullopt;
  std::vector<OutputLine> lines = out_.snapshot();
  return lines[next_index_++];
}

bool InteractiveProcess::wait_output_closed(std::chrono::milliseconds timeout) {
  return closed_.wait_for_size(1, timeout);
}

std::string InteractiveProcess::transcript(std::size_t max_lines) {
  auto tail = [max_lines](const std::vector<OutputLine>& lines) {
    std::string text;
    const std::size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
    if (first > 0) text += "  ... (" + std::to_string(first) + " lines before)\n";
    for (std::size_t i = first; i < lines.size(); ++i) text += "  " + lines[i].text + "\n";
    return text;
  };
  const std::string state = child_.owned() && !child_.running() ? child_.describe_exit() : "running";
  return "--- " + name_ + " (pid " + std::to_string(child_.pid()) + ", " + state + ") stdout:\n" +
         tail(out_.snapshot()) + "--- " + name_ + " stderr:\n" + tail(err_.snapshot());
}

}  // namespace callsignal::test
