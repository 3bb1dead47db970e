// Independent decoder of a ledger partition image (docs/LEDGER.md §2–3), used by
// `ledger inspect` and by the power-loss runner to check what the firmware recovered.
// Reads format version 2 and the version-1 sectors it may still hold (§2.6); it only
// reads, so it reports what recovery would judge without writing anything back.
import {
  SLOT_BYTES, HEADER_BYTES, HEADER_B_AT, MARKS_AT, MARKS_AT_V1, MARK_BYTES, MARK_PAIRS_MAX,
  MARKS_MAX_V1, COMMIT_AT, COMMIT_AT_V1, VOID_AT, WORD_BYTES, WORD_SET_ZERO_BITS,
  WORD_SOLID_ZERO_BITS, RECORD_FIXED_BYTES, BODY_BYTES_MAX, KIND_PAYMENT, MAGIC, crc32Of, chainLink,
  decodeRecordContent, encodeGapEntry, equalBytes, zeroBits, type LedgerRecord,
} from "./format.ts";

export interface SectorInfo {
  index: number;
  valid: boolean;
  /** Format version of the valid header (1 or 2). */
  version?: number;
  /** Valid header copies: "A", "B" or "AB" (version 2), "A" (version 1). */
  copies?: string;
  eraseCount?: number;
  firstSeq?: number;
  generation?: number;
  ackedSeq?: number;
  headBefore?: Uint8Array;
  marks: number[];
  records: number;
  /** Records whose number exists but whose content is lost (gaps, §5.1). */
  unreadable: number;
  tornSlots: number;
  voidSlots: number;
  blankSlots: number;
}

export interface ImageReport {
  sectors: SectorInfo[];
  /** Committed records in sequence order (as recovery sees them); unreadable ones are
   *  gap entries (kind 2). */
  records: LedgerRecord[];
  /** Sequence numbers of unreadable records. */
  gaps: number[];
  ackedSeq: number;
  nextSeq: number;
  chainOk: boolean;
  gapFree: boolean;
  problems: string[];
}

type SlotState = "blank" | "valid" | "bad" | "unreadable" | "torn" | "void";

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const wordSet = (slot: Uint8Array, at: number): boolean =>
  zeroBits(slot.subarray(at, at + WORD_BYTES)) >= WORD_SET_ZERO_BITS;
const writtenBack = (slot: Uint8Array, at: number): boolean =>
  zeroBits(slot.subarray(at, at + WORD_BYTES)) >= WORD_SOLID_ZERO_BITS;

function contentValid(slot: Uint8Array): boolean {
  const v = dv(slot);
  const b = v.getUint16(36, true);
  if (b > BODY_BYTES_MAX || v.getUint16(38, true) !== KIND_PAYMENT) return false;
  const n = RECORD_FIXED_BYTES + b;
  return crc32Of(slot.subarray(0, n)) === v.getUint32(n, true);
}

function classify(slot: Uint8Array, version: number, exp: number): SlotState {
  if (version === 1) {
    if (dv(slot).getUint32(COMMIT_AT_V1, true) === 0) return contentValid(slot) ? "valid" : "bad";
    return slot.every((x) => x === 0xff) ? "blank" : "bad";
  }
  // A word written back stands over weak cells in the other one (§2.3).
  const committed = (): SlotState =>
    contentValid(slot) && dv(slot).getUint32(0, true) === exp ? "valid" : "unreadable";
  if (writtenBack(slot, VOID_AT)) return "void";
  if (writtenBack(slot, COMMIT_AT)) return committed();
  if (wordSet(slot, VOID_AT)) return "void";
  if (wordSet(slot, COMMIT_AT)) return committed();
  return slot.every((x) => x === 0xff) ? "blank" : "torn";
}

/** Version of a valid header copy, or 0. */
function headerVersion(h: Uint8Array): number {
  const v = dv(h);
  const version = v.getUint16(4, true);
  if (v.getUint32(0, true) !== MAGIC.sector || (version !== 1 && version !== 2)) return 0;
  if (v.getUint16(6, true) !== SLOT_BYTES) return 0;
  return crc32Of(h.subarray(0, 56)) === v.getUint32(56, true) ? version : 0;
}

function markValue(m: Uint8Array): number | undefined {
  const v = dv(m);
  if (v.getUint32(0, true) !== MAGIC.mark || crc32Of(m.subarray(0, 12)) !== v.getUint32(12, true)) {
    return undefined;
  }
  return v.getUint32(4, true);
}

