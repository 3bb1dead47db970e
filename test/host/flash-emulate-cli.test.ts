// `offtap flash emulate` as a person runs it: a separate process that creates the port,
// answers `offtap flash` on it, and writes its flash to --flash-file when interrupted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SerialTransport } from "../../host/serial/transport.ts";
import { RomLoader } from "../../host/flash/loader.ts";
import { CHIPS } from "../../host/flash/protocol.ts";
import { readMac } from "../../host/flash/chip.ts";

test("flash emulate: a port for other tools, its flash kept in --flash-file", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "offtap-emulate-"));
  const port = path.join(dir, "esp");
  const flashFile = path.join(dir, "flash.bin");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "bin/offtap.mjs",
      "flash",
      "emulate",
      "--port",
      port,
      "--chip",
      "esp32",
      "--mac",
      "24:6f:28:01:02:03",
      "--flash-file",
      flashFile,
      "--json",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (c: string) => {
    out += c;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    for (let i = 0; i < 200 && !out.includes("\n"); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(JSON.parse(out.split("\n")[0]!), {
      ready: true,
      port,
      chip: "esp32",
      flashSizeBytes: 4 << 20,
    });
    const link = await SerialTransport.open(port, { baudRate: 115200 });
    try {
      const loader = new RomLoader(link, { commandTimeoutMs: 1000, connectAttempts: 2 });
      await loader.connect([]);
      assert.equal((await loader.detectChip()).name, "ESP32");
      assert.equal(await readMac(loader, CHIPS.esp32), "24:6f:28:01:02:03");
      await loader.attachFlash(4 << 20);
      await loader.writeFlash(0x3000, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), false);
    } finally {
      await link.close();
    }
  } finally {
    child.kill("SIGINT");
  }
  assert.equal(await exited, 0);
  const done = JSON.parse(out.trim().split("\n").at(-1)!) as {
    stopped: boolean;
    flashFile: string;
  };
  assert.equal(done.stopped, true);
  const flash = readFileSync(flashFile);
  assert.equal(flash.length, 4 << 20);
  assert.deepEqual([...flash.subarray(0x3000, 0x3009)], [1, 2, 3, 4, 5, 6, 7, 8, 0xff]);
  assert.equal(existsSync(port), false, "the port link is gone");
});
