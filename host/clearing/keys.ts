// The clearing service's own signing keys: the clearing key (acknowledgements) and the
// operator key (deny lists). Given by the caller (the simulator's world owns its keys), or
// created once and kept in the database so every run of the CLI signs with the same keys.
// Seeds are sealed at rest under the data key (./sealed.ts).
import { randomBytes } from "node:crypto";
import { Ed25519Key } from "../issuer/ed25519.ts";
import { fromHex, toHex } from "../protocol/index.ts";
import type { Db } from "./db.ts";
import type { Sealer } from "./sealed.ts";

async function keyNamed(
  db: Db, sealer: Sealer, name: string, given: Ed25519Key | undefined,
): Promise<Ed25519Key> {
  const seed = sealer.seal(toHex(given ? given.seed : randomBytes(32)), "service_keys",
    "seed_hex", name);
  await db.query(
    "INSERT INTO service_keys (name, seed_hex) VALUES ($1, $2) ON CONFLICT (name) DO " +
      (given ? "UPDATE SET seed_hex = EXCLUDED.seed_hex" : "NOTHING"),
    [name, seed],
  );
  const rows = await db.query("SELECT seed_hex FROM service_keys WHERE name = $1", [name]);
  const stored = sealer.open(String(rows[0]!["seed_hex"]), "service_keys", "seed_hex", name);
  return given ?? new Ed25519Key(fromHex(stored, `${name} key`));
}

export async function serviceKeys(
  db: Db, sealer: Sealer, clearing?: Ed25519Key, operator?: Ed25519Key,
): Promise<{ clearing: Ed25519Key; operator: Ed25519Key }> {
  return {
    clearing: await keyNamed(db, sealer, "clearing", clearing),
    operator: await keyNamed(db, sealer, "operator", operator),
  };
}
