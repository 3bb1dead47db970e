// End to end through the board runtime in C (boards/runtime/): build/offtap-reader, built
// with a WASM3 checkout (make runtime-e2e WASM3_SRC=DIR), boots the real firmware from a
// signed image, takes taps through the PN532 emulator (`offtap nfc emulate`) and answers
// its maintenance console (boards/CONSOLE.md). The simulator is the oracle: the same seeded
// wallets and scenarios must get the same decisions. Skipped without WASM3_SRC.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { TestModeClient } from "../../host/device/client.ts";
import { verifyBatchFile } from "../../host/ledger/batch.ts";
import { encodeAckBody } from "../../host/ledger/format.ts";
import { reasonName } from "../../host/protocol/index.ts";
import { findScenario } from "../../host/sim/scenarios.ts";
import { SimWorld } from "../../host/sim/world.ts";
import { loadBoard } from "../../host/boards/index.ts";
import { worldImage } from "../../tools/runtime/world.ts";

const READER = "build/offtap-reader";
const BOARD = "esp32-gate-pn532";
const SEED = 7;
const skip = process.env["WASM3_SRC"] === undefined
  ? "WASM3_SRC is not set: the board runtime's end-to-end tests need a wasm3 checkout " +
    "(make runtime-e2e WASM3_SRC=DIR)"
  : !existsSync(READER) ? `${READER} is missing (make runtime WASM3_SRC=DIR)` : false;
const LINE_WAIT_MS = 20_000;

/** A child process whose stdout lines can be awaited. */
class Proc {
  readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  exited: number | null | undefined = undefined;
  constructor(readonly child: ChildProcess, readonly name: string) {
    let buf = "";
    child.stdout?.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        this.lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      this.wake();
    });
    child.stderr?.on("data", (d: Buffer) => {
      if (process.env["RUNTIME_E2E_VERBOSE"] !== undefined) process.stderr.write(`[${name}] ${d}`);
    });
    child.on("exit", (code) => { this.exited = code; this.wake(); });
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** The first line matching re (after index from), waiting up to ms. */
  async line(re: RegExp, ms = LINE_WAIT_MS, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (let i = from; i < this.lines.length; i++) {
        const m = re.exec(this.lines[i]!);
        if (m !== null) return m;
      }
      if (this.exited !== undefined) {
        throw new Error(`${this.name} exited (${this.exited}) before ${re}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no line ${re} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }
  matching(re: RegExp): RegExpExecArray[] {
    return this.lines.map((l) => re.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  }
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.exited !== undefined) return;
    const done = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill(signal);
    await done;
  }
}

function reader(flash: string, args: string[]): Proc {
  const p = spawn(READER, ["--flash", flash, "--console", "pty", "--clock", "1795305600", ...args],
    { stdio: ["ignore", "pipe", "pipe"] });
  return new Proc(p, "offtap-reader");
}

function emulator(args: string[]): Proc {
  const p = spawn(process.execPath, ["bin/offtap.mjs", "nfc", "emulate", "--pty", "--seed",
    String(SEED), "--time-scale", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  return new Proc(p, "nfc emulate");
}

async function console(p: Proc): Promise<TestModeClient> {
  const m = await p.line(/^console (\S+)/);
  return TestModeClient.open(m[1]!, 115_200, { identify: 5_000, session: 5_000, selftest: 10_000 });
}

interface Setup { dir: string; image: string; template: string; deny: Uint8Array }

/** The world's image on a fresh flash, the deny list installed over the console: a flash
 *  template each test copies. */
async function prepare(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "offtap-runtime-e2e-"));
  const w = await worldImage(SEED, BOARD);
  const image = join(dir, "world.img");
  writeFileSync(image, w.image);
  const template = join(dir, "template.flash");
  const r = reader(template, ["--image", image, "--nfc", "none"]);
  try {
    await r.line(/^boot .* init=0 /);
    const c = await console(r);
    try {
      const deny = w.denyList;
      await c.request("deny-begin", String(deny.length), 5_000);
      await c.request("deny-write", `0 ${Buffer.from(deny).toString("hex")}`, 5_000);
      await c.request("deny-commit", null, 5_000);
      const st = await c.request("status", null, 5_000);
      assert.match(st.ok, /deny-version=1 /);
    } finally {
      await c.close();
    }
  } finally {
    await r.stop();
  }
  return { dir, image, template, deny: w.denyList };
}

let setup: Setup | undefined;
async function getSetup(): Promise<Setup> {
  setup ??= await prepare();
  return setup;
}

function flashCopy(s: Setup, name: string): string {
  const f = join(s.dir, `${name}.flash`);
  copyFileSync(s.template, f);
  return f;
}

test("the real firmware boots from a signed image and answers vectors on the console",
  { skip }, async () => {
    const s = await getSetup();
    const r = reader(flashCopy(s, "vectors"), ["--nfc", "none"]);
    try {
      const boot = await r.line(
        /^boot board=(\S+) firmware=([0-9a-f]{64}) init=(-?\d+) boot-ms=(\d+)/);
      assert.equal(boot[1], BOARD);
      const fw = createHash("sha256").update(readFileSync("build/offtap.wasm")).digest("hex");
      assert.equal(boot[2], fw);
      assert.equal(boot[3], "0");
      const port = (await r.line(/^console (\S+)/))[1]!;
      const run = spawnSync(process.execPath, ["bin/offtap.mjs", "vectors", "run", "--engine",
        "device", "--port", port, "test/vectors/ed25519/rfc8032.json",
        "test/vectors/ed25519/speccheck.json"], { encoding: "utf8", timeout: 60_000 });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /ok: 17 vectors, 17 passed, 0 failed/);
      // Tap vectors: tap scripts on a fresh instance with the script's radio and flash.
      const taps = spawnSync(process.execPath, ["bin/offtap.mjs", "vectors", "run", "--engine",
        "device", "--port", port, "test/vectors/protocol/exchanges.json"],
      { encoding: "utf8", timeout: 120_000 });
      assert.equal(taps.status, 0, taps.stdout + taps.stderr);
      assert.match(taps.stdout, /ok: (\d+) vectors, \1 passed, 0 failed/);
    } finally {
      await r.stop();
    }
    const fig = await r.line(/^figures .*boot-ms=(\d+) vm-heap-bytes=(\d+) .*vm-stack-used=(\d+)/);
    process.stdout.write(`# runtime: boot ${fig[1]} ms, interpreter heap ${fig[2]} B, ` +
      `stack used ${fig[3]} B\n`);
  });

