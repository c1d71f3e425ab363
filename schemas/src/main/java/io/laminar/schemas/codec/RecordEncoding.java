package io.laminar.schemas.codec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * Writing one record as Avro, single-object or in Confluent's framing, the same way for requests and
 * response events: a record that does not fit its schema is an IllegalArgumentException that names
 * what it is, so a caller can tell a bad record from an I/O failure.
 */
final class RecordEncoding {
    private RecordEncoding() {
    }

    /** {@code record} in Avro's single-object encoding; {@code what} names it in the error ("request", "event"). */
    static <T> byte[] singleObject(BinaryMessageEncoder<T> encoder, T record, String what) {
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw doesNotFit(what, e);
        }
    }

    /** {@code record} in Confluent's wire format under {@code schemaId}. */
    static <T> byte[] confluent(ConfluentAvro<T> confluent, T record, int schemaId, String what) {
        try {
            return confluent.write(record, schemaId);
        } catch (RuntimeException e) {
            throw doesNotFit(what, e);
        }
    }

    private static IllegalArgumentException doesNotFit(String what, RuntimeException e) {
        return new IllegalArgumentException(what + " does not fit the schema: " + e.getMessage(), e);
    }
}
