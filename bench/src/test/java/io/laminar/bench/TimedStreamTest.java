package io.laminar.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The two aggregate rates the pipeline benchmark reports, on hand-made arrival times (ns). */
class TimedStreamTest {
    @Test
    void oneStreamIsTokensAfterTheFirstOverItsSpan() {
        List<long[]> one = List.of(new long[] {0, 10, 20, 30});
        assertEquals(3e9 / 30, TimedStream.steadyTokensPerSecond(one), 1e-6);
        assertEquals(3e9 / 30, TimedStream.spanTokensPerSecond(one), 1e-6);
    }

    @Test
    void steadyRateCountsOnlyTheWindowWhereAllDecode() {
        // B joins at 15 and A ends at 40: in (15, 40] A delivers 20, 30, 40 and B 25, 35.
        List<long[]> two = List.of(new long[] {0, 10, 20, 30, 40}, new long[] {15, 25, 35, 45, 55});
        assertEquals(5e9 / 25, TimedStream.steadyTokensPerSecond(two), 1e-6);
        // From A's first token to B's last: 4 + 4 tokens after the firsts, over 55 ns.
        assertEquals(8e9 / 55, TimedStream.spanTokensPerSecond(two), 1e-6);
    }

    @Test
    void streamsThatNeverOverlapHaveNoSteadyRate() {
        List<long[]> apart = List.of(new long[] {0, 10}, new long[] {20, 30});
        assertThrows(IllegalStateException.class, () -> TimedStream.steadyTokensPerSecond(apart));
    }
}
