package io.laminar.app.serve;

import io.laminar.actors.PipelineHost;
import io.laminar.actors.gateway.KafkaGateway;
import io.laminar.actors.metrics.LaminarMetrics;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.app.http.Health;
import io.laminar.app.http.HealthSource;
import io.laminar.app.kafka.KafkaReachability;
import io.laminar.app.kafka.KafkaSettings;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The health of a {@code serve} process, followed through its start-up. Live while the process
 * runs and its actor system (once started) has not stopped. Ready when the pipeline is whole
 * (every layer hosted by a registered stage, here or on stage nodes), the gateway reads the
 * requests topic, and a Kafka broker answers; a serve that waits for stage nodes is live but not
 * ready, and says which layers it waits for.
 */
public final class ServeHealth implements HealthSource, LaminarServer.Progress, AutoCloseable {
    /** How long a probe waits for the scheduler's status; with Kafka's, well within a 5 s probe timeout. */
    private static final int PROBE_WAIT_SECONDS = 2;

    private volatile KafkaSettings kafka;
    private volatile KafkaReachability reachability;
    private volatile PipelineHost pipeline;
    private volatile KafkaGateway gateway;
    private volatile boolean closed;

    @Override
    public void kafka(KafkaSettings settings) {
        this.kafka = settings;
        this.reachability = new KafkaReachability(settings);
        if (closed) {
            reachability.close();
        }
    }

    @Override
    public void pipeline(PipelineHost host) {
        this.pipeline = host;
    }

    @Override
    public void serving(KafkaGateway started) {
        this.gateway = started;
    }

    /** The metrics of the actor system, once it has started; null before. */
    public PrometheusRegistry registry() {
        PipelineHost p = pipeline;
        return p == null ? null : LaminarMetrics.get(p.system()).registry();
    }

    @Override
    public Health live() {
        PipelineHost p = pipeline;
        if (p != null && p.system().getWhenTerminated().toCompletableFuture().isDone()) {
            return Health.of(List.of(new Health.Check("actor system", false, "stopped")));
        }
        return Health.of(List.of(new Health.Check("process", true, p == null
                ? "starting (Kafka, topics, model)" : "actor system running")));
    }

    @Override
    public Health ready() {
        return Health.of(List.of(pipelineCheck(), gatewayCheck(), kafkaCheck()));
    }

    private Health.Check pipelineCheck() {
        PipelineHost p = pipeline;
        if (p == null) {
            return new Health.Check("pipeline", false, "starting: the model's stages are not up yet");
        }
        try {
            PipelineScheduler.Status s = p.status().toCompletableFuture().get(PROBE_WAIT_SECONDS, TimeUnit.SECONDS);
            return new Health.Check("pipeline", s.ready(), (s.ready() ? "stages " : "") + s.detail()
                    + "; " + s.active() + " running, " + s.waiting() + " waiting");
        } catch (ExecutionException | TimeoutException e) {
            return new Health.Check("pipeline", false, "the scheduler did not answer: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Health.Check("pipeline", false, "interrupted");
        }
    }

    private Health.Check gatewayCheck() {
        KafkaSettings k = kafka;
        if (gateway == null) {
            return new Health.Check("gateway", false, "not reading requests yet: it starts once the pipeline is ready");
        }
        RuntimeException failed = gateway.failure().toCompletableFuture().getNow(null);
        if (failed != null) {
            return new Health.Check("gateway", false, "its requests consumer failed: " + failed);
        }
        return new Health.Check("gateway", true, "reading " + k.requestsTopic() + ", " + gateway.inFlight()
                + " requests in flight" + (gateway.paused() ? " (paused: at --max-in-flight)" : ""));
    }

    private Health.Check kafkaCheck() {
        KafkaReachability r = reachability;
        return r == null ? new Health.Check("kafka", false, "starting: the broker is not up yet") : r.check();
    }

    @Override
    public void close() {
        closed = true;
        KafkaReachability r = reachability;
        if (r != null) {
            r.close();
        }
    }
}
