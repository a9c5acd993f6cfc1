/**
 * Issue 76 item 7: the emergency stop "ends running verifications and automatic reverts". This is the signal they
 * listen to: aborted (its reason an EmergencyStopped) while the stop is on, a fresh one once it is lifted.
 *
 * What it believes comes from the database only (the stop's stored state); the bus announcement is a prompt to read it, so a
 * replayed or forged bus message can neither engage nor lift anything. While anything listens (`hold`), the state is
 * also read every second, so a replica whose bus does not reach the one that engaged it (the in-process bus of
 * replicas sharing a database) still ends its verifications within a second.
 */
import type { EventBus } from '../../platform/ports/index.ts';
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
import { emergencyStopChannel, emergencyStopCode, stoppedText, type EmergencyStop, type EmergencyStopState } from './emergency-stop.ts';

/** Why a verification or an automatic revert was ended: the stop, who engaged it and why. */
export class EmergencyStopped extends SkyfloError {
  readonly code = emergencyStopCode;
  override readonly statusCode = 409;
  constructor(readonly state: EmergencyStopState) {
    super(stoppedText(state, 'Ended'));
    this.name = 'EmergencyStopped';
  }
}

export interface EmergencyStopSignal {
  /** the signal of now: aborted while the stop is on */
  current(): AbortSignal;
  /** `work` with the signal, polled every second while it runs (see above) */
  hold<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** reads the state now (the bus announced a change; or at start) */
  sync(): Promise<void>;
  close(): Promise<void>;
}

const pollMs = 1_000;

/**
 * `work` with a signal that aborts when `base` does or, where the stop is watched, when the emergency stop is engaged
 * (held for as long as the work runs). One way for every verification, in a run or resumed after a restart.
 */
export function whileNotStopped<T>(stop: Pick<EmergencyStopSignal, 'hold'> | undefined, base: AbortSignal | undefined, work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (!stop) return work(base);
  return stop.hold((stopped) => work(base ? AbortSignal.any([base, stopped]) : stopped));
}

export function watchEmergencyStop(deps: { stop: Pick<EmergencyStop, 'read'>; bus?: Pick<EventBus, 'subscribe'> | undefined }): EmergencyStopSignal {
  let controller = new AbortController();
  let holders = 0;
  let poll: ReturnType<typeof setInterval> | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  let closed = false;

  const apply = (state: EmergencyStopState | undefined) => {
    if (state && !controller.signal.aborted) controller.abort(new EmergencyStopped(state));
    else if (!state && controller.signal.aborted) controller = new AbortController();
  };
  // An unreadable state ends nothing here (the gate refuses changes meanwhile, fail closed): a database restart must not
  // end every verification in progress as if someone had pulled the switch.
  const sync = async () => {
    try {
      apply(await deps.stop.read());
    } catch {
      // read again at the next poll or announcement
    }
  };

  const subscribed = deps.bus
    ?.subscribe(emergencyStopChannel, () => void sync())
    .then((stop) => {
      if (closed) return stop();
      unsubscribe = stop;
    })
    .catch(() => undefined); // no announcements: the poll still sees it

  return {
    current: () => controller.signal,
    sync,
    async hold(work) {
      holders += 1;
      poll ??= setInterval(() => void sync(), pollMs);
      poll.unref?.();
      try {
        await sync();
        return await work(controller.signal);
      } finally {
        holders -= 1;
        if (holders === 0 && poll) {
          clearInterval(poll);
          poll = undefined;
        }
      }
    },
    async close() {
      closed = true;
      if (poll) clearInterval(poll);
      await subscribed;
      await unsubscribe?.();
    },
  };
}
