package io.laminar.model.bench;

import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.exec.TokenBatch;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * Measures prompt processing and generation speed the way llama-bench does: {@code ppN} runs one
 * prompt of N random tokens from an empty cache (logits for the last token only), {@code tgN}
 * decodes N tokens one step at a time from an empty cache (logits every step, no sampling). One
 * warm-up run of each precedes the measured repetitions.
 */
public final class ThroughputBenchmark {
    private final LocalPipeline pipeline;
    private final SplittableRandom random = new SplittableRandom(1234);
    private final float[] logits;

    public ThroughputBenchmark(LocalPipeline pipeline) {
        this.pipeline = pipeline;
        this.logits = new float[pipeline.config().vocabSize()];
    }

    /** Tokens per second of each repetition of {@code ppN}. */
    public double[] promptProcessing(int tokens, int repetitions) {
        if (tokens > pipeline.maxBatch()) {
            throw new IllegalArgumentException("pp" + tokens + " needs a batch of " + tokens + " but the pipeline's is "
                    + pipeline.maxBatch());
        }
        TokenBatch batch = new TokenBatch(tokens);
        return rates(repetitions, tokens, () -> {
            batch.clear();
            for (int i = 0; i < tokens; i++) {
                batch.add(randomToken(), 0, i, i == tokens - 1);
            }
            pipeline.reserve(0, tokens);
            long start = System.nanoTime();
            pipeline.step(batch, logits);
            long nanos = System.nanoTime() - start;
            pipeline.release(0);
            return nanos;
        });
    }

    /** Tokens per second of each repetition of {@code tgN}. */
    public double[] generation(int tokens, int repetitions) {
        TokenBatch batch = new TokenBatch(1);
        return rates(repetitions, tokens, () -> {
            pipeline.reserve(0, tokens);
            long start = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                batch.clear();
                batch.add(randomToken(), 0, i, true);
                pipeline.step(batch, logits);
            }
            long nanos = System.nanoTime() - start;
            pipeline.release(0);
            return nanos;
        });
    }

    /**
     * Aggregate tokens per second of each repetition of {@code streams} sequences decoding
     * {@code tokens} tokens each in lockstep: one step carries one token of every sequence (logits for
     * all), as a scheduler's decode steps do once every sequence is past its prompt.
     */
    public double[] batchedGeneration(int streams, int tokens, int repetitions) {
        if (streams > pipeline.maxBatch()) {
            throw new IllegalArgumentException(streams + " streams need a batch of " + streams + " but the pipeline's is "
                    + pipeline.maxBatch());
        }
        TokenBatch batch = new TokenBatch(streams);
        float[] all = new float[streams * pipeline.config().vocabSize()];
        return rates(repetitions, (double) streams * tokens, () -> {
            for (int s = 0; s < streams; s++) {
                if (!pipeline.reserve(s, tokens)) {
                    throw new IllegalStateException("the KV cache cannot hold " + streams + " sequences of " + tokens
                            + " tokens (context " + pipeline.context() + ")");
                }
            }
            long start = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                batch.clear();
                for (int s = 0; s < streams; s++) {
                    batch.add(randomToken(), s, i, true);
                }
                pipeline.step(batch, all);
            }
            long nanos = System.nanoTime() - start;
            for (int s = 0; s < streams; s++) {
                pipeline.release(s);
            }
            return nanos;
        });
    }

    /**
     * Tokens per second of each of {@code repetitions} rounds, after one more first that warms the JIT
     * up and is not counted; {@code round} runs one and returns the nanoseconds of its timed part.
     */
    private static double[] rates(int repetitions, double tokensPerRound, LongSupplier round) {
        double[] rates = new double[repetitions];
        for (int r = -1; r < repetitions; r++) {
            long nanos = round.getAsLong();
            if (r >= 0) {
                rates[r] = tokensPerRound * 1e9 / nanos;
            }
        }
        return rates;
    }

    private int randomToken() {
        return random.nextInt(pipeline.config().vocabSize());
    }

    public static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Half the distance between the smallest and largest sample. */
    public static double halfRange(double[] xs) {
        return (Arrays.stream(xs).max().orElse(0) - Arrays.stream(xs).min().orElse(0)) / 2;
    }
}
