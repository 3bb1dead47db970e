// The emulator's answers, command by command, against Espressif's serial protocol document
// (esptool docs, "Serial Protocol"): READ_REG returns the word in the value field;
// WRITE_REG takes address, value, mask, delay; READ_FLASH_SLOW (ROM only) answers a
// 64-byte buffer; FLASH_END takes 0 = reboot, 1 = run user code, and staying in the loader
// means not sending it; CHANGE_BAUDRATE takes the new rate and 0 for the ROM, answered at
// the old rate. Driven through the project's loader over a real pseudo-terminal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openPtyPair } from "../../host/serial/pty.ts";
import { SerialTransport } from "../../host/serial/transport.ts";
import { RomEmulator, type EmulatorOptions } from "../../host/flash/emulator.ts";
import { FlashError, RomLoader } from "../../host/flash/loader.ts";
import {
  CHIPS,
  CHIP_MAGIC_REG,
  Op,
  RomError,
  SpiFlashCmd,
  u32le,
} from "../../host/flash/protocol.ts";
import {
  readFlashId,
  readMac,
  runSpiFlashCommand,
  spiAttachArg,
  xmcStartupFix,
} from "../../host/flash/chip.ts";

const FOUR_MIB = 4 << 20;

async function session<T>(
  options: Partial<EmulatorOptions>,
  body: (l: RomLoader, e: RomEmulator, port: SerialTransport) => Promise<T>,
): Promise<T> {
  const pair = await openPtyPair();
  const emu = await RomEmulator.start(pair.devicePath, {
    chip: "esp32",
    flashSizeBytes: FOUR_MIB,
    peerPath: pair.hostPath,
    ...options,
  });
  const port = await SerialTransport.open(pair.hostPath, { baudRate: 115200 });
  try {
    const loader = new RomLoader(port, {
      commandTimeoutMs: 400,
      connectAttempts: 1,
      commandAttempts: 1,
    });
    await loader.connect([]);
    return await body(loader, emu, port);
  } finally {
    await port.close();
    await emu.stop();
    await pair.close();
  }
}

test("READ_REG: the word comes back in the value field (chip magic, eFuse MAC)", async () => {
  await session({ mac: [0x24, 0x6f, 0x28, 0xaa, 0xbb, 0xcc] }, async (loader) => {
    assert.equal(await loader.readReg(CHIP_MAGIC_REG), 0x00f01d83);
    const r = await loader.command(Op.READ_REG, u32le(CHIP_MAGIC_REG));
    assert.equal(r.body.length, 0, "no data besides the status bytes");
    assert.equal(await readMac(loader, CHIPS.esp32), "24:6f:28:aa:bb:cc");
    const bad = await loader.command(Op.READ_REG, u32le(1, 2), { allowError: true });
    assert.equal(bad.error, RomError.INVALID_MESSAGE, "the address is one word");
  });
});

test("WRITE_REG: address, value, mask, delay — bits outside the mask are kept", async () => {
  await session({}, async (loader) => {
    const reg = CHIPS.esp32.spi.base + CHIPS.esp32.spi.usr;
    await loader.writeReg(reg, 0x12345678);
    await loader.writeReg(reg, 0xffff0000, 0x00ff0000, 10);
    assert.equal(await loader.readReg(reg), 0x12ff5678);
    const short = await loader.command(Op.WRITE_REG, u32le(reg, 1, 0xffffffff), {
      allowError: true,
    });
    assert.equal(short.error, RomError.INVALID_MESSAGE, "four words are required");
  });
});

test("SPI flash commands via the registers: RDID gives the JEDEC id, SFDP the vendor", async () => {
  await session({ flashId: 0x1840ef }, async (loader, emu) => {
    assert.equal(await readFlashId(loader, CHIPS.esp32), 0x1840ef);
    assert.equal(await xmcStartupFix(loader, CHIPS.esp32), "not-xmc");
    const sfdp = await runSpiFlashCommand(loader, CHIPS.esp32, {
      command: SpiFlashCmd.SFDP,
      readBits: 8,
      address: 0x10,
      addressBits: 24,
      dummyBits: 8,
    });
    assert.equal(sfdp & 0xff, 0xef);
    assert.deepEqual(emu.model.spiCommands.slice(0, 2), [SpiFlashCmd.RDID, SpiFlashCmd.RDID]);
  });
});

