/*
 * x87ref: prints x87 reference vectors computed by the host CPU's x87 unit.
 * Build: gcc -O1 -o x87ref x87ref.c -lm      Run: ./x87ref [count]
 * One line per vector:  <op> <cw> <a> <b> <result> <result2> <sw>
 *   a, b, result, result2: 80-bit values as 20 hex digits (sign/exponent then significand),
 *   or 64-bit hex for integer/float32/float64/BCD memory formats (see op name).
 *   sw: status word right after the instruction (before the result is popped).
 * Operands are drawn from a fixed-seed generator with many special values.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint64_t m; uint16_t se; } __attribute__((packed)) f80;

static uint64_t rs = 0x243F6A8885A308D3ull;
static uint64_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }

static f80 mk(uint16_t se, uint64_t m) { f80 v; v.se = se; v.m = m; return v; }

/* kind mix: mostly normal numbers near 1, some wide-range, and specials */
static f80 gen(int wide) {
    uint64_t r = rnd();
    uint16_t s = (r & 1) ? 0x8000 : 0;
    uint64_t m = rnd() | 0x8000000000000000ull;
    int k = (int)((r >> 8) % 100);
    if (k < 2) return mk(s, 0);                                   /* zero */
    if (k < 5) return mk(s, rnd() >> (rnd() % 64));                 /* denormal */
    if (k < 7) return mk(s | 0x7FFF, 0x8000000000000000ull);         /* infinity */
    if (k < 9) return mk(s | 0x7FFF, 0xC000000000000000ull | (rnd() >> 2)); /* QNaN */
    if (k < 10) return mk(s | 0x7FFF, 0x8000000000000000ull | ((rnd() >> 2) | 1)); /* SNaN */
    if (k < 13) return mk(s | (uint16_t)(0x7FFE - rnd() % 64), m);   /* huge */
    if (k < 16) return mk(s | (uint16_t)(1 + rnd() % 64), m);        /* tiny */
    if (k < 22) { m &= ~((1ull << (rnd() % 64)) - 1); m |= 0x8000000000000000ull; } /* short significand */
    if (k < 26) m = (rnd() & 1) ? 0xFFFFFFFFFFFFFFFFull << (rnd() % 8) : 0x8000000000000000ull | (rnd() % 4);
    if (wide && k > 80) return mk(s | (uint16_t)(1 + rnd() % 0x7FFE), m);
    return mk(s | (uint16_t)(0x3FFF - 70 + rnd() % 140), m);
}

static void p80(f80 v) { printf(" %04x%016llx", v.se, (unsigned long long)v.m); }

#define SEQ2(insn) "fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfstpt %[r2]\n\tfninit"
#define OUTS [r] "=m"(r), [r2] "=m"(r2), [sw] "=m"(sw)
#define INS [cw] "m"(cw), [a] "m"(a), [b] "m"(b)

static const char *ops2[] = { "add", "sub", "subr", "mul", "div", "divr", "sqrt", "rndint", "scale", "xtract", "prem", "prem1",
    "com", "ucom", "tst", "xam", "chs", "abs", "f2xm1", "fyl2x", "fyl2xp1", "fptan", "fpatan", "fsin", "fcos", "fsincos", 0 };

static void run2(int op, uint16_t cw, f80 a, f80 b) {
    f80 r = mk(0, 0), r2 = mk(0, 0);
    uint16_t sw = 0;
    switch (op) {
    case 0: __asm__ volatile(SEQ2("fadd %%st(1), %%st") : OUTS : INS); break;
    case 1: __asm__ volatile(SEQ2("fsub %%st(1), %%st") : OUTS : INS); break;
    case 2: __asm__ volatile(SEQ2("fsubr %%st(1), %%st") : OUTS : INS); break;
    case 3: __asm__ volatile(SEQ2("fmul %%st(1), %%st") : OUTS : INS); break;
    case 4: __asm__ volatile(SEQ2("fdiv %%st(1), %%st") : OUTS : INS); break;
    case 5: __asm__ volatile(SEQ2("fdivr %%st(1), %%st") : OUTS : INS); break;
    case 6: __asm__ volatile(SEQ2("fsqrt") : OUTS : INS); break;
    case 7: __asm__ volatile(SEQ2("frndint") : OUTS : INS); break;
    case 8: __asm__ volatile(SEQ2("fscale") : OUTS : INS); break;
    case 9: __asm__ volatile(SEQ2("fxtract") : OUTS : INS); break;
    case 10: __asm__ volatile(SEQ2("fprem") : OUTS : INS); break;
    case 11: __asm__ volatile(SEQ2("fprem1") : OUTS : INS); break;
    case 12: __asm__ volatile(SEQ2("fcom %%st(1)") : OUTS : INS); break;
    case 13: __asm__ volatile(SEQ2("fucom %%st(1)") : OUTS : INS); break;
    case 14: __asm__ volatile(SEQ2("ftst") : OUTS : INS); break;
    case 15: __asm__ volatile(SEQ2("fxam") : OUTS : INS); break;
    case 16: __asm__ volatile(SEQ2("fchs") : OUTS : INS); break;
    case 17: __asm__ volatile(SEQ2("fabs") : OUTS : INS); break;
    case 18: __asm__ volatile(SEQ2("f2xm1") : OUTS : INS); break;
    case 19: __asm__ volatile(SEQ2("fyl2x\n\tfld %%st(0)") : OUTS : INS); break;
    case 20: __asm__ volatile(SEQ2("fyl2xp1\n\tfld %%st(0)") : OUTS : INS); break;
    case 21: __asm__ volatile(SEQ2("fptan") : OUTS : INS); break;
    case 22: __asm__ volatile(SEQ2("fpatan\n\tfld %%st(0)") : OUTS : INS); break;
    case 23: __asm__ volatile(SEQ2("fsin") : OUTS : INS); break;
    case 24: __asm__ volatile(SEQ2("fcos") : OUTS : INS); break;
    case 25: __asm__ volatile(SEQ2("fsincos") : OUTS : INS); break;
    }
    printf("%s %04x", ops2[op], cw); p80(a); p80(b); p80(r); p80(r2); printf(" %04x\n", sw);
}

