package io.laminar.actors.metrics;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.Locale;

/**
 * Every metric a Laminar process exports, in one registry per actor system (an Akka extension, so
 * each actor finds it through its system and tests running several systems in one JVM keep theirs
 * apart). The facts are recorded where they arise: the gateway counts requests and their latencies,
 * the scheduler its queues and KV blocks, each stage its busy time and hops, the request consumer
 * its lag. docs/metrics.md lists them beside vLLM's names.
 *
 * <p>This class is the only one that knows the metrics library. Updates are per request or per
 * step, never per token of a batch; label values come from small closed sets (outcomes, stage
 * names, partitions), never a request id.
 */
public final class LaminarMetrics implements Extension {
    /**
     * Time to first token, as vLLM buckets it: from a millisecond (a warm small model) to minutes
     * (a long prompt behind a queue).
     */
    static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
            1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
    /** Time per output token: vLLM's buckets, with 1 and 5 ms added for small models. */
    static final double[] TPOT_BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5,
            0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
    /** Whole requests and their time in the queue: vLLM's end-to-end buckets, from 10 ms. */
    static final double[] REQUEST_BUCKETS = {0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0,
            20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
    /** One hop between stages: tens of microseconds in one process, milliseconds over a network. */
    static final double[] HOP_BUCKETS = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
            0.05, 0.1, 0.25, 0.5, 1.0};

    private static final Id ID = new Id();

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder().name("laminar_requests_total")
            .help("Requests that ended, by outcome (finished or error) and reason (finish reason or error code)")
            .labelNames("outcome", "reason").withoutExemplars().register(registry);
    private final CounterDataPoint promptTokens = Counter.builder().name("laminar_prompt_tokens_total")
            .help("Prompt tokens of the requests submitted to the pipeline").withoutExemplars().register(registry);
    private final CounterDataPoint generationTokens = Counter.builder().name("laminar_generation_tokens_total")
            .help("Generated tokens written to the responses topic").withoutExemplars().register(registry);
    private final DistributionDataPoint timeToFirstToken = histogram("laminar_time_to_first_token_seconds",
            "From a request's arrival at the gateway to its first token", TTFT_BUCKETS);
    private final DistributionDataPoint timePerOutputToken = histogram("laminar_time_per_output_token_seconds",
            "Mean time between a finished request's tokens after the first", TPOT_BUCKETS);
    private final DistributionDataPoint requestLatency = histogram("laminar_e2e_request_latency_seconds",
            "From a finished request's arrival at the gateway to its finish event", REQUEST_BUCKETS);
    private final DistributionDataPoint queueTime = histogram("laminar_request_queue_time_seconds",
            "What a finished request waited before its prompt was first read (arrival to first token, less prompt time)",
            REQUEST_BUCKETS);
    private final CounterDataPoint draftTokens = Counter.builder().name("laminar_draft_tokens_total")
            .help("Tokens drafted by prompt lookup and checked in a step (speculative decoding)")
            .withoutExemplars().register(registry);
    private final CounterDataPoint draftTokensAccepted = Counter.builder().name("laminar_draft_tokens_accepted_total")
            .help("Drafted tokens that were the tokens sampled: each saved a step")
            .withoutExemplars().register(registry);
    private final GaugeDataPoint running = Gauge.builder().name("laminar_requests_running")
            .help("Sequences being generated (holding a KV slot)").withoutExemplars().register(registry);
    private final GaugeDataPoint waiting = Gauge.builder().name("laminar_requests_waiting")
            .help("Requests waiting for a KV slot, KV blocks or the pipeline").withoutExemplars().register(registry);
    private final GaugeDataPoint kvUsed = Gauge.builder().name("laminar_kv_cache_used_blocks")
            .help("KV cache blocks reserved by running sequences, on the smallest stage cache")
            .unit(new Unit("blocks")).withoutExemplars().register(registry);
    private final GaugeDataPoint kvCapacity = Gauge.builder().name("laminar_kv_cache_capacity_blocks")
            .help("KV cache blocks of the smallest stage cache of the pipeline served; 0 while none is")
            .unit(new Unit("blocks")).withoutExemplars().register(registry);
    private final GaugeDataPoint kvUsage = Gauge.builder().name("laminar_kv_cache_usage_ratio")
            .help("laminar_kv_cache_used_blocks over laminar_kv_cache_capacity_blocks (0 to 1)")
            .unit(Unit.RATIO).withoutExemplars().register(registry);
    private final GaugeDataPoint pipelineReady = Gauge.builder().name("laminar_pipeline_ready")
            .help("1 while this process's scheduler serves a pipeline covering every layer, else 0")
            .withoutExemplars().register(registry);
    private final Counter stageBusy = Counter.builder().name("laminar_stage_busy_seconds_total")
            .help("Time a stage spent computing steps; its rate is the stage's busy share")
            .unit(Unit.SECONDS).labelNames("stage").withoutExemplars().register(registry);
    private final Counter stageSteps = Counter.builder().name("laminar_stage_steps_total")
            .help("Steps a stage computed").labelNames("stage").withoutExemplars().register(registry);
    private final Counter stageTokens = Counter.builder().name("laminar_stage_tokens_total")
            .help("Token entries (prompt and generated) a stage computed").labelNames("stage").withoutExemplars()
            .register(registry);
    private final Histogram stageHop = Histogram.builder().name("laminar_stage_hop_seconds")
            .help("From a step's sending (by the scheduler or the previous stage) to its arrival at the stage;"
                    + " across machines, their clocks' offset is included")
            .unit(Unit.SECONDS).labelNames("stage").classicOnly().classicUpperBounds(HOP_BUCKETS)
            .withoutExemplars().register(registry);
    private final Gauge consumerLag = Gauge.builder().name("laminar_kafka_consumer_lag_records")
            .help("Records of an assigned requests partition not yet read by this gateway (end offset less position)")
            .unit(new Unit("records")).labelNames("topic", "partition").withoutExemplars().register(registry);

