// `offtap flash --factory` end to end against the ROM emulator on a pseudo-terminal: a fake
// ESP-IDF build directory, the committed referenced-key release image, a seed made during
// the run. Afterwards the emulated flash is decoded back with the project's own readers —
// partition table, `offtap image inspect`, the NVS reader — and the enrolment file is
// registered with clearing by `offtap clear reader import`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import pg from "pg";
import { tmpdir } from "node:os";
import path from "node:path";
import { command as flash } from "../../host/cli/commands/flash.ts";
import { command as image } from "../../host/cli/commands/image.ts";
import { command as clear } from "../../host/cli/commands/clear.ts";
import { UsageError } from "../../host/cli/command.ts";
import { openPtyPair } from "../../host/serial/pty.ts";
import { RomEmulator } from "../../host/flash/emulator.ts";
import { decodePartitionTable, loadBoard } from "../../host/boards/index.ts";
import { decodeNvsKeys, decodeNvsPartition } from "../../host/nvs/index.ts";
import { bindImageToDevice } from "../../host/flash/bind.ts";
import {
  appendSignature,
  decodeImage,
  devReleaseKey,
  encodeUnsignedImage,
  readReleaseKeyFile,
} from "../../host/image/index.ts";
import { Ed25519Key } from "../../host/issuer/ed25519.ts";
import { readEnrolment } from "../../host/flash/enrolment.ts";
import { fakeIdfBuild } from "./flash-factory-support.ts";

const GATE = "esp32-gate-pn532";
const VECTORS = path.join("test", "vectors", "image");
const RELEASE_IMAGE = path.join(VECTORS, "gate-referenced.img");
const RELEASE_KEY = path.join(VECTORS, "release-key.json");
const FAST = ["--timeout", "1000", "--connect-attempts", "2"];
const work = mkdtempSync(path.join(tmpdir(), "offtap-factory-"));

