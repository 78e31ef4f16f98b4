// Runs the official Drip Node client's billing methods (balances, spending
// caps, charges, entitlements, meters, cost estimates, execution events,
// webhooks, stream meters) against the server at DRIP_BASE_URL and asserts
// on every reply. Webhook deliveries go to a receiver this script runs on
// 127.0.0.1 and are verified with the Node client's own signature helper.
// Labels each step like conformance.mjs. Exits non-zero on the first failure.
import http from 'node:http';
import { Drip, DripError } from '@drip-sdk/node';

const baseUrl = process.env.DRIP_BASE_URL;
const apiKey = process.env.DRIP_API_KEY;
const publicKey = process.env.DRIP_PUBLIC_KEY;
if (!baseUrl || !apiKey || !publicKey) {
  console.error('FAIL setup: DRIP_BASE_URL, DRIP_API_KEY and DRIP_PUBLIC_KEY are required');
  process.exit(2);
}
const origin = baseUrl.replace(/\/v1\/?$/, '');
const drip = new Drip({ apiKey, baseUrl, resilience: false });

function check(cond, what, got) {
  if (!cond) {
    throw new Error(`${what}; got ${JSON.stringify(got)}`);
  }
}

// has checks that obj carries every one of fields, the fields Drip's API
// sends in that reply; a field Drip may send as null must still be there.
function has(obj, fields, what) {
  const missing = fields.filter((f) => obj === null || typeof obj !== 'object' || !(f in obj));
  check(missing.length === 0, `${what} has ${missing.join(', ')}`, obj);
}

// micro converts a USDC decimal string to integer micro-USDC, exactly.
function micro(s) {
  check(typeof s === 'string' && /^-?\d+(\.\d{1,6})?$/.test(s), 'a USDC decimal string', s);
  const neg = s.startsWith('-');
  const [i, f = ''] = s.replace('-', '').split('.');
  const v = BigInt(i) * 1000000n + BigInt((f + '000000').slice(0, 6));
  return neg ? -v : v;
}

const steps = [];
function step(label, fn) {
  steps.push([label, fn]);
}

async function label(name) {
  const res = await fetch(`${origin}/__conformance/label/${encodeURIComponent(name)}`, { method: 'POST' });
  if (res.status !== 204) throw new Error(`label endpoint answered ${res.status}`);
}

// The webhook receiver.
const deliveries = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    deliveries.push({ signature: req.headers['x-drip-signature'], body });
    res.writeHead(204);
    res.end();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hooks`;

async function waitFor(what, pred) {
  for (let i = 0; i < 200; i++) {
    const d = deliveries.find(pred);
    if (d) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no webhook delivery: ${what}`);
}

const state = {};

step('setup', async () => {
  state.customer = await drip.createCustomer({
    externalCustomerId: 'conf-billing-1', onchainAddress: '0x00000000000000000000000000000000c0ffee01',
  });
  state.plain = await drip.createCustomer({ externalCustomerId: 'conf-billing-2' });
  // @drip-sdk/node 0.1.2 has no call to create a pricing plan.
  const res = await fetch(`${baseUrl}/pricing-plans`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Tokens', unitType: 'tokens', unitPriceUsd: 0.000003 }),
  });
  check(res.status === 201 || res.status === 200, 'pricing plan created', res.status);
});

step('createWebhook', async () => {
  const w = await drip.createWebhook({
    url: receiverUrl, events: ['charge.succeeded', 'customer.created'], description: 'conformance',
  });
  check(typeof w.secret === 'string' && w.secret.startsWith('whsec_'), 'secret returned once', w);
  check(w.url === receiverUrl && w.isActive === true && w.events.length === 2, 'webhook fields', w);
  has(w, ['id', 'url', 'events', 'description', 'filters', 'isActive', 'healthStatus', 'consecutiveFailures',
    'lastHealthChange', 'createdAt', 'updatedAt', 'secret', 'message'], 'created webhook');
  state.webhook = w;
  state.secret = w.secret;
});

step('listWebhooks', async () => {
  const l = await drip.listWebhooks();
  has(l.data[0], ['id', 'url', 'events', 'isActive', 'healthStatus', 'createdAt', 'updatedAt'], 'listed webhook');
  check(l.count === 1 && l.data[0].id === state.webhook.id && l.data[0].secret === undefined, 'listed without secret', l);
});