    /** A registry of its own; actors use {@link #get}. */
    public LaminarMetrics() {
    }

    /** The metrics of {@code system}'s process, made on first use. */
    public static LaminarMetrics get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    /** What {@code /metrics} exports. */
    public PrometheusRegistry registry() {
        return registry;
    }

    // ---- the gateway: one call per request ------------------------------------------------------

    /** A request ended normally; {@code reason} is its finish reason. Times in seconds; negative: unknown. */
    public void requestFinished(Enum<?> reason, double timeToFirstToken, double timePerOutputToken,
                                double e2eLatency, double queue) {
        requests.labelValues("finished", label(reason)).inc();
        observeIfKnown(timeToFirstToken, this.timeToFirstToken);
        observeIfKnown(timePerOutputToken, this.timePerOutputToken);
        observeIfKnown(e2eLatency, requestLatency);
        observeIfKnown(queue, queueTime);
    }

    /** A request ended with an error event; {@code code} is its error code. */
    public void requestFailed(Enum<?> code) {
        requests.labelValues("error", label(code)).inc();
    }

    public void promptTokens(int n) {
        promptTokens.inc(n);
    }

    public void generationTokens(int n) {
        if (n > 0) {
            generationTokens.inc(n);
        }
    }

    // ---- the scheduler: on each change of its queues ----------------------------------------------

    /** The scheduler's queues and the KV blocks of the pipeline it serves. */
    public void scheduler(int runningSequences, int waitingRequests, int usedBlocks, int capacityBlocks) {
        running.set(runningSequences);
        waiting.set(waitingRequests);
        kvUsed.set(usedBlocks);
        kvCapacity.set(capacityBlocks);
        kvUsage.set(capacityBlocks == 0 ? 0 : (double) usedBlocks / capacityBlocks);
    }

    /** Tokens drafted for a step (speculative decoding). */
    public void drafted(int n) {
        if (n > 0) {
            draftTokens.inc(n);
        }
    }

    /** A drafted token was the one sampled. */
    public void draftAccepted() {
        draftTokensAccepted.inc();
    }

    /** Drafted tokens so far, and those accepted: their ratio is the acceptance rate. */
    public long draftTokens() {
        return draftTokens.getLongValue();
    }

    public long draftTokensAccepted() {
        return draftTokensAccepted.getLongValue();
    }

    public void pipelineReady(boolean ready) {
        pipelineReady.set(ready ? 1 : 0);
    }

    // ---- stages: once per step --------------------------------------------------------------------

    /** The metrics of the stage named {@code name}, its labels resolved once. */
    public Stage stage(String name) {
        return new Stage(stageBusy.labelValues(name), stageSteps.labelValues(name), stageTokens.labelValues(name),
                stageHop.labelValues(name));
    }

    /** One stage's metrics, for its actor to update per step. */
    public record Stage(CounterDataPoint busy, CounterDataPoint steps, CounterDataPoint tokens,
                        DistributionDataPoint hop) {
        /** A step computed in {@code nanos} over {@code entries} tokens. */
        public void stepComputed(long nanos, int entries) {
            busy.inc(Unit.nanosToSeconds(nanos));
            steps.inc();
            tokens.inc(entries);
        }

        /** A step arrived {@code micros} after it was sent; a negative time (clocks apart) counts as 0. */
        public void hop(long micros) {
            hop.observe(Math.max(0, micros) / 1e6);
        }
    }

    // ---- the request consumer ----------------------------------------------------------------------

    public void consumerLag(String topic, int partition, long records) {
        consumerLag.labelValues(topic, Integer.toString(partition)).set(records);
    }

    /** The partition was revoked: its lag is another gateway's to report. */
    public void consumerLagGone(String topic, int partition) {
        consumerLag.remove(topic, Integer.toString(partition));
    }

    private DistributionDataPoint histogram(String name, String help, double[] buckets) {
        return Histogram.builder().name(name).help(help).unit(Unit.SECONDS).classicOnly()
                .classicUpperBounds(buckets).withoutExemplars().register(registry);
    }

    private static void observeIfKnown(double seconds, DistributionDataPoint histogram) {
        if (seconds >= 0) {
            histogram.observe(seconds);
        }
    }

    private static String label(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** Makes one {@link LaminarMetrics} per actor system. */
    private static final class Id extends ExtensionId<LaminarMetrics> {
        @Override
        public LaminarMetrics createExtension(ActorSystem<?> system) {
            return new LaminarMetrics();
        }
    }
}
