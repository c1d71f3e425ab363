package io.laminar.bench;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.WarmUpBudget;
import io.laminar.model.sampling.SamplingParams;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the first requests to a freshly started process cost, with and without the stages' warm-up
 * ({@code HostSettings.withWarmUp}): time until the pipeline is ready, then one request's time to
 * first token and decode speed, the decode speed of a few more single requests one after another,
 * then 8 concurrent requests' time to first token and aggregate speed. Usage: {@code ColdStartBench
 * MODEL threads warmUpSeconds [fixed]}: the warm-up stops once the JIT has settled, at most after
 * that many seconds, or with {@code fixed} after exactly that many. One run measures one fresh JVM,
 * so run it several times per setting.
 */
public final class ColdStartBench {
    private static final int TOKENS = 32;
    private static final int PROMPT = 12;
    /** Single requests after the first, one after another: how decode speed grows as the JIT catches up. */
    private static final int FOLLOWING = 4;

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        boolean fixed = args.length > 3 && args[3].equals("fixed");
        Duration warmUp = Duration.ofMillis(Math.round(Double.parseDouble(args[2]) * 1000));
        int layers = StreamBenchArgs.layersOf(model);
        WarmUpBudget budget = fixed ? WarmUpBudget.exactly(warmUp) : WarmUpBudget.upTo(warmUp);
        HostSettings settings = HostSettings.local(model, List.of(new LayerRange(0, layers)), threads)
                .withBatch(128, 8, PROMPT + TOKENS + 8).withWarmUp(budget);
        long start = System.nanoTime();
        try (PipelineHost host = PipelineHost.start(settings)) {
            PipelineClient client = new PipelineClient(host.system(), host.scheduler());
            client.awaitReady(Duration.ofSeconds(120));
            double readyMs = (System.nanoTime() - start) / 1e6;
            double[] one = run(client, 1, 0);
            StringBuilder next = new StringBuilder();
            for (int i = 1; i <= FOLLOWING; i++) {
                next.append(String.format(Locale.ROOT, i == 1 ? "%.1f" : ", %.1f", run(client, 1, i)[1]));
            }
            double[] eight = run(client, 8, FOLLOWING + 1);
            System.out.printf(Locale.ROOT, "warm-up %s %.1f s, %d thread(s): ready after %.0f ms; first request:"
                            + " TTFT %.0f ms, %.1f tokens/s; the next %d one at a time: %s tokens/s; then 8 requests:"
                            + " TTFT (slowest) %.0f ms, %.1f tokens/s aggregate%n",
                    fixed ? "exactly" : "up to", warmUp.toMillis() / 1000.0, threads, readyMs, one[0], one[1],
                    FOLLOWING, next, eight[0], eight[1]);
        }
    }

    /** {@code streams} concurrent greedy requests: {slowest time to first token in ms, aggregate decode tokens/s}. */
    private static double[] run(PipelineClient client, int streams, int round) throws Exception {
        List<CompletableFuture<long[]>> done = new ArrayList<>();
        long sent = System.nanoTime();
        for (int i = 0; i < streams; i++) {
            int[] prompt = new int[PROMPT];
            for (int j = 0; j < PROMPT; j++) {
                prompt[j] = 1 + (31 * j + 7 * i + 101 * round) % 200;
            }
            TimedStream stream = new TimedStream(TOKENS);
            client.submit("cold-" + round + "-" + i, prompt, TOKENS, SamplingParams.greedy(), stream);
            done.add(stream.done);
        }
        List<long[]> times = new ArrayList<>();
        long firstToken = 0;
        for (CompletableFuture<long[]> f : done) {
            long[] t = f.get(300, TimeUnit.SECONDS);
            times.add(t);
            firstToken = Math.max(firstToken, t[0]);
        }
        double ttftMs = (firstToken - sent) / 1e6;
        return new double[] {ttftMs, TimedStream.spanTokensPerSecond(times)};
    }
}
