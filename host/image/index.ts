// Signed reader images (docs/IMAGE.md).
export * from "./format.ts";
export * from "./provisioning.ts";
export * from "./keys.ts";
export * from "./build.ts";
export * from "./verify.ts";
export { checkFirmwareProfile, firmwareAbiVersion } from "./firmware.ts";
