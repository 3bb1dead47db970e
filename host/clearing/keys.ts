// The clearing service's own signing keys: the clearing key (acknowledgements) and the
// operator key (deny lists). Given by the caller (the simulator's world owns its keys), or
// created once and kept in the database so every run of the CLI signs with the same keys.
import { randomBytes } from "node:crypto";
import { Ed25519Key } from "../issuer/ed25519.ts";
import { fromHex, toHex } from "../protocol/index.ts";
import type { Db } from "./db.ts";

async function keyNamed(db: Db, name: string, given: Ed25519Key | undefined): Promise<Ed25519Key> {
  const seed = given ? toHex(given.seed) : toHex(randomBytes(32));
  await db.query(
    "INSERT INTO service_keys (name, seed_hex) VALUES ($1, $2) ON CONFLICT (name) DO " + (given ? "UPDATE SET seed_hex = EXCLUDED.seed_hex" : "NOTHING"),
    [name, seed],
  );
  const rows = await db.query("SELECT seed_hex FROM service_keys WHERE name = $1", [name]);
  return given ?? new Ed25519Key(fromHex(String(rows[0]!["seed_hex"]), `${name} key`));
}

export async function serviceKeys(db: Db, clearing?: Ed25519Key, operator?: Ed25519Key): Promise<{ clearing: Ed25519Key; operator: Ed25519Key }> {
  return { clearing: await keyNamed(db, "clearing", clearing), operator: await keyNamed(db, "operator", operator) };
}
