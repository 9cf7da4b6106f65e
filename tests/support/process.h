// ChildProcess: a program run by a test (the Mosquitto broker, or a program driven through its
// stdin and stdout), watched through a pidfd so every wait for its exit is a poll() with a
// deadline, and reaped so no zombie is left behind.
// Not thread-safe: one owner drives it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/unique_fd.h"

namespace callsignal::test {

class ChildProcess {
 public:
  enum class Session {
    inherit,      // same process group: Ctrl-C on the test run also stops the child
    new_session,  // setsid(): for a child that must outlive this process (see release())
  };

  // Runs argv[0] (an absolute path) with stdin and stdout on /dev/null and stderr on a pipe read
  // through stderr_fd(). The child gets only fds 0-2 and default signal handling whatever the
  // test process inherited or opened. Throws std::runtime_error if it cannot be started.
  static ChildProcess spawn(const std::vector<std::string>& argv, Session session = Session::inherit);

  // Where the child's stdin and stdout go; stderr is always a pipe.
  struct Stdio {
    bool stdin_pipe = false;   // true: a pipe written through stdin_fd(); false: /dev/null
    bool stdout_pipe = false;  // true: a pipe read through stdout_fd(); false: /dev/null
  };
  // As above, with stdin and/or stdout on pipes (support/interactive_process.h drives them).
  // The parent's ends are O_CLOEXEC and blocking.
  static ChildProcess spawn(const std::vector<std::string>& argv, Session session, Stdio stdio);

  ChildProcess() = default;
  ~ChildProcess();  // SIGKILLs and reaps a child still owned and running; never throws
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool owned() const { return pid_ > 0; }
  bool exited() const { return exited_; }  // seen to exit (by running() or a wait) and reaped

  // Reaps the child if it has exited; true while it runs.
  bool running();

  // The read end of the child's stderr (-1 once taken).
  int stderr_fd() const { return stderr_.get(); }
  UniqueFd take_stderr() { return std::move(stderr_); }
  // The write end of the child's stdin and the read end of its stdout, when spawned with
  // Stdio pipes (-1 otherwise, or once taken).
  int stdin_fd() const { return stdin_.get(); }
  UniqueFd take_stdin() { return std::move(stdin_); }
  int stdout_fd() const { return stdout_.get(); }
  UniqueFd take_stdout() { return std::move(stdout_); }

  // Sends sig through the pidfd (never to a recycled pid). No-op once the child has exited.
  void send_signal(int sig);

  // Waits up to timeout for the child to exit and reaps it. Returns true once it has exited.
  bool wait_exit(std::chrono::milliseconds timeout);

  // SIGTERM, up to `grace` for a clean exit, then SIGKILL. Reaps. Returns true if the child
  // exited within the grace period. Throws if it is still there 5 s after SIGKILL.
  bool terminate(std::chrono::milliseconds grace);

  // SIGKILL and reap. Throws if it is still there 5 s after SIGKILL.
  void kill_now();

  // The waitpid() status once exited, and a readable form of it ("exit code 1", "signal 9").
  int wait_status() const { return status_; }
  std::string describe_exit() const;

  // Stops owning the child: it keeps running and this object forgets it. Only for a child in
  // its own session whose parent is about to exit (init then reaps it).
  void release();

 private:
  void reset() noexcept;

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd stderr_;
  UniqueFd stdin_;
  UniqueFd stdout_;
  bool exited_ = false;
  int status_ = 0;
};

// Stops a process this process did not start (the fixture broker): SIGTERM, up to `grace` for it
// to exit, then SIGKILL and up to 5 s more. The process is signalled only if its /proc/PID/cmdline
// contains cmdline_must_contain (a recycled pid is left alone); the check and the signals go
// through one pidfd, so the pid cannot be recycled in between. Returns true once the process meant
// is gone (a pid now used by another process counts as gone), false if it would not die.
bool terminate_foreign_process(pid_t pid, const std::string& cmdline_must_contain,
                               std::chrono::milliseconds grace);

}  // namespace callsignal::test