async function run(
  cmd: { run(a: string[]): Promise<number> },
  argv: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => {
    out.push(a.map(String).join(" "));
  };
  console.error = (...a: unknown[]) => {
    err.push(a.map(String).join(" "));
  };
  try {
    return { code: await cmd.run(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

test(
  "--factory writes bootloader, table, app, this board's image and the seed's NVS; all decode " +
    "back",
  async () => {
    const board = loadBoard(GATE);
    const build = fakeIdfBuild(GATE);
    const enrol = path.join(work, "enrol-1.json");
    const pair = await openPtyPair();
    const emu = await RomEmulator.start(pair.devicePath, {
      chip: "esp32",
      flashSizeBytes: 4 << 20,
      peerPath: pair.hostPath,
    });
    let r;
    try {
      r = await run(flash, [
        "--factory",
        "--board",
        GATE,
        "--app",
        build.dir,
        "--port",
        pair.hostPath,
        "--release-key",
        RELEASE_KEY,
        "--reader-id",
        "1122334455667788",
        "--enrol",
        enrol,
        "--json",
        ...FAST,
        RELEASE_IMAGE,
      ]);
    } finally {
      await emu.stop();
      await pair.close();
    }
    assert.equal(r.code, 0, r.err + r.out);
    const j = JSON.parse(r.out) as {
      devicePublicKey: string;
      regions: { name: string; offset: number; md5: string }[];
    };
    assert.deepEqual(
      j.regions.map((x) => [x.name, x.offset]),
      [
        ["bootloader", 0x1000],
        ["partition-table", 0x8000],
        ["nvs", 0x9000],
        ["app", 0x10000],
        ["wasm", 0x190000],
      ],
    );
    const f = emu.flash;
    assert.ok(
      eq(f.subarray(0x1000, 0x1000 + build.bootloader.length), build.bootloader),
      "bootloader at 0x1000",
    );
    assert.ok(
      eq(f.subarray(0x10000, 0x10000 + build.app.length), build.app),
      "application at the factory partition",
    );
    const table = decodePartitionTable(f.subarray(0x8000, 0x8000 + 0xc00));
    assert.deepEqual(
      table.entries.map((e) => [e.name, e.offset, e.size]),
      board.partitions.map((p) => [p.name, p.offset, p.size]),
    );

    const e = readEnrolment(enrol);
    assert.equal(e.readerId, "1122334455667788");
    assert.equal(e.devicePublicKey, j.devicePublicKey);
    assert.equal(e.mac, "24:0a:c4:00:01:02");
    // The image, read back from flash, inspected by `offtap image inspect` with the release key.
    const imgFile = path.join(work, "from-flash.img");
    writeFileSync(imgFile, f.subarray(0x190000, 0x190000 + e.image.bytes));
    const inspect = await run(image, [
      "inspect",
      imgFile,
      "--board",
      GATE,
      "--release-key",
      RELEASE_KEY,
      "--json",
    ]);
    assert.equal(inspect.code, 0, inspect.out + inspect.err);
    const ij = JSON.stringify(JSON.parse(inspect.out));
    assert.match(ij, new RegExp(j.devicePublicKey));
    assert.match(ij, /1122334455667788/);
    // The NVS partition, read back by host/nvs: the seed derives the enrolled public key.
    const nvs = decodeNvsPartition(f.subarray(0x9000, 0x9000 + 0x5000));
    assert.deepEqual(nvs.problems, []);
    const seedEntry = nvs.entries.find((x) => x.namespace === "offtap" && x.key === "device_seed");
    assert.ok(seedEntry !== undefined && seedEntry.value.type === "blob");
    const seed = seedEntry.value.value as Uint8Array;
    assert.equal(Buffer.from(new Ed25519Key(seed).publicKey).toString("hex"), e.devicePublicKey);
    const seedHex = Buffer.from(seed).toString("hex");
    assert.ok(
      !r.out.includes(seedHex) &&
        !r.err.includes(seedHex) &&
        !readFileSync(enrol, "utf8").includes(seedHex),
      "the seed never leaves",
    );
    // Clearing registers the reader from the enrolment file.
    const importArgs = ["reader", "import", enrol, "--operator", "metro", "--json"];
    const imp = await withClearingDb((db) => run(clear, [...importArgs, ...db]));
    assert.equal(imp.code, 0, imp.err);
    assert.match(imp.out, /1122334455667788/);
    assert.match(imp.out, new RegExp(j.devicePublicKey));
  },
);

/** A fresh, empty clearing database for one command: a new database on the PostgreSQL
 *  server when DATABASE_URL is set (`make test`), else PGlite in a new directory. */
async function withClearingDb<T>(body: (dbFlags: string[]) => Promise<T>): Promise<T> {
  const server = process.env["DATABASE_URL"];
  if (server === undefined) {
    return body(["--db", mkdtempSync(path.join(tmpdir(), "offtap-factory-db-")), "--create"]);
  }
  const name = `offtap_factory_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  process.env["DATABASE_URL"] = url.toString();
  try {
    return await body([]);
  } finally {
    process.env["DATABASE_URL"] = server;
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

test("--factory --dry-run lays out the board without a port or a seed", async () => {
  const build = fakeIdfBuild(GATE);
  const r = await run(flash, [
    "--factory",
    "--board",
    GATE,
    "--app",
    build.dir,
    "--release-key",
    RELEASE_KEY,
    "--dry-run",
    "--json",
    RELEASE_IMAGE,
  ]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as {
    regions: { name: string; offset: number }[];
    nvs: { namespace: string; key: string };
  };
  assert.deepEqual(
    j.regions.map((x) => x.offset),
    [0x1000, 0x8000, 0x9000, 0x10000, 0x190000],
  );
  assert.deepEqual([j.nvs.namespace, j.nvs.key], ["offtap", "device_seed"]);
});

test("--factory refuses a build or an image that does not fit the board (exit 2)", async () => {
  const argv = (dir: string, img = RELEASE_IMAGE, key = RELEASE_KEY): string[] => [
    "--factory",
    "--board",
    GATE,
    "--app",
    dir,
    "--release-key",
    key,
    "--dry-run",
    img,
  ];
  const refused = async (a: string[], re: RegExp): Promise<void> => {
    await assert.rejects(
      run(flash, a),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
    );
  };
  await refused(argv(fakeIdfBuild(GATE, { chip: "esp32s3" }).dir), /built for esp32s3/);
  const otherTable = new Uint8Array(
    readFileSync(path.join(VECTORS, "partitions", "esp32s3-kiosk-pn532.bin")),
  );
  await refused(
    argv(fakeIdfBuild(GATE, { table: otherTable }).dir),
    /partition table .* is not board esp32-gate-pn532's/,
  );
  await refused(
    argv(fakeIdfBuild(GATE, { appOffset: 0x20000 }).dir),
    /factory partition is at 0x10000/,
  );
  await refused(argv(work), /no flasher_args\.json/);
  const good = fakeIdfBuild(GATE).dir;
  const wrongKey = path.join(work, "other-key.json");
  if (!existsSync(wrongKey))
    assert.equal((await run(image, ["keygen", "--out", wrongKey])).code, 0);
  await refused(argv(good, RELEASE_IMAGE, wrongKey), /does not verify with this release key/);
  await refused(
    [
      "--factory",
      "--board",
      "esp32s3-kiosk-pn532",
      "--app",
      fakeIdfBuild("esp32s3-kiosk-pn532").dir,
      "--release-key",
      RELEASE_KEY,
      "--dry-run",
      path.join(VECTORS, "kiosk-inline.img"),
    ],
    /must reference its seed in NVS/,
  );
  await refused(
    ["--factory", "--board", GATE, "--app", good, "--dry-run", RELEASE_IMAGE],
    /--release-key FILE or --dev-key/,
  );
});

test("--factory --nvs-keys writes the NVS partition in ESP-IDF's encrypted form", async () => {
  const build = fakeIdfBuild(GATE);
  const enrol = path.join(work, "enrol-encrypted.json");
  const keysFile = path.join("test", "vectors", "nvs", "nvs-keys.bin");
  const pair = await openPtyPair();
  const emu = await RomEmulator.start(pair.devicePath, {
    chip: "esp32",
    flashSizeBytes: 4 << 20,
    peerPath: pair.hostPath,
  });
  let r;
  try {
    r = await run(flash, [
      "--factory",
      "--board",
      GATE,
      "--app",
      build.dir,
      "--port",
      pair.hostPath,
      "--dev-key",
      "--nvs-keys",
      keysFile,
      "--enrol",
      enrol,
      "--json",
      ...FAST,
      devImage(),
    ]);
  } finally {
    await emu.stop();
    await pair.close();
  }
  assert.equal(r.code, 0, r.err + r.out);
  const e = readEnrolment(enrol);
  const nvsBytes = emu.flash.subarray(0x9000, 0x9000 + 0x5000);
  const key = decodeNvsKeys(new Uint8Array(readFileSync(keysFile)));
  const clear = decodeNvsPartition(nvsBytes, { encryptionKey: key });
  assert.deepEqual(clear.problems, []);
  const seed = clear.entries.find((x) => x.key === "device_seed")!.value.value as Uint8Array;
  assert.equal(Buffer.from(new Ed25519Key(seed).publicKey).toString("hex"), e.devicePublicKey);
  const seedHex = Buffer.from(seed).toString("hex");
  assert.ok(!Buffer.from(nvsBytes).toString("hex").includes(seedHex), "not in clear in flash");
  assert.equal(decodeNvsPartition(nvsBytes).entries.length, 0, "unreadable without the key");
});

/** The gate's referenced-key release image re-signed with the board's development key. */
function devImage(): string {
  const file = path.join(work, "gate-dev.img");
  if (!existsSync(file)) {
    const board = loadBoard(GATE);
    const bound = bindImageToDevice(
      new Uint8Array(readFileSync(RELEASE_IMAGE)),
      board,
      readReleaseKeyFile(RELEASE_KEY),
      new Ed25519Key(new Uint8Array(32).fill(9)).publicKey,
    );
    const img = decodeImage(bound.image);
    const unsigned = encodeUnsignedImage(img, devReleaseKey(GATE).publicKey);
    writeFileSync(file, appendSignature(unsigned, devReleaseKey(GATE).sign(unsigned)));
  }
  return file;
}

test("flash read and flash nvs: the provisioned board read back over the ROM loader", async () => {
  const build = fakeIdfBuild(GATE);
  const enrol = path.join(work, "enrol-read.json");
  const pair = await openPtyPair();
  const emu = await RomEmulator.start(pair.devicePath, {
    chip: "esp32",
    flashSizeBytes: 4 << 20,
    peerPath: pair.hostPath,
  });
  const common = [
    "--board",
    GATE,
    "--port",
    pair.hostPath,
    "--baud",
    "115200",
    "--before",
    "no-reset",
  ];
  const nvsFile = path.join(work, "nvs-read.bin");
  const imgFile = path.join(work, "wasm-read.img");
  try {
    const f = await run(flash, [
      "--factory",
      ...common,
      "--app",
      build.dir,
      "--dev-key",
      "--after",
      "no-reset",
      "--enrol",
      enrol,
      "--json",
      ...FAST,
      devImage(),
    ]);
    assert.equal(f.code, 0, f.err + f.out);
    const e = readEnrolment(enrol);
    const r1 = await run(flash, [
      "read",
      ...common,
      "--partition",
      "nvs",
      "--out",
      nvsFile,
      "--json",
    ]);
    assert.equal(r1.code, 0, r1.err + r1.out);
    const size = String(e.image.bytes);
    const r2 = await run(flash, [
      "read",
      ...common,
      "--offset",
      "0x190000",
      "--size",
      size,
      "--out",
      imgFile,
    ]);
    assert.equal(r2.code, 0, r2.err + r2.out);
    const nvs = await run(flash, ["nvs", nvsFile, "--json"]);
    assert.equal(nvs.code, 0, nvs.out);
    const j = JSON.parse(nvs.out) as {
      entries: { namespace: string; key: string; value: string }[];
    };
    const seed = j.entries.find((x) => x.namespace === "offtap" && x.key === "device_seed")!;
    assert.match(
      seed.value,
      new RegExp(`32 bytes, SHA-256 [0-9a-f]{16}…, Ed25519 public key ${e.devicePublicKey}`),
    );
    const dev = await run(image, ["inspect", imgFile, "--board", GATE, "--dev-key", "--json"]);
    assert.equal(dev.code, 0, dev.out + dev.err);
    assert.match(dev.out, new RegExp(e.devicePublicKey));
  } finally {
    await emu.stop();
    await pair.close();
  }
});