/** Honest wallets of the seed, in the simulator: the oracle's decisions. */
function simulatorDecisions(n: number): number[] {
  const world = new SimWorld({ seed: SEED, board: loadBoard(BOARD), captureLogs: false });
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(world.tap(world.createWallet()).decision);
  return out;
}

test("honest wallets through the PN532 emulator get the simulator's decisions", { skip },
  async () => {
    const s = await getSetup();
    const n = 12;
    const emu = emulator(["--wallets", String(n)]);
    const port = (await emu.line(/^ready (\S+)/))[1]!;
    const r = reader(flashCopy(s, "honest"), ["--nfc", port, "--taps", String(n)]);
    try {
      await r.line(/^figures /, 60_000);
      const got = r.matching(/^tap decision=(\d+)/).map((m) => Number(m[1]));
      assert.deepEqual(got.map(reasonName), simulatorDecisions(n).map(reasonName));
      process.stdout.write(`# runtime: ${got.length} taps, ${got.length} decisions agree\n`);
    } finally {
      await r.stop();
      await emu.stop();
    }
  });

/** Scenarios without set-up taps (the runtime starts from a fresh ledger), one per kind of
 *  decision: protocol faults, certificate checks, authorization checks, wallet refusal. */
const SCENARIOS = [
  "accepted", "no-app", "garbage", "issuer-unknown", "issuer-revoked", "cert-bad-signature",
  "cert-expired", "cert-currency", "other-reader", "wrong-key", "exceed-cap", "refuse",
];

test("seeded scenarios through the PN532 emulator get the simulator's decisions", { skip },
  async () => {
    const s = await getSetup();
    const flash = flashCopy(s, "scenarios");
    let agree = 0;
    for (const name of SCENARIOS) {
      const sc = findScenario(name);
      assert.ok(sc !== undefined, name);
      const want = sc.run(SEED).result.decision;
      copyFileSync(s.template, flash);
      const emu = emulator(["--scenario", name]);
      const port = (await emu.line(/^ready (\S+)/))[1]!;
      const r = reader(flash, ["--nfc", port, "--taps", "1"]);
      try {
        await r.line(/^figures /, 30_000).catch((e: Error) => {
          throw new Error(`scenario ${name}: ${e.message}`);
        });
        const got = r.matching(/^tap decision=(\d+)/).map((m) => Number(m[1]));
        assert.deepEqual(got.map(reasonName), [reasonName(want)], `scenario ${name}`);
        agree++;
      } finally {
        await r.stop();
        await emu.stop();
      }
    }
    process.stdout.write(`# runtime: ${agree}/${SCENARIOS.length} scenarios agree\n`);
  });

