package io.laminar.schemas.codec;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.registry.SchemaRegistryClient;
import io.laminar.schemas.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Avro in Confluent's wire format, the framing of Confluent's serializers and every registry that
 * copies them:
 *
 * <pre>
 * byte 0     00              magic byte
 * byte 1-4   schema id       big endian: the id the registry gave the writer schema
 * byte 5-    Avro binary     the record, encoded with that writer schema
 * </pre>
 *
 * <p>Reading fetches the writer schema by id from the registry (once; then cached) and resolves it
 * against the current schema as single-object decoding does with its fingerprints. A writer
 * schema that cannot be resolved (another record, or an incompatible change) is refused once and
 * remembered, since an id never changes meaning.
 *
 * <p>Thread-safe.
 *
 * @param <T> the generated class of the current schema
 */
final class ConfluentAvro<T> {
    static final byte MAGIC = 0;
    /** Magic byte plus schema id. */
    static final int HEADER_BYTES = 5;

    private final SchemaRegistryClient registry;
    private final Schema reader;
    private final SpecificDatumWriter<T> writer;
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();
    private final Map<Integer, String> refused = new ConcurrentHashMap<>();

    /** @param registry where writer schemas are fetched; null when none is configured (every record is then refused) */
    ConfluentAvro(SchemaRegistryClient registry, Schema reader) {
        this.registry = registry;
        this.reader = reader;
        this.writer = new SpecificDatumWriter<>(reader, TrustedSpecificData.INSTANCE);
    }

    /** Whether a value is framed this way: its first byte is the magic byte. */
    static boolean framed(byte[] value) {
        return value != null && value.length > 0 && value[0] == MAGIC;
    }

    /** The schema id of a framed value of at least {@link #HEADER_BYTES} bytes. */
    static int schemaId(byte[] value) {
        return ByteBuffer.wrap(value, 1, 4).getInt();
    }

    /** The writer schema of a framed value when this process already has it, else null; never calls the registry. */
    Schema knownWriter(byte[] value) {
        return registry == null || value.length < HEADER_BYTES ? null : registry.cachedSchema(schemaId(value));
    }

    /** {@code datum} framed with {@code schemaId}, which must name the current schema in the registry. */
    byte[] write(T datum, int schemaId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        out.write(MAGIC);
        out.writeBytes(ByteBuffer.allocate(4).putInt(schemaId).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(datum, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Decodes a framed value.
     *
     * @throws WireDecodeException UNDECODABLE for a truncated header or a body that does not decode;
     *                             UNKNOWN_SCHEMA when no registry is configured, the registry does not have
     *                             the id (or cannot be reached), or its schema cannot be read as the current one
     */
    T read(byte[] value) {
        if (value.length < HEADER_BYTES) {
            throw new WireDecodeException(ErrorCode.UNDECODABLE, "truncated Confluent wire format header: "
                    + value.length + " bytes", null);
        }
        int id = schemaId(value);
        DatumReader<T> datumReader = readerFor(id);
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(value, HEADER_BYTES, value.length - HEADER_BYTES,
                    null);
            return datumReader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new WireDecodeException(ErrorCode.UNDECODABLE, "Avro body (schema id " + id + ") does not decode: "
                    + RequestCodec.rootMessage(e), e);
        }
    }

    private DatumReader<T> readerFor(int id) {
        DatumReader<T> cached = readers.get(id);
        if (cached != null) {
            return cached;
        }
        String refusal = refused.get(id);
        if (refusal != null) {
            throw new WireDecodeException(ErrorCode.UNKNOWN_SCHEMA, refusal, null);
        }
        if (registry == null) {
            throw new WireDecodeException(ErrorCode.UNKNOWN_SCHEMA, "record is in Confluent's wire format (schema id "
                    + id + ") but no schema registry is configured (" + SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG + ")",
                    null);
        }
        Schema writerSchema;
        try {
            writerSchema = registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            throw new WireDecodeException(ErrorCode.UNKNOWN_SCHEMA, e.getMessage(), e);
        }
        SchemaCompatibility.SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, writerSchema);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            String message = "schema id " + id + " (" + writerSchema.getFullName() + ") cannot be read as "
                    + reader.getFullName() + ": " + compatibility.getResult().getIncompatibilities().stream()
                    .map(i -> i.getType() + " at " + i.getLocation()).limit(3).toList();
            refused.put(id, message);
            throw new WireDecodeException(ErrorCode.UNKNOWN_SCHEMA, message, null);
        }
        DatumReader<T> datumReader = new SpecificDatumReader<>(writerSchema, reader, TrustedSpecificData.INSTANCE);
        DatumReader<T> raced = readers.putIfAbsent(id, datumReader);
        return raced != null ? raced : datumReader;
    }
}
