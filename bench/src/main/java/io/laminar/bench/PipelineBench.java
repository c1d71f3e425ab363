package io.laminar.bench;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.SequenceListener;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline's costs, measured through the actors (the serving path):
 * <ol>
 *   <li>single-stream decode through 1 and 2 in-process stages: milliseconds per token;</li>
 *   <li>aggregate tokens/s of 8 concurrent streams against a single stream (1 stage).</li>
 * </ol>
 * Usage: {@code PipelineBench MODEL [threads] [tokens] [repetitions]}. Prints medians of the
 * repetitions and the ratios the project tracks.
 */
public final class PipelineBench {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int layers;
        try (var f = io.laminar.model.gguf.GgufFile.open(model)) {
            layers = io.laminar.model.arch.ModelConfig.fromGguf(f).layers();
        }
        System.out.printf(Locale.ROOT, "model %s, %d thread(s), %d tokens per stream, %d repetitions%n",
                model.getFileName(), threads, tokens, reps);

        double oneStage = medianMsPerToken(model, new LayerRange[] {new LayerRange(0, layers)}, threads, tokens, reps, 1);
        double twoStages = medianMsPerToken(model, LayerRange.split(layers, 2), threads, tokens, reps, 1);
        System.out.printf(Locale.ROOT, "(a) single stream: 1 stage %.2f ms/token, 2 stages %.2f ms/token, overhead %+.1f%%%n",
                oneStage, twoStages, (twoStages / oneStage - 1) * 100);

        double single = 1000 / oneStage;
        double eight = 8 * 1000 / medianMsPerToken(model, new LayerRange[] {new LayerRange(0, layers)}, threads, tokens,
                reps, 8);
        System.out.printf(Locale.ROOT, "(b) aggregate: 1 stream %.1f tokens/s, 8 streams %.1f tokens/s, ratio %.2fx%n",
                single, eight, eight / single);
    }

    /**
     * Runs {@code streams} concurrent greedy requests of {@code tokens} tokens, {@code reps} times,
     * and returns the median wall milliseconds per decode step (time between first and last token
     * of the slowest stream, divided by tokens - 1).
     */
    static double medianMsPerToken(Path model, LayerRange[] stages, int threads, int tokens, int reps, int streams)
            throws Exception {
        HostSettings s = HostSettings.local(model, List.of(stages), threads).withBatch(128, Math.max(streams, 1),
                tokens + 64);
        double[] samples = new double[reps];
        try (PipelineHost host = PipelineHost.start(s)) {
            PipelineClient client = new PipelineClient(host.system(), host.scheduler());
            client.awaitReady(Duration.ofSeconds(60));
            for (int r = -1; r < reps; r++) {
                double ms = run(client, streams, tokens, r);
                if (r >= 0) {
                    samples[r] = ms;
                }
            }
        }
        Arrays.sort(samples);
        return samples[reps / 2];
    }

    private static double run(PipelineClient client, int streams, int tokens, int rep) throws Exception {
        List<CompletableFuture<long[]>> done = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            CompletableFuture<long[]> f = new CompletableFuture<>();
            long[] firstLast = new long[2];
            int[] prompt = {1, 100 + i, 200 + rep + 1};
            client.submit("bench-" + rep + "-" + i, prompt, tokens, SamplingParams.greedy(), new SequenceListener() {
                @Override
                public void onToken(int index, int tokenId) {
                    long now = System.nanoTime();
                    if (index == 0) {
                        firstLast[0] = now;
                    }
                    firstLast[1] = now;
                }

                @Override
                public void onFinished(SequenceEvent.Finished finished) {
                    if (finished.generatedTokens() < tokens) {
                        f.completeExceptionally(new IllegalStateException("stream stopped early at "
                                + finished.generatedTokens() + " tokens (" + finished.reason() + ")"));
                    }
                    f.complete(firstLast);
                }

                @Override
                public void onFailed(SequenceEvent.Failed failed) {
                    f.completeExceptionally(new IllegalStateException(failed.message()));
                }
            });
            done.add(f);
        }
        long first = Long.MAX_VALUE;
        long last = 0;
        for (CompletableFuture<long[]> f : done) {
            long[] fl = f.get(10, TimeUnit.MINUTES);
            first = Math.min(first, fl[0]);
            last = Math.max(last, fl[1]);
        }
        return (last - first) / 1e6 / (tokens - 1);
    }
}
