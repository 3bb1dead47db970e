// The selftest line protocol (docs/SELFTEST.md): one input line in, exactly one output
// line out, except comments and blank lines, which produce none.
import { fieldCount, isBlank, splitFields, fieldIs, fieldPtr, fixedField, messageField, slotField } from "./fields";
import { outText, outHex, outLine, outError } from "./out";
import { VerifyStatus } from "../crypto/policy";
import { sha512 } from "../crypto/sha512";
import { ed25519Verify, ed25519RegisterKey, ed25519VerifyRegistered } from "../crypto/verify";
import { ed25519PublicKey, ed25519Sign } from "../crypto/sign";

const PK_BYTES: i32 = 32;
const SEED_BYTES: i32 = 32;
const SIG_BYTES: i32 = 64;
const DIGEST_BYTES: i32 = 64;

const digest: usize = memory.data(DIGEST_BYTES, 16);
/** seed || public key: the 64-byte secret key ed25519Sign takes. */
const secretKey: usize = memory.data(SEED_BYTES + PK_BYTES, 16);
const signature: usize = memory.data(SIG_BYTES, 16);

function okOrFail(ok: bool): void {
  outText(ok ? "ok" : "fail");
  outLine();
}

function usage(text: string): void {
  outText("error usage: ");
  outText(text);
  outLine();
}

function cmdVerify(): void {
  if (fieldCount != 4) return usage("verify <pk-hex> <msg-hex> <sig-hex>");
  if (!fixedField(1, PK_BYTES, "public key")) return;
  const msgLen = messageField(2);
  if (msgLen < 0) return;
  if (!fixedField(3, SIG_BYTES, "signature")) return;
  okOrFail(ed25519Verify(fieldPtr(1), fieldPtr(2), msgLen, fieldPtr(3)) == VerifyStatus.Valid);
}

function cmdRegister(): void {
  if (fieldCount != 3) return usage("register <slot> <pk-hex>");
  const slot = slotField(1);
  if (slot < 0) return;
  if (!fixedField(2, PK_BYTES, "public key")) return;
  okOrFail(ed25519RegisterKey(slot, fieldPtr(2)) == VerifyStatus.Valid);
}

function cmdVerifyRegistered(): void {
  if (fieldCount != 4) return usage("verify-registered <slot> <msg-hex> <sig-hex>");
  const slot = slotField(1);
  if (slot < 0) return;
  const msgLen = messageField(2);
  if (msgLen < 0) return;
  if (!fixedField(3, SIG_BYTES, "signature")) return;
  okOrFail(ed25519VerifyRegistered(slot, fieldPtr(2), msgLen, fieldPtr(3)) == VerifyStatus.Valid);
}

function cmdSha512(): void {
  if (fieldCount != 2) return usage("sha512 <msg-hex>");
  const msgLen = messageField(1);
  if (msgLen < 0) return;
  sha512(fieldPtr(1), msgLen, digest);
  outHex(digest, DIGEST_BYTES);
  outLine();
}

function cmdSign(): void {
  if (fieldCount != 3) return usage("sign <seed-hex> <msg-hex>");
  if (!fixedField(1, SEED_BYTES, "seed")) return;
  const msgLen = messageField(2);
  if (msgLen < 0) return;
  for (let i = 0; i < SEED_BYTES; i++) store<u8>(secretKey + <usize>i, load<u8>(fieldPtr(1) + <usize>i));
  ed25519PublicKey(secretKey, secretKey + <usize>SEED_BYTES);
  ed25519Sign(secretKey, fieldPtr(2), msgLen, signature);
  outHex(signature, SIG_BYTES);
  outLine();
}

/** Answers one input line (terminator and a CR before it removed). `tooLong` means the line was cut at
 *  SELFTEST_LINE_BYTES_MAX and only its start is in `line`. */
export function handleLine(line: usize, len: i32, tooLong: bool): void {
  let s = 0;
  while (s < len && isBlank(load<u8>(line + <usize>s))) s++;
  const isComment = s < len && load<u8>(line + <usize>s) == 0x23;
  if (isComment) return;
  if (tooLong) return outError("line too long");
  if (s == len) return; // blank line
  if (!splitFields(line + <usize>s, len - s)) return outError("too many fields");
  if (fieldIs(0, "verify")) return cmdVerify();
  if (fieldIs(0, "verify-registered")) return cmdVerifyRegistered();
  if (fieldIs(0, "register")) return cmdRegister();
  if (fieldIs(0, "sha512")) return cmdSha512();
  if (fieldIs(0, "sign")) return cmdSign();
  outError("unknown command");
}
