// The device-cost harness: WASM3 on a bare-metal Xtensa lx106 core under QEMU, counting
// instructions with CCOUNT around each operation (tools/xtensa/README.md). It reads one
// job from the host's stdin through semihosting (format in README.md), runs it, and
// prints one result line per measurement on stderr; a WASI guest's stdout goes to stdout.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "semihost.h"
#include "wasm3.h"

/** Largest job (module + inputs) the harness accepts. */
#define JOB_BYTES_MAX (1024u * 1024u)
/** WASM3's operand stack for the runtime, in bytes (the ESP32 port uses 8-32 KiB). */
#define RUNTIME_STACK_BYTES (32u * 1024u)
#define LINE_BYTES_MAX 256u
#define EXPORT_ARGS_MAX 8u
#define CALIBRATION_LOOPS 1000000

enum { OP_WRITE = 1, OP_CALL = 2, OP_WASI = 3 };

#ifdef OFFTAP_XT_COUNT
// The counting build: 64-bit multiply calls (libgcc-lx106.c) and interpreter dispatches.
// WASM3 built with d_m3EnableOpProfiling calls ProfileHit once per operation it
// dispatches through nextOp(); the link wraps that call to land here.
extern uint32_t offtap_xt_muldi3_calls;
static uint32_t dispatches;
void __wrap_ProfileHit(const char *operationName);
void __wrap_ProfileHit(const char *operationName) {
  (void)operationName;
  dispatches++;
}
#define COUNTS_RESET() (offtap_xt_muldi3_calls = 0, dispatches = 0)
#define MULS() offtap_xt_muldi3_calls
#define DISPATCHES() dispatches
#else
#define COUNTS_RESET() ((void)0)
#define MULS() 0u
#define DISPATCHES() 0u
#endif

static uint8_t job[JOB_BYTES_MAX];
static uint32_t jobLen;
static uint32_t jobPos;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  char line[LINE_BYTES_MAX];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((uint32_t)n >= sizeof line) n = sizeof line - 1;
  semi_write(2, line, (size_t)n);
}

static void fail(const char *what, const char *detail) {
  say("error %s: %s\n", what, detail == NULL ? "" : detail);
  semi_exit(2);
}

static void readJob(void) {
  for (;;) {
    if (jobLen == JOB_BYTES_MAX) fail("job", "larger than JOB_BYTES_MAX");
    int32_t n = semi_read(0, job + jobLen, JOB_BYTES_MAX - jobLen);
    if (n < 0) fail("job", "read failed");
    if (n == 0) break;
    jobLen += (uint32_t)n;
  }
}

static const uint8_t *take(uint32_t n) {
  if (n > jobLen - jobPos) fail("job", "truncated");
  const uint8_t *p = job + jobPos;
  jobPos += n;
  return p;
}

