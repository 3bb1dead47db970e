// Provisioning (docs/CONFIG.md): check the block, register the issuer keys, check the
// device key, configure and recover the ledger. Only when every step succeeded does the
// reader take taps; any failure leaves it NOT_CONFIGURED.
import { READER_CONFIG_BYTES_MAX, REGISTERED_KEYS_MAX } from "../limits";
import { log } from "../board/reader";
import { LOG_INFO, LOG_ERROR } from "../board/codes";
import { ed25519RegisterKey } from "../crypto/verify";
import { ed25519PublicKey } from "../crypto/sign";
import { INIT_OK, ERR_CONFIG_LENGTH, ERR_CONFIG_KEY } from "./codes";
import { bytesEqual } from "./bytes";
import * as cfg from "./config";
import * as lg from "./ledgerport";
import { certCacheClear } from "./cache";
import { setConfigured } from "./tap";
import { walletKeysReset } from "./walletkeys";

/** Device key inside the ledger block (docs/LEDGER.md §1): seed at 48, public key at 80. */
const LEDGER_DEVICE_SEED_AT: usize = 48;
const LEDGER_DEVICE_PUBLIC_AT: usize = 80;
const derivedPublic: usize = memory.data(32, 16);

// "reader ready"
const MSG_READY: usize = memory.data<u8>([
  0x72, 0x65, 0x61, 0x64, 0x65, 0x72, 0x20, 0x72, 0x65, 0x61, 0x64, 0x79,
]);
const MSG_READY_BYTES: i32 = 12;
// "config refused"
const MSG_REFUSED: usize = memory.data<u8>([
  0x63, 0x6F, 0x6E, 0x66, 0x69, 0x67, 0x20, 0x72, 0x65, 0x66, 0x75, 0x73, 0x65, 0x64,
]);
const MSG_REFUSED_BYTES: i32 = 14;

/** The block must lie inside linear memory before a single byte of it is read. */
function inMemory(p: usize, len: i32): bool {
  if (len < 0 || len > READER_CONFIG_BYTES_MAX) return false;
  return <u64>p + <u64>len <= (<u64>memory.size() << 16);
}

/** Registers every provisioned issuer key; the strict policy refuses bad keys here, once. */
function registerKeys(): i32 {
  for (let i = 0; i < cfg.keyCount; i++) { // keyCount ≤ ISSUER_KEYS_MAX
    if (ed25519RegisterKey(i, cfg.keyPtrAt(i)) != 0) return ERR_CONFIG_KEY;
  }
  return INIT_OK;
}

/** The device key's public half must be the one its seed derives: clearing checks
 *  batches against the public key it was given. */
function checkDeviceKey(): i32 {
  const l = cfg.ledgerBlockPtr();
  ed25519PublicKey(l + LEDGER_DEVICE_SEED_AT, derivedPublic);
  return bytesEqual(derivedPublic, l + LEDGER_DEVICE_PUBLIC_AT, 32) ? INIT_OK : ERR_CONFIG_KEY;
}

function provision(p: usize, len: i32): i32 {
  if (!inMemory(p, len)) return ERR_CONFIG_LENGTH;
  let r = cfg.configParse(p, len, lg.ledgerConfigBytes());
  if (r == INIT_OK) r = registerKeys();
  // Slots past the issuer keys hold wallets' tables from here on (reader/walletkeys.ts).
  if (r == INIT_OK) walletKeysReset(cfg.keyCount);
  if (r == INIT_OK) r = checkDeviceKey();
  if (r == INIT_OK) r = lg.ledgerConfigure(cfg.ledgerBlockPtr(), cfg.ledgerBlockLen());
  if (r == INIT_OK) r = lg.ledgerRecover();
  return r;
}

/** init(config, len): 0, a reader status (−30 … −39) or a ledger status (−1 … −20). */
export function readerInit(p: usize, len: i32): i32 {
  setConfigured(false);
  certCacheClear();
  walletKeysReset(REGISTERED_KEYS_MAX); // no wallet slots until the issuer keys are known
  const r = provision(p, len);
  if (r != INIT_OK) {
    log(LOG_ERROR, MSG_REFUSED, MSG_REFUSED_BYTES);
    return r;
  }
  setConfigured(true);
  log(LOG_INFO, MSG_READY, MSG_READY_BYTES);
  return INIT_OK;
}