/* conversions: f80 -> memory format */
#define SEQS(insn) "fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn " %[m]\n\tfnstsw %[sw]\n\tfninit"
static void runstore(const char *name, int which, uint16_t cw, f80 a) {
    uint64_t m = 0; uint8_t bcd[10] = {0}; uint16_t sw = 0;
    uint16_t m16 = 0; uint32_t m32 = 0;
    switch (which) {
    case 0: __asm__ volatile(SEQS("fistps") : [m] "=m"(m16), [sw] "=m"(sw) : [cw] "m"(cw), [a] "m"(a)); m = m16; break;
    case 1: __asm__ volatile(SEQS("fistpl") : [m] "=m"(m32), [sw] "=m"(sw) : [cw] "m"(cw), [a] "m"(a)); m = m32; break;
    case 2: __asm__ volatile(SEQS("fistpll") : [m] "=m"(m), [sw] "=m"(sw) : [cw] "m"(cw), [a] "m"(a)); break;
    case 3: __asm__ volatile(SEQS("fisttps") : [m] "=m"(m16), [sw] "=m"(sw) : [cw] "m"(cw), [a] "m"(a)); m = m16; break;
    case 4: __asm__ volatile(SEQS("fisttpl") : [m] "=m"(m32), [sw] "=m"(sw) : [cw] "m"(cw), [a] "m"(a)); m = m32; break;
    case 5: __asm__ volatile(SEQS("fisttpll") : [m] "=m"(m), [sw] "=m"(sw) : [cw] "m"(cw), [a] "m"(a)); break;
    case 6: __asm__ volatile(SEQS("fstps") : [m] "=m"(m32), [sw] "=m"(sw) : [cw] "m"(cw), [a] "m"(a)); m = m32; break;
    case 7: __asm__ volatile(SEQS("fstpl") : [m] "=m"(m), [sw] "=m"(sw) : [cw] "m"(cw), [a] "m"(a)); break;
    case 8: __asm__ volatile(SEQS("fbstp") : [m] "=m"(bcd), [sw] "=m"(sw) : [cw] "m"(cw), [a] "m"(a));
            memcpy(&m, bcd, 8); break;
    }
    printf("%s %04x", name, cw); p80(a); p80(mk(0, 0));
    if (which == 8) { uint16_t hi; memcpy(&hi, bcd + 8, 2); p80(mk(hi, m)); }
    else p80(mk(0, m));
    p80(mk(0, 0)); printf(" %04x\n", sw);
}

/* conversions: memory format -> f80 */
#define SEQL(insn) "fninit\n\tfldcw %[cw]\n\t" insn " %[m]\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfninit"
static void runload(const char *name, int which, uint16_t cw, uint64_t m, uint16_t hi) {
    f80 r = mk(0, 0); uint16_t sw = 0; uint32_t m32 = (uint32_t)m; uint8_t bcd[10];
    memcpy(bcd, &m, 8); memcpy(bcd + 8, &hi, 2);
    switch (which) {
    case 0: __asm__ volatile(SEQL("flds") : [r] "=m"(r), [sw] "=m"(sw) : [cw] "m"(cw), [m] "m"(m32)); break;
    case 1: __asm__ volatile(SEQL("fldl") : [r] "=m"(r), [sw] "=m"(sw) : [cw] "m"(cw), [m] "m"(m)); break;
    case 2: __asm__ volatile(SEQL("fildll") : [r] "=m"(r), [sw] "=m"(sw) : [cw] "m"(cw), [m] "m"(m)); break;
    case 3: __asm__ volatile(SEQL("fbld") : [r] "=m"(r), [sw] "=m"(sw) : [cw] "m"(cw), [m] "m"(bcd)); break;
    }
    printf("%s %04x", name, cw); p80(mk(hi, m)); p80(mk(0, 0)); p80(r); p80(mk(0, 0)); printf(" %04x\n", sw);
}

