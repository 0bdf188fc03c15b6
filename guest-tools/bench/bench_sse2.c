/* The floating-point kernels on SSE2 scalar doubles (built with -march=i686 -msse2 -mfpmath=sse). */
#include "bench.h"
#define FP_KERNEL_NAME bench_sse2
#include "fpkernel.h"
