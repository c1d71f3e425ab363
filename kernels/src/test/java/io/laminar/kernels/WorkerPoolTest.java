package io.laminar.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WorkerPoolTest {
    /**
     * Many short jobs back to back, so that workers often arrive late (after the caller has taken every
     * part, or while it is already setting up the next job): every part must still run exactly once.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void everyPartRunsExactlyOnceAcrossManyJobs() {
        for (int threads = 2; threads <= 3; threads++) {
            try (WorkerPool pool = new WorkerPool(threads, "test-pool")) {
                SplittableRandom random = new SplittableRandom(threads);
                for (int job = 0; job < 50_000; job++) {
                    int parts = 1 + random.nextInt(12);
                    AtomicIntegerArray runs = new AtomicIntegerArray(parts);
                    pool.run(parts, runs::incrementAndGet);
                    for (int p = 0; p < parts; p++) {
                        assertEquals(1, runs.get(p), "threads=" + threads + " job=" + job + " part=" + p);
                    }
                }
            }
        }
    }

    @Test
    void aPartsExceptionReachesTheCallerAfterTheOtherParts() {
        try (WorkerPool pool = new WorkerPool(2, "test-pool")) {
            AtomicIntegerArray runs = new AtomicIntegerArray(8);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(8, p -> {
                runs.incrementAndGet(p);
                if (p == 5) {
                    throw new IllegalStateException("boom in part 5");
                }
            }));
            assertEquals("boom in part 5", e.getMessage());
            for (int p = 0; p < 8; p++) {
                assertEquals(1, runs.get(p), "part " + p);
            }
            IllegalStateException two = assertThrows(IllegalStateException.class, () -> pool.run(8, p -> {
                if (p == 2 || p == 6) {
                    throw new IllegalStateException("boom in part " + p);
                }
            }));
            assertEquals(1, two.getSuppressed().length, "the other failure travels with the first");
        }
    }
}
