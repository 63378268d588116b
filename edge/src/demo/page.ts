/** The demo page served at `GET /` (placeholder until the client SDK and demo land). */
export function renderDemoPage(): string {
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>media demo</title></head><body><h1>media demo</h1></body></html>';
}
