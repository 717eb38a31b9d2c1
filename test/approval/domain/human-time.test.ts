import { expect } from 'chai';
import { humanEpochTime, humanIsoTime, humanTime, relativeTime, utcDateTime } from '../../../src/approval/domain/human-time';

const NOW = new Date('2026-11-30T00:04:39.006Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

describe('human-time', () => {
  describe('utcDateTime', () => {
    it('writes weekday, day without a leading zero, month, year and the UTC time to the minute', () => {
      expect(utcDateTime(new Date('2026-12-07T00:04:39.006Z'))).to.equal('Mon 7 Dec 2026, 00:04 UTC');
      expect(utcDateTime(new Date('2027-01-31T23:59:59.999Z'))).to.equal('Sun 31 Jan 2027, 23:59 UTC');
      expect(utcDateTime(new Date('2026-05-01T10:00:00Z'))).to.equal('Fri 1 May 2026, 10:00 UTC');
    });

    it('reads the date in UTC whatever zone the process runs in', () => {
      // 23:30 UTC is already the next day east of Greenwich: the UTC day is what is shown.
      expect(utcDateTime(new Date('2026-03-01T23:30:00Z'))).to.equal('Sun 1 Mar 2026, 23:30 UTC');
    });
  });

  describe('relativeTime', () => {
    it('says "in 7 days" a week ahead and "3 days ago" three days back (two days and more are counted in days)', () => {
      expect(relativeTime(later(7 * 86_400), NOW)).to.equal('in 7 days');
      expect(relativeTime(later(-3 * 86_400), NOW)).to.equal('3 days ago');
      expect(relativeTime(later(-2 * 86_400), NOW)).to.equal('2 days ago');
    });

    it('uses hours below two days: "in 2 hours", "in 1 hour", "in 36 hours"', () => {
      expect(relativeTime(later(2 * 3600), NOW)).to.equal('in 2 hours');
      expect(relativeTime(later(3600), NOW)).to.equal('in 1 hour');
      expect(relativeTime(later(36 * 3600), NOW)).to.equal('in 36 hours');
      expect(relativeTime(later(-5 * 3600), NOW)).to.equal('5 hours ago');
    });

    it('uses minutes below an hour, singular and plural', () => {
      expect(relativeTime(later(15 * 60), NOW)).to.equal('in 15 minutes');
      expect(relativeTime(later(60), NOW)).to.equal('in 1 minute');
      expect(relativeTime(later(-60), NOW)).to.equal('1 minute ago');
      expect(relativeTime(later(-59 * 60), NOW)).to.equal('59 minutes ago');
    });

    it('rounds to the nearest unit, so a link opened a minute after it was sent still expires "in 7 days"', () => {
      expect(relativeTime(later(7 * 86_400 - 60), NOW)).to.equal('in 7 days');
      expect(relativeTime(later(59 * 60 + 40), NOW)).to.equal('in 1 hour');
      expect(relativeTime(later(47 * 3600 + 40 * 60), NOW)).to.equal('in 2 days');
      expect(relativeTime(later(89 * 60), NOW)).to.equal('in 1 hour');
      expect(relativeTime(later(91 * 60), NOW)).to.equal('in 2 hours');
    });

    it('says "just now" for the present and the last half minute, "in less than a minute" just ahead', () => {
      expect(relativeTime(NOW, NOW)).to.equal('just now');
      expect(relativeTime(later(-29), NOW)).to.equal('just now');
      expect(relativeTime(later(29), NOW)).to.equal('in less than a minute');
      expect(relativeTime(later(30), NOW)).to.equal('in 1 minute');
    });
  });

  describe('humanTime', () => {
    it('writes "Mon 7 Dec 2026, 00:04 UTC (in 7 days)"', () => {
      expect(humanTime(new Date('2026-12-07T00:04:39.006Z'), NOW)).to.equal('Mon 7 Dec 2026, 00:04 UTC (in 7 days)');
    });

    it('refuses an invalid date rather than writing "NaN"', () => {
      expect(() => humanTime(new Date('not a time'), NOW)).to.throw(RangeError, 'invalid date');
    });

    it('takes seconds since the epoch (records keep expiries so)', () => {
      expect(humanEpochTime(Date.parse('2026-11-30T02:04:39Z') / 1000, NOW)).to.equal('Mon 30 Nov 2026, 02:04 UTC (in 2 hours)');
    });

    it('takes ISO text; text that is not a time comes back as it is, and none is empty', () => {
      expect(humanIsoTime('2026-11-27T00:04:39.006Z', NOW)).to.equal('Fri 27 Nov 2026, 00:04 UTC (3 days ago)');
      expect(humanIsoTime('yesterday <b>', NOW)).to.equal('yesterday <b>');
      expect(humanIsoTime(undefined, NOW)).to.equal('');
    });
  });
});