static uint64_t bcdrand(void) {
    uint64_t v = 0; int n = 1 + (int)(rnd() % 16);
    for (int i = 0; i < n; i++) v |= (rnd() % 10) << (4 * i);
    return v;
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 200;
    static const int pcs[3] = { 0, 2, 3 };
    for (int op = 0; ops2[op]; op++) {
        int trans = op >= 18;
        for (int rc = 0; rc < 4; rc++) for (int pi = 0; pi < 3; pi++) {
            if (trans && pi != 2) continue;
            uint16_t cw = (uint16_t)(0x037F & ~0x0300) | (uint16_t)(pcs[pi] << 8) | (uint16_t)(rc << 10);
            for (int k = 0; k < count; k++) {
                f80 a = gen(op == 8 || op >= 10), b = gen(op == 8 || op >= 10);
                if (op == 8 && (rnd() & 1)) b = mk((uint16_t)((rnd() & 0x8000) | (0x3FFF + rnd() % 15)), rnd() | 0x8000000000000000ull);
                if (op == 1 && (rnd() & 1)) { b = a; b.m ^= rnd() >> (rnd() % 64); b.m |= 0x8000000000000000ull; }
                if (op == 18 && (a.se & 0x7FFF) >= 0x3FFF && (a.se & 0x7FFF) != 0x7FFF) a.se = (uint16_t)((a.se & 0x8000) | 0x3FFE); /* F2XM1 is defined on [-1, 1] */
                if (op == 18 && (rnd() & 3)) a = mk((uint16_t)((rnd() & 0x8000) | (0x3FFF - 1 - rnd() % 40)), rnd() | 0x8000000000000000ull);
                if ((op == 19 || op == 20) && (rnd() & 3)) a.se &= 0x7FFF;
                if (op == 20 && (a.se & 0x7FFF) >= 0x3FFD && (a.se & 0x7FFF) != 0x7FFF) a.se = (uint16_t)((a.se & 0x8000) | 0x3FFC); /* FYL2XP1: |x| < 1 - sqrt(2)/2 */
                if (op == 20 && (rnd() & 3)) a = mk((uint16_t)((rnd() & 0x8000) | (0x3FFF - 2 - rnd() % 40)), rnd() | 0x8000000000000000ull);
                if (op >= 21 && op != 22 && (rnd() & 3)) a = mk((uint16_t)((rnd() & 0x8000) | (0x3FFF - 20 + rnd() % 85)), rnd() | 0x8000000000000000ull);
                run2(op, cw, a, b);
            }
        }
    }
    static const char *stores[] = { "fist16", "fist32", "fist64", "fistt16", "fistt32", "fistt64", "fst32", "fst64", "fbstp" };
    for (int w = 0; w < 9; w++)
        for (int rc = 0; rc < 4; rc++) {
            uint16_t cw = (uint16_t)(0x037F | (rc << 10));
            for (int k = 0; k < count; k++) {
                f80 a = gen(0);
                if (w < 6 || w == 8) { if (rnd() & 1) a.se = (uint16_t)((a.se & 0x8000) | (0x3FFF + rnd() % 66)); }
                else if (rnd() & 1) a.se = (uint16_t)((a.se & 0x8000) | (0x3FFF + (int)(rnd() % 2200) - 1100));
                else if (w == 6 && (rnd() & 1)) a.se = (uint16_t)((a.se & 0x8000) | (0x3FFF + (int)(rnd() % 340) - 170));
                runstore(stores[w], w, cw, a);
            }
        }
    static const char *loads[] = { "fld32", "fld64", "fild64", "fbld" };
    for (int w = 0; w < 4; w++)
        for (int k = 0; k < count * 2; k++) {
            uint64_t m = rnd(); uint16_t hi = 0;
            if (w == 0) { m &= 0xFFFFFFFF; if ((rnd() & 3) == 0) m &= 0x807FFFFF; if ((rnd() & 7) == 0) m |= 0x7F800000; }
            if (w == 1) { if ((rnd() & 3) == 0) m &= 0x800FFFFFFFFFFFFFull; if ((rnd() & 7) == 0) m |= 0x7FF0000000000000ull; }
            if (w == 2 && (rnd() & 1)) m >>= rnd() % 64;
            if (w == 3) { m = bcdrand(); hi = (uint16_t)((rnd() & 1) ? 0x8000 : 0) | (uint16_t)(rnd() % 10) | (uint16_t)((rnd() % 10) << 4); }
            runload(loads[w], w, 0x037F, m, hi);
        }
    return 0;
}
