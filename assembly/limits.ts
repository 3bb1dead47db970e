// Every fixed bound of the firmware lives here, each with the reason for its value.
// The firmware allocates nothing after start-up: every buffer below is static memory.

/** Linear memory the firmware may use: WASM3 on the ESP32 allocates 64 KiB pages out
 *  of ~320 KiB shared with the radio stacks; two pages is the budget in BRIEF.md. */
export const MEMORY_PAGES_MAX: i32 = 2;

/** Host <-> firmware exchange buffer. Large enough for one short-APDU tap exchange
 *  (≤ ~600 bytes) several times over and for every test-vector message we carry;
 *  longer messages go through the streaming verify exports. */
export const IO_BUFFER_BYTES: i32 = 4096;

/** Issuer keys the reader knows in advance and keeps precomputed verify tables for.
 *  Operators run a handful of issuers; each slot costs table memory (see crypto/). */
export const ISSUER_KEYS_MAX: i32 = 4;

/** Registered-key slots reserved for returning wallets' keys (reader/walletkeys.ts), on
 *  top of the issuer slots; slots a provisioning leaves without an issuer key serve
 *  wallets too. Each slot is 3,840 B of tables: with the width-7 base tables
 *  (VERIFY_BASE_WNAF_BITS) one more slot is what the 40 KiB budget
 *  (VERIFY_TABLES_BYTES_MAX) holds; build/taprunner.wasm shares the firmware's layout. */
export const WALLET_KEY_SLOTS_MIN: i32 = 1;

/** Key slots with precomputed verify tables (crypto/verify.ts): issuer keys, then
 *  wallet keys. */
export const REGISTERED_KEYS_MAX: i32 = ISSUER_KEYS_MAX + WALLET_KEY_SLOTS_MIN;

/** Longest message a selftest.wasm vector line may carry (hex-encoded on the line): the
 *  same as the firmware's I/O buffer, which carries every vector message we test with
 *  (RFC 8032's longest is 1023 bytes). */
export const SELFTEST_MESSAGE_BYTES_MAX: i32 = 4096;

/** Longest selftest.wasm input line, terminator excluded: the longest valid line is
 *  `verify <64 hex> <2 × 4096 hex> <128 hex>` = 8,393 bytes; the rest is slack for a
 *  trailing CR. Longer lines are answered `error line too long`. */
export const SELFTEST_LINE_BYTES_MAX: i32 = 8448;

/** Longest selftest.wasm output line, newline excluded: a digest or signature is 128 hex
 *  digits; error and abort reasons are cut to fit. */
export const SELFTEST_OUTPUT_LINE_BYTES_MAX: i32 = 255;

// ---- Ledger (docs/LEDGER.md) ----------------------------------------------------
/** One record per slot: 512 bytes is two 256-byte program pages and holds the largest
 *  record (76 + LEDGER_BODY_BYTES_MAX = 396 bytes) plus the commit marker at its end.
 *  Fixed slots make a torn record skippable without trusting its length field. */
export const LEDGER_SLOT_BYTES: i32 = 512;
/** Opaque payment body: an authorization (~140 B) plus certificate fields (~150 B)
 *  with room to spare; the payment protocol must fit in this. */
export const LEDGER_BODY_BYTES_MAX: i32 = 320;
/** Sectors of the ledger partition the firmware tracks: 256 × 4 KiB = 1 MiB, more
 *  than any reader board reserves; costs 19 B of RAM per sector (sector table 13 B,
 *  recovery order and generation 6 B). */
export const LEDGER_SECTORS_MAX: i32 = 256;
/** Wallets remembered in RAM (24 B each = 6 KiB): the ledger's static RAM budget is
 *  16 KiB of the 128 KiB the device has for everything. */
export const LEDGER_WALLET_INDEX_MAX: i32 = 256;
/** Records per signed batch: the largest record is 392 B of content and a batch
 *  (96 B header + 64 B signature) must fit the 4 KiB I/O buffer. */
export const LEDGER_BATCH_RECORDS_MAX: i32 = 10;
/** Acknowledgement marks in a version-1 sector header slot: (512 − 64) / 16. */
export const LEDGER_ACK_MARKS_MAX: i32 = 28;
/** Acknowledgement mark pairs in a version-2 header slot: (512 − 128) / 16 / 2 (two
 *  header copies take bytes 0–127, each acknowledgement is two 16-byte copies). */
export const LEDGER_ACK_PAIRS_MAX: i32 = 12;
/** Zero bits (of 64) that make an 8-byte commit or void word "set": one flipped bit can
 *  neither set an erased word (1 zero bit) nor clear a programmed one (63 left). */
