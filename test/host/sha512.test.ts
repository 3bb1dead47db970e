// SHA-512 in the firmware (build/offtap.wasm) against NIST CAVP SHAVS byte vectors and
// against node:crypto, one-shot and streamed with the input split at every offset.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { firmwarePath, repoRoot } from "../../host/firmware/paths.ts";
import { FirmwareCrypto, baseImports, type CryptoExports } from "../../host/firmware/crypto.ts";

interface ShaVector {
  id: string;
  message: Uint8Array;
  digestHex: string;
}

const vectorDir = path.join(repoRoot, "test", "vectors", "sha512");

/** Parses a CAVP .rsp file: blocks of `Len = <bits>`, `Msg = <hex>`, `MD = <hex>`. */
function readRsp(fileName: string): ShaVector[] {
  const text = readFileSync(path.join(vectorDir, fileName), "utf8");
  const vectors: ShaVector[] = [];
  let lenBits: number | undefined;
  let msgHex: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^(Len|Msg|MD) = ([0-9a-fA-F]*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === "Len") lenBits = Number.parseInt(value, 10);
    else if (key === "Msg") msgHex = value;
    else {
      if (lenBits === undefined || msgHex === undefined) throw new Error(`${fileName}: MD without Len/Msg`);
      if (lenBits % 8 !== 0) throw new Error(`${fileName}: Len ${lenBits} is not byte oriented`);
      // CAVP writes the empty message as "00" with Len = 0.
      const message = Buffer.from(msgHex, "hex").subarray(0, lenBits / 8);
      if (message.length !== lenBits / 8) throw new Error(`${fileName}: Len ${lenBits} does not match Msg`);
      vectors.push({ id: `${fileName} Len=${lenBits}`, message, digestHex: value.toLowerCase() });
      lenBits = undefined;
      msgHex = undefined;
    }
  }
  return vectors;
}

/** Instantiates the firmware for hashing alone: abort as every board has it, and every
 *  other board import fails loudly, since SHA-512 must not call the board. */
function loadFirmware(): CryptoExports {
  const module = new WebAssembly.Module(readFileSync(firmwarePath));
  let memory: WebAssembly.Memory | undefined;
  const base = baseImports(() => memory!);
  const env: Record<string, unknown> = { ...base.env };
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== "env" || imp.kind !== "function" || imp.name in env) continue;
    env[imp.name] = (): never => { throw new Error(`SHA-512 called the board import env.${imp.name}`); };
  }
  const instance = new WebAssembly.Instance(module, { ...base, env: env as WebAssembly.ModuleImports });
  const exports = instance.exports as unknown as CryptoExports;
  memory = exports.memory;
  return exports;
}

const fw = new FirmwareCrypto(loadFirmware());
const exportsRaw: CryptoExports = fw.exports;
const io = exportsRaw.ioBufferPtr();
const ioBytes = exportsRaw.ioBufferBytes();
const DIGEST_BYTES = 64;

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const nodeSha512 = (b: Uint8Array): string => createHash("sha512").update(b).digest("hex");

/** Streams the parts through sha512Init/Update/Final, one update call per part. */
function streamed(parts: readonly Uint8Array[]): string {
  const e = exportsRaw;
  e.sha512Init();
  for (const part of parts) {
    if (DIGEST_BYTES + part.length > ioBytes) throw new RangeError("part does not fit the I/O buffer");
    new Uint8Array(e.memory.buffer).set(part, io + DIGEST_BYTES);
    e.sha512Update(io + DIGEST_BYTES, part.length);
  }
  e.sha512Final(io);
  return hex(new Uint8Array(e.memory.buffer).slice(io, io + DIGEST_BYTES));
}

test("CAVP SHA512ShortMsg: every vector", () => {
  const vectors = readRsp("SHA512ShortMsg.rsp");
  assert.equal(vectors.length, 129, "ShortMsg holds Len = 0..1024 bits in bytes");
  for (const v of vectors) {
    assert.equal(hex(fw.sha512(v.message)), v.digestHex, v.id);
  }
});

test("CAVP SHA512ShortMsg: streamed one byte at a time", () => {
  for (const v of readRsp("SHA512ShortMsg.rsp")) {
    const bytes = Array.from(v.message, (_, i) => v.message.subarray(i, i + 1));
    assert.equal(streamed(bytes), v.digestHex, v.id);
  }
});

test("CAVP SHA512LongMsg: every vector (streamed through the I/O buffer when long)", () => {
  const vectors = readRsp("SHA512LongMsg.rsp");
  assert.equal(vectors.length, 128);
  for (const v of vectors) {
    assert.equal(hex(fw.sha512(v.message)), v.digestHex, v.id);
  }
});

test("CAVP SHA512LongMsg: streamed in uneven chunks", () => {
  for (const v of readRsp("SHA512LongMsg.rsp")) {
    const parts: Uint8Array[] = [];
    let step = 1;
    for (let i = 0; i < v.message.length; i += step, step = (step * 37) % 1021 + 1) {
      parts.push(v.message.subarray(i, Math.min(i + step, v.message.length)));
    }
    assert.equal(streamed(parts), v.digestHex, v.id);
  }
});

// Lengths around every padding boundary (111/112 bytes, block multiples) and beyond.
const LENGTHS: readonly number[] = [
  ...Array.from({ length: 300 }, (_, i) => i),
  383, 384, 385, 495, 496, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 4031, 4032,
];

test("one-shot equals node:crypto on random inputs of many lengths", () => {
  for (const n of LENGTHS) {
    const data = randomBytes(n);
    assert.equal(hex(fw.sha512(data)), nodeSha512(data), `len ${n}, input ${data.toString("hex")}`);
  }
});

test("split into two updates at every offset equals one-shot and node:crypto", () => {
  for (const n of LENGTHS) {
    const data = randomBytes(n);
    const expected = nodeSha512(data);
    assert.equal(hex(fw.sha512(data)), expected, `one-shot len ${n}`);
    for (let cut = 0; cut <= n; cut++) {
      const got = streamed([data.subarray(0, cut), data.subarray(cut)]);
      if (got !== expected) assert.fail(`len ${n} split at ${cut}: ${got} != ${expected} (input ${data.toString("hex")})`);
    }
  }
});

test("split into three updates equals node:crypto", () => {
  for (const n of [0, 1, 111, 112, 127, 128, 129, 255, 256, 257, 300]) {
    const data = randomBytes(n);
    const expected = nodeSha512(data);
    for (let a = 0; a <= n; a += 1 + (a % 5)) {
      for (let b = a; b <= n; b += 1 + (b % 7)) {
        const got = streamed([data.subarray(0, a), data.subarray(a, b), data.subarray(b)]);
        if (got !== expected) assert.fail(`len ${n} split at ${a},${b}: ${got} != ${expected}`);
      }
    }
  }
});

test("a context can be reused after final", () => {
  const first = randomBytes(200);
  const second = randomBytes(17);
  assert.equal(streamed([first]), nodeSha512(first));
  assert.equal(streamed([second]), nodeSha512(second));
});

test("a fresh firmware instance agrees (no state leaks between instances)", () => {
  const other = new FirmwareCrypto(loadFirmware());
  const data = randomBytes(1000);
  assert.equal(hex(other.sha512(data)), nodeSha512(data));
});
