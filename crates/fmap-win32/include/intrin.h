/* intrin.h for fmap-win32: the MSVC compiler intrinsics programs of this kind use, on GCC
 * builtins: __rdtsc, _mm_pause, _ReadWriteBarrier, _ReadBarrier, _WriteBarrier, __debugbreak,
 * _BitScanForward(64), _BitScanReverse(64), __popcnt(16/64), _rotl, _rotr, _rotl64, _rotr64,
 * __nop. (The _Interlocked* intrinsics belong with the Interlocked family of windows.h.) */
#ifndef FMAP_WIN32_INTRIN_H
#define FMAP_WIN32_INTRIN_H
#include <signal.h>
#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#else
#include <time.h>
static inline __attribute__((unused)) unsigned long long __rdtsc(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}
#define _mm_pause() __asm__ __volatile__("" ::: "memory")
#endif
/* (also defined by windows.h, in win32_inproc.h, the same way) */
#ifndef _ReadWriteBarrier
#define _ReadWriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define _ReadBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define _WriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif
#define __nop() __asm__ __volatile__("nop")
#define __debugbreak() ((void)raise(SIGTRAP))
/* Index of the lowest/highest set bit in *index; 0 (index unchanged) if mask is 0. */
#define _BitScanForward(index, mask)                                                          \
    __extension__({                                                                           \
        uint32_t fmap_m_ = (uint32_t)(mask);                                                  \
        fmap_m_ ? (*(index) = (unsigned)__builtin_ctz(fmap_m_), (unsigned char)1)             \
                : (unsigned char)0;                                                           \
    })
#define _BitScanReverse(index, mask)                                                          \
    __extension__({                                                                           \
        uint32_t fmap_m_ = (uint32_t)(mask);                                                  \
        fmap_m_ ? (*(index) = 31u - (unsigned)__builtin_clz(fmap_m_), (unsigned char)1)       \
                : (unsigned char)0;                                                           \
    })
#define _BitScanForward64(index, mask)                                                        \
    __extension__({                                                                           \
        uint64_t fmap_m_ = (uint64_t)(mask);                                                  \
        fmap_m_ ? (*(index) = (unsigned)__builtin_ctzll(fmap_m_), (unsigned char)1)           \
                : (unsigned char)0;                                                           \
    })
#define _BitScanReverse64(index, mask)                                                        \
    __extension__({                                                                           \
        uint64_t fmap_m_ = (uint64_t)(mask);                                                  \
        fmap_m_ ? (*(index) = 63u - (unsigned)__builtin_clzll(fmap_m_), (unsigned char)1)     \
                : (unsigned char)0;                                                           \
    })
#define __popcnt16(x) ((unsigned short)__builtin_popcount((unsigned short)(x)))
#define __popcnt(x) ((unsigned int)__builtin_popcount((unsigned int)(x)))
#define __popcnt64(x) ((unsigned long long)__builtin_popcountll((unsigned long long)(x)))
static inline __attribute__((unused)) unsigned int fmap_rotl32_(unsigned int v, int n)
{
    n &= 31;
    return n ? (v << n) | (v >> (32 - n)) : v;
}
static inline __attribute__((unused)) unsigned long long fmap_rotl64_(unsigned long long v, int n)
{
    n &= 63;
    return n ? (v << n) | (v >> (64 - n)) : v;
}
#ifndef _rotl
#define _rotl(v, n) fmap_rotl32_((unsigned int)(v), (int)(n))
#endif
#ifndef _rotr
#define _rotr(v, n) fmap_rotl32_((unsigned int)(v), 32 - ((int)(n) & 31))
#endif
#ifndef _rotl64
#define _rotl64(v, n) fmap_rotl64_((unsigned long long)(v), (int)(n))
#endif
#ifndef _rotr64
#define _rotr64(v, n) fmap_rotl64_((unsigned long long)(v), 64 - ((int)(n) & 63))
#endif
#endif
