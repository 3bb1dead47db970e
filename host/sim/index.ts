// The desktop simulator: the real firmware on a simulated board (NFC field with
// simulated wallets, flash, clock, seeded RNG). Entry points for the CLI, the demo,
// the tests and the benchmarks.
export { SimBoard } from "./board.ts";
export { SimClock } from "./clock.ts";
export { NfcField } from "./field.ts";
export { Rng } from "./rng.ts";
export { SimWallet, MISBEHAVIOURS, type Misbehaviour } from "./wallet.ts";
export { SimReader, readerModule, firmwareHasReader, type TapResult } from "./reader.ts";
export { SimWorld, CERT_KINDS, type CertKind, type WorldOptions } from "./world.ts";
export { SCENARIOS, findScenario, type Scenario } from "./scenarios.ts";
export { runSim, type SimOptions, type SimSummary } from "./population.ts";
export { runGateScenario, type ScenarioResult, type GateTap } from "./gate.ts";
export { replayTape, TapeRecorder, type Tape } from "./tape.ts";
