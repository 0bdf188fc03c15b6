/* The floating-point kernels, included by bench_x87.c and bench_sse2.c with FP_KERNEL_NAME set, so the same
 * source is compiled once for the x87 and once for SSE2 scalar doubles. Only +, -, *, / and sqrt (exactly rounded on
 * both units), no libm transcendental function: the result is deterministic for one binary on any correct x86.
 * The checksum is a hash of the raw bits of the results (and of the Mandelbrot iteration counts). */
#include <stdint.h>
#include <string.h>

static uint64_t fp_mix(uint64_t h, uint64_t v)
{
    /* FNV-1a over the 8 bytes of v */
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xFF;
        h *= 0x100000001B3ull;
    }
    return h;
}

static uint64_t fp_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

#define MANDEL_W 256
#define MANDEL_H 192
#define MANDEL_MAXITER 256

static uint64_t fp_mandelbrot(uint64_t h)
{
    uint32_t total = 0;
    double zsum = 0.0;
    for (int py = 0; py < MANDEL_H; py++) {
        double ci = -1.2 + 2.4 * py / MANDEL_H;
        for (int px = 0; px < MANDEL_W; px++) {
            double cr = -2.1 + 3.0 * px / MANDEL_W;
            double zr = 0.0, zi = 0.0, zr2 = 0.0, zi2 = 0.0;
            int n = 0;
            while (n < MANDEL_MAXITER && zr2 + zi2 <= 4.0) {
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                n++;
            }
            total += (uint32_t)n;
            zsum += zr2 + zi2;
        }
        h = fp_mix(h, total);
    }
    return fp_mix(h, fp_bits(zsum));
}

#define NBODY_N 5
#define NBODY_STEPS 200000

struct fp_body { double x, y, z, vx, vy, vz, m; };

static double fp_energy(const struct fp_body *b)
{
    double e = 0.0;
    for (int i = 0; i < NBODY_N; i++) {
        e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < NBODY_N; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            e -= b[i].m * b[j].m / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static uint64_t fp_nbody(uint64_t h)
{
    /* A made-up five-body system (fixed numbers, arbitrary units). */
    struct fp_body b[NBODY_N] = {
        { 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 39.47 },
        { 4.84, -1.16, -0.10, 0.606, 2.81, -0.025, 0.0377 },
        { 8.34, 4.12, -0.40, -1.01, 1.82, 0.0084, 0.0113 },
        { 12.89, -15.11, -0.22, 1.08, 0.868, -0.0108, 0.00172 },
        { 15.37, -25.91, 0.17, 0.979, 0.594, -0.0347, 0.00203 },
    };
    const double dt = 0.01;
    double e0 = fp_energy(b);
    for (int s = 0; s < NBODY_STEPS; s++) {
        for (int i = 0; i < NBODY_N; i++) {
            for (int j = i + 1; j < NBODY_N; j++) {
                double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
                double d2 = dx * dx + dy * dy + dz * dz;
                double mag = dt / (d2 * __builtin_sqrt(d2));
                double mi = b[i].m * mag, mj = b[j].m * mag;
                b[i].vx -= dx * mj; b[i].vy -= dy * mj; b[i].vz -= dz * mj;
                b[j].vx += dx * mi; b[j].vy += dy * mi; b[j].vz += dz * mi;
            }
        }
        for (int i = 0; i < NBODY_N; i++) {
            b[i].x += dt * b[i].vx;
            b[i].y += dt * b[i].vy;
            b[i].z += dt * b[i].vz;
        }
    }
    h = fp_mix(h, fp_bits(e0));
    h = fp_mix(h, fp_bits(fp_energy(b)));
    for (int i = 0; i < NBODY_N; i++) {
        h = fp_mix(h, fp_bits(b[i].x));
        h = fp_mix(h, fp_bits(b[i].vy));
    }
    return h;
}

uint64_t FP_KERNEL_NAME(void)
{
    uint64_t h = 0xCBF29CE484222325ull; /* FNV-1a offset basis */
    h = fp_mandelbrot(h);
    h = fp_nbody(h);
    return h;
}
