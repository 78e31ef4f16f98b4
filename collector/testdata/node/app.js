// A Node.js app instrumented with third-party GenAI instrumentation
// (OpenLLMetry's @traceloop/instrumentation-openai or OpenInference's
// @arizeai/openinference-instrumentation-openai) calling an
// OpenAI-compatible server through the official openai package, normal and
// streaming, and sending its spans over OTLP/HTTP. otelcol-drip's
// end-to-end test runs it against a local stub, the collector and dripd.
//
// Environment: OTLP_TRACES_URL, OPENAI_BASE_URL, CUSTOMER_ID,
// INSTRUMENTATION (traceloop | openinference).
"use strict";

const { trace } = require("@opentelemetry/api");
const { NodeTracerProvider } = require("@opentelemetry/sdk-trace-node");
const { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http");
const { resourceFromAttributes } = require("@opentelemetry/resources");

const which = process.env.INSTRUMENTATION;
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ "service.name": `node-${which}` }),
  spanProcessors: [
    new BatchSpanProcessor(new OTLPTraceExporter({ url: process.env.OTLP_TRACES_URL })),
    // DEBUG_SPANS=1 prints every span, to see what an instrumentation sends.
    ...(process.env.DEBUG_SPANS ? [new SimpleSpanProcessor(new ConsoleSpanExporter())] : []),
  ],
});
provider.register();

// The instrumentation hooks require("openai"): create it first, and the
// hook patches the module as it loads.
let instrumentation;
if (which === "traceloop") {
  const { OpenAIInstrumentation } = require("@traceloop/instrumentation-openai");
  instrumentation = new OpenAIInstrumentation();
} else if (which === "openinference") {
  const { OpenAIInstrumentation } = require("@arizeai/openinference-instrumentation-openai");
  instrumentation = new OpenAIInstrumentation();
} else {
  throw new Error(`INSTRUMENTATION must be traceloop or openinference, not ${which}`);
}
instrumentation.setTracerProvider(provider);
const OpenAI = require("openai");


async function main() {
  const client = new OpenAI({ apiKey: "sk-test", baseURL: process.env.OPENAI_BASE_URL });
  const tracer = trace.getTracer("node-app");
  const messages = [{ role: "user", content: "SECRET PROMPT: say hello" }];
  await tracer.startActiveSpan("support-agent", { attributes: { "drip.customer_id": process.env.CUSTOMER_ID } },
    async (root) => {
      try {
        // Normal.
        await client.chat.completions.create({ model: "gpt-4o-mini", messages });
        // Streaming with usage.
        const withUsage = await client.chat.completions.create({
          model: "gpt-4o-mini", messages, stream: true, stream_options: { include_usage: true },
        });
        for await (const _ of withUsage) { /* drain */ }
        // Streaming without usage: the instrumentation sees no tokens.
        const noUsage = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true });
        for await (const _ of noUsage) { /* drain */ }
      } finally {
        root.end();
      }
    });
  await provider.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
