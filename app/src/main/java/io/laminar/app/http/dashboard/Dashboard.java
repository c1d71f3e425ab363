package io.laminar.app.http.dashboard;

import io.laminar.actors.PipelineHost;
import io.laminar.actors.inspect.AttentionStore;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.openai.ApiKeys;
import io.laminar.app.kafka.KafkaSettings;

/** The dashboard's routes on a serve's HTTP port: the page and the JSON and event routes it reads. */
public final class Dashboard {
    private Dashboard() {
    }

    /** Adds them once the pipeline and Kafka are up; {@code keys} guard the data routes as they guard the door. */
    public static void addTo(HttpFront front, PipelineHost host, KafkaSettings kafka, ApiKeys keys) {
        front.route(DashboardRoute.PATH, new DashboardRoute())
                .route(PipelineRoute.PATH, new PipelineRoute(host, keys))
                .route(AttentionRoute.PATH, new AttentionRoute(AttentionStore.get(host.system()),
                        id -> host.tokenizer().decode(new int[] {id}, true), keys))
                .route(EventsRoute.PATH, new EventsRoute(kafka.consumerConfig("laminar-dashboard"),
                        kafka.responsesTopic(), keys));
    }
}
