// InteractiveProcess: a program a test talks to, line by line: commands written to its stdin,
// lines read from its stdout and stderr (the callsignal-cli and callsignal-control end-to-end
// tests).
//
// One reader thread per process reads both pipes as they fill, so a chatty child never blocks on
// a full pipe, and records every complete line in an EventLog (with the time it arrived). Waiting
// for a line is a wait on that log with a deadline; nothing here sleeps. The reader stops when
// both pipes close (the child exited or was killed) or when the object is destroyed.
//
// Not thread-safe, except the logs (EventLog is): one test thread drives the object.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"
#include "support/unique_fd.h"
#include "support/wait.h"

namespace callsignal::test {

// One line of a child's output (without its newline) and when the reader saw it.
struct OutputLine {
  std::string text;
  std::chrono::steady_clock::time_point at;
};

class InteractiveProcess {
 public:
  enum class Stream { out, err };
  // Called on the reader thread for each line, before it is pushed to stdout_lines() or
  // stderr_lines(). It must not call back into this object.
  using LineHook = std::function<void(Stream, const OutputLine&)>;

  // Spawns argv (argv[0] an absolute path) with stdin and stdout on pipes. `name` labels the
  // process in failure messages. Throws std::runtime_error if it cannot be started.
  InteractiveProcess(std::string name, const std::vector<std::string>& argv, LineHook on_line = nullptr);
  // SIGKILLs a child still running, stops the reader; never throws.
  ~InteractiveProcess();
  InteractiveProcess(const InteractiveProcess&) = delete;
  InteractiveProcess& operator=(const InteractiveProcess&) = delete;

  const std::string& name() const { return name_; }
  ChildProcess& child() { return child_; }
  pid_t pid() const { return child_.pid(); }

  // Writes `line` and a newline to the child's stdin. Throws std::runtime_error if the child no
  // longer reads it (stdin closed, child gone). SIGPIPE is ignored in this process for that.
  void write_line(const std::string& line);
  // Closes the child's stdin: end of input.
  void close_stdin();

  const EventLog<OutputLine>& stdout_lines() const { return out_; }
  const EventLog<OutputLine>& stderr_lines() const { return err_; }

  // The next stdout line not yet returned by next_line(), waiting up to `timeout` for it.
  std::optional<OutputLine> next_line(std::chrono::milliseconds timeout);

  // Waits until the reader saw both pipes close (the child is gone and all it wrote is read).
  bool wait_output_closed(std::chrono::milliseconds timeout);

  // Whether the child runs ("running", or how it exited), then the last `max_lines` lines of
  // stdout and stderr: for failure messages.
  std::string transcript(std::size_t max_lines = 60);

 private:
  void read_loop(int out_fd, int err_fd);

  std::string name_;
  ChildProcess child_;
  UniqueFd stdin_;
  UniqueFd wake_read_;   // the destructor writes to wake_write_ to stop the reader
  UniqueFd wake_write_;
  LineHook hook_;
  EventLog<OutputLine> out_;
  EventLog<OutputLine> err_;
  EventLog<bool> closed_;  // one entry once both pipes are closed
  std::size_t next_index_ = 0;
  std::thread reader_;
};

}  // namespace callsignal::test
