import { VirtualClock } from "../clock.js";
import { seededRandom } from "./generate-trace.js";
import { DEFAULT_SIM_SERVICE, SimServer, type SimServiceOptions } from "./sim-server.js";

/** What a fixed round-robin schedule served with every model's queue never empty. */
export interface TurnMeasure {
  /** Requests served per second of the whole run (switches included). */
  throughput: number;
  /** Mean turn: admitting, draining and the switch that follows. */
  turnSecs: number;
  /** Mean drain: from a turn's last admission to the end of its last generation. */
  drainSecs: number;
  /** Requests served per turn. */
  perTurn: number;
}

/**
 * The simulator's service model (`SimServer`) under a fixed schedule that no
 * policy chooses: models take turns, each turn admits from a never-empty
 * queue for `admitSecs` (the batch kept full), then admits nothing until its
 * last generation ends (the drain), then switches for `switchSecs`. Output
 * lengths come from `sampleTokens`. This is what one GPU serves when it must
 * switch, counting what the arithmetic of a full batch leaves out: at every
 * turn's end the batch empties down to its longest generations. The figure
 * does not depend on the number of models (every turn ends in a switch).
 */
export function measureTurns(options: {
  sampleTokens: (random: () => number) => number;
  admitSecs: number;
  switchSecs: number;
  turns?: number;
  service?: SimServiceOptions;
  seed?: number;
}): TurnMeasure {
  const clock = new VirtualClock(0, { settleTurns: 0 });
  const service = options.service ?? DEFAULT_SIM_SERVICE;
  const random = seededRandom(options.seed ?? 7);
  const turns = options.turns ?? 200;
  let served = 0;
  let drainMs = 0;
  for (let turn = 0; turn < turns; turn++) {
    const server = new SimServer(clock, service);
    const admitUntil = clock.now() + options.admitSecs * 1000;
    let running = 0;
    let lastAdmit = clock.now();
    const admit = () => {
      running++;
      lastAdmit = clock.now();
      server.submit({
        tokens: options.sampleTokens(random),
        finish: () => {
          running--;
          served++;
          if (clock.now() < admitUntil) admit();
        },
      });
    };
    for (let i = 0; i < service.maxConcurrency; i++) admit();
    while (running > 0 && clock.fireNext()) {}
    drainMs += clock.now() - lastAdmit;
    clock.setTimeout(() => {}, options.switchSecs * 1000);
    clock.fireNext();
  }
  const secs = clock.now() / 1000;
  return { throughput: served / secs, turnSecs: secs / turns, drainSecs: drainMs / 1000 / turns, perTurn: served / turns };
}
