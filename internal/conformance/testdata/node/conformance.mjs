// Runs the official Drip Node client (@drip-sdk/node, pinned in
// package.json) against the server at DRIP_BASE_URL and asserts on every
// reply. Before each step it posts the step's label to
// <origin>/__conformance/label/<label> so the Go side can tie each captured
// request to the SDK call that sent it. Exits non-zero on the first failure.
import { Drip, DripError } from '@drip-sdk/node';

const baseUrl = process.env.DRIP_BASE_URL;
const apiKey = process.env.DRIP_API_KEY;
const badKey = process.env.DRIP_BAD_KEY;
if (!baseUrl || !apiKey || !badKey) {
  console.error('FAIL setup: DRIP_BASE_URL, DRIP_API_KEY and DRIP_BAD_KEY are required');
  process.exit(2);
}
const origin = baseUrl.replace(/\/v1\/?$/, '');
const drip = new Drip({ apiKey, baseUrl });

function check(cond, what, got) {
  if (!cond) {
    throw new Error(`${what}; got ${JSON.stringify(got)}`);
  }
}

const steps = [];
function step(label, fn) {
  steps.push([label, fn]);
}

async function label(name) {
  const res = await fetch(`${origin}/__conformance/label/${encodeURIComponent(name)}`, { method: 'POST' });
  if (res.status !== 204) throw new Error(`label endpoint answered ${res.status}`);
}

const state = {};

step('ping', async () => {
  const h = await drip.ping();
  check(h.ok === true && h.status === 'healthy', 'ping ok and healthy', h);
  check(typeof h.timestamp === 'number' && h.timestamp > 1.7e12, 'ping timestamp in ms', h);
});

step('createCustomer', async () => {
  const c = await drip.createCustomer({ externalCustomerId: 'conf-user-1', metadata: { plan: 'pro' } });
  check(c.id.startsWith('cust_'), 'customer id cust_…', c);
  check(c.externalCustomerId === 'conf-user-1' && c.metadata.plan === 'pro', 'customer fields echoed', c);
  check(typeof c.createdAt === 'string' && typeof c.updatedAt === 'string', 'customer timestamps', c);
  state.customer = c;
});

step('getCustomer', async () => {
  const c = await drip.getCustomer(state.customer.id);
  check(c.id === state.customer.id && c.externalCustomerId === 'conf-user-1', 'same customer', c);
});

step('listCustomers', async () => {
  const l = await drip.listCustomers({ limit: 10 });
  check(Array.isArray(l.data) && l.count >= 1, 'list has data and count', l);
  check(l.data.some((c) => c.id === state.customer.id), 'list contains the customer', l);
});

step('getOrCreateCustomer.existing', async () => {
  const c = await drip.getOrCreateCustomer('conf-user-1');
  check(c.id === state.customer.id, '409 path resolves the existing customer', c);
});

step('getOrCreateCustomer.new', async () => {
  const c = await drip.getOrCreateCustomer('conf-user-2', { source: 'conformance' });
  check(c.id !== state.customer.id && c.externalCustomerId === 'conf-user-2', 'a new customer', c);
});

step('trackUsage.sync', async () => {
  const r = await drip.trackUsage({ customerId: state.customer.id, meter: 'api_calls', quantity: 3, units: 'calls' });
  check(r.success === true && r.usageEventId.startsWith('use_'), 'sync usage recorded', r);
  check(r.isDuplicate === false && r.quantity === 3 && r.usageType === 'api_calls', 'sync usage reply', r);
});

step('trackUsage.replay', async () => {
  const p = { customerId: state.customer.id, meter: 'api_calls', quantity: 2, idempotencyKey: 'conf-fixed-key' };
  const a = await drip.trackUsage(p);
  const b = await drip.trackUsage(p);
  check(!a.isDuplicate && b.isDuplicate === true && b.usageEventId === a.usageEventId, 'replay is a duplicate', [a, b]);
});

step('trackUsage.batch', async () => {
  const r = await drip.trackUsage({ customerId: state.customer.id, meter: 'tokens', quantity: 1500, mode: 'batch' });
  check(r.success === true && r.mode === 'batch' && typeof r.pendingEvents === 'number', 'batch usage accepted', r);
});

step('startRun', async () => {
  const r = await drip.startRun({ customerId: state.customer.id, workflowId: 'conformance-flow', externalRunId: 'conf-run-1', correlationId: 'corr-1' });
  check(r.id.startsWith('run_') && r.status === 'RUNNING', 'run started', r);
  check(r.workflowName === 'Conformance Flow' && r.correlationId === 'corr-1', 'slug workflow auto-created', r);
  state.run = r;
});

