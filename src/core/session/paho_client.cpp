#include "core/session/paho_client.h"

#include <MQTTAsync.h>

#include <cstring>
#include <vector>

namespace callsignal {

struct PahoClient::CallContext {
  PahoClient* client;
  std::uint64_t tag;
};

namespace {

constexpr int kQos1 = 1;

MQTTAsync as_handle(void* handle) { return static_cast<MQTTAsync>(handle); }

std::string paho_error(const char* what, int rc) {
  return std::string(what) + ": " + MQTTAsync_strerror(rc) + " (" + std::to_string(rc) + ")";
}

// Paho reports CONNACK refusals in `code` (3.1.1 return codes) or `reasonCode` (MQTT 5).
Errc classify_connect_failure(int code, int reason_code, bool tls_error_seen) {
  if (code == 4 || code == 5) return Errc::auth_error;  // bad user name or password, not authorized
  if (reason_code == MQTTREASONCODE_BAD_USER_NAME_OR_PASSWORD || reason_code == MQTTREASONCODE_NOT_AUTHORIZED ||
      reason_code == MQTTREASONCODE_BAD_AUTHENTICATION_METHOD) {
    return Errc::auth_error;
  }
  if (tls_error_seen) return Errc::tls_error;
  return Errc::broker_error;
}

std::string describe_failure(const char* message, int code, const std::string& tls_error) {
  std::string text = message ? message : "failed";
  text += " (code " + std::to_string(code) + ")";
  if (!tls_error.empty()) text += ": " + tls_error;
  return text;
}

// --- C callbacks. `context` is a CallContext* (one-shot results) or the PahoClient* (events).

PahoClient::CallContext* take(void* context) { return static_cast<PahoClient::CallContext*>(context); }

void on_connect_success(void* context, MQTTAsync_successData* response) {
  auto* call = take(context);
  const bool session_present = response && response->alt.connect.sessionPresent;
  call->client->events().on_connect_result(call->tag, Status::success(), session_present);
  call->client->release(call);
}

void on_connect_success5(void* context, MQTTAsync_successData5* response) {
  auto* call = take(context);
  const bool session_present = response && response->alt.connect.sessionPresent;
  call->client->events().on_connect_result(call->tag, Status::success(), session_present);
  call->client->release(call);
}

void on_connect_failure(void* context, MQTTAsync_failureData* response) {
  auto* call = take(context);
  const int code = response ? response->code : MQTTASYNC_FAILURE;
  const std::string tls = call->client->take_tls_error();
  Status status = Status::error(classify_connect_failure(code, 0, !tls.empty()),
                                describe_failure(response ? response->message : nullptr, code, tls));
  call->client->events().on_connect_result(call->tag, status, false);
  call->client->release(call);
}

void on_connect_failure5(void* context, MQTTAsync_failureData5* response) {
  auto* call = take(context);
  const int code = response ? response->code : MQTTASYNC_FAILURE;
  const int reason = response ? static_cast<int>(response->reasonCode) : 0;
  const std::string tls = call->client->take_tls_error();
  std::string text = describe_failure(response ? response->message : nullptr, code, tls);
  if (reason != 0) text += std::string(", reason: ") + MQTTReasonCode_toString(response->reasonCode);
  Status status = Status::error(classify_connect_failure(code, reason, !tls.empty()), text);
  call->client->events().on_connect_result(call->tag, status, false);
  call->client->release(call);
}

void on_subscribe_success(void* context, MQTTAsync_successData* response) {
  auto* call = take(context);
  (void)response;  // 3.1.1 subscribeMany reports granted QoS in qosList; 0x80 arrives as failure
  call->client->events().on_subscribe_result(call->tag, Status::success());
  call->client->release(call);
}

void on_subscribe_success5(void* context, MQTTAsync_successData5* response) {
  auto* call = take(context);
  Status status;
  if (response) {
    // Paho reports a single reason code in reasonCode and leaves the array null; several in the array.
    std::vector<MQTTReasonCodes> codes{response->reasonCode};
    if (response->alt.sub.reasonCodeCount > 1 && response->alt.sub.reasonCodes) {
      codes.assign(response->alt.sub.reasonCodes, response->alt.sub.reasonCodes + response->alt.sub.reasonCodeCount);
    }
    for (MQTTReasonCodes code : codes) {
      if (code >= MQTTREASONCODE_UNSPECIFIED_ERROR) {
        status = Status::error(Errc::broker_error, std::string("subscription refused: ") + MQTTReasonCode_toString(code));
        break;
      }
    }
  }
  call->client->events().on_subscribe_result(call->tag, status);
  call->client->release(call);
}

void on_subscribe_failure(void* context, MQTTAsync_failureData* response) {
  auto* call = take(context);
  call->client->events().on_subscribe_result(
      call->tag, Status::error(Errc::broker_error, describe_failure(response ? response->message : "subscription refused",
                                                                    response ? response->code : 0x80, "")));
  call->client->release(call);
}

void on_subscribe_failure5(void* context, MQTTAsync_failureData5* response) {
  auto* call = take(context);
  call->client->events().on_subscribe_result(
      call->tag, Status::error(Errc::broker_error, describe_failure(response ? response->message : "subscription refused",
                                                                    response ? response->code : 0x80, "")));
  call->client->release(call);
}

void on_disconnect_done(void* context, MQTTAsync_successData*) {
  auto* call = take(context);
  call->client->events().on_disconnect_result(call->tag);
  call->client->release(call);
}
void on_disconnect_done5(void* context, MQTTAsync_successData5*) { on_disconnect_done(context, nullptr); }
void on_disconnect_failed(void* context, MQTTAsync_failureData*) { on_disconnect_done(context, nullptr); }
void on_disconnect_failed5(void* context, MQTTAsync_failureData5*) { on_disconnect_done(context, nullptr); }

// Handles whose dangling in-flight publication must never be freed again (see ~PahoClient).
// Reachable from a global, so LeakSanitizer does not count them.
std::mutex parked_mu;
std::vector<MQTTAsync>* parked_handles = new std::vector<MQTTAsync>();

int orphan_message_arrived(void*, char* topic, int, MQTTAsync_message* message) {
  MQTTAsync_freeMessage(&message);
  MQTTAsync_free(topic);
  return 1;
}

void publish_result(void* context, int token, const Status& status) {
  auto* client = static_cast<PahoClient*>(context);
  // MQTTAsync_processCommand reports a failed write of a new PUBLISH with token 0 (1.3.12).
  if (token == 0 && !status.ok()) client->mark_publish_write_failed();
  client->events().on_publish_result(client->generation(), token, status);
}

void on_publish_success(void* context, MQTTAsync_successData* response) {
  publish_result(context, response ? response->token : 0, Status::success());
}
void on_publish_success5(void* context, MQTTAsync_successData5* response) {
  if (response && response->reasonCode >= MQTTREASONCODE_UNSPECIFIED_ERROR) {
    publish_result(context, response->token,
                   Status::error(Errc::broker_error,
                                 std::string("publish refused: ") + MQTTReasonCode_toString(response->reasonCode)));
    return;
  }
  publish_result(context, response ? response->token : 0, Status::success());
}
void on_publish_failure(void* context, MQTTAsync_failureData* response) {
  publish_result(context, response ? response->token : 0,
                 Status::error(Errc::broker_error, describe_failure(response ? response->message : nullptr,
                                                                    response ? response->code : -1, "")));
}
void on_publish_failure5(void* context, MQTTAsync_failureData5* response) {
  publish_result(context, response ? response->token : 0,
                 Status::error(Errc::broker_error, describe_failure(response ? response->message : nullptr,
                                                                    response ? response->code : -1, "")));
}

void on_connection_lost(void* context, char* cause) {
  auto* client = static_cast<PahoClient*>(context);
  client->events().on_connection_lost(client->generation(), cause ? cause : "connection lost");
}

int on_message_arrived(void* context, char* topic, int topic_length, MQTTAsync_message* message) {
  PahoMessage copy;
  copy.topic = topic_length > 0 ? std::string(topic, static_cast<std::size_t>(topic_length)) : std::string(topic);
  copy.payload.assign(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen));
  copy.retained = message->retained != 0;
  copy.dup = message->dup != 0;
  if (!static_cast<PahoClient*>(context)->events().on_message(std::move(copy))) {
    return 0;  // Paho keeps the message and offers it again; no PUBACK yet
  }
  MQTTAsync_freeMessage(&message);
  MQTTAsync_free(topic);
  return 1;
}

int on_ssl_error(const char* text, std::size_t size, void* context) {
  static_cast<PahoClient*>(context)->note_tls_error(text, size);
  return 0;
}

}  // namespace

