#include "capi/capi_registry.h"

#include <mutex>
#include <unordered_map>

namespace callsignal::capi {
namespace {

struct Registry {
  std::mutex mu;
  std::unordered_map<const cs_client_t*, HandleEntry> live;
};

// Never destroyed: entry points may run during static destruction at exit.
Registry& registry() {
  static Registry* instance = new Registry();
  return *instance;
}

}  // namespace

void register_handle(const cs_client_t* handle, HandleEntry entry) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.live[handle] = std::move(entry);
}

HandleEntry unregister_handle(const cs_client_t* handle) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto found = r.live.find(handle);
  if (found == r.live.end()) return {};
  HandleEntry entry = std::move(found->second);
  r.live.erase(found);
  return entry;
}

std::shared_ptr<Client> find_client(const cs_client_t* handle) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto found = r.live.find(handle);
  return found == r.live.end() ? nullptr : found->second.client;
}

}  // namespace callsignal::capi
