// Host-side handle on the firmware's crypto exports: copies bytes into the firmware's
// I/O buffer, calls the export, copies results out. One instance = one firmware.
import { readFileSync } from "node:fs";
import { firmwarePath } from "./paths.ts";

export interface CryptoExports {
  memory: WebAssembly.Memory;
  ioBufferPtr(): number;
  ioBufferBytes(): number;
  sha512(data: number, len: number, out: number): void;
  sha512Init(): void;
  sha512Update(data: number, len: number): void;
  sha512Final(out: number): void;
  ed25519Verify(pk: number, msg: number, len: number, sig: number): number;
  ed25519VerifyBegin(pk: number, sig: number): number;
  ed25519VerifyUpdate(msg: number, len: number): void;
  ed25519VerifyEnd(): number;
  ed25519RegisterKey(slot: number, pk: number): number;
  ed25519VerifyRegistered(slot: number, msg: number, len: number, sig: number): number;
  ed25519VerifyHinted(
    pk: number, msg: number, len: number, sig: number, rHint: number, pkHint: number,
  ): number;
  ed25519VerifyRegisteredHinted(
    slot: number, msg: number, len: number, sig: number, rHint: number,
  ): number;
  ed25519PublicKey(seed: number, pkOut: number): void;
  ed25519Sign(sk: number, msg: number, len: number, sigOut: number): void;
}

/** Decodes an AssemblyScript string (UTF-16, length at ptr - 4) for abort messages. */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  const bytes = new Uint8Array(memory.buffer);
  const lenBytes = new DataView(memory.buffer).getUint32(ptr - 4, true);
  let s = "";
  for (let i = 0; i < lenBytes; i += 2) s += String.fromCharCode(bytes[ptr + i]! | (bytes[ptr + i + 1]! << 8));
  return s;
}

export class FirmwareAbort extends Error {}

/** Imports every board must provide at minimum: abort is a firmware bug, never an expected failure. */
export function baseImports(getMemory: () => WebAssembly.Memory): WebAssembly.Imports {
  return {
    env: {
      abort(msg: number, file: number, line: number, col: number): never {
        const m = getMemory();
        throw new FirmwareAbort(`firmware abort: ${readAsString(m, msg)} at ${readAsString(m, file)}:${line}:${col}`);
      },
    },
  };
}

export function loadCryptoExports(wasmPath: string = firmwarePath): CryptoExports {
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  let memory: WebAssembly.Memory | undefined;
  const imports = baseImports(() => memory!);
  // A crypto-only handle is a board without peripherals: every other function import
  // (flash, NFC, clock, …) answers -3 (ERR_PARTITION / no such device).
  const env = imports.env as Record<string, unknown>;
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === "env" && imp.kind === "function" && !(imp.name in env)) env[imp.name] = (): number => -3;
  }
  const instance = new WebAssembly.Instance(module, imports);
  const exports = instance.exports as unknown as CryptoExports;
  memory = exports.memory;
  return exports;
}

const PK_BYTES = 32;
const SIG_BYTES = 64;
const DIGEST_BYTES = 64;

/** Byte-level convenience wrapper used by tests, vectors, the CLI and benchmarks. */
export class FirmwareCrypto {
  readonly exports: CryptoExports;
  private readonly io: number;
  private readonly ioBytes: number;

  constructor(exports: CryptoExports = loadCryptoExports()) {
    this.exports = exports;
    this.io = exports.ioBufferPtr();
    this.ioBytes = exports.ioBufferBytes();
  }

