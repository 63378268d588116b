import { describe, expect, it } from 'vitest';
import { clientLocation, LOCATION_HEADER, locationHintFor } from './client-location.ts';

const header = (value: string) => new Headers({ [LOCATION_HEADER]: value });
const cf = { latitude: '-33.87', longitude: '151.21', continent: 'OC', colo: 'SYD' };

describe('clientLocation', () => {
  it('reads request.cf (strings) with continent and colo', () => {
    expect(clientLocation(new Headers(), cf, false)).toEqual({
      lat: -33.87,
      lon: 151.21,
      continent: 'OC',
      colo: 'SYD',
    });
  });

  it('ignores the header unless trusted, and then prefers it', () => {
    expect(clientLocation(header('48.85,2.35'), cf, false)).toMatchObject({ lat: -33.87 });
    expect(clientLocation(header('48.85,2.35'), undefined, false)).toBeNull();
    expect(clientLocation(header('48.85, 2.35'), cf, true)).toEqual({ lat: 48.85, lon: 2.35 });
  });

  it('refuses a malformed trusted header with 400 naming it', () => {
    for (const bad of ['48.85', 'a,b', '91,0', '0,181', '1,2,3', '']) {
      expect(() => clientLocation(header(bad), cf, true)).toThrow(
        expect.objectContaining({ code: 'invalid_request', details: { field: LOCATION_HEADER } }),
      );
    }
  });

  it('is null without a usable cf location', () => {
    expect(clientLocation(new Headers(), undefined, true)).toBeNull();
    expect(clientLocation(new Headers(), { latitude: '', longitude: '1' }, false)).toBeNull();
  });
});

describe('locationHintFor', () => {
  it('maps continents to Cloudflare hints, east or west where there are two', () => {
    const at = (continent: string, lat: number, lon: number) =>
      locationHintFor({ continent, lat, lon });
    expect(at('NA', 37.77, -122.42)).toBe('wnam');
    expect(at('NA', 40.71, -74.0)).toBe('enam');
    expect(at('SA', -23.55, -46.63)).toBe('sam');
    expect(at('EU', 50.11, 8.68)).toBe('weur');
    expect(at('EU', 52.23, 21.01)).toBe('eeur');
    expect(at('AS', 25.2, 55.27)).toBe('me');
    expect(at('AS', 35.68, 139.69)).toBe('apac');
    expect(at('OC', -33.87, 151.21)).toBe('oc');
    expect(at('AF', -1.29, 36.82)).toBe('afr');
    expect(at('AN', -77.85, 166.67)).toBeUndefined();
  });

  it('guesses the continent of a bare point (the trusted header), and gives none for nothing', () => {
    expect(locationHintFor({ lat: 48.85, lon: 2.35 })).toBe('weur');
    expect(locationHintFor({ lat: 40.71, lon: -74.0 })).toBe('enam');
    expect(locationHintFor({ lat: 1.35, lon: 103.82 })).toBe('apac');
    expect(locationHintFor({ lat: -33.87, lon: 151.21 })).toBe('oc');
    expect(locationHintFor({ lat: -23.55, lon: -46.63 })).toBe('sam');
    expect(locationHintFor(null)).toBeUndefined();
  });
});
