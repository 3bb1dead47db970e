// Serial ports for the flasher and the on-device test mode: a transport over `serialport`
// and, for tests, a linked pseudo-terminal pair.
export * from "./transport.ts";
export * from "./pty.ts";
