// The threads that check pushed changes (form, id, Ed25519 signature: CPU work that grows
// with every change of a push), off the network threads, so one connection's large push
// does not hold up the frames of the connections sharing its network thread, and checks of
// concurrent pushes use every core rather than only the network threads.
//
// Thread safety: OnCheckPool may be called from any coroutine; `fn` runs on a pool thread
// and must only touch what it owns or what the awaiting coroutine keeps alive and leaves
// alone until it resumes (it is suspended meanwhile). The pool is joined when the server
// finishes, after the last connection is gone.
#pragma once

#include <algorithm>
#include <memory>
#include <thread>

#include "asio_includes.h"

namespace parley::relay {

// One thread per core.
inline std::size_t CheckThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

// Runs fn() on `pool` and resumes the awaiting coroutine on its own executor with the
// result. Like Call() (storage_worker.h), not a coroutine itself: callers pass named
// callables (std::move(fn)).
template <typename T, typename Fn>
asio::awaitable<T> OnCheckPool(asio::thread_pool& pool, Fn fn) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
      [&pool, fn = std::move(fn)](auto handler) mutable {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        asio::post(pool, [h, ex, fn = std::move(fn)]() mutable {
          auto result = std::make_shared<T>(fn());
          asio::post(ex, [h, result]() mutable { (*h)(std::move(*result)); });
        });
      },
      asio::use_awaitable);
}

}  // namespace parley::relay
