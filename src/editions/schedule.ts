import { DateTime } from 'luxon'
import type { Config, TimeOfDay } from '../config.js'
import type { Cadence } from '../subscribers/store.js'

/** When the daily and weekly editions fall due, on the site's clock. */
export interface EditionSchedule {
  /** IANA time zone of the site (`site.timezone`). */
  readonly timezone: string
  readonly dailyAt: TimeOfDay
  /** ISO weekday (1 = Monday … 7 = Sunday) and time. */
  readonly weeklyOn: TimeOfDay & { readonly weekday: number }
}

/** The site's schedule from its settings (`site.timezone`, `email.daily_at`, `email.weekly_on`). */
export function editionSchedule(config: Pick<Config, 'site' | 'email'>): EditionSchedule {
  return { timezone: config.site.timezone, dailyAt: config.email.dailyAt, weeklyOn: config.email.weeklyOn }
}

/** One scheduled edition of a periodic cadence. */
export interface EditionSlot {
  readonly cadence: Exclude<Cadence, 'instant'>
  /** The local date it falls due, `YYYY-MM-DD`: the slot's identity (one edition per slot). */
  readonly slot: string
  /** The instant it falls due. */
  readonly at: Date
}

/**
 * The latest slot of `cadence` at or before `now`: the edition the first run at or after that time makes. Local time
 * (a slot at 08:00 stays at 08:00 across daylight-saving changes; a time that does not exist that day moves forward).
 */
export function dueSlot(cadence: Exclude<Cadence, 'instant'>, now: Date, schedule: EditionSchedule): EditionSlot {
  const local = DateTime.fromJSDate(now, { zone: schedule.timezone })
  const time = cadence === 'daily' ? schedule.dailyAt : schedule.weeklyOn
  let candidate: DateTime = local.set({ hour: time.hour, minute: time.minute, second: 0, millisecond: 0 })
  if (cadence === 'weekly') candidate = candidate.plus({ days: (schedule.weeklyOn.weekday - candidate.weekday + 7) % 7 })
  const step = cadence === 'daily' ? { days: 1 } : { weeks: 1 }
  while (candidate > local) candidate = atTime(candidate.minus(step), time)
  return slotAt(cadence, candidate)
}

/** The first slot of `cadence` after `now` (for `herald status` and `herald preview`). */
export function nextSlot(cadence: Exclude<Cadence, 'instant'>, now: Date, schedule: EditionSchedule): EditionSlot {
  const due = DateTime.fromJSDate(dueSlot(cadence, now, schedule).at, { zone: schedule.timezone })
  const time = cadence === 'daily' ? schedule.dailyAt : schedule.weeklyOn
  return slotAt(cadence, atTime(due.plus(cadence === 'daily' ? { days: 1 } : { weeks: 1 }), time))
}

// Adding days across a daylight-saving change keeps the wall-clock time in luxon, but a time skipped that day
// (02:30 on a spring-forward night) comes back shifted: set it again so later slots return to the configured time.
function atTime(date: DateTime, time: TimeOfDay): DateTime {
  return date.set({ hour: time.hour, minute: time.minute, second: 0, millisecond: 0 })
}

function slotAt(cadence: EditionSlot['cadence'], date: DateTime): EditionSlot {
  return { cadence, slot: date.toISODate() ?? '', at: date.toJSDate() }
}