export const LEDGER_WORD_SET_ZERO_BITS: i32 = 2;
/** Zero bits (of 64) that make a commit or void word "written back": a boot that acted on
 *  its judgement of the slot programmed that word to all 0 (docs/LEDGER.md §2.3). Two
 *  flipped reads still leave 62; a cut program's weak cells, read at even odds, reach it
 *  once in about 2^53 reads of a fully weak word. */
export const LEDGER_WORD_SOLID_ZERO_BITS: i32 = 62;
/** Extra reads of a range whose CRC fails before it is judged torn or corrupt: a
 *  transient read error must never make recovery truncate the log. */
export const FLASH_READ_RETRIES: i32 = 3;
/** Scratch for blank checks, read-back compares and deny-list streaming: one page of
 *  the largest program page we accept. */
export const FLASH_CHUNK_BYTES: i32 = 512;

/** Fixed-base table for signing (crypto/basetable.ts): windows of the signed radix-16
 *  comb, 16 windows × 8 NIELS entries × 120 bytes = 15 KiB, built at first use (~2.6 ms
 *  under WASM3 on a desktop core). Measured per [s]B (WASM3 desktop): 8 windows (7.5 KiB)
 *  0.57 ms, 16 windows 0.50 ms, 32 windows (30 KiB, ref10's size) 0.48 ms. 32 does not
 *  fit the 16 KiB budget; 8 would make signing 14–21 % slower, and signatures may be made
 *  per tap (receipts). */
export const BASE_TABLE_WINDOWS: i32 = 16;
/** Multiples 1..8 of each window's base: signed digits in [-8, 8] need no more. */
export const BASE_TABLE_ENTRIES: i32 = 8;
/** Bytes of the table: one affine NIELS point is 3 field elements of 40 bytes. */
export const BASE_TABLE_BYTES: i32 = BASE_TABLE_WINDOWS * BASE_TABLE_ENTRIES * 3 * 40;

// ---- Reader (tap state machine, assembly/reader/) --------------------------------

/** Largest response APDU of a short-APDU exchange: 256 data bytes + the status word
 *  (ISO/IEC 7816-4 §5.1). The receive buffer is this size; a board that returns more
 *  must answer ERR_OVERFLOW. */
export const RAPDU_BYTES_MAX: i32 = 258;

/** Largest command APDU we build: header 5 + Lc-bounded data 255 + Le 1. */
export const CAPDU_BYTES_MAX: i32 = 261;

/** Certificates whose issuer signature verified recently, kept by certHash so that a
 *  regular's tap skips one Ed25519 verify. 64 entries × 16 bytes = 1 KiB of RAM, and a
 *  linear scan of 64 entries costs far less than one verify under the interpreter. */
export const CERT_CACHE_ENTRIES: i32 = 64;

/** Per-exchange NFC timeout bounds (config field). Below 20 ms a phone cannot answer
 *  SELECT through its card-emulation stack; above 500 ms one exchange alone would exceed
 *  the whole EMV contactless transaction budget (BRIEF.md), so the tap is bounded by
 *  3 × 500 ms even when every exchange times out. */
export const NFC_TIMEOUT_MS_MIN: i32 = 20;
export const NFC_TIMEOUT_MS_MAX: i32 = 500;

/** Largest configurable clock-drift tolerance: one hour covers an RTC that drifts for
 *  months between syncs; more would make expiry meaningless for short-lived certificates. */
export const CLOCK_DRIFT_TOLERANCE_S_MAX: i32 = 3600;

/** Largest provisioning block init accepts (docs/CONFIG.md): fixed header 48 bytes,
 *  ISSUER_KEYS_MAX × 36 bytes of issuer keys, the embedded ledger configuration
 *  (at most 512 bytes reserved for it) and the CRC-32 trailer. */
export const READER_CONFIG_BYTES_MAX: i32 = 48 + ISSUER_KEYS_MAX * 36 + 512 + 4;

/** Width of the NAF for both halves of [u]B in plain verify: odd multiples 1..63 of B
 *  and of 2^128·B are computed at start-up (2 × 32 affine entries × 120 B = 7.5 KiB).
 *  The same memory once held width 8 for the low half (64 entries) and width 5 for the
 *  high half (the registered path's 8-entry part table): ~14 + ~21 mixed additions per
 *  verify against ~16 + ~16 now, counted on the device core as 0.3 M fewer instructions
 *  per verify (tools/xtensa/crypto-quick.ts). */
export const VERIFY_BASE_WNAF_BITS: i32 = 7;