step('getWebhook', async () => {
  const w = await drip.getWebhook(state.webhook.id);
  check(w.id === state.webhook.id && w.healthStatus === 'HEALTHY', 'webhook read', w);
});

step('updateWebhook', async () => {
  const w = await drip.updateWebhook(state.webhook.id, { description: 'conformance, updated' });
  check(w.description === 'conformance, updated' && w.events.length === 2, 'webhook updated', w);
});

step('testWebhook', async () => {
  const r = await drip.testWebhook(state.webhook.id);
  check(typeof r.message === 'string' && typeof r.status === 'string', 'test delivery reply', r);
  has(r, ['message', 'deliveryId', 'status'], 'test delivery reply');
  check(r.responseCode === 204, 'receiver answered the test delivery', r);
});

step('getBalance', async () => {
  const b = await drip.getBalance(state.customer.id);
  has(b, ['customerId', 'onchainAddress', 'balanceUsdc', 'pendingChargesUsdc', 'availableUsdc', 'lastSyncedAt'], 'balance');
  check(b.customerId === state.customer.id && b.onchainAddress === state.customer.onchainAddress, 'balance owner', b);
  check(micro(b.balanceUsdc) > 0n && micro(b.availableUsdc) === micro(b.balanceUsdc) - micro(b.pendingChargesUsdc),
    'available = balance - pending', b);
  state.startBalance = micro(b.balanceUsdc);
});

step('provisionCustomer', async () => {
  const c = await drip.provisionCustomer(state.plain.id);
  check(c.id === state.plain.id && typeof c.onchainAddress === 'string' && c.onchainAddress.startsWith('0x'),
    'provisioned with an address', c);
});

step('syncCustomerBalance', async () => {
  const r = await drip.syncCustomerBalance(state.customer.id);
  check(micro(r.balance) === state.startBalance, 'synced balance', r);
});

step('setCustomerSpendingCap', async () => {
  const cap = await drip.setCustomerSpendingCap(state.customer.id, { capType: 'DAILY_CHARGE_LIMIT', limitValue: 5, autoBlock: true });
  has(cap, ['id', 'capType', 'limitValue', 'currentUsage', 'periodStart', 'isActive', 'autoBlock', 'lastAlertLevel'], 'spending cap');
  check(cap.capType === 'DAILY_CHARGE_LIMIT' && micro(cap.limitValue) === 5000000n && cap.autoBlock === true, 'cap set', cap);
  state.cap = cap;
});

step('getCustomerSpendingCaps', async () => {
  const r = await drip.getCustomerSpendingCaps(state.customer.id);
  check(r.caps.length === 1 && r.caps[0].id === state.cap.id, 'cap listed', r);
});

step('charge', async () => {
  const r = await drip.charge({ customerId: state.customer.id, meter: 'tokens', quantity: 1234 });
  check(r.success === true && r.isDuplicate === false, 'charged', r);
  has(r, ['success', 'usageEventId', 'isDuplicate', 'charge'], 'charge reply');
  has(r.charge, ['id', 'amountUsdc', 'amountToken', 'txHash', 'status'], 'charge reply charge');
  check(micro(r.charge.amountUsdc) === 3702n, '1234 tokens at 0.000003 = 0.003702 USDC', r);
  state.charge = r.charge;
  const d = await waitFor('charge.succeeded', (x) => x.body.includes(r.charge.id));
  check(await Drip.verifyWebhookSignature(d.body, d.signature, state.secret), 'delivery verifies with Node', d);
  const ev = JSON.parse(d.body);
  check(ev.type === 'charge.succeeded' && ev.data.id === r.charge.id && ev.data.amountUsdc === r.charge.amountUsdc, 'delivery body', ev);
});

step('listCharges', async () => {
  const l = await drip.listCharges({ customerId: state.customer.id, limit: 10 });
  check(l.count >= 1 && l.data.some((c) => c.id === state.charge.id), 'charge listed', l);
});

