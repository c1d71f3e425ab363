package io.laminar.app.http.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.metrics.LaminarMetrics;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.app.http.openai.ApiError;
import io.laminar.app.http.openai.ApiKeys;
import io.laminar.app.http.openai.HttpExchanges;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code GET /v1/laminar/pipeline}: the pipeline as the dashboard draws it, from what this process
 * already counts for {@code /metrics} ({@link LaminarMetrics}): the cluster's members, the
 * scheduler's status and KV cache use, and per stage of this process its layers, backend, busy
 * seconds, steps, tokens and hop latency as running totals (the page turns them into rates
 * between two looks). Stages on other nodes count in their own process: their {@code /metrics}, or
 * this route on their own {@code node --http} port.
 */
public final class PipelineRoute extends LaminarRoute {
    public static final String PATH = "/v1/laminar/pipeline";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<PipelineHost> current;

    /** @param current the process's pipeline member now (a node that rejoins its cluster gets a new one); null while none */
    public PipelineRoute(Supplier<PipelineHost> current, ApiKeys keys) {
        super(keys);
        this.current = current;
    }

    @Override
    void get(HttpExchange ex, String path) throws IOException {
        if (!path.equals(PATH)) {
            throw ApiError.notFound(ex.getRequestMethod(), path);
        }
        PipelineHost host = current.get();
        if (host == null) {
            throw ApiError.unavailable("This process is not a cluster member right now (starting, or joining again).");
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("time_ms", System.currentTimeMillis());
        body.put("layers", host.config().layers());
        try {
            PipelineScheduler.Status s = host.status().toCompletableFuture().get(2, TimeUnit.SECONDS);
            body.put("ready", s.ready()).put("detail", s.detail());
        } catch (Exception e) {
            body.put("ready", false).put("detail", "the scheduler did not answer: " + e);
        }
        host.clusterMembers().forEach(body.putArray("members")::add);
        Map<String, ObjectNode> stages = new TreeMap<>();
        for (MetricSnapshot m : LaminarMetrics.get(host.system()).registry().scrape()) {
            String name = m.getMetadata().getName();
            for (DataPointSnapshot p : m.getDataPoints()) {
                String stage = p.getLabels().get("stage");
                if (stage == null) {
                    scheduler(body, name, p);
                } else {
                    stage(stages.computeIfAbsent(stage, PipelineRoute::describe), name, p);
                }
            }
        }
        stages.values().forEach(body.putArray("stages")::add);
        HttpExchanges.sendJson(ex, 200, JSON.writeValueAsBytes(body));
    }

    private static void scheduler(ObjectNode body, String name, DataPointSnapshot p) {
        if (p instanceof GaugeSnapshot.GaugeDataPointSnapshot g) {
            switch (name) {
                case "laminar_requests_running" -> body.put("running", (long) g.getValue());
                case "laminar_requests_waiting" -> body.put("waiting", (long) g.getValue());
                case "laminar_kv_cache_used_blocks" -> body.put("kv_used_blocks", (long) g.getValue());
                case "laminar_kv_cache_capacity_blocks" -> body.put("kv_capacity_blocks", (long) g.getValue());
                default -> { }
            }
        }
    }

    private static void stage(ObjectNode stage, String name, DataPointSnapshot p) {
        switch (p) {
            case CounterSnapshot.CounterDataPointSnapshot c when name.startsWith("laminar_stage_busy_seconds") ->
                    stage.put("busy_seconds", c.getValue());
            case CounterSnapshot.CounterDataPointSnapshot c when name.startsWith("laminar_stage_steps") ->
                    stage.put("steps", (long) c.getValue());
            case CounterSnapshot.CounterDataPointSnapshot c when name.startsWith("laminar_stage_tokens") ->
                    stage.put("tokens", (long) c.getValue());
            case HistogramSnapshot.HistogramDataPointSnapshot h when name.startsWith("laminar_stage_hop_seconds") ->
                    stage.put("hop_count", h.getCount()).put("hop_sum_seconds", h.getSum());
            default -> { }
        }
    }

    /** A stage's name is {@code host:port[first-last]}, with the backend after the range unless it is the CPU. */
    private static ObjectNode describe(String name) {
        ObjectNode stage = JSON.createObjectNode().put("name", name);
        int open = name.lastIndexOf('[');
        if (open > 0 && name.endsWith("]")) {
            String[] inside = name.substring(open + 1, name.length() - 1).split(" ");
            stage.put("member", name.substring(0, open)).put("layers", inside[0])
                    .put("backend", inside.length > 1 ? inside[1] : "cpu");
        }
        return stage;
    }
}
