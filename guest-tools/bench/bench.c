/* emu-bench: the guest benchmark of the Emulator project.
 *
 *   emu-bench [all | crc32 | sieve | memchase | x87 | sse2]...
 *
 * For each workload it prepares its data (untimed), then prints
 *   BENCH-BEGIN <name>
 * runs the timed part and prints
 *   BENCH <name> time_ms=<ms> checksum=<hex>
 * (time of the timed part from clock_gettime(CLOCK_MONOTONIC) in the guest; a host script may also time the two lines itself, since
 * under a deterministic emulator guest time is virtual). Every workload is deterministic (fixed seeds), so its
 * checksum is the same on every correct x86 running this binary. Exit status 0, or 1 on a bad argument or when a
 * workload cannot run (sse2 without SSE2 in CPUID).
 *
 * This file holds the integer and memory workloads and is built with -march=i686 (no SSE).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cpuid.h>
#include "bench.h"

/* ---- integer: table-driven CRC-32 (IEEE 802.3, reflected 0xEDB88320) over a pseudo-random buffer ---- */

#define CRC_BUF_SIZE (1u << 20)
#define CRC_PASSES 48

static uint8_t crc_buf[CRC_BUF_SIZE];
static uint32_t crc_table[256];

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

void bench_crc32_setup(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        crc_table[i] = c;
    }
    uint32_t seed = 0x12345678u;
    for (uint32_t i = 0; i < CRC_BUF_SIZE; i += 4) {
        uint32_t r = xorshift32(&seed);
        crc_buf[i] = (uint8_t)r;
        crc_buf[i + 1] = (uint8_t)(r >> 8);
        crc_buf[i + 2] = (uint8_t)(r >> 16);
        crc_buf[i + 3] = (uint8_t)(r >> 24);
    }
}

uint32_t bench_crc32(void)
{
    uint32_t acc = 0;
    for (int p = 0; p < CRC_PASSES; p++) {
        uint32_t c = 0xFFFFFFFFu ^ (uint32_t)p;
        for (uint32_t i = 0; i < CRC_BUF_SIZE; i++) c = crc_table[(c ^ crc_buf[i]) & 0xFF] ^ (c >> 8);
        c ^= 0xFFFFFFFFu;
        acc = (acc << 1 | acc >> 31) ^ c;
        crc_buf[(uint32_t)p * 4099u % CRC_BUF_SIZE] ^= (uint8_t)c; /* each pass sees different data */
    }
    return acc;
}

/* ---- integer: sieve of Eratosthenes (one byte per odd number) ---- */

#define SIEVE_LIMIT 4000000u
#define SIEVE_ROUNDS 12

static uint8_t sieve_flags[SIEVE_LIMIT / 2 + 1];

uint32_t bench_sieve(void)
{
    uint32_t acc = 0;
    for (int r = 0; r < SIEVE_ROUNDS; r++) {
        uint32_t limit = SIEVE_LIMIT - (uint32_t)r * 1000u;
        uint32_t half = limit / 2;
        for (uint32_t i = 0; i <= half; i++) sieve_flags[i] = 1; /* flags[i] stands for 2i+1 */
        sieve_flags[0] = 0;
        for (uint32_t i = 1; (2 * i + 1) * (2 * i + 1) <= limit; i++) {
            if (!sieve_flags[i]) continue;
            uint32_t p = 2 * i + 1;
            for (uint32_t j = (p * p) / 2; j <= half; j += p) sieve_flags[j] = 0;
        }
        uint32_t count = 1, sum = 2; /* the prime 2 */
        for (uint32_t i = 1; i <= half && 2 * i + 1 <= limit; i++) {
            if (sieve_flags[i]) {
                count++;
                sum += 2 * i + 1;
            }
        }
        acc = (acc * 31u) ^ count ^ (sum << 7);
    }
    return acc;
}

/* ---- memory: random pointer chasing over 32 MiB (one 64-byte node per cache line, one random cycle) ---- */