step('getCharge', async () => {
  const c = await drip.getCharge(state.charge.id);
  has(c, ['id', 'usageId', 'customerId', 'customer', 'usageEvent', 'amountUsdc', 'amountToken', 'txHash', 'blockNumber',
    'status', 'failureReason', 'createdAt', 'confirmedAt'], 'charge');
  has(c.customer, ['id', 'onchainAddress', 'externalCustomerId'], 'charge customer');
  has(c.usageEvent, ['id', 'type', 'quantity', 'metadata'], 'charge usage event');
  check(typeof c.usageEvent.quantity === 'string', 'usage quantity is a decimal string', c);
  check(c.id === state.charge.id && c.customerId === state.customer.id && c.customer.id === state.customer.id, 'charge owner', c);
  check(c.usageEvent.type === 'tokens' && Number(c.usageEvent.quantity) === 1234 && micro(c.amountUsdc) === 3702n, 'charge usage', c);
  check(c.status === 'CONFIRMED' && typeof c.createdAt === 'string', 'charge confirmed', c);
});

step('balanceAfterCharge', async () => {
  const b = await drip.getBalance(state.customer.id);
  check(micro(b.balanceUsdc) === state.startBalance - 3702n, 'balance went down by the charge exactly', b);
  const caps = await drip.getCustomerSpendingCaps(state.customer.id);
  check(micro(caps.caps[0].currentUsage) === 3702n, 'cap usage counts the charge', caps);
});

step('removeCustomerSpendingCap', async () => {
  const r = await drip.removeCustomerSpendingCap(state.customer.id, state.cap.id);
  check(r.success === true, 'cap removed', r);
});

step('rotateWebhookSecret', async () => {
  const r = await drip.rotateWebhookSecret(state.webhook.id);
  check(r.secret.startsWith('whsec_') && r.secret !== state.secret, 'a new secret', r);
  has(r, ['secret', 'message'], 'rotated secret reply');
  state.secret = r.secret;
  const c = await drip.createCustomer({ externalCustomerId: 'conf-billing-3' });
  const d = await waitFor('customer.created', (x) => x.body.includes(c.id));
  check(await Drip.verifyWebhookSignature(d.body, d.signature, state.secret), 'signed with the new secret', d);
});

step('createEntitlementPlan', async () => {
  const p = await drip.createEntitlementPlan({ name: 'Pro', slug: 'pro', description: 'conformance' });
  check(p.id && p.slug === 'pro' && p.isActive === true, 'plan created', p);
  has(p, ['id', 'name', 'slug', 'description', 'isDefault', 'isActive', 'createdAt', 'updatedAt'], 'entitlement plan');
  state.plan = p;
});

step('listEntitlementPlans', async () => {
  const r = await drip.listEntitlementPlans();
  check(r.plans.some((p) => p.id === state.plan.id), 'plan listed', r);
});

step('getEntitlementPlan', async () => {
  const p = await drip.getEntitlementPlan(state.plan.id);
  check(p.id === state.plan.id && p.name === 'Pro', 'plan read', p);
});

step('updateEntitlementPlan', async () => {
  const p = await drip.updateEntitlementPlan(state.plan.id, { description: 'updated' });
  check(p.description === 'updated', 'plan updated', p);
});

step('addEntitlementRule', async () => {
  const r = await drip.addEntitlementRule(state.plan.id, { featureKey: 'llm_calls', limitType: 'COUNT', period: 'DAILY', limitValue: 2 });
  check(r.planId === state.plan.id && r.featureKey === 'llm_calls' && r.limitValue === 2, 'rule added', r);
  has(r, ['id', 'planId', 'featureKey', 'limitType', 'period', 'limitValue', 'unlimited'], 'entitlement rule');
  state.rule = r;
});

step('listEntitlementRules', async () => {
  const r = await drip.listEntitlementRules(state.plan.id);
  check(r.rules.length === 1 && r.rules[0].id === state.rule.id, 'rule listed', r);
});

step('updateEntitlementRule', async () => {
  const r = await drip.updateEntitlementRule(state.rule.id, { limitValue: 3 });
  check(r.limitValue === 3, 'rule updated', r);
});

step('assignCustomerEntitlement', async () => {
  const e = await drip.assignCustomerEntitlement(state.customer.id, { planId: state.plan.id });
  check(e.planId === state.plan.id && e.planSlug === 'pro', 'plan assigned', e);
});

step('getCustomerEntitlement', async () => {
  const e = await drip.getCustomerEntitlement(state.customer.id);
  check(e.planId === state.plan.id && e.rules.length === 1, 'entitlement read', e);
  has(e, ['planId', 'planName', 'planSlug', 'rules', 'overrides', 'usage'], 'customer entitlement');
});

