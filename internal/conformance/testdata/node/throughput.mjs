// Measures how fast the official Drip Node client (@drip-sdk/node) records
// run events against the server at DRIP_BASE_URL: one HTTP request per
// event (emitEvent), with DRIP_INFLIGHT requests in flight, first as
// configured by default (its resilience layer rate-limits requests), then
// with resilience off, and with resilience off awaiting one event at a
// time. Prints one JSON line of events per second:
// {"default":…, "unthrottled":…, "sequential":…}.
import { Drip } from '@drip-sdk/node';

const baseUrl = process.env.DRIP_BASE_URL;
const apiKey = process.env.DRIP_API_KEY;
const n = Number(process.env.DRIP_EVENTS || 2000);
const inflight = Number(process.env.DRIP_INFLIGHT || 16);
if (!baseUrl || !apiKey) {
  console.error('DRIP_BASE_URL and DRIP_API_KEY are required');
  process.exit(2);
}
const tuned = new Drip({ apiKey, baseUrl });
const raw = new Drip({ apiKey, baseUrl, resilience: false });
const customer = await raw.createCustomer({ externalCustomerId: `throughput-${Date.now()}` });
const run = await raw.startRun({ customerId: customer.id, workflowId: 'throughput' });

let next = 0;
const event = () => {
  const i = next++;
  return {
    runId: run.id, eventType: 'llm.completion', quantity: 1200, units: 'tokens', costUnits: 0.0042,
    idempotencyKey: `tp_${run.id}_${i}`,
    metadata: { model: 'gpt-4o-mini', inputTokens: 1000, outputTokens: 200, latencyMs: 812 },
  };
};

async function measure(drip, count, width) {
  const t0 = performance.now();
  let left = count;
  async function worker() {
    while (left > 0) {
      left--;
      await drip.emitEvent(event());
    }
  }
  await Promise.all(Array.from({ length: width }, worker));
  return count / ((performance.now() - t0) / 1000);
}

const result = {
  default: await measure(tuned, n, inflight),
  unthrottled: await measure(raw, n, inflight),
  sequential: await measure(raw, n, 1),
};
console.log(JSON.stringify({ ...result, events: next }));
