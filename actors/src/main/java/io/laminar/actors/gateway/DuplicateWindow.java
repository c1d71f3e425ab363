package io.laminar.actors.gateway;

import java.time.Duration;

/**
 * How long a gateway remembers the ids of requests it has served, to refuse a request whose id it
 * served recently ({@code DUPLICATE_REQUEST}): at most {@code ids} ids, none for longer than
 * {@code age}, whichever bound is reached first. Ids of requests being served are always
 * remembered. The memory is the gateway's own, in its heap (about 200 bytes an id), and empty after
 * a restart.
 *
 * @param ids most finished request ids remembered; 0 remembers none
 * @param age how long after its request finished an id is remembered; zero remembers none
 */
public record DuplicateWindow(int ids, Duration age) {
    public static final int DEFAULT_IDS = 100_000;
    public static final long DEFAULT_AGE_SECONDS = 600;
    public static final Duration DEFAULT_AGE = Duration.ofSeconds(DEFAULT_AGE_SECONDS);
    public static final DuplicateWindow DEFAULT = new DuplicateWindow(DEFAULT_IDS, DEFAULT_AGE);

    public DuplicateWindow {
        if (ids < 0) {
            throw new IllegalArgumentException("a duplicate window of " + ids + " ids: must be at least 0");
        }
        if (age == null || age.isNegative()) {
            throw new IllegalArgumentException("a duplicate window of " + age + ": must be zero or more");
        }
    }

    @Override
    public String toString() {
        return ids + " ids, " + age.toSeconds() + " s";
    }
}
