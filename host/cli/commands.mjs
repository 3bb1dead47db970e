// @ts-check
// The command table's data: each command's name, one-line summary and subcommands. Plain
// JavaScript on purpose: `offtap --help` prints from here without starting the TypeScript
// loader (bin/offtap.mjs), which costs more than all of Node's own start-up. host/cli/main.ts
// pairs every name with its lazily imported module (types: commands.d.mts).

export const VERSION = "0.1.0";

export const COMMANDS = [
  {
    name: "demo",
    summary: "run the firmware at gates, clear their ledgers, catch a double spend, cash out",
    subcommands: [],
  },
  {
    name: "tap",
    summary: "run one simulated tap through the firmware and show every APDU",
    subcommands: [],
  },
  {
    name: "sim",
    summary: "simulate many taps over a wallet population and summarise the decisions",
    subcommands: [],
  },
  {
    name: "issuer",
    summary: "create issuer keys and certify wallets",
    subcommands: ["keygen", "certify"],
  },
  {
    name: "ledger",
    summary: "the reader's ledger: power-cut suite, inspect images, export and verify batches",
    subcommands: ["powercut", "inspect", "export", "verify"],
  },
  {
    name: "vectors",
    summary: "run crypto and tap vector files on the firmware (V8, WASI/WASM3, or a board)",
    subcommands: ["run"],
  },
  {
    name: "serve",
    summary: "serve the clearing HTTP API and dashboard",
    subcommands: [],
  },
  {
    name: "tokens",
    summary: "issue, list and revoke API tokens for the server",
    subcommands: ["issue", "list", "revoke"],
  },
  {
    name: "image",
    summary: "build, sign and inspect reader images for a board",
    subcommands: ["keygen", "build", "inspect", "boards", "partitions"],
  },
  {
    name: "clear",
    summary: "clearing: ingest batches, balances, readers, acknowledgements, deny lists",
    subcommands: [
      "ingest", "balances", "reader", "issuer", "ack", "denylist", "doctor", "risk", "rekey",
    ],
  },
  {
    name: "history",
    summary: "export settled payments and transfers as CSV",
    subcommands: ["export"],
  },
  {
    name: "cashout",
    summary: "cash-out: owners, bank accounts, fees, quote/request/confirm with TOTP, payout files",
    subcommands: [
      "quote", "request", "confirm", "cancel", "expire", "export", "paid", "failed", "list", "show",
      "owner", "kyc", "account", "totp", "fees", "debtor", "audit",
    ],
  },
  {
    name: "flash",
    summary: "write a signed image to a board over USB serial (ESP32 ROM bootloader)",
    subcommands: ["emulate", "read", "nvs"],
  },
  {
    name: "nfc",
    summary: "PN532 tools: emulate a PN532 whose field holds simulated wallets",
    subcommands: ["emulate"],
  },
  {
    name: "reader",
    summary: "the reader loop with a PN532 as its radio (gate or kiosk on a desktop)",
    subcommands: [],
  },
  {
    name: "wallet",
    summary: "a simulated wallet as a card, through a PN532 in target mode",
    subcommands: [],
  },
];

/** The top-level help. */
export function usage() {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "usage: offtap <command> [subcommand] [options]",
    "",
    "Firmware and tooling for offline NFC micropayment readers.",
    "",
    "commands:",
    ...lines,
    "",
    "Help: `offtap <command> --help`, `offtap <command> <subcommand> -h`, `offtap help <command>`.",
    "Exit codes: 0 success, 1 the work found a problem, 2 usage or input error.",
    "Errors are one line on stderr, `offtap <command>: <what went wrong> (<what to do>)`;",
    "with --json, one JSON object: {\"error\":{\"command\",\"message\",\"hint\",\"exit\"}}.",
  ].join("\n");
}
