// `offtap wallet --nfc pn532:PORT` — a simulated wallet answering through a PN532 in target
// mode: the card side of a two-PN532 bench (docs/NFC.md §6).
import type { Command } from "../command.ts";
import { CommandFailure, EXIT_OK, UsageError } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { SimWorld } from "../../sim/world.ts";
import { HINT_MODES, MISBEHAVIOURS, type HintMode, type Misbehaviour } from "../../sim/wallet.ts";
import { toHex } from "../../protocol/index.ts";
import { nfcFlag, openPn532Flag } from "./pn532-flags.ts";
import { serveOneSession } from "../../nfc/card-mode.ts";

const HELP = `usage: offtap wallet --nfc pn532:PORT[:BAUD] [--seed S] [--index I] [--taps N]
                     [--misbehave M] [--hints MODE] [--wait-ms MS] [--json]

Puts the PN532 on PORT in target mode (TgInitAsTarget as an ISO/IEC 14443-4 PICC) and
answers each reader that activates it as the simulated wallet number I of the world of
seed S (the wallets \`offtap nfc emulate --seed S --wallets N\` holds, in the same order),
through TgGetData and TgSetData. Prints one line per tap.

options:
  --nfc pn532:PORT   the PN532 (a USB-UART breakout, or the emulator's second port)
  --seed S           seed of the world (issuers, wallets), as the reader's (default 1)
  --index I          which wallet of that world (default 0)
  --taps N           stop after N sessions (default: run until killed)
  --misbehave M      misbehave on the first tap (a misbehaviour of host/sim/wallet.ts)
  --hints MODE       decoding hints on every tap: honest (default), bad (wrong x), zero,
                     lenient (x of y mod p); the reader's decisions must not change
  --wait-ms MS       give up when no reader came for MS ms (default: wait for ever)
  --json             one JSON object per tap
  --help             show this help

Exit codes: 0 done; 1 the PN532 failed or no reader came in time; 2 usage error.`;

/** The protocol step of a C-APDU, by its INS byte (docs/PROTOCOL.md). */
function stepName(capdu: Uint8Array): string {
  const ins = capdu[1];
  if (ins === 0xa4) return "SELECT";
  if (ins === 0x50) return "PAY";
  if (ins === 0x52) return "RECEIPT";
  return toHex(capdu.subarray(0, 2));
}

/** How long one TgInitAsTarget waits before the driver asks again (ms). */
const INIT_WAIT_SLICE_MS = 1_000;

export const command: Command = {
  name: "wallet",
  summary: "a simulated wallet as a card, through a PN532 in target mode",
  async run(argv) {
    const { values } = parse(argv, {
      nfc: { type: "string" },
      seed: { type: "string" },
      index: { type: "string" },
      taps: { type: "string" },
      misbehave: { type: "string" },
      hints: { type: "string" },
      "wait-ms": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    });
    if (values.help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const spec = nfcFlag(values.nfc);
    const m = values.misbehave;
    if (m !== undefined && !(MISBEHAVIOURS as readonly string[]).includes(m)) {
      throw new UsageError(`unknown misbehaviour '${m}' (one of ${MISBEHAVIOURS.join(", ")})`);
    }
    const hints = values.hints ?? "honest";
    if (!(HINT_MODES as readonly string[]).includes(hints)) {
      throw new UsageError(`unknown hint mode '${hints}' (one of ${HINT_MODES.join(", ")})`);
    }
    const seed = intFlag("seed", values.seed, 1, 0xffffffff);
    const index = intFlag("index", values.index, 0, 9_999);
    const taps = values.taps === undefined ? Infinity : intFlag("taps", values.taps, 1);
    const waitMs =
      values["wait-ms"] === undefined ? Infinity : intFlag("wait-ms", values["wait-ms"], 0);
    const world = new SimWorld({ seed, captureLogs: false });
    let wallet = world.createWallet();
    for (let i = 0; i < index; i++) wallet = world.createWallet();
    if (m !== undefined) wallet.once(m as Misbehaviour);
    wallet.hintMode = hints as HintMode;
    const pn = openPn532Flag(spec);
    if (!values.json)
      console.log(`wallet ${wallet.name} on ${pn.firmware} at ${spec.path}: waiting for a reader`);
    const uid3 = Uint8Array.from(Buffer.from(wallet.walletIdHex.slice(0, 6), "hex"));
    let served = 0;
    let waited = 0;
    try {
      while (served < taps) {
        const slice = Math.min(INIT_WAIT_SLICE_MS, waitMs - waited);
        if (slice <= 0) {
          throw new CommandFailure("no reader came in time", "hold the reader closer");
        }
        const s = serveOneSession(pn.driver, wallet, uid3, slice);
        if (s === undefined) {
          waited += slice;
          continue;
        }
        if ("kind" in s) throw new CommandFailure(s.message);
        served++;
        waited = 0;
        const steps = s.exchanges.map(
          (x) =>
            `${stepName(x.capdu)} ${x.rapdu === undefined ? x.reply : toHex(x.rapdu.subarray(-2))}`,
        );
        if (values.json)
          console.log(
            JSON.stringify({
              tap: served,
              end: s.end,
              steps,
              counter: wallet.counter,
              spent: wallet.spent,
            }),
          );
        else
          console.log(
            `tap ${served}: ${steps.join(", ") || "no command"}; ${s.end};` +
              ` counter ${wallet.counter}, spent ${wallet.spent}`,
          );
      }
    } finally {
      pn.close();
    }
    return EXIT_OK;
  },
};
