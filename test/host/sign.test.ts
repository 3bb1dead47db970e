// Ed25519 signing in the firmware (build/offtap.wasm) against the RFC 8032 §7.1 vectors
// and against node:crypto (OpenSSL) on thousands of random seeds and messages: public keys
// and signatures must be byte-identical. One seed drives the random cases and a failure
// prints it; replay with OFFTAP_SIGN_SEED=<seed>. Also: no allocation, and one memory and
// control-flow trace for every secret (constant time, checked by instrumentation).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import binaryen from "binaryen";
import { firmwarePath, repoRoot } from "../../host/firmware/paths.ts";
import { FirmwareCrypto, type CryptoExports } from "../../host/firmware/crypto.ts";

interface SignVector {
  id: string;
  comment: string;
  seed: string;
  publicKey: string;
  message: string;
  signature: string;
}

const HEX = /^(?:[0-9a-f]{2})*$/;

function loadVectors(): SignVector[] {
  const file = path.join(repoRoot, "test", "vectors", "ed25519", "rfc8032-sign.json");
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { cases?: unknown };
  if (!Array.isArray(parsed.cases)) throw new Error(`${file}: no "cases" array`);
  return parsed.cases.map((raw: unknown, i: number): SignVector => {
    const c = raw as Partial<Record<keyof SignVector, unknown>>;
    for (const key of ["id", "comment", "seed", "publicKey", "message", "signature"] as const) {
      if (typeof c[key] !== "string") throw new Error(`${file}: case ${i} lacks string field "${key}"`);
    }
    const v = c as SignVector;
    for (const key of ["seed", "publicKey", "message", "signature"] as const) {
      if (!HEX.test(v[key])) throw new Error(`${file}: ${v.id}: "${key}" is not lowercase hex`);
    }
    return v;
  });
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

/** PKCS#8 DER prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function nodeKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
}

function nodePublicKey(key: KeyObject): Uint8Array {
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** xorshift128+ over BigInt-free 32-bit halves: a small deterministic byte source. */
class Rng {
  private s0: number;
  private s1: number;
  constructor(seed: number) {
    this.s0 = (seed ^ 0x9e3779b9) >>> 0 || 1;
    this.s1 = (Math.imul(seed, 0x85ebca6b) ^ 0x7f4a7c15) >>> 0 || 2;
  }
  next(): number {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    this.s1 = x >>> 0;
    return (this.s0 + this.s1) >>> 0;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

const fw = new FirmwareCrypto();

test("RFC 8032 §7.1: public keys and signatures are reproduced exactly", () => {
  const vectors = loadVectors();
  assert.ok(vectors.length >= 5, "expected the five RFC 8032 Ed25519 vectors");
  for (const v of vectors) {
    const seed = unhex(v.seed);
    const pk = fw.publicKey(seed);
    assert.equal(hex(pk), v.publicKey, `${v.id} (${v.comment}): public key`);
    const sig = fw.sign(concat(seed, unhex(v.publicKey)), unhex(v.message));
    assert.equal(hex(sig), v.signature, `${v.id} (${v.comment}): signature`);
  }
});

const RANDOM_CASES = 2000;
const MESSAGE_BYTES_MAX = 3000;

test(`${RANDOM_CASES} random seeds and messages match node:crypto byte for byte`, () => {
  const seed = Number(process.env["OFFTAP_SIGN_SEED"] ?? Date.now() % 0x7fffffff);
  const rng = new Rng(seed);
  for (let i = 0; i < RANDOM_CASES; i++) {
    const secret = rng.bytes(32);
    // Mostly short messages (tap-sized), with the whole range up to MESSAGE_BYTES_MAX covered.
    const len = i % 4 === 0 ? rng.below(MESSAGE_BYTES_MAX + 1) : rng.below(257);
    const message = rng.bytes(len);
    const key = nodeKey(secret);
    const expectedPk = nodePublicKey(key);
    const where = `case ${i} (replay with OFFTAP_SIGN_SEED=${seed}), message ${len} bytes`;
    assert.equal(hex(fw.publicKey(secret)), hex(expectedPk), `${where}: public key`);
    const expectedSig = new Uint8Array(nodeSign(null, message, key));
    assert.equal(hex(fw.sign(concat(secret, expectedPk), message)), hex(expectedSig), `${where}: signature`);
  }
});

test("signing uses the public key derived from the seed, not the caller's copy", () => {
  // A secret key whose second half is not [a]B must not yield a signature under a
  // different key: that would leak the secret scalar (the "double public key" attack).
  const v = loadVectors()[0]!;
  const seed = unhex(v.seed);
  const message = unhex("6f6666746170");
  const expected = hex(new Uint8Array(nodeSign(null, message, nodeKey(seed))));
  const wrongPk = unhex(loadVectors()[1]!.publicKey);
  assert.equal(hex(fw.sign(concat(seed, wrongPk), message)), expected);
  // And the cached key state follows a change of seed in both directions.
  const other = unhex(loadVectors()[2]!.seed);
  const otherExpected = hex(new Uint8Array(nodeSign(null, message, nodeKey(other))));
  assert.equal(hex(fw.sign(concat(other, unhex(loadVectors()[2]!.publicKey)), message)), otherExpected);
  assert.equal(hex(fw.sign(concat(seed, unhex(v.publicKey)), message)), expected);
});

test("signing is deterministic and leaves its inputs untouched", () => {
  const rng = new Rng(7);
  const secret = rng.bytes(32);
  const message = rng.bytes(600);
  const sk = concat(secret, fw.publicKey(secret));
  const first = fw.sign(sk, message);
  const e = fw.exports;
  const io = e.ioBufferPtr();
  const mem = new Uint8Array(e.memory.buffer);
  // Re-run in place and check the secret key and message bytes in the I/O buffer.
  e.ed25519Sign(io, io + 128, message.length, io + 64);
  assert.equal(hex(mem.slice(io + 64, io + 128)), hex(first));
  assert.equal(hex(mem.slice(io, io + 64)), hex(sk));
  assert.equal(hex(mem.slice(io + 128, io + 128 + message.length)), hex(message));
});

test("signing allocates nothing: 10,000 signatures fit in fixed memory", () => {
  // The firmware runs the AssemblyScript stub runtime with a fixed 2-page memory: the
  // smallest allocation is 16 bytes with its header and memory can never grow, so any
  // allocation per signature would exhaust memory (and abort) well before 10,000 calls.
  const e = fw.exports;
  const bytesBefore = e.memory.buffer.byteLength;
  const rng = new Rng(11);
  const secret = rng.bytes(32);
  const sk = concat(secret, fw.publicKey(secret));
  const message = rng.bytes(64);
  let last: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < 10_000; i++) {
    message[0] = i & 0xff;
    last = fw.sign(sk, message);
    fw.publicKey(secret);
  }
  assert.equal(e.memory.buffer.byteLength, bytesBefore);
  assert.equal(hex(last), hex(new Uint8Array(nodeSign(null, message, nodeKey(secret)))));
});

// ---- Constant time, checked as a trace ------------------------------------------------
// binaryen instruments a copy of the firmware so that every load and store reports its
// site and address, and every function entry and loop iteration reports its site
// (passes instrument-memory and log-execution). Secret-dependent branches or table
// indices change that trace; constant-time code gives the same trace for any secret of
// the same public shape (message length). Register-only branches that touch no memory
// and no loop are invisible to this check; the code review in basetable.ts covers those.

/** Folds the trace into a 64-bit FNV-1a digest and an event count. */
class Trace {
  events = 0;
  private h = 0xcbf29ce484222325n;
  add(site: number, value: number): void {
    this.events++;
    for (const x of [site, value]) {
      this.h ^= BigInt(x >>> 0);
      this.h = (this.h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  digest(): string {
    return `${this.events} events, digest ${this.h.toString(16)}`;
  }
}

function instrumentedFirmware(): { fw: FirmwareCrypto; trace: { current: Trace | undefined } } {
  const mod = binaryen.readBinary(readFileSync(firmwarePath));
  try {
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.MutableGlobals);
    mod.runPasses(["instrument-memory", "log-execution"]);
    const wasm = new WebAssembly.Module(new Uint8Array(mod.emitBinary()));
    const trace: { current: Trace | undefined } = { current: undefined };
    const record = (site: number, offset: number, address: number): number => {
      trace.current?.add(site, address + offset);
      return address;
    };
    const env: Record<string, (...args: never[]) => unknown> = {
      load_ptr: (site: number, _bytes: number, offset: number, address: number) => record(site, offset, address),
      store_ptr: (site: number, _bytes: number, offset: number, address: number) => record(site, offset, address),
      log_execution: (site: number) => { trace.current?.add(site, 0); },
      memory_grow_pre: (_site: number, delta: number) => delta,
      memory_grow_post: (_site: number, result: number) => result,
    };
    for (const kind of ["i32", "i64", "f32", "f64"]) {
      env[`load_val_${kind}`] = (_site: number, value: unknown) => value;
      env[`store_val_${kind}`] = (_site: number, value: unknown) => value;
    }
    for (const imp of WebAssembly.Module.imports(wasm)) {
      if (imp.kind === "function" && !(imp.name in env)) {
        // Board imports are not reached by key derivation or signing; abort is a bug.
        env[imp.name] = () => { throw new Error(`unexpected firmware import call: ${imp.name}`); };
      }
    }
    const instance = new WebAssembly.Instance(wasm, { env });
    return { fw: new FirmwareCrypto(instance.exports as unknown as CryptoExports), trace };
  } finally {
    mod.dispose();
  }
}

test("key derivation and signing have one memory/control trace for every secret", () => {
  const { fw: traced, trace } = instrumentedFirmware();
  const rng = new Rng(2024);
  const run = (fn: () => void): string => {
    trace.current = new Trace();
    fn();
    const d = trace.current.digest();
    trace.current = undefined;
    return d;
  };
  // Seeds include the extremes of the clamped scalar's digits (all zero / all one bytes).
  const seeds = [new Uint8Array(32), new Uint8Array(32).fill(0xff), rng.bytes(32), rng.bytes(32)];
  traced.publicKey(rng.bytes(32)); // builds the table outside the traces
  const pkTraces = new Set(seeds.map((s) => run(() => traced.publicKey(s))));
  assert.equal(pkTraces.size, 1, `public-key derivation traces differ by seed: ${[...pkTraces].join(" / ")}`);

  const signTraces = new Set<string>();
  for (const s of seeds) {
    const sk = concat(s, traced.publicKey(s)); // primes the key cache: every signature hits it
    signTraces.add(run(() => traced.sign(sk, rng.bytes(300))));
  }
  assert.equal(signTraces.size, 1, `signing traces differ by key and nonce: ${[...signTraces].join(" / ")}`);
  // The trace must see the work: the 64 lookups of [r]B alone read 64 × 8 entries × 15 words.
  const events = Number([...signTraces][0]!.split(" ")[0]);
  assert.ok(events > 64 * 8 * 15, `trace too short to cover a signature: ${events} events`);
});
