// The provisioning block (docs/CONFIG.md), the CRC it carries, and the bounded
// certificate cache. Blocks are laid out here from the document's table.
import * as cfg from "../reader/config";
import { crc32 } from "../ledger/crc32";
import { certCacheContains, certCacheInsert, certCacheClear, certCacheSize } from "../reader/cache";
import * as c from "../reader/codes";
import { CERT_CACHE_ENTRIES, READER_CONFIG_BYTES_MAX } from "../limits";

const LEDGER_BYTES: i32 = 176;
const block: usize = memory.data(1024, 16);
const hash: usize = memory.data(16, 16);

function fill(p: usize, v: u8, n: i32): void { for (let i = 0; i < n; i++) store<u8>(p + <usize>i, v); }

/** A valid block with k issuer keys (ids 7, 8, …): gate, EUR, fare 250, limits 1…10000. */
function makeConfig(k: i32): i32 {
  const len = 48 + 36 * k + LEDGER_BYTES + 4;
  fill(block, 0, len);
  store<u32>(block, 0x4352544F);
  store<u16>(block + 4, 1);
  store<u16>(block + 6, <u16>len);
  for (let i = 0; i < 8; i++) store<u8>(block + 8 + <usize>i, <u8>(0xA0 + i));
  store<u8>(block + 16, 0);
  store<u8>(block + 17, <u8>k);
  store<u16>(block + 18, 978);
  store<u32>(block + 20, 250);
  store<u32>(block + 24, 1);
  store<u32>(block + 28, 10000);
  store<u32>(block + 32, 300);
  store<u32>(block + 36, 150);
  store<u16>(block + 40, <u16>LEDGER_BYTES);
  for (let i = 0; i < k; i++) {
    const e = block + <usize>(48 + 36 * i);
    store<u32>(e, 7 + i);
    fill(e + 4, <u8>(0x10 + i), 32);
  }
  const ledger = block + <usize>(48 + 36 * k);
  for (let i = 0; i < 8; i++) store<u8>(ledger + 32 + <usize>i, <u8>(0xA0 + i)); // reader id, zero-padded
  seal(len);
  return len;
}

function seal(len: i32): void {
  store<u32>(block + <usize>(len - 4), crc32(block, len - 4));
}

describe("CRC-32 (IEEE 802.3, as zlib.crc32)", () => {
  it("gives the standard check value for \"123456789\"", () => {
    const s = String.UTF8.encode("123456789");
    expect(crc32(changetype<usize>(s), 9)).toBe(0xCBF43926);
  });
  it("of nothing is 0", () => {
    expect(crc32(block, 0)).toBe(0);
  });
});

