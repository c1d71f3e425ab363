package io.laminar.schemas.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

/**
 * The JSON form of our Avro records, driven by the schema so it cannot drift from it: a record is
 * an object with the schema's field names; a nullable union is its value or, when null, no field
 * at all; an enum is its symbol; an array a JSON array; a map a JSON object; int and long are
 * integers; float and double are numbers, or the strings {@code "NaN"}, {@code "Infinity"} and
 * {@code "-Infinity"}. Writing omits null fields and empty arrays and maps whose default is empty.
 * Reading fills absent (or null) fields from the schema's defaults.
 *
 * <p>This is not Avro's own JSON encoding, which wraps every union value in an object naming its
 * branch ({@code {"prompt":{"string":"Hi"}}}) and so cannot be typed by hand.
 */
final class AvroJson {

    /** Why a JSON value does not fit the schema; {@code field} is the top-level field it is under. */
    static final class MappingException extends Exception {
        enum Kind { TYPE, RANGE, MISSING, UNKNOWN_FIELD }

        private final Kind kind;
        private final String path;

        MappingException(Kind kind, String path, String message) {
            super(path.isEmpty() ? message : path + ": " + message, null, false, false);
            this.kind = kind;
            this.path = path;
        }

        Kind kind() {
            return kind;
        }

