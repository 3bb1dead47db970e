// Independent decoder of a ledger partition image (docs/LEDGER.md §2–3), used by
// `ledger inspect` and by the power-loss runner to check what the firmware recovered.
import {
  SLOT_BYTES, HEADER_BYTES, MARKS_AT, MARK_BYTES, MARKS_MAX, COMMIT_AT, RECORD_FIXED_BYTES, BODY_BYTES_MAX,
  MAGIC, crc32Of, chainLink, decodeRecordContent, equalBytes, type LedgerRecord,
} from "./format.ts";

export interface SectorInfo {
  index: number;
  valid: boolean;
  eraseCount?: number;
  firstSeq?: number;
  generation?: number;
  ackedSeq?: number;
  headBefore?: Uint8Array;
  marks: number[];
  records: number;
  tornSlots: number;
  blankSlots: number;
}

export interface ImageReport {
  sectors: SectorInfo[];
  /** Committed records in sequence order (as recovery sees them). */
  records: LedgerRecord[];
  ackedSeq: number;
  nextSeq: number;
  chainOk: boolean;
  gapFree: boolean;
  problems: string[];
}

type SlotState = "blank" | "valid" | "bad";

function classify(slot: Uint8Array): SlotState {
  const v = new DataView(slot.buffer, slot.byteOffset, slot.byteLength);
  if (v.getUint32(COMMIT_AT, true) === 0) {
    const b = v.getUint16(36, true);
    if (b > BODY_BYTES_MAX || v.getUint16(38, true) !== 1) return "bad";
    const n = RECORD_FIXED_BYTES + b;
    return crc32Of(slot.subarray(0, n)) === v.getUint32(n, true) ? "valid" : "bad";
  }
  return slot.every((x) => x === 0xff) ? "blank" : "bad";
}

function readHeader(image: Uint8Array, index: number, sectorBytes: number): SectorInfo {
  const h = image.subarray(index * sectorBytes, index * sectorBytes + HEADER_BYTES);
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const info: SectorInfo = { index, valid: false, marks: [], records: 0, tornSlots: 0, blankSlots: 0 };
  if (v.getUint32(0, true) !== MAGIC.sector || v.getUint16(4, true) !== 1 || v.getUint16(6, true) !== SLOT_BYTES) return info;
  if (crc32Of(h.subarray(0, 56)) !== v.getUint32(56, true)) return info;
  info.valid = true;
  info.eraseCount = v.getUint32(8, true);
  info.firstSeq = v.getUint32(12, true);
  info.ackedSeq = v.getUint32(16, true);
  info.generation = v.getUint32(20, true);
  info.headBefore = h.slice(24, 56);
  const base = index * sectorBytes + MARKS_AT;
  for (let i = 0; i < MARKS_MAX; i++) {
    const m = image.subarray(base + i * MARK_BYTES, base + (i + 1) * MARK_BYTES);
    const mv = new DataView(m.buffer, m.byteOffset, m.byteLength);
    if (mv.getUint32(0, true) === MAGIC.mark && crc32Of(m.subarray(0, 12)) === mv.getUint32(12, true)) info.marks.push(mv.getUint32(4, true));
  }
  return info;
}

/** Decodes an image with the recovery rules and verifies the chain of what is on it. */
export function decodeImage(image: Uint8Array, sectorBytes: number): ImageReport {
  if (image.length % sectorBytes !== 0) throw new RangeError(`image of ${image.length} bytes is not whole ${sectorBytes}-byte sectors`);
  const sectors = Array.from({ length: image.length / sectorBytes }, (_, i) => readHeader(image, i, sectorBytes));
  const order = sectors.filter((s) => s.valid).sort((a, b) => a.generation! - b.generation! || a.index - b.index);
  let ackedSeq = 0;
  for (const s of order) ackedSeq = Math.max(ackedSeq, s.ackedSeq!, ...s.marks);
  const records: LedgerRecord[] = [];
  const problems: string[] = [];
  let lastSeq = 0;
  order.forEach((s, k) => {
    const limit = k + 1 < order.length ? order[k + 1]!.firstSeq! : Infinity;
    let exp = s.firstSeq!;
    lastSeq = exp - 1;
    let bad = 0;
    for (let slot = 1; slot < sectorBytes / SLOT_BYTES; slot++) {
      const at = s.index * sectorBytes + slot * SLOT_BYTES;
      const img = image.subarray(at, at + SLOT_BYTES);
      const c = classify(img);
      if (c === "blank") { s.blankSlots++; continue; }
      if (c === "bad") { s.tornSlots++; bad++; continue; }
      const r = decodeRecordContent(img);
      if (r.seq < exp || r.seq - exp > bad || r.seq >= limit) { problems.push(`sector ${s.index} slot ${slot}: sequence ${r.seq} out of place`); continue; }
      if (r.seq > exp) problems.push(`records ${exp}…${r.seq - 1} lost to corruption`);
      records.push(r);
      s.records++;
      exp = r.seq + 1;
      bad = 0;
      lastSeq = r.seq;
    }
  });
  const { chainOk, gapFree } = checkChain(records, order, ackedSeq, problems);
  return { sectors, records, ackedSeq, nextSeq: lastSeq + 1, chainOk, gapFree, problems };
}

function checkChain(records: LedgerRecord[], order: SectorInfo[], ackedSeq: number, problems: string[]): { chainOk: boolean; gapFree: boolean } {
  let chainOk = true;
  let gapFree = true;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const prev = i > 0 && records[i - 1]!.seq === r.seq - 1
      ? records[i - 1]!.link
      : order.find((s) => s.firstSeq === r.seq)?.headBefore;
    // Settled sectors are reused out of order, so only the unsettled part must be gap-free.
    if (i > 0 && records[i - 1]!.seq !== r.seq - 1 && r.seq - 1 > ackedSeq) { gapFree = false; problems.push(`gap between ${records[i - 1]!.seq} and ${r.seq}`); }
    if (!prev) { if (i > 0) chainOk = false; continue; }
    if (!equalBytes(chainLink(prev, r.content), r.link)) { chainOk = false; problems.push(`record ${r.seq} breaks the chain`); }
  }
  return { chainOk, gapFree };
}
