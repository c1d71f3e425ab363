package io.laminar.actors.scheduler;

import java.time.Duration;
import java.util.function.IntPredicate;

/**
 * How a scheduler batches and admits.
 *
 * @param modelId          the model whose stages it looks for
 * @param endOfGeneration  token ids that end a sequence
 * @param lanes            micro-batches kept in flight at once; 0 means one per stage, which keeps
 *                         every stage busy when enough sequences run
 * @param admissionTimeout how long a request waits for a pipeline that is not ready before failing
 */
public record SchedulerSettings(String modelId, IntPredicate endOfGeneration, int lanes, Duration admissionTimeout) {
    public static final Duration DEFAULT_ADMISSION_TIMEOUT = Duration.ofSeconds(30);

    public static SchedulerSettings defaults(String modelId, IntPredicate endOfGeneration) {
        return new SchedulerSettings(modelId, endOfGeneration, 0, DEFAULT_ADMISSION_TIMEOUT);
    }

    public SchedulerSettings withLanes(int lanes) {
        return new SchedulerSettings(modelId, endOfGeneration, lanes, admissionTimeout);
    }

    public SchedulerSettings withAdmissionTimeout(Duration timeout) {
        return new SchedulerSettings(modelId, endOfGeneration, lanes, timeout);
    }
}
