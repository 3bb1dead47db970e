// `offtap flash` end to end: the CLI talks through a real pseudo-terminal pair (socat) to
// the ROM bootloader emulator, and the test compares the emulated flash with the image.
// Expected offsets come from the board JSON files, expected digests from node:crypto.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { command } from "../../host/cli/commands/flash.ts";
import { UsageError } from "../../host/cli/command.ts";
import { openPtyPair, type PtyPair } from "../../host/serial/pty.ts";
import { RomEmulator, type EmulatorOptions } from "../../host/flash/emulator.ts";
import { RomLoader } from "../../host/flash/loader.ts";
import { Op, RomError, u32le } from "../../host/flash/protocol.ts";
import { SerialTransport } from "../../host/serial/transport.ts";
import { appendSignature, encodeUnsignedImage } from "../../host/image/index.ts";

const GATE = "esp32-gate-pn532";
const KIOSK = "esp32s3-kiosk-pn532";
/** Short timeouts keep the failure paths short; the emulator answers in a few milliseconds,
 *  so a second is ample even on a loaded machine. */
const FAST = ["--timeout", "1000", "--connect-attempts", "2"];

interface BoardFile {
  abiVersion: number;
  flash: { sizeBytes: number };
  partitions: { name: string; offset: string; size: string }[];
}
function boardFile(id: string): { abi: number; flashBytes: number; offset: number; size: number } {
  const j = JSON.parse(readFileSync(path.join("boards", `${id}.json`), "utf8")) as BoardFile;
  const p = j.partitions.find((x) => x.name === "wasm")!;
  return {
    abi: j.abiVersion,
    flashBytes: j.flash.sizeBytes,
    offset: Number(p.offset),
    size: Number(p.size),
  };
}

const dir = mkdtempSync(path.join(tmpdir(), "offtap-flash-"));

