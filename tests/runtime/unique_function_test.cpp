#include <memory>
#include <string>
#include <type_traits>

#include <catch2/catch.hpp>

#include "actnet/runtime/unique_function.hpp"

using actnet::UniqueFunction;

static_assert(std::is_nothrow_move_constructible_v<UniqueFunction<void()>>);
static_assert(std::is_nothrow_move_assignable_v<UniqueFunction<void()>>);
static_assert(!std::is_copy_constructible_v<UniqueFunction<void()>>);

namespace {

struct Counted {
  static inline int alive = 0;
  Counted() { ++alive; }
  Counted(const Counted&) { ++alive; }
  Counted(Counted&&) noexcept { ++alive; }
  ~Counted() { --alive; }
};

}  // namespace

TEST_CASE("A small callable is stored without allocating and a large one on the heap",
          "[function]") {
  int x = 0;
  auto small = [&x] { ++x; };
  struct Big {
    char bytes[200] = {};
    int* target;
    void operator()() { ++*target; }
  };
  STATIC_REQUIRE(UniqueFunction<void()>::stores_inline<decltype(small)>());
  STATIC_REQUIRE_FALSE(UniqueFunction<void()>::stores_inline<Big>());
  UniqueFunction<void()> a = small;
  UniqueFunction<void()> b = Big{{}, &x};
  a();
  b();
  CHECK(x == 2);
}

TEST_CASE("A UniqueFunction holds move-only captures and moves them along", "[function]") {
  auto p = std::make_unique<std::string>("payload");
  UniqueFunction<std::string()> f = [p = std::move(p)] { return *p; };
  UniqueFunction<std::string()> g = std::move(f);
  CHECK_FALSE(f);
  REQUIRE(g);
  CHECK(g() == "payload");
}

TEST_CASE("A UniqueFunction destroys its callable exactly once however it is moved", "[function]") {
  Counted::alive = 0;
  {
    UniqueFunction<void()> f = [c = Counted{}] {};
    CHECK(Counted::alive == 1);
    UniqueFunction<void()> g = std::move(f);
    CHECK(Counted::alive == 1);
    struct Big {
      Counted c;
      char pad[100];
      void operator()() {}
    };
    UniqueFunction<void()> h = Big{};
    CHECK(Counted::alive == 2);
    g = std::move(h);  // destroys the first callable, takes the second
    CHECK(Counted::alive == 1);
    g.reset();
    CHECK(Counted::alive == 0);
  }
  CHECK(Counted::alive == 0);
}

TEST_CASE(
    "An empty UniqueFunction converts to false and a null function pointer makes an empty one",
    "[function]") {
  UniqueFunction<int(int)> empty;
  CHECK_FALSE(empty);
  int (*none)(int) = nullptr;
  UniqueFunction<int(int)> from_null = none;
  CHECK_FALSE(from_null);
  UniqueFunction<int(int)> twice = [](int v) { return 2 * v; };
  CHECK(twice(21) == 42);
}
