package io.laminar.app.kafka;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives test methods and constructors an {@link EmbeddedKafka} parameter: one broker for the whole
 * test run, started on first use and closed by JUnit when the run ends (the root store closes
 * {@link AutoCloseable} values). Tests that need a broker of their own start one.
 */
final class SharedKafka implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedKafka.class;
    }

    @Override
    public EmbeddedKafka resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.create(SharedKafka.class))
                .getOrComputeIfAbsent(EmbeddedKafka.class, type -> EmbeddedKafka.start(), EmbeddedKafka.class);
    }

    /**
     * Settings for {@code kafka} whose three topics are named {@code prefix.requests},
     * {@code prefix.responses} and {@code prefix.dead-letter}, so that tests sharing the broker do
     * not share topics; {@code more} adds other {@code laminar.topic.*} keys.
     */
    static KafkaSettings topicsNamed(String prefix, EmbeddedKafka kafka, java.util.Map<String, String> more) {
        java.util.Map<String, String> keys = new java.util.HashMap<>(more);
        keys.put(KafkaSettings.REQUESTS_TOPIC_CONFIG, prefix + ".requests");
        keys.put(KafkaSettings.RESPONSES_TOPIC_CONFIG, prefix + ".responses");
        keys.put(KafkaSettings.DEAD_LETTER_TOPIC_CONFIG, prefix + ".dead-letter");
        return KafkaSettings.of(keys).withBootstrapServers(kafka.bootstrapServers());
    }
}
