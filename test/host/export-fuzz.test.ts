// The board boundary under hostile inputs, through the real firmware (build/offtap.wasm):
// every export that takes a pointer or a length is called with seeded hostile values
// (negative, huge, overflowing, straddling the I/O buffer's ends, pointing at firmware
// RAM). Expectations come from the rule in assembly/index.ts, mirrored here: a call whose
// ranges leave the I/O buffer is refused with ERR_BOUNDS (VERIFY_BAD_INPUT for verify)
// and changes no byte of memory or flash; no call traps or aborts; no call ever copies
// the device seed into flash; every status is one the docs list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Xorshift32 } from "../../host/sim/flash.ts";
import { encodeDenyListBody } from "../../host/ledger/format.ts";
import { signEd25519 } from "../../host/ledger/keys.ts";
import { SyntheticTaps } from "../../host/ledger/workload.ts";
import { rig, type Rig } from "./ledger-support.ts";

const SEED = Number(process.env["OFFTAP_FUZZ_SEED"] ?? 20261205);
const CALLS = 3000;
const ERR_BOUNDS = -1;
const ERR_NOT_CONFIGURED = -10;
const ERR_BAD_ARGUMENT = -13;
const ERR_BAD_FORMAT = -20;
const VERIFY_BAD_INPUT = 10;
const LEDGER_STATUSES = new Set([
  0, -1, -2, -3, -10, -11, -12, -13, -14, -15, -16, -17, -18, -19, -20,
]);

type Fn = (...args: (number | bigint)[]) => number | undefined;
type Arg =
  | { kind: "ptr"; len: number | "next" }
  | { kind: "len" }
  | { kind: "int" }
  | { kind: "u64" };

/** Each export: its arguments, and which result kind it returns. */
const P = (len: number | "next"): Arg => ({ kind: "ptr", len });
const LEN: Arg = { kind: "len" };
const INT: Arg = { kind: "int" };
const SIGS: Record<string, { args: Arg[]; result: "ledger" | "verify" | "void" | "count" }> = {
  sha512: { args: [P("next"), LEN, P(64)], result: "void" },
  sha512Update: { args: [P("next"), LEN], result: "void" },
  sha512Final: { args: [P(64)], result: "void" },
  ed25519Verify: { args: [P(32), P("next"), LEN, P(64)], result: "verify" },
  ed25519VerifyBegin: { args: [P(32), P(64)], result: "verify" },
  ed25519VerifyUpdate: { args: [P("next"), LEN], result: "void" },
  ed25519RegisterKey: { args: [INT, P(32)], result: "verify" },
  ed25519VerifyRegistered: { args: [INT, P("next"), LEN, P(64)], result: "verify" },
  ed25519VerifyHinted: { args: [P(32), P("next"), LEN, P(64), P(32), P(32)], result: "verify" },
  ed25519VerifyRegisteredHinted: { args: [INT, P("next"), LEN, P(64), P(32)], result: "verify" },
  ed25519PublicKey: { args: [P(32), P(32)], result: "void" },
  ed25519Sign: { args: [P(64), P("next"), LEN, P(64)], result: "void" },
  ledgerConfigure: { args: [P("next"), LEN], result: "ledger" },
  ledgerAppend: { args: [P(16), INT, { kind: "u64" }, INT, P("next"), LEN], result: "ledger" },
  ledgerChainHead: { args: [P(32)], result: "void" },
  ledgerFindWallet: { args: [P(16), P(8)], result: "ledger" },
  ledgerAcknowledge: { args: [P("next"), LEN], result: "ledger" },
  ledgerDenyBegin: { args: [LEN], result: "ledger" },
  ledgerDenyWrite: { args: [INT, P("next"), LEN], result: "ledger" },
  ledgerDenyContains: { args: [P(16)], result: "ledger" },
  ledgerDenyKeyRevoked: { args: [P(8)], result: "ledger" },
  ledgerDenyCertVouched: { args: [P(16)], result: "ledger" },
  ledgerExport: { args: [INT, INT], result: "ledger" },
  ledgerReadRecord: { args: [INT], result: "ledger" },
  ledgerSignalMark: { args: [INT], result: "ledger" },
  ledgerSignalState: { args: [INT], result: "ledger" },
};

interface Board {
  r: Rig;
  fns: Record<string, Fn>;
  io: number;
  ioBytes: number;
  mem: () => Uint8Array;
}

function board(): Board {
  const r = rig();
  const taps = new SyntheticTaps(3);
  for (let i = 0; i < 5; i++) assert.ok(r.dev.append(taps.payment(i)) > 0);
  const x = r.dev.x as unknown as Record<string, Fn>;
  const io = r.dev.x.ioBufferPtr();
  const mem = (): Uint8Array => new Uint8Array(r.dev.x.memory.buffer);
  return { r, fns: x, io, ioBytes: r.dev.x.ioBufferBytes(), mem };
}

