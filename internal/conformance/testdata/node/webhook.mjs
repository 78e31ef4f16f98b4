// Signs and verifies webhook payloads with the official Node client's
// helpers, for TestWebhookSignatureMatchesNode: PAYLOAD, SECRET, and
// HEADER (a signature made by Go) come from the environment; the script
// prints whether Node verifies HEADER and a signature of its own made at
// TIMESTAMP.
import { Drip } from '@drip-sdk/node';

const { PAYLOAD, SECRET, HEADER, TIMESTAMP } = process.env;
const verified = Drip.verifyWebhookSignatureSync(PAYLOAD, HEADER, SECRET);
const signed = Drip.generateWebhookSignature(PAYLOAD, SECRET, Number(TIMESTAMP));
console.log(JSON.stringify({ verified, signed }));