/** A structurally valid signed image (the flasher does not check the signature; the board does). */
function makeImage(boardId: string, firmwareBytes = 6000): string {
  const firmware = new Uint8Array(firmwareBytes);
  firmware.set([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  firmware.set(randomBytes(firmwareBytes / 2), 8); // half noise (with 0xC0/0xDB bytes), half zeros
  const unsigned = encodeUnsignedImage(
    {
      abiVersion: boardFile(boardId).abi,
      boardId,
      buildUnixSeconds: 1_700_000_000,
      firmware,
      provisioning: randomBytes(200),
      keyReference: undefined,
    },
    randomBytes(32),
  );
  const file = path.join(dir, `${boardId}-${firmwareBytes}-${randomBytes(3).toString("hex")}.img`);
  writeFileSync(file, appendSignature(unsigned, randomBytes(64)));
  return file;
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => {
    out.push(a.map(String).join(" "));
  };
  console.error = (...a: unknown[]) => {
    err.push(a.map(String).join(" "));
  };
  try {
    return { code: await command.run(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

async function withEmulator<T>(
  options: Partial<EmulatorOptions> & { board?: string },
  body: (pair: PtyPair, emu: RomEmulator) => Promise<T>,
): Promise<T> {
  const board = boardFile(options.board ?? GATE);
  const pair = await openPtyPair();
  const emu = await RomEmulator.start(pair.devicePath, {
    chip: "esp32",
    flashSizeBytes: board.flashBytes,
    peerPath: pair.hostPath,
    ...options,
  });
  try {
    return await body(pair, emu);
  } finally {
    await emu.stop();
    await pair.close();
  }
}

const md5 = (b: Uint8Array): string => createHash("md5").update(b).digest("hex");
const onFlash = (emu: RomEmulator, offset: number, length: number): Buffer =>
  Buffer.from(emu.flash.subarray(offset, offset + length));

test("compressed flash at 460800 baud lands the image byte for byte in wasm", async () => {
  const file = makeImage(GATE);
  const image = readFileSync(file);
  const { offset } = boardFile(GATE);
  await withEmulator({ bootBanner: true }, async (pair, emu) => {
    const r = await run([
      "--board",
      GATE,
      "--port",
      pair.hostPath,
      "--baud",
      "460800",
      "--json",
      ...FAST,
      file,
    ]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    assert.equal(j["ok"], true);
    assert.equal(j["offset"], offset);
    assert.equal(j["md5"], md5(image));
    assert.equal(j["compressed"], true);
    assert.equal(j["bytesSent"], deflateSync(image, { level: 9 }).length);
    assert.ok(
      onFlash(emu, offset, image.length).equals(image),
      "flash content differs from the image",
    );
    await emu.settled();
    assert.equal(emu.baudRate, 460800);
    assert.equal(emu.garbledPackets, 0);
    const ops = emu.log.map((l) => l.op);
    assert.ok(ops.includes(Op.CHANGE_BAUDRATE));
    for (const op of [
      Op.SPI_ATTACH,
      Op.SPI_SET_PARAMS,
      Op.FLASH_DEFL_BEGIN,
      Op.FLASH_DEFL_DATA,
      Op.SPI_FLASH_MD5,
    ]) {
      assert.ok(ops.includes(op), `missing ${op}`);
    }
    assert.ok(
      !ops.includes(Op.FLASH_DEFL_END),
      "no *_END after ROM writes (esptool does not send it)",
    );
    assert.ok(!ops.includes(Op.FLASH_BEGIN) && !ops.includes(Op.FLASH_DATA));
    assert.ok(ops.indexOf(Op.SPI_ATTACH) < ops.indexOf(Op.FLASH_DEFL_BEGIN));
    // A pty cannot drive RTS: the flasher says so and leaves the reset to the person.
    assert.equal(j["reset"], "none");
    assert.equal(emu.endFlag, undefined);
    assert.equal(j["mac"], "24:0a:c4:00:01:02");
    assert.equal(j["flashId"], "0x1640c8");
    assert.match(r.err, /cannot drive DTR\/RTS/);
    assert.match(r.err, /press the board's EN/);
  });
});

test("the baud change reaches the ROM: answered at 115200, then the new rate", async () => {
  const file = makeImage(GATE, 2000);
  await withEmulator({}, async (pair, emu) => {
    const r = await run([
      "--board",
      GATE,
      "--port",
      pair.hostPath,
      "--baud",
      "921600",
      "--before",
      "no-reset",
      "--after",
      "no-reset",
      "--json",
      ...FAST,
      file,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.err, /DTR\/RTS/, "--before no-reset does not try to reset");
    assert.equal((JSON.parse(r.out) as { baudRate: number }).baudRate, 921600);
    await emu.settled();
    assert.equal(emu.baudRate, 921600);
    assert.equal(emu.endFlag, undefined, "--after no-reset stays in the loader: no *_END");
    assert.equal(emu.state, "download");
    assert.equal(emu.garbledPackets, 0);
  });
});

test("a baud change the ROM never made is caught: next command garbled, exit 1", async () => {
  const file = makeImage(GATE, 2000);
  const faults = [{ op: Op.CHANGE_BAUDRATE, kind: "no-effect" as const }];
  await withEmulator({ faults }, async (pair, emu) => {
    const r = await run([
      "--board",
      GATE,
      "--port",
      pair.hostPath,
      "--baud",
      "921600",
      "--json",
      ...FAST,
      file,
    ]);
    assert.equal(r.code, 1, r.out);
    assert.equal((JSON.parse(r.out) as { error: string }).error, "timeout");
    assert.ok(emu.garbledPackets > 0, "requests at 921600 reach a UART still at 115200");
    assert.ok(!emu.log.some((l) => l.op === Op.FLASH_DEFL_BEGIN));
  });
});

test("ESP32 crystal estimate 4 % off: CHANGE_BAUDRATE is scaled to hit the rate", async () => {
  const file = makeImage(GATE, 2000);
  const image = readFileSync(file);
  await withEmulator({ romCrystalHz: 41_600_000 }, async (pair, emu) => {
    const r = await run([
      "--board",
      GATE,
      "--port",
      pair.hostPath,
      "--baud",
      "460800",
      "--json",
      ...FAST,
      file,
    ]);
    assert.equal(r.code, 0, r.err);
    await emu.settled();
    assert.ok(Math.abs(emu.baudRate - 460800) < 10, `UART at ${emu.baudRate}`);
    assert.ok(onFlash(emu, boardFile(GATE).offset, image.length).equals(image));
  });
});

test("a flash chip smaller than the board profile's is refused before writing", async () => {
  const file = makeImage(KIOSK, 2000);
  const fourMiB = 0xc8 | (0x40 << 8) | (0x16 << 16);
  await withEmulator({ chip: "esp32s3", board: KIOSK, flashId: fourMiB }, async (pair, emu) => {
    const r = await run(["--board", KIOSK, "--port", pair.hostPath, "--json", ...FAST, file]);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out) as { error: string; message: string };
    assert.equal(j.error, "flash-size");
    assert.match(
      j.message,
      /holds 4 MiB \(id 0x1640c8\), but board esp32s3-kiosk-pn532 is laid out for 8 MiB/,
    );
    assert.ok(!emu.log.some((l) => l.op === Op.FLASH_DEFL_BEGIN));
  });
});

test("plain (--no-compress) flash erases first, writes padded 1 KiB blocks", async () => {
  const file = makeImage(GATE, 3000);
  const image = readFileSync(file);
  const { offset, size } = boardFile(GATE);
  await withEmulator({}, async (pair, emu) => {
    // old contents: the ROM must erase before it programs
    emu.flash.fill(0x00, offset, offset + size);
    const r = await run([
      "--board",
      GATE,
      "--port",
      pair.hostPath,
      "--no-compress",
      "--json",
      ...FAST,
      file,
    ]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    assert.equal(j["compressed"], false);
    assert.equal(j["blocks"], Math.ceil(image.length / 1024));
    assert.ok(onFlash(emu, offset, image.length).equals(image));
    const paddedEnd = offset + Math.ceil(image.length / 1024) * 1024;
    assert.ok(
      emu.flash.subarray(offset + image.length, paddedEnd).every((b) => b === 0xff),
      "block padding is 0xFF",
    );
    const sectorEnd = offset + Math.ceil(image.length / 4096) * 4096;
    assert.ok(
      emu.flash.subarray(paddedEnd, sectorEnd).every((b) => b === 0xff),
      "erased to the sector end",
    );
    assert.ok(
      emu.flash.subarray(sectorEnd, offset + size).every((b) => b === 0x00),
      "nothing past the erased sectors touched",
    );
    const ops = emu.log.map((l) => l.op);
    assert.ok(
      ops.includes(Op.FLASH_BEGIN) &&
        ops.includes(Op.FLASH_DATA) &&
        !ops.includes(Op.FLASH_DEFL_DATA),
    );
  });
});

test("an ESP32-S3 board is detected through GET_SECURITY_INFO and flashed", async () => {
  const file = makeImage(KIOSK, 2000);
  const image = readFileSync(file);
  const { offset } = boardFile(KIOSK);
  await withEmulator({ chip: "esp32s3", board: KIOSK }, async (pair, emu) => {
    const r = await run(["--board", KIOSK, "--port", pair.hostPath, "--json", ...FAST, file]);
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { chip: string }).chip, "ESP32-S3");
    assert.ok(onFlash(emu, offset, image.length).equals(image));
    assert.equal(
      emu.log[0]?.op,
      Op.GET_SECURITY_INFO,
      "identified by GET_SECURITY_INFO, not the magic",
    );
  });
});

test("a chip that is not the board's is refused before anything is written", async () => {
  const file = makeImage(GATE, 2000);
  await withEmulator({ chip: "esp32s3" }, async (pair, emu) => {
    const r = await run(["--board", GATE, "--port", pair.hostPath, ...FAST, file]);
    assert.equal(r.code, 1);
    assert.match(r.err, /ESP32-S3.*board esp32-gate-pn532 has an ESP32/);
    assert.ok(!emu.log.some((l) => l.op === Op.FLASH_DEFL_BEGIN || l.op === Op.FLASH_BEGIN));
  });
});

test("retries: a lost reply, a garbled reply, a corrupted block are sent again", async () => {
  const file = makeImage(GATE, 8000);
  const image = readFileSync(file);
  const { offset } = boardFile(GATE);
  const faults = [
    { op: Op.FLASH_DEFL_DATA, nth: 2, kind: "drop-response" as const },
    { op: Op.FLASH_DEFL_DATA, nth: 4, kind: "corrupt-request" as const },
    { op: Op.SPI_SET_PARAMS, nth: 1, kind: "corrupt-response" as const },
    { op: Op.FLASH_DEFL_BEGIN, nth: 1, kind: "delay" as const, delayMs: 150 },
  ];
  await withEmulator({ faults, ignoreSyncs: 3 }, async (pair, emu) => {
    const r = await run(["--board", GATE, "--port", pair.hostPath, "--json", ...FAST, file]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { retries: number };
    // one per fault (more only if the machine stalls)
    assert.ok(j.retries >= 3, `retries ${j.retries}`);
    assert.ok(
      emu.duplicateBlocks >= 1,
      "the block whose reply was lost is acknowledged, not written twice",
    );
    assert.ok(onFlash(emu, offset, image.length).equals(image));
    assert.match(r.err, /FLASH_DEFL_DATA: no answer in 1000 ms, retrying/);
    assert.match(r.err, /the ROM saw a bad checksum, retrying/);
    assert.match(r.err, /SPI_SET_PARAMS: no answer in 1000 ms, retrying/);
  });
});

test("an MD5 mismatch (flash that does not hold what was written) fails with exit 1", async () => {
  const file = makeImage(GATE, 2000);
  const { offset } = boardFile(GATE);
  await withEmulator(
    { faults: [{ op: Op.SPI_FLASH_MD5, kind: "corrupt-flash", address: offset + 100 }] },
    async (pair) => {
      const r = await run(["--board", GATE, "--port", pair.hostPath, "--json", ...FAST, file]);
      assert.equal(r.code, 1);
      const j = JSON.parse(r.out) as { ok: boolean; error: string; message: string };
      assert.equal(j.ok, false);
      assert.equal(j.error, "md5-mismatch");
      assert.match(j.message, new RegExp(md5(readFileSync(file))));
    },
  );
});

test("a port that does not exist is an input error (exit 2) with a clear message", async () => {
  const r = await run([
    "--board",
    GATE,
    "--port",
    "/dev/offtap-no-such-port",
    ...FAST,
    makeImage(GATE, 1000),
  ]);
  assert.equal(r.code, 2);
  assert.match(r.err, /serial port \/dev\/offtap-no-such-port does not exist/);
});

test("a busy port (held by another program) fails with exit 1 and says so", async () => {
  const pair = await openPtyPair();
  const holder = await SerialTransport.open(pair.hostPath, { baudRate: 115200 });
  try {
    const r = await run([
      "--board",
      GATE,
      "--port",
      pair.hostPath,
      "--json",
      ...FAST,
      makeImage(GATE, 1000),
    ]);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out) as { error: string; message: string };
    assert.equal(j.error, "busy");
    assert.match(j.message, /is busy/);
  } finally {
    await holder.close();
    await pair.close();
  }
});

test("nothing answering: sync gives up with a download-mode hint (exit 1)", async () => {
  const pair = await openPtyPair();
  try {
    const r = await run([
      "--board",
      GATE,
      "--port",
      pair.hostPath,
      "--timeout",
      "100",
      "--connect-attempts",
      "1",
      makeImage(GATE, 1000),
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /no bootloader answered .* after 1 attempts — is the board in download mode/,
    );
  } finally {
    await pair.close();
  }
});

test("--dry-run prints partition, offset, sizes and MD5 without opening any port", async () => {
  const file = makeImage(GATE, 4000);
  const image = readFileSync(file);
  const { offset, size } = boardFile(GATE);
  const human = await run([
    "--board",
    GATE,
    "--port",
    "/dev/offtap-no-such-port",
    "--dry-run",
    file,
  ]);
  assert.equal(human.code, 0, human.err);
  assert.match(human.out, /Would write .* to board esp32-gate-pn532/);
  assert.match(
    human.out,
    new RegExp(
      `wasm\\s+0x${offset.toString(16)}\\s+${size}\\s+${image.length}\\s+` +
        `${deflateSync(image, { level: 9 }).length}`,
    ),
  );
  assert.match(human.out, new RegExp(md5(image)));
  const json = await run(["--board", GATE, "--dry-run", "--no-compress", "--json", file]);
  assert.equal(json.code, 0);
  const j = JSON.parse(json.out) as Record<string, unknown>;
  assert.equal(j["dryRun"], true);
  assert.equal(j["offset"], offset);
  assert.equal(j["partitionBytes"], size);
  assert.equal(j["imageBytes"], image.length);
  assert.equal(j["compress"], false);
  assert.equal(j["payloadBytes"], Math.ceil(image.length / 1024) * 1024);
  assert.equal(j["md5"], md5(image));
  assert.equal(j["imageBoard"], GATE);
});

test("refusals: another board's image, too big, not an image, bad flags", async () => {
  const kioskImage = makeImage(KIOSK, 1000);
  await assert.rejects(
    run(["--board", GATE, "--dry-run", kioskImage]),
    (e: unknown) =>
      e instanceof UsageError && /built for board 'esp32s3-kiosk-pn532'/.test(e.message),
  );
  const { size } = boardFile(GATE);
  const big = path.join(dir, "big.bin");
  writeFileSync(big, randomBytes(size + 1));
  await assert.rejects(
    run(["--board", GATE, "--dry-run", "--raw", big]),
    (e: unknown) => e instanceof UsageError && /wasm partition holds 65536/.test(e.message),
  );
  const raw = path.join(dir, "raw.bin");
  writeFileSync(raw, randomBytes(500));
  await assert.rejects(
    run(["--board", GATE, "--dry-run", raw]),
    (e: unknown) => e instanceof UsageError && /not an offtap image/.test(e.message),
  );
  assert.equal((await run(["--board", GATE, "--dry-run", "--raw", raw])).code, 0);
  await assert.rejects(run(["--board", "no-such-board", "--dry-run", raw]), UsageError);
  await assert.rejects(
    run(["--board", GATE, raw]),
    (e: unknown) => e instanceof UsageError && /--port is required/.test(e.message),
  );
  await assert.rejects(
    run(["--board", GATE, "--port", "/dev/x", "--baud", "12345", raw]),
    (e: unknown) => e instanceof UsageError && /--baud 12345/.test(e.message),
  );
  assert.equal((await run(["--help"])).code, 0);
});

test("the emulator answers an unknown command and a bad checksum with ROM errors", async () => {
  await withEmulator({}, async (pair) => {
    const port = await SerialTransport.open(pair.hostPath, { baudRate: 115200 });
    try {
      const loader = new RomLoader(port, {
        commandTimeoutMs: 1000,
        connectAttempts: 1,
        commandAttempts: 1,
      });
      await loader.connect([]);
      const unknown = await loader.command(0x55, new Uint8Array(0), { allowError: true });
      assert.equal(unknown.error, RomError.INVALID_MESSAGE);
      const early = await loader.command(Op.FLASH_BEGIN, u32le(4096, 1, 1024, 0x190000), {
        allowError: true,
      });
      assert.equal(early.error, RomError.FAILED_TO_ACT, "flash commands need SPI_ATTACH first");
      await loader.detectChip();
      await loader.attachFlash(boardFile(GATE).flashBytes);
      await loader.command(Op.FLASH_BEGIN, u32le(1024, 1, 1024, 0x190000));
      const block = new Uint8Array(1024).fill(0x11);
      const bad = await loader.command(
        Op.FLASH_DATA,
        new Uint8Array([...u32le(1024, 0, 0, 0), ...block]),
        { check: 0x00, allowError: true },
      );
      assert.equal(bad.error, RomError.BAD_CHECKSUM);
    } finally {
      await port.close();
    }
  });
});
