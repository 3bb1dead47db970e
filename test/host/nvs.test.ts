// host/nvs/ against partitions made by ESP-IDF's nvs_partition_gen.py (test/vectors/nvs/,
// provenance in docs/NVS.md): written byte for byte from the same CSV, plain and
// encrypted, and read back to the same entries.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  NvsError,
  decodeNvsKeys,
  decodeNvsPartition,
  encodeNvsKeys,
  encodeNvsPartition,
  type NvsNamespace,
  type NvsValue,
} from "../../host/nvs/index.ts";

const DIR = path.join("test", "vectors", "nvs");
const read = (f: string): Uint8Array => new Uint8Array(readFileSync(path.join(DIR, f)));

/** nvs_partition_gen.py's CSV: key,type,encoding,value (no quoting needed in these files). */
function fromCsv(file: string): NvsNamespace[] {
  const rows = readFileSync(path.join(DIR, file), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(","));
  const out: NvsNamespace[] = [];
  for (const [key, type, encoding, value] of rows) {
    if (type === "namespace") {
      out.push({ name: key!, items: [] });
      continue;
    }
    let v: NvsValue;
    if (encoding === "string") v = { type: "string", value: value! };
    else if (encoding === "hex2bin")
      v = { type: "blob", value: new Uint8Array(Buffer.from(value!, "hex")) };
    else v = { type: encoding as "u8", value: BigInt(value!) };
    out.at(-1)!.items.push({ key: key!, value: v });
  }
  return out;
}

const firstDiff = (a: Uint8Array, b: Uint8Array): number => a.findIndex((x, i) => x !== b[i]);

const VECTORS = [
  { csv: "seed.csv", bin: "seed-0x5000.bin", size: 0x5000 },
  { csv: "seed.csv", bin: "seed-0x4000.bin", size: 0x4000 },
  { csv: "mixed.csv", bin: "mixed-0x6000.bin", size: 0x6000 },
  { csv: "seed.csv", bin: "seed-0x5000-encrypted.bin", size: 0x5000, encrypted: true },
  { csv: "mixed.csv", bin: "mixed-0x6000-encrypted.bin", size: 0x6000, encrypted: true },
];

for (const v of VECTORS) {
  test(`NVS ${v.bin}: byte for byte as nvs_partition_gen.py wrote it, and read back`, () => {
    const key = v.encrypted === true ? decodeNvsKeys(read("nvs-keys.bin")) : undefined;
    const expected = read(v.bin);
    const namespaces = fromCsv(v.csv);
    const written = encodeNvsPartition(namespaces, v.size, { encryptionKey: key });
    assert.equal(written.length, expected.length);
    const at = firstDiff(written, expected);
    assert.equal(
      at,
      -1,
      `${v.bin}: first difference at byte 0x${at.toString(16)} (page ${at >> 12})`,
    );
    const back = decodeNvsPartition(expected, { encryptionKey: key });
    assert.deepEqual(back.problems, []);
    const flat = namespaces.flatMap((ns) =>
      ns.items.map((i) => ({ namespace: ns.name, key: i.key, value: i.value })),
    );
    assert.deepEqual(back.entries, flat);
  });
}

test("NVS keys partition: layout and CRC as nvs_partition_gen.py writes it", () => {
  const file = read("nvs-keys.bin");
  const key = decodeNvsKeys(file);
  assert.deepEqual([...key.subarray(0, 3)], [1, 8, 15]);
  assert.deepEqual(encodeNvsKeys(key), file);
  const damaged = file.slice();
  damaged[10]! ^= 1;
  assert.throws(() => decodeNvsKeys(damaged), /CRC-32 mismatch/);
});

test("NVS reader reports damage instead of inventing values", () => {
  const bin = read("seed-0x5000.bin").slice();
  bin[64 + 32 + 8]! ^= 0x01; // the blob chunk header's key
  const r = decodeNvsPartition(bin);
  assert.ok(
    r.problems.some((p) => /header CRC mismatch/.test(p)),
    r.problems.join("; "),
  );
  assert.ok(!r.entries.some((e) => e.value.type === "blob" && e.key === "device_seed"));
  const wrongKey = decodeNvsPartition(read("seed-0x5000-encrypted.bin"), {
    encryptionKey: new Uint8Array(64),
  });
  assert.equal(wrongKey.entries.length, 0);
  assert.ok(wrongKey.problems.length > 0);
});

test("NVS writer refuses what ESP-IDF would not read", () => {
  const ns = (items: NvsNamespace["items"]): NvsNamespace[] => [{ name: "offtap", items }];
  assert.throws(() => encodeNvsPartition(ns([]), 0x2000), NvsError);
  assert.throws(
    () =>
      encodeNvsPartition(
        ns([{ key: "a_key_that_is_too_long", value: { type: "u8", value: 1n } }]),
        0x3000,
      ),
    /1 … 15/,
  );
  assert.throws(
    () => encodeNvsPartition(ns([{ key: "k", value: { type: "u8", value: 256n } }]), 0x3000),
    /does not fit u8/,
  );
  assert.throws(
    () =>
      encodeNvsPartition(
        ns([{ key: "k", value: { type: "string", value: "x".repeat(4000) } }]),
        0x3000,
      ),
    /exceeds 4000/,
  );
  assert.throws(
    () =>
      encodeNvsPartition(
        ns([{ key: "k", value: { type: "blob", value: new Uint8Array(9000) } }]),
        0x3000,
      ),
    /do not fit/,
  );
});
