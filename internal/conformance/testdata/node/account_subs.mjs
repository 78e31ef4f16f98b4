// Runs the official Drip Node client's subscription and contract methods
// against the server at DRIP_BASE_URL and asserts on every reply. Labels
// each step like conformance.mjs. Exits non-zero on the first failure.
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

function has(obj, fields, what) {
  const missing = fields.filter((f) => obj === null || typeof obj !== 'object' || !(f in obj));
  check(missing.length === 0, `${what} has ${missing.join(', ')}`, obj);
}

const subFields = ['id', 'businessId', 'customerId', 'name', 'description', 'interval', 'priceUsdc', 'status',
  'currentPeriodStart', 'currentPeriodEnd', 'cancelledAt', 'cancelAtPeriodEnd', 'pausedAt', 'resumesAt', 'trialStart',
  'trialEnd', 'includedUsage', 'overageUnitType', 'metadata', 'createdAt', 'updatedAt'];
const contractFields = ['id', 'customerId', 'name', 'status', 'startDate', 'endDate', 'minimumUsdc', 'maximumUsdc',
  'discountPct', 'prepaidAmountUsdc', 'prepaidBalanceUsdc', 'prepaidRollover', 'includedUnits', 'metadata', 'overrides',
  'createdAt', 'updatedAt'];

const steps = [];
function step(label, fn) {
  steps.push([label, fn]);
}

async function label(name) {
  const res = await fetch(`${origin}/__conformance/label/${encodeURIComponent(name)}`, { method: 'POST' });
  if (res.status !== 204) throw new Error(`label endpoint answered ${res.status}`);
}

const state = {};

step('setup', async () => {
  state.customer = await drip.createCustomer({
    externalCustomerId: 'conf-subs-1', onchainAddress: '0x00000000000000000000000000000000c0ffee51',
  });
});

step('createSubscription', async () => {
  const s = await drip.createSubscription({
    customerId: state.customer.id, name: 'Pro', description: 'conformance', interval: 'MONTHLY', priceUsdc: 9.99,
    metadata: { tier: 'pro' }, includedUsage: 1000, overageUnitType: 'tokens',
  });
  has(s, subFields, 'created subscription');
  check(s.status === 'ACTIVE' && s.priceUsdc === '9.990000' && s.includedUsage === 1000 && s.cancelAtPeriodEnd === false,
    'subscription fields', s);
  state.sub = s;
});

step('createSubscription.trial', async () => {
  const s = await drip.createSubscription({
    customerId: state.customer.id, name: 'Trial', interval: 'WEEKLY', priceUsdc: 1, trialDays: 14,
  });
  check(s.status === 'TRIALING' && typeof s.trialEnd === 'string' && s.trialEnd === s.currentPeriodEnd, 'trialing', s);
  state.trial = s;
});

step('getSubscription', async () => {
  const s = await drip.getSubscription(state.sub.id);
  check(s.id === state.sub.id && s.status === 'ACTIVE', 'subscription read', s);
});

step('listSubscriptions', async () => {
  const l = await drip.listSubscriptions({ customerId: state.customer.id, status: 'ACTIVE', limit: 10 });
  check(l.count === 1 && l.data.length === 1 && l.data[0].id === state.sub.id, 'one active subscription', l);
});

step('updateSubscription', async () => {
  const s = await drip.updateSubscription(state.sub.id, { name: 'Pro+', priceUsdc: 19.99, includedUsage: 2000 });
  check(s.name === 'Pro+' && s.priceUsdc === '19.990000' && s.includedUsage === 2000, 'subscription updated', s);
});

step('pauseSubscription', async () => {
  const s = await drip.pauseSubscription(state.sub.id, { resumeDate: '2099-01-01T00:00:00.000Z' });
  check(s.status === 'PAUSED' && s.resumesAt === '2099-01-01T00:00:00.000Z' && typeof s.pausedAt === 'string', 'paused', s);
});

step('resumeSubscription', async () => {
  const s = await drip.resumeSubscription(state.sub.id);
  check(s.status === 'ACTIVE' && s.pausedAt === null && s.resumesAt === null, 'resumed', s);
  const again = await drip.resumeSubscription(state.sub.id).catch((e) => e);
  check(again instanceof DripError && again.statusCode === 409 && again.code === 'INVALID_STATE', 'resuming an active one is 409', again);
});

