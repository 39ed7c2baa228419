// A session's queue of work that runs in the order it was queued, on
// whichever threads wait for it: the thread that waits for an entry runs
// every entry before it that no other thread has taken, then the entry
// itself, so nothing queued needs a thread of its own and nothing runs twice.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace mlxc {

class JobQueue {
 public:
  struct Entry {
    std::function<void()> work;  // must not throw
    bool claimed = false;        // a thread runs it or ran it (under the queue's lock)
    bool done = false;           // under the queue's lock
    bool detached = false;       // nobody waits for it: the thread that runs the entry before it runs it too
  };

  // Queues work that a caller will wait for with run_through.
  std::shared_ptr<Entry> push(std::function<void()> work);

  // Runs the queue in order up to and including `e` (entries other threads
  // took are waited for), then any detached entries right behind it.
  void run_through(const std::shared_ptr<Entry>& e);

  // Runs `work` now when nothing is queued, else queues it detached, to run
  // after everything queued so far. Returns true when it ran now.
  bool after_pending(const std::function<void()>& work);

  // Runs or waits for everything queued.
  void drain();

  bool is_done(const std::shared_ptr<Entry>& e);

 private:
  // With the lock held: runs the front entry when no thread took it (true), else false.
  bool run_front(std::unique_lock<std::mutex>& lock);

  std::mutex mu_;
  std::condition_variable finished_;
  std::deque<std::shared_ptr<Entry>> queue_;  // unfinished entries, oldest first
};

}  // namespace mlxc