Result<std::unique_ptr<PahoClient>> PahoClient::create(const std::string& first_uri, const std::string& client_id,
                                                       MqttVersion version, PahoEvents& events,
                                                       std::uint64_t generation) {
  std::unique_ptr<PahoClient> client(new PahoClient(events, version, generation));
  MQTTAsync_createOptions options = MQTTAsync_createOptions_initializer;
  options.MQTTVersion = version == MqttVersion::v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  options.sendWhileDisconnected = 0;  // offline messages wait in our own durable outbox
  MQTTAsync handle = nullptr;
  int rc = MQTTAsync_createWithOptions(&handle, first_uri.c_str(), client_id.c_str(), MQTTCLIENT_PERSISTENCE_NONE,
                                       nullptr, &options);
  if (rc != MQTTASYNC_SUCCESS) return Status::error(Errc::internal, paho_error("MQTTAsync_create", rc));
  client->handle_ = handle;
  rc = MQTTAsync_setCallbacks(handle, client.get(), on_connection_lost, on_message_arrived, nullptr);
  if (rc != MQTTASYNC_SUCCESS) return Status::error(Errc::internal, paho_error("MQTTAsync_setCallbacks", rc));
  return client;
}

PahoClient::PahoClient(PahoEvents& events, MqttVersion version, std::uint64_t generation)
    : events_(events), version_(version), generation_(generation) {}

