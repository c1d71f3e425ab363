package io.laminar.app.http.openai;

import io.laminar.schemas.EventType;
import io.laminar.schemas.ResponseEvent;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One request the door has sent and waits on: the {@link ResponseRouter} puts its events in, the
 * HTTP exchange takes them out. Repeats (a request served again after a crash writes the same
 * events again) are dropped here: a TOKEN whose index was seen, a second final event.
 */
final class PendingRequest {
    /** What the exchange takes: an event from Kafka, or the door's own failure to send the request. */
    record Arrival(ResponseEvent event, ApiError failure) {
    }

    private final String id;
    private final BlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
    /** Touched by the router's thread only. */
    private int nextToken;
    private boolean ended;

    PendingRequest(String id) {
        this.id = id;
    }

    String id() {
        return id;
    }

    /** On the router's thread. */
    void offer(ResponseEvent e) {
        if (ended) {
            return;
        }
        switch (e.getType()) {
            case TOKEN -> {
                if (e.getToken().getTokenIndex() < nextToken) {
                    return;
                }
                nextToken = e.getToken().getTokenIndex() + 1;
            }
            case FINISH, ERROR -> ended = true;
            default -> {
                return;
            }
        }
        arrivals.add(new Arrival(e, null));
    }

    /** The request never reached Kafka. */
    void fail(ApiError failure) {
        arrivals.add(new Arrival(null, failure));
    }

    /** The next arrival, or null when none came within the time. */
    Arrival next(long timeoutNanos) throws InterruptedException {
        return arrivals.poll(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    static boolean ends(Arrival a) {
        return a.failure() != null || a.event().getType() == EventType.FINISH || a.event().getType() == EventType.ERROR;
    }
}