test("kill -9 in the middle of taps and a reboot lose and duplicate nothing; export, " +
  "acknowledgement over the console frees flash", { skip }, async () => {
  const s = await getSetup();
  const n = 24;
  const flash = flashCopy(s, "kill");
  const emu = emulator(["--wallets", String(n)]);
  const port = (await emu.line(/^ready (\S+)/))[1]!;
  let accepted = 0;
  try {
    const first = reader(flash, ["--nfc", port]);
    await first.line(/^tap decision=/, 30_000, 0);
    for (let k = 0; first.matching(/^tap decision=/).length < 8 && k < 200; k++) {
      await new Promise((res) => setTimeout(res, 5));
    }
    await first.stop("SIGKILL");
    accepted += first.matching(/^tap decision=0 /).length;
    const second = reader(flash, ["--nfc", port]);
    try {
      await second.line(/^boot .* init=0 /);
      const c = await console(second);
      try {
        // Wait until the field is empty: no new tap for a while.
        let seen = -1;
        for (let k = 0; k < 100; k++) {
          await new Promise((res) => setTimeout(res, 300));
          const now = second.matching(/^tap decision=/).length;
          if (now === seen) break;
          seen = now;
        }
        accepted += second.matching(/^tap decision=0 /).length;
        await checkLedger(c, s, accepted);
      } finally {
        await c.close();
      }
    } finally {
      await second.stop();
    }
  } finally {
    await emu.stop();
  }
});

/** Exports every batch, checks signature, chain and sequence as clearing does, that each
 *  wallet paid once and nothing accepted is missing; then acknowledges and checks that the
 *  reader frees its sectors. */
async function checkLedger(c: TestModeClient, s: Setup, accepted: number): Promise<void> {
  const w = await worldImage(SEED, BOARD);
  const parts: Buffer[] = [];
  for (let from = 1, k = 0; k < 100; k++) {
    const a = await c.request("export", `${from} 10`, 5_000);
    if (a.ok === "") break;
    const b = Buffer.from(a.ok, "hex");
    parts.push(b);
    from = b.readUInt32LE(28) + 1;
  }
  const file = new Uint8Array(Buffer.concat(parts));
  const check = verifyBatchFile(file, w.world.deviceKey.publicKey);
  assert.deepEqual(check.problems, []);
  // A record may exist for a tap whose decision line the kill swallowed; none is missing.
  assert.ok(check.records >= accepted && check.records <= accepted + 1,
    `${check.records} records for ${accepted} accepted taps`);
  assert.equal(check.firstSeq, 1);
  assert.equal(check.lastSeq, check.records);
  const before = await c.request("status", null, 5_000);
  const reusable0 = Number(/reusable-sectors=(\d+)/.exec(before.ok)?.[1]);
  const ledgerReaderId = new Uint8Array(16); // the wire id, zero-padded (docs/LEDGER.md §1)
  ledgerReaderId.set(w.world.readerId);
  const body = encodeAckBody(ledgerReaderId, check.lastSeq,
    Uint8Array.from(Buffer.from(check.headAfter, "hex")));
  const ack = new Uint8Array(body.length + 64);
  ack.set(body);
  ack.set(w.world.clearingKey.sign(body), body.length);
  await c.request("ack", Buffer.from(ack).toString("hex"), 5_000);
  const after = await c.request("status", null, 5_000);
  assert.match(after.ok, new RegExp(`acked-seq=${check.lastSeq} `));
  const reusable1 = Number(/reusable-sectors=(\d+)/.exec(after.ok)?.[1]);
  assert.ok(reusable1 > reusable0, `reusable sectors ${reusable0} → ${reusable1}`);
  process.stdout.write(`# runtime: kill -9 run: ${accepted} accepted, ${check.records} records, ` +
    `chain and sequence intact; ack freed ${reusable1 - reusable0} sectors\n`);
  rmSync(s.dir, { recursive: true, force: true });
  setup = undefined;
}
