package io.laminar.app.http.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.laminar.app.http.dashboard.DashboardServing.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in headless Chromium (Debian's {@code chromium}, driven by {@code playwright-core},
 * pinned in app/src/test/browser, installed by {@code npm ci} there): the page of a two-stage serve on
 * the embedded broker shows both stages, streams a request's tokens as they come, and for the
 * inspected request draws a heatmap whose every cell is the weight the JSON endpoint returns. The
 * screenshot is kept in target/dashboard/. Skipped where node, the package or chromium is missing.
 */
class DashboardBrowserTest {
    static final Path BROWSER_DIR = Path.of("src", "test", "browser").toAbsolutePath();
    static final Path SCREENSHOT = Path.of("target", "dashboard", "dashboard.png").toAbsolutePath();

    @Test
    void thePageShowsThePipelineStreamsTokensAndDrawsTheEndpointsWeights() throws Exception {
        assumeTrue(Files.isDirectory(BROWSER_DIR.resolve("node_modules").resolve("playwright-core")),
                "playwright-core is not installed: npm ci in " + BROWSER_DIR);
        String chromium = System.getenv().getOrDefault("LAMINAR_CHROMIUM", "/usr/bin/chromium");
        assumeTrue(Files.isExecutable(Path.of(chromium)), "no chromium at " + chromium);
        assumeTrue(runs("node", "--version"), "node is not installed");
        Files.createDirectories(SCREENSHOT.getParent());
        try (DashboardServing serving = DashboardServing.start()) {
            Process node = new ProcessBuilder(List.of("node", "dashboard.mjs", "http://" + serving.front.address(),
                    SCREENSHOT.toString(), chromium)).directory(BROWSER_DIR.toFile()).redirectErrorStream(true).start();
            String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(node.waitFor(180, TimeUnit.SECONDS), "node finished");
            assertEquals(0, node.exitValue(), out);
            JsonNode page = JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
            assertEquals(0, page.get("errors").size(), "no script error: " + page.get("errors"));

            assertEquals("0-1", page.get("stages").get(0).get("layers").asText());
            assertEquals("2-4", page.get("stages").get(1).get("layers").asText());
            assertEquals("cpu", page.get("stages").get(1).get("backend").asText());

            // Streamed: the count of tokens shown went up through several values, not at once to 96 (a
            // short answer could arrive in one burst, on a fast machine or behind a transaction commit
            // on a loaded one, and say nothing).
            TreeSet<Integer> counts = new TreeSet<>();
            Matcher m = Pattern.compile("^(\\d+) tokens").matcher("");
            for (JsonNode s : page.get("seen")) {
                if (m.reset(s.asText()).find()) {
                    counts.add(Integer.parseInt(m.group(1)));
                }
            }
            assertTrue(counts.size() >= 3 && counts.last() == 96, "token counts seen: " + counts);
            assertTrue(!page.get("text").asText().isEmpty());

            String id = page.get("id").asText();
            JsonNode rows = serving.attention(id).get("attention").get(3).get(5);
            int cells = 0;
            for (JsonNode c : page.get("cells")) {
                int q = c.get(0).asInt();
                int k = c.get(1).asInt();
                assertEquals(rows.get(q).get(k).asDouble(), c.get(2).asDouble(), 0, "cell " + q + "," + k);
                cells++;
            }
            int queries = rows.size();
            assertEquals(queries * (queries + 1) / 2, cells, "one cell per weight: a lower triangle");
            int prompt = page.get("prompt").asInt();
            assertEquals(queries, page.get("outlined").asInt(), "the clicked token's row is outlined");
            assertEquals(10, page.get("top").asInt(), "the top 10 next tokens after a generated one");
            assertTrue(page.get("hover").asText().contains(":"), page.get("hover").asText());
            assertTrue(prompt > 0 && Files.size(SCREENSHOT) > 10_000, "a screenshot was kept");
        }
    }

    private static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
