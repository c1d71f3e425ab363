package io.laminar.actors.gateway;

import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which offsets of each partition may be committed: the records a gateway has read are done only
 * when their request's last event is written, and they finish out of order; the committable
 * position of a partition is its smallest unfinished offset (or one past the largest read when
 * none is unfinished). A crash before a record is done means it is read again.
 */
final class OffsetTracker {
    private final Map<TopicPartition, TreeSet<Long>> inFlight = new HashMap<>();
    private final Map<TopicPartition, Long> nextToRead = new HashMap<>();

    /** A record was read. */
    void started(TopicPartition tp, long offset) {
        inFlight.computeIfAbsent(tp, k -> new TreeSet<>()).add(offset);
        nextToRead.merge(tp, offset + 1, Math::max);
    }

    /** A record's request is complete (its final event or error is written). */
    void finished(TopicPartition tp, long offset) {
        TreeSet<Long> set = inFlight.get(tp);
        if (set != null) {
            set.remove(offset);
        }
    }

    /** Forgets a partition that was revoked. */
    void forget(TopicPartition tp) {
        inFlight.remove(tp);
        nextToRead.remove(tp);
    }

    /** The offset to commit for {@code tp}: everything before it is done. */
    long committable(TopicPartition tp) {
        TreeSet<Long> set = inFlight.get(tp);
        if (set != null && !set.isEmpty()) {
            return set.first();
        }
        return nextToRead.getOrDefault(tp, 0L);
    }

    /** Committable positions of every partition seen. */
    Map<TopicPartition, Long> committable() {
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition tp : nextToRead.keySet()) {
            out.put(tp, committable(tp));
        }
        return out;
    }

    int inFlightCount() {
        int n = 0;
        for (TreeSet<Long> s : inFlight.values()) {
            n += s.size();
        }
        return n;
    }
}
