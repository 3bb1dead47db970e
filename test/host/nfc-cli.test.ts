// The NFC commands as a user runs them: `offtap nfc emulate` on a pseudo-terminal, and
// `offtap tap --nfc` / `offtap reader --nfc` on its other end, each a separate process;
// and their usage errors.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { openPtyPair, type PtyPair } from "../../host/serial/pty.ts";
import { main } from "../../host/cli/main.ts";

const children: ChildProcess[] = [];
const pairs: PtyPair[] = [];

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  for (const p of pairs) await p.close();
});

function offtap(args: string[]): {
  child: ChildProcess;
  out: () => string;
  done: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["bin/offtap.mjs", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out: () => out, done };
}

async function emulator(
  args: string[],
): Promise<{ pty: PtyPair; stop: () => Promise<number | null> }> {
  const pty = await openPtyPair();
  pairs.push(pty);
  const e = offtap(["nfc", "emulate", "--port", pty.devicePath, "--time-scale", "0", ...args]);
  const deadline = Date.now() + 20_000;
  while (!e.out().includes("\n")) {
    if (Date.now() > deadline || e.child.exitCode !== null)
      throw new Error(`emulator did not start: ${e.out()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(e.out(), `ready ${pty.devicePath}\n`);
  return {
    pty,
    stop: async () => {
      e.child.kill("SIGTERM");
      return e.done;
    },
  };
}

test("offtap tap --nfc gives the scenario's decision through the emulated PN532", async () => {
  const { pty, stop } = await emulator(["--scenario", "vanish-after-pay", "--seed", "4"]);
  const t = offtap([
    "tap",
    "--nfc",
    `pn532:${pty.hostPath}`,
    "--scenario",
    "vanish-after-pay",
    "--seed",
    "4",
    "--json",
  ]);
  assert.equal(await t.done, 0, t.out());
  const j = JSON.parse(t.out()) as { reason: string; ok: boolean };
  assert.equal(j.reason, "WALLET_VANISHED");
  assert.equal(j.ok, true);
  assert.equal(await stop(), 0, "the emulator exits 0 on SIGTERM");
});

test("damaged answers on the line are asked again with NACK: the decision stands", async () => {
  const damaging = ["--scenario", "accepted", "--seed", "5", "--damage-every", "2"];
  const { pty, stop } = await emulator(damaging);
  const nfc = `pn532:${pty.hostPath}`;
  const t = offtap(["tap", "--nfc", nfc, "--scenario", "accepted", "--seed", "5", "--json"]);
  assert.equal(await t.done, 0, t.out());
  assert.equal((JSON.parse(t.out()) as { reason: string }).reason, "ACCEPTED");
  await stop();
});

test("offtap reader --nfc taps each wallet once, waits out a held phone, splits time", async () => {
  const { pty, stop } = await emulator(["--wallets", "2", "--seed", "3", "--hold", "3"]);
  const r = offtap([
    "reader",
    "--nfc",
    `pn532:${pty.hostPath}`,
    "--seed",
    "3",
    "--taps",
    "2",
    "--json",
  ]);
  assert.equal(await r.done, 0, r.out());
  const taps = r
    .out()
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as {
          reason: string;
          uid: string;
          ms: { total: number; firmware: number; link: number; rf: number };
        },
    );
  assert.deepEqual(
    taps.map((t) => t.reason),
    ["ACCEPTED", "ACCEPTED"],
  );
  for (const t of taps) {
    // At time scale 0 the pty is faster than 115200 baud: the nominal line time (45.4 ms
    // for SELECT, PAY, RECEIPT, docs/NFC.md §4) is capped by the time the exchanges took;
    // the parts add up.
    assert.ok(t.ms.link > 0 && t.ms.link <= 45.4, `link ${t.ms.link} ms`);
    assert.ok(t.ms.firmware > 0 && t.ms.firmware <= t.ms.total);
    const sum = t.ms.firmware + t.ms.link + t.ms.rf;
    assert.ok(Math.abs(sum - t.ms.total) < 0.05, `${sum} vs ${t.ms.total}`);
  }
  await stop();
});

test("usage and input errors exit 2 with a one-line message", async () => {
  const cases: string[][] = [
    ["nfc", "emulate"],
    ["nfc", "emulate", "--port", "/nonexistent/tty"],
    ["nfc", "emulate", "--port", "/dev/null", "--scenario", "nope"],
    ["nfc", "emulate", "--port", "/dev/null", "--time-scale", "fast"],
    ["nfc", "frobnicate"],
    ["tap", "--nfc", "usb:0"],
    ["reader"],
    ["wallet", "--nfc", "pn532:/dev/null:1234"],
  ];
  for (const args of cases) assert.equal(await main(args), 2, args.join(" "));
  assert.equal(await main(["tap", "--nfc", "pn532:/nonexistent/tty"]), 2);
  assert.equal(await main(["nfc", "--help"]), 0);
});
