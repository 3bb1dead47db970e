// Board profiles: what the simulator, the image builder and the flasher know about a board.
import { type FlashGeometry } from "../sim/config.ts";
import { encodePartitionTable, partitionTableToCsv } from "./partitions.ts";
import { BoardError, type BoardPartition, type BoardProfile, type OfftapPartitionName } from "./profile.ts";

export * from "./profile.ts";
export * from "./partitions.ts";

/** A partition of the board by name; throws BoardError when the board has none. */
export function boardPartition(board: BoardProfile, name: string): BoardPartition {
  const p = board.partitions.find((x) => x.name === name);
  if (p === undefined) throw new BoardError(board.source, [{ path: "partitions", message: `no partition named '${name}'` }]);
  return p;
}

/** Where an offtap image goes: the `wasm` partition's absolute flash offset and size. */
export function wasmPartition(board: BoardProfile): { offset: number; size: number } {
  const p = boardPartition(board, "wasm");
  return { offset: p.offset, size: p.size };
}

/** The board's partition table as the bootloader reads it at `flash.partitionTableOffset` (0xC00 bytes). */
export function partitionTableBinary(board: BoardProfile): Uint8Array {
  return encodePartitionTable(board.partitions);
}

/** The board's partition table as a CSV for ESP-IDF's build (PARTITION_TABLE_CUSTOM_FILENAME). */
export function partitionTableCsv(board: BoardProfile): string {
  return partitionTableToCsv(board.partitions);
}

/** The ledger's geometry (docs/LEDGER.md §1, docs/CONFIG.md) from the board's partitions. */
export function boardGeometry(board: BoardProfile): FlashGeometry {
  const size = (name: OfftapPartitionName): number => boardPartition(board, name).size;
  return {
    ledgerBytes: size("ledger"), sectorBytes: board.flash.sectorBytes, pageBytes: board.flash.pageBytes,
    denyBytes: size("denylist"), configBytes: size("config"),
  };
}
