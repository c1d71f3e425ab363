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
}
