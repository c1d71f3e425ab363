package io.laminar.actors.gateway;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecentRequestIdsTest {
    static final TopicPartition TP = new TopicPartition("requests", 0);

    static RecentRequestIds.Source at(long offset) {
        return new RecentRequestIds.Source(TP, offset);
    }

    @Test
    void anIdIsHeldWhileServedAndRememberedAfter() {
        RecentRequestIds ids = new RecentRequestIds(new DuplicateWindow(10, Duration.ofMinutes(1)));
        assertTrue(ids.find("a", 0).isEmpty());
        ids.started("a", at(3));
        assertEquals(new RecentRequestIds.Known(at(3), true), ids.find("a", 0).orElseThrow());
        ids.finished("a", 1_000);
        assertEquals(new RecentRequestIds.Known(at(3), false), ids.find("a", 2_000).orElseThrow());
        assertEquals("requests-0@3", at(3).toString());
    }

    @Test
    void finishedIdsAreForgottenAfterTheWindowsAge() {
        RecentRequestIds ids = new RecentRequestIds(new DuplicateWindow(10, Duration.ofSeconds(60)));
        ids.started("a", at(0));
        ids.finished("a", 1_000);
        assertTrue(ids.find("a", 60_999).isPresent());
        assertTrue(ids.find("a", 61_000).isEmpty());
        assertEquals(0, ids.finishedCount());
    }

    @Test
    void atMostTheWindowsCountOfFinishedIdsIsKeptOldestGoingFirst() {
        RecentRequestIds ids = new RecentRequestIds(new DuplicateWindow(3, Duration.ofHours(1)));
        for (int i = 0; i < 5; i++) {
            ids.started("r" + i, at(i));
            ids.finished("r" + i, i);
        }
        assertEquals(3, ids.finishedCount());
        assertTrue(ids.find("r0", 10).isEmpty());
        assertTrue(ids.find("r1", 10).isEmpty());
        assertTrue(ids.find("r2", 10).isPresent());
        assertTrue(ids.find("r4", 10).isPresent());
    }

    @Test
    void idsBeingServedAreHeldWhateverTheWindow() {
        RecentRequestIds ids = new RecentRequestIds(new DuplicateWindow(0, Duration.ZERO));
        ids.started("a", at(0));
        assertTrue(ids.find("a", Long.MAX_VALUE / 2).orElseThrow().inFlight());
        ids.finished("a", 5);
        assertTrue(ids.find("a", 5).isEmpty());
        assertEquals(0, ids.inFlightCount());
    }

    @Test
    void aForgottenIdIsFreeAtOnce() {
        RecentRequestIds ids = new RecentRequestIds(DuplicateWindow.DEFAULT);
        ids.started("a", at(0));
        ids.forget("a");
        assertFalse(ids.find("a", 0).isPresent());
        assertEquals(0, ids.finishedCount());
    }
}
