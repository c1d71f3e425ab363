package io.laminar.actors.gateway;

import io.laminar.schemas.ErrorCode;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The copy of a refused record for the dead-letter topic: its key and value with headers saying
 * why it was refused and where it came from. A value too large to write is cut (Kafka limits the
 * uncompressed size of what a producer sends, while a compressed request may be far larger);
 * headers then say so and give the original's size, and the original itself stays readable in the
 * requests topic at its source position.
 */
record DeadLetter(String sourcePartition, long sourceOffset, byte[] key, byte[] value, ErrorCode code,
                  String message) {
    static final String HEADER_ERROR_CODE = "laminar.error.code";
    static final String HEADER_ERROR_MESSAGE = "laminar.error.message";
    /** Where the original is: topic-partition@offset. */
    static final String HEADER_SOURCE = "laminar.source";
    /** Present, "true", only when the value is cut. */
    static final String HEADER_TRUNCATED = "laminar.truncated";
    /** Present only when the value is cut: the original value's length in bytes. */
    static final String HEADER_ORIGINAL_SIZE = "laminar.original.size";

    /**
     * Bytes a record may need besides its key, value and header contents: the batch header (61),
     * the record's own lengths and varints (at most 21), and a varint pair per header; generous, so
     * that a value cut to fit really fits.
     */
    static final int RECORD_OVERHEAD_BYTES = 512;

    static DeadLetter of(RequestPoller.Received r, ErrorCode code, String message) {
        return new DeadLetter(r.partition().toString(), r.offset(), r.key(), r.value(), code, message);
    }

    int valueLength() {
        return value == null ? 0 : value.length;
    }

    /**
     * The most value bytes that keep the record within {@code maxRecordBytes} (the producer's
     * {@code max.request.size}), with the headers a cut adds; at least 0.
     */
    int valueBytesFitting(int maxRecordBytes) {
        int fixed = RECORD_OVERHEAD_BYTES + (key == null ? 0 : key.length);
        for (var h : headers(true)) {
            fixed += h.key().length() + h.value().length;
        }
        return Math.max(0, maxRecordBytes - fixed);
    }

    /** The record, its value cut to at most {@code keep} bytes (headers then say it was cut). */
    ProducerRecord<byte[], byte[]> toRecord(String topic, int keep) {
        boolean cut = value != null && keep < value.length;
        byte[] v = cut ? Arrays.copyOf(value, Math.max(0, keep)) : value;
        return new ProducerRecord<>(topic, null, key, v, headers(cut));
    }

    private RecordHeaders headers(boolean cut) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(HEADER_ERROR_CODE, utf8(code.name()));
        headers.add(HEADER_ERROR_MESSAGE, utf8(message));
        headers.add(HEADER_SOURCE, utf8(sourcePartition + "@" + sourceOffset));
        if (cut) {
            headers.add(HEADER_TRUNCATED, utf8("true"));
            headers.add(HEADER_ORIGINAL_SIZE, utf8(Integer.toString(valueLength())));
        }
        return headers;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
