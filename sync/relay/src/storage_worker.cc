#include "storage_worker.h"

namespace parley::relay {

StorageWorker::StorageWorker(std::unique_ptr<RelayStorage> writer,
                             std::unique_ptr<RelayStorage> reader)
    : writer_storage_(std::move(writer)), reader_storage_(std::move(reader)) {
  writer_ = std::thread([this] { WriterLoop(); });
  reader_ = std::thread([this] { ReaderLoop(); });
}

StorageWorker::~StorageWorker() { Stop(); }

void StorageWorker::SubmitWrite(Task task) {
  {
    std::lock_guard<std::mutex> lock(wq_.mu);
    wq_.tasks.push_back(std::move(task));
  }
  wq_.cv.notify_one();
}

void StorageWorker::SubmitRead(Task task) {
  {
    std::lock_guard<std::mutex> lock(rq_.mu);
    rq_.tasks.push_back(std::move(task));
  }
  rq_.cv.notify_one();
}

void StorageWorker::SubmitPush(std::vector<NewChange> changes, PushDone done) {
  {
    std::lock_guard<std::mutex> lock(wq_.mu);
    wq_.pushes.emplace_back(std::move(changes), std::move(done));
  }
  wq_.cv.notify_one();
}

void StorageWorker::Stop() {
  for (Queue* q : {&wq_, &rq_}) {
    std::lock_guard<std::mutex> lock(q->mu);
    q->stop = true;
    q->cv.notify_all();
  }
  if (writer_.joinable()) writer_.join();
  if (reader_.joinable()) reader_.join();
}

void StorageWorker::WriterLoop() {
  for (;;) {
    std::deque<Task> tasks;
    std::vector<std::pair<std::vector<NewChange>, PushDone>> pushes;
    {
      std::unique_lock<std::mutex> lock(wq_.mu);
      wq_.cv.wait(lock, [this] { return wq_.stop || !wq_.tasks.empty() || !wq_.pushes.empty(); });
      if (wq_.tasks.empty() && wq_.pushes.empty()) return;  // stopping and drained
      tasks.swap(wq_.tasks);
      pushes.swap(wq_.pushes);
    }
    if (!pushes.empty()) {
      std::vector<NewChange> all;
      for (auto& p : pushes) {
        for (auto& c : p.first) all.push_back(std::move(c));
      }
      auto result = writer_storage_->InsertChanges(all);
      std::size_t at = 0;
      for (auto& p : pushes) {
        const std::size_t n = p.first.size();
        if (!result.ok()) {
          p.second(result.status());
        } else {
          p.second(
              std::vector<InsertOutcome>(result->begin() + static_cast<std::ptrdiff_t>(at),
                                         result->begin() + static_cast<std::ptrdiff_t>(at + n)));
        }
        at += n;
      }
    }
    for (Task& t : tasks) t(*writer_storage_);
  }
}

void StorageWorker::ReaderLoop() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(rq_.mu);
      rq_.cv.wait(lock, [this] { return rq_.stop || !rq_.tasks.empty(); });
      if (rq_.tasks.empty()) return;
      task = std::move(rq_.tasks.front());
      rq_.tasks.pop_front();
    }
    task(*reader_storage_);
  }
}

asio::awaitable<Result<std::vector<InsertOutcome>>> CallPush(StorageWorker& w,
                                                             std::vector<NewChange> changes) {
  using T = Result<std::vector<InsertOutcome>>;
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
      [&w, changes = std::move(changes)](auto handler) mutable {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        w.SubmitPush(std::move(changes), [h, ex](T result) {
          auto r = std::make_shared<T>(std::move(result));
          asio::post(ex, [h, r]() mutable { (*h)(std::move(*r)); });
        });
      },
      asio::use_awaitable);
}

}  // namespace parley::relay
