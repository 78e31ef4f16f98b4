// Runs the official Drip Node client's checkout, withdrawal and portal-
// session methods against the server at DRIP_BASE_URL and asserts on every
// reply. Labels each step like conformance.mjs. Exits non-zero on the
// first failure.
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
const pub = new Drip({ apiKey: publicKey, baseUrl, resilience: false });

function check(cond, what, got) {
  if (!cond) {
    throw new Error(`${what}; got ${JSON.stringify(got)}`);
  }
}

function has(obj, fields, what) {
  const missing = fields.filter((f) => obj === null || typeof obj !== 'object' || !(f in obj));
  check(missing.length === 0, `${what} has ${missing.join(', ')}`, obj);
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
const withdrawalFields = ['id', 'status', 'amountUsdc', 'feeUsdc', 'netAmountUsdc', 'fiatCurrency', 'bankDescription',
  'createdAt', 'completedAt'];

// A billable customer and 60 USDC of confirmed charges: the business's
// settlement balance the withdrawals draw on.
step('setup', async () => {
  state.customer = await drip.createCustomer({
    externalCustomerId: 'conf-acct-1', onchainAddress: '0x00000000000000000000000000000000c0ffee02',
  });
  // @drip-sdk/node 0.1.2 has no call to create a pricing plan.
  const res = await fetch(`${baseUrl}/pricing-plans`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Units', unitType: 'units', unitPriceUsd: 1 }),
  });
  check(res.status === 201, 'pricing plan created', res.status);
  const c = await drip.charge({ customerId: state.customer.id, meter: 'units', quantity: 60, idempotencyKey: 'conf-acct-earn' });
  check(c.charge && c.charge.status === 'CONFIRMED' && c.charge.amountUsdc === '60.000000', 'earned 60 USDC', c);
});

step('checkout', async () => {
  const s = await drip.checkout({
    customerId: state.customer.id, amount: 2500, returnUrl: 'https://app.example/return',
    cancelUrl: 'https://app.example/cancel', metadata: { campaign: 'conformance' },
  });
  check(typeof s.id === 'string' && s.url === `${origin}/checkout/${s.id}`, 'session URL on dripd', s);
  check(s.amountUsd === 25, 'amountUsd read from amount_usd', s);
  check(typeof s.expiresAt === 'string' && !Number.isNaN(Date.parse(s.expiresAt)), 'expiresAt read from expires_at', s);
  const ttl = Date.parse(s.expiresAt) - Date.now();
  check(ttl > 29 * 60000 && ttl <= 30 * 60000, 'expires in 30 minutes', s);
  state.checkout = s;
});

// Checkout is a public key's: a browser-facing app may start one.
step('checkout.publicKey', async () => {
  const s = await pub.checkout({ externalCustomerId: 'conf-acct-new', amount: 500, returnUrl: 'https://app.example/return' });
  check(s.amountUsd === 5, 'public checkout', s);
});

step('checkout.invalid', async () => {
  const e = await drip.checkout({ amount: 100, returnUrl: 'https://app.example/return' }).catch((x) => x);
  check(e instanceof DripError && e.statusCode === 422 && e.code === 'VALIDATION_ERROR', 'amount under 500 cents refused', e);
});

step('estimateWithdrawalFee', async () => {
  const f = await drip.estimateWithdrawalFee('25.5');
  check(f.amountUsdc === '25.500000' && f.feeUsdc === '0.500000' && f.netAmountUsdc === '25.000000', 'fee amounts', f);
  check(f.feeBps === 100 && f.feePercent === '1.00' && f.method === 'ACH' && typeof f.estimatedArrival === 'string', 'fee terms', f);
});

step('withdraw', async () => {
  const w = await drip.withdraw({ amountUsdc: '25.5', idempotencyKey: 'conf-wd-1', bankDescription: 'Chase ****1234' });
  has(w, withdrawalFields, 'withdrawal');
  check(w.status === 'PENDING' && w.amountUsdc === '25.500000' && w.feeUsdc === '0.500000' && w.netAmountUsdc === '25.000000',
    'pending withdrawal with its fee', w);
  check(w.fiatCurrency === 'USD' && w.bankDescription === 'Chase ****1234' && w.completedAt === null, 'withdrawal details', w);
  state.withdrawal = w;
});

step('withdraw.replay', async () => {
  const w = await drip.withdraw({ amountUsdc: '25.5', idempotencyKey: 'conf-wd-1', bankDescription: 'Chase ****1234' });
  check(w.id === state.withdrawal.id, 'same key, same withdrawal', w);
});

step('withdraw.insufficient', async () => {
  const e = await drip.withdraw({ amountUsdc: '40', idempotencyKey: 'conf-wd-2' }).catch((x) => x);
  check(e instanceof DripError && e.statusCode === 400 && e.code === 'INSUFFICIENT_BALANCE', '40 of 34.5 left refused', e);
});

step('listWithdrawals', async () => {
  const l = await drip.listWithdrawals({ status: 'PENDING', limit: 10 });
  check(l.total === 1 && l.withdrawals.length === 1 && l.withdrawals[0].id === state.withdrawal.id, 'one pending', l);
  has(l.withdrawals[0], withdrawalFields, 'listed withdrawal');
});

step('cancelWithdrawal', async () => {
  const r = await drip.cancelWithdrawal(state.withdrawal.id);
  check(r.id === state.withdrawal.id && r.status === 'CANCELLED' && r.cancelled === true, 'cancelled', r);
});

step('createPortalSession', async () => {
  const s = await drip.createPortalSession({ customerId: 'conf-acct-1', expiresInMinutes: 30 });
  has(s, ['id', 'token', 'customerId', 'expiresAt', 'url'], 'portal session');
  check(s.customerId === state.customer.id && s.url === `/portal/${s.token}` && s.id.startsWith('ps_'), 'resolved, relative URL', s);
  state.portal = s;
});

step('revokePortalSession', async () => {
  const r = await drip.revokePortalSession(state.portal.id);
  check(r.success === true, 'revoked', r);
});

// Node refuses portal sessions with a public key before sending.
step('publicKey', async () => {
  const e = await pub.createPortalSession({ customerId: state.customer.id }).catch((x) => x);
  check(e instanceof DripError && e.statusCode === 403 && e.code === 'PUBLIC_KEY_NOT_ALLOWED', 'Node refuses pk_ portal sessions', e);
});

// Node 0.1.2 sends withdrawals with a public key; dripd refuses them.
step('publicKey.server', async () => {
  const res = await fetch(`${baseUrl}/withdrawals`, { headers: { Authorization: `Bearer ${publicKey}` } });
  const body = await res.json();
  check(res.status === 403 && body.code === 'PUBLIC_KEY_NOT_ALLOWED', 'dripd refuses pk_ on withdrawals', body);
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
console.log(`account_payments: all ${steps.length} steps passed`);
