// Hand-assembled WebAssembly modules for the image tests: the smallest firmware that
// exports memory and abiVersion(), with the ABI version and memory limits as parameters.
// Written byte by byte from the WebAssembly core specification (binary format), so the
// tests do not depend on the firmware build.

function name(s: string): number[] {
  return [s.length, ...Buffer.from(s, "ascii")];
}

function section(id: number, body: number[]): number[] {
  if (body.length > 127) throw new RangeError("section too long for a one-byte LEB128 size");
  return [id, body.length, ...body];
}

export interface TinyFirmwareOptions {
  abiVersion?: number;
  /** Memory pages: initial and maximum (undefined maximum = none declared). */
  pagesInitial?: number;
  pagesMax?: number | undefined;
}

export function tinyFirmware(o: TinyFirmwareOptions = {}): Uint8Array {
  const abi = o.abiVersion ?? 1;
  if (abi < 0 || abi > 63) throw new RangeError("abiVersion must fit a one-byte signed LEB128");
  const initial = o.pagesInitial ?? 2;
  const max = "pagesMax" in o ? o.pagesMax : 2;
  const memory = max === undefined ? [1, 0x00, initial] : [1, 0x01, initial, max];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 1, 0x7f]), // type 0: () -> i32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, memory),
    ...section(7, [2, ...name("memory"), 0x02, 0, ...name("abiVersion"), 0x00, 0]),
    ...section(10, [1, 4, 0, 0x41, abi, 0x0b]), // i32.const abi; end
  ]);
}
