// Asio for the relay. GCC 12 at -O2 reports a false -Wnull-dereference inside Asio's
// inlined scheduler (a system header); translation units that include Asio through this
// header turn that one warning off from here on.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
// ThreadSanitizer does not model std::atomic_thread_fence (GCC refuses it under -Werror);
// Asio's handler hand-offs are also ordered by its scheduler's mutex, so the TSan build
// uses Asio's null fenced block. Every file includes Asio through here, so all agree.
#if defined(__SANITIZE_THREAD__) && !defined(ASIO_DISABLE_FENCED_BLOCK)
#define ASIO_DISABLE_FENCED_BLOCK 1
#endif
// Asio 1.22 detects C++20 coroutines on GCC only; clang 14 has them too (with -std=c++20).
#if defined(__clang__) && defined(__cpp_impl_coroutine) && !defined(ASIO_HAS_CO_AWAIT)
#define ASIO_HAS_CO_AWAIT 1
#endif
#include <asio.hpp>