#define CHASE_BYTES (32u << 20)
#define CHASE_NODE 64u
#define CHASE_NODES (CHASE_BYTES / CHASE_NODE)
#define CHASE_STEPS 500000u

struct chase_node {
    struct chase_node *next;
    uint32_t value;
    uint8_t pad[CHASE_NODE - sizeof(struct chase_node *) - sizeof(uint32_t)];
};

static struct chase_node chase_nodes[CHASE_NODES] __attribute__((aligned(64)));
static uint32_t chase_order[CHASE_NODES];

void bench_memchase_setup(void)
{
    /* Sattolo's algorithm: a uniformly random single cycle through every node. */
    uint32_t seed = 0x9E3779B9u;
    for (uint32_t i = 0; i < CHASE_NODES; i++) chase_order[i] = i;
    for (uint32_t i = CHASE_NODES - 1; i > 0; i--) {
        uint32_t j = xorshift32(&seed) % i;
        uint32_t t = chase_order[i];
        chase_order[i] = chase_order[j];
        chase_order[j] = t;
    }
    for (uint32_t i = 0; i < CHASE_NODES; i++) {
        chase_nodes[i].next = &chase_nodes[chase_order[i]];
        chase_nodes[i].value = xorshift32(&seed);
    }
}

uint32_t bench_memchase(void)
{
    const struct chase_node *n = &chase_nodes[0];
    uint32_t acc = 0;
    for (uint32_t s = 0; s < CHASE_STEPS; s++) {
        acc = (acc << 3 | acc >> 29) ^ n->value;
        n = n->next;
    }
    return acc ^ (uint32_t)(n - chase_nodes);
}

/* ---- driver ---- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int have_sse2(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (d >> 26) & 1;
}

enum { W_CRC32, W_SIEVE, W_MEMCHASE, W_X87, W_SSE2, W_COUNT };
static const char *const names[W_COUNT] = { "crc32", "sieve", "memchase", "x87", "sse2" };

static int run(int w)
{
    if (w == W_SSE2 && !have_sse2()) {
        printf("BENCH %s error=no-sse2-in-cpuid\n", names[w]);
        fflush(stdout);
        return 1;
    }
    /* untimed preparation, then BENCH-BEGIN right before the timed part */
    if (w == W_CRC32) bench_crc32_setup();
    if (w == W_MEMCHASE) bench_memchase_setup();
    printf("BENCH-BEGIN %s\n", names[w]);
    fflush(stdout);
    int64_t t0 = now_ns();
    uint64_t sum;
    int wide = 0;
    switch (w) {
    case W_CRC32: sum = bench_crc32(); break;
    case W_SIEVE: sum = bench_sieve(); break;
    case W_MEMCHASE: sum = bench_memchase(); break;
    case W_X87: sum = bench_x87(); wide = 1; break;
    default: sum = bench_sse2(); wide = 1; break;
    }
    int64_t us = (now_ns() - t0) / 1000;
    if (wide)
        printf("BENCH %s time_ms=%lld.%03lld checksum=%016llx\n", names[w], (long long)(us / 1000), (long long)(us % 1000),
               (unsigned long long)sum);
    else
        printf("BENCH %s time_ms=%lld.%03lld checksum=%08lx\n", names[w], (long long)(us / 1000), (long long)(us % 1000),
               (unsigned long)sum);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    int selected[W_COUNT] = { 0 };
    int any = 0;
    for (int i = 1; i < argc; i++) {
        int found = 0;
        for (int w = 0; w < W_COUNT; w++) {
            if (strcmp(argv[i], "all") == 0 || strcmp(argv[i], names[w]) == 0) {
                selected[w] = 1;
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "emu-bench: unknown workload '%s' (all, crc32, sieve, memchase, x87, sse2)\n", argv[i]);
            return 1;
        }
        any = 1;
    }
    int status = 0;
    for (int w = 0; w < W_COUNT; w++)
        if (!any || selected[w]) status |= run(w);
    return status;
}
