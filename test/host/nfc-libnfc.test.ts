// The PN532 emulator checked by a PN532 host written by others: Debian's libnfc tools
// (nfc-scan-device, nfc-list, nfc-poll, nfc-emulate-forum-tag4) over pseudo-terminals,
// and the two-PN532 bench: reader driver ↔ emulated PN532 ↔ shared field ↔ emulated PN532
// in target mode ↔ `offtap wallet`. Every emulator here is the real `offtap nfc emulate`.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { openPtyPair, type PtyPair } from "../../host/serial/pty.ts";
import { openPn532 } from "../../host/nfc/session.ts";
import { SimWorld } from "../../host/sim/world.ts";
import type { Pn532Driver, Target } from "../../host/nfc/pn532/driver.ts";

const HAVE_LIBNFC =
  spawnSync("sh", ["-c", "command -v nfc-list && command -v nfc-emulate-forum-tag4"]).status === 0;
const SKIP = HAVE_LIBNFC
  ? false
  : "libnfc tools missing: apt-get install -y libnfc-bin libnfc-examples (make test-deps)";
const children: ChildProcess[] = [];
const pairs: PtyPair[] = [];

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  for (const p of pairs) await p.close();
});

/** Starts `offtap nfc emulate` on fresh pty pairs; resolves with the pairs once it is ready. */
async function emulator(
  ports: number,
  args: string[],
): Promise<{ pairs: PtyPair[]; child: ChildProcess }> {
  const ps: PtyPair[] = [];
  for (let i = 0; i < ports; i++) ps.push(await openPtyPair());
  pairs.push(...ps);
  const portArgs = ps.flatMap((p) => ["--port", p.devicePath]);
  const child = spawn(
    process.execPath,
    ["bin/offtap.mjs", "nfc", "emulate", ...portArgs, "--time-scale", "0", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  const line = await firstLine(child);
  assert.match(line, /^ready /);
  return { pairs: ps, child };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer): void => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        child.stdout!.off("data", onData);
        resolve(out.slice(0, nl));
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code} before its first line`)));
  });
}

function libnfc(
  tool: string,
  pty: PtyPair,
  args: string[] = [],
): { status: number | null; stdout: string } {
  const r = spawnSync(tool, args, {
    env: { ...process.env, LIBNFC_DEVICE: `pn532_uart:${pty.hostPath}` },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout };
}

test(
  "nfc-scan-device, nfc-list find the emulated PN532 and the wallet as ISO 14443-4A with ATS",
  { skip: SKIP },
  async () => {
    const {
      pairs: [p],
    } = await emulator(1, ["--wallets", "1"]);
    const scan = libnfc("nfc-scan-device", p!, ["-v"]);
    assert.equal(scan.status, 0);
    assert.match(scan.stdout, /1 NFC device\(s\) found/);
    assert.match(scan.stdout, /chip: PN532 v1\.6/);
    const list = libnfc("nfc-list", p!);
    assert.equal(list.status, 0, list.stdout);
    assert.match(list.stdout, /1 ISO14443A passive target\(s\) found/);
    assert.match(list.stdout, /ATQA \(SENS_RES\): 00 {2}04/);
    assert.match(list.stdout, /SAK \(SEL_RES\): 20/);
    assert.match(list.stdout, /ATS: 78 {2}80 {2}80 {2}02/);
  },
);

test("nfc-poll finds the wallet, then sees it taken away", { skip: SKIP }, async () => {
  const {
    pairs: [p],
  } = await emulator(1, ["--wallets", "1", "--hold", "2"]);
  const poll = libnfc("nfc-poll", p!);
  assert.equal(poll.status, 0, poll.stdout);
  assert.match(poll.stdout, /ISO\/IEC 14443A \(106 kbps\) target:/);
  assert.match(poll.stdout, /UID \(NFCID3\): 08 /);
  assert.match(poll.stdout, /Waiting for card removing\.\.\.done\./);
});

test(
  "nfc-emulate-forum-tag4 runs on the second PN532 and the reader driver reads its NDEF tag",
  { skip: SKIP },
  async () => {
    const {
      pairs: [reader, card],
    } = await emulator(2, ["--wallets", "0"]);
    const tag = spawn("nfc-emulate-forum-tag4", [], {
      env: { ...process.env, LIBNFC_DEVICE: `pn532_uart:${card!.hostPath}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(tag);
    let tagOut = "";
    tag.stdout!.on("data", (d: Buffer) => {
      tagOut += d.toString();
    });
    const o = openPn532({ path: reader!.hostPath, baud: 115_200 });
    assert.ok("driver" in o, "reader PN532 starts");
    const target = await pollUntilTarget(o.driver);
    assert.deepEqual([...target.uid], [0x08, 0x00, 0xb0, 0x0b]); // the tool's UID
    const apdu = (hex: string): string => {
      const r = o.driver.exchange(Uint8Array.from(Buffer.from(hex, "hex")), 258, 500);
      assert.ok(r.ok, `APDU ${hex}`);
      return Buffer.from(r.value).toString("hex");
    };
    assert.equal(apdu("00a4040007d276000085010100"), "9000"); // NDEF application v2
    assert.equal(apdu("00a4000c02e103"), "9000"); // capability container
    const cc = apdu("00b000000f");
    assert.match(cc, /^000f20/); // CCLEN 15, mapping version 2.0
    assert.equal(apdu("00a4000c02e104"), "9000"); // NDEF file
    const nlen = apdu("00b0000002");
    const len = parseInt(nlen.slice(0, 4), 16);
    const ndef = Buffer.from(
      apdu(`00b00002${len.toString(16).padStart(2, "0")}`).slice(0, -4),
      "hex",
    );
    assert.ok(
      ndef.includes(Buffer.from("libnfc.org")),
      `the tool's default NDEF message: ${ndef.toString("hex")}`,
    );
    o.driver.release();
    o.close();
    await waitFor(() => tag.exitCode !== null, 10_000); // released: its emulation loop ends
    assert.match(tagOut, /In: 00  a4  04  00  07  d2  76  00  00  85  01  01  00/);
  },
);

