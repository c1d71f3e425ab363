package io.laminar.app.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/**
 * Creates the topics Laminar needs when they are missing, then waits until every partition has a
 * leader, so producers and consumers started next find them. Safe to run again and from several
 * processes at once: a topic that exists (or that another process creates meanwhile) is left as it
 * is, partition count and configuration included.
 *
 * <pre>{@code
 * TopicSetup.Result r = TopicSetup.ensure(settings);   // laminar.requests, laminar.responses, laminar.dead-letter
 * }</pre>
 */
public final class TopicSetup {
    private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

    /** How often readiness is polled while waiting for partition leaders. */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    private TopicSetup() {
    }

    /**
     * One topic to ensure.
     *
     * @param replicationFactor -1 takes the broker's {@code default.replication.factor}
     */
    public record Topic(String name, int partitions, short replicationFactor) {
        public Topic {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("a topic needs a name");
            }
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions=" + partitions + " for topic " + name + " must be at least 1");
            }
            if (replicationFactor != -1 && replicationFactor < 1) {
                throw new IllegalArgumentException("replicationFactor=" + replicationFactor + " for topic " + name
                        + " must be -1 (the broker's default) or at least 1");
            }
        }

        NewTopic toNewTopic() {
            Optional<Short> factor = replicationFactor == -1 ? Optional.empty() : Optional.of(replicationFactor);
            return new NewTopic(name, Optional.of(partitions), factor);
        }
    }

    /** What {@link #ensure} did: the topics it created and those that were there already. */
    public record Result(List<String> created, List<String> existing) {
        public Result {
            created = List.copyOf(created);
            existing = List.copyOf(existing);
        }
    }

    /**
     * Laminar's topics as {@code settings} name them: requests and responses with
     * {@link KafkaSettings#topicPartitions()} partitions, the dead-letter topic with one.
     */
    public static List<Topic> laminarTopics(KafkaSettings settings) {
        short factor = settings.topicReplicationFactor();
        return List.of(
                new Topic(settings.requestsTopic(), settings.topicPartitions(), factor),
                new Topic(settings.responsesTopic(), settings.topicPartitions(), factor),
                new Topic(settings.deadLetterTopic(), 1, factor));
    }

    /**
     * Ensures {@link #laminarTopics Laminar's topics} on the cluster {@code settings} point to, with
     * an Admin client of its own, within {@link KafkaSettings#topicSetupTimeout()}.
     *
     * @throws IllegalStateException when a topic cannot be created or is not ready in time
     */
    public static Result ensure(KafkaSettings settings) {
        if (settings.bootstrapServers().isEmpty()) {
            throw new IllegalArgumentException("no bootstrap.servers to set topics up on");
        }
        try (Admin admin = Admin.create(settings.adminConfig())) {
            return ensure(admin, laminarTopics(settings), settings.topicSetupTimeout());
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                // Say where nothing answered, and which setting bounds the wait.
                throw new IllegalStateException("no Kafka broker at " + settings.bootstrapServers().get()
                        + " answered within " + settings.topicSetupTimeout().toSeconds() + " s ("
                        + KafkaSettings.TOPIC_SETUP_TIMEOUT_MS_CONFIG + ")", e.getCause());
            }
            throw e;
        }
    }

    /**
     * Creates the missing ones of {@code topics} and waits until all of them have a leader for
     * every partition.
     *
     * @throws IllegalStateException when a topic cannot be created or is not ready within {@code timeout}
     */
    public static Result ensure(Admin admin, List<Topic> topics, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Topic> byName = new LinkedHashMap<>();
        for (Topic topic : topics) {
            if (byName.put(topic.name(), topic) != null) {
                throw new IllegalArgumentException("topic " + topic.name() + " is listed twice");
            }
        }
        Set<String> present = get(admin.listTopics(new ListTopicsOptions().timeoutMs(remainingMs(deadline))).names(),
                "list topics");
        List<String> created = new ArrayList<>();
        List<String> existing = new ArrayList<>();
        List<NewTopic> missing = new ArrayList<>();
        for (Topic topic : byName.values()) {
            if (present.contains(topic.name())) {
                existing.add(topic.name());
            } else {
                missing.add(topic.toNewTopic());
            }
        }
        if (!missing.isEmpty()) {
            Map<String, KafkaFuture<Void>> results =
                    admin.createTopics(missing, new CreateTopicsOptions().timeoutMs(remainingMs(deadline))).values();
            for (NewTopic topic : missing) {
                String name = topic.name();
                try {
                    results.get(name).get();
                    created.add(name);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicExistsException) {
                        existing.add(name); // another process created it meanwhile
                    } else {
                        throw failure("create topic " + name, e);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw failure("create topic " + name, e);
                }
            }
        }
        awaitLeaders(admin, byName, deadline, timeout);
        log.info("Kafka topics ready: created {}, existing {}", created, existing);
        return new Result(created, existing);
    }

    /** Polls topic descriptions until every partition of every topic has a leader. */
    private static void awaitLeaders(Admin admin, Map<String, Topic> topics, long deadline, Duration timeout) {
        while (true) {
            String notReady = notReady(admin, topics, deadline);
            if (notReady.isEmpty()) {
                return;
            }
            if (System.nanoTime() >= deadline) {
                throw new IllegalStateException("Kafka topics not ready within " + timeout.toMillis() + " ms: " + notReady);
            }
            try {
                Thread.sleep(POLL_INTERVAL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure("wait for topics", e);
            }
        }
    }

    /** A description of the topics not ready yet, or "" when all are. */
    private static String notReady(Admin admin, Map<String, Topic> topics, long deadline) {
        Map<String, KafkaFuture<TopicDescription>> futures = admin
                .describeTopics(topics.keySet(), new DescribeTopicsOptions().timeoutMs(remainingMs(deadline)))
                .topicNameValues();
        List<String> waiting = new ArrayList<>();
        for (var entry : futures.entrySet()) {
            try {
                TopicDescription description = entry.getValue().get();
                String leaderless = description.partitions().stream()
                        .filter(p -> p.leader() == null || p.leader().isEmpty())
                        .map(p -> String.valueOf(p.partition()))
                        .collect(Collectors.joining(","));
                if (!leaderless.isEmpty()) {
                    waiting.add(entry.getKey() + " (partitions without a leader: " + leaderless + ")");
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw failure("describe topic " + entry.getKey(), e);
                }
                waiting.add(entry.getKey() + " (not yet known to the broker)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure("describe topic " + entry.getKey(), e);
            }
        }
        return String.join("; ", waiting);
    }

    private static <T> T get(KafkaFuture<T> future, String what) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw failure(what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(what, e);
        }
    }

    private static IllegalStateException failure(String what, Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return new IllegalStateException("cannot " + what + ": " + cause, cause);
    }

    private static int remainingMs(long deadline) {
        long ms = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }
}