function readHeader(image: Uint8Array, index: number, sectorBytes: number): SectorInfo {
  const base = index * sectorBytes;
  const info: SectorInfo = {
    index, valid: false, marks: [], records: 0, unreadable: 0, tornSlots: 0, voidSlots: 0,
    blankSlots: 0,
  };
  const a = image.subarray(base, base + HEADER_BYTES);
  const b = image.subarray(base + HEADER_B_AT, base + HEADER_B_AT + HEADER_BYTES);
  const va = headerVersion(a);
  const vb = va === 1 ? 0 : headerVersion(b) === 2 ? 2 : 0;
  if (va === 0 && vb === 0) return info;
  const h = va !== 0 ? a : b;
  const v = dv(h);
  Object.assign(info, {
    valid: true, version: va !== 0 ? va : 2, copies: (va !== 0 ? "A" : "") + (vb ? "B" : ""),
    eraseCount: v.getUint32(8, true), firstSeq: v.getUint32(12, true),
    ackedSeq: v.getUint32(16, true), generation: v.getUint32(20, true), headBefore: h.slice(24, 56),
  });
  const v2 = info.version === 2;
  const at = base + (v2 ? MARKS_AT : MARKS_AT_V1);
  const count = v2 ? 2 * MARK_PAIRS_MAX : MARKS_MAX_V1;
  for (let i = 0; i < count; i++) {
    const m = markValue(image.subarray(at + i * MARK_BYTES, at + (i + 1) * MARK_BYTES));
    if (m !== undefined) info.marks.push(m);
  }
  return info;
}

interface Walk { records: LedgerRecord[]; problems: string[]; lastSeq: number }

/** Walks one valid sector with its version's numbering rules (§2.3, §2.6). */
function walkSector(image: Uint8Array, s: SectorInfo, sectorBytes: number, limit: number,
  w: Walk): void {
  let exp = s.firstSeq!;
  w.lastSeq = exp - 1;
  let bad = 0;
  for (let slot = 1; slot < sectorBytes / SLOT_BYTES; slot++) {
    const at = s.index * sectorBytes + slot * SLOT_BYTES;
    const img = image.subarray(at, at + SLOT_BYTES);
    const c = classify(img, s.version!, exp);
    if (c === "blank") { s.blankSlots++; continue; }
    if (c === "void") { s.voidSlots++; continue; }
    if (c === "bad" || c === "torn") { s.tornSlots++; bad++; continue; }
    const seq = c === "unreadable" ? exp : dv(img).getUint32(0, true);
    if (seq < exp || seq - exp > (s.version === 1 ? bad : 0) || seq >= limit) {
      w.problems.push(`sector ${s.index} slot ${slot}: sequence ${seq} out of place`);
      continue;
    }
    for (let lost = exp; lost < seq; lost++) {
      w.problems.push(`record ${lost} is unreadable`);
      w.records.push(decodeRecordContent(encodeGapEntry(lost)));
      s.unreadable++;
    }
    if (c === "unreadable") {
      w.problems.push(`record ${seq} is unreadable`);
      w.records.push(decodeRecordContent(encodeGapEntry(seq)));
      s.unreadable++;
    } else {
      w.records.push(decodeRecordContent(img));
      s.records++;
    }
    exp = seq + 1;
    bad = 0;
    w.lastSeq = seq;
  }
}

/** Decodes an image with the recovery rules and verifies the chain of what is on it. */
export function decodeImage(image: Uint8Array, sectorBytes: number): ImageReport {
  if (image.length % sectorBytes !== 0) {
    throw new RangeError(`image of ${image.length} bytes is not whole ${sectorBytes}-byte sectors`);
  }
  const count = image.length / sectorBytes;
  const sectors = Array.from({ length: count }, (_, i) => readHeader(image, i, sectorBytes));
  const order = sectors.filter((s) => s.valid)
    .sort((a, b) => a.generation! - b.generation! || a.index - b.index);
  let ackedSeq = 0;
  for (const s of order) ackedSeq = Math.max(ackedSeq, s.ackedSeq!, ...s.marks);
  const w: Walk = { records: [], problems: [], lastSeq: 0 };
  order.forEach((s, k) => {
    const limit = k + 1 < order.length ? order[k + 1]!.firstSeq! : Infinity;
    walkSector(image, s, sectorBytes, limit, w);
  });
  const { chainOk, gapFree } = checkChain(w.records, order, ackedSeq, w.problems);
  const gaps = w.records.filter((r) => r.kind !== KIND_PAYMENT).map((r) => r.seq);
  return {
    sectors, records: w.records, gaps, ackedSeq, nextSeq: w.lastSeq + 1, chainOk, gapFree,
    problems: w.problems,
  };
}

/** The chain (§2.4) over what the image holds: restarts after a gap entry (§5.1). */
function checkChain(records: LedgerRecord[], order: SectorInfo[], ackedSeq: number,
  problems: string[]): { chainOk: boolean; gapFree: boolean } {
  let chainOk = true;
  let gapFree = true;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const before = records[i - 1];
    if (r.kind !== KIND_PAYMENT) continue;
    const follows = before !== undefined && before.seq === r.seq - 1;
    if (follows && before.kind !== KIND_PAYMENT) continue; // the chain restarts after a gap
    const prev = follows ? before.link : order.find((s) => s.firstSeq === r.seq)?.headBefore;
    // Settled sectors are reused out of order, so only the unsettled part must be gap-free.
    if (before !== undefined && !follows && r.seq - 1 > ackedSeq) {
      gapFree = false;
      problems.push(`gap between ${before.seq} and ${r.seq}`);
    }
    if (!prev) { if (i > 0) chainOk = false; continue; }
    if (prev.every((x) => x === 0) && r.seq > 1) continue; // head unknown (§2.4)
    if (!equalBytes(chainLink(prev, r.content), r.link)) {
      chainOk = false;
      problems.push(`record ${r.seq} breaks the chain`);
    }
  }
  return { chainOk, gapFree };
}
