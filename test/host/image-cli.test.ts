// `npx offtap image …` as a user runs it, in a subprocess: exit codes, --json shapes, files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { repoRoot } from "../../host/firmware/paths.ts";
import { tinyFirmware } from "../vectors/image/wasm.ts";

const bin = path.join(repoRoot, "bin", "offtap.mjs");
const vectors = path.join(repoRoot, "test", "vectors", "image");
const work = mkdtempSync(path.join(tmpdir(), "offtap-image-"));

function offtap(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : -1,
          out: stdout,
          err: stderr,
        });
      },
    );
  });
}

const tiny1 = path.join(work, "abi1.wasm");
const tiny2 = path.join(work, "abi2.wasm");
writeFileSync(tiny1, tinyFirmware({ abiVersion: 1 }));
writeFileSync(tiny2, tinyFirmware({ abiVersion: 2 }));

test("keygen writes a 0600 key file and refuses to overwrite it", async () => {
  const key = path.join(work, "release.json");
  const r = await offtap(["image", "keygen", "--out", key, "--json"]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { publicKey: string; keyId: string };
  const file = JSON.parse(readFileSync(key, "utf8")) as { publicKey: string; format: string };
  assert.equal(file.format, "offtap-release-key");
  assert.equal(statSync(key).mode & 0o777, 0o600);
  assert.equal(file.publicKey, j.publicKey);
  assert.equal(
    j.keyId,
    createHash("sha256").update(Buffer.from(j.publicKey, "hex")).digest("hex").slice(0, 16),
  );
  const again = await offtap(["image", "keygen", "--out", key]);
  assert.equal(again.code, 2);
  assert.match(again.err, /already exists \(a key file is never replaced/);
});

test("build → inspect round trip with --json; inspect re-checks the signature with the key", async () => {
  const out = path.join(work, "gate.img");
  const key = path.join(vectors, "release-key.json");
  const b = await offtap([
    "image",
    "build",
    "--board",
    "esp32-gate-pn532",
    "--provision",
    path.join(vectors, "provision-gate.json"),
    "--release-key",
    key,
    "--wasm",
    tiny1,
    "--out",
    out,
    "--build-time",
    "1795305600",
    "--json",
  ]);
  assert.equal(b.code, 0, b.err);
  const built = JSON.parse(b.out) as {
    ok: boolean;
    bytes: number;
    partition: { name: string; offset: number };
  };
  assert.equal(built.ok, true);
  assert.equal(built.partition.name, "wasm");
  assert.equal(built.partition.offset, 0x190000);
  // Same inputs as the committed vector: the same bytes.
  assert.deepEqual(readFileSync(out), readFileSync(path.join(vectors, "gate-referenced.img")));
  const i = await offtap(["image", "inspect", out, "--release-key", key, "--json"]);
  assert.equal(i.code, 0, i.err);
  const j = JSON.parse(i.out) as {
    ok: boolean;
    image: { boardId: string; seedInline: boolean };
    checks: { check: string; ok: boolean | null }[];
    provisioning: { fare: number };
  };
  assert.equal(j.ok, true);
  assert.equal(j.image.boardId, "esp32-gate-pn532");
  assert.equal(j.image.seedInline, false);
  assert.equal(j.provisioning.fare, 270);
  assert.deepEqual(
    j.checks.map((c) => [c.check, c.ok]),
    [
      ["format", true],
      ["board", true],
      ["size", true],
      ["abi", true],
      ["signature", true],
      ["hashes", true],
      ["provisioning", true],
    ],
  );
  const human = await offtap(["image", "inspect", out, "--release-key", key]);
  assert.equal(human.code, 0);
  assert.match(human.out, /partition\s+wasm at 0x190000/);
  assert.match(human.out, /ok\s+signature\s+valid/);
});

test("build refuses a wrong ABI version and inconsistent provisioning with exit 1 and a reason", async () => {
  const common = [
    "--release-key",
    path.join(vectors, "release-key.json"),
    "--out",
    path.join(work, "x.img"),
    "--json",
  ];
  const abi = await offtap([
    "image",
    "build",
    "--board",
    "esp32-gate-pn532",
    "--provision",
    path.join(vectors, "provision-gate.json"),
    "--wasm",
    tiny2,
    ...common,
  ]);
  assert.equal(abi.code, 1);
  assert.deepEqual((JSON.parse(abi.out) as { refused: string }).refused, "abi");
  const kiosk = await offtap([
    "image",
    "build",
    "--board",
    "esp32s3-kiosk-pn532",
    "--provision",
    path.join(vectors, "provision-gate.json"),
    "--wasm",
    tiny1,
    ...common.slice(0, -1),
  ]);
  assert.equal(kiosk.code, 1);
  const kiosk1 = "^offtap image build: provisioning: fare: board esp32s3-kiosk-pn532 is a kiosk";
  const kioskLine = new RegExp(kiosk1, "m");
  assert.match(kiosk.err, kioskLine);
  assert.match(kiosk.err, /\(the provisioning check refused the image; nothing was written\)\n$/);
});

test("inspect exits 1 for another board and for a bad signature", async () => {
  const img = path.join(vectors, "gate-referenced.img");
  const key = path.join(vectors, "release-key.json");
  const other = await offtap([
    "image",
    "inspect",
    img,
    "--board",
    "esp32s3-kiosk-pn532",
    "--release-key",
    key,
    "--json",
  ]);
  assert.equal(other.code, 1);
  const j = JSON.parse(other.out) as {
    ok: boolean;
    checks: { check: string; ok: boolean | null; message: string }[];
  };
  assert.equal(j.ok, false);
  assert.match(
    j.checks.find((c) => c.check === "board")!.message,
    /image is for board esp32-gate-pn532, not esp32s3-kiosk-pn532/,
  );
  const wrongKey = await offtap(["image", "inspect", img, "--release-pubkey", "11".repeat(32)]);
  assert.equal(wrongKey.code, 1);
  assert.match(wrongKey.out, /FAIL signature\s+bad signature/);
  // Another valid key: a sentence for people, the status code in --json.
  const devKey = await offtap(["image", "inspect", img, "--dev-key"]);
  assert.equal(devKey.code, 1);
  assert.match(devKey.out, /bad signature: the signature does not match: signed by another key/);
  assert.doesNotMatch(devKey.out, /EquationMismatch/);
  const devJson = await offtap(["image", "inspect", img, "--dev-key", "--json"]);
  type Checks = { checks: { check: string; status?: string }[] };
  const checks = (JSON.parse(devJson.out) as Checks).checks;
  assert.equal(checks.find((c) => c.check === "signature")!.status, "EquationMismatch");
});

test("usage errors exit 2", async () => {
  for (const args of [
    ["image", "build", "--provision", "p.json", "--dev-key"],
    [
      "image",
      "build",
      "--board",
      "no-such-board",
      "--provision",
      path.join(vectors, "provision-gate.json"),
      "--dev-key",
    ],
    [
      "image",
      "build",
      "--board",
      "esp32-gate-pn532",
      "--provision",
      path.join(vectors, "provision-gate.json"),
    ],
    ["image", "inspect"],
    ["image", "inspect", path.join(vectors, "gate-referenced.img"), "--release-pubkey", "abcd"],
    ["image", "frobnicate"],
  ]) {
    const r = await offtap(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
  }
});

test("image boards validates every profile; image partitions writes ESP-IDF's bytes", async () => {
  const b = await offtap(["image", "boards", "--json"]);
  assert.equal(b.code, 0, b.err);
  const list = JSON.parse(b.out) as { id: string; ok: boolean; mode: string }[];
  assert.deepEqual(
    list.filter((x) => x.id.startsWith("esp32")).map((x) => [x.id, x.ok, x.mode]),
    [
      ["esp32-gate-pn532", true, "gate"],
      ["esp32s3-kiosk-pn532", true, "kiosk"],
    ],
  );
  const out = path.join(work, "pt.bin");
  const p = await offtap([
    "image",
    "partitions",
    "--board",
    "esp32s3-kiosk-pn532",
    "--format",
    "bin",
    "--out",
    out,
  ]);
  assert.equal(p.code, 0, p.err);
  assert.deepEqual(
    readFileSync(out),
    readFileSync(path.join(vectors, "partitions", "esp32s3-kiosk-pn532.bin")),
  );
  const csv = await offtap(["image", "partitions", "--board", "esp32-gate-pn532"]);
  assert.equal(
    csv.out,
    readFileSync(path.join(vectors, "partitions", "esp32-gate-pn532.csv"), "utf8"),
  );
});
