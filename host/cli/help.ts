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

/** A help table for Command.help: "" is the whole text, then one entry per subcommand. */
export function helpTable(help: string, command: string, subs: readonly string[]):
  Record<string, string> {
  const table: Record<string, string> = { "": help };
  for (const sub of subs) {
    const text = subcommandHelp(help, command, sub);
    if (text !== undefined) table[sub] = text;
  }
  return table;
}
