package io.laminar.bench;

import io.laminar.actors.SequenceListener;
import io.laminar.actors.scheduler.SequenceEvent;

import java.util.concurrent.CompletableFuture;

/**
 * A request's listener for the benchmarks: records when its first and last tokens arrived
 * ({@link System#nanoTime}), and completes {@link #done} with them, or exceptionally when the
 * request fails or stops before {@code tokens} tokens.
 */
final class TimedStream implements SequenceListener {
    /** Completes with {first token, last token} arrival times. */
    final CompletableFuture<long[]> done = new CompletableFuture<>();
    private final long[] firstLast = new long[2];
    private final int tokens;

    TimedStream(int tokens) {
        this.tokens = tokens;
    }

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
            done.completeExceptionally(new IllegalStateException("stream stopped early at "
                    + finished.generatedTokens() + " tokens (" + finished.reason() + ")"));
        } else {
            done.complete(firstLast);
        }
    }

    @Override
    public void onFailed(SequenceEvent.Failed failed) {
        done.completeExceptionally(new IllegalStateException(failed.message()));
    }
}
