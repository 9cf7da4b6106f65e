#include "invite_latency/paho_link.h"

#include <MQTTAsync.h>

#include <stdexcept>

namespace callsignal::bench {

struct PahoLink::Pending {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int code = 0;  // 0: success; else Paho's failure code

  void finish(int result) {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    code = result;
    cv.notify_all();
  }
};

struct PahoCallbacks {
  static void on_success(void* context, MQTTAsync_successData*) { static_cast<PahoLink::Pending*>(context)->finish(0); }
  static void on_failure(void* context, MQTTAsync_failureData* data) {
    static_cast<PahoLink::Pending*>(context)->finish(data != nullptr && data->code != 0 ? data->code : -1);
  }
  static int on_arrived(void* context, char* topic, int topic_len, MQTTAsync_message* message) {
    PahoLink* link = static_cast<PahoLink*>(context);
    const std::string_view topic_view =
        topic_len > 0 ? std::string_view(topic, static_cast<std::size_t>(topic_len)) : std::string_view(topic);
    if (link->on_message_) link->on_message_(topic_view, std::string_view(static_cast<const char*>(message->payload),
                                                   static_cast<std::size_t>(message->payloadlen)));
    MQTTAsync_freeMessage(&message);
    MQTTAsync_free(topic);
    return 1;  // lets Paho acknowledge it
  }
  static void on_lost(void*, char* cause) {
    if (cause != nullptr) MQTTAsync_free(cause);
  }
};

namespace {

constexpr std::chrono::seconds kPahoDeadline{5};

[[noreturn]] void fail(const std::string& what, int rc) {
  throw std::runtime_error(what + ": Paho code " + std::to_string(rc));
}

}  // namespace

PahoLink::PahoLink(const std::string& uri, const std::string& client_id, bool clean_session, OnMessage on_message)
    : on_message_(std::move(on_message)) {
  MQTTAsync handle = nullptr;
  int rc = MQTTAsync_create(&handle, uri.c_str(), client_id.c_str(), MQTTCLIENT_PERSISTENCE_NONE, nullptr);
  if (rc != MQTTASYNC_SUCCESS) fail("MQTTAsync_create " + client_id, rc);
  handle_ = handle;
  rc = MQTTAsync_setCallbacks(handle, this, &PahoCallbacks::on_lost, &PahoCallbacks::on_arrived, nullptr);
  if (rc != MQTTASYNC_SUCCESS) {
    MQTTAsync_destroy(&handle);
    fail("MQTTAsync_setCallbacks", rc);
  }
  connecting_ = std::make_unique<Pending>();
  MQTTAsync_connectOptions options = MQTTAsync_connectOptions_initializer;
  options.keepAliveInterval = 30;
  options.cleansession = clean_session ? 1 : 0;
  options.MQTTVersion = MQTTVERSION_3_1_1;
  options.onSuccess = &PahoCallbacks::on_success;
  options.onFailure = &PahoCallbacks::on_failure;
  options.context = connecting_.get();
  rc = MQTTAsync_connect(handle, &options);
  if (rc != MQTTASYNC_SUCCESS) {
    MQTTAsync_destroy(&handle);
    fail("MQTTAsync_connect " + client_id, rc);
  }
}

void PahoLink::wait_connected() {
  wait_for(*connecting_, "connect");
  connected_ = true;
}

PahoLink::~PahoLink() {
  MQTTAsync handle = handle_;
  if (handle == nullptr) return;
  if (connected_) {
    Pending pending;
    MQTTAsync_disconnectOptions options = MQTTAsync_disconnectOptions_initializer;
    options.timeout = 1000;
    options.onSuccess = [](void* context, MQTTAsync_successData*) { static_cast<Pending*>(context)->finish(0); };
    options.onFailure = [](void* context, MQTTAsync_failureData*) { static_cast<Pending*>(context)->finish(-1); };
    options.context = &pending;
    if (MQTTAsync_disconnect(handle, &options) == MQTTASYNC_SUCCESS) {
      std::unique_lock<std::mutex> lock(pending.mu);
      // Bounded: Paho calls back within options.timeout; if it does not, destroy regardless.
      pending.cv.wait_for(lock, kPahoDeadline, [&] { return pending.done; });
    }
  }
  MQTTAsync_destroy(&handle);
}

void PahoLink::wait_for(Pending& pending, const char* what) {
  std::unique_lock<std::mutex> lock(pending.mu);
  if (!pending.cv.wait_for(lock, kPahoDeadline, [&] { return pending.done; })) {
    throw std::runtime_error(std::string(what) + ": no answer from Paho within 5 s");
  }
  if (pending.code != 0) fail(what, pending.code);
}

void PahoLink::subscribe(const std::string& topic) {
  Pending pending;
  MQTTAsync_responseOptions options = MQTTAsync_responseOptions_initializer;
  options.onSuccess = &PahoCallbacks::on_success;
  options.onFailure = &PahoCallbacks::on_failure;
  options.context = &pending;
  const int rc = MQTTAsync_subscribe(handle_, topic.c_str(), 1, &options);
  if (rc != MQTTASYNC_SUCCESS) fail("MQTTAsync_subscribe " + topic, rc);
  wait_for(pending, "subscribe");
}

SteadyClock::time_point PahoLink::publish(const std::string& topic, const std::string& payload) {
  MQTTAsync_message message = MQTTAsync_message_initializer;
  message.payload = const_cast<char*>(payload.data());  // Paho copies it
  message.payloadlen = static_cast<int>(payload.size());
  message.qos = 1;
  MQTTAsync_responseOptions options = MQTTAsync_responseOptions_initializer;
  const SteadyClock::time_point stamp = SteadyClock::now();
  const int rc = MQTTAsync_sendMessage(handle_, topic.c_str(), &message, &options);
  if (rc != MQTTASYNC_SUCCESS) fail("MQTTAsync_sendMessage " + topic, rc);
  return stamp;
}

}  // namespace callsignal::bench
