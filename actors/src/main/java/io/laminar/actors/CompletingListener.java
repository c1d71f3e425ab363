package io.laminar.actors;

import io.laminar.actors.scheduler.SequenceEvent;

import java.util.concurrent.CompletableFuture;

/**
 * A listener whose {@link #end} completes with the request's last event, Finished or Failed, for a
 * caller that waits for the request; what it does with the tokens is the subclass's.
 */
public abstract class CompletingListener implements SequenceListener {
    public final CompletableFuture<SequenceEvent> end = new CompletableFuture<>();

    @Override
    public void onFinished(SequenceEvent.Finished finished) {
        end.complete(finished);
    }

    @Override
    public void onFailed(SequenceEvent.Failed failed) {
        end.complete(failed);
    }
}
