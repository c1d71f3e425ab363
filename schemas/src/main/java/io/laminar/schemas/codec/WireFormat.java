package io.laminar.schemas.codec;

import java.util.Locale;
import java.util.Optional;

/**
 * How a record value is encoded. Requests may come in either, detected per record; response events
 * and client requests are written in the one a serializer setting picks.
 */
public enum WireFormat {
    /**
     * Avro binary, framed one of two ways: single-object encoding ({@code C3 01}, the writer
     * schema's 8-byte CRC-64-AVRO fingerprint, little endian, then the body), or, with a schema
     * registry, Confluent's wire format ({@code 00}, the writer schema's 4-byte registry id, big
     * endian, then the body). Decoders read both; encoders write the second when a registry is
     * configured.
     */
    AVRO,
    /** One UTF-8 JSON object with the schema's snake_case field names; optional fields may be omitted. */
    JSON;

    /** The two marker bytes that open every single-object encoded value. */
    static final byte MARKER_0 = (byte) 0xC3;
    static final byte MARKER_1 = (byte) 0x01;
    /** Marker plus fingerprint: the single-object header. */
    static final int AVRO_HEADER_BYTES = 10;

    /**
     * The format of a record value: AVRO when it starts with {@code C3 01} (single-object) or
     * {@code 00} (Confluent's wire format), JSON when its first byte after optional whitespace (and a
     * UTF-8 byte order mark) is <code>{</code>, empty otherwise.
     */
    public static Optional<WireFormat> detect(byte[] value) {
        if (value == null || value.length == 0) {
            return Optional.empty();
        }
        if (value.length >= 2 && value[0] == MARKER_0 && value[1] == MARKER_1 || value[0] == ConfluentAvro.MAGIC) {
            return Optional.of(AVRO);
        }
        int i = 0;
        if (value.length >= 3 && value[0] == (byte) 0xEF && value[1] == (byte) 0xBB && value[2] == (byte) 0xBF) {
            i = 3;
        }
        while (i < value.length && (value[i] == ' ' || value[i] == '\t' || value[i] == '\n' || value[i] == '\r')) {
            i++;
        }
        return i < value.length && value[i] == '{' ? Optional.of(JSON) : Optional.empty();
    }

    /** The setting value naming this format: {@code avro} or {@code json}. */
    public String configValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The format a setting value names, case-insensitively. */
    public static WireFormat fromConfigValue(String value) {
        for (WireFormat format : values()) {
            if (format.configValue().equalsIgnoreCase(value.strip())) {
                return format;
            }
        }
        throw new IllegalArgumentException("wire format '" + value + "' is neither avro nor json");
    }
}