test("two-PN532 bench: reader driver, two emulated PN532s in a field, offtap wallet", async () => {
  const {
    pairs: [reader, card],
  } = await emulator(2, ["--wallets", "0"]);
  const wallet = spawn(
    process.execPath,
    [
      "bin/offtap.mjs",
      "wallet",
      "--nfc",
      `pn532:${card!.hostPath}`,
      "--seed",
      "3",
      "--taps",
      "2",
      "--json",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(wallet);
  let walletOut = "";
  wallet.stdout!.on("data", (d: Buffer) => {
    walletOut += d.toString();
  });
  const o = openPn532({ path: reader!.hostPath, baud: 115_200 });
  assert.ok("driver" in o);
  const world = new SimWorld({ seed: 3, captureLogs: false });
  o.front.attach(world.board);
  const reasons: string[] = [];
  for (let i = 0; i < 2; i++) {
    // Wait for the wallet's PN532 to be in target mode, then tap.
    await pollUntilTarget(o.driver);
    o.front.beginTap(true);
    reasons.push(world.tap(undefined, 0).reason);
    o.front.endTap();
  }
  o.close();
  assert.deepEqual(reasons, ["ACCEPTED", "ACCEPTED"]);
  await waitFor(() => wallet.exitCode !== null, 10_000);
  assert.equal(wallet.exitCode, 0);
  const lines = walletOut
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { steps: string[]; counter: number });
  assert.deepEqual(
    lines.map((l) => l.steps),
    [
      ["SELECT 9000", "PAY 9000", "RECEIPT 9000"],
      ["SELECT 9000", "PAY 9000", "RECEIPT 9000"],
    ],
  );
  assert.deepEqual(
    lines.map((l) => l.counter),
    [1, 2],
  );
});

/** Polls until a target is activated (a target-mode PN532 needs its host to start). */
async function pollUntilTarget(driver: Pn532Driver): Promise<Target> {
  for (let tries = 0; tries < 400; tries++) {
    const p = driver.poll();
    if (p.ok && p.value !== undefined) return p.value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no target entered the field in 10 s");
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
