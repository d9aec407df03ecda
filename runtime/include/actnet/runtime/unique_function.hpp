#pragma once
// UniqueFunction: a move-only callable with inline storage, the type of every callback and
// job that crosses threads in actnet. Unlike std::function it can hold move-only captures
// (a buffer, a promise), and a callable that fits in Capacity bytes costs no allocation, so
// a message carrying one does not allocate on the hot path.

#include <cassert>
#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace actnet {

template <class Signature, std::size_t Capacity = 48>
class UniqueFunction;

/// A move-only callable with `Capacity` bytes of inline storage: std::function's job for
/// callbacks that cross threads, without its copy requirement or an allocation per small
/// callable.
template <class R, class... Args, std::size_t Capacity>
class UniqueFunction<R(Args...), Capacity> {
 public:
  /// Empty.
  UniqueFunction() noexcept = default;
  /// Empty.
  UniqueFunction(std::nullptr_t) noexcept {}

  /// Holds `f` (inline when it fits in Capacity bytes and moves without throwing; otherwise
  /// on the heap). A null function pointer gives an empty UniqueFunction.
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, UniqueFunction> &&
                                     std::is_invocable_r_v<R, D&, Args...>>>
  UniqueFunction(F&& f) {  // NOLINT: implicit like std::function
    if constexpr (std::is_pointer_v<D> || std::is_member_pointer_v<D>) {
      if (f == nullptr) return;
    }
    if constexpr (kInline<D>) {
      ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
      ops_ = &kInlineOps<D>;
    } else {
      ::new (static_cast<void*>(storage_)) D*(new D(std::forward<F>(f)));
      ops_ = &kHeapOps<D>;
    }
  }

  /// Takes `other`'s callable; `other` is left empty.
  UniqueFunction(UniqueFunction&& other) noexcept { take(other); }
  /// Destroys the held callable, then takes `other`'s; `other` is left empty.
  UniqueFunction& operator=(UniqueFunction&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  UniqueFunction(const UniqueFunction&) = delete;
  UniqueFunction& operator=(const UniqueFunction&) = delete;
  ~UniqueFunction() { reset(); }

  /// Destroys the held callable, if any: empty afterwards.
  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

  /// Whether it holds a callable.
  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Calls the held callable; it must not be empty (asserted).
  R operator()(Args... args) {
    assert(ops_ != nullptr && "calling an empty UniqueFunction");
    return ops_->invoke(storage_, std::forward<Args>(args)...);
  }

  /// True when a callable of type F is stored without allocating.
  template <class F>
  static constexpr bool stores_inline() noexcept {
    return kInline<std::decay_t<F>>;
  }

 private:
  struct Ops {
    R (*invoke)(void* self, Args&&... args);
    void (*move_to)(void* from, void* to) noexcept;  // and destroys `from`
    void (*destroy)(void* self) noexcept;
  };

  template <class D>
  static constexpr bool kInline =
      sizeof(D) <= Capacity &&
      alignof(D) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<D>;

  template <class D>
  static D& inline_ref(void* p) noexcept {
    return *std::launder(static_cast<D*>(p));
  }
  template <class D>
  static D*& heap_ref(void* p) noexcept {
    return *std::launder(static_cast<D**>(p));
  }

  template <class D>
  static constexpr Ops kInlineOps{[](void* self, Args&&... args) -> R {
                                    return std::invoke(inline_ref<D>(self),
                                                       std::forward<Args>(args)...);
                                  },
                                  [](void* from, void* to) noexcept {
                                    ::new (to) D(std::move(inline_ref<D>(from)));
                                    inline_ref<D>(from).~D();
                                  },
                                  [](void* self) noexcept { inline_ref<D>(self).~D(); }};

  template <class D>
  static constexpr Ops kHeapOps{
      [](void* self, Args&&... args) -> R {
        return std::invoke(*heap_ref<D>(self), std::forward<Args>(args)...);
      },
      [](void* from, void* to) noexcept { ::new (to) D*(heap_ref<D>(from)); },
      [](void* self) noexcept { delete heap_ref<D>(self); }};

  void take(UniqueFunction& other) noexcept {
    if (other.ops_ != nullptr) {
      other.ops_->move_to(other.storage_, storage_);
      ops_ = std::exchange(other.ops_, nullptr);
    }
  }

  alignas(std::max_align_t) unsigned char storage_[Capacity];
  const Ops* ops_ = nullptr;
};

}  // namespace actnet
