/**
 * The simulated world of the placement simulator: 20 node regions at real data-centre cities,
 * and where clients come from (the 48 largest metropolitan areas, weighted by population, so
 * a join is drawn from the world's population distribution as the big cities carry it).
 */

export interface Place {
  name: string;
  lat: number;
  lon: number;
}

/** A region media nodes run in: its name (as nodes' `REGION`) and its city. */
export interface RegionSite extends Place {
  region: string;
}

/** A city clients join from, with its metropolitan population (millions, UN WUP 2018, ~2025). */
export interface ClientCity extends Place {
  millions: number;
}

// Names never continue one another with a dash (`inRegion` would match `ap` to `ap-east`).
export const REGIONS: readonly RegionSite[] = [
  { region: 'us-east', name: 'Ashburn', lat: 39.04, lon: -77.49 },
  { region: 'us-central', name: 'Chicago', lat: 41.88, lon: -87.63 },
  { region: 'us-west', name: 'San Jose', lat: 37.34, lon: -121.89 },
  { region: 'us-south', name: 'Dallas', lat: 32.78, lon: -96.8 },
  { region: 'ca-east', name: 'Toronto', lat: 43.65, lon: -79.38 },
  { region: 'mx-central', name: 'Querétaro', lat: 20.59, lon: -100.39 },
  { region: 'sa-east', name: 'São Paulo', lat: -23.55, lon: -46.63 },
  { region: 'sa-west', name: 'Santiago', lat: -33.45, lon: -70.67 },
  { region: 'eu-west', name: 'London', lat: 51.51, lon: -0.13 },
  { region: 'eu-central', name: 'Frankfurt', lat: 50.11, lon: 8.68 },
  { region: 'eu-north', name: 'Stockholm', lat: 59.33, lon: 18.07 },
  { region: 'eu-south', name: 'Milan', lat: 45.46, lon: 9.19 },
  { region: 'me-central', name: 'Dubai', lat: 25.2, lon: 55.27 },
  { region: 'af-south', name: 'Johannesburg', lat: -26.2, lon: 28.05 },
  { region: 'in-west', name: 'Mumbai', lat: 19.08, lon: 72.88 },
  { region: 'sg-central', name: 'Singapore', lat: 1.35, lon: 103.82 },
  { region: 'hk-central', name: 'Hong Kong', lat: 22.32, lon: 114.17 },
  { region: 'jp-east', name: 'Tokyo', lat: 35.68, lon: 139.69 },
  { region: 'kr-central', name: 'Seoul', lat: 37.57, lon: 126.98 },
  { region: 'au-east', name: 'Sydney', lat: -33.87, lon: 151.21 },
];

export const CLIENT_CITIES: readonly ClientCity[] = [
  { name: 'Tokyo', lat: 35.68, lon: 139.69, millions: 37.0 },
  { name: 'Delhi', lat: 28.61, lon: 77.21, millions: 32.9 },
  { name: 'Shanghai', lat: 31.23, lon: 121.47, millions: 29.2 },
  { name: 'Dhaka', lat: 23.81, lon: 90.41, millions: 23.2 },
  { name: 'São Paulo', lat: -23.55, lon: -46.63, millions: 22.6 },
  { name: 'Cairo', lat: 30.04, lon: 31.24, millions: 22.2 },
  { name: 'Mexico City', lat: 19.43, lon: -99.13, millions: 22.1 },
  { name: 'Beijing', lat: 39.9, lon: 116.41, millions: 21.8 },
  { name: 'Mumbai', lat: 19.08, lon: 72.88, millions: 21.3 },
  { name: 'Osaka', lat: 34.69, lon: 135.5, millions: 19.0 },
  { name: 'New York', lat: 40.71, lon: -74.01, millions: 18.9 },
  { name: 'Karachi', lat: 24.86, lon: 67.0, millions: 17.2 },
  { name: 'Chongqing', lat: 29.56, lon: 106.55, millions: 17.3 },
  { name: 'Kinshasa', lat: -4.44, lon: 15.27, millions: 17.0 },
  { name: 'Lagos', lat: 6.52, lon: 3.38, millions: 16.5 },
  { name: 'Istanbul', lat: 41.01, lon: 28.98, millions: 15.8 },
  { name: 'Buenos Aires', lat: -34.6, lon: -58.38, millions: 15.5 },
  { name: 'Kolkata', lat: 22.57, lon: 88.36, millions: 15.5 },
  { name: 'Manila', lat: 14.6, lon: 120.98, millions: 14.9 },
  { name: 'Guangzhou', lat: 23.13, lon: 113.26, millions: 14.3 },
  { name: 'Lahore', lat: 31.55, lon: 74.34, millions: 13.9 },
  { name: 'Rio de Janeiro', lat: -22.91, lon: -43.17, millions: 13.7 },
  { name: 'Bangalore', lat: 12.97, lon: 77.59, millions: 13.6 },
  { name: 'Shenzhen', lat: 22.54, lon: 114.06, millions: 13.1 },
  { name: 'Moscow', lat: 55.76, lon: 37.62, millions: 12.7 },
  { name: 'Los Angeles', lat: 34.05, lon: -118.24, millions: 12.5 },
  { name: 'Chennai', lat: 13.08, lon: 80.27, millions: 12.0 },
  { name: 'Bogotá', lat: 4.71, lon: -74.07, millions: 11.5 },
  { name: 'Jakarta', lat: -6.21, lon: 106.85, millions: 11.4 },
  { name: 'Paris', lat: 48.86, lon: 2.35, millions: 11.3 },
  { name: 'Lima', lat: -12.05, lon: -77.04, millions: 11.2 },
  { name: 'Bangkok', lat: 13.76, lon: 100.5, millions: 11.2 },
  { name: 'Hyderabad', lat: 17.39, lon: 78.49, millions: 11.0 },
  { name: 'Seoul', lat: 37.57, lon: 126.98, millions: 10.0 },
  { name: 'Luanda', lat: -8.84, lon: 13.23, millions: 9.7 },
  { name: 'London', lat: 51.51, lon: -0.13, millions: 9.6 },
  { name: 'Tehran', lat: 35.69, lon: 51.39, millions: 9.5 },
  { name: 'Ho Chi Minh City', lat: 10.82, lon: 106.63, millions: 9.3 },
  { name: 'Chicago', lat: 41.88, lon: -87.63, millions: 8.9 },
  { name: 'Kuala Lumpur', lat: 3.14, lon: 101.69, millions: 8.6 },
  { name: 'Riyadh', lat: 24.71, lon: 46.68, millions: 7.8 },
  { name: 'Santiago', lat: -33.45, lon: -70.67, millions: 6.9 },
  { name: 'Madrid', lat: 40.42, lon: -3.7, millions: 6.8 },
  { name: 'Toronto', lat: 43.65, lon: -79.38, millions: 6.4 },
  { name: 'Dallas', lat: 32.78, lon: -96.8, millions: 6.5 },
  { name: 'Johannesburg', lat: -26.2, lon: 28.05, millions: 6.2 },
  { name: 'Sydney', lat: -33.87, lon: 151.21, millions: 5.2 },
  { name: 'Berlin', lat: 52.52, lon: 13.4, millions: 3.6 },
];
