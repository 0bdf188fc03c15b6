/* The floating-point kernels on the x87 FPU (built with -march=i686 -mfpmath=387 -mno-sse). */
#include "bench.h"
#define FP_KERNEL_NAME bench_x87
#include "fpkernel.h"