/** The rule of assembly/guard.ts, written again from its comment. */
function inIo(b: Board, ptr: number, len: number): boolean {
  const p = ptr >>> 0;
  return len >= 0 && len <= b.ioBytes && p >= b.io && p + len <= b.io + b.ioBytes;
}

/** Hostile and friendly values for pointers, lengths and plain integers. */
function pick(rng: Xorshift32, b: Board, kind: "ptr" | "len" | "int", len = 0): number {
  const memBytes = b.mem().length;
  const choices: (() => number)[] = kind === "ptr"
    ? [
      () => b.io + rng.below(64), () => b.io + b.ioBytes - len, () => b.io + b.ioBytes - len + 1,
      () => b.io - 1, () => 0, () => -1, () => 0x7fffffff, () => -0x80000000, () => memBytes - 8,
      () => rng.below(memBytes), () => b.io + b.ioBytes, () => rng.nextU32() | 0,
    ]
    : kind === "len"
      ? [
        () => rng.below(200), () => 0, () => -1, () => 0x7fffffff, () => -0x80000000,
        () => b.ioBytes, () => b.ioBytes + 1, () => b.ioBytes - rng.below(300), () => 176,
        () => 124,
        () => rng.nextU32() | 0,
      ]
      : [
        () => rng.below(10), () => 0, () => -1, () => 0x7fffffff, () => rng.nextU32() | 0,
        () => 1,
      ];
  return choices[rng.below(choices.length)]!();
}

/** Arguments for one call, and whether the guard must refuse it. */
function argsFor(rng: Xorshift32, b: Board, sig: Arg[]):
  { args: (number | bigint)[]; refused: boolean } {
  const args: (number | bigint)[] = [];
  const ranges: [number, number][] = [];
  for (let i = 0; i < sig.length; i++) {
    const a = sig[i]!;
    if (a.kind === "u64") { args.push(BigInt(rng.nextU32()) << 20n); continue; }
    if (a.kind === "int" || a.kind === "len") { args.push(pick(rng, b, a.kind)); continue; }
    if (a.len === "next") {
      const len = pick(rng, b, "len");
      const ptr = pick(rng, b, "ptr", Math.max(0, Math.min(len, b.ioBytes)));
      args.push(ptr, len);
      ranges.push([ptr, len]);
      i++; // the length argument is the next one
    } else {
      const ptr = pick(rng, b, "ptr", a.len);
      args.push(ptr);
      ranges.push([ptr, a.len]);
    }
  }
  return { args, refused: ranges.some(([p, n]) => !inIo(b, p, n)) };
}

/** Names whose length argument is checked before their pointer (refused with another status). */
function lengthFirst(name: string, args: (number | bigint)[]): number | undefined {
  if (name === "ledgerAcknowledge" && args[1] !== 124) return ERR_BAD_FORMAT;
  if (name === "ledgerConfigure" && args[1] !== 176) return ERR_BAD_ARGUMENT;
  return undefined;
}

const indexOf = (hay: Uint8Array, needle: Uint8Array): number =>
  Buffer.from(hay).indexOf(Buffer.from(needle));

const FUZZ_NAME = `export fuzz: ${CALLS} seeded hostile calls (seed ${SEED}) — no trap, `
  + "refused calls touch nothing";

test(FUZZ_NAME, () => {
  const b = board();
  const rng = new Xorshift32(SEED);
  const names = Object.keys(SIGS);
  const seedBytes = b.r.id.device.seed;
  const counts = { refused: 0, accepted: 0 };
  for (let call = 0; call < CALLS; call++) {
    const name = names[rng.below(names.length)]!;
    const sig = SIGS[name]!;
    const { args, refused } = argsFor(rng, b, sig.args);
    const early = lengthFirst(name, args);
    const memBefore = b.mem().slice();
    const ledgerBefore = b.r.flash.partition(0).bytes.slice();
    const denyBefore = b.r.flash.partition(1).bytes.slice();
    let result: number | undefined;
    const what = `call ${call} (seed ${SEED}): ${name}(${args.join(", ")})`;
    try {
      result = b.fns[name]!(...args);
    } catch (e) {
      assert.fail(`${what} trapped: ${(e as Error).message}`);
    }
    if (sig.result === "ledger") {
      assert.ok(LEDGER_STATUSES.has(result!) || result! > 0, `${what} → ${result}`);
    }
    if (sig.result === "verify") {
      assert.ok(result! >= 0 && result! <= VERIFY_BAD_INPUT, `${what} → ${result}`);
    }
    if (refused || early !== undefined) {
      counts.refused++;
      const expected = early ?? (sig.result === "verify" ? VERIFY_BAD_INPUT : ERR_BOUNDS);
      if (sig.result !== "void") assert.equal(result, expected, what);
      const endsSession = ["ledgerDenyWrite", "ed25519VerifyBegin", "ledgerConfigure"];
      if (!endsSession.includes(name)) {
        // A refused write or begin also ends its session (a RAM flag), nothing else.
        const changed = b.mem().findIndex((x, i) => x !== memBefore[i]);
        if (!name.startsWith("sha512Update") && !name.startsWith("ed25519VerifyUpdate")) {
          assert.equal(changed, -1, `${what} changed memory at ${changed}`);
        }
      }
      const ledgerNow = b.r.flash.partition(0).bytes;
      assert.ok(Buffer.compare(ledgerNow, ledgerBefore) === 0, `${what} changed the ledger`);
      const denyNow = b.r.flash.partition(1).bytes;
      assert.ok(Buffer.compare(denyNow, denyBefore) === 0, `${what} changed the deny list`);
    } else {
      counts.accepted++;
    }
    // Any configure call leaves the ledger to be recovered (docs/LEDGER.md §1): boot the
    // rig's own configuration again so the calls that follow reach the ledger.
    if (name === "ledgerConfigure") assert.equal(b.r.dev.boot(b.r.config), 0);
  }
  const ledger = b.r.flash.partition(0).bytes;
  assert.equal(indexOf(ledger, seedBytes), -1, "the device seed never reaches the ledger");
  const deny = b.r.flash.partition(1).bytes;
  assert.equal(indexOf(deny, seedBytes), -1, "the device seed never reaches the deny list");
  assert.ok(counts.refused > CALLS / 4 && counts.accepted > CALLS / 20, JSON.stringify(counts));
});

