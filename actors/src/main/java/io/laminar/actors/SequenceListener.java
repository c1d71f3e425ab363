package io.laminar.actors;

import io.laminar.actors.scheduler.SequenceEvent;

/** Receives one request's events. Called from an actor: return quickly, never block. */
public interface SequenceListener {
    void onToken(int index, int tokenId);

    void onFinished(SequenceEvent.Finished finished);

    void onFailed(SequenceEvent.Failed failed);
}
