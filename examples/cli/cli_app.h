// The CLI's client: the SDK's listener (events printed, RTC simulated) and the stdin commands.
#pragma once

#include <callsignal/callsignal.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "cli_options.h"
#include "cli_output.h"

class CliApp {
 public:
  CliApp(CliOptions& options, Output& out) : options_(options), out_(out) {}
  ~CliApp();

  // Creates and connects the client. Returns false (after printing why) on failure.
  bool start();
  // Runs one command line. Returns false for quit.
  bool run_command(const std::string& line);

 private:
  static cs_listener_t listener_for(CliApp* app);
  void result(const std::string& command, int status, const cs_error_t& err);
  std::string current_call();
  std::string ringing_call();
  void show_status();

  // Listener callbacks (SDK event thread).
  void on_connection(const cs_connection_event_t& e);
  void on_incoming_call(const cs_incoming_call_t& e);
  void on_call_state(const cs_call_state_event_t& e);
  void on_call_id(const char* request_id, const char* call_id);
  void on_rtc(const char* event, const cs_rtc_params_t& p, bool join);
  void on_leave_rtc(const char* call_id);
  void on_participants(const cs_participants_event_t& e);
  void on_mute_request(const cs_mute_request_t& e);
  void on_missed_call(const cs_missed_call_t& e);
  void on_error(const cs_error_event_t& e);

  CliOptions& options_;
  Output& out_;
  std::atomic<cs_client_t*> client_{nullptr};
  std::mutex mu_;
  std::string current_;  // the call we are in or placing
  std::string ringing_;  // the call ringing here
};
