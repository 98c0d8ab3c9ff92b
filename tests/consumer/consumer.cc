// The C++ side of the installed-package consumer (tests/consumer/consumer_test.cmake): the C ABI
// from C++, linked statically (parley::parley_static, libparley.a and the C++ libraries it
// brings), and the installed C++ headers of the Device API compiled against their installed
// dependencies (parley/device.h includes <sqlite3.h> and protobuf's headers).
// Usage: parley_consumer_cxx WORK_DIR (an empty directory it may fill).
#include <parley/device.h>
#include <parley/parley.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view kPassphrase = "quiet harbour lantern seventeen orbit";
constexpr std::string_view kNoteText = "written by the C++ consumer of libparley.a";

struct DeviceFree {
  void operator()(parley_device* device) const { parley_device_free(device); }
};
using DevicePtr = std::unique_ptr<parley_device, DeviceFree>;

struct StringFree {
  void operator()(char* text) const { parley_free(text); }
};
using OwnedString = std::unique_ptr<char, StringFree>;

int Fail(const char* what, const parley_error& error) {
  std::fprintf(stderr, "consumer_cxx: %s failed: %s/%s: %s\n", what,
               parley_domain_name(error.domain), parley_code_name(error.code), error.message);
  return 1;
}

// The value of "id" in {"id":"<hex>"}; empty when absent.
std::string JsonId(std::string_view json) {
  constexpr std::string_view kKey = "\"id\":\"";
  const auto start = json.find(kKey);
  if (start == std::string_view::npos) {
    return {};
  }
  const auto end = json.find('"', start + kKey.size());
  if (end == std::string_view::npos) {
    return {};
  }
  return std::string(json.substr(start + kKey.size(), end - start - kKey.size()));
}

// Creates a record; returns its id, or "" after printing why not.
std::string Create(parley_device* device, const std::string& json) {
  parley_error error{};
  char* out = nullptr;
  if (parley_record_create(device, json.data(), json.size(), &out, nullptr, &error) != PARLEY_OK) {
    Fail("parley_record_create", error);
    return {};
  }
  const OwnedString owned(out);
  return JsonId(owned.get());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s WORK_DIR\n", argv[0]);
    return 2;
  }
  // A C++ header of the Device API is usable from the install (this does not call it).
  static_assert(sizeof(parley::Device*) == sizeof(void*));
  std::printf("consumer_cxx: library %s\n", parley_version());
  if (std::string_view(parley_version()) != PARLEY_VERSION_STRING) {
    std::fprintf(stderr, "consumer_cxx: the library's version is not the header's\n");
    return 1;
  }
  const std::string work = argv[1];
  const std::string data_dir = work + "/data";
  const std::string key_dir = work + "/keys";

  parley_error error{};
  parley_open_options options;
  parley_open_options_init(&options);
  options.key_store_dir = key_dir.data();
  options.key_store_dir_len = key_dir.size();
  parley_device* raw = nullptr;
  if (parley_device_open(data_dir.data(), data_dir.size(), &options, &raw, &error) != PARLEY_OK) {
    return Fail("parley_device_open", error);
  }
  const DevicePtr device(raw);
  parley_create_options create_options;
  parley_create_options_init(&create_options);
  create_options.argon2_ops = 2;  // Argon2id at its floor: a test, not a phone
  create_options.argon2_mem_bytes = 19u << 20;
  if (parley_device_create(device.get(), "consumer-cxx", PARLEY_NUL_TERMINATED, "Consumer vault",
                           PARLEY_NUL_TERMINATED, kPassphrase.data(), kPassphrase.size(),
                           &create_options, &error) != PARLEY_OK) {
    return Fail("parley_device_create", error);
  }
  const std::string negotiation =
      Create(device.get(), R"({"type":"negotiation","fields":{"buyer":"Buyer"}})");
  if (negotiation.empty()) {
    return 1;
  }
  const std::string note =
      Create(device.get(), R"({"type":"note","negotiation":")" + negotiation +
                               R"(","fields":{"text":")" + std::string(kNoteText) + R"("}})");
  if (note.empty()) {
    return 1;
  }
  char* out = nullptr;
  if (parley_record_show(device.get(), note.data(), note.size(), "note", 4, &out, nullptr,
                         &error) != PARLEY_OK) {
    return Fail("parley_record_show", error);
  }
  const OwnedString shown(out);
  if (std::string_view(shown.get()).find(kNoteText) == std::string_view::npos) {
    std::fprintf(stderr, "consumer_cxx: the note read back is not the one written: %s\n",
                 shown.get());
    return 1;
  }
  std::printf("consumer_cxx: wrote and read back note %s\n", note.c_str());
  std::printf("consumer_cxx: ok\n");
  return 0;
}