step('cancelSubscription', async () => {
  const s = await drip.cancelSubscription(state.sub.id);
  check(s.status === 'ACTIVE' && s.cancelAtPeriodEnd === true, 'cancels at period end', s);
});

step('cancelSubscription.immediate', async () => {
  const s = await drip.cancelSubscription(state.trial.id, { immediate: true });
  check(s.status === 'CANCELLED' && typeof s.cancelledAt === 'string', 'cancelled now', s);
});

step('createContract', async () => {
  const c = await drip.createContract({
    customerId: state.customer.id, name: 'Enterprise', startDate: '2025-01-01T00:00:00.000Z', endDate: '2099-01-01T00:00:00.000Z',
    minimumUsdc: '50', maximumUsdc: '500', discountPct: 10, prepaidAmountUsdc: '25', prepaidRollover: true,
    includedUnits: { tokens: 1000 }, metadata: { deal: 'q1' },
  });
  has(c, contractFields, 'created contract');
  check(c.status === 'ACTIVE' && c.minimumUsdc === '50.000000' && c.discountPct === 10 && c.prepaidBalanceUsdc === '25.000000' &&
    c.includedUnits.tokens === 1000 && c.overrides.length === 0, 'contract fields', c);
  state.contract = c;
});

step('getContract', async () => {
  const c = await drip.getContract(state.contract.id);
  check(c.id === state.contract.id, 'contract read', c);
});

step('listContracts', async () => {
  const l = await drip.listContracts({ customerId: state.customer.id, status: 'ACTIVE' });
  check(l.contracts.length === 1 && l.contracts[0].id === state.contract.id, 'one active contract', l);
});

step('updateContract', async () => {
  const c = await drip.updateContract(state.contract.id, { name: 'Enterprise 2', discountPct: 15, includedUnits: { tokens: 2000 } });
  check(c.name === 'Enterprise 2' && c.discountPct === 15 && c.includedUnits.tokens === 2000, 'contract updated', c);
});

step('addContractOverride', async () => {
  const o = await drip.addContractOverride(state.contract.id, { unitType: 'tokens', unitPriceUsd: '0.0005' });
  check(o.unitType === 'tokens' && o.unitPriceUsdc === '0.000500' && o.unitPriceUsd === undefined, 'override, named unitPriceUsdc', o);
  const c = await drip.getContract(state.contract.id);
  check(c.overrides.length === 1 && c.overrides[0].unitPriceUsdc === '0.000500', 'override on the contract', c);
});

step('removeContractOverride', async () => {
  const r = await drip.removeContractOverride(state.contract.id, 'tokens');
  check(r.success === true, 'override removed', r);
});

step('deleteContract', async () => {
  const r = await drip.deleteContract(state.contract.id);
  check(r.success === true, 'contract cancelled', r);
  const c = await drip.getContract(state.contract.id);
  check(c.status === 'CANCELLED', 'still readable, CANCELLED', c);
});

// Node refuses subscriptions and contracts with a public key before
// sending; dripd allows pk_ subscription reads and refuses the rest.
step('publicKey', async () => {
  const pub = new Drip({ apiKey: publicKey, baseUrl, resilience: false });
  const s = await pub.getSubscription(state.sub.id).catch((e) => e);
  check(s instanceof DripError && s.statusCode === 403 && s.code === 'PUBLIC_KEY_NOT_ALLOWED', 'Node refuses pk_ subscriptions locally', s);
  const c = await pub.listContracts().catch((e) => e);
  check(c instanceof DripError && c.code === 'PUBLIC_KEY_NOT_ALLOWED', 'Node refuses pk_ contracts locally', c);
});

step('publicKey.server', async () => {
  const res = await fetch(`${baseUrl}/contracts`, { headers: { Authorization: `Bearer ${publicKey}` } });
  const body = await res.json();
  check(res.status === 403 && body.code === 'PUBLIC_KEY_NOT_ALLOWED', 'dripd refuses pk_ on contracts', body);
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
if (failed) process.exit(1);
console.log(`account_subs: all ${steps.length} steps passed`);
