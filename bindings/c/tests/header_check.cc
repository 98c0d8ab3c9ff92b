// parley.h compiles as C++ (extern "C" guards, no C-only constructs) and links from C++.
#include "parley/parley.h"

#include <cstdio>
#include <cstring>

extern "C" int parley_header_check_c(void);

int main() {
  parley_error error{};
  parley_device* device = nullptr;
  const int rc = parley_device_open("", 0, nullptr, &device, &error);
  if (rc != PARLEY_INVALID_ARGUMENT || device != nullptr) return 1;
  std::printf("C++: %s (%s)\n", parley_code_name(rc), error.message);
  if (std::strcmp(parley_version(), PARLEY_VERSION_STRING) != 0) return 1;
  return parley_header_check_c();
}
