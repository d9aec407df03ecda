#include <actnet/runtime/vector_queue.hpp>

#include <catch2/catch.hpp>
#include <memory>
#include <thread>

#include "counting_new.hpp"

namespace {
std::size_t g_allocations = 0;
std::thread::id g_counted;  // only the test's own thread counts (Catch2 allocates too)
}  // namespace

void note_allocation(std::size_t) noexcept {
  if (std::this_thread::get_id() == g_counted) ++g_allocations;
}

TEST_CASE("A VectorQueue that was never used allocates nothing", "[vector_queue]") {
  g_counted = std::this_thread::get_id();
  g_allocations = 0;
  {
    actnet::VectorQueue<std::unique_ptr<int>> queue;
    CHECK(queue.empty());
    CHECK(queue.size() == 0);
  }
  CHECK(g_allocations == 0);
  g_counted = {};
}

TEST_CASE("A VectorQueue hands elements back first in first out", "[vector_queue]") {
  actnet::VectorQueue<int> queue;
  for (int i = 0; i < 5; ++i)
    queue.push_back(int{i});
  queue.pop_front();
  queue.push_back(5);
  int expected = 1;
  for (int value : queue)
    CHECK(value == expected++);
  while (!queue.empty()) {
    CHECK(queue.front() == 6 - static_cast<int>(queue.size()));
    queue.pop_front();
  }
  CHECK(queue.size() == 0);
}

TEST_CASE("A VectorQueue destroys a popped element at once", "[vector_queue]") {
  auto shared = std::make_shared<int>(7);
  actnet::VectorQueue<std::shared_ptr<int>> queue;
  queue.push_back(std::shared_ptr<int>(shared));
  queue.push_back(std::shared_ptr<int>(shared));
  CHECK(shared.use_count() == 3);
  queue.pop_front();
  CHECK(shared.use_count() == 2);
  queue.release();
  CHECK(shared.use_count() == 1);
}

TEST_CASE("A drained VectorQueue reuses its block for the next burst", "[vector_queue]") {
  g_counted = std::this_thread::get_id();
  actnet::VectorQueue<int> queue;
  for (int i = 0; i < 8; ++i)
    queue.push_back(int{i});
  while (!queue.empty())
    queue.pop_front();
  g_allocations = 0;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 8; ++i)
      queue.push_back(int{i});
    while (!queue.empty())
      queue.pop_front();
  }
  CHECK(g_allocations == 0);
  g_counted = {};
}

TEST_CASE("A VectorQueue that never drains stays as large as what it holds", "[vector_queue]") {
  g_counted = std::this_thread::get_id();
  actnet::VectorQueue<int> queue;
  queue.push_back(-1);  // always one element ahead: the queue never drains
  for (int i = 0; i < 1000; ++i) {
    queue.push_back(int{i});
    queue.pop_front();
  }
  g_allocations = 0;
  for (int i = 1000; i < 100000; ++i) {
    queue.push_back(int{i});
    queue.pop_front();
    REQUIRE(queue.front() == i);
  }
  CHECK(queue.size() == 1);
  CHECK(g_allocations == 0);  // its block stopped growing
  g_counted = {};
}
