// `--nfc pn532:PORT[:BAUD]` for the commands that drive a PN532 themselves (reader, wallet):
// a bad spec or an unusable port is an input error (exit 2); a chip that does not answer is
// a problem the work found (exit 1).
import { CommandFailure, UsageError } from "../command.ts";
import { LinkError } from "../../nfc/link.ts";
import { openPn532, parseNfcSpec, type NfcSpec, type OpenPn532 } from "../../nfc/session.ts";

/** The parsed `--nfc` value; missing or malformed → UsageError. */
export function nfcFlag(value: string | undefined): NfcSpec {
  if (value === undefined) throw new UsageError("--nfc pn532:PORT is required");
  const spec = parseNfcSpec(value);
  if (typeof spec === "string") throw new UsageError(spec);
  return spec;
}

/** The PN532 on `spec`, started; failures thrown for the CLI frame to report. */
export function openPn532Flag(spec: NfcSpec): OpenPn532 {
  let pn;
  try {
    pn = openPn532(spec);
  } catch (e) {
    if (e instanceof LinkError) throw new UsageError(e.message);
    throw e;
  }
  if (!("driver" in pn)) {
    throw new CommandFailure(pn.message, "check the PN532's wiring, port and baud rate");
  }
  return pn;
}
