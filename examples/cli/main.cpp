// callsignal-cli: a desktop call signaling client written only against the public C ABI
// (include/callsignal/callsignal.h), the proof that the ABI is enough for an app.
// Commands on stdin, events on stdout; --help documents both. SIGTERM / SIGINT and the end of
// stdin disconnect cleanly (the service sees the device go offline at once).
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "cli_app.h"

namespace {

int g_signal_pipe[2] = {-1, -1};

void on_signal(int) {
  const char byte = 1;
  (void)!write(g_signal_pipe[1], &byte, 1);
}

void log_to_stderr(void*, cs_log_level_t level, const char* message) {
  static const char* const names[] = {"debug", "info", "warn", "error"};
  std::fprintf(stderr, "[%s] %s\n", level >= CS_LOG_DEBUG && level <= CS_LOG_ERROR ? names[level] : "?", message);
}

// Reads stdin line by line until quit, the end of input or a signal.
void command_loop(CliApp& app) {
  std::string buffer;
  pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {g_signal_pipe[0], POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;  // SIGTERM / SIGINT
    if (fds[0].revents == 0) continue;
    char chunk[4096];
    const ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // end of input
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t newline; (newline = buffer.find('\n')) != std::string::npos;) {
      const std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      if (!app.run_command(line)) return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CliOptions options;
  const int parsed = parse_cli_options(argc, argv, options);
  if (parsed != 0) return parsed < 0 ? 0 : parsed;

  if (pipe(g_signal_pipe) != 0) return 1;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  if (options.log_level != CS_LOG_OFF) cs_log_set_handler(options.log_level, log_to_stderr, nullptr, nullptr);

  Output out(options.json);
  int exit_code = 0;
  {
    CliApp app(options, out);
    if (app.start()) {
      command_loop(app);
    } else {
      exit_code = 1;
    }
  }  // destroys the client: a clean disconnect
  cs_log_set_handler(CS_LOG_OFF, nullptr, nullptr, nullptr);
  return exit_code;
}
