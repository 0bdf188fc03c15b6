/*
 * sseref: prints MMX/SSE/SSE2/SSE3/SSSE3 reference vectors computed by the host CPU.
 * Build: gcc -O1 -o sseref sseref.c      Run: ./sseref [vectors-per-op]
 * Each instruction is run from a small code buffer (its bytes are in the table below, register forms with
 * ModRM reg = 0 (xmm0/mm0/eax) and r/m = 1 (xmm1/mm1/ecx)) with xmm0 = a, xmm1 = b, mm0 = a.lo, mm1 = b.lo,
 * eax = a.lo32, ecx = b.lo32, MXCSR = mx, EFLAGS arithmetic bits all set. One line per vector:
 *   <instruction bytes> <mx> <a> <b> | <xmm0> <mm0> <eax> <mxcsr> <eflags>
 * Operands come from a fixed-seed generator with many special values (zeros, denormals, infinities, QNaN/SNaN,
 * values near overflow/underflow, integers, saturation edges).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
    uint8_t a[16], b[16];
    uint32_t mx, pad[3];
    uint8_t r[16];
    uint64_t mm;
    uint32_t eax, mxo;
    uint64_t efl;
} rec;

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }

/* kinds: S float32 lanes, D float64 lanes, I integers */
static uint64_t genf(int dbl) {
    int fb = dbl ? 52 : 23, eb = dbl ? 11 : 8, bias = dbl ? 1023 : 127, emax = dbl ? 2047 : 255;
    uint64_t fm = (1ull << fb) - 1, s = (rnd() & 1) ? 1ull << (fb + eb) : 0, f = rnd() & fm, e;
    int k = (int)(rnd() % 100);
    if (k < 4) return s;
    if (k < 10) return s | (f ? f : 1) >> (rnd() % fb);
    if (k < 14) return s | ((uint64_t)emax << fb);
    if (k < 18) return s | ((uint64_t)emax << fb) | (1ull << (fb - 1)) | (f >> 2);
    if (k < 22) return s | ((uint64_t)emax << fb) | ((f >> 2) | 1);
    if (k < 27) e = emax - 1 - rnd() % 4;
    else if (k < 34) e = 1 + rnd() % 4;
    else if (k < 44) { e = bias + rnd() % 40; f &= ~((1ull << (rnd() % (fb + 1))) - 1); }
    else if (k < 48) { e = (rnd() & 1) ? 1 : emax - 1; f = (rnd() & 1) ? 0 : fm; }
    else e = bias - 30 + rnd() % 60;
    return s | (e << fb) | f;
}

static uint32_t geni32(void) {
    int k = (int)(rnd() % 10);
    if (k == 0) return 0;
    if (k == 1) return 0x80000000u;
    if (k == 2) return 0x7FFFFFFFu;
    if (k < 5) return (uint32_t)(rnd() >> (rnd() % 64));
    return (uint32_t)rnd();
}

static void gen(uint8_t *v, char kind) {
    for (int k = 0; k < 16;) {
        if (kind == 'S') { uint32_t x = (uint32_t)genf(0); memcpy(v + k, &x, 4); k += 4; }
        else if (kind == 'D') { uint64_t x = genf(1); memcpy(v + k, &x, 8); k += 8; }
        else if (kind == 'i') { uint32_t x = geni32(); memcpy(v + k, &x, 4); k += 4; }
        else {
            static const uint8_t edge[] = { 0x00, 0xFF, 0x80, 0x7F, 0x01, 0xFE, 0x81 };
            v[k++] = (rnd() % 4 == 0) ? edge[rnd() % sizeof edge] : (uint8_t)rnd();
        }
    }
}