test("SPI_ATTACH carries the eFuse SPI pads of in-package flash in the ROM's packing", async () => {
  const pads = { clk: 6, q: 17, d: 8, cs: 16, hd: 11 };
  await session({ spiPads: pads }, async (loader, emu) => {
    await loader.detectChip();
    const arg = await spiAttachArg(loader, CHIPS.esp32);
    assert.equal(arg, 6 | (17 << 6) | (8 << 12) | (16 << 18) | (11 << 24));
    await loader.attachFlash(FOUR_MIB, arg);
    assert.equal(emu.attachArg, arg);
  });
});

test("READ_FLASH_SLOW: at most 64 bytes per command, always a 64-byte buffer back", async () => {
  await session({}, async (loader, emu) => {
    emu.flash.set([1, 2, 3, 4, 5], 0x1000);
    const early = await loader.command(Op.READ_FLASH_SLOW, u32le(0x1000, 5), { allowError: true });
    assert.equal(early.error, RomError.FAILED_TO_ACT, "needs SPI_ATTACH");
    await loader.detectChip();
    await loader.attachFlash(FOUR_MIB);
    const r = await loader.command(Op.READ_FLASH_SLOW, u32le(0x1000, 5));
    assert.equal(r.body.length, 64);
    assert.deepEqual([...r.body.subarray(0, 6)], [1, 2, 3, 4, 5, 0]);
    const tooLong = await loader.command(Op.READ_FLASH_SLOW, u32le(0x1000, 65), {
      allowError: true,
    });
    assert.equal(tooLong.error, RomError.FLASH_READ_LENGTH);
    emu.flash.set(
      Uint8Array.from({ length: 200 }, (_, i) => i),
      0x2000,
    );
    assert.deepEqual(
      [...(await loader.readFlashSlow(0x2000, 200))],
      Array.from({ length: 200 }, (_, i) => i),
    );
  });
});

for (const [flag, state, cause] of [
  [1, "app", /run user code/],
  [0, "app", /reboot with GPIO0 high/],
] as const) {
  test(
    `FLASH_END ${flag}: ${flag === 1 ? "runs user code" : "reboots"} — the loader stops ` +
      `answering`,
    async () => {
      await session({}, async (loader, emu) => {
        await loader.command(Op.FLASH_END, u32le(flag), { attempts: 1 });
        await emu.settled();
        assert.equal(emu.endFlag, flag);
        assert.equal(emu.state, state);
        assert.match(emu.boots.at(-1)!.cause, cause);
        await assert.rejects(
          loader.command(Op.READ_REG, u32le(CHIP_MAGIC_REG)),
          FlashError,
          "no loader any more",
        );
      });
    },
  );
}

test("CHANGE_BAUDRATE: answered at the old rate, then only the new rate works", async () => {
  await session({}, async (loader, emu, port) => {
    const bad = await loader.command(Op.CHANGE_BAUDRATE, u32le(921600), { allowError: true });
    assert.equal(bad.error, RomError.INVALID_MESSAGE, "two words: rate, 0 for the ROM");
    await loader.command(Op.CHANGE_BAUDRATE, u32le(921600, 0), { attempts: 1 });
    await emu.settled();
    assert.equal(emu.baudRate, 921600);
    // Still at 115200 on this side: the request is garbled and nothing answers.
    await assert.rejects(loader.readReg(CHIP_MAGIC_REG), FlashError);
    assert.ok(emu.garbledPackets >= 1);
    await port.setBaudRate(921600);
    assert.equal(await loader.readReg(CHIP_MAGIC_REG), 0x00f01d83);
  });
});

test("XMC flash that did not start up: RDID reads 0 until esptool's wake-up sequence", async () => {
  const xmc = 0x20 | (0x40 << 8) | (0x16 << 16); // XMC25QH32C
  await session({ flashId: xmc, xmcAsleep: true }, async (loader, emu) => {
    assert.equal(await readFlashId(loader, CHIPS.esp32), 0, "asleep");
    assert.equal(await xmcStartupFix(loader, CHIPS.esp32), "fixed");
    assert.equal(await readFlashId(loader, CHIPS.esp32), xmc);
    const sent = emu.model.spiCommands;
    assert.deepEqual(sent.slice(-7, -2), [SpiFlashCmd.SFDP, 0xb9, 0x79, 0xff, 0xab]);
  });
});
