// Drives the dashboard of a running serve in headless Chromium, as DashboardBrowserTest asks:
//   node dashboard.mjs BASE_URL SCREENSHOT_PATH CHROMIUM_PATH
// Prints one JSON line with what the page showed; the test compares it with the JSON routes.
import { chromium } from "playwright-core";

const [base, screenshot, executable] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: executable,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  await page.goto(base + "/dashboard");

  // The pipeline: a box per stage, with its layers.
  await page.waitForFunction(() => document.querySelectorAll("#stages .stage").length === 2);
  const stages = await page.$$eval("#stages .stage", els => els.map(e => ({ layers: e.dataset.layers, backend: e.dataset.backend })));
  await page.waitForSelector("body[data-events=open]");

  // Every change of the requests' stats line, to see tokens arrive one after another.
  await page.evaluate(() => {
    window.seen = [];
    new MutationObserver(() => document.querySelectorAll("#requests .request .stats")
        .forEach(s => window.seen.push(s.textContent))).observe(document.getElementById("requests"),
        { subtree: true, childList: true, characterData: true });
  });
  await page.fill("#prompt", "ab cd e fg hi jk");
  await page.fill("#max", "96");
  await page.check("#inspect");
  await page.click("#send button");
  await page.waitForSelector("body[data-attention]", { timeout: 60000 });
  const id = await page.$eval("body", b => b.dataset.attention);
  await page.waitForSelector(`#requests .request.done[data-id="${id}"]`, { timeout: 30000 });
  const seen = await page.evaluate(() => window.seen);
  const text = await page.$eval(`#requests .request[data-id="${id}"] .text`, e => e.textContent);

  // The heatmap of one layer and head, cell by cell.
  await page.selectOption("#layer", "3");
  await page.selectOption("#head", "5");
  const cells = await page.$$eval("#heatmap td.cell[data-w]", els => els.map(e =>
      [Number(e.dataset.q), Number(e.dataset.k), Number(e.dataset.w)]));
  // Clicking a generated token: its row and column are outlined, its next-token probabilities listed.
  const prompt = await page.evaluate(() => shown.prompt_tokens);
  await page.click(`#heatmap th[data-q="${prompt}"]`);
  const outlined = await page.$$eval("#heatmap td.cell.row", els => els.length);
  const top = await page.$$eval("#top tr", els => els.length);
  await page.hover(`#heatmap td.cell[data-q="${prompt}"][data-k="0"]`);
  const hover = await page.$eval("#hover", e => e.textContent);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ stages, id, seen, text, layer: 3, head: 5, cells, prompt, outlined, top, hover, errors }));
} finally {
  await browser.close();
}
