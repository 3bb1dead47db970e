// The PN532 frame codec and the driver against a scripted chip (no serial device): every
// frame shape of UM0701-02 §6.2.1, and the driver's answer to malformed, oversized and
// damaged frames, to each status byte and to MI chaining — an ABI error, never a crash.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ACK_FRAME,
  ERROR_FRAME,
  FrameParser,
  NACK_FRAME,
  TFI_CHIP,
  TFI_HOST,
  encodeFrame,
  frameBytes,
  type FrameEvent,
} from "../../host/nfc/pn532/frame.ts";
import { STATUSES, statusInfo } from "../../host/nfc/pn532/status.ts";
import { Pn532Driver } from "../../host/nfc/pn532/driver.ts";
import { sleepSync, type ByteLink } from "../../host/nfc/link.ts";
import { ERR_FIELD_LOST, ERR_FRAME, ERR_OVERFLOW, ERR_TIMEOUT } from "../../host/sim/abi.ts";
import { Rng } from "../../host/sim/rng.ts";
import { SimWorld } from "../../host/sim/world.ts";
import { Pn532Front } from "../../host/sim/pn532.ts";

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

/** A copy of `b` with byte `at` damaged. */
function flip(b: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(b);
  out[at] = out[at]! ^ 0x55;
  return out;
}

test("frames: normal and extended round trips, split anywhere, with noise between", () => {
  for (const len of [0, 1, 2, 100, 253, 254, 255, 256, 264]) {
    const data = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff);
    const f = encodeFrame(TFI_CHIP, data);
    assert.equal(f.length, frameBytes(len));
    assert.equal(f.length, data.length + (len + 1 > 255 ? 11 : 8));
    const noisy = Uint8Array.from([0x55, 0x00, 0x13, ...f, 0x00, 0x00, ...ACK_FRAME]);
    for (const cut of [1, 3, 7, noisy.length - 2]) {
      const p = new FrameParser();
      const evs = [...p.push(noisy.subarray(0, cut)), ...p.push(noisy.subarray(cut))];
      assert.deepEqual(
        evs,
        [{ kind: "frame", tfi: TFI_CHIP, data, extended: len + 1 > 255 }, { kind: "ack" }],
        `len ${len} cut ${cut}`,
      );
    }
  }
  assert.throws(() => encodeFrame(TFI_HOST, new Uint8Array(265)), RangeError);
});

test("frames: ACK, NACK, error frame, bad checksums, impossible lengths", () => {
  const parse = (b: Uint8Array): FrameEvent[] => new FrameParser().push(b);
  assert.deepEqual(parse(NACK_FRAME), [{ kind: "nack" }]);
  assert.deepEqual(parse(ERROR_FRAME), [
    { kind: "frame", tfi: 0x7f, data: new Uint8Array(0), extended: false },
  ]);
  const f = encodeFrame(TFI_CHIP, bytes(0x03, 0x32, 0x01, 0x06, 0x07));
  const badLcs = flip(f, 4);
  assert.equal(parse(badLcs)[0]?.kind, "bad");
  const badDcs = flip(f, f.length - 2);
  assert.deepEqual(parse(badDcs), [{ kind: "bad", reason: "data-checksum" }]);
  assert.deepEqual(parse(bytes(0x00, 0x00, 0xff, 0xff, 0xff, 0x02, 0x00, 0xfe)), [
    { kind: "bad", reason: "too-long" },
  ]);
  assert.deepEqual(parse(bytes(0x00, 0x00, 0xff, 0x00, 0x00)), [{ kind: "bad", reason: "empty" }]);
  // Noise alone never yields a frame, and never grows the parser without bound.
  const p = new FrameParser();
  const rng = Rng.from(1, "noise");
  for (let i = 0; i < 200; i++) p.push(rng.bytes(97).map((b) => (b === 0xff ? 0xfe : b)));
  assert.ok(p.pendingBytes <= 1);
});

test("status map: every documented code has a name, a reason and an ABI error", () => {
  const abi = new Set([ERR_TIMEOUT, ERR_FIELD_LOST, ERR_OVERFLOW, ERR_FRAME]);
  for (const s of STATUSES) {
    assert.ok(abi.has(s.abi), s.name);
    assert.equal(statusInfo(s.code | 0x40)?.code, s.code, "MI bit ignored");
  }
  assert.equal(statusInfo(0x01)?.abi, ERR_TIMEOUT);
  assert.equal(statusInfo(0x29)?.abi, ERR_FIELD_LOST);
  assert.equal(statusInfo(0x07)?.abi, ERR_OVERFLOW);
  assert.equal(statusInfo(0x02)?.abi, ERR_FRAME);
  assert.equal(statusInfo(0x3e)?.abi, ERR_FRAME, "undocumented code");
  assert.equal(statusInfo(0x00), undefined);
});

type Reply = (code: number, p: Uint8Array) => Uint8Array[] | undefined;

/** A chip on a script: answers each host frame with the bytes `reply` gives (undefined:
 *  the standard answer of a healthy PN532 with one ISO-DEP card in its field). */
