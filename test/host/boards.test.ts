// Board profiles and the ESP-IDF partition table: the shipped profiles validate, their
// tables are byte-identical to what ESP-IDF's gen_esp32part.py makes of them, real tables
// decode, and every validation rule reports the JSON path of the problem.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import {
  BoardError, boardGeometry, checkBoard, decodePartitionTable, encodePartitionTable, listBoards, loadBoard, partitionTableBinary,
  partitionTableCsv, partitionTableFromCsv, wasmPartition, PartitionTableError, type PartitionEntry,
} from "../../host/boards/index.ts";
import type { Json } from "../../host/boards/schema.ts";
import { repoRoot } from "../../host/firmware/paths.ts";

const vectors = path.join(repoRoot, "test", "vectors", "image", "partitions");
const BOARDS = ["esp32-gate-pn532", "esp32s3-kiosk-pn532"];
const raw = (id: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(repoRoot, "boards", `${id}.json`), "utf8")) as Record<string, unknown>;
const vec = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(vectors, name)));
const text = (name: string): string => readFileSync(path.join(vectors, name), "utf8");

/** Applies an edit to a fresh copy of a shipped profile and validates it under its own file name. */
function errorsAfter(id: string, edit: (j: Record<string, any>) => void): string[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const j = structuredClone(raw(id));
  edit(j);
  return checkBoard(j as Json, `boards/${id}.json`).errors.map((e) => `${e.path}: ${e.message}`);
}

function assertError(errors: string[], pattern: RegExp): void {
  assert.ok(errors.some((e) => pattern.test(e)), `expected an error matching ${pattern}, got:\n${errors.join("\n")}`);
}

test("both shipped board profiles validate and are listed", () => {
  assert.deepEqual(listBoards().filter((b) => BOARDS.includes(b)), BOARDS);
  for (const id of BOARDS) {
    const r = checkBoard(raw(id) as Json, `boards/${id}.json`);
    assert.deepEqual(r.errors, [], id);
    assert.deepEqual(r.warnings, [], `${id} has no strapping-pin warnings`);
    assert.equal(loadBoard(id).id, id);
  }
});

test("each board's table is byte-identical to ESP-IDF gen_esp32part.py's output for its CSV", () => {
  for (const id of BOARDS) {
    const board = loadBoard(id);
    assert.deepEqual(partitionTableBinary(board), vec(`${id}.bin`), id);
    // The CSV we hand to ESP-IDF (committed as the tool's input) is the one we write.
    assert.equal(partitionTableCsv(board), text(`${id}.csv`));
  }
});

test("wasmPartition and boardGeometry give the profile's own numbers", () => {
  for (const id of BOARDS) {
    const parts = raw(id)["partitions"] as { name: string; offset: string; size: string }[];
    const byName = (n: string): { offset: number; size: number } => {
      const p = parts.find((x) => x.name === n)!;
      return { offset: parseInt(p.offset, 16), size: parseInt(p.size, 16) };
    };
    const board = loadBoard(id);
    assert.deepEqual(wasmPartition(board), byName("wasm"));
    const g = boardGeometry(board);
    assert.equal(g.ledgerBytes, byName("ledger").size);
    assert.equal(g.denyBytes, byName("denylist").size);
    assert.equal(g.configBytes, byName("config").size);
    assert.equal(g.sectorBytes, 4096);
    assert.equal(g.pageBytes, 256);
  }
});

const IDF_TABLES = ["esp-idf-partitions_two_ota", "esp-idf-partitions_two_ota_coredump", "esp-idf-partitions_singleapp_encr_nvs"];

test("ESP-IDF's own CSVs (empty offsets, K/M sizes, numeric types, flags) encode to the bytes its tool produced", () => {
  for (const name of IDF_TABLES) {
    const entries = partitionTableFromCsv(text(`${name}.csv`));
    assert.deepEqual(encodePartitionTable(entries), vec(`${name}.bin`), name);
  }
});

test("every vector table decodes to the entries ESP-IDF's tool lists for it, and re-encodes to itself", () => {
  for (const name of [...IDF_TABLES, ...BOARDS, "clevercoffee-partitions"]) {
    const bin = vec(`${name}.bin`);
    const decoded = decodePartitionTable(bin);
    assert.equal(decoded.md5, true, name);
    assert.deepEqual(decoded.entries, partitionTableFromCsv(text(`${name}.expected.csv`)), name);
    assert.deepEqual(encodePartitionTable(decoded.entries), bin, name);
  }
});

test("the binary layout matches the ESP-IDF format: entry fields, MD5 entry, 0xFF padding", () => {
  const bin = vec("clevercoffee-partitions.bin");
  assert.equal(bin.length, 0xc00);
  const count = decodePartitionTable(bin).entries.length;
  const md5At = count * 32;
  assert.deepEqual([...bin.subarray(md5At, md5At + 16)], [0xeb, 0xeb, ...new Array(14).fill(0xff)]);
  assert.deepEqual(Buffer.from(bin.subarray(md5At + 16, md5At + 32)), createHash("md5").update(bin.subarray(0, md5At)).digest());
  assert.ok(bin.subarray(md5At + 32).every((b) => b === 0xff));
  const e: PartitionEntry = decodePartitionTable(bin).entries[2]!;
  const v = new DataView(bin.buffer, bin.byteOffset + 64, 32);
  assert.deepEqual([bin[64], bin[65]], [0xaa, 0x50]);
  assert.equal(e.offset, v.getUint32(4, true));
  assert.equal(e.size, v.getUint32(8, true));
  assert.equal(e.name, "app0");
});

