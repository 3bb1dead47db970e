// Writes the C header the board runtime is compiled with (boards/runtime/README.md): the
// board's id, mode, ABI version, flash geometry, the offtap partitions, the memory budget
// and the trusted release public key. A board whose NFC front end has no driver in
// boards/runtime/drivers/ is refused, as `offtap image build` refuses it.
// Usage: node --import tsx tools/runtime/board-header.ts --board ID --release-key FILE --out FILE
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { boardPartition, loadBoard, type BoardProfile } from "../../host/boards/index.ts";

const USAGE = "usage: board-header --board ID --release-key KEY.json --out FILE.h";

function cHex(hex: string): string {
  return (hex.match(/../g) ?? []).map((b) => `0x${b}`).join(", ");
}

function header(b: BoardProfile, releasePublicKeyHex: string): string {
  const part = (name: string): string[] => {
    const p = boardPartition(b, name);
    const n = name.toUpperCase();
    return [
      `#define OT_BOARD_${n}_OFFSET 0x${p.offset.toString(16)}u`,
      `#define OT_BOARD_${n}_BYTES 0x${p.size.toString(16)}u`,
    ];
  };
  return [
    `/* Generated from boards/${b.id}.json by tools/runtime/board-header.ts; do not edit. */`,
    "#ifndef OT_BOARD_H",
    "#define OT_BOARD_H",
    `#define OT_BOARD_ID "${b.id}"`,
    `#define OT_BOARD_ABI_VERSION ${b.abiVersion}`,
    `#define OT_BOARD_MODE ${b.mode === "kiosk" ? 1 : 0}`,
    `#define OT_BOARD_FLASH_BYTES 0x${b.flash.sizeBytes.toString(16)}u`,
    `#define OT_BOARD_SECTOR_BYTES ${b.flash.sectorBytes}u`,
    `#define OT_BOARD_PAGE_BYTES ${b.flash.pageBytes}u`,
    ...part("wasm"), ...part("ledger"), ...part("denylist"), ...part("config"),
    `#define OT_BOARD_NFC_BUS "${b.nfc.bus}"`,
    `#define OT_BOARD_GATE_PULSE_MS ${b.signals.gateRelay?.pulseMs ?? 0}u`,
    `#define OT_BOARD_WASM3_STACK_BYTES ${b.memory.wasm3StackBytes}u`,
    `#define OT_BOARD_LINEAR_MEMORY_PAGES ${b.memory.linearMemoryPages}u`,
    `#define OT_BOARD_HEAP_BYTES ${b.memory.heapBytes}u`,
    `#define OT_BOARD_RAM_BYTES ${b.chip.ramBytes}u`,
    `#define OT_BOARD_RELEASE_PUBLIC_KEY { ${cHex(releasePublicKeyHex)} }`,
    "#endif",
    "",
  ].join("\n");
}

function main(): number {
  let values;
  try {
    const options = {
      board: { type: "string" }, "release-key": { type: "string" }, out: { type: "string" },
      help: { type: "boolean" },
    } as const;
    ({ values } = parseArgs({ options }));
  } catch (e) {
    console.error(`board-header: ${(e as Error).message} (${USAGE})`);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const keyFile = values["release-key"];
  if (values.board === undefined || keyFile === undefined || values.out === undefined) {
    console.error(`board-header: --board, --release-key and --out are required (${USAGE})`);
    return 2;
  }
  const board = loadBoard(values.board);
  if (board.nfc.chip !== "PN532") {
    console.error(`board-header: board ${board.id}'s NFC front end ${board.nfc.chip} has no ` +
      "driver in boards/runtime/drivers (use a PN532 board)");
    return 1;
  }
  const key = JSON.parse(readFileSync(keyFile, "utf8")) as { publicKey?: unknown };
  if (typeof key.publicKey !== "string" || !/^[0-9a-f]{64}$/.test(key.publicKey)) {
    console.error(`board-header: ${keyFile} has no 64-digit publicKey (an offtap release key)`);
    return 2;
  }
  writeFileSync(values.out, header(board, key.publicKey));
  return 0;
}

process.exitCode = main();
