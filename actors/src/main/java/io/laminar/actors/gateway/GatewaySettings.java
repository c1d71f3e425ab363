package io.laminar.actors.gateway;

import java.util.Map;
import java.util.Objects;

/**
 * How a gateway reads requests and writes responses.
 *
 * @param requestsTopic   topic requests are read from
 * @param responsesTopic  topic response events are written to, keyed by request id
 * @param deadLetterTopic topic undecodable and refused records are copied to, unchanged
 * @param groupId         the consumer group gateways of one deployment share
 * @param maxInFlight     requests being served at once; at this many the gateway pauses its
 *                        partitions and resumes when requests finish
 * @param consumerConfig  Kafka consumer properties (bootstrap servers, security...); the gateway
 *                        sets its own deserializers, group id and manual commits
 * @param producerConfig  Kafka producer properties; the gateway sets its own serializers and
 *                        requires idempotence
 * @param duplicateWindow how long the ids of served requests are remembered, to refuse a request
 *                        that repeats one
 */
public record GatewaySettings(String requestsTopic, String responsesTopic, String deadLetterTopic, String groupId,
                              int maxInFlight, Map<String, Object> consumerConfig,
                              Map<String, Object> producerConfig, DuplicateWindow duplicateWindow) {
    public static final String DEFAULT_GROUP_ID = "laminar-gateway";
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;

    public GatewaySettings {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight=" + maxInFlight + " must be at least 1");
        }
        consumerConfig = Map.copyOf(consumerConfig);
        producerConfig = Map.copyOf(producerConfig);
        Objects.requireNonNull(duplicateWindow, "duplicateWindow");
    }
}
