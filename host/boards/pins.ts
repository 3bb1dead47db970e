// GPIO rules per chip: which pins exist, which the module's SPI flash occupies, which are
// input-only, and which are strapping pins (sampled at reset, so a peripheral that pulls
// them can stop the chip from booting). Every pin a profile names must be unique.
import type { BoardFinding, BoardProfile } from "./profile.ts";

interface ChipPins {
  valid: (gpio: number) => boolean;
  flash: readonly number[];
  inputOnly: readonly number[];
  strapping: readonly number[];
}

/** ESP32 (datasheet §2.2): GPIO 0–19, 21–23, 25–27, 32–39; 6–11 wired to the module's flash;
 *  34–39 input only; strapping 0, 2, 5, 12, 15. ESP32-S3: GPIO 0–21, 26–48; 26–32 wired to
 *  flash on quad-flash modules; strapping 0, 3, 45, 46. */
const CHIPS: Record<BoardProfile["chip"]["family"], ChipPins> = {
  esp32: {
    valid: (g) => (g >= 0 && g <= 19) || (g >= 21 && g <= 23) || (g >= 25 && g <= 27) || (g >= 32 && g <= 39),
    flash: [6, 7, 8, 9, 10, 11], inputOnly: [34, 35, 36, 37, 38, 39], strapping: [0, 2, 5, 12, 15],
  },
  esp32s3: {
    valid: (g) => (g >= 0 && g <= 21) || (g >= 26 && g <= 48),
    flash: [26, 27, 28, 29, 30, 31, 32], inputOnly: [], strapping: [0, 3, 45, 46],
  },
};

/** NFC pins the board only reads; every other pin is driven. */
const INPUT_ROLES = new Set(["nfc.pins.miso", "nfc.pins.irq", "nfc.pins.busy", "nfc.pins.rx"]);

const BUS_PINS: Record<BoardProfile["nfc"]["bus"], readonly string[]> = {
  spi: ["sck", "miso", "mosi", "cs"], i2c: ["sda", "scl"], hsu: ["tx", "rx"],
};

function boardPins(b: BoardProfile): [string, number][] {
  const out: [string, number][] = Object.entries(b.nfc.pins).map(([k, v]) => [`nfc.pins.${k}`, v]);
  const s = b.signals;
  if (s.gateRelay !== undefined) out.push(["signals.gateRelay.pin", s.gateRelay.pin]);
  out.push(["signals.ledGreen.pin", s.ledGreen.pin], ["signals.ledRed.pin", s.ledRed.pin], ["signals.buzzer.pin", s.buzzer.pin]);
  for (const [k, v] of Object.entries(s.display.pins)) out.push([`signals.display.pins.${k}`, v]);
  return out;
}

export function checkBoardPins(b: BoardProfile, errors: BoardFinding[], warnings: BoardFinding[]): void {
  const chip = CHIPS[b.chip.family];
  const owner = new Map<number, string>();
  for (const [at, pin] of boardPins(b)) {
    if (!chip.valid(pin)) { errors.push({ path: at, message: `GPIO ${pin} does not exist on the ${b.chip.family}` }); continue; }
    if (chip.flash.includes(pin)) errors.push({ path: at, message: `GPIO ${pin} is wired to the module's SPI flash` });
    if (chip.inputOnly.includes(pin) && !INPUT_ROLES.has(at)) errors.push({ path: at, message: `GPIO ${pin} is input-only on the ${b.chip.family} and cannot drive this output` });
    if (chip.strapping.includes(pin)) warnings.push({ path: at, message: `GPIO ${pin} is a strapping pin; make sure the circuit does not pull it at reset` });
    const prev = owner.get(pin);
    if (prev !== undefined) errors.push({ path: at, message: `GPIO ${pin} is already used by ${prev}` });
    else owner.set(pin, at);
  }
  for (const name of BUS_PINS[b.nfc.bus]) {
    if (b.nfc.pins[name] === undefined) errors.push({ path: "nfc.pins", message: `the ${b.nfc.bus} bus needs pin '${name}'` });
  }
  if (b.nfc.bus === "spi" && b.nfc.spi === undefined) errors.push({ path: "nfc", message: "an SPI front end needs nfc.spi (host, clock, mode, bit order)" });
  if (b.nfc.chip === "PN5180") {
    if (b.nfc.bus !== "spi") errors.push({ path: "nfc.bus", message: "the PN5180 has only an SPI host interface" });
    for (const name of ["busy", "rst"]) if (b.nfc.pins[name] === undefined) errors.push({ path: "nfc.pins", message: `the PN5180 needs pin '${name}'` });
  }
  if (b.nfc.chip === "PN532" && b.nfc.spi !== undefined && b.nfc.spi.bitOrder !== "lsb-first") {
    errors.push({ path: "nfc.spi.bitOrder", message: "the PN532 shifts SPI data least significant bit first" });
  }
}