class ScriptedChip implements ByteLink {
  readonly baud = 115_200;
  readonly written: Uint8Array[] = [];
  /** What the chip sends on each NACK, in turn. */
  resends: Uint8Array[] = [];
  nacks = 0;
  private inbox: Uint8Array[] = [];
  private readonly parser = new FrameParser();
  constructor(private readonly reply: Reply = () => undefined) {}

  write(b: Uint8Array): void {
    this.written.push(Uint8Array.from(b));
    for (const ev of this.parser.push(b)) {
      if (ev.kind === "nack") {
        const again = this.resends[this.nacks++];
        if (again !== undefined) this.inbox.push(again);
      }
      if (ev.kind !== "frame") continue;
      const code = ev.data[0]!;
      const p = ev.data.subarray(1);
      this.inbox.push(...(this.reply(code, p) ?? [ACK_FRAME, answer(code, standard(code, p))]));
    }
  }

  read(timeoutMs: number): Uint8Array {
    const b = this.inbox.shift();
    if (b !== undefined) return b;
    sleepSync(timeoutMs);
    return new Uint8Array(0);
  }

  discard(): void {
    this.inbox = [];
  }
  close(): void {}
}

function answer(code: number, data: ArrayLike<number>): Uint8Array {
  return encodeFrame(TFI_CHIP, Uint8Array.from([code + 1, ...Array.from(data)]));
}

function standard(code: number, p: Uint8Array): number[] {
  if (code === 0x02) return [0x32, 0x01, 0x06, 0x07];
  if (code === 0x4a)
    return [
      0x01, 0x01, 0x00, 0x04, 0x20, 0x04, 0x08, 0x01, 0x02, 0x03, 0x05, 0x78, 0x80, 0x80, 0x02,
    ];
  if (code === 0x40) return [0x00, ...p.subarray(1), 0x90, 0x00]; // an echo card
  if (code === 0x00 && p[0] === 0x06) return [0x00]; // presence: still there
  if (code === 0x52 || code === 0x00) return [0x00];
  return [];
}

function started(reply?: Reply): { chip: ScriptedChip; d: Pn532Driver } {
  const chip = new ScriptedChip(reply);
  const d = new Pn532Driver(chip, { ackTimeoutMs: 5, answerMarginMs: 5 });
  assert.ok(d.begin().ok, "start-up");
  const t = d.poll();
  assert.ok(t.ok && t.value !== undefined);
  return { chip, d };
}

const APDU = bytes(0x00, 0xa4, 0x04, 0x00, 0x02, 0xf0, 0x01, 0x00);

test("driver: start-up wakes the chip, checks IC 0x32, activates an ISO-DEP card", () => {
  const { chip, d } = started();
  assert.equal(chip.written[0]![0], 0x55, "HSU wake-up first");
  assert.deepEqual([...d.target!.uid], [0x08, 0x01, 0x02, 0x03]);
  assert.deepEqual([...d.target!.ats], [0x05, 0x78, 0x80, 0x80, 0x02]);
  const r = d.exchange(APDU, 258, 100);
  assert.ok(r.ok);
  assert.deepEqual([...r.value], [...APDU, 0x90, 0x00]);
  const pn533 = new Pn532Driver(
    new ScriptedChip((c) => (c === 0x02 ? [ACK_FRAME, answer(c, [0x33, 1, 2, 7])] : undefined)),
  );
  const b = pn533.begin();
  assert.ok(!b.ok && /not a PN532/.test(b.error.message));
});

test("driver: malformed and oversized frames from the chip become ABI errors", () => {
  const cases: [string, Uint8Array[], number][] = [
    ["chip error frame", [ACK_FRAME, ERROR_FRAME], ERR_FRAME],
    ["answer to another command", [ACK_FRAME, answer(0x02, [0x32, 1, 6, 7])], ERR_FRAME],
    [
      "host TFI in the answer",
      [ACK_FRAME, encodeFrame(TFI_HOST, bytes(0x41, 0x00, 0x90, 0x00))],
      ERR_FRAME,
    ],
    [
      "extended LEN beyond the chip's buffer",
      [ACK_FRAME, bytes(0x00, 0x00, 0xff, 0xff, 0xff, 0x04, 0x00, 0xfc, 0xd5)],
      ERR_OVERFLOW,
    ],
    ["answer without status byte", [ACK_FRAME, answer(0x40, [])], ERR_FRAME],
    ["no ACK", [], ERR_TIMEOUT],
    ["ACK, then nothing", [ACK_FRAME], ERR_TIMEOUT],
    ["NACK instead of ACK", [NACK_FRAME], ERR_TIMEOUT],
  ];
  for (const [name, reply, want] of cases) {
    const { chip, d } = started((code) => (code === 0x40 ? reply : undefined));
    const r = d.exchange(APDU, 258, 20);
    assert.ok(!r.ok, name);
    assert.equal(r.error.abi, want, `${name}: ${r.error.message}`);
    if (name === "ACK, then nothing")
      assert.deepEqual([...chip.written.at(-1)!], [...ACK_FRAME], "aborted with an ACK");
  }
});

