// The scripted board's flash: NOR semantics as boards/ABI.md states them (programs only
// clear bits and never cross a program page, erases set a whole sector to 0xFF), with
// partitions declared by the script. Partitions are far larger than this module's
// memory, so they are stored sparsely: each 256-byte block is either unmapped (reads
// erased) or mapped to one of TAPRUNNER_FLASH_STORED_BLOCKS stored blocks.
import {
  TAPRUNNER_FLASH_BLOCK_BYTES as BLOCK, TAPRUNNER_FLASH_MAP_BLOCKS, TAPRUNNER_FLASH_STORED_BLOCKS,
} from "../limits";
import { fatal } from "./fatal";

export const ERR_BOUNDS: i32 = -1;
export const ERR_IO: i32 = -2;
export const ERR_PARTITION: i32 = -3;

/** Partition ids 0 ledger, 1 deny list, 2 config (boards/ABI.md). */
const PARTITIONS_MAX: i32 = 3;
const BLOCK_SHIFT: i32 = 8; // log2(BLOCK)

// Per partition: size, sector and page bytes, and where its blocks start in the map.
const partSize: usize = memory.data(PARTITIONS_MAX * 4, 4);
const partSector: usize = memory.data(PARTITIONS_MAX * 4, 4);
const partPage: usize = memory.data(PARTITIONS_MAX * 4, 4);
const partMapBase: usize = memory.data(PARTITIONS_MAX * 4, 4);
let mapUsed: i32 = 0;

/** Map entry per block: 0 = erased, else stored block index + 1. */
const blockMap: usize = memory.data(TAPRUNNER_FLASH_MAP_BLOCKS * 2, 4);
const stored: usize = memory.data(TAPRUNNER_FLASH_STORED_BLOCKS * BLOCK, 16);
const storedInUse: usize = memory.data(TAPRUNNER_FLASH_STORED_BLOCKS, 4);

/** Programs that fail with ERR_IO before touching flash (fault injection, `fail-programs`). */
export let failPrograms: i32 = 0;
export function setFailPrograms(n: i32): void { failPrograms = n; }

@inline function get(table: usize, id: i32): i32 { return load<i32>(table + (<usize>id << 2)); }
@inline function isPow2(n: i32): bool { return n > 0 && (n & (n - 1)) == 0; }

/** Declares partition id (once). 0 on success, else a negative code for the script error. */
export function declarePartition(id: i32, sizeBytes: i32, sectorBytes: i32, pageBytes: i32): i32 {
  if (id < 0 || id >= PARTITIONS_MAX || get(partSize, id) != 0) return -1;
  if (!isPow2(sectorBytes) || !isPow2(pageBytes) || pageBytes > sectorBytes || sectorBytes < BLOCK) return -2;
  if (sizeBytes <= 0 || sizeBytes % sectorBytes != 0) return -2;
  const blocks = sizeBytes >> BLOCK_SHIFT;
  if (blocks > TAPRUNNER_FLASH_MAP_BLOCKS - mapUsed) return -3;
  store<i32>(partSize + (<usize>id << 2), sizeBytes);
  store<i32>(partSector + (<usize>id << 2), sectorBytes);
  store<i32>(partPage + (<usize>id << 2), pageBytes);
  store<i32>(partMapBase + (<usize>id << 2), mapUsed);
  mapUsed += blocks;
  return 0;
}

@inline function memoryOk(ptr: usize, len: i32): bool {
  return len >= 0 && <u64>ptr + <u64>len <= (<u64>memory.size() << 16);
}

/** Status for a partition range: 0, ERR_PARTITION or ERR_BOUNDS. */
function rangeStatus(id: i32, offset: i32, len: i32): i32 {
  if (id < 0 || id >= PARTITIONS_MAX || get(partSize, id) == 0) return ERR_PARTITION;
  if (offset < 0 || len < 0 || <i64>offset + <i64>len > <i64>get(partSize, id)) return ERR_BOUNDS;
  return 0;
}

@inline function mapSlot(id: i32, block: i32): usize {
  return blockMap + (<usize>(get(partMapBase, id) + block) << 1);
}

/** The stored block behind (id, block), or 0 when it reads erased. */
@inline function storedAt(id: i32, block: i32): usize {
  const e = <i32>load<u16>(mapSlot(id, block));
  return e == 0 ? 0 : stored + (<usize>(e - 1) << BLOCK_SHIFT);
}

