package io.laminar.app;

import io.laminar.actors.MemberReadiness;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.metrics.LaminarMetrics;
import io.laminar.app.http.Health;
import io.laminar.app.http.HealthSource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The health of a {@code laminar node}. Live whenever it answers: a member the cluster removed
 * starts a new incarnation by itself, which a restart would only delay. Ready as
 * {@link MemberReadiness} says for the running incarnation: Up, its stages warmed up and
 * registered, a scheduler of its model in the cluster (and, running the scheduler, the pipeline
 * whole).
 */
final class NodeHealth implements HealthSource {
    private static final Duration PROBE_WAIT = Duration.ofSeconds(2);

    private final RejoiningMember member;

    NodeHealth(RejoiningMember member) {
        this.member = member;
    }

    /** The running incarnation's metrics; null between incarnations. */
    PrometheusRegistry registry() {
        PipelineHost host = member.current();
        return host == null ? null : LaminarMetrics.get(host.system()).registry();
    }

    @Override
    public Health live() {
        PipelineHost host = member.current();
        return Health.of(List.of(new Health.Check("process", true, host == null
                ? "starting, or between two incarnations (it joins again by itself)"
                : "member " + host.system().address() + " running")));
    }

    @Override
    public Health ready() {
        PipelineHost host = member.current();
        if (host == null) {
            return Health.of(List.of(new Health.Check("member", false,
                    "starting, or between two incarnations (it joins again by itself)")));
        }
        try {
            MemberReadiness.Result r = MemberReadiness.of(host, member.settings(), PROBE_WAIT)
                    .toCompletableFuture().get(PROBE_WAIT.toSeconds() + 1, TimeUnit.SECONDS);
            return Health.of(List.of(new Health.Check("member", r.ready(), r.detail())));
        } catch (ExecutionException | TimeoutException e) {
            return Health.of(List.of(new Health.Check("member", false, "no answer from the actor system: " + e)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.of(List.of(new Health.Check("member", false, "interrupted")));
        }
    }
}
