import { describe, expect, it } from 'vitest'
import { parseTimeOfDay, parseWeeklyOn } from '../../src/config-common.js'
import { dueSlot, nextSlot } from '../../src/editions/schedule.js'

const berlin = { timezone: 'Europe/Berlin', dailyAt: { hour: 8, minute: 0 }, weeklyOn: { weekday: 1, hour: 8, minute: 0 } }

describe('when daily and weekly editions fall due', () => {
  it('is the latest slot at or before now, on the site clock', () => {
    // 07:59 Berlin (06:59Z in winter): still yesterday's slot; 08:00 exactly: today's.
    expect(dueSlot('daily', new Date('2026-03-24T06:59:00Z'), berlin)).toMatchObject({ slot: '2026-03-23' })
    expect(dueSlot('daily', new Date('2026-03-24T07:00:00Z'), berlin)).toMatchObject({
      slot: '2026-03-24',
      at: new Date('2026-03-24T07:00:00Z'),
    })
    // Tuesday: the weekly slot is Monday's; Monday before 08:00: the Monday before.
    expect(dueSlot('weekly', new Date('2026-03-24T12:00:00Z'), berlin)).toMatchObject({ slot: '2026-03-23' })
    expect(dueSlot('weekly', new Date('2026-03-23T06:00:00Z'), berlin)).toMatchObject({ slot: '2026-03-16' })
  })

  it('keeps 08:00 local across the change to summer time, and the next slot follows', () => {
    // Clocks go forward on 2026-03-29: 08:00 is 07:00Z before and 06:00Z after.
    expect(dueSlot('daily', new Date('2026-03-29T06:30:00Z'), berlin)).toMatchObject({
      slot: '2026-03-29',
      at: new Date('2026-03-29T06:00:00Z'),
    })
    expect(nextSlot('daily', new Date('2026-03-28T12:00:00Z'), berlin)).toMatchObject({
      slot: '2026-03-29',
      at: new Date('2026-03-29T06:00:00Z'),
    })
    expect(nextSlot('weekly', new Date('2026-03-24T12:00:00Z'), berlin)).toMatchObject({
      slot: '2026-03-30',
      at: new Date('2026-03-30T06:00:00Z'),
    })
  })

  it('reads email.daily_at and email.weekly_on, refusing what is not a time or a day', () => {
    expect(parseTimeOfDay('08:00')).toEqual({ hour: 8, minute: 0 })
    expect(parseTimeOfDay('7:30')).toEqual({ hour: 7, minute: 30 })
    expect(parseTimeOfDay('24:00')).toBeNull()
    expect(parseTimeOfDay('8am')).toBeNull()
    expect(parseWeeklyOn('Monday 08:00')).toEqual({ weekday: 1, hour: 8, minute: 0 })
    expect(parseWeeklyOn('sun')).toEqual({ weekday: 7, hour: 8, minute: 0 })
    expect(parseWeeklyOn('Fri 17:45')).toEqual({ weekday: 5, hour: 17, minute: 45 })
    expect(parseWeeklyOn('Mo 08:00')).toBeNull()
    expect(parseWeeklyOn('Funday')).toBeNull()
  })
})