test("damaged tables are refused: MD5 mismatch, bad magic, no end marker", () => {
  const bin = vec("esp32-gate-pn532.bin");
  const flipped = Uint8Array.from(bin);
  flipped[4] = flipped[4]! ^ 1;
  assert.throws(() => decodePartitionTable(flipped), /MD5/);
  const badMagic = Uint8Array.from(bin);
  badMagic[32] = 0x00;
  assert.throws(() => decodePartitionTable(badMagic), /magic/);
  const noEnd = new Uint8Array(0xc00).fill(0);
  for (let i = 0; i < 0xc00; i += 32) { noEnd[i] = 0xaa; noEnd[i + 1] = 0x50; noEnd[i + 12] = 0x61; }
  assert.throws(() => decodePartitionTable(noEnd), /end-of-table/);
});

test("CSV errors name the line: overlaps, unknown keywords, bad numbers", () => {
  assert.throws(() => partitionTableFromCsv("nvs,data,nvs,0x9000,0x6000\nphy,data,phy,0xa000,0x1000\n"), (e: Error) => e instanceof PartitionTableError && /line 2: offset 0xa000 overlaps/.test(e.message));
  assert.throws(() => partitionTableFromCsv("x,data,bogus,0x9000,4K\n"), /line 1: subtype 'bogus' is not a number/);
  assert.throws(() => partitionTableFromCsv("x,data,nvs,0x9000,010\n"), /size '010' is not a number/);
  assert.throws(() => partitionTableFromCsv("averyveryverylongname,data,nvs,0x9000,4K\n"), /1 … 16 bytes/);
});

test("validation names the JSON path of each problem", () => {
  const gate = "esp32-gate-pn532";
  const factory = 3; // partitions[3] is the factory app in the gate profile
  assertError(errorsAfter(gate, (j) => { j.partitions[factory].offset = "0x11000"; }),
    /^partitions\[3\]\.offset: 0x11000 is not 64 KiB aligned for an app partition$/);
  assertError(errorsAfter(gate, (j) => { j.partitions[4].offset = "0x190800"; }), /^partitions\[4\]\.offset: 0x190800 is not 4 KiB aligned for a data partition$/);
  assertError(errorsAfter(gate, (j) => { j.partitions[5].offset = "0x198000"; }), /^partitions\[5\]\.offset: 'ledger' at 0x198000 overlaps 'wasm'/);
  assertError(errorsAfter(gate, (j) => { j.partitions[6].offset = "0x3fc000"; }), /^partitions\[6\]\.size: 'denylist' ends at 0x404000, beyond the 4096 KiB flash/);
  assertError(errorsAfter(gate, (j) => { j.partitions.splice(5, 1); }), /^partitions: missing the 'ledger' partition/);
  assertError(errorsAfter(gate, (j) => { j.partitions[4].subtype = "0x41"; }), /^partitions\[4\]: 'wasm' must be data\/0x40/);
  assertError(errorsAfter(gate, (j) => { j.partitions[4].size = "0x8000"; }), /^partitions\[4\]\.size: 0x8000 cannot hold an image/);
  assertError(errorsAfter(gate, (j) => { j.partitions[6].size = "0x3000"; }), /^partitions\[6\]\.size: 0x3000 must be a multiple of two sectors/);
  assertError(errorsAfter(gate, (j) => { j.partitions[1].name = "nvs"; }), /^partitions\[1\]\.name: 'nvs' is already the name of partitions\[0\]/);
  assertError(errorsAfter(gate, (j) => { j.partitions[0].offset = "0x8000"; }), /^partitions\[0\]\.offset: 0x8000 lies below the end of the partition table sector/);
});

