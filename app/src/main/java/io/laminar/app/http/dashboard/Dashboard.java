package io.laminar.app.http.dashboard;

import io.laminar.actors.PipelineHost;
import io.laminar.actors.inspect.AttentionStore;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.openai.ApiKeys;
import io.laminar.app.kafka.KafkaSettings;

import java.util.function.Supplier;

/** The dashboard's routes on a process's HTTP port: the page and the JSON and event routes it reads. */
public final class Dashboard {
    private Dashboard() {
    }

    /** Adds them once the pipeline and Kafka are up; {@code keys} guard the data routes as they guard the door. */
    public static void addTo(HttpFront front, PipelineHost host, KafkaSettings kafka, ApiKeys keys) {
        front.route(DashboardRoute.PATH, new DashboardRoute())
                .route(PipelineRoute.PATH, new PipelineRoute(() -> host, keys))
                .route(AttentionRoute.PATH, new AttentionRoute(AttentionStore.get(host.system()),
                        id -> host.tokenizer().decode(new int[] {id}, true), keys))
                .route(EventsRoute.PATH, new EventsRoute(kafka.consumerConfig("laminar-dashboard"),
                        kafka.responsesTopic(), keys));
    }

    /**
     * A stage node's share: the page and the pipeline as this node sees it (its own stages' busy share
     * and hops). It has no gateway, hence no request events, inspected requests or door; the page says so.
     */
    public static void addToNode(HttpFront front, Supplier<PipelineHost> current) {
        front.route(DashboardRoute.PATH, new DashboardRoute())
                .route(PipelineRoute.PATH, new PipelineRoute(current, ApiKeys.NONE));
    }
}