/** Maps a stored block (filled with 0xFF) behind (id, block). A script whose taps need
 *  more than the stored blocks cannot be run: that is the runner's limit, not a flash
 *  error the firmware should see, so it ends the run. */
function mapBlock(id: i32, block: i32): usize {
  for (let i = 0; i < TAPRUNNER_FLASH_STORED_BLOCKS; i++) {
    if (load<u8>(storedInUse + <usize>i) != 0) continue;
    store<u8>(storedInUse + <usize>i, 1);
    const p = stored + (<usize>i << BLOCK_SHIFT);
    for (let k = 0; k < BLOCK; k += 8) store<u64>(p + <usize>k, 0xFFFFFFFFFFFFFFFF);
    store<u16>(mapSlot(id, block), <u16>(i + 1));
    return p;
  }
  fatal("scripted flash full");
  return 0;
}

export function flashRead(id: i32, offset: i32, ptr: usize, len: i32): i32 {
  if (!memoryOk(ptr, len)) return ERR_BOUNDS;
  const st = rangeStatus(id, offset, len);
  if (st != 0) return st;
  // One block-bounded piece per pass (each pass advances by ≥ 1 byte).
  let i = 0;
  while (i < len) {
    const at = offset + i;
    const n = min(len - i, BLOCK - (at & (BLOCK - 1)));
    const src = storedAt(id, at >> BLOCK_SHIFT);
    const dst = ptr + <usize>i;
    if (src == 0) {
      for (let k = 0; k < n; k++) store<u8>(dst + <usize>k, 0xFF);
    } else {
      const from = src + <usize>(at & (BLOCK - 1));
      for (let k = 0; k < n; k++) store<u8>(dst + <usize>k, load<u8>(from + <usize>k));
    }
    i += n;
  }
  return 0;
}

export function flashProgram(id: i32, offset: i32, ptr: usize, len: i32): i32 {
  if (!memoryOk(ptr, len)) return ERR_BOUNDS;
  const st = rangeStatus(id, offset, len);
  if (st != 0) return st;
  const page = get(partPage, id);
  if (len > 0 && offset / page != (offset + len - 1) / page) return ERR_BOUNDS;
  if (failPrograms > 0) { failPrograms--; return ERR_IO; }
  // Two passes: check every byte against the device rule first, so a violating program
  // leaves flash untouched; then clear bits.
  for (let i = 0; i < len; i++) {
    const at = offset + i;
    const src = storedAt(id, at >> BLOCK_SHIFT);
    const old: u32 = src == 0 ? 0xFF : <u32>load<u8>(src + <usize>(at & (BLOCK - 1)));
    if ((<u32>load<u8>(ptr + <usize>i) & ~old & 0xFF) != 0) fatal("flash rule: 0 to 1");
  }
  for (let i = 0; i < len; i++) {
    const at = offset + i;
    const v = load<u8>(ptr + <usize>i);
    let dst = storedAt(id, at >> BLOCK_SHIFT);
    if (dst == 0) {
      if (v == 0xFF) continue; // programming 0xFF over erased flash changes nothing
      dst = mapBlock(id, at >> BLOCK_SHIFT);
    }
    const q = dst + <usize>(at & (BLOCK - 1));
    store<u8>(q, load<u8>(q) & v);
  }
  return 0;
}

export function flashErase(id: i32, offset: i32): i32 {
  const st = rangeStatus(id, offset, 0);
  if (st != 0) return st;
  const sector = get(partSector, id);
  if (offset % sector != 0 || offset >= get(partSize, id)) return ERR_BOUNDS;
  const first = offset >> BLOCK_SHIFT;
  const count = sector >> BLOCK_SHIFT;
  for (let b = first; b < first + count; b++) {
    const e = <i32>load<u16>(mapSlot(id, b));
    if (e == 0) continue;
    store<u8>(storedInUse + <usize>(e - 1), 0);
    store<u16>(mapSlot(id, b), 0);
  }
  return 0;
}

/** Stored blocks in use (the `flash` status line). */
export function storedBlocksUsed(): i32 {
  let n = 0;
  for (let i = 0; i < TAPRUNNER_FLASH_STORED_BLOCKS; i++) n += <i32>load<u8>(storedInUse + <usize>i);
  return n;
}
