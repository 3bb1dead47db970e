import { IO_BUFFER_BYTES } from "./limits";

/** The one buffer through which the host passes bytes in and out of the firmware. */
export const ioBuffer: usize = memory.data(IO_BUFFER_BYTES, 16);
