package io.laminar.schemas.codec;

import io.laminar.schemas.ChatMessage;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.ErrorEvent;
import io.laminar.schemas.EventType;
import io.laminar.schemas.FinishEvent;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.Timings;
import io.laminar.schemas.TokenEvent;
import io.laminar.schemas.Usage;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;

/**
 * The {@link SpecificData} every Laminar codec reads and writes with: it maps the full names of our
 * schemas' named types straight to the generated classes, without loading classes by name.
 *
 * <p>Why: since 1.11.4/1.12.0 Avro checks every class it loads by name from a schema against
 * {@code org.apache.avro.util.ClassSecurityValidator}, whose default trusts only {@code java.lang}
 * boxes and what the JVM-wide system properties {@code org.apache.avro.SERIALIZABLE_PACKAGES} and
 * {@code org.apache.avro.SERIALIZABLE_CLASSES} name. The stock {@code SpecificData} (which the
 * generated {@code getDecoder()} and {@code fromByteBuffer} use) therefore throws a
 * {@link SecurityException} on our generated classes unless every JVM that decodes is started with
 * {@code -Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.laminar.schemas}, and that property is read once,
 * in a static initializer, so setting it from code works only if nothing touched Avro before. This
 * subclass answers {@link #getClass(Schema)} from a fixed table instead: the classes are ours,
 * compiled in, so nothing is loaded by a name taken from the wire, the validator is never asked, and
 * no global setting changes. A name outside the table gets {@code null}, which Avro reads as a generic
 * record.
 */
final class TrustedSpecificData extends SpecificData {

    /** Every named type of InferenceRequest.avsc and ResponseEvent.avsc, by full name. */
    static final List<Class<?>> GENERATED_CLASSES = List.of(
            InferenceRequest.class, ChatMessage.class,
            ResponseEvent.class, EventType.class, TokenEvent.class, FinishEvent.class, FinishReason.class,
            Usage.class, Timings.class, ErrorEvent.class, ErrorCode.class);

    private static final Map<String, Class<?>> CLASSES_BY_FULL_NAME = GENERATED_CLASSES.stream()
            .collect(Collectors.toUnmodifiableMap(Class::getName, Function.identity()));

    /** The one instance: SpecificData caches constructors and defaults per instance. */
    static final TrustedSpecificData INSTANCE = new TrustedSpecificData();

    private TrustedSpecificData() {
        super(TrustedSpecificData.class.getClassLoader());
    }

    @Override
    public Class<?> getClass(Schema schema) {
        return switch (schema.getType()) {
            case RECORD, ENUM, FIXED -> CLASSES_BY_FULL_NAME.get(schema.getFullName());
            default -> super.getClass(schema);
        };
    }
}