test("validation checks pins, memory and mode against the chip and the device profile", () => {
  const gate = "esp32-gate-pn532";
  assertError(errorsAfter(gate, (j) => { j.signals.buzzer.pin = 18; }), /^signals\.buzzer\.pin: GPIO 18 is already used by nfc\.pins\.sck$/);
  assertError(errorsAfter(gate, (j) => { j.signals.gateRelay.pin = 34; }), /^signals\.gateRelay\.pin: GPIO 34 is input-only/);
  assertError(errorsAfter(gate, (j) => { j.nfc.pins.cs = 7; }), /^nfc\.pins\.cs: GPIO 7 is wired to the module's SPI flash$/);
  assertError(errorsAfter(gate, (j) => { j.nfc.pins.cs = 20; }), /^nfc\.pins\.cs: GPIO 20 does not exist on the esp32$/);
  assertError(errorsAfter(gate, (j) => { delete j.nfc.pins.miso; }), /^nfc\.pins: the spi bus needs pin 'miso'$/);
  assertError(errorsAfter(gate, (j) => { j.memory.linearMemoryPages = 3; }), /^memory\.linearMemoryPages: 3 pages exceed the device profile's 2$/);
  assertError(errorsAfter(gate, (j) => { j.memory.heapBytes = 163840; }), /^memory: .* exceeds chip\.ramBytes 320 KiB$/);
  assertError(errorsAfter(gate, (j) => { delete j.signals.gateRelay; }), /^signals: a gate board needs signals\.gateRelay$/);
  assertError(errorsAfter(gate, (j) => { j.defaults.fare = 20000; }), /^defaults\.fare: a gate's fare 20000 must lie within/);
  assertError(errorsAfter("esp32s3-kiosk-pn532", (j) => { j.defaults.fare = 100; }), /^defaults\.fare: a kiosk has no fixed fare/);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const pn5180 = (j: Record<string, any>): void => {
    j.nfc.chip = "PN5180";
    j.nfc.spi.bitOrder = "msb-first";
  };
  const kiosk = "esp32s3-kiosk-pn532";
  assertError(errorsAfter(kiosk, pn5180), /^nfc\.pins: the PN5180 needs pin 'busy'$/);
  // The runtime has no PN5180 driver (no ISO-DEP in its hardware): such a board is refused.
  assertError(errorsAfter(kiosk, pn5180), /^nfc\.chip: the board runtime has no driver for/);
  const i2c = (j: Record<string, any>): void => { j.nfc.bus = "i2c"; }; // eslint-disable-line
  assertError(errorsAfter(gate, i2c), /^nfc\.bus: the runtime's PN532 driver/);
  assertError(errorsAfter(gate, (j) => { j.deviceProfile = "other"; }), /^deviceProfile: 'other' is not the device profile 'wasm3-esp32'/);
  assertError(errorsAfter(gate, (j) => { j.id = "esp32-other"; }), /^id: 'esp32-other' differs from the file name/);
});

test("schema findings: unknown properties, wrong types, enums, missing fields", () => {
  const gate = "esp32-gate-pn532";
  assertError(errorsAfter(gate, (j) => { j.colour = "red"; }), /^colour: is not a known property$/);
  assertError(errorsAfter(gate, (j) => { j.flash.sizeBytes = "4MB"; }), /^flash\.sizeBytes: "4MB" is not one of/);
  assertError(errorsAfter(gate, (j) => { j.mode = "turnstile"; }), /^mode: "turnstile" is not one of "gate", "kiosk"$/);
  assertError(errorsAfter(gate, (j) => { delete j.memory; }), /^\(document\): missing required property 'memory'$/);
  assertError(errorsAfter(gate, (j) => { j.partitions[2].offset = "61440"; }), /^partitions\[2\]\.offset: '61440' does not match/);
  assertError(errorsAfter(gate, (j) => { j.nfc.pins.sck = "18"; }), /^nfc\.pins\.sck: expected integer, got string$/);
});

test("loadBoard refuses unknown ids and reports every finding with the file name", () => {
  assert.throws(() => loadBoard("no-such-board"), (e: Error) => e instanceof BoardError && /boards\/no-such-board\.json: \(file\): no board 'no-such-board'/.test(e.message));
  assert.throws(() => loadBoard("../boards/esp32-gate-pn532"), BoardError);
});

test("the simulator takes geometry, mode and defaults from a board profile, and runs a tap on it", async () => {
  const { SimWorld } = await import("../../host/sim/world.ts");
  const kiosk = raw("esp32s3-kiosk-pn532") as { defaults: Record<string, number>; partitions: { name: string; size: string }[] };
  const world = new SimWorld({ seed: 3, board: loadBoard("esp32s3-kiosk-pn532") });
  assert.equal(world.config.mode, "kiosk");
  assert.equal(world.config.fare, 0);
  assert.equal(world.config.amountMax, kiosk.defaults["amountMax"]);
  assert.equal(world.config.nfcTimeoutMs, kiosk.defaults["nfcTimeoutMs"]);
  assert.equal(world.config.geometry.ledgerBytes, parseInt(kiosk.partitions.find((p) => p.name === "ledger")!.size, 16));
  assert.equal(world.board.geometry.denyBytes, parseInt(kiosk.partitions.find((p) => p.name === "denylist")!.size, 16));
  const r = world.tap(world.createWallet(), 1234);
  assert.equal(r.reason, "ACCEPTED");
  const over = world.tap(world.createWallet(), kiosk.defaults["amountMax"]! + 1);
  assert.equal(over.reason, "AMOUNT_OUT_OF_LIMITS");
  const gate = new SimWorld({ seed: 3, board: loadBoard("esp32-gate-pn532") });
  assert.equal(gate.config.mode, "gate");
  assert.equal(gate.config.fare, (raw("esp32-gate-pn532")["defaults"] as Record<string, number>)["fare"]);
});
