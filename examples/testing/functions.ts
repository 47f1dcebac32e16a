/**
 * The steps of the pipeline in pipeline.ts: plain functions, with no dependency on runnable-ts.
 * `fetch_orders` stands for a call to a service that a test does not want to make.
 */

export interface Order {
  id: number;
  region: string;
  amount: number;
}

/** Reads the day's orders from the orders service (ORDERS_URL). */
export async function fetch_orders(): Promise<Order[]> {
  const url = process.env['ORDERS_URL'];
  if (!url) throw new Error('ORDERS_URL is not set: cannot reach the orders service');
  const response = await fetch(url);
  if (!response.ok) throw new Error(`orders service answered ${response.status}`);
  return (await response.json()) as Order[];
}

/** The regions that have orders, sorted. */
export function regions_of(orders: Order[]): string[] {
  return [...new Set(orders.map((o) => o.region))].sort();
}

/** The total amount of one region's orders (run once per region by the map). */
export function region_total(region: string, orders: Order[]): number {
  return orders.filter((o) => o.region === region).reduce((sum, o) => sum + o.amount, 0);
}

/** The grand total, from the per-region totals the map collected (in region order). */
export function summarise(regions: string[], total: number[]): number {
  if (total.length !== regions.length) throw new Error(`expected ${regions.length} region totals, got ${total.length}`);
  return total.reduce((a, b) => a + b, 0);
}
