package io.laminar.app.kafka;

import io.laminar.app.http.Health;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Whether the Kafka cluster answers, for the readiness probe: a {@code DescribeCluster} request
 * with a short timeout through an Admin client of its own. The answer is kept for
 * {@link #CACHE_FOR} so that frequent probes, or several probers, cost the brokers one request.
 */
public final class KafkaReachability implements AutoCloseable {
    /** How long one probe waits for the brokers. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** How long an answer stands. */
    static final Duration CACHE_FOR = Duration.ofSeconds(2);

    private final Admin admin;
    private Health.Check last;
    private long lastNanos;

    public KafkaReachability(KafkaSettings kafka) {
        Map<String, Object> config = new HashMap<>(kafka.adminConfig());
        // Fail a probe fast instead of retrying for the default minute.
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        config.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "laminar-health");
        this.admin = Admin.create(config);
    }

    /** Whether a broker answered, now or within {@link #CACHE_FOR}. */
    public synchronized Health.Check check() {
        long now = System.nanoTime();
        if (last != null && now - lastNanos < CACHE_FOR.toNanos()) {
            return last;
        }
        last = ask();
        lastNanos = System.nanoTime();
        return last;
    }

    private Health.Check ask() {
        DescribeClusterResult r = admin.describeCluster(new DescribeClusterOptions()
                .timeoutMs((int) TIMEOUT.toMillis()));
        try {
            int brokers = r.nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
            String id = r.clusterId().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return new Health.Check("kafka", true, brokers + (brokers == 1 ? " broker" : " brokers")
                    + " of cluster " + id + " answered");
        } catch (ExecutionException e) {
            return new Health.Check("kafka", false, "no broker answered: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            return new Health.Check("kafka", false, "no broker answered within " + TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Health.Check("kafka", false, "interrupted while asking the brokers");
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(1));
    }
}
