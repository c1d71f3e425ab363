package io.laminar.actors.gateway;

import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The request ids a gateway is serving or served within its {@link DuplicateWindow}, each with the
 * record it came in. A request id names one stream of events: clients drop repeated events by
 * (request id, token index), so a second request under the same id would be spliced into the
 * first. Ids of requests that ended with an error before any token was sent are forgotten, so such
 * a request may be sent again under its id. Used by one actor: not thread-safe.
 */
final class RecentRequestIds {
    /** Where a record was read: topic-partition@offset. */
    record Source(TopicPartition partition, long offset) {
        @Override
        public String toString() {
            return partition + "@" + offset;
        }
    }

    /** What the gateway knows of an id: the record that took it, and whether it is still served. */
    record Known(Source source, boolean inFlight) {
    }

    private record Finished(Source source, long atMs) {
    }

    private final DuplicateWindow window;
    private final Map<String, Source> inFlight = new HashMap<>();
    /** In the order the requests finished, oldest first. */
    private final LinkedHashMap<String, Finished> finished = new LinkedHashMap<>();

    RecentRequestIds(DuplicateWindow window) {
        this.window = window;
    }

    DuplicateWindow window() {
        return window;
    }

    /** The request that holds {@code id}, if one is served or finished within the window. */
    Optional<Known> find(String id, long nowMs) {
        Source running = inFlight.get(id);
        if (running != null) {
            return Optional.of(new Known(running, true));
        }
        expire(nowMs);
        Finished f = finished.get(id);
        return f == null ? Optional.empty() : Optional.of(new Known(f.source(), false));
    }

    /** A request with {@code id}, read from {@code source}, is being served. */
    void started(String id, Source source) {
        inFlight.put(id, source);
    }

    /** The request holding {@code id} finished: its id is remembered for the window. */
    void finished(String id, long nowMs) {
        Source source = inFlight.remove(id);
        if (source != null) {
            finished.remove(id);
            finished.put(id, new Finished(source, nowMs));
        }
        expire(nowMs);
    }

    /** The request holding {@code id} ended without a stream worth protecting: the id is free again. */
    void forget(String id) {
        inFlight.remove(id);
    }

    int inFlightCount() {
        return inFlight.size();
    }

    int finishedCount() {
        return finished.size();
    }

    private void expire(long nowMs) {
        long oldest = nowMs - window.age().toMillis();
        Iterator<Finished> it = finished.values().iterator();
        while (it.hasNext()) {
            Finished f = it.next();
            if (finished.size() > window.ids() || f.atMs() <= oldest) {
                it.remove();
            } else {
                return;
            }
        }
    }

    /**
     * Why a record with the id of {@code earlier} is refused. Serving it would put a second stream
     * of events under that id, which clients, dropping repeats by (request id, token index), would
     * splice into the first; the first goes on untouched.
     */
    String duplicateMessage(String requestId, Known earlier, Source refused, String alsoInvalid) {
        return "request id '" + requestId + "' "
                + (earlier.inFlight() ? "is being served by this gateway" : "was served by this gateway within "
                + "its duplicate window (" + window() + ")") + ", from record " + earlier.source()
                + "; this record (" + refused + ") is not served and "
                + "the original's stream is unaffected; send a new request under a new id"
                + (alsoInvalid == null ? "" : "; the record is invalid too (" + alsoInvalid + ")");
    }
}
