// Ledger configuration block (docs/LEDGER.md §1): partition geometry, identity and the
// keys the ledger signs and verifies with. Copied into static memory once per boot.
import { LEDGER_SECTORS_MAX, LEDGER_SLOT_BYTES, FLASH_CHUNK_BYTES } from "../limits";
import { OK, ERR_BAD_CONFIG, ERR_BAD_ARGUMENT } from "./status";
import { copyBytes, setPageBytes } from "./flash";

export const CONFIG_BYTES: i32 = 176;
const CONFIG_MAGIC: u32 = 0x3143544F; // "OTC1"

const cfg: usize = memory.data(CONFIG_BYTES, 8);

export let configured = false;
export let ledgerBytes: i32 = 0;
export let sectorBytes: i32 = 0;
export let pageBytes: i32 = 0;
export let denyBytes: i32 = 0;
export let denyMaxAgeSeconds: u32 = 0;
export let sectorCount: i32 = 0;
export let slotsPerSector: i32 = 0;

@inline export function readerIdPtr(): usize { return cfg + 32; }
@inline export function deviceSecretKeyPtr(): usize { return cfg + 48; }
@inline export function operatorKeyPtr(): usize { return cfg + 112; }
@inline export function clearingKeyPtr(): usize { return cfg + 144; }

@inline function isPow2(n: i32): bool { return n > 0 && (n & (n - 1)) == 0; }

function geometryOk(ledger: i32, sector: i32, page: i32, deny: i32): bool {
  if (!isPow2(sector) || sector < 1024 || sector > 65536) return false;
  if (!isPow2(page) || page < 16) return false;
  if (page > FLASH_CHUNK_BYTES || page > LEDGER_SLOT_BYTES) return false;
  if (ledger <= 0 || ledger % sector != 0) return false;
  const sectors = ledger / sector;
  if (sectors < 2 || sectors > LEDGER_SECTORS_MAX) return false;
  if (deny < 0 || deny % (2 * sector) != 0) return false;
  return true;
}

/** Validates and installs a configuration block; on failure the ledger is unconfigured. */
export function configure(ptr: usize, len: i32): i32 {
  configured = false;
  if (len != CONFIG_BYTES) return ERR_BAD_ARGUMENT;
  if (load<u32>(ptr) != CONFIG_MAGIC || load<u16>(ptr, 4) != 1) return ERR_BAD_CONFIG;
  const ledger = load<i32>(ptr, 8);
  const sector = load<i32>(ptr, 12);
  const page = load<i32>(ptr, 16);
  const deny = load<i32>(ptr, 20);
  if (!geometryOk(ledger, sector, page, deny)) return ERR_BAD_CONFIG;
  copyBytes(cfg, ptr, CONFIG_BYTES);
  ledgerBytes = ledger;
  sectorBytes = sector;
  pageBytes = page;
  denyBytes = deny;
  denyMaxAgeSeconds = load<u32>(ptr, 24);
  sectorCount = ledger / sector;
  slotsPerSector = sector / LEDGER_SLOT_BYTES;
  setPageBytes(page);
  configured = true;
  return OK;
}