static uint32_t takeU32(void) {
  const uint8_t *p = take(4);
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t takeU8(void) { return *take(1); }

// ---- WASI, the three calls taprunner.wasm and selftest.wasm import -------------------

static const uint8_t *wasiIn;
static uint32_t wasiInLen;
static uint32_t wasiInPos;
static int32_t wasiExitCode;

/** Checks that [offset, offset + len) lies inside the guest's memory, overflow-safe. */
static int inMemory(IM3Runtime rt, uint32_t offset, uint32_t len) {
  uint32_t size = m3_GetMemorySize(rt);
  return offset <= size && len <= size - offset;
}

static m3ApiRawFunction(wasiFdRead) {
  m3ApiReturnType(uint32_t);
  m3ApiGetArg(uint32_t, fd);
  m3ApiGetArg(uint32_t, iovs);
  m3ApiGetArg(uint32_t, iovsLen);
  m3ApiGetArg(uint32_t, nreadOff);
  if (fd != 0) m3ApiReturn(8); // EBADF
  if (iovsLen > 1024u || !inMemory(runtime, iovs, iovsLen * 8u)) m3ApiReturn(21); // EFAULT
  if (!inMemory(runtime, nreadOff, 4)) m3ApiReturn(21);
  uint32_t total = 0;
  for (uint32_t i = 0; i < iovsLen; i++) {
    uint8_t *iov = (uint8_t *)_mem + iovs + 8u * i;
    uint32_t buf, len;
    memcpy(&buf, iov, 4);
    memcpy(&len, iov + 4, 4);
    if (!inMemory(runtime, buf, len)) m3ApiReturn(21);
    uint32_t n = wasiInLen - wasiInPos < len ? wasiInLen - wasiInPos : len;
    memcpy((uint8_t *)_mem + buf, wasiIn + wasiInPos, n);
    wasiInPos += n;
    total += n;
    if (n < len) break;
  }
  memcpy((uint8_t *)_mem + nreadOff, &total, 4);
  m3ApiReturn(0);
}

static m3ApiRawFunction(wasiFdWrite) {
  m3ApiReturnType(uint32_t);
  m3ApiGetArg(uint32_t, fd);
  m3ApiGetArg(uint32_t, iovs);
  m3ApiGetArg(uint32_t, iovsLen);
  m3ApiGetArg(uint32_t, nwrittenOff);
  if (fd != 1 && fd != 2) m3ApiReturn(8);
  if (iovsLen > 1024u || !inMemory(runtime, iovs, iovsLen * 8u)) m3ApiReturn(21);
  if (!inMemory(runtime, nwrittenOff, 4)) m3ApiReturn(21);
  uint32_t total = 0;
  for (uint32_t i = 0; i < iovsLen; i++) {
    uint8_t *iov = (uint8_t *)_mem + iovs + 8u * i;
    uint32_t buf, len;
    memcpy(&buf, iov, 4);
    memcpy(&len, iov + 4, 4);
    if (!inMemory(runtime, buf, len)) m3ApiReturn(21);
    // The guest's stderr is not the harness's: both go to the host's stdout, prefixed.
    semi_write(1, (uint8_t *)_mem + buf, len);
    total += len;
  }
  memcpy((uint8_t *)_mem + nwrittenOff, &total, 4);
  m3ApiReturn(0);
}

static m3ApiRawFunction(wasiProcExit) {
  m3ApiGetArg(int32_t, code);
  wasiExitCode = code;
  m3ApiTrap(m3Err_trapExit);
}

/** Board imports of the firmware (offtap.wasm) answer ERR_IO: the crypto exports measured
 *  through OP_CALL never reach the board. */
static m3ApiRawFunction(boardUnavailable) {
  m3ApiReturnType(int32_t);
  m3ApiReturn(-2);
}

static const char *const BOARD_IMPORTS[] = {
  "nfcTransceive", "flashRead", "flashProgram", "flashErase", "clockUnixSeconds",
  "clockMillis", "randomFill", "signal", "log", "abort",
};

static void linkImports(IM3Module m) {
  static const char WASI[] = "wasi_snapshot_preview1";
  M3Result r;
  r = m3_LinkRawFunction(m, WASI, "fd_read", "i(iiii)", wasiFdRead);
  if (r != m3Err_none && r != m3Err_functionLookupFailed) fail("link fd_read", r);
  r = m3_LinkRawFunction(m, WASI, "fd_write", "i(iiii)", wasiFdWrite);
  if (r != m3Err_none && r != m3Err_functionLookupFailed) fail("link fd_write", r);
  r = m3_LinkRawFunction(m, WASI, "proc_exit", "v(i)", wasiProcExit);
  if (r != m3Err_none && r != m3Err_functionLookupFailed) fail("link proc_exit", r);
  for (size_t i = 0; i < sizeof BOARD_IMPORTS / sizeof BOARD_IMPORTS[0]; i++) {
    // Any signature: the harness never lets the firmware reach the board.
    r = m3_LinkRawFunction(m, "env", BOARD_IMPORTS[i], NULL, boardUnavailable);
    if (r != m3Err_none && r != m3Err_functionLookupFailed) fail("link board", r);
  }
}

// ---- operations ------------------------------------------------------------------------

static void opWrite(IM3Runtime rt) {
  uint32_t offset = takeU32();
  uint32_t len = takeU32();
  const uint8_t *bytes = take(len);
  uint32_t size = 0;
  uint8_t *mem = m3_GetMemory(rt, &size, 0);
  if (mem == NULL || offset > size || len > size - offset) fail("write", "outside memory");
  memcpy(mem + offset, bytes, len);
}

static void opCall(IM3Runtime rt) {
  char name[64];
  uint8_t nameLen = takeU8();
  if (nameLen >= sizeof name) fail("call", "name too long");
  memcpy(name, take(nameLen), nameLen);
  name[nameLen] = 0;
  uint8_t argc = takeU8();
  if (argc > EXPORT_ARGS_MAX) fail("call", "too many arguments");
  int32_t args[EXPORT_ARGS_MAX];
  const void *argp[EXPORT_ARGS_MAX];
  for (uint8_t i = 0; i < argc; i++) {
    args[i] = (int32_t)takeU32();
    argp[i] = &args[i];
  }
  uint32_t reps = takeU32();
  IM3Function f;
  M3Result r = m3_FindFunction(&f, rt, name);
  if (r != m3Err_none) fail(name, r);
  for (uint32_t rep = 0; rep < reps; rep++) {
    COUNTS_RESET();
    uint32_t c0 = xt_ccount();
    r = m3_Call(f, argc, argp);
    uint32_t c1 = xt_ccount();
    if (r != m3Err_none) fail(name, r);
    int32_t ret = 0;
    const void *retp[1] = { &ret };
    if (m3_GetRetCount(f) == 1) m3_GetResults(f, 1, retp);
    say("call %s rep=%u ret=%ld ccount=%lu muls=%lu ops=%lu\n", name, (unsigned)rep,
        (long)ret, (unsigned long)(c1 - c0), (unsigned long)MULS(),
        (unsigned long)DISPATCHES());
  }
}

static void opWasi(IM3Runtime rt) {
  wasiInLen = takeU32();
  wasiIn = take(wasiInLen);
  wasiInPos = 0;
  wasiExitCode = 0;
  IM3Function f;
  M3Result r = m3_FindFunction(&f, rt, "_start");
  if (r != m3Err_none) fail("_start", r);
  COUNTS_RESET();
  uint32_t c0 = xt_ccount();
  r = m3_CallV(f);
  uint32_t c1 = xt_ccount();
  if (r != m3Err_none && r != m3Err_trapExit) fail("_start", r);
  say("wasi exit=%ld ccount=%lu muls=%lu ops=%lu\n", (long)wasiExitCode,
      (unsigned long)(c1 - c0), (unsigned long)MULS(), (unsigned long)DISPATCHES());
}

static void calibrate(void) {
  // Two instructions per iteration (addi, bnez): CCOUNT per instruction, measured.
  int n = CALIBRATION_LOOPS;
  uint32_t c0 = xt_ccount();
  __asm__ volatile("1: addi %0, %0, -1\n bnez %0, 1b" : "+a"(n));
  uint32_t c1 = xt_ccount();
  say("calibration instructions=%lu ccount=%lu\n", (unsigned long)(2u * CALIBRATION_LOOPS),
      (unsigned long)(c1 - c0));
}

int main(void) {
  calibrate();
  readJob();
  if (jobLen < 8 || memcmp(take(4), "OTX1", 4) != 0) fail("job", "bad magic");
  uint32_t wasmLen = takeU32();
  const uint8_t *wasm = take(wasmLen);
  uint32_t c0 = xt_ccount();
  IM3Environment env = m3_NewEnvironment();
  IM3Runtime rt = env == NULL ? NULL : m3_NewRuntime(env, RUNTIME_STACK_BYTES, NULL);
  if (rt == NULL) fail("runtime", "out of memory");
  IM3Module module;
  M3Result r = m3_ParseModule(env, &module, wasm, wasmLen);
  if (r != m3Err_none) fail("parse", r);
  r = m3_LoadModule(rt, module);
  if (r != m3Err_none) fail("load", r);
  linkImports(module);
  uint32_t c1 = xt_ccount();
  say("load ccount=%lu\n", (unsigned long)(c1 - c0));
  uint32_t ops = takeU32();
  for (uint32_t i = 0; i < ops; i++) {
    uint8_t op = takeU8();
    if (op == OP_WRITE) opWrite(rt);
    else if (op == OP_CALL) opCall(rt);
    else if (op == OP_WASI) opWasi(rt);
    else fail("job", "unknown operation");
  }
  extern char __heap_start[];
  say("done heap=%lu\n", (unsigned long)((char *)sbrk(0) - __heap_start));
  semi_exit(0);
}
