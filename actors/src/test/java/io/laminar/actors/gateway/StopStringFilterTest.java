package io.laminar.actors.gateway;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringFilterTest {
    static List<String> run(StopStringFilter f, String... pieces) {
        List<String> out = new ArrayList<>();
        int i = 0;
        for (String p : pieces) {
            for (StopStringFilter.Released r : f.accept(i, 100 + i, p)) {
                assertEquals(out.size(), r.index(), "indices stay contiguous");
                out.add(r.text());
            }
            i++;
        }
        if (!f.stopped()) {
            for (StopStringFilter.Released r : f.flush()) {
                out.add(r.text());
            }
        }
        return out;
    }

    @Test
    void withoutStopStringsEveryTokenPassesAtOnce() {
        StopStringFilter f = new StopStringFilter(List.of());
        assertEquals(1, f.accept(0, 1, "Hello").size());
        assertEquals(1, f.accept(1, 2, " world").size());
    }

    @Test
    void aStopStringAcrossTokensIsCutAndNotSent() {
        StopStringFilter f = new StopStringFilter(List.of("END"));
        List<String> out = run(f, "The", " story", " E", "ND", " more");
        assertTrue(f.stopped());
        assertEquals(List.of("The", " story", " "), out);
    }

    @Test
    void heldBackTextIsReleasedWhenItTurnsOutNotToBeAStop() {
        StopStringFilter f = new StopStringFilter(List.of("\n\n"));
        assertEquals(0, f.accept(0, 1, "a\n").size(), "a trailing newline might start the stop string");
        List<StopStringFilter.Released> r = f.accept(1, 2, "b");
        assertEquals(2, r.size());
        assertEquals("a\n", r.get(0).text());
        assertFalse(f.stopped());
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        StopStringFilter f = new StopStringFilter(List.of("world", "lo w"));
        assertEquals(List.of("Hel"), run(f, "Hello world"));
    }

    @Test
    void flushReleasesWhatWasHeld() {
        StopStringFilter f = new StopStringFilter(List.of("STOP"));
        assertEquals(List.of("go ", "ST"), run(f, "go ", "ST"));
    }
}
