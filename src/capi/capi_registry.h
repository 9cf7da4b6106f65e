// The live cs_client_t handles. Every entry point looks its handle up here, so NULL, a handle
// already destroyed (while its memory has not been reused by a new client) and a pointer that was
// never a client are refused with CS_E_INVALID_ARGUMENT instead of being dereferenced, and a call
// racing cs_client_destroy() on another thread holds the client alive until it returns.
// Thread-safe.
#pragma once

#include <memory>

#include "capi/capi_support.h"

namespace callsignal::capi {

struct HandleEntry {
  std::shared_ptr<Client> client;
  // Keeps the app's listener (and so its release) alive until destroy, even if disconnect ran.
  std::shared_ptr<ClientListener> listener;
};

void register_handle(const cs_client_t* handle, HandleEntry entry);
// Removes the handle; returns what it stood for (null members if it was not live).
HandleEntry unregister_handle(const cs_client_t* handle);
std::shared_ptr<Client> find_client(const cs_client_t* handle);

}  // namespace callsignal::capi