test("the issue's cases: deny write overflow, begin resets, ack pointer, negative length", () => {
  const b = board();
  const x = b.r.dev.x;
  const io = b.io;
  const body = encodeDenyListBody({
    version: 1, issuedAt: 1_790_000_000, walletIds: [], revokedKeyIds: [],
  });
  const list = new Uint8Array([...body, ...signEd25519(b.r.id.operator.seed, body)]);
  const deny = b.r.flash.partition(1).bytes;
  // ledgerDenyWrite: offset + len overflowed i32 and copied firmware RAM into the partition.
  assert.equal(x.ledgerDenyBegin(list.length), 0);
  const before = deny.slice();
  assert.equal(x.ledgerDenyWrite(0, io, 0x7fffffff), ERR_BOUNDS);
  assert.equal(x.ledgerDenyWrite(1, io, 0x7fffffff), ERR_BOUNDS);
  assert.ok(Buffer.compare(deny, before) === 0, "nothing was programmed");
  assert.equal(x.ledgerDenyCommit(), ERR_NOT_CONFIGURED, "a refused write ends the session");
  // Offsets that overflow with an in-bounds source are refused by the session's own check.
  assert.equal(x.ledgerDenyBegin(list.length), 0);
  assert.equal(x.ledgerDenyWrite(0x7fffff00, io, 0x100), ERR_BAD_ARGUMENT);
  assert.equal(x.ledgerDenyCommit(), ERR_NOT_CONFIGURED);
  // ledgerDenyBegin with a bad length still ends the session it replaces.
  assert.equal(x.ledgerDenyBegin(list.length), 0);
  new Uint8Array(x.memory.buffer).set(list, io);
  assert.equal(x.ledgerDenyWrite(0, io, list.length), 0);
  assert.equal(x.ledgerDenyBegin(-5), ERR_BAD_ARGUMENT);
  assert.equal(x.ledgerDenyCommit(), ERR_NOT_CONFIGURED, "no session survives a refused begin");
  assert.equal(b.r.dev.installDenyList(list), 0, "a clean session still installs");
  // ledgerAcknowledge copied 124 bytes from anywhere.
  assert.equal(x.ledgerAcknowledge(0, 124), ERR_BOUNDS);
  assert.equal(x.ledgerAcknowledge(io + b.ioBytes - 100, 124), ERR_BOUNDS);
  // A negative message length aborted the one-shot verify.
  const e = x as unknown as Record<string, Fn>;
  assert.equal(e["ed25519Verify"]!(io, io + 100, -1, io + 32), VERIFY_BAD_INPUT);
  assert.equal(e["ed25519VerifyRegistered"]!(0, io, -7, io), VERIFY_BAD_INPUT);
  // A refused update spoils its stream: a chunk left out never verifies a shorter message.
  const msg = new TextEncoder().encode("abc");
  const mem = new Uint8Array(x.memory.buffer);
  mem.set(b.r.id.device.publicKey, io);
  mem.set(signEd25519(b.r.id.device.seed, msg), io + 32);
  mem.set(msg, io + 96);
  for (const spoil of [false, true]) {
    assert.equal(e["ed25519VerifyBegin"]!(io, io + 32), 0);
    e["ed25519VerifyUpdate"]!(io + 96, 3);
    if (spoil) e["ed25519VerifyUpdate"]!(io + 96, -1);
    assert.equal(e["ed25519VerifyEnd"]!(), spoil ? VERIFY_BAD_INPUT : 0);
  }
});
