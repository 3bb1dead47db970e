// SLIP framing and packet layout against the examples in esptool's "Serial Protocol" page,
// plus the serial transport and pseudo-terminal pair the flasher's end-to-end tests use.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipDecoder, slipEncode } from "../../host/flash/slip.ts";
import { Op, checksum, decodeResponse, encodeCommand, u32le } from "../../host/flash/protocol.ts";
import { openPtyPair } from "../../host/serial/pty.ts";
import { SerialError, SerialTransport } from "../../host/serial/transport.ts";

const bytes = (hex: string): Uint8Array =>
  Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

test("SLIP escapes 0xC0 as DB DC and 0xDB as DB DD, framed by C0", () => {
  assert.equal(toHex(slipEncode(bytes("01 c0 02 db 03"))), "c001dbdc02dbdd03c0");
  assert.equal(toHex(slipEncode(new Uint8Array(0))), "c0c0");
});

test("SLIP decoder: split input, noise between packets, double C0 and bad escapes", () => {
  const d = new SlipDecoder();
  const wire = bytes(
    "77 61 69 74 0d 0a c0 01 db dc 02 db dd c0 c0 c0 05 06 c0 c0 db 41 09 c0 c0 0a c0",
  );
  const got: string[] = [];
  for (let i = 0; i < wire.length; i += 3) got.push(...d.push(wire.subarray(i, i + 3)).map(toHex));
  assert.deepEqual(got, ["01c002db", "0506", "0a"]); // the DB 41 packet is dropped
  assert.equal(d.droppedPackets, 1);
  assert.equal(d.strayBytes, 6); // "wait\r\n" before the first packet
});

test("a READ_REG command encodes as in esptool's trace example", () => {
  // Serial Protocol page, "Tracing Esptool Serial Communications": command op=0x0a data=1400f43f.
  const wire = slipEncode(encodeCommand(Op.READ_REG, u32le(0x3ff40014)));
  assert.equal(toHex(wire), "c0000a0400000000001400f43fc0");
});

test("a READ_REG response decodes as in esptool's trace example", () => {
  const r = decodeResponse(bytes("010a0200620100000000"));
  assert.ok(r);
  assert.equal(r.op, Op.READ_REG);
  assert.equal(r.value, 0x0162);
  assert.equal(toHex(r.data), "0000");
});

test("data checksum is the XOR of the data bytes seeded with 0xEF", () => {
  assert.equal(checksum(new Uint8Array(0)), 0xef);
  const data = Uint8Array.from([0x01, 0x02, 0x04, 0xff]);
  let expected = 0xef;
  for (const b of data) expected ^= b;
  assert.equal(checksum(data), expected);
  assert.equal(checksum(data), 0xef ^ 0x01 ^ 0x02 ^ 0x04 ^ 0xff);
});

test("pty pair carries bytes both ways; read times out empty; readExact, readUntil", async () => {
  const pair = await openPtyPair();
  const a = await SerialTransport.open(pair.hostPath, { baudRate: 115200 });
  const b = await SerialTransport.open(pair.devicePath, { baudRate: 115200 });
  try {
    await a.write(bytes("c0 00 ff 0a 41"));
    assert.equal(toHex(await b.readExact(5, 2_000)), "c000ff0a41");
    await b.write(new TextEncoder().encode("ok 1\nrest"));
    assert.equal(new TextDecoder().decode(await a.readUntil(0x0a, 2_000)), "ok 1\n");
    assert.equal(new TextDecoder().decode(await a.readExact(4, 2_000)), "rest");
    assert.equal((await a.read(50)).length, 0);
    await assert.rejects(
      a.readExact(1, 50),
      (e: unknown) => e instanceof SerialError && e.kind === "timeout",
    );
  } finally {
    await a.close();
    await b.close();
    await pair.close();
  }
});

test("serial errors: a missing port, a port another program holds, DTR/RTS on a pty", async () => {
  await assert.rejects(
    SerialTransport.open("/dev/offtap-no-such-port", { baudRate: 115200 }),
    (e: unknown) =>
      e instanceof SerialError && e.kind === "not-found" && /does not exist/.test(e.message),
  );
  const pair = await openPtyPair();
  const held = await SerialTransport.open(pair.hostPath, { baudRate: 115200 });
  try {
    await assert.rejects(
      SerialTransport.open(pair.hostPath, { baudRate: 115200 }),
      (e: unknown) => e instanceof SerialError && e.kind === "busy" && /busy/.test(e.message),
    );
    await assert.rejects(
      held.setSignals({ dtr: true }),
      (e: unknown) => e instanceof SerialError && e.kind === "signals",
    );
  } finally {
    await held.close();
    await pair.close();
  }
});
