// Types for commands.mjs (plain JavaScript so that `offtap --help` needs no TypeScript loader).
export type CommandName =
  | "demo" | "tap" | "sim" | "issuer" | "ledger" | "vectors" | "serve" | "tokens" | "image"
  | "clear" | "history" | "cashout" | "flash" | "nfc" | "reader" | "wallet";

export interface CommandInfo {
  readonly name: CommandName;
  readonly summary: string;
  readonly subcommands: readonly string[];
}

export declare const VERSION: string;
export declare const COMMANDS: readonly CommandInfo[];
export declare function usage(): string;