PahoClient::~PahoClient() {
  if (handle_) {
    MQTTAsync handle = as_handle(handle_);
    // Paho 1.3.12 (still upstream): when the write of a QoS1 PUBLISH fails, processCommand frees
    // the command's topic and payload while the message kept in outboundMsgs still points at
    // them. A reconnect of this handle would resend them (use after free); MQTTAsync_destroy frees
    // them again (MQTTProtocol_freeClient -> removePublication), by then often someone else's
    // block. Such a handle is detached and parked for the life of the process instead.
    if (publish_write_failed_ &&
        MQTTAsync_setCallbacks(handle, nullptr, nullptr, orphan_message_arrived, nullptr) == MQTTASYNC_SUCCESS) {
      std::lock_guard<std::mutex> lock(parked_mu);
      parked_handles->push_back(handle);
    } else {
      MQTTAsync_destroy(&handle);
    }
  }
  // Paho calls nothing after destroy: contexts of calls that never completed are freed here.
  for (CallContext* context : contexts_) delete context;
}

PahoClient::CallContext* PahoClient::new_context(std::uint64_t tag) {
  auto* context = new CallContext{this, tag};
  std::lock_guard<std::mutex> lock(mu_);
  contexts_.insert(context);
  return context;
}

void PahoClient::release(CallContext* context) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    contexts_.erase(context);
  }
  delete context;
}

void PahoClient::note_tls_error(const char* text, std::size_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  tls_error_.assign(text, size);
  while (!tls_error_.empty() && (tls_error_.back() == '\n' || tls_error_.back() == '\0')) tls_error_.pop_back();
}

std::string PahoClient::take_tls_error() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string text;
  text.swap(tls_error_);
  return text;
}

Status PahoClient::connect(const ConnectParams& params, std::uint64_t tag) {
  const bool v5 = version_ == MqttVersion::v5;
  MQTTAsync_connectOptions options = MQTTAsync_connectOptions_initializer;
  if (v5) {
    MQTTAsync_connectOptions options5 = MQTTAsync_connectOptions_initializer5;
    options = options5;
  }
  options.keepAliveInterval = static_cast<int>(params.keepalive.count());
  options.cleansession = 0;
  options.cleanstart = 0;
  options.maxInflight = params.max_inflight;
  options.connectTimeout = static_cast<int>(params.connect_timeout.count());
  options.automaticReconnect = 0;  // the session runs its own backoff with jitter
  options.MQTTVersion = v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  options.username = params.username.empty() ? nullptr : params.username.c_str();
  if (!params.password.empty()) {
    options.binarypwd.data = params.password.data();
    options.binarypwd.len = static_cast<int>(params.password.size());
  }

  std::vector<char*> uris;
  for (const std::string& uri : params.uris) uris.push_back(const_cast<char*>(uri.c_str()));
  options.serverURIs = uris.data();
  options.serverURIcount = static_cast<int>(uris.size());

  MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
  if (!params.will_topic.empty()) {
    will.topicName = params.will_topic.c_str();
    will.payload.data = params.will_payload.data();
    will.payload.len = static_cast<int>(params.will_payload.size());
    will.message = nullptr;
    will.qos = kQos1;
    will.retained = 0;
    options.will = &will;
  }

  MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
  if (params.tls) {
    const TlsConfig& tls = *params.tls;
    const bool custom_ca = !tls.ca_file.empty() || !tls.ca_dir.empty();
    ssl.trustStore = tls.ca_file.empty() ? nullptr : tls.ca_file.c_str();
    ssl.CApath = tls.ca_dir.empty() ? nullptr : tls.ca_dir.c_str();
    ssl.keyStore = tls.client_cert_file.empty() ? nullptr : tls.client_cert_file.c_str();
    ssl.privateKey = tls.client_key_file.empty() ? nullptr : tls.client_key_file.c_str();
    ssl.privateKeyPassword = tls.client_key_password.empty() ? nullptr : tls.client_key_password.c_str();
    ssl.enableServerCertAuth = tls.insecure_skip_verify ? 0 : 1;
    ssl.verify = (tls.verify_hostname && !tls.insecure_skip_verify) ? 1 : 0;
    ssl.sslVersion = MQTT_SSL_VERSION_TLS_1_2;
    ssl.disableDefaultTrustStore = custom_ca ? 1 : 0;  // a configured CA is the only one trusted
    ssl.ssl_error_cb = on_ssl_error;
    ssl.ssl_error_context = this;
    options.ssl = &ssl;
  }

  MQTTProperties connect_properties = MQTTProperties_initializer;
  if (v5) {
    MQTTProperty expiry;
    expiry.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
    expiry.value.integer4 = params.session_expiry_s;
    MQTTProperties_add(&connect_properties, &expiry);
    options.connectProperties = &connect_properties;
  }

  CallContext* context = new_context(tag);
  options.context = context;
  if (v5) {
    options.onSuccess5 = on_connect_success5;
    options.onFailure5 = on_connect_failure5;
  } else {
    options.onSuccess = on_connect_success;
    options.onFailure = on_connect_failure;
  }
  const int rc = MQTTAsync_connect(as_handle(handle_), &options);
  MQTTProperties_free(&connect_properties);
  if (rc != MQTTASYNC_SUCCESS) {
    release(context);
    return Status::error(Errc::broker_error, paho_error("MQTTAsync_connect", rc));
  }
  return Status::success();
}

