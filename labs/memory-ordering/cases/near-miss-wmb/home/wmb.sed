/^\/\* Producer side:/i\
/* A store barrier, as Linux's smp_wmb() is on arm64. */\
#if defined(__aarch64__) && !defined(__TINYC__)\
#define smp_wmb() __asm__ __volatile__("dmb ishst" ::: "memory")\
#else\
#define smp_wmb() compiler_barrier()\
#endif\

s/^  compiler_barrier();$/  smp_wmb();/
