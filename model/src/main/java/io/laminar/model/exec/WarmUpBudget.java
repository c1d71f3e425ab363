package io.laminar.model.exec;

import java.time.Duration;

/**
 * How long a stage may warm up before it serves ({@link StageWarmUp}): at least {@code atLeast}, at
 * most {@code atMost}, and in between only until the JIT has settled. How long the JIT needs depends
 * on the model, the machine and what else the process compiles (on 2 vCPUs a 110M model needs 6-9 s,
 * most of it in the first, cold round), so a fixed time is either too short, and the first requests
 * decode at half speed, or longer than needed.
 *
 * @param atLeast the warm-up runs this long even when the JIT settled sooner (tests use it to pin the time)
 * @param atMost  the warm-up stops after this long even when the JIT is still compiling (zero: no warm-up)
 */
public record WarmUpBudget(Duration atLeast, Duration atMost) {
    /** No warm-up: the stage serves at once, on cold code. */
    public static final WarmUpBudget NONE = new WarmUpBudget(Duration.ZERO, Duration.ZERO);

    public WarmUpBudget {
        if (atLeast.isNegative() || atMost.isNegative() || atLeast.compareTo(atMost) > 0) {
            throw new IllegalArgumentException("warm-up of at least " + atLeast + " and at most " + atMost
                    + ": both must be non-negative, the least no more than the most");
        }
    }

    /** Until the JIT has settled, but no longer than {@code atMost}. */
    public static WarmUpBudget upTo(Duration atMost) {
        return new WarmUpBudget(Duration.ZERO, atMost);
    }

    /** For {@code duration}, whether or not the JIT settled sooner. */
    public static WarmUpBudget exactly(Duration duration) {
        return new WarmUpBudget(duration, duration);
    }

    public boolean isNone() {
        return atMost.isZero();
    }
}
