#pragma once
// Which sanitizer this translation unit is built with. GCC says so with __SANITIZE_*__,
// Clang with __has_feature; code that must act differently under one (libc calls whose
// interceptors see the buffers, pooled blocks poisoned while kept, lighter test loads) asks
// here instead of spelling both compilers' ways each time.
//
// ACTNET_ASAN / ACTNET_TSAN are defined to 1 under AddressSanitizer / ThreadSanitizer, for
// #if; kAddressSanitizer / kThreadSanitizer are the same facts as constants.

#if defined(__SANITIZE_ADDRESS__)
#define ACTNET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ACTNET_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define ACTNET_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ACTNET_TSAN 1
#endif
#endif

namespace actnet::io {

#if defined(ACTNET_ASAN)
/// Whether this unit is built with AddressSanitizer.
inline constexpr bool kAddressSanitizer = true;
#else
/// Whether this unit is built with AddressSanitizer.
inline constexpr bool kAddressSanitizer = false;
#endif

#if defined(ACTNET_TSAN)
/// Whether this unit is built with ThreadSanitizer.
inline constexpr bool kThreadSanitizer = true;
#else
/// Whether this unit is built with ThreadSanitizer.
inline constexpr bool kThreadSanitizer = false;
#endif

}  // namespace actnet::io
