package io.laminar.app.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.Supplier;

/**
 * {@code GET /metrics}: Laminar's metrics and the JVM's, in the format the scraper asks for in its
 * {@code Accept} header: OpenMetrics text when it asks for {@code application/openmetrics-text}
 * (Prometheus does), else the Prometheus text format 0.0.4 (curl, browsers).
 *
 * <p>Laminar's registry is looked up at each scrape: it belongs to the actor system, which starts
 * after the port opens and, on a node that rejoins its cluster, is a new one per incarnation.
 */
public final class MetricsRoute implements HttpHandler {
    public static final String PATH = "/metrics";

    private final Supplier<PrometheusRegistry> laminar;
    private final PrometheusRegistry jvm = new PrometheusRegistry();
    private final ExpositionFormats formats = ExpositionFormats.init();

    /** @param laminar the current actor system's registry; null while there is none */
    public MetricsRoute(Supplier<PrometheusRegistry> laminar) {
        this.laminar = laminar;
        JvmMetrics.builder().register(jvm);
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            boolean head = exchange.getRequestMethod().equals("HEAD");
            if (!head && !exchange.getRequestMethod().equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            ExpositionFormatWriter writer = formats.findWriter(exchange.getRequestHeaders().getFirst("Accept"));
            if (!writer.isAvailable()) {
                // Protobuf needs a library this build leaves out: text serves every scraper.
                writer = formats.getPrometheusTextFormatWriter();
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
            writer.write(body, scrape());
            exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
            exchange.sendResponseHeaders(200, head ? -1 : body.size());
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    body.writeTo(out);
                }
            }
        }
    }

    /** Both registries' snapshots, in one exposition. */
    MetricSnapshots scrape() {
        MetricSnapshots.Builder all = MetricSnapshots.builder();
        PrometheusRegistry current = laminar.get();
        if (current != null) {
            for (MetricSnapshot s : current.scrape()) {
                all.metricSnapshot(s);
            }
        }
        for (MetricSnapshot s : jvm.scrape()) {
            all.metricSnapshot(s);
        }
        return all.build();
    }
}