step('checkEntitlement', async () => {
  const r = await drip.checkEntitlement({ customerId: state.customer.id, featureKey: 'llm_calls' });
  check(r.allowed === true && r.limit === 3 && r.remaining === 3 && r.unlimited === false && r.period === 'DAILY', 'allowed', r);
  check(typeof r.periodResetsAt === 'string', 'reset time', r);
  has(r, ['allowed', 'featureKey', 'remaining', 'limit', 'unlimited', 'period', 'periodResetsAt'], 'entitlement check');
  check(!('reason' in r), 'no reason when allowed', r);
  await drip.trackUsage({ customerId: state.customer.id, meter: 'llm_calls', quantity: 3 });
  const d = await drip.checkEntitlement({ customerId: state.customer.id, featureKey: 'llm_calls', quantity: 1 });
  check(d.allowed === false && d.remaining === 0 && typeof d.reason === 'string', 'denied once used up', d);
});

step('checkEntitlement.unlimited', async () => {
  const rule = await drip.addEntitlementRule(state.plan.id, {
    featureKey: 'embeddings', limitType: 'COUNT', period: 'MONTHLY', limitValue: 0, unlimited: true,
  });
  check(rule.unlimited === true, 'unlimited rule added', rule);
  const r = await drip.checkEntitlement({ customerId: state.customer.id, featureKey: 'embeddings', quantity: 1000 });
  check(r.allowed === true && r.unlimited === true && r.limit === -1 && r.remaining === -1 && r.period === 'MONTHLY',
    'unlimited: limit and remaining are -1', r);
});

step('deleteEntitlementRule', async () => {
  const r = await drip.deleteEntitlementRule(state.rule.id);
  check(r.success === true, 'rule deleted', r);
});

step('deleteEntitlementPlan', async () => {
  const spare = await drip.createEntitlementPlan({ name: 'Spare', slug: 'spare' });
  const r = await drip.deleteEntitlementPlan(spare.id);
  check(r.success === true, 'plan deleted', r);
});

step('listMeters', async () => {
  const r = await drip.listMeters();
  const m = r.data.find((x) => x.meter === 'tokens');
  check(m && m.isActive === true && Number(m.unitPriceUsd) === 0.000003, 'tokens meter listed', r);
  check(typeof m.unitPriceUsd === 'string' && typeof m.id === 'string' && m.name === 'Tokens' && r.count === r.data.length, 'meter fields', r);
});

step('estimateFromUsage', async () => {
  const now = Date.now();
  const e = await drip.estimateFromUsage({
    customerId: state.customer.id, periodStart: new Date(now - 3600e3), periodEnd: new Date(now + 3600e3),
  });
  const li = e.lineItems.find((x) => x.usageType === 'tokens');
  check(li && li.hasPricingPlan === true && micro(li.estimatedCostUsdc) === 3702n, 'tokens line item', e);
  check(e.currency === 'USDC' && e.isEstimate === true && typeof e.generatedAt === 'string', 'estimate envelope', e);
  has(e, ['lineItems', 'subtotalUsdc', 'estimatedTotalUsdc', 'currency', 'isEstimate', 'generatedAt', 'notes'], 'cost estimate');
  has(li, ['usageType', 'quantity', 'unitPrice', 'estimatedCostUsdc', 'hasPricingPlan'], 'line item');
  check(typeof li.quantity === 'string' && typeof li.unitPrice === 'string', 'line item decimals are strings', li);
});

step('estimateFromHypothetical', async () => {
  const e = await drip.estimateFromHypothetical({ items: [{ usageType: 'tokens', quantity: 1000000 }, { usageType: 'other', quantity: 4, unitPriceOverride: '0.25' }] });
  check(micro(e.estimatedTotalUsdc) === 4000000n, '3.0 + 1.0 USDC', e);
});

step('listEvents', async () => {
  const rec = await drip.recordRun({
    customerId: state.customer.id, workflow: 'conformance-events', status: 'COMPLETED',
    events: [{ eventType: 'tool.call', quantity: 1 }, { eventType: 'llm.call', quantity: 10 }],
  });
  state.eventRun = rec.run.id;
  const l = await drip.listEvents({ runId: rec.run.id, limit: 10 });
  has(l, ['data', 'total', 'limit', 'offset'], 'event list');
  has(l.data[0], ['id', 'customerId', 'eventType', 'outcome', 'createdAt'], 'execution event');
  check(l.total === 2 && l.data.length === 2 && l.data.every((e) => e.runId === rec.run.id), 'run events listed', l);
  check(l.data.every((e) => e.customerId === state.customer.id), 'events carry the customer', l);
  state.event = l.data[0];
});