typedef struct { const char *name; const char *hex; char kind; int imm; } op;
/* imm: 0 none, 1 cmp predicate (0-7), 2 shuffle, 3 shift count, 4 byte count, 5 word index */
static const op ops[] = {
    /* SSE single */
    {"addps","0f58c1",'S'},{"addss","f30f58c1",'S'},{"subps","0f5cc1",'S'},{"subss","f30f5cc1",'S'},
    {"mulps","0f59c1",'S'},{"mulss","f30f59c1",'S'},{"divps","0f5ec1",'S'},{"divss","f30f5ec1",'S'},
    {"minps","0f5dc1",'S'},{"minss","f30f5dc1",'S'},{"maxps","0f5fc1",'S'},{"maxss","f30f5fc1",'S'},
    {"sqrtps","0f51c1",'S'},{"sqrtss","f30f51c1",'S'},{"rcpps","0f53c1",'S'},{"rcpss","f30f53c1",'S'},
    {"rsqrtps","0f52c1",'S'},{"rsqrtss","f30f52c1",'S'},
    {"andps","0f54c1",'S'},{"andnps","0f55c1",'S'},{"orps","0f56c1",'S'},{"xorps","0f57c1",'S'},
    {"cmpps","0fc2c1",'S',1},{"cmpss","f30fc2c1",'S',1},{"shufps","0fc6c1",'S',2},
    {"unpcklps","0f14c1",'S'},{"unpckhps","0f15c1",'S'},{"movaps","0f28c1",'S'},{"movups","0f10c1",'S'},
    {"movss","f30f10c1",'S'},{"movhlps","0f12c1",'S'},{"movlhps","0f16c1",'S'},
    {"comiss","0f2fc1",'S'},{"ucomiss","0f2ec1",'S'},{"movmskps","0f50c1",'S'},
    {"cvtpi2ps","0f2ac1",'i'},{"cvtps2pi","0f2dc1",'S'},{"cvttps2pi","0f2cc1",'S'},
    {"cvtsi2ss","f30f2ac1",'i'},{"cvtss2si","f30f2dc1",'S'},{"cvttss2si","f30f2cc1",'S'},
    /* SSE2 double */
    {"addpd","660f58c1",'D'},{"addsd","f20f58c1",'D'},{"subpd","660f5cc1",'D'},{"subsd","f20f5cc1",'D'},
    {"mulpd","660f59c1",'D'},{"mulsd","f20f59c1",'D'},{"divpd","660f5ec1",'D'},{"divsd","f20f5ec1",'D'},
    {"minpd","660f5dc1",'D'},{"minsd","f20f5dc1",'D'},{"maxpd","660f5fc1",'D'},{"maxsd","f20f5fc1",'D'},
    {"sqrtpd","660f51c1",'D'},{"sqrtsd","f20f51c1",'D'},
    {"andpd","660f54c1",'D'},{"andnpd","660f55c1",'D'},{"orpd","660f56c1",'D'},{"xorpd","660f57c1",'D'},
    {"cmppd","660fc2c1",'D',1},{"cmpsd","f20fc2c1",'D',1},{"shufpd","660fc6c1",'D',2},
    {"unpcklpd","660f14c1",'D'},{"unpckhpd","660f15c1",'D'},{"movapd","660f28c1",'D'},{"movupd","660f10c1",'D'},
    {"movsd","f20f10c1",'D'},{"comisd","660f2fc1",'D'},{"ucomisd","660f2ec1",'D'},{"movmskpd","660f50c1",'D'},
    {"cvtpi2pd","660f2ac1",'i'},{"cvtpd2pi","660f2dc1",'D'},{"cvttpd2pi","660f2cc1",'D'},
    {"cvtsi2sd","f20f2ac1",'i'},{"cvtsd2si","f20f2dc1",'D'},{"cvttsd2si","f20f2cc1",'D'},
    {"cvtps2pd","0f5ac1",'S'},{"cvtpd2ps","660f5ac1",'D'},{"cvtss2sd","f30f5ac1",'S'},{"cvtsd2ss","f20f5ac1",'D'},
    {"cvtdq2ps","0f5bc1",'i'},{"cvtps2dq","660f5bc1",'S'},{"cvttps2dq","f30f5bc1",'S'},
    {"cvtdq2pd","f30fe6c1",'i'},{"cvtpd2dq","f20fe6c1",'D'},{"cvttpd2dq","660fe6c1",'D'},
    /* SSE3 */
    {"addsubps","f20fd0c1",'S'},{"addsubpd","660fd0c1",'D'},{"haddps","f20f7cc1",'S'},{"haddpd","660f7cc1",'D'},
    {"hsubps","f20f7dc1",'S'},{"hsubpd","660f7dc1",'D'},{"movddup","f20f12c1",'D'},{"movshdup","f30f16c1",'S'},
    {"movsldup","f30f12c1",'S'},
    /* SSE2 integer moves */
    {"movdqa","660f6fc1",'I'},{"movdqu","f30f6fc1",'I'},{"movq_x","f30f7ec1",'I'},{"movd_x_r","660f6ec1",'I'},
    {"movd_r_x","660f7ec8",'I'},{"movq2dq","f30fd6c1",'I'},{"movdq2q","f20fd6c1",'I'},
    {"pshufd","660f70c1",'I',2},{"pshuflw","f20f70c1",'I',2},{"pshufhw","f30f70c1",'I',2},
    {"pextrw_x","660fc5c1",'I',5},{"pinsrw_x","660fc4c1",'I',5},{"pmovmskb_x","660fd7c1",'I'},
    {"psrlw_xi","660f71d0",'I',3},{"psraw_xi","660f71e0",'I',3},{"psllw_xi","660f71f0",'I',3},
    {"psrld_xi","660f72d0",'I',3},{"psrad_xi","660f72e0",'I',3},{"pslld_xi","660f72f0",'I',3},
    {"psrlq_xi","660f73d0",'I',3},{"psllq_xi","660f73f0",'I',3},{"psrldq","660f73d8",'I',4},{"pslldq","660f73f8",'I',4},
    /* MMX moves and immediates */
    {"movq_m","0f6fc1",'I'},{"movd_m_r","0f6ec1",'I'},{"movd_r_m","0f7ec8",'I'},{"pshufw","0f70c1",'I',2},
    {"pextrw_m","0fc5c1",'I',5},{"pinsrw_m","0fc4c1",'I',5},{"pmovmskb_m","0fd7c1",'I'},
    {"psrlw_mi","0f71d0",'I',3},{"psraw_mi","0f71e0",'I',3},{"psllw_mi","0f71f0",'I',3},
    {"psrld_mi","0f72d0",'I',3},{"psrad_mi","0f72e0",'I',3},{"pslld_mi","0f72f0",'I',3},
    {"psrlq_mi","0f73d0",'I',3},{"psllq_mi","0f73f0",'I',3},
    {"palignr_m","0f3a0fc1",'I',4},{"palignr_x","660f3a0fc1",'I',4},
    {0,0,0}
};

