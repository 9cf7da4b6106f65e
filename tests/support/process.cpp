#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "support/wait.h"

extern char** environ;

namespace callsignal::test {
namespace {

constexpr std::chrono::seconds kAfterKill(5);

// glibc 2.36's <sys/pidfd.h> lacks extern "C" (its wrappers do not link from C++): call the
// kernel directly.
int sys_pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int sys_pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Waits until the pidfd reports the process exited. Returns false on timeout.
bool wait_pidfd(int pidfd, std::chrono::milliseconds timeout) {
  Deadline deadline(timeout);
  for (;;) {
    pollfd p{pidfd, POLLIN, 0};
    int n = ::poll(&p, 1, deadline.poll_timeout_ms());
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) throw std::runtime_error(errno_text("poll(pidfd)"));
  }
}

// /proc/PID/cmdline (NUL-separated arguments); empty for a zombie or a process gone.
std::string read_cmdline(pid_t pid) {
  UniqueFd fd(::open(("/proc/" + std::to_string(pid) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC));
  std::string out;
  if (!fd) return out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

// RAII for the posix_spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, Session session) {
  return spawn(argv, session, Stdio{});
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, Session session, Stdio stdio) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/')
    throw std::runtime_error("ChildProcess::spawn: argv[0] must be an absolute path");

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  // The child's ends of the stdin and stdout pipes; the parent keeps the others.
  UniqueFd stdin_child, stdin_parent, stdout_parent, stdout_child;
  if (stdio.stdin_pipe) {
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
    stdin_child.reset(pipe_fds[0]);
    stdin_parent.reset(pipe_fds[1]);
  }
  if (stdio.stdout_pipe) {
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
    stdout_parent.reset(pipe_fds[0]);
    stdout_child.reset(pipe_fds[1]);
  }

  SpawnSetup setup;
  if (stdio.stdin_pipe) {
    posix_spawn_file_actions_adddup2(&setup.actions, stdin_child.get(), 0);
  } else {
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  }
  if (stdio.stdout_pipe) {
    posix_spawn_file_actions_adddup2(&setup.actions, stdout_child.get(), 1);
  } else {
    posix_spawn_file_actions_addopen(&setup.actions, 1, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), 2);
  // Other threads of the test (Paho, other brokers) may open fds without O_CLOEXEC: a child
  // holding a copy of someone's socket or pipe would keep it open past its owner's close.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);

  // Paho sets SIGPIPE to SIG_IGN, and an ignored signal stays ignored across exec.
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD}) sigaddset(&defaults, sig);
  sigset_t no_mask;
  sigemptyset(&no_mask);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawnattr_setsigmask(&setup.attr, &no_mask);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (session == Session::new_session) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&setup.attr, flags);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0], &setup.actions, &setup.attr, args.data(), environ);
  if (rc != 0) throw std::runtime_error("posix_spawn(" + argv[0] + "): " + std::strerror(rc));

  ChildProcess child;
  child.pid_ = pid;
  child.stderr_ = std::move(read_end);
  child.stdin_ = std::move(stdin_parent);
  child.stdout_ = std::move(stdout_parent);
  // Our unreaped child cannot be recycled, so opening its pidfd after the spawn is race-free.
  child.pidfd_.reset(sys_pidfd_open(pid));
  if (!child.pidfd_) {
    std::string error = errno_text("pidfd_open");
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    child.pid_ = -1;
    throw std::runtime_error(error);
  }
  return child;
}

ChildProcess::~ChildProcess() {
  if (!owned() || exited_) return;
  try {
    kill_now();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ChildProcess: %s\n", e.what());
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      stderr_(std::move(other.stderr_)),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      exited_(std::exchange(other.exited_, false)),
      status_(std::exchange(other.status_, 0)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    ChildProcess old(std::move(*this));  // kills and reaps what this owned
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    stderr_ = std::move(other.stderr_);
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
    exited_ = std::exchange(other.exited_, false);
    status_ = std::exchange(other.status_, 0);
  }
  return *this;
}

bool ChildProcess::running() { return owned() && !wait_exit(std::chrono::milliseconds(0)); }

void ChildProcess::send_signal(int sig) {
  if (!owned() || exited_) return;
  if (sys_pidfd_send_signal(pidfd_.get(), sig) != 0 && errno != ESRCH)
    throw std::runtime_error(errno_text("pidfd_send_signal"));
}

bool ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (!owned()) return true;
  if (exited_) return true;
  if (!wait_pidfd(pidfd_.get(), timeout)) return false;
  int status = 0;
  pid_t r;
  do r = ::waitpid(pid_, &status, 0);
  while (r < 0 && errno == EINTR);
  // ECHILD: someone set SIGCHLD to SIG_IGN and the kernel reaped it already; it is gone anyway.
  if (r < 0 && errno != ECHILD) throw std::runtime_error(errno_text("waitpid"));
  exited_ = true;
  status_ = status;
  return true;
}

bool ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (!owned() || exited_) return true;
  send_signal(SIGTERM);
  if (wait_exit(grace)) return true;
  kill_now();
  return false;
}

void ChildProcess::kill_now() {
  if (!owned() || exited_) return;
  send_signal(SIGKILL);
  if (!wait_exit(kAfterKill))
    throw std::runtime_error("process " + std::to_string(pid_) + " still running 5 s after SIGKILL");
}

std::string ChildProcess::describe_exit() const {
  if (!exited_) return "still running";
  if (WIFEXITED(status_)) return "exit code " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(status_));
  return "status " + std::to_string(status_);
}

void ChildProcess::release() { reset(); }

void ChildProcess::reset() noexcept {
  pid_ = -1;
  pidfd_.reset();
  stderr_.reset();
  stdin_.reset();
  stdout_.reset();
  exited_ = false;
  status_ = 0;
}

bool terminate_foreign_process(pid_t pid, const std::string& cmdline_must_contain,
                               std::chrono::milliseconds grace) {
  if (pid <= 0) return true;
  UniqueFd pidfd(sys_pidfd_open(pid));
  if (!pidfd) {
    if (errno == ESRCH) return true;
    throw std::runtime_error(errno_text("pidfd_open(" + std::to_string(pid) + ")"));
  }
  // The pidfd pins this process; check it is still the one meant, not a recycled pid.
  std::string cmdline = read_cmdline(pid);
  if (cmdline.empty()) return true;  // exited (or a zombie) between the two reads
  if (cmdline.find(cmdline_must_contain) == std::string::npos) return true;  // recycled: ours is gone

  if (sys_pidfd_send_signal(pidfd.get(), SIGTERM) != 0) return errno == ESRCH;
  if (wait_pidfd(pidfd.get(), grace)) return true;
  if (sys_pidfd_send_signal(pidfd.get(), SIGKILL) != 0) return errno == ESRCH;
  return wait_pidfd(pidfd.get(), kAfterKill);
}

}  // namespace callsignal::test