  private mem(): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer);
  }

  private put(offset: number, bytes: Uint8Array): number {
    if (offset + bytes.length > this.ioBytes) throw new RangeError(`input of ${bytes.length} bytes does not fit the ${this.ioBytes}-byte I/O buffer`);
    this.mem().set(bytes, this.io + offset);
    return this.io + offset;
  }

  private get(ptr: number, len: number): Uint8Array {
    return this.mem().slice(ptr, ptr + len);
  }

  sha512(data: Uint8Array): Uint8Array {
    const e = this.exports;
    const out = this.io;
    if (data.length + DIGEST_BYTES <= this.ioBytes) {
      const p = this.put(DIGEST_BYTES, data);
      e.sha512(p, data.length, out);
      return this.get(out, DIGEST_BYTES);
    }
    e.sha512Init();
    const chunk = this.ioBytes - DIGEST_BYTES;
    for (let i = 0; i < data.length; i += chunk) {
      const part = data.subarray(i, Math.min(i + chunk, data.length));
      e.sha512Update(this.put(DIGEST_BYTES, part), part.length);
    }
    e.sha512Final(out);
    return this.get(out, DIGEST_BYTES);
  }

  /** Returns the firmware's VerifyStatus (0 = valid). Inputs of the wrong length are the caller's bug. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): number {
    if (publicKey.length !== PK_BYTES || signature.length !== SIG_BYTES) {
      throw new RangeError(`public key must be ${PK_BYTES} bytes and signature ${SIG_BYTES} bytes`);
    }
    const e = this.exports;
    const head = PK_BYTES + SIG_BYTES;
    const pk = this.put(0, publicKey);
    const sig = this.put(PK_BYTES, signature);
    if (head + message.length <= this.ioBytes) {
      const msg = this.put(head, message);
      return e.ed25519Verify(pk, msg, message.length, sig);
    }
    const status = e.ed25519VerifyBegin(pk, sig);
    if (status !== 0) return status;
    const chunk = this.ioBytes - head;
    for (let i = 0; i < message.length; i += chunk) {
      const part = message.subarray(i, Math.min(i + chunk, message.length));
      e.ed25519VerifyUpdate(this.put(head, part), part.length);
    }
    return e.ed25519VerifyEnd();
  }

  registerKey(slot: number, publicKey: Uint8Array): number {
    return this.exports.ed25519RegisterKey(slot, this.put(0, publicKey));
  }

  verifyRegistered(slot: number, message: Uint8Array, signature: Uint8Array): number {
    const sig = this.put(0, signature);
    const msg = this.put(SIG_BYTES, message);
    return this.exports.ed25519VerifyRegistered(slot, msg, message.length, sig);
  }

  /** verify() with decoding hints (docs/PROTOCOL.md, "Decoding hints"): x of R and x of
   *  the key, 32 bytes each, or null for none. The message must fit the I/O buffer. */
  verifyHinted(
    publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array,
    rHint: Uint8Array | null, keyHint: Uint8Array | null,
  ): number {
    const pk = this.put(0, publicKey);
    const sig = this.put(PK_BYTES, signature);
    const r = rHint === null ? 0 : this.put(PK_BYTES + SIG_BYTES, rHint);
    const k = keyHint === null ? 0 : this.put(PK_BYTES + SIG_BYTES + 32, keyHint);
    const msg = this.put(PK_BYTES + SIG_BYTES + 64, message);
    return this.exports.ed25519VerifyHinted(pk, msg, message.length, sig, r, k);
  }

  verifyRegisteredHinted(
    slot: number, message: Uint8Array, signature: Uint8Array, rHint: Uint8Array | null,
  ): number {
    const sig = this.put(0, signature);
    const r = rHint === null ? 0 : this.put(SIG_BYTES, rHint);
    const msg = this.put(SIG_BYTES + 32, message);
    return this.exports.ed25519VerifyRegisteredHinted(slot, msg, message.length, sig, r);
  }

  publicKey(seed: Uint8Array): Uint8Array {
    const s = this.put(0, seed);
    this.exports.ed25519PublicKey(s, this.io + 32);
    return this.get(this.io + 32, PK_BYTES);
  }

  /** RFC 8032 signature with a 64-byte secret key (seed || public key). */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
    if (secretKey.length !== 64) throw new RangeError("secret key must be 64 bytes (seed || public key)");
    const sk = this.put(0, secretKey);
    const sigOut = this.io + 64;
    const msg = this.put(128, message);
    this.exports.ed25519Sign(sk, msg, message.length, sigOut);
    return this.get(sigOut, SIG_BYTES);
  }
}
