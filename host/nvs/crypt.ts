// NVS encryption (docs/NVS.md): each 32-byte entry encrypted on its own with XTS-AES-256,
// the tweak being the entry's address in the partition; and the NVS keys partition.
import { createCipheriv, createDecipheriv } from "node:crypto";
import {
  ENTRY_BYTES,
  FIRST_ENTRY_OFFSET,
  NVS_KEY_BYTES,
  NvsError,
  PAGE_BYTES,
  nvsCrc32,
} from "./format.ts";

function tweak(page: number, entry: number): Uint8Array {
  const t = new Uint8Array(16);
  new DataView(t.buffer).setUint32(
    0,
    page * PAGE_BYTES + FIRST_ENTRY_OFFSET + entry * ENTRY_BYTES,
    true,
  );
  return t;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== NVS_KEY_BYTES)
    throw new NvsError(`an NVS key is ${NVS_KEY_BYTES} bytes (eky ‖ tky), got ${key.length}`);
}

function run(decrypt: boolean, block: Uint8Array, key: Uint8Array, t: Uint8Array): Uint8Array {
  const c = decrypt
    ? createDecipheriv("aes-256-xts", key, t)
    : createCipheriv("aes-256-xts", key, t);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
}

/** Encrypts `count` entries starting at entry `first` of page `page`; short data is padded with
 *  0xFF. */
export function encryptEntries(
  data: Uint8Array,
  count: number,
  page: number,
  first: number,
  key: Uint8Array,
): Uint8Array {
  checkKey(key);
  const out = new Uint8Array(count * ENTRY_BYTES).fill(0xff);
  out.set(data.subarray(0, out.length));
  for (let i = 0; i < count; i++) {
    const at = i * ENTRY_BYTES;
    out.set(run(false, out.subarray(at, at + ENTRY_BYTES), key, tweak(page, first + i)), at);
  }
  return out;
}

export function decryptEntry(
  entry: Uint8Array,
  page: number,
  index: number,
  key: Uint8Array,
): Uint8Array {
  checkKey(key);
  return run(true, entry, key, tweak(page, index));
}

/** The 4096-byte NVS keys partition: eky ‖ tky, their CRC-32, 0xFF. */
export function encodeNvsKeys(key: Uint8Array): Uint8Array {
  checkKey(key);
  const out = new Uint8Array(PAGE_BYTES).fill(0xff);
  out.set(key);
  new DataView(out.buffer).setUint32(NVS_KEY_BYTES, nvsCrc32(key), true);
  return out;
}

export function decodeNvsKeys(part: Uint8Array): Uint8Array {
  if (part.length < NVS_KEY_BYTES + 4)
    throw new NvsError("an NVS keys partition holds at least 68 bytes");
  const key = part.slice(0, NVS_KEY_BYTES);
  const crc = new DataView(part.buffer, part.byteOffset).getUint32(NVS_KEY_BYTES, true);
  if (crc !== nvsCrc32(key))
    throw new NvsError("NVS keys partition: CRC-32 mismatch (not a keys partition, or damaged)");
  return key;
}