        /** The top-level field name the error is under ("" for the document itself). */
        String field() {
            int end = 0;
            while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
                end++;
            }
            return path.substring(0, end);
        }
    }

    private final GenericData data;
    private final ObjectMapper mapper;

    /**
     * @param data        the data model records and enums are built with
     * @param maxBytes    longest document, and so any string in it
     * @param maxDepth    deepest nesting of objects and arrays
     */
    AvroJson(GenericData data, int maxBytes, int maxDepth) {
        this.data = data;
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxDocumentLength(maxBytes)
                        .maxStringLength(maxBytes)
                        .maxNestingDepth(maxDepth)
                        .maxNumberLength(64)
                        .maxNameLength(256)
                        .build())
                .build();
        factory.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.mapper = new ObjectMapper(factory);
    }

    /** The parser factory, with the same limits, for streaming reads. */
    JsonFactory factory() {
        return mapper.getFactory();
    }

    /**
     * Parses one JSON document, failing on anything after it.
     *
     * @throws IOException when it is not one well-formed JSON value within the limits
     */
    JsonNode parse(byte[] json) throws IOException {
        try (JsonParser parser = mapper.getFactory().createParser(json)) {
            JsonNode node = mapper.readTree(parser);
            if (node == null) {
                throw new IOException("no JSON value");
            }
            if (parser.nextToken() != null) {
                throw new IOException("content after the JSON object at offset "
                        + parser.currentLocation().getByteOffset());
            }
            return node;
        }
    }

    /** The JSON form of a datum of the given schema, UTF-8 encoded. */
    byte[] write(Object datum, Schema schema) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator generator = mapper.getFactory().createGenerator(out)) {
            write(generator, datum, schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private void write(JsonGenerator out, Object datum, Schema schema) throws IOException {
        switch (schema.getType()) {
            case RECORD -> {
                out.writeStartObject();
                for (Schema.Field field : schema.getFields()) {
                    Object value = data.getField(datum, field.name(), field.pos());
                    if (value == null || isEmptyDefault(field, value)) {
                        continue;
                    }
                    out.writeFieldName(field.name());
                    write(out, value, field.schema());
                }
                out.writeEndObject();
            }
            case UNION -> write(out, datum, schema.getTypes().get(data.resolveUnion(schema, datum)));
            case ENUM, STRING -> out.writeString(datum.toString());
            case ARRAY -> {
                out.writeStartArray();
                for (Object item : (Collection<?>) datum) {
                    write(out, item, schema.getElementType());
                }
                out.writeEndArray();
            }
            case MAP -> {
                out.writeStartObject();
                for (Map.Entry<?, ?> entry : ((Map<?, ?>) datum).entrySet()) {
                    out.writeFieldName(entry.getKey().toString());
                    write(out, entry.getValue(), schema.getValueType());
                }
                out.writeEndObject();
            }
            case INT -> out.writeNumber(((Number) datum).intValue());
            case LONG -> out.writeNumber(((Number) datum).longValue());
            case FLOAT -> {
                float f = ((Number) datum).floatValue();
                if (Float.isFinite(f)) {
                    out.writeNumber(f);
                } else {
                    out.writeString(Float.toString(f));
                }
            }
            case DOUBLE -> {
                double d = ((Number) datum).doubleValue();
                if (Double.isFinite(d)) {
                    out.writeNumber(d);
                } else {
                    out.writeString(Double.toString(d));
                }
            }
            case BOOLEAN -> out.writeBoolean((Boolean) datum);
            case NULL -> out.writeNull();
            case BYTES, FIXED -> throw new IllegalArgumentException(
                    "JSON form of " + schema.getType() + " is not defined; the Laminar schemas have none");
        }
    }

    private static boolean isEmptyDefault(Schema.Field field, Object value) {
        if (!field.hasDefaultValue()) {
            return false;
        }
        return (value instanceof Collection<?> c && c.isEmpty()) || (value instanceof Map<?, ?> m && m.isEmpty());
    }

    /**
     * The datum a JSON value stands for under a schema: a specific record or enum where the data
     * model has a class for it.
     *
     * @param ignoreUnknown whether an object field the record schema lacks is skipped (else rejected)
     */
    Object read(JsonNode node, Schema schema, boolean ignoreUnknown) throws MappingException {
        return read(node, schema, "", ignoreUnknown);
    }

    private Object read(JsonNode node, Schema schema, String path, boolean ignoreUnknown) throws MappingException {
        switch (schema.getType()) {
            case RECORD -> {
                if (!node.isObject()) {
                    throw type(path, "an object", node);
                }
                if (!ignoreUnknown) {
                    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                        String name = names.next();
                        if (schema.getField(name) == null) {
                            throw new MappingException(MappingException.Kind.UNKNOWN_FIELD, join(path, name),
                                    "unknown field (fields: " + fieldNames(schema) + ")");
                        }
                    }
                }
                Object record = data.newRecord(null, schema);
                for (Schema.Field field : schema.getFields()) {
                    JsonNode value = node.get(field.name());
                    String fieldPath = join(path, field.name());
                    Object datum;
                    if (value == null || value.isNull()) {
                        if (!field.hasDefaultValue()) {
                            throw new MappingException(MappingException.Kind.MISSING, fieldPath, "required field missing");
                        }
                        datum = data.deepCopy(field.schema(), data.getDefaultValue(field));
                    } else {
                        datum = read(value, field.schema(), fieldPath, ignoreUnknown);
                    }
                    data.setField(record, field.name(), field.pos(), datum);
                }
                return record;
            }
            case UNION -> {
                if (node.isNull()) {
                    if (schema.getIndexNamed("null") == null) {
                        throw type(path, "a value", node);
                    }
                    return null;
                }
                MappingException first = null;
                for (Schema branch : schema.getTypes()) {
                    if (branch.getType() == Schema.Type.NULL) {
                        continue;
                    }
                    try {
                        return read(node, branch, path, ignoreUnknown);
                    } catch (MappingException e) {
                        if (first == null) {
                            first = e;
                        }
                    }
                }
                throw first != null ? first : type(path, "null", node);
            }
            case ENUM -> {
                if (!node.isTextual()) {
                    throw type(path, "one of " + schema.getEnumSymbols(), node);
                }
                String symbol = node.asText();
                if (!schema.hasEnumSymbol(symbol)) {
                    if (ignoreUnknown && schema.getEnumDefault() != null) {
                        symbol = schema.getEnumDefault();
                    } else {
                        throw new MappingException(MappingException.Kind.TYPE, path,
                                "'" + symbol + "' is not one of " + schema.getEnumSymbols());
                    }
                }
                return data.createEnum(symbol, schema);
            }
            case STRING -> {
                if (!node.isTextual()) {
                    throw type(path, "a string", node);
                }
                return node.asText();
            }
            case INT -> {
                requireIntegral(node, path, node.canConvertToInt(), "a 32-bit int");
                return node.intValue();
            }
            case LONG -> {
                requireIntegral(node, path, node.canConvertToLong(), "a 64-bit long");
                return node.longValue();
            }
            case FLOAT -> {
                return (float) readDouble(node, path);
            }
            case DOUBLE -> {
                return readDouble(node, path);
            }
            case BOOLEAN -> {
                if (!node.isBoolean()) {
                    throw type(path, "true or false", node);
                }
                return node.booleanValue();
            }
            case ARRAY -> {
                if (!node.isArray()) {
                    throw type(path, "an array", node);
                }
                List<Object> items = new ArrayList<>(node.size());
                for (int i = 0; i < node.size(); i++) {
                    items.add(read(node.get(i), schema.getElementType(), path + "[" + i + "]", ignoreUnknown));
                }
                return items;
            }
            case MAP -> {
                if (!node.isObject()) {
                    throw type(path, "an object", node);
                }
                Map<String, Object> map = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> entry = it.next();
                    map.put(entry.getKey(), read(entry.getValue(), schema.getValueType(),
                            path + "[\"" + entry.getKey() + "\"]", ignoreUnknown));
                }
                return map;
            }
            case NULL -> {
                if (!node.isNull()) {
                    throw type(path, "null", node);
                }
                return null;
            }
            default -> throw new MappingException(MappingException.Kind.TYPE, path,
                    "JSON form of " + schema.getType() + " is not defined");
        }
    }

    /** An integral number that {@code fits} the Avro type named {@code range}, or the mapping error that says why not. */
    private static void requireIntegral(JsonNode node, String path, boolean fits, String range)
            throws MappingException {
        if (!node.isIntegralNumber()) {
            throw type(path, "an integer", node);
        }
        if (!fits) {
            throw new MappingException(MappingException.Kind.RANGE, path,
                    node.asText() + " is out of range for " + range);
        }
    }

    private static double readDouble(JsonNode node, String path) throws MappingException {
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isTextual()) {
            switch (node.asText()) {
                case "NaN": return Double.NaN;
                case "Infinity": return Double.POSITIVE_INFINITY;
                case "-Infinity": return Double.NEGATIVE_INFINITY;
                default: break;
            }
        }
        throw type(path, "a number", node);
    }

    private static MappingException type(String path, String expected, JsonNode actual) {
        return new MappingException(MappingException.Kind.TYPE, path,
                "expected " + expected + ", got " + describe(actual));
    }

    private static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "the number " + node.asText();
            case BOOLEAN -> node.asText();
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String fieldNames(Schema schema) {
        List<String> names = new ArrayList<>();
        for (Schema.Field field : schema.getFields()) {
            names.add(field.name());
        }
        return String.join(", ", names);
    }
}
