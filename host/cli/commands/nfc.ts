// `offtap nfc emulate` — a PN532 on a serial device whose RF field holds simulated wallets
// (docs/NFC.md §5). The reader side is anything that drives a PN532 over HSU: offtap's own
// driver (`offtap tap --nfc`, `offtap reader --nfc`), libnfc, or the native board runtime.
import process from "node:process";
import { existsSync } from "node:fs";
import type { Command } from "../command.ts";
import { EXIT_OK, EXIT_USAGE, UsageError } from "../command.ts";
import { intFlag, parse } from "../args.ts";
import { findScenario } from "../../sim/scenarios.ts";
import { EMULATOR_WALLETS_MAX, fieldCards, startEmulator } from "../../nfc/emulator/index.ts";
import { openPtyPair, type PtyPair } from "../../serial/pty.ts";

const HELP = `usage: offtap nfc emulate --port PATH [--port PATH2] [options]
       offtap nfc emulate --pty [options]

Emulates a PN532 (firmware v1.6, HSU link) on the serial device PATH: frames, ACKs,
aborts, the chip's status codes and error frame, the HSU wake-up and the byte timing of
the link, answering as the chip does for the commands hosts use (Diagnose,
GetFirmwareVersion, SAMConfiguration, RFConfiguration, Read/WriteRegister, SetParameters,
InListPassiveTarget, InAutoPoll, InDataExchange with MI chaining, InRelease, PowerDown,
TgInitAsTarget, TgGetData, TgSetData ...). Its RF field holds simulated wallets built
from the seed exactly as \`offtap tap\`/\`offtap sim\` build them, as ISO/IEC 14443-4 type A
cards (random UID, ATS with FWI 8). A second --port is a second PN532 in the same field:
put it in target mode (\`offtap wallet --nfc\`, nfc-emulate-forum-tag4) and the first
one's reader talks to it.

Prints one line \`ready PATH...\` on stdout when the ports are open (with --pty, the paths
to give the reader), then runs until SIGTERM or SIGINT and exits 0.

options:
  --port PATH      serial device of one emulated PN532 (repeat for a second one)
  --pty            make a pseudo-terminal pair with socat instead and print its free end
  --seed S         seed of the world: issuers, reader id, wallets (default 1)
  --wallets N      honest wallets that tap one after another (default 1; 0 = empty field)
  --scenario NAME  instead: the wallet of a scenario of \`offtap tap --list\`, after the
                   taps that set the scenario up (the reader replays them from the seed)
  --cycle          when every wallet has tapped, start again (for benchmarks)
  --vanish-at K    fault: each wallet leaves the field during exchange K of its tap
                   (0 SELECT, 1 PAY, 2 RECEIPT)
  --damage-every N fault: every Nth answer frame leaves with a damaged checksum (the
                   host must NACK it; the resend is intact)
  --hold N         polls a released wallet stays in the field, a phone held to the
                   reader (default 0)
  --baud N         HSU baud rate, for byte timing (default 115200)
  --time-scale X   real time per emulated time: 1 real (default), 0 instant, 0.1 ten
                   times faster
  --verbose        log every RF event and ignored frame on stderr
  --help           show this help

Exit codes: 0 stopped by a signal; 2 usage error or a port that cannot be opened.`;

/** Baud rates a PN532's HSU supports (SetSerialBaudRate, UM0701-02 §7.2.8). */
const HSU_BAUDS = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1288000];

async function emulate(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    port: { type: "string", multiple: true },
    pty: { type: "boolean" },
    seed: { type: "string" },
    wallets: { type: "string" },
    scenario: { type: "string" },
    cycle: { type: "boolean" },
    hold: { type: "string" },
    "vanish-at": { type: "string" },
    "damage-every": { type: "string" },
    baud: { type: "string" },
    "time-scale": { type: "string" },
    verbose: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  const ports = values.port ?? [];
  if (ports.length === 0 && !values.pty) throw new UsageError("give --port PATH (or --pty)");
  if (ports.length > 2 || (values.pty && ports.length > 1))
    throw new UsageError("at most two emulated PN532s share a field");
  for (const p of ports)
    if (!existsSync(p)) throw new UsageError(`no serial device at ${p} (check the path)`);
  if (values.scenario !== undefined && findScenario(values.scenario) === undefined) {
    throw new UsageError(`unknown scenario '${values.scenario}' (see offtap tap --list)`);
  }
  if (values.scenario !== undefined && values.wallets !== undefined)
    throw new UsageError("--scenario and --wallets exclude each other");
  const baud = intFlag("baud", values.baud, 115_200);
  if (!HSU_BAUDS.includes(baud))
    throw new UsageError(`--baud must be one of ${HSU_BAUDS.join(", ")}`);
  const scaleText = values["time-scale"] ?? "1";
  const timeScale = Number(scaleText);
  if (!/^\d+(\.\d+)?$/.test(scaleText) || timeScale > 100)
    throw new UsageError(`--time-scale takes a number from 0 to 100, got '${scaleText}'`);
  const log = values.verbose
    ? (line: string): void => {
        process.stderr.write(`pn532: ${line}\n`);
      }
    : undefined;
  const seed = intFlag("seed", values.seed, 1, 0xffffffff);
  const wallets = intFlag("wallets", values.wallets, 1, EMULATOR_WALLETS_MAX);
  const holdPolls = intFlag("hold", values.hold, 0, 1000);
  const vanishText = values["vanish-at"];
  const vanishAt = vanishText === undefined ? undefined : intFlag("vanish-at", vanishText, 0, 15);
  let cards;
  try {
    cards = fieldCards({ seed, wallets, scenario: values.scenario, vanishAt });
  } catch (e) {
    throw new UsageError(`cannot build the wallets: ${(e as Error).message}`, "run make build");
  }
  let pty: PtyPair | undefined;
  if (values.pty) {
    try {
      pty = await openPtyPair();
    } catch (e) {
      throw new UsageError((e as Error).message, "socat makes the pseudo-terminal pair: "
        + "apt-get install socat");
    }
    ports.push(pty.devicePath);
  }
  let emu;
  try {
    emu = await startEmulator({
      ports, seed, wallets, scenario: values.scenario, baud, timeScale, holdPolls, vanishAt,
      cycle: values.cycle === true, log, cards,
      damageEvery: intFlag("damage-every", values["damage-every"], 0, 1000) || undefined,
    });
  } catch (e) {
    await pty?.close();
    throw new UsageError(`cannot open ${ports.join(", ")}: ${(e as Error).message}`,
      "check the device and who holds it");
  }
  console.log(`ready ${pty !== undefined ? pty.hostPath : ports.join(" ")}`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await emu.close();
  await pty?.close();
  log?.(
    `stopped after ${emu.links.reduce((n, l) => n + l.commands, 0)} commands, ` +
      `${emu.field.arrivals} activations`,
  );
  return EXIT_OK;
}

export const command: Command = {
  name: "nfc",
  summary: "PN532 tools: emulate a PN532 whose field holds simulated wallets",
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") {
      console.log(HELP);
      return sub === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (sub === "emulate") return emulate(rest);
    throw new UsageError(`unknown subcommand '${sub}' (emulate)`);
  },
};
