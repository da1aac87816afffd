/*
 * kmatomic.o — the instructions behind tcc-atomics.h, compiled by gcc when the lab image is built.
 * Each function does exactly what the GCC builtin of the same order does.
 */
#include <stdint.h>

#define LOAD(T, p, order)                                                              \
  switch (order) {                                                                     \
  case __ATOMIC_RELAXED: return __atomic_load_n((const volatile T *)(p), __ATOMIC_RELAXED); \
  case __ATOMIC_CONSUME:                                                               \
  case __ATOMIC_ACQUIRE: return __atomic_load_n((const volatile T *)(p), __ATOMIC_ACQUIRE); \
  default: return __atomic_load_n((const volatile T *)(p), __ATOMIC_SEQ_CST);          \
  }

unsigned long long km_atomic_load(const volatile void *p, int size, int order) {
  switch (size) {
  case 1: LOAD(uint8_t, p, order)
  case 2: LOAD(uint16_t, p, order)
  case 4: LOAD(uint32_t, p, order)
  default: LOAD(uint64_t, p, order)
  }
}

#define STORE(T, p, v, order)                                                               \
  switch (order) {                                                                          \
  case __ATOMIC_RELAXED: __atomic_store_n((volatile T *)(p), (T)(v), __ATOMIC_RELAXED); return; \
  case __ATOMIC_RELEASE: __atomic_store_n((volatile T *)(p), (T)(v), __ATOMIC_RELEASE); return; \
  default: __atomic_store_n((volatile T *)(p), (T)(v), __ATOMIC_SEQ_CST); return;           \
  }

void km_atomic_store(volatile void *p, unsigned long long v, int size, int order) {
  switch (size) {
  case 1: STORE(uint8_t, p, v, order)
  case 2: STORE(uint16_t, p, v, order)
  case 4: STORE(uint32_t, p, v, order)
  default: STORE(uint64_t, p, v, order)
  }
}

void km_atomic_thread_fence(int order) {
  switch (order) {
  case __ATOMIC_RELAXED: return;
  case __ATOMIC_CONSUME:
  case __ATOMIC_ACQUIRE: __atomic_thread_fence(__ATOMIC_ACQUIRE); return;
  case __ATOMIC_RELEASE: __atomic_thread_fence(__ATOMIC_RELEASE); return;
  case __ATOMIC_ACQ_REL: __atomic_thread_fence(__ATOMIC_ACQ_REL); return;
  default: __atomic_thread_fence(__ATOMIC_SEQ_CST); return;
  }
}
