package io.laminar.actors.gateway;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OffsetTrackerTest {
    final TopicPartition p0 = new TopicPartition("t", 0);

    @Test
    void commitsOnlyUpToTheOldestUnfinishedRecord() {
        OffsetTracker t = new OffsetTracker();
        t.started(p0, 10);
        t.started(p0, 11);
        t.started(p0, 12);
        assertEquals(10, t.committable(p0));
        t.finished(p0, 11);
        assertEquals(10, t.committable(p0), "11 finished first, but 10 is still running");
        t.finished(p0, 10);
        assertEquals(12, t.committable(p0));
        t.finished(p0, 12);
        assertEquals(13, t.committable(p0));
        assertEquals(0, t.inFlightCount());
    }
}