test("driver: a damaged answer is asked again (NACK); damaged every time, a frame error", () => {
  const good = answer(0x40, [0x00, 0x90, 0x00]);
  const bad = flip(good, good.length - 2);
  // Damaged on the line twice, then the chip's resend (on the second NACK) arrives intact.
  const once = started((code) => (code === 0x40 ? [ACK_FRAME, bad] : undefined));
  once.chip.resends = [bad, good];
  const r = once.d.exchange(APDU, 258, 20);
  assert.ok(r.ok, "good on the second resend");
  assert.deepEqual([...r.value], [0x90, 0x00]);
  assert.equal(once.chip.nacks, 2);
  const always = started((code) => (code === 0x40 ? [ACK_FRAME, bad] : undefined));
  always.chip.resends = [bad, bad, bad];
  const r2 = always.d.exchange(APDU, 258, 20);
  assert.ok(!r2.ok);
  assert.equal(r2.error.abi, ERR_FRAME);
  assert.equal(always.chip.nacks, 2, "two NACKs, then the driver gives up");
});

test("driver: each status byte gets its ABI error; timeout with the card gone: field lost", () => {
  for (const s of STATUSES) {
    for (const stillThere of [true, false]) {
      const { d } = started((code, p) => {
        if (code === 0x40) return [ACK_FRAME, answer(code, [s.code])];
        if (code === 0x00 && p[0] === 0x06)
          return [ACK_FRAME, answer(code, [stillThere ? 0x00 : 0x01])];
        return undefined;
      });
      const r = d.exchange(APDU, 258, 20);
      assert.ok(!r.ok);
      const want = s.code === 0x01 && !stillThere ? ERR_FIELD_LOST : s.abi;
      assert.equal(
        r.error.abi,
        want,
        `status 0x${s.code.toString(16)}, card ${stillThere ? "present" : "gone"}`,
      );
    }
  }
});

test("driver: MI chaining joins the parts; more than rxCap is an overflow", () => {
  const parts = [new Uint8Array(262).fill(1), new Uint8Array(262).fill(2), bytes(3, 0x90, 0x00)];
  const chained = (): Reply => {
    let i = 0;
    return (code) => {
      if (code !== 0x40) return undefined;
      const part = parts[i++]!;
      return [ACK_FRAME, answer(code, [i < parts.length ? 0x40 : 0x00, ...part])];
    };
  };
  const a = started(chained());
  const r = a.d.exchange(APDU, 600, 20);
  assert.ok(r.ok);
  assert.equal(r.value.length, 262 + 262 + 3);
  assert.equal(r.value[300], 2);
  const b = started(chained());
  const r2 = b.d.exchange(APDU, 258, 20);
  assert.ok(!r2.ok && r2.error.abi === ERR_OVERFLOW);
  // A long command goes out in MI-chained parts.
  const seen: number[] = [];
  const c = started((code, p) => {
    if (code !== 0x40) return undefined;
    seen.push(p[0]!, p.length - 1);
    return [ACK_FRAME, answer(code, [0x00, 0x90, 0x00])];
  });
  assert.ok(c.d.exchange(new Uint8Array(300), 258, 20).ok);
  assert.deepEqual(seen, [0x41, 262, 0x01, 38]);
});

test("driver: seeded garbage from the chip never crashes; each result: data or ABI error", () => {
  const rng = Rng.from(11, "garbage");
  const abi = new Set([ERR_TIMEOUT, ERR_FIELD_LOST, ERR_OVERFLOW, ERR_FRAME]);
  const { d } = started((code) => {
    if (code !== 0x40) return undefined;
    const junk = rng.bytes(1 + rng.below(40));
    // Sometimes a well-formed frame around junk, sometimes raw junk after the ACK.
    return rng.chance(0.5)
      ? [ACK_FRAME, encodeFrame(TFI_CHIP, Uint8Array.from([0x41, ...junk]))]
      : [ACK_FRAME, junk];
  });
  for (let i = 0; i < 300; i++) {
    const r = d.exchange(APDU, 258, 2);
    if (!r.ok) assert.ok(abi.has(r.error.abi), r.error.message);
    else assert.ok(r.value.length <= 258);
  }
});

test("the firmware through a chip that answers garbage declines MALFORMED, never crashes", () => {
  const world = new SimWorld({ seed: 5, captureLogs: false });
  const chip = new ScriptedChip((code) =>
    code === 0x40 ? [ACK_FRAME, answer(code, [0x00, 0x12])] : undefined,
  );
  const d = new Pn532Driver(chip, { ackTimeoutMs: 5, answerMarginMs: 5 });
  assert.ok(d.begin().ok);
  const front = new Pn532Front(d);
  front.attach(world.board);
  front.beginTap();
  const r = world.tap(undefined, 0);
  front.endTap();
  assert.equal(r.reason, "MALFORMED");
});
