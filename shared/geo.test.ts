import { describe, expect, it } from 'vitest';
import {
  greatCircleKm,
  isGeoPoint,
  isLatitude,
  isLongitude,
  parseGeoHeader,
  parseGeoPoint,
} from './geo.ts';

const LONDON = { lat: 51.5074, lon: -0.1278 };
const PARIS = { lat: 48.8566, lon: 2.3522 };
const SYDNEY = { lat: -33.8688, lon: 151.2093 };

describe('greatCircleKm', () => {
  it('matches published great-circle distances', () => {
    // London-Paris ~343.5 km, London-Sydney ~16,994 km on the mean-radius sphere.
    expect(greatCircleKm(LONDON, PARIS)).toBeCloseTo(343.6, 0);
    expect(greatCircleKm(LONDON, SYDNEY)).toBeGreaterThan(16_980);
    expect(greatCircleKm(LONDON, SYDNEY)).toBeLessThan(17_010);
  });

  it('is symmetric, zero on the same point, and half the circumference for antipodes', () => {
    expect(greatCircleKm(PARIS, SYDNEY)).toBe(greatCircleKm(SYDNEY, PARIS));
    expect(greatCircleKm(PARIS, PARIS)).toBe(0);
    expect(greatCircleKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(
      Math.PI * 6371.0088,
    );
    expect(greatCircleKm({ lat: 90, lon: 0 }, { lat: -90, lon: 0 })).toBeCloseTo(
      Math.PI * 6371.0088,
    );
  });

  it('crosses the antimeridian the short way', () => {
    expect(greatCircleKm({ lat: 0, lon: 179.5 }, { lat: 0, lon: -179.5 })).toBeCloseTo(111.2, 0);
  });
});

describe('coordinate validation', () => {
  it('accepts finite numbers in range only', () => {
    expect(isLatitude(90)).toBe(true);
    expect(isLatitude(-90)).toBe(true);
    expect(isLatitude(90.0001)).toBe(false);
    expect(isLatitude(Number.NaN)).toBe(false);
    expect(isLatitude('45')).toBe(false);
    expect(isLongitude(-180)).toBe(true);
    expect(isLongitude(180.5)).toBe(false);
    expect(isLongitude(Number.POSITIVE_INFINITY)).toBe(false);
    expect(isGeoPoint(LONDON)).toBe(true);
    expect(isGeoPoint({ lat: 10 })).toBe(false);
    expect(isGeoPoint(null)).toBe(false);
  });

  it('parses numbers and plain decimal strings (request.cf gives strings)', () => {
    expect(parseGeoPoint('-33.86880', '151.20930')).toEqual({ lat: -33.8688, lon: 151.2093 });
    expect(parseGeoPoint(12, -7.5)).toEqual({ lat: 12, lon: -7.5 });
    expect(parseGeoPoint(' 1.5 ', '+2')).toEqual({ lat: 1.5, lon: 2 });
  });

  it('refuses out-of-range, non-finite and non-decimal values', () => {
    for (const [lat, lon] of [
      [91, 0],
      [0, -181],
      ['1e1', '0'],
      ['0x10', '0'],
      ['NaN', '0'],
      ['Infinity', '0'],
      [Number.NaN, 0],
      ['', '0'],
      ['1.', '0'],
      [null, 0],
      [undefined, undefined],
      [{}, 0],
    ] as const) {
      expect(parseGeoPoint(lat, lon), `${String(lat)},${String(lon)}`).toBeNull();
    }
  });
});

describe('parseGeoHeader ("<lat>,<lon>")', () => {
  it('parses the header form, spaces allowed around the parts', () => {
    expect(parseGeoHeader('48.8566,2.3522')).toEqual(PARIS);
    expect(parseGeoHeader(' -33.8688 , 151.2093 ')).toEqual({ lat: -33.8688, lon: 151.2093 });
  });

  it('refuses malformed, out-of-range and oversized values', () => {
    for (const value of [
      null,
      undefined,
      '',
      '48.8566',
      '48.8566;2.3522',
      '1,2,3',
      '95,0',
      '0,190',
      'a,b',
      `1.${'0'.repeat(70)},2`,
    ]) {
      expect(parseGeoHeader(value), String(value)).toBeNull();
    }
  });
});
