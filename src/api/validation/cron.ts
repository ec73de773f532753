/** CronJob.spec.schedule checked by the same parser the cron job controller runs (../cron.ts). */
import { parseCron } from '../cron.js';

/** undefined when the schedule parses, else robfig/cron's error text. */
export function cronError(schedule: string): string | undefined {
  try {
    parseCron(schedule);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
