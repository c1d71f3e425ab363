// Streams a chat completion and a completion through Laminar's OpenAI-compatible door with the
// official openai client, and prints what it received as one JSON line.
// Usage: node stream.mjs BASE_URL MODEL PROMPT MAX_TOKENS SEED
import OpenAI from 'openai';

const [baseURL, model, prompt, maxTokens, seed] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'unused-on-loopback', maxRetries: 0 });
const common = { model, max_tokens: Number(maxTokens), temperature: 0, seed: Number(seed), stream: true,
  stream_options: { include_usage: true } };

async function collect(stream, pick) {
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      const piece = pick(choice);
      if (piece) { text += piece; chunks++; }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  return { text, chunks, finish, usage };
}

const chat = await collect(
  await client.chat.completions.create({ ...common, messages: [{ role: 'user', content: prompt }] }),
  (c) => c.delta?.content);
const completion = await collect(
  await client.completions.create({ ...common, prompt }),
  (c) => c.text);
const models = await client.models.list();
console.log(JSON.stringify({ chat, completion, models: models.data.map((m) => m.id) }));
