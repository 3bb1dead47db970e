// `offtap reader --nfc pn532:PORT` — the reader loop on a desktop: the real firmware on the
// simulated board (flash, clock, RNG) with a PN532 as its radio. Waits for a card, taps,
// waits for the field to empty, and shows each decision with its time split into
// firmware, PN532 link and RF (docs/NFC.md §4).
import type { Command } from "../command.ts";
import { CommandFailure, EXIT_OK, UsageError } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { bold, dim, green, red } from "../output.ts";
import { currency } from "../../money/index.ts";
import { amountFlag } from "../../money/flags.ts";
import { BoardError, loadBoard } from "../../boards/index.ts";
import { SimWorld, setSimulatedBoard } from "../../sim/world.ts";
import { isAcceptance, reasonInfo, toHex } from "../../protocol/index.ts";
import { nfcFlag, openPn532Flag } from "./pn532-flags.ts";
import {
  tapActivated,
  waitForCard,
  waitForEmptyField,
  type LoopTap,
} from "../../nfc/reader-loop.ts";

const HELP = `usage: offtap reader --nfc pn532:PORT[:BAUD] [--board ID] [--seed S] [--taps N]
                     [--amount A] [--wait-ms MS] [--json]

Runs build/offtap.wasm as a gate or kiosk reader with the PN532 on PORT as its radio:
waits for a card, runs one tap (SELECT, PAY, RECEIPT), releases the card and waits
until the field is empty (a phone held to the reader never pays twice), then again.
Each decision is shown with its time split into firmware, PN532 link and RF. The
reader is provisioned from the seed, as \`offtap nfc emulate --seed S\` builds its wallets.

options:
  --nfc pn532:PORT  the PN532 (USB-UART breakout, or \`offtap nfc emulate --pty\`)
  --board ID        board profile boards/ID.json (mode, fare, limits, flash)
  --seed S          seed of the installation: issuers, reader keys (default 1)
  --taps N          stop after N taps (default: run until interrupted)
  --amount A        kiosk mode: the amount each tap requests, in major units of the
                    reader's currency (12.50 for 12.50 EUR)
  --wait-ms MS      stop when no card came for MS ms (default: wait for ever)
  --json            one JSON object per tap
  --help            show this help

Exit codes: 0 done; 1 the PN532 failed or no card came in time; 2 usage error.`;

/** Polls of a held card between two "still in the field" notices. */
const HELD_NOTICE_POLLS = 200;

function printTap(n: number, t: LoopTap, json: boolean): void {
  const s = t.split;
  const r = t.result;
  if (json) {
    console.log(
      JSON.stringify({
        tap: n,
        decision: r.decision,
        reason: r.reason,
        accepted: r.accepted,
        uid: toHex(t.target.uid),
        ms: {
          total: round(s.totalMs),
          firmware: round(s.firmwareMs),
          link: round(s.linkMs),
          rf: round(s.rfMs),
        },
      }),
    );
    return;
  }
  const verdict = isAcceptance(r.decision) ? green(r.reason) : red(r.reason);
  console.log(`${bold(`tap ${n}`)} ${verdict} ${dim(reasonInfo(r.decision)?.description ?? "")}`);
  console.log(
    dim(
      `  card ${toHex(t.target.uid)}; ${s.totalMs.toFixed(1)} ms` +
        ` = firmware ${s.firmwareMs.toFixed(1)} + link ${s.linkMs.toFixed(1)}` +
        ` + RF ${s.rfMs.toFixed(1)}`,
    ),
  );
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export const command: Command = {
  name: "reader",
  summary: "the reader loop with a PN532 as its radio (gate or kiosk on a desktop)",
  async run(argv) {
    const { values } = parse(argv, {
      nfc: { type: "string" },
      board: { type: "string" },
      seed: { type: "string" },
      taps: { type: "string" },
      amount: { type: "string" },
      "wait-ms": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    });
    if (values.help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const spec = nfcFlag(values.nfc);
    try {
      setSimulatedBoard(values.board === undefined ? undefined : loadBoard(values.board));
    } catch (e) {
      throw new UsageError((e as BoardError).message);
    }
    const world = new SimWorld({
      seed: intFlag("seed", values.seed, 1, 0xffffffff),
      captureLogs: false,
    });
    const kiosk = world.config.mode === "kiosk";
    if (kiosk && values.amount === undefined) throw new UsageError("a kiosk reader needs --amount");
    // --amount is in major units of the reader's currency (12.50 EUR), like every CLI amount.
    const cur = currency(world.config.currency);
    const amount = kiosk ? amountFlag("amount", values.amount!, cur, 0xffff_ffff) : 0;
    const taps = values.taps === undefined ? Infinity : intFlag("taps", values.taps, 1);
    const waitMs =
      values["wait-ms"] === undefined ? Infinity : intFlag("wait-ms", values["wait-ms"], 0);
    const pn = openPn532Flag(spec);
    if (!values.json)
      console.log(
        dim(
          `${world.config.mode} reader ${toHex(world.readerId)} on ${pn.firmware} at ${spec.path}`,
        ),
      );
    try {
      for (let n = 1; n <= taps; n++) {
        const deadline = Date.now() + waitMs;
        let card = waitForCard(pn.driver, 1);
        while (card === undefined && Date.now() < deadline) card = waitForCard(pn.driver, 20);
        if (card === undefined) {
          throw new CommandFailure("no card came in time", "hold a card to the reader, or raise "
            + "--wait-ms");
        }
        if ("kind" in card) throw new CommandFailure(card.message);
        printTap(n, tapActivated(pn.front, world, amount, card), values.json === true);
        for (;;) {
          const gone = waitForEmptyField(pn.driver, HELD_NOTICE_POLLS);
          if (typeof gone === "number") break;
          if (gone !== "held") throw new CommandFailure(gone.message);
          if (!values.json) console.log(dim("  card still in the field: take it away"));
        }
      }
    } finally {
      pn.close();
    }
    return EXIT_OK;
  },
};
