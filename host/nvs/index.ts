// ESP-IDF NVS partitions (docs/NVS.md): writer, reader, encryption.
export * from "./format.ts";
export * from "./writer.ts";
export * from "./reader.ts";
export * from "./crypt.ts";
