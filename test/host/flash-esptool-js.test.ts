// Checked by Espressif's own code: esptool-js (npm, Espressif's JavaScript esptool) talks to
// the ROM emulator through host/serial/webserial.ts (Web Serial over a pseudo-terminal). It
// runs in ROM mode (no stub upload): the check is about the ROM protocol the emulator
// speaks; esptool-js's stub would be a second program to emulate. It detects the chip,
// reads the MAC and flash ID through the SPI registers, changes baud, writes compressed and
// plain, verifies with SPI_FLASH_MD5 and reads back with READ_FLASH_SLOW.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { ESPLoader, Transport } from "esptool-js";
import { openPtyPair } from "../../host/serial/pty.ts";
import { NodeWebSerialPort } from "../../host/serial/webserial.ts";
import { RomEmulator, type EmulatorOptions } from "../../host/flash/emulator.ts";
import { Op } from "../../host/flash/protocol.ts";

const READ_FLASH_SLOW = 0x0e;
const SLOW_BLOCK_BYTES = 64;

async function withEsptoolJs(
  options: EmulatorOptions,
  baud: number,
  body: (l: ESPLoader, e: RomEmulator, log: string[]) => Promise<void>,
): Promise<void> {
  const pair = await openPtyPair();
  const emu = await RomEmulator.start(pair.devicePath, { ...options, peerPath: pair.hostPath });
  const log: string[] = [];
  const terminal = {
    clean(): void {},
    writeLine(s: string): void {
      log.push(s);
    },
    write(s: string): void {
      log.push(s);
    },
  };
  const transport = new Transport(
    new NodeWebSerialPort(pair.hostPath) as unknown as ConstructorParameters<typeof Transport>[0],
    false,
  );
  const loader = new ESPLoader({
    transport,
    baudrate: baud,
    romBaudrate: 115200,
    terminal,
    debugLogging: false,
  });
  try {
    // A pseudo-terminal has no DTR/RTS: the emulated board waits in download mode already.
    await loader.detectChip("no_reset");
    await body(loader, emu, log);
  } finally {
    await transport.disconnect().catch(() => undefined);
    await emu.stop();
    await pair.close();
  }
}

/** Reads flash the ROM way (READ_FLASH_SLOW, 64 bytes a command) through esptool-js's
 *  checkCommand. */
async function readBack(loader: ESPLoader, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  for (let done = 0; done < length; done += SLOW_BLOCK_BYTES) {
    const part = Math.min(SLOW_BLOCK_BYTES, length - done);
    const args = new Uint8Array(8);
    new DataView(args.buffer).setUint32(0, offset + done, true);
    new DataView(args.buffer).setUint32(4, part, true);
    const data = (await loader.checkCommand(
      "read flash slow",
      READ_FLASH_SLOW,
      args,
      0,
      SLOW_BLOCK_BYTES,
    )) as Uint8Array;
    out.set(data.subarray(0, part), done);
  }
  return out;
}

/** SPI_ATTACH and SPI_SET_PARAMS in their ROM form (Espressif's protocol document: the ROM
 *  needs both before flash commands, and SPI_ATTACH takes a second, ROM-only word).
 *  esptool-js's flashSpiAttach() sends the stub's one-word form, so its command layer is
 *  used directly here, with esptool's SPI_SET_PARAMS values. */
async function attachRomStyle(loader: ESPLoader, flashBytes: number): Promise<void> {
  await loader.checkCommand("attach SPI flash", 0x0d, new Uint8Array(8));
  const params = new Uint8Array(24);
  [0, flashBytes, 64 * 1024, 4 * 1024, 256, 0xffff].forEach((w, i) =>
    new DataView(params.buffer).setUint32(i * 4, w, true),
  );
  await loader.checkCommand("set SPI params", 0x0b, params);
}

const md5hex = (b: Uint8Array): string => createHash("md5").update(b).digest("hex");

/** esptool-js 0.7 hex-encodes the ROM's MD5 answer, which the ROM already sends as 32 hex
 *  digits (the protocol document; esptool.py decodes it as text). Undo that one encoding. */
async function romMd5(loader: ESPLoader, offset: number, length: number): Promise<string> {
  const doubled = await loader.flashMd5sum(offset, length);
  assert.equal(doubled.length, 64, "esptool-js hex-encodes the 32 ASCII digits");
  return Buffer.from(doubled, "hex").toString("ascii");
}

test("esptool-js (ESP32): chip, MAC, baud, flash ID, deflated write, MD5, read", async () => {
  const mac = [0x24, 0x6f, 0x28, 0x12, 0x34, 0x56];
  await withEsptoolJs(
    { chip: "esp32", flashSizeBytes: 4 << 20, mac },
    460800,
    async (loader, emu, log) => {
      assert.equal(loader.chip.CHIP_NAME, "ESP32");
      assert.equal(await loader.chip.readMac(loader), "24:6f:28:12:34:56");
      await loader.changeBaud();
      assert.equal(emu.baudRate, 460800, "the emulated UART switched");
      assert.equal(loader.transport.baudrate, 460800, "and esptool-js stayed there (no fallback)");
      assert.equal(await loader.readFlashId(), 0x1640c8);
      await attachRomStyle(loader, 4 << 20);
      const data = new Uint8Array(randomBytes(5000));
      await loader.writeFlash({
        fileArray: [{ data, address: 0x10000 }],
        flashMode: "keep",
        flashFreq: "keep",
        flashSize: "keep",
        eraseAll: false,
        compress: true,
      });
      assert.ok(
        log.some((l) => l.includes("Wrote 5000 bytes")),
        log.join("\n"),
      );
      assert.equal(await romMd5(loader, 0x10000, data.length), md5hex(data));
      assert.deepEqual([...emu.flash.subarray(0x10000, 0x10000 + data.length)], [...data]);
      assert.deepEqual([...(await readBack(loader, 0x10000, 300))], [...data.subarray(0, 300)]);
      assert.equal(emu.garbledPackets, 0);
      assert.ok(emu.log.some((l) => l.op === Op.FLASH_DEFL_DATA));
    },
  );
});

test("esptool-js (ESP32-S3): detected by GET_SECURITY_INFO, plain write, MD5, read", async () => {
  await withEsptoolJs({ chip: "esp32s3", flashSizeBytes: 8 << 20 }, 115200, async (loader, emu) => {
    assert.equal(loader.chip.CHIP_NAME, "ESP32-S3");
    assert.equal(await loader.readFlashId(), 0x1740c8);
    await attachRomStyle(loader, 8 << 20);
    const data = new Uint8Array(randomBytes(1500));
    await loader.writeFlash({
      fileArray: [{ data, address: 0x20000 }],
      flashMode: "keep",
      flashFreq: "keep",
      flashSize: "keep",
      eraseAll: false,
      compress: false,
    });
    assert.equal(await romMd5(loader, 0x20000, data.length), md5hex(data));
    assert.deepEqual([...(await readBack(loader, 0x20000 + 1400, 100))], [...data.subarray(1400)]);
    assert.ok(emu.log.some((l) => l.op === Op.FLASH_DATA));
  });
});
