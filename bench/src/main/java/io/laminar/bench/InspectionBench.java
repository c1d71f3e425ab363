package io.laminar.bench;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.inspect.AttentionStore;
import io.laminar.model.bench.ThroughputBenchmark;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What an inspected request costs the requests beside it (docs/dashboard.md): the aggregate decode
 * rate of {@value #STREAMS} unmarked greedy streams through 2 in-process stages, with a fifth stream
 * beside them that is (a) not marked and (b) marked for inspection, so that the batches have the same
 * shape and only the capture differs; and (c) the {@value #STREAMS} alone, for scale. The
 * configurations alternate within each repetition, so a slow minute of a shared machine lands on all.
 * Usage: {@code InspectionBench MODEL [threads] [tokens] [repetitions]}. Prints the medians and each
 * repetition's values.
 */
public final class InspectionBench {
    /** Unmarked streams whose decode rate is measured. */
    private static final int STREAMS = 4;

    public static void main(String[] args) throws Exception {
        StreamBenchArgs parsed = StreamBenchArgs.parse(args);
        int tokens = parsed.tokens();
        int reps = parsed.repetitions();
        System.out.printf(Locale.ROOT, "model %s, %d thread(s), 2 stages, %d unmarked streams of %d tokens, %d repetitions%n",
                parsed.model().getFileName(), parsed.threads(), STREAMS, tokens, reps);
        HostSettings settings = HostSettings.local(parsed.model(), List.of(LayerRange.split(parsed.layers(), 2)),
                        parsed.threads())
                .withBatch(128, STREAMS + 1, tokens + 64);
        double[] besidePlain = new double[reps];
        double[] besideInspected = new double[reps];
        double[] alone = new double[reps];
        try (PipelineHost host = PipelineHost.start(settings)) {
            PipelineClient client = new PipelineClient(host.system(), host.scheduler());
            client.awaitReady(Duration.ofSeconds(60));
            for (int r = -1; r < reps; r++) { // round -1 warms the JIT up and is not counted
                double plain = unmarkedRate(client, r, tokens, Companion.PLAIN);
                double inspected = unmarkedRate(client, r, tokens, Companion.INSPECTED);
                double none = unmarkedRate(client, r, tokens, Companion.NONE);
                if (r >= 0) {
                    besidePlain[r] = plain;
                    besideInspected[r] = inspected;
                    alone[r] = none;
                    System.out.printf(Locale.ROOT, "  repetition %d: beside unmarked %.1f, beside inspected %.1f,"
                            + " alone %.1f tokens/s%n", r, plain, inspected, none);
                }
            }
            System.out.printf(Locale.ROOT, "  inspected requests kept: %d%n", AttentionStore.get(host.system()).recent().size());
        }
        double p = ThroughputBenchmark.median(besidePlain);
        double i = ThroughputBenchmark.median(besideInspected);
        // Each repetition's two runs are seconds apart: their ratio cancels most of the host's swings.
        double[] ratios = new double[reps];
        for (int r = 0; r < reps; r++) {
            ratios[r] = besideInspected[r] / besidePlain[r];
        }
        System.out.printf(Locale.ROOT, "%d unmarked streams decode: %.1f tokens/s beside an unmarked one, %.1f beside an"
                + " inspected one (%+.1f%%), %.1f alone; median of the repetitions' ratios %.3f%n", STREAMS, p, i,
                (i / p - 1) * 100, ThroughputBenchmark.median(alone), ThroughputBenchmark.median(ratios));
    }

    private enum Companion { NONE, PLAIN, INSPECTED }

    /**
     * Runs {@value #STREAMS} unmarked greedy streams, and a companion stream of the same length, and
     * returns the unmarked streams' aggregate rate while all of them decode.
     */
    private static double unmarkedRate(PipelineClient client, int rep, int tokens, Companion companion) throws Exception {
        String tag = "r" + rep + "-" + companion.name().toLowerCase(Locale.ROOT);
        TimedStream beside = new TimedStream(tokens);
        if (companion != Companion.NONE) {
            client.submit(tag + "-companion", new int[] {1, 77, 300 + rep + 1}, tokens, SamplingParams.greedy(),
                    beside, companion == Companion.INSPECTED);
        }
        List<CompletableFuture<long[]>> done = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            TimedStream stream = new TimedStream(tokens);
            client.submit(tag + "-" + s, new int[] {1, 100 + s, 200 + rep + 1}, tokens, SamplingParams.greedy(), stream);
            done.add(stream.done);
        }
        List<long[]> times = new ArrayList<>();
        for (CompletableFuture<long[]> f : done) {
            times.add(f.get(10, TimeUnit.MINUTES));
        }
        if (companion != Companion.NONE) {
            beside.done.get(10, TimeUnit.MINUTES); // so that the next configuration starts on an idle pipeline
        }
        return TimedStream.steadyTokensPerSecond(times);
    }
}
