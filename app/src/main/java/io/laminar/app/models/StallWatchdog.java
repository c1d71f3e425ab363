package io.laminar.app.models;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.time.Duration;

/**
 * Closes the body when no byte has arrived for the stall timeout, so a read blocked on a dead
 * connection (which {@link HttpRequest#timeout} does not cover once the headers are in) fails
 * instead of hanging forever. A virtual thread checks a few times per timeout.
 */
final class StallWatchdog implements AutoCloseable {
    private final Thread thread;
    private volatile long lastProgressNs = System.nanoTime();
    private volatile boolean fired;

    StallWatchdog(Duration timeout, InputStream body) {
        long limitNs = timeout.toNanos();
        long tickMs = Math.clamp(timeout.toMillis() / 4, 10, 1000);
        thread = Thread.ofVirtual().name("laminar-download-watchdog").start(() -> {
            try {
                while (System.nanoTime() - lastProgressNs <= limitNs) {
                    Thread.sleep(tickMs);
                }
                fired = true;
                body.close();
            } catch (InterruptedException | IOException e) {
                // Interrupted: the download ended. IOException: the body is closed either way.
            }
        });
    }

    void progressed() {
        lastProgressNs = System.nanoTime();
    }

    boolean fired() {
        return fired;
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
