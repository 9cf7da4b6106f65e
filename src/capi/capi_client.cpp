// The client's life cycle, connection, app reports, push payloads and stats.
#include "capi/capi_listener.h"
#include "capi/capi_options.h"
#include "capi/capi_registry.h"

using namespace callsignal;
using namespace callsignal::capi;

extern "C" {

int cs_client_create(const cs_client_options_t* options, const cs_listener_t* listener, cs_client_t** out,
                     cs_error_t* err) noexcept {
  if (out != nullptr) *out = nullptr;
  return guarded(err, [&]() -> Status {
    if (out == nullptr) return Status::error(Errc::invalid_argument, "out: must not be NULL");
    cs_listener_t callbacks = CS_LISTENER_INIT;
    if (Status s = read_versioned(listener, "listener", kListenerV1Size, callbacks); !s.ok()) return s;
    // From here on the app's user_data is ours: released when the last holder lets go.
    auto app_listener = std::make_shared<AppListener>(callbacks);
    ClientConfig config;
    if (Status s = client_config_from(options, config); !s.ok()) return s;
    auto client = Client::create(std::move(config), app_listener);
    if (!client.ok()) return client.status();
    auto handle = std::make_unique<cs_client>();
    register_handle(handle.get(), HandleEntry{std::shared_ptr<Client>(std::move(client).value()), app_listener});
    *out = handle.release();
    return Status::success();
  });
}

void cs_client_destroy(cs_client_t* client) noexcept {
  if (client == nullptr) return;
  try {
    HandleEntry entry = unregister_handle(client);
    if (!entry.client) return;  // destroyed already, or never a client: leave the memory alone
    entry.client->close();
    // The handle's hold on the listener goes now: from inside a callback, the client's own hold
    // is the last one and goes after that callback returns.
    entry.listener.reset();
    entry.client.reset();  // a call racing on another thread may keep it a little longer
    delete client;
  } catch (...) {
    // close() does not throw; freeing cannot. Nothing to report to a void function.
  }
}

int cs_client_connect(cs_client_t* client, cs_error_t* err) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    return c->connect();
  });
}

int cs_client_disconnect(cs_client_t* client, cs_error_t* err) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    c->close();
    return Status::success();
  });
}

cs_connection_state_t cs_client_connection_state(const cs_client_t* client) noexcept {
  try {
    std::shared_ptr<Client> c = client == nullptr ? nullptr : find_client(client);
    if (!c) return CS_CONNECTION_CLOSED;
    return static_cast<cs_connection_state_t>(c->connection_state());
  } catch (...) {
    return CS_CONNECTION_CLOSED;
  }
}

int cs_client_app_foreground(cs_client_t* client, cs_error_t* err) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    return c->app_foreground();
  });
}

int cs_client_app_background(cs_client_t* client, cs_error_t* err) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    return c->app_background();
  });
}

int cs_client_network_changed(cs_client_t* client, cs_error_t* err) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    return c->network_changed();
  });
}

int cs_client_push_received(cs_client_t* client, const char* payload, size_t size, cs_error_t* err) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    if (payload == nullptr) return Status::error(Errc::invalid_argument, "payload: must not be NULL");
    // Malformed or oversize frames are the filter's business: refused, counted, not an error here.
    return c->push_received(std::string_view(payload, size));
  });
}

int cs_client_renew_token(cs_client_t* client, const char* token, cs_error_t* err) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    std::string text;
    if (Status s = read_string(token, "token", text); !s.ok()) return s;
    if (text.empty()) return Status::error(Errc::invalid_argument, "token: must not be empty");
    return c->renew_token(text);
  });
}

int cs_client_get_stats(const cs_client_t* client, cs_stats_t* stats, cs_error_t* err) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    if (stats == nullptr) return Status::error(Errc::invalid_argument, "stats: must not be NULL");
    const std::uint32_t size = stats->struct_size;
    if (size < sizeof(cs_stats_t) || size > sizeof(cs_stats_t)) {
      return Status::error(Errc::invalid_argument, "stats.struct_size: use CS_STATS_INIT");
    }
    const ClientStats s = c->stats();
    cs_stats_t out = CS_STATS_INIT;
    out.received = s.received;
    out.delivered = s.delivered;
    out.duplicates_dropped = s.duplicates;
    out.expired_dropped = s.expired;
    out.invalid_dropped = s.invalid;
    out.forged_dropped = s.forged;
    out.reconnects = s.reconnects;
    out.outbound_queued = s.outbound_queued;
    std::memcpy(static_cast<void*>(stats), &out, size);
    return Status::success();
  });
}

}  // extern "C"