Status PahoClient::subscribe(const std::vector<std::string>& filters, std::uint64_t tag) {
  std::vector<char*> topics;
  std::vector<int> qos(filters.size(), kQos1);
  for (const std::string& filter : filters) topics.push_back(const_cast<char*>(filter.c_str()));
  MQTTAsync_responseOptions options = MQTTAsync_responseOptions_initializer;
  CallContext* context = new_context(tag);
  options.context = context;
  if (version_ == MqttVersion::v5) {
    options.onSuccess5 = on_subscribe_success5;
    options.onFailure5 = on_subscribe_failure5;
  } else {
    options.onSuccess = on_subscribe_success;
    options.onFailure = on_subscribe_failure;
  }
  const int rc = MQTTAsync_subscribeMany(as_handle(handle_), static_cast<int>(topics.size()), topics.data(),
                                         qos.data(), &options);
  if (rc != MQTTASYNC_SUCCESS) {
    release(context);
    return Status::error(Errc::not_connected, paho_error("MQTTAsync_subscribeMany", rc));
  }
  return Status::success();
}

Result<int> PahoClient::publish(const std::string& topic, const std::string& payload, bool retain,
                                std::uint32_t expiry_s) {
  MQTTAsync_message message = MQTTAsync_message_initializer;
  message.payload = const_cast<char*>(payload.data());
  message.payloadlen = static_cast<int>(payload.size());
  message.qos = kQos1;
  message.retained = retain ? 1 : 0;
  const bool v5 = version_ == MqttVersion::v5;
  if (v5 && expiry_s > 0) {
    MQTTProperty expiry;
    expiry.identifier = MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL;
    expiry.value.integer4 = expiry_s;
    MQTTProperties_add(&message.properties, &expiry);
  }
  MQTTAsync_responseOptions options = MQTTAsync_responseOptions_initializer;
  options.context = this;
  if (v5) {
    options.onSuccess5 = on_publish_success5;
    options.onFailure5 = on_publish_failure5;
  } else {
    options.onSuccess = on_publish_success;
    options.onFailure = on_publish_failure;
  }
  const int rc = MQTTAsync_sendMessage(as_handle(handle_), topic.c_str(), &message, &options);
  MQTTProperties_free(&message.properties);
  if (rc != MQTTASYNC_SUCCESS) {
    return Status::error(rc == MQTTASYNC_DISCONNECTED ? Errc::not_connected : Errc::broker_error,
                         paho_error("MQTTAsync_sendMessage", rc));
  }
  return options.token;
}

Status PahoClient::disconnect(std::chrono::milliseconds timeout, std::uint64_t tag) {
  MQTTAsync_disconnectOptions options = MQTTAsync_disconnectOptions_initializer;
  if (version_ == MqttVersion::v5) {
    MQTTAsync_disconnectOptions options5 = MQTTAsync_disconnectOptions_initializer5;
    options = options5;
  }
  options.timeout = static_cast<int>(timeout.count());
  CallContext* context = new_context(tag);
  options.context = context;
  if (version_ == MqttVersion::v5) {
    options.onSuccess5 = on_disconnect_done5;
    options.onFailure5 = on_disconnect_failed5;
  } else {
    options.onSuccess = on_disconnect_done;
    options.onFailure = on_disconnect_failed;
  }
  const int rc = MQTTAsync_disconnect(as_handle(handle_), &options);
  if (rc != MQTTASYNC_SUCCESS) {
    release(context);
    return Status::error(Errc::not_connected, paho_error("MQTTAsync_disconnect", rc));
  }
  return Status::success();
}

}  // namespace callsignal
