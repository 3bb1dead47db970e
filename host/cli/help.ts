// Help for a subcommand cut from its command's help, for commands whose help lists every
// subcommand on lines of its own (`  ingest BATCH…   verify and settle …`): the lines that
// start with the subcommand's name, their indented continuations, and the options section.
// One text stays the source, so a subcommand's help cannot drift from its parent's.

const OPTIONS_HEADING = "options:";

/** Lines of `help` about `sub`, or undefined when help has none. */
export function subcommandHelp(help: string, command: string, sub: string): string | undefined {
  const lines = help.split("\n");
  const picked: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (line === OPTIONS_HEADING) break;
    const opens = line.startsWith(`  ${sub} `) || line === `  ${sub}`;
    const continues: boolean = inside && /^ {4,}\S/.test(line);
    inside = opens || continues;
    if (inside) picked.push(line);
  }
  if (picked.length === 0) return undefined;
  const at = lines.indexOf(OPTIONS_HEADING);
  const options = at < 0 ? [] : ["", ...lines.slice(at)];
  return [`usage: offtap ${command} ${sub} [options]`, "", ...picked, ...options].join("\n");
}

const SUBCOMMANDS_HEADING = "subcommands:";

/** The subcommands a help text lists: the first word of each line under "subcommands:". */
export function listedSubcommands(help: string): string[] {
  const lines = help.split("\n");
  const at = lines.indexOf(SUBCOMMANDS_HEADING);
  const names: string[] = [];
  for (const line of at < 0 ? [] : lines.slice(at + 1)) {
    if (line === "" || line === OPTIONS_HEADING) break;
    const name = /^ {2}([a-z][\w-]*)\b/.exec(line)?.[1];
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

/** A help table for Command.help: "" is the whole text, then one entry per subcommand (by
 *  default every subcommand the text lists). */
export function helpTable(help: string, command: string,
  subs: readonly string[] = listedSubcommands(help)): Record<string, string> {
  const table: Record<string, string> = { "": help };
  for (const sub of subs) {
    const text = subcommandHelp(help, command, sub);
    if (text !== undefined) table[sub] = text;
  }
  return table;
}

/** A subcommand's help cut from a help text laid out as usage lines, then one paragraph per
 *  subcommand starting with its name ("build    validates …", continuation lines indented),
 *  then "options:". Its usage lines, its paragraph and the options; undefined when the text
 *  has no paragraph for `sub`. */
export function paragraphHelp(help: string, command: string, sub: string): string | undefined {
  const lines = help.split("\n");
  const blank = lines.indexOf("");
  const usage: string[] = [];
  let inUsage = false;
  for (const line of lines.slice(0, blank < 0 ? 0 : blank)) {
    const named = `offtap ${command} ${sub}`;
    const opens = line.includes(`${named} `) || line.endsWith(named);
    const lead = usage.length === 0 ? "usage: " : "       ";
    if (opens) usage.push(line.replace(/^(usage:)?\s*/, lead));
    else if (inUsage && /^ {8,}\S/.test(line)) usage.push(line);
    inUsage = opens || (inUsage && /^ {8,}\S/.test(line));
  }
  const body: string[] = [];
  let inside = false;
  for (const line of lines.slice(blank + 1)) {
    if (line === OPTIONS_HEADING) break;
    const opens = line === sub || line.startsWith(`${sub} `);
    inside = opens || (inside && /^ +\S/.test(line));
    if (inside) body.push(line);
  }
  if (body.length === 0) return undefined;
  const at = lines.indexOf(OPTIONS_HEADING);
  const options = at < 0 ? [] : ["", ...lines.slice(at)];
  return [...usage, "", ...body, ...options].join("\n");
}

/** A help table from a paragraph-per-subcommand help text (see paragraphHelp). */
export function paragraphTable(help: string, command: string, subs: readonly string[]):
  Record<string, string> {
  const table: Record<string, string> = { "": help };
  for (const sub of subs) {
    const text = paragraphHelp(help, command, sub);
    if (text !== undefined) table[sub] = text;
  }
  return table;
}
