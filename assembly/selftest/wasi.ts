// The WASI preview1 functions selftest.wasm imports — its only imports. AssemblyScript
// 0.28 ships no WASI bindings, so they are declared here (signatures from the
// wasi_snapshot_preview1 witx: every pointer is an offset into our memory, every
// return value an errno where 0 means success).

@external("wasi_snapshot_preview1", "fd_read")
export declare function fd_read(fd: i32, iovs: usize, iovsLen: i32, nread: usize): i32;

@external("wasi_snapshot_preview1", "fd_write")
export declare function fd_write(fd: i32, iovs: usize, iovsLen: i32, nwritten: usize): i32;

@external("wasi_snapshot_preview1", "proc_exit")
export declare function proc_exit(code: i32): void;

export const STDIN: i32 = 0;
export const STDOUT: i32 = 1;

/** Exit codes (BSD sysexits.h): end of input is 0 whatever the vectors said. */
export const EXIT_INTERNAL_ERROR: i32 = 70;
export const EXIT_IO_ERROR: i32 = 74;

/** Ends the process; proc_exit does not return. */
export function exitWith(code: i32): void {
  proc_exit(code);
  unreachable();
}
