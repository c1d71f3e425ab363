package io.laminar.actors.gateway;

import akka.actor.typed.ActorSystem;
import io.laminar.actors.inspect.AttentionStore;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.schemas.InferenceRequest;

/**
 * Requests with {@code inspect: true}: the gateway that runs one keeps its attention weights in its
 * process's {@link AttentionStore}, under the caller's request id, for the HTTP endpoint there.
 */
final class GatewayInspection {
    private GatewayInspection() {
    }

    /** {@code submit}, marked for inspection when the request asks for it. */
    static PipelineScheduler.Submit mark(ActorSystem<?> system, Session s, InferenceRequest req,
                                         PipelineScheduler.Submit submit) {
        if (!Boolean.TRUE.equals(req.getInspect())) {
            return submit;
        }
        AttentionStore.Started started = AttentionStore.get(system).start(system, s.requestId,
                submit.promptIds().length);
        s.inspection = started.inspection();
        return submit.inspectedBy(started.collector());
    }

    /** Its last event is written: readers of the store see it ended. */
    static void finished(Session s) {
        if (s.inspection != null) {
            s.inspection.finish();
        }
    }
}
