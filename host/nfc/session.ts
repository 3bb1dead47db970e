// Opening a PN532 named on the command line (`--nfc pn532:PATH[:BAUD]`), and one tap of the
// real firmware through it: the reader's side of a scenario replayed from its seed, the
// tap of interest carried by the PN532.
import type { ScenarioSetup } from "../sim/scenarios.ts";
import type { TapResult } from "../sim/reader.ts";
import { Pn532Front } from "../sim/pn532.ts";
import { SerialFileLink, type ByteLink } from "./link.ts";
import { Pn532Driver, type DriverError, type DriverOptions } from "./pn532/driver.ts";

export interface NfcSpec { path: string; baud: number }

/** Baud rates of the PN532's HSU (SetSerialBaudRate); 115200 is its power-up rate. */
export const HSU_BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1288000] as const;

/** Parses `pn532:PATH[:BAUD]`; a string says what is wrong. */
export function parseNfcSpec(text: string): NfcSpec | string {
  const m = /^pn532:([^:]+)(?::(\d+))?$/.exec(text);
  if (m === null) return `--nfc takes pn532:PATH[:BAUD], e.g. pn532:/dev/ttyUSB0, got '${text}'`;
  const baud = m[2] === undefined ? 115_200 : Number(m[2]);
  if (!(HSU_BAUD_RATES as readonly number[]).includes(baud)) return `baud ${baud} is not a PN532 HSU rate (${HSU_BAUD_RATES.join(", ")})`;
  return { path: m[1]!, baud };
}

export interface OpenPn532 {
  link: ByteLink;
  driver: Pn532Driver;
  front: Pn532Front;
  firmware: string;
  close(): void;
}

/** Opens the port and runs the driver's start-up; a DriverError when the chip is not there. */
export function openPn532(spec: NfcSpec, options: DriverOptions = {}): OpenPn532 | DriverError {
  const link = SerialFileLink.open(spec.path, spec.baud);
  const driver = new Pn532Driver(link, options);
  const b = driver.begin();
  if (!b.ok) {
    link.close();
    return b.error;
  }
  return {
    link, driver, front: new Pn532Front(driver), firmware: `PN532 v${b.value.version}`,
    close() { link.close(); },
  };
}

/** The tap of interest of a prepared scenario, through `front` instead of the simulated field. */
export function tapThrough(front: Pn532Front, setup: ScenarioSetup): TapResult {
  front.attach(setup.world.board);
  front.beginTap();
  try {
    return setup.world.tap(undefined, setup.amount);
  } finally {
    front.endTap();
  }
}
