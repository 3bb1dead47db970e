// The emulated PN532's HSU link as the chip behaves (UM0701-02 §6.2): asleep until the
// wake-up byte, ACK then answer, the error frame for a command it cannot take, silence for
// a frame with bad checksums, NACK resends the answer, ACK aborts a running command,
// PowerDown puts it back to sleep. Raw bytes over a pseudo-terminal, no driver.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { openPtyPair, type PtyPair } from "../../host/serial/pty.ts";
import { SerialFileLink } from "../../host/nfc/link.ts";
import {
  ACK_FRAME,
  ERROR_FRAME,
  FrameParser,
  NACK_FRAME,
  TFI_CHIP,
  TFI_HOST,
  WAKEUP_PREAMBLE,
  encodeFrame,
  type FrameEvent,
} from "../../host/nfc/pn532/frame.ts";
import { startEmulatorWorker, type EmulatorWorker } from "../../host/nfc/emulator/in-worker.ts";

let pty: PtyPair;
let emu: EmulatorWorker;
let link: SerialFileLink;
const parser = new FrameParser();

before(async () => {
  pty = await openPtyPair();
  emu = await startEmulatorWorker(pty.devicePath, 0);
  await emu.load({ seed: 1, wallets: 0 });
  link = SerialFileLink.open(pty.hostPath, 115_200);
});

after(async () => {
  link?.close();
  await emu?.close();
  await pty?.close();
});

/** Everything the chip sends within `ms`, as frame events. */
function events(ms: number): FrameEvent[] {
  const out: FrameEvent[] = [];
  const deadline = performance.now() + ms;
  for (let left = ms; left > 0; left = deadline - performance.now()) {
    out.push(...parser.push(link.read(left)));
  }
  return out;
}

const cmd = (...b: number[]): Uint8Array => encodeFrame(TFI_HOST, Uint8Array.from(b));
const reply = (...b: number[]): FrameEvent => ({
  kind: "frame",
  tfi: TFI_CHIP,
  data: Uint8Array.from(b),
  extended: false,
});
const ACK: FrameEvent = { kind: "ack" };

test("asleep until the wake-up byte, then ACK and answer", () => {
  link.write(cmd(0x02));
  assert.deepEqual(events(150), [], "a sleeping chip ignores frames");
  link.write(Uint8Array.from([...WAKEUP_PREAMBLE, ...cmd(0x14, 0x01, 0x14, 0x01)]));
  assert.deepEqual(events(150), [ACK, reply(0x15)]);
  link.write(cmd(0x02));
  assert.deepEqual(events(150), [ACK, reply(0x03, 0x32, 0x01, 0x06, 0x07)]);
});

/** The wake-up bytes: a no-op for an awake chip, so each test can run alone. */
function wake(): void {
  link.write(WAKEUP_PREAMBLE);
}

test("a command it cannot take gets the error frame; a damaged frame gets nothing", () => {
  wake();
  link.write(cmd(0x7a)); // no such command
  assert.deepEqual(events(150), [ACK, ...new FrameParser().push(ERROR_FRAME)]);
  link.write(cmd(0x14, 0x00)); // SAMConfiguration mode 0 does not exist
  assert.deepEqual(events(150), [ACK, ...new FrameParser().push(ERROR_FRAME)]);
  const damaged = cmd(0x02);
  damaged[damaged.length - 2] = damaged[damaged.length - 2]! ^ 0x01;
  link.write(damaged);
  assert.deepEqual(events(150), []);
});

test("NACK gets the last answer again; ACK aborts a running command", () => {
  wake();
  link.write(cmd(0x00, 0x00, 0x6f, 0x6b)); // Diagnose: communication test echoes its data
  assert.deepEqual(events(150), [ACK, reply(0x01, 0x00, 0x6f, 0x6b)]);
  link.write(NACK_FRAME);
  assert.deepEqual(events(150), [reply(0x01, 0x00, 0x6f, 0x6b)]);
  // Retry for ever with an empty field: the poll runs until the host aborts it.
  link.write(cmd(0x32, 0x05, 0xff, 0x01, 0xff));
  assert.deepEqual(events(150), [ACK, reply(0x33)]);
  link.write(cmd(0x4a, 0x01, 0x00));
  assert.deepEqual(events(200), [ACK], "no target: still polling");
  link.write(ACK_FRAME);
  assert.deepEqual(events(200), [], "aborted: no answer");
  link.write(cmd(0x02));
  assert.deepEqual(
    events(150),
    [ACK, reply(0x03, 0x32, 0x01, 0x06, 0x07)],
    "ready for the next command",
  );
});

test("PowerDown answers, then the chip sleeps until the next wake-up", () => {
  wake();
  link.write(cmd(0x16, 0x10));
  assert.deepEqual(events(150), [ACK, reply(0x17, 0x00)]);
  link.write(cmd(0x02));
  assert.deepEqual(events(150), [], "asleep");
  link.write(Uint8Array.from([...WAKEUP_PREAMBLE, ...cmd(0x02)]));
  assert.deepEqual(events(150), [ACK, reply(0x03, 0x32, 0x01, 0x06, 0x07)]);
});

test("an endless InAutoPoll over an empty field waits, and an ACK stops it", () => {
  wake();
  link.write(cmd(0x60, 0xff, 0x01, 0x10)); // poll for ever, period 150 ms, ISO 14443A
  assert.deepEqual(events(200), [ACK], "nothing in the field: no answer yet");
  link.write(ACK_FRAME);
  assert.deepEqual(events(100), []);
  link.write(cmd(0x02));
  assert.deepEqual(events(150), [ACK, reply(0x03, 0x32, 0x01, 0x06, 0x07)], "still responsive");
});
