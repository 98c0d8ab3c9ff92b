// Runs storage calls off the network threads: one writer thread with its own storage
// object, and one reader thread with another over the same data.
//
// Group commit: the writer takes every push waiting in its queue at once and stores them
// in ONE transaction (InsertChanges), so a hundred devices pushing together cost one
// fsync, not a hundred. Each push's completion runs only after that commit returned.
// Other writes (registration, membership, envelopes, purge) run one by one after the
// pushes of the same round. Reads never wait behind a commit.
//
// Thread safety: Submit* from any thread. Completions run on the worker threads; callers
// post them back to their own executor (see Call()). Stop() runs what is queued, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "asio_includes.h"

#include "parley/relay/relay_storage.h"

namespace parley::relay {

class StorageWorker {
 public:
  using Task = std::function<void(RelayStorage&)>;
  using PushDone = std::function<void(Result<std::vector<InsertOutcome>>)>;

  StorageWorker(std::unique_ptr<RelayStorage> writer, std::unique_ptr<RelayStorage> reader);
  ~StorageWorker();

  void SubmitWrite(Task task);
  void SubmitRead(Task task);
  void SubmitPush(std::vector<NewChange> changes, PushDone done);
  // Finishes every queued task, then stops both threads. Idempotent.
  void Stop();

 private:
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Task> tasks;
    std::vector<std::pair<std::vector<NewChange>, PushDone>> pushes;
    bool stop = false;
  };
  void WriterLoop();
  void ReaderLoop();

  std::unique_ptr<RelayStorage> writer_storage_;
  std::unique_ptr<RelayStorage> reader_storage_;
  Queue wq_;
  Queue rq_;
  std::thread writer_;
  std::thread reader_;
};

// Runs fn(storage) on the worker (writer or reader thread) and resumes the awaiting
// coroutine on its own executor with the result. Not a coroutine itself: GCC 12 destroys
// prvalue arguments of a coroutine call inside co_await twice, so callers also pass named
// callables (std::move(fn)), never lambda temporaries.
template <typename T, typename Fn>
asio::awaitable<T> Call(StorageWorker& w, bool write, Fn fn) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
      [&w, write, fn = std::move(fn)](auto handler) mutable {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        StorageWorker::Task task = [h, ex, fn](RelayStorage& s) mutable {
          auto result = std::make_shared<T>(fn(s));
          asio::post(ex, [h, result]() mutable { (*h)(std::move(*result)); });
        };
        if (write) {
          w.SubmitWrite(std::move(task));
        } else {
          w.SubmitRead(std::move(task));
        }
      },
      asio::use_awaitable);
}

// A push through the group commit, resuming on the caller's executor.
asio::awaitable<Result<std::vector<InsertOutcome>>> CallPush(StorageWorker& w,
                                                             std::vector<NewChange> changes);

}  // namespace parley::relay
