package io.laminar.schemas.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.laminar.schemas.InferenceRequest;
import java.util.HashSet;
import java.util.Set;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** Why the codecs bring their own SpecificData, and that it knows every generated class. */
class TrustedSpecificDataTest {

    @Test
    void stockGeneratedDecoderIsRefusedByAvrosClassCheck() throws Exception {
        assumeTrue(System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES") == null,
                "only without the JVM-wide trust property");
        byte[] bytes = new RequestCodec().encode(RoundTripTest.promptRequest("r", "p"), WireFormat.AVRO);
        // What Avro 1.12.2 does to the generated decoder: the class lookup by name is refused.
        assertThrows(SecurityException.class, () -> InferenceRequest.getDecoder().decode(bytes));
        // What the codec does instead.
        assertEquals("r", ((RequestDecodeResult.Accepted) new RequestCodec().decode(bytes)).request().getRequestId());
    }

    @Test
    void everyNamedTypeOfTheSchemasHasItsGeneratedClass() {
        Set<String> named = new HashSet<>();
        collectNamed(WireSchemas.request(), named);
        collectNamed(WireSchemas.response(), named);
        Set<String> mapped = new HashSet<>();
        for (Class<?> c : TrustedSpecificData.GENERATED_CLASSES) {
            mapped.add(c.getName());
        }
        assertEquals(named, mapped, "add new named types to TrustedSpecificData.GENERATED_CLASSES");
        for (String name : named) {
            Schema schema = findNamed(WireSchemas.response(), name) != null
                    ? findNamed(WireSchemas.response(), name) : findNamed(WireSchemas.request(), name);
            assertEquals(schema.getFullName(), TrustedSpecificData.INSTANCE.getClass(schema).getName());
        }
    }

    @Test
    void foreignNamesFallBackToGenericRecords() {
        Schema foreign = Schema.createRecord("java.lang.Runtime", null, null, false, java.util.List.of());
        assertNull(TrustedSpecificData.INSTANCE.getClass(foreign));
    }

    private static void collectNamed(Schema schema, Set<String> out) {
        switch (schema.getType()) {
            case RECORD -> {
                if (out.add(schema.getFullName())) {
                    schema.getFields().forEach(f -> collectNamed(f.schema(), out));
                }
            }
            case ENUM, FIXED -> out.add(schema.getFullName());
            case ARRAY -> collectNamed(schema.getElementType(), out);
            case MAP -> collectNamed(schema.getValueType(), out);
            case UNION -> schema.getTypes().forEach(t -> collectNamed(t, out));
            default -> { }
        }
    }

    private static Schema findNamed(Schema schema, String name) {
        return switch (schema.getType()) {
            case RECORD -> {
                if (schema.getFullName().equals(name)) {
                    yield schema;
                }
                for (Schema.Field f : schema.getFields()) {
                    Schema found = findNamed(f.schema(), name);
                    if (found != null) {
                        yield found;
                    }
                }
                yield null;
            }
            case ENUM, FIXED -> schema.getFullName().equals(name) ? schema : null;
            case ARRAY -> findNamed(schema.getElementType(), name);
            case MAP -> findNamed(schema.getValueType(), name);
            case UNION -> {
                for (Schema t : schema.getTypes()) {
                    Schema found = findNamed(t, name);
                    if (found != null) {
                        yield found;
                    }
                }
                yield null;
            }
            default -> null;
        };
    }
}
