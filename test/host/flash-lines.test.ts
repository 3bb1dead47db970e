// Line-level tests of every reset sequence: the real SerialTransport and serialport's
// SerialPortStream (SerialPortMock) drive DTR/RTS into a model of the board's reset circuit
// (test/host/flash-lines-support.ts), which resets the emulated chip. What is checked is
// what a real board needs: GPIO0 low while EN rises (download mode), both lines released
// while syncing (EN high, GPIO0 free), and the application booting after a hard reset.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RomLoader } from "../../host/flash/loader.ts";
import {
  classicReset,
  connectSequence,
  hardReset,
  unixTightReset,
  usbJtagSerialReset,
  type ResetStrategy,
} from "../../host/flash/reset.ts";
import { flashSession } from "../../host/flash/flash.ts";
import { EN_RISE_MS, mockBoard, type Circuit } from "./flash-lines-support.ts";
import { openPtyPair } from "../../host/serial/pty.ts";
import { RomEmulator } from "../../host/flash/emulator.ts";

/** Lets EN finish rising (the chip boots only then). */
const enSettled = (): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, EN_RISE_MS * 3));

/** Reset waits halved (hold 50 ms, GPIO0 kept low 25 ms after EN is released): still
 *  longer than the modelled EN rise (EN_RISE_MS), as on hardware. */
const SCALE = 0.5;
const TIMING = {
  commandTimeoutMs: 500,
  connectAttempts: 2,
  resetDelayScale: SCALE,
  syncTimeoutMs: 50,
};

async function connectWith(
  circuit: Circuit,
  strategy: ResetStrategy,
  chip: "esp32" | "esp32s3" = "esp32",
) {
  const board = await mockBoard(circuit, { chip, flashSizeBytes: 4 << 20 });
  const port = await board.open(board.path, 115200);
  try {
    const loader = new RomLoader(port, { ...TIMING, connectAttempts: 1 });
    await loader.connect([strategy]);
    return { board, loader };
  } catch (err) {
    await board.close();
    throw err;
  }
}

for (const [name, strategy] of [
  ["classic", classicReset()],
  ["classic, long delay", classicReset(550)],
  ["unix-tight", unixTightReset()],
  ["unix-tight, long delay", unixTightReset(550)],
] as const) {
  test(`${name} reset: GPIO0 low as EN rises, then both lines released while syncing`, async () => {
    const { board } = await connectWith("auto-reset", strategy);
    try {
      assert.ok(
        board.lines.some((l) => !l.en),
        "EN was pulled low",
      );
      assert.ok(
        board.lines.some((l) => l.en && !l.gpio0),
        "GPIO0 low with EN released",
      );
      assert.ok(board.syncLines.length >= 1);
      for (const s of board.syncLines)
        assert.deepEqual(s, { dtr: false, rts: false }, "lines released while syncing");
      assert.equal(board.emulator.state, "download");
      assert.match(board.emulator.boots.at(-1)!.cause, /EN rose with GPIO0 low/);
      assert.deepEqual(
        board.emulator.boots.map((b) => b.state),
        ["reset", "download"],
      );
    } finally {
      await board.close();
    }
  });
}

test("USB-JTAG-serial reset (ESP32-S3 native USB) enters download mode and syncs", async () => {
  const { board } = await connectWith("usb-jtag-serial", usbJtagSerialReset(), "esp32s3");
  try {
    assert.equal(board.emulator.state, "download");
    for (const s of board.syncLines) assert.deepEqual(s, { dtr: false, rts: false });
  } finally {
    await board.close();
  }
});

test("hard reset after flashing boots the application (GPIO0 high as EN rises)", async () => {
  const { board, loader } = await connectWith("auto-reset", classicReset());
  try {
    assert.equal(await loader.hardReset(), true);
    await enSettled();
    assert.equal(board.emulator.state, "app");
    assert.match(board.emulator.boots.at(-1)!.cause, /EN rose with GPIO0 high/);
    const last = board.lines.at(-1)!;
    assert.deepEqual(
      { dtr: last.dtr, rts: last.rts },
      { dtr: false, rts: false },
      "both lines released after",
    );
  } finally {
    await board.close();
  }
});

test("USB hard reset on ESP32-S3 boots the application", async () => {
  const { board, loader } = await connectWith("usb-jtag-serial", usbJtagSerialReset(), "esp32s3");
  try {
    assert.equal(await loader.hardReset(true), true);
    assert.equal(board.emulator.state, "app");
  } finally {
    await board.close();
  }
});

