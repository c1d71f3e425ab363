package io.laminar.bench;

import io.laminar.actors.SequenceListener;
import io.laminar.actors.scheduler.SequenceEvent;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A request's listener for the benchmarks: records when each of its first {@code tokens} tokens
 * arrived ({@link System#nanoTime}), and completes {@link #done} with those times, or exceptionally
 * when the request fails or stops before {@code tokens} tokens.
 */
final class TimedStream implements SequenceListener {
    /** Completes with the arrival time of token {@code i} at index {@code i}. */
    final CompletableFuture<long[]> done = new CompletableFuture<>();
    private final long[] times;

    TimedStream(int tokens) {
        this.times = new long[tokens];
    }

    @Override
    public void onToken(int index, int tokenId) {
        long now = System.nanoTime();
        if (index < times.length) {
            times[index] = now;
        }
    }

    @Override
    public void onFinished(SequenceEvent.Finished finished) {
        if (finished.generatedTokens() < times.length) {
            done.completeExceptionally(new IllegalStateException("stream stopped early at "
                    + finished.generatedTokens() + " tokens (" + finished.reason() + ")"));
        } else {
            done.complete(times);
        }
    }

    @Override
    public void onFailed(SequenceEvent.Failed failed) {
        done.completeExceptionally(new IllegalStateException(failed.message()));
    }

    /**
     * Decode tokens per second of all streams together over the window in which every one of them
     * was decoding: from the latest first token to the earliest last token, counting the tokens that
     * arrived in it. This is what llama.cpp's batched reference times (its prompts go in one untimed
     * call first); without the window, the steps in which later requests join with their prompts
     * count against the streams that were already decoding. For one stream it is
     * {@code (tokens - 1) / (last - first)}.
     */
    static double steadyTokensPerSecond(List<long[]> streams) {
        long from = Long.MIN_VALUE;
        long to = Long.MAX_VALUE;
        for (long[] t : streams) {
            from = Math.max(from, t[0]);
            to = Math.min(to, t[t.length - 1]);
        }
        if (to <= from) {
            throw new IllegalStateException("the streams never decoded all at once");
        }
        long tokens = 0;
        for (long[] t : streams) {
            for (long at : t) {
                if (at > from && at <= to) {
                    tokens++;
                }
            }
        }
        return tokens * 1e9 / (to - from);
    }

    /**
     * Tokens per second from the first token of any stream to the last token of the slowest: every
     * stream's tokens after its first, over that span (joins included).
     */
    static double spanTokensPerSecond(List<long[]> streams) {
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long tokens = 0;
        for (long[] t : streams) {
            first = Math.min(first, t[0]);
            last = Math.max(last, t[t.length - 1]);
            tokens += t.length - 1;
        }
        return tokens * 1e9 / (last - first);
    }
}