describe("provisioning block (CONFIG.md)", () => {
  it("accepts a valid block and installs its fields", () => {
    const len = makeConfig(2);
    expect(len).toBe(52 + 72 + 176);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.INIT_OK);
    expect(cfg.mode).toBe(cfg.MODE_GATE);
    expect(cfg.keyCount).toBe(2);
    expect(cfg.currency).toBe(978);
    expect(cfg.fare).toBe(250);
    expect(cfg.amountMin).toBe(1);
    expect(cfg.amountMax).toBe(10000);
    expect(cfg.driftToleranceS).toBe(300);
    expect(cfg.nfcTimeoutMs).toBe(150);
    expect(cfg.keySlotOf(7)).toBe(0);
    expect(cfg.keySlotOf(8)).toBe(1);
    expect(cfg.keySlotOf(9)).toBe(-1);
    expect(load<u8>(cfg.keyPtrAt(1))).toBe(0x11);
    expect(load<u8>(cfg.readerIdPtr() + 7)).toBe(0xA7);
    expect(cfg.ledgerBlockLen()).toBe(176);
    expect(load<u8>(cfg.ledgerBlockPtr() + 32)).toBe(0xA0);
  });

  it("keeps its own copy: the caller's buffer may change afterwards", () => {
    const len = makeConfig(1);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.INIT_OK);
    fill(block, 0xEE, len);
    expect(load<u8>(cfg.readerIdPtr())).toBe(0xA0);
    expect(cfg.keySlotOf(7)).toBe(0);
  });

  it("refuses inconsistent lengths", () => {
    let len = makeConfig(1);
    expect(cfg.configParse(block, len - 1, LEDGER_BYTES)).toBe(c.ERR_CONFIG_LENGTH);
    expect(cfg.configParse(block, 0, LEDGER_BYTES)).toBe(c.ERR_CONFIG_LENGTH);
    expect(cfg.configParse(block, READER_CONFIG_BYTES_MAX + 1, LEDGER_BYTES)).toBe(c.ERR_CONFIG_LENGTH);
    expect(cfg.configParse(block, len, 177)).toBe(c.ERR_CONFIG_LENGTH);
    len = makeConfig(1); store<u8>(block + 17, 2); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_LENGTH);
    len = makeConfig(1); store<u8>(block + 17, 0); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_LENGTH);
    len = makeConfig(1); store<u16>(block + 6, <u16>(len + 1)); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_LENGTH);
  });

  it("checks magic, then version, then CRC", () => {
    let len = makeConfig(1); store<u8>(block, 0); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_MAGIC);
    len = makeConfig(1); store<u16>(block + 4, 2); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_VERSION);
    len = makeConfig(1); store<u8>(block + 20, 251);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_CRC);
  });

  it("refuses field values outside their rules", () => {
    let len = makeConfig(1); store<u8>(block + 16, 2); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u16>(block + 18, 0); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u16>(block + 18, 1000); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u32>(block + 20, 10001); seal(len); // fare above max
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u32>(block + 24, 0); seal(len); // min 0
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u32>(block + 28, 0x80000000); seal(len); // max beyond i32
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u32>(block + 32, 3601); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u32>(block + 36, 19); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u32>(block + 36, 501); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u8>(block + 45, 1); seal(len); // reserved
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
  });

  it("requires fare 0 in kiosk mode and a fare within limits in gate mode", () => {
    let len = makeConfig(1); store<u8>(block + 16, 1); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1); store<u8>(block + 16, 1); store<u32>(block + 20, 0); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.INIT_OK);
    expect(cfg.mode).toBe(cfg.MODE_KIOSK);
    len = makeConfig(1); store<u32>(block + 20, 0); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
  });

  it("requires the ledger block to carry the same reader id, zero-padded", () => {
    let len = makeConfig(1);
    store<u8>(block + 48 + 36 + 32 + 3, 0); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
    len = makeConfig(1);
    store<u8>(block + 48 + 36 + 32 + 15, 1); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_FIELD);
  });

  it("refuses duplicate issuer key ids", () => {
    const len = makeConfig(3);
    store<u32>(block + 48 + 72, 7); seal(len);
    expect(cfg.configParse(block, len, LEDGER_BYTES)).toBe(c.ERR_CONFIG_KEY);
  });
});

describe("certificate cache", () => {
  it("remembers inserted hashes and forgets the oldest when full", () => {
    certCacheClear();
    fill(hash, 0, 16);
    expect(certCacheContains(hash)).toBe(false);
    for (let i = 0; i < CERT_CACHE_ENTRIES; i++) {
      store<u32>(hash, i);
      certCacheInsert(hash);
    }
    expect(certCacheSize()).toBe(CERT_CACHE_ENTRIES);
    store<u32>(hash, 0);
    expect(certCacheContains(hash)).toBe(true);
    store<u32>(hash, CERT_CACHE_ENTRIES);
    certCacheInsert(hash);
    expect(certCacheSize()).toBe(CERT_CACHE_ENTRIES);
    expect(certCacheContains(hash)).toBe(true);
    store<u32>(hash, 0);
    expect(certCacheContains(hash)).toBe(false);
    store<u32>(hash, 1);
    expect(certCacheContains(hash)).toBe(true);
  });

  it("compares all 16 bytes", () => {
    certCacheClear();
    fill(hash, 0x42, 16);
    certCacheInsert(hash);
    store<u8>(hash + 15, 0x43);
    expect(certCacheContains(hash)).toBe(false);
    store<u8>(hash + 15, 0x42);
    store<u8>(hash, 0x43);
    expect(certCacheContains(hash)).toBe(false);
  });

  it("is empty after a clear", () => {
    fill(hash, 0x42, 16);
    certCacheInsert(hash);
    certCacheClear();
    expect(certCacheSize()).toBe(0);
    expect(certCacheContains(hash)).toBe(false);
  });
});