test("connect cycles esptool's sequence: tight, tight long, classic, classic long", () => {
  assert.deepEqual(
    connectSequence(false, "linux").map((s) => s.name),
    ["unix-tight", "unix-tight", "classic", "classic"],
  );
  assert.deepEqual(
    connectSequence(false, "win32").map((s) => s.name),
    ["classic", "classic"],
  );
  assert.deepEqual(
    connectSequence(true, "linux").map((s) => s.name),
    ["usb-jtag-serial"],
  );
  assert.deepEqual(
    hardReset().steps.filter((s) => "waitMs" in s),
    [{ waitMs: 100 }],
  );
});

test("a whole session through the lines: download mode, write, application runs", async () => {
  const board = await mockBoard("auto-reset", { chip: "esp32", flashSizeBytes: 4 << 20 });
  try {
    const data = new Uint8Array(3001).map((_, i) => (i * 7) & 0xff);
    const report = await flashSession(
      { chip: "esp32", boardId: "esp32-gate-pn532", flashSizeBytes: 4 << 20, compress: true },
      [{ name: "wasm", offset: 0x190000, data }],
      {
        port: board.path,
        baudRate: 115200,
        before: "default-reset",
        after: "hard-reset",
        timing: TIMING,
        openPort: board.open,
      },
    );
    assert.equal(report.reset, "hard-reset");
    await enSettled();
    assert.equal(report.regions[0]!.writtenBytes, 3004, "padded to 4 bytes");
    assert.deepEqual([...board.emulator.flash.subarray(0x190000, 0x190000 + 3001)], [...data]);
    assert.deepEqual(
      [...board.emulator.flash.subarray(0x190000 + 3001, 0x190000 + 3004)],
      [0xff, 0xff, 0xff],
    );
    assert.deepEqual(
      board.emulator.boots.map((b) => b.state),
      ["reset", "download", "reset", "app"],
    );
    for (const s of board.syncLines) assert.deepEqual(s, { dtr: false, rts: false });
  } finally {
    await board.close();
  }
});

test("--after no-reset leaves the chip in the loader; no *_END is sent", async () => {
  const board = await mockBoard("auto-reset", { chip: "esp32", flashSizeBytes: 4 << 20 });
  try {
    const report = await flashSession(
      { chip: "esp32", boardId: "b", flashSizeBytes: 4 << 20, compress: false },
      [{ name: "x", offset: 0x10000, data: new Uint8Array(100).fill(1) }],
      {
        port: board.path,
        baudRate: 115200,
        before: "default-reset",
        after: "no-reset",
        timing: TIMING,
        openPort: board.open,
      },
    );
    assert.equal(report.reset, "none");
    assert.equal(board.emulator.state, "download");
    assert.equal(board.emulator.endFlag, undefined);
  } finally {
    await board.close();
  }
});

test("ESP32-S3 native USB: watchdogs handled, forced-download cleared, the app boots", async () => {
  const board = await mockBoard("usb-jtag-serial", {
    chip: "esp32s3",
    flashSizeBytes: 8 << 20,
    usbJtagSerial: true,
  });
  try {
    board.emulator.model.setForcedDownload(true); // left set by an earlier USB download
    const report = await flashSession(
      { chip: "esp32s3", boardId: "b", flashSizeBytes: 8 << 20, compress: true },
      [{ name: "x", offset: 0x20000, data: new Uint8Array(2000).fill(7) }],
      {
        port: board.path,
        baudRate: 115200,
        before: "usb-reset",
        after: "hard-reset",
        timing: TIMING,
        openPort: board.open,
      },
    );
    assert.equal(report.reset, "hard-reset");
    assert.equal(board.emulator.state, "app");
    assert.equal(board.emulator.model.forcedDownload, false);
    const writes = board.emulator.log.filter((l) => l.name === "WRITE_REG").length;
    assert.ok(
      writes >= 7,
      `${writes} WRITE_REGs: 6 for the watchdogs, 1 for the forced-download bit`,
    );
  } finally {
    await board.close();
  }
});

test("ESP32-S3 native USB without usable lines: the RTC watchdog boots the app", async () => {
  const pair = await openPtyPair();
  const emu = await RomEmulator.start(pair.devicePath, {
    chip: "esp32s3",
    flashSizeBytes: 8 << 20,
    usbJtagSerial: true,
    peerPath: pair.hostPath,
  });
  try {
    const report = await flashSession(
      { chip: "esp32s3", boardId: "b", flashSizeBytes: 8 << 20, compress: true },
      [{ name: "x", offset: 0x20000, data: new Uint8Array(500).fill(3) }],
      {
        port: pair.hostPath,
        baudRate: 115200,
        before: "no-reset",
        after: "hard-reset",
        timing: TIMING,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // the watchdog's timeout
    assert.equal(report.reset, "watchdog");
    assert.equal(emu.state, "app");
    assert.match(emu.boots.at(-1)!.cause, /watchdog reset with GPIO0 high/);
  } finally {
    await emu.stop();
    await pair.close();
  }
});