/* two-operand integer opcodes present as MMX (0f xx) and SSE2 (66 0f xx) */
static const char *intops[] = {
    "60punpcklbw","61punpcklwd","62punpckldq","63packsswb","64pcmpgtb","65pcmpgtw","66pcmpgtd","67packuswb",
    "68punpckhbw","69punpckhwd","6apunpckhdq","6bpackssdw","74pcmpeqb","75pcmpeqw","76pcmpeqd",
    "d1psrlw","d2psrld","d3psrlq","d4paddq","d5pmullw","d8psubusb","d9psubusw","dapminub","dbpand","dcpaddusb",
    "ddpaddusw","depmaxub","dfpandn","e0pavgb","e1psraw","e2psrad","e3pavgw","e4pmulhuw","e5pmulhw","e8psubsb",
    "e9psubsw","eapminsw","ebpor","ecpaddsb","edpaddsw","eepmaxsw","efpxor","f1psllw","f2pslld","f3psllq",
    "f4pmuludq","f5pmaddwd","f6psadbw","f8psubb","f9psubw","fapsubd","fbpsubq","fcpaddb","fdpaddw","fepaddd",
    "6cpunpcklqdq","6dpunpckhqdq", 0
};
static const char *ssse3ops[] = {
    "00pshufb","01phaddw","02phaddd","03phaddsw","04pmaddubsw","05phsubw","06phsubd","07phsubsw",
    "08psignb","09psignw","0apsignd","0bpmulhrsw","1cpabsb","1dpabsw","1epabsd", 0
};

static uint8_t *code;
static void (*fn)(rec *);

static int hexbytes(const char *h, uint8_t *out) {
    int n = 0;
    for (; h[0] && h[1]; h += 2) { unsigned v; sscanf(h, "%2x", &v); out[n++] = (uint8_t)v; }
    return n;
}

static void build(const uint8_t *insn, int len) {
    static const uint8_t pro[] = { 0xf3,0x0f,0x6f,0x07, 0xf3,0x0f,0x6f,0x4f,0x10, 0x0f,0x6f,0x07, 0x0f,0x6f,0x4f,0x10,
        0x8b,0x07, 0x8b,0x4f,0x10, 0x0f,0xae,0x57,0x20, 0x68,0xd5,0x08,0x00,0x00, 0x9d };
    static const uint8_t epi[] = { 0x9c, 0x8f,0x47,0x50, 0xf3,0x0f,0x7f,0x47,0x30, 0x0f,0x7f,0x47,0x40, 0x89,0x47,0x48,
        0x0f,0xae,0x5f,0x4c, 0x0f,0x77, 0xc3 };
    int n = 0;
    memcpy(code + n, pro, sizeof pro); n += sizeof pro;
    memcpy(code + n, insn, len); n += len;
    memcpy(code + n, epi, sizeof epi);
}

