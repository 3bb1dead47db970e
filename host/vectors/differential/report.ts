// Text tables for a differential run: per category (our statuses, peers' acceptances)
// and per explained disagreement.
import { CATEGORIES } from "./cases.ts";
import { ALLOWED_DISAGREEMENTS, disagreementKey } from "./explain.ts";
import { PEERS } from "./peers.ts";
import type { ProblemCase, SliceResult } from "./run.ts";

function pad(s: string | number, n: number): string {
  return String(s).padEnd(n);
}

export function categoryTable(r: SliceResult): string {
  const lines = [`${pad("category", 31)} ${pad("cases", 6)} ${PEERS.map((p) => pad(`${p} ok`, 16)).join("")}offtap statuses`];
  for (const c of CATEGORIES) {
    const t = r.byCategory[c];
    if (t === undefined) continue;
    const statuses = Object.entries(t.status).sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`).join(", ");
    lines.push(`${pad(c, 31)} ${pad(t.count, 6)} ${PEERS.map((p) => pad(t.accepts[p], 16)).join("")}${statuses}`);
  }
  return lines.join("\n");
}

export function disagreementTable(r: SliceResult): string {
  const lines = [`${pad("explained disagreement", 52)} ${pad("rule", 5)} count`];
  for (const e of ALLOWED_DISAGREEMENTS) {
    const key = disagreementKey(e.peer, e.peerAccepts, e.status);
    lines.push(`${pad(key, 52)} ${pad(e.rule, 5)} ${r.explained[key] ?? 0}`);
  }
  return lines.join("\n");
}

export function describeProblem(p: ProblemCase, seed: number): string {
  return [
    `case ${p.index} (${p.category}), seed ${seed}: ${p.reason}`,
    `  offtap ${p.offtap}, reference ${p.reference}, ${PEERS.map((x) => `${x} ${p.peers[x] ? "accepts" : "rejects"}`).join(", ")}`,
    `  pk  ${p.publicKey}`,
    `  sig ${p.signature}`,
    `  msg ${p.message === "" ? "(empty)" : p.message}`,
  ].join("\n");
}