/** Width of the NAF for the per-signature points of plain verify (A and R): their odd
 *  multiples are built per signature, 2^(w-2) additions each; 5 (8 entries) balances
 *  table cost against ~128/(w+1) additions per scalar (by operation counts with the
 *  measured WASM3 costs, 4 and 6 come out equal or worse). */
export const VERIFY_KEY_WNAF_BITS: i32 = 5;

/** Registered keys split both scalars into this many parts of 256/PARTS bits, with a
 *  table for each 2^(i·256/PARTS)·A and ·B, so a registered verify doubles only
 *  256/PARTS − 1 times. Measured under WASM3 (desktop): 8 parts (32 doublings, key width
 *  4) 0.59–0.61 ms per verify against 0.67 ms for 4 parts (key width 5) at the same
 *  key-slot memory. */
export const VERIFY_REGISTERED_PARTS: i32 = 8;

/** NAF width of the key tables of a registered slot: each slot holds PARTS × 2^(w-2)
 *  affine entries of 120 B; 4 → 8 × 4 × 120 = 3,840 B a slot, 15 KiB for four slots. */
export const VERIFY_REGISTERED_KEY_WNAF_BITS: i32 = 4;

/** NAF width of the shared tables of 2^(i·256/PARTS)·B (one copy for all slots; part 0
 *  reuses the plain base table, part PARTS/2 = 2^128·B serves plain verify's high half):
 *  7 × 8 × 120 = 6,720 B. */
export const VERIFY_BASE_PART_WNAF_BITS: i32 = 5;

/** Static table memory verification may use (base tables + all registered-key slots +
 *  build scratch): with signing's 15 KiB table, the ledger's 16 KiB and the 4 KiB I/O
 *  buffer it leaves a third of the 128 KiB for everything else and the stack. */
export const VERIFY_TABLES_BYTES_MAX: i32 = 40 * 1024;

/** A re-tap (docs/PROTOCOL.md, "Re-taps") is honoured only this long after the payment
 *  was recorded. A rider whose phone left the field before the receipt, or whose reader
 *  lost power between the write and the gate, taps again within seconds of the reader
 *  coming back (a board boots in well under 10 s); a fare paid minutes ago is not a pass
 *  for later. Replays are stopped by the possession proof and the durable signal mark,
 *  not by this window. */
export const RETAP_WINDOW_S: u32 = 120;

// ---- build/taprunner.wasm (docs/TAPRUNNER.md): the scripted board's bounds. It shares
// the firmware's 2 pages, so these are sized to the ~47 KiB the firmware leaves free.

/** Longest script line, terminator excluded: an `init` line carries the largest
 *  provisioning block (READER_CONFIG_BYTES_MAX = 708 bytes = 1,416 hex digits); deny-list
 *  images arrive in page-sized `deny-data` pieces, so no line needs more. */
export const TAPRUNNER_LINE_BYTES_MAX: i32 = 2048;

/** Recorded exchanges one tap may queue: the protocol needs at most 3 transceives, and
 *  one spare lets a script hold an exchange the firmware must NOT send (reported unsent). */
export const TAPRUNNER_EXCHANGES_MAX: i32 = 4;

/** Bytes of one recorded C-APDU: a short APDU (4 header + Lc + 255 data + Le). */
export const TAPRUNNER_CAPDU_BYTES_MAX: i32 = 261;

/** Bytes of one recorded R-APDU: the firmware's receive capacity (boards/ABI.md, rxCap). */
export const TAPRUNNER_RAPDU_BYTES_MAX: i32 = 258;

/** randomFill answers one tap may queue, and the bytes of each: a tap draws one 16-byte
 *  challenge; the rest is slack for a firmware that draws more (reported as a mismatch). */
export const TAPRUNNER_RANDOM_FILLS_MAX: i32 = 4;
export const TAPRUNNER_RANDOM_BYTES_MAX: i32 = 64;

/** Signals recorded per tap: an acceptance sends 4 (gate, LED, buzzer, display). */
export const TAPRUNNER_SIGNALS_MAX: i32 = 8;

/** Scripted flash: partitions are mapped in 256-byte blocks, stored only once programmed
 *  (an unmapped block reads erased). The map covers 2,048 blocks = 512 KiB of declared
 *  partitions (the reference geometry, 256 + 32 + 4 KiB, needs 1,168); 96 stored blocks
 *  (24 KiB) hold ~40 ledger records plus two deny-list images. */
export const TAPRUNNER_FLASH_BLOCK_BYTES: i32 = 256;
export const TAPRUNNER_FLASH_MAP_BLOCKS: i32 = 2048;
export const TAPRUNNER_FLASH_STORED_BLOCKS: i32 = 96;