static void hex(const uint8_t *v, int n) { putchar(' '); for (int k = n - 1; k >= 0; k--) printf("%02x", v[k]); }

static void run(const uint8_t *insn, int len, char kind, int count) {
    build(insn, len);
    for (int k = 0; k < count; k++) {
        rec r;
        memset(&r, 0, sizeof r);
        gen(r.a, kind);
        gen(r.b, kind);
        if (rnd() % 8 == 0) { memcpy(r.b, r.a, 16); r.b[rnd() % 16] ^= (uint8_t)(1u << (rnd() % 8)); }
        if (kind == 'S' || kind == 'D') r.mx = 0x1F80u | ((uint32_t)(rnd() % 4) << 13) | (rnd() % 4 == 0 ? 0x40u : 0) | (rnd() % 4 == 0 ? 0x8000u : 0);
        else r.mx = 0x1F80u | ((uint32_t)(rnd() % 4) << 13);
        fn(&r);
        __asm__ volatile("emms");
        for (int j = 0; j < len; j++) printf("%02x", insn[j]);
        printf(" %08x", r.mx); hex(r.a, 16); hex(r.b, 16); hex(r.r, 16); hex((uint8_t *)&r.mm, 8);
        printf(" %08x %08x %08x\n", r.eax, r.mxo, (uint32_t)r.efl & 0x8d5u);
    }
    uint32_t def = 0x1F80;
    __asm__ volatile("ldmxcsr %0" :: "m"(def));
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 64;
    code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) { perror("mmap"); return 1; }
    fn = (void (*)(rec *))code;
    static const int shufimm[] = { 0x00, 0x1b, 0x4e, 0xb1, 0xe4, 0x93, 0x39, 0xff };
    static const int shiftimm[] = { 0, 1, 7, 15, 16, 31, 33, 63, 64, 200 };
    static const int byteimm[] = { 0, 1, 5, 8, 12, 15, 16, 20, 31, 32 };
    uint8_t insn[16];
    for (const op *o = ops; o->name; o++) {
        int n = hexbytes(o->hex, insn);
        switch (o->imm) {
        case 0: run(insn, n, o->kind, count); break;
        case 1: for (int v = 0; v < 8; v++) { insn[n] = (uint8_t)v; run(insn, n + 1, o->kind, count / 4 + 1); } break;
        case 2: for (int v = 0; v < 8; v++) { insn[n] = (uint8_t)shufimm[v]; run(insn, n + 1, o->kind, count / 4 + 1); } break;
        case 3: for (int v = 0; v < 10; v++) { insn[n] = (uint8_t)shiftimm[v]; run(insn, n + 1, o->kind, count / 8 + 1); } break;
        case 4: for (int v = 0; v < 10; v++) { insn[n] = (uint8_t)byteimm[v]; run(insn, n + 1, o->kind, count / 8 + 1); } break;
        case 5: for (int v = 0; v < 10; v++) { insn[n] = (uint8_t)v; run(insn, n + 1, o->kind, count / 8 + 1); } break;
        }
    }
    for (int x = 0; x < 2; x++) {
        for (const char **p = intops; *p; p++) {
            int n = 0;
            if (x) insn[n++] = 0x66;
            else if ((*p)[0] == '6' && ((*p)[1] == 'c' || (*p)[1] == 'd')) continue; /* qdq forms are XMM only */
            insn[n++] = 0x0f;
            n += hexbytes((char[]){ (*p)[0], (*p)[1], 0 }, insn + n);
            insn[n++] = 0xc1;
            run(insn, n, 'I', count);
        }
        for (const char **p = ssse3ops; *p; p++) {
            int n = 0;
            if (x) insn[n++] = 0x66;
            insn[n++] = 0x0f; insn[n++] = 0x38;
            n += hexbytes((char[]){ (*p)[0], (*p)[1], 0 }, insn + n);
            insn[n++] = 0xc1;
            run(insn, n, 'I', count);
        }
    }
    return 0;
}
