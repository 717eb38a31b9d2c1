/**
 * Times as people read them: "Mon 7 Dec 2026, 00:04 UTC (in 7 days)". Pages and emails show
 * this; JSON and logs keep ISO 8601. UTC, because reviewers sit in any zone and the sender
 * cannot know theirs; the relative part says what the zone does not. Names are spelled out
 * here rather than asked of Intl, whose first call loads locale data on a cold start.
 */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

const two = (n: number) => String(n).padStart(2, '0');
const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** "Mon 7 Dec 2026, 00:04 UTC": the absolute part, to the minute (seconds are cut, not rounded). */
export function utcDateTime(at: Date): string {
  return `${WEEKDAYS[at.getUTCDay()]} ${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}, ${two(at.getUTCHours())}:${two(at.getUTCMinutes())} UTC`;
}

/**
 * How far `at` is from `now`, in the largest unit that reads naturally, rounded to the nearest:
 * minutes below an hour, hours below two days, days beyond ("in 7 days", "in 2 hours",
 * "3 days ago", "in 1 minute"). Less than half a minute away is "just now" or "in less than a minute".
 */
export function relativeTime(at: Date, now: Date): string {
  const seconds = (at.getTime() - now.getTime()) / 1000;
  const future = seconds > 0;
  const distance = Math.abs(seconds);
  let phrase: string;
  const minutes = Math.round(distance / MINUTE);
  if (minutes < 1) return future ? 'in less than a minute' : 'just now';
  if (minutes < 60) {
    phrase = count(minutes, 'minute');
  } else {
    const hours = Math.round(distance / HOUR);
    phrase = hours < 48 ? count(hours, 'hour') : count(Math.round(distance / DAY), 'day');
  }
  return future ? `in ${phrase}` : `${phrase} ago`;
}

/** "Mon 7 Dec 2026, 00:04 UTC (in 7 days)": the time a person reads, and how far it is from `now`. */
export function humanTime(at: Date, now: Date): string {
  if (Number.isNaN(at.getTime())) throw new RangeError('humanTime: invalid date');
  return `${utcDateTime(at)} (${relativeTime(at, now)})`;
}

/** `humanTime` of a time given in seconds since the epoch (how records keep expiries). */
export function humanEpochTime(epochSeconds: number, now: Date): string {
  return humanTime(new Date(epochSeconds * 1000), now);
}

/**
 * `humanTime` of an ISO 8601 time as records keep it; text that is not a time is returned as it
 * is (for the page's escaping to handle), and no time is ''.
 */
export function humanIsoTime(iso: string | undefined, now: Date): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : humanTime(new Date(ms), now);
}