step('startRun.replay', async () => {
  const r = await drip.startRun({ customerId: state.customer.id, workflowId: 'conformance-flow', externalRunId: 'conf-run-1' });
  check(r.id === state.run.id, 'same externalRunId, same run', r);
});

step('emitEvent', async () => {
  const e = await drip.emitEvent({
    runId: state.run.id, eventType: 'llm.call', quantity: 100, units: 'tokens', costUnits: 0.002,
    metadata: { model: 'gpt-4o-mini', inputTokens: 60, outputTokens: 40 },
  });
  check(e.id.startsWith('evt_') && e.isDuplicate === false && e.quantity === 100 && e.costUnits === 0.002, 'event stored', e);
  check(typeof e.timestamp === 'string', 'event timestamp', e);
});

step('emitEventsBatch', async () => {
  const r = await drip.emitEventsBatch([
    { runId: state.run.id, eventType: 'tool.call', quantity: 1 },
    { runId: state.run.id, eventType: 'tool.error', quantity: 1 },
    { runId: state.run.id, eventType: 'agent.step', quantity: 2, units: 'steps' },
  ]);
  check(r.success === true && r.created === 3 && r.duplicates === 0 && r.events.length === 3, 'batch created', r);
});

step('endRun', async () => {
  const r = await drip.endRun(state.run.id, { status: 'COMPLETED' });
  check(r.status === 'COMPLETED' && typeof r.endedAt === 'string' && r.eventCount === 4, 'run ended', r);
  check(r.totalCostUnits === '0.002' && typeof r.durationMs === 'number', 'end totals', r);
});

step('endRun.conflict', async () => {
  try {
    await drip.endRun(state.run.id, { status: 'FAILED' });
  } catch (e) {
    check(e instanceof DripError && e.statusCode === 409 && e.code === 'RUN_ALREADY_ENDED', '409 RUN_ALREADY_ENDED', e);
    return;
  }
  throw new Error('ending an ended run with another status succeeded');
});

step('getRun', async () => {
  const r = await drip.getRun(state.run.id);
  check(r.status === 'COMPLETED' && r.totals.eventCount === 4 && r.totals.totalQuantity === '104', 'run totals', r);
  check(r._links.timeline.includes(state.run.id), 'timeline link', r);
});

step('getRunTimeline', async () => {
  const p1 = await drip.getRunTimeline(state.run.id, { limit: 2 });
  check(p1.events.length === 2 && p1.hasMore === true && typeof p1.nextCursor === 'string', 'first page', p1);
  check(p1.summary.totalEvents === 4 && p1.summary.byOutcome.FAILED === 1, 'summary covers the run', p1.summary);
  const p2 = await drip.getRunTimeline(state.run.id, { limit: 2, cursor: p1.nextCursor });
  check(p2.events.length === 2 && p2.hasMore === false && p2.nextCursor === null, 'last page', p2);
  const llm = p1.events.find((e) => e.eventType === 'llm.call');
  check(llm && llm.metadata.model === 'gpt-4o-mini' && llm.metadata.usageType === 'llm.call' && llm.metadata.quantity === 100,
    'event metadata merged', llm);
});

step('recordRun', async () => {
  const params = {
    customerId: state.customer.id, workflow: 'conformance-record', status: 'COMPLETED', externalRunId: 'conf-rec-1',
    events: [{ eventType: 'step.one', quantity: 1 }, { eventType: 'step.two', costUnits: 0.5 }],
  };
  const r = await drip.recordRun(params);
  check(r.run.id.startsWith('run_') && r.run.workflowName === 'Conformance Record', 'record run', r);
  check(r.events.created === 2 && r.events.duplicates === 0 && r.totalCostUnits === '0.5', 'record events', r);
  check(typeof r.summary === 'string' && r.summary.includes('Conformance Record'), 'record summary', r);
  const again = await drip.recordRun(params);
  check(again.run.id === r.run.id && again.events.duplicates === 2, 'record replay', again);
});

step('invalidKey', async () => {
  const bad = new Drip({ apiKey: badKey, baseUrl, resilience: false });
  try {
    await bad.listWorkflows();
  } catch (e) {
    check(e instanceof DripError && e.statusCode === 401 && e.code === 'UNAUTHORIZED', '401 UNAUTHORIZED', e);
    return;
  }
  throw new Error('an unknown key was accepted');
});

for (const [name, fn] of steps) {
  try {
    await label(name);
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  }
}
console.log(`conformance: all ${steps.length} steps passed`);
