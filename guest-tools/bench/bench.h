/* emu-bench: the guest benchmark of the Emulator project (see guest-tools/bench/README.md).
 * Shared declarations of the workloads; each returns its checksum. */
#ifndef EMU_BENCH_H
#define EMU_BENCH_H
#include <stdint.h>

/* bench.c: integer and memory workloads (built with -march=i686, no SSE). */
void bench_crc32_setup(void); /* untimed: table and buffer */
uint32_t bench_crc32(void);
uint32_t bench_sieve(void);
void bench_memchase_setup(void); /* untimed: links the random cycle */
uint32_t bench_memchase(void);

/* bench_x87.c (built with -mfpmath=387 -mno-sse) and bench_sse2.c (-msse2 -mfpmath=sse):
 * the same floating-point kernels (fpkernel.h) on each unit. */
uint64_t bench_x87(void);
uint64_t bench_sse2(void);

#endif