step('getEvent', async () => {
  const e = await drip.getEvent(state.event.id);
  check(e.id === state.event.id && e.eventType === state.event.eventType, 'event read', e);
});

step('getEventTrace', async () => {
  const t = await drip.getEventTrace(state.event.id);
  check(t.eventId === state.event.id && Array.isArray(t.ancestors) && Array.isArray(t.children) && Array.isArray(t.retryChain),
    'trace shape', t);
});

step('createStreamMeter', async () => {
  const m = drip.createStreamMeter({ customerId: state.customer.id, meter: 'tokens' });
  m.addSync(100);
  await m.add(200);
  const r = await m.flush();
  check(r.success === true && r.quantity === 300 && micro(r.charge.amountUsdc) === 900n, 'one charge for the total', r);
  const again = await m.flush();
  check(again.quantity === 0 && again.charge === null, 'nothing left to flush', again);
});

step('wrapApiCall', async () => {
  const w = await drip.wrapApiCall({
    customerId: state.customer.id, meter: 'tokens',
    call: async () => ({ usage: { total_tokens: 50 } }), extractUsage: (r) => r.usage.total_tokens,
  });
  check(w.result.usage.total_tokens === 50 && w.idempotencyKey.startsWith('wrap_'), 'the call ran once, keyed before it', w);
  check(w.charge.success === true && micro(w.charge.charge.amountUsdc) === 150n, 'its usage billed', w);
});

step('chargeAsync', async () => {
  const r = await drip.chargeAsync({ customerId: state.customer.id, meter: 'tokens', quantity: 10 });
  check(r.success === true && r.isDuplicate === false && typeof r.usageEventId === 'string', 'queued charge accepted', r);
  check(r.charge && typeof r.charge.id === 'string' && typeof r.charge.status === 'string', 'queued charge', r);
  has(r, ['success', 'usageEventId', 'isDuplicate', 'charge', 'message'], 'queued charge reply');
  has(r.charge, ['id', 'amountUsdc', 'status'], 'queued charge reply charge');
});

step('charge.replay', async () => {
  const p = { customerId: state.customer.id, meter: 'tokens', quantity: 1, idempotencyKey: 'conf-charge-replay' };
  const first = await drip.charge(p);
  const again = await drip.charge(p);
  check(first.isDuplicate === false && again.isDuplicate === true, 'the replay is a duplicate', again);
  check(again.charge && again.charge.id === first.charge.id && again.charge.amountUsdc === first.charge.amountUsdc,
    'the replay returns the original charge', again);
  const l = await drip.listCharges({ customerId: state.customer.id, limit: 100 });
  check(l.data.filter((c) => c.id === first.charge.id).length === 1, 'charged once', l);
});

// Calls both clients refuse with a public key before sending anything.
step('publicKey', async () => {
  const pub = new Drip({ apiKey: publicKey, baseUrl, resilience: false });
  const w = await pub.listWebhooks().catch((e) => e);
  check(w instanceof DripError && w.statusCode === 403 && w.code === 'PUBLIC_KEY_NOT_ALLOWED', 'Node refuses pk_ webhooks locally', w);
  const b = await pub.checkEntitlement({ customerId: state.customer.id, featureKey: 'llm_calls' }).catch((e) => e);
  check(b instanceof DripError && b.code === 'PUBLIC_KEY_NOT_ALLOWED', 'Node refuses pk_ entitlement checks locally', b);
});

// The server refuses a public key on the secret-only routes.
step('publicKey.server', async () => {
  const res = await fetch(`${baseUrl}/webhooks`, { headers: { Authorization: `Bearer ${publicKey}` } });
  const body = await res.json();
  check(res.status === 403 && body.code === 'PUBLIC_KEY_NOT_ALLOWED', 'dripd refuses pk_ on webhooks', body);
});

step('deleteWebhook', async () => {
  const r = await drip.deleteWebhook(state.webhook.id);
  check(r.success === true, 'webhook deleted', r);
});

let failed = false;
for (const [name, fn] of steps) {
  try {
    await label(name);
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    failed = true;
    break;
  }
}
receiver.close();
if (failed) process.exit(1);
console.log(`billing: all ${steps.length} steps passed`);
