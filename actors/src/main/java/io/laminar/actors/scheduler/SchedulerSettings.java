package io.laminar.actors.scheduler;

import io.laminar.actors.placement.PlacementPlan.ModelFootprint;

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
 * @param footprint        bytes per layer, for placing layers on nodes that offer memory budgets
 * @param placementSettle  how long offers must be unchanged before the plan is made, so nodes
 *                         started together are placed together
 * @param draftTokens      the most tokens drafted by prompt lookup per sequence and step (speculative
 *                         decoding, {@link io.laminar.model.generate.PromptLookup}); 0 turns it off
 */
public record SchedulerSettings(String modelId, IntPredicate endOfGeneration, int lanes, Duration admissionTimeout,
                                ModelFootprint footprint, Duration placementSettle, int draftTokens) {
    public static final long DEFAULT_ADMISSION_TIMEOUT_SECONDS = 30;
    public static final Duration DEFAULT_ADMISSION_TIMEOUT = Duration.ofSeconds(DEFAULT_ADMISSION_TIMEOUT_SECONDS);
    public static final Duration DEFAULT_PLACEMENT_SETTLE = Duration.ofSeconds(2);

    /** Without speculative decoding. */
    public SchedulerSettings(String modelId, IntPredicate endOfGeneration, int lanes, Duration admissionTimeout,
                             ModelFootprint footprint, Duration placementSettle) {
        this(modelId, endOfGeneration, lanes, admissionTimeout, footprint, placementSettle, 0);
    }

    public static SchedulerSettings defaults(String modelId, IntPredicate endOfGeneration, ModelFootprint footprint) {
        return new SchedulerSettings(modelId, endOfGeneration, 0, DEFAULT_ADMISSION_TIMEOUT, footprint,
                DEFAULT_PLACEMENT_SETTLE, 0);
    }

    public SchedulerSettings withLanes(int lanes) {
        return new SchedulerSettings(modelId, endOfGeneration, lanes, admissionTimeout, footprint, placementSettle,
                draftTokens);
    }

    public SchedulerSettings withAdmissionTimeout(Duration timeout) {
        return new SchedulerSettings(modelId, endOfGeneration, lanes, timeout, footprint, placementSettle, draftTokens);
    }

    public SchedulerSettings withDraftTokens(int draftTokens) {
        return new SchedulerSettings(modelId, endOfGeneration, lanes, admissionTimeout, footprint, placementSettle,
                draftTokens);
    }
}
