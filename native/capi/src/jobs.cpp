#include "jobs.h"

namespace mlxc {

std::shared_ptr<JobQueue::Entry> JobQueue::push(std::function<void()> work) {
  auto e = std::make_shared<Entry>();
  e->work = std::move(work);
  std::lock_guard<std::mutex> g(mu_);
  queue_.push_back(e);
  return e;
}

bool JobQueue::run_front(std::unique_lock<std::mutex>& lock) {
  std::shared_ptr<Entry> front = queue_.front();
  if (front->claimed) return false;
  front->claimed = true;
  lock.unlock();
  front->work();
  lock.lock();
  // entries only join at the back and only their runner removes them: it is still the front
  front->done = true;
  front->work = nullptr;
  queue_.pop_front();
  finished_.notify_all();
  return true;
}

void JobQueue::run_through(const std::shared_ptr<Entry>& e) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!e->done)
    if (!run_front(lock)) finished_.wait(lock);
  while (!queue_.empty() && queue_.front()->detached && run_front(lock)) {
  }
}

bool JobQueue::after_pending(const std::function<void()>& work) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!queue_.empty()) {
      auto e = std::make_shared<Entry>();
      e->work = work;
      e->detached = true;
      queue_.push_back(std::move(e));
      return false;
    }
  }
  work();
  return true;
}

void JobQueue::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!queue_.empty())
    if (!run_front(lock)) finished_.wait(lock);
}

bool JobQueue::is_done(const std::shared_ptr<Entry>& e) {
  std::lock_guard<std::mutex> g(mu_);
  return e->done;
}

}  // namespace mlxc
