#pragma once
// Replaces every form of the global operator new/delete so a test binary can count heap
// allocations: each allocation calls note_allocation(bytes), which the including test defines
// (at global scope) to decide what counts — allocations on one thread, inside one callback.
// Replacement functions may not be inline, so include this from exactly one file of a test
// binary (the test's own .cpp; tests/main.cpp does not). Every form is replaced so that each
// allocation is freed by its own kind.

#include <cstdlib>
#include <new>

void note_allocation(std::size_t bytes) noexcept;

void* operator new(std::size_t n) {
  note_allocation(n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return ::operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  note_allocation(n);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept {
  return ::operator new(n, tag);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
