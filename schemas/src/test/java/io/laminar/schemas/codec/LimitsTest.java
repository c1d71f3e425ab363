package io.laminar.schemas.codec;

import static io.laminar.schemas.codec.RoundTripTest.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laminar.schemas.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/**
 * Records that lie about their sizes are refused quickly, before anything big is allocated, and
 * JSON input is bounded in size and nesting.
 */
class LimitsTest {

    private static final Duration QUICKLY = Duration.ofSeconds(2);
    /** Fields of InferenceRequest between prompt and stop, each a nullable union written as null. */
    private static final int NULLS_BEFORE_STOP = 9;

    private final RequestCodec codec = new RequestCodec();

    @Test
    void avroLimitsAreInForce() {
        assertEquals(List.of(), AvroLimits.install());
        assertEquals(String.valueOf(AvroLimits.DEFAULT_COLLECTION_ITEMS_MAX_LENGTH),
                System.getProperty(AvroLimits.COLLECTION_ITEMS_MAX_LENGTH_PROPERTY));
        assertEquals("org.apache.avro.limits.collectionItems.maxLength", AvroLimits.COLLECTION_ITEMS_MAX_LENGTH_PROPERTY);
        assertEquals("org.apache.avro.limits.string.maxLength", AvroLimits.STRING_MAX_LENGTH_PROPERTY);
        assertEquals("org.apache.avro.limits.bytes.maxLength", AvroLimits.BYTES_MAX_LENGTH_PROPERTY);
        assertEquals("org.apache.avro.limits.collectionItems.maxAllocation",
                AvroLimits.COLLECTION_ITEMS_MAX_ALLOCATION_PROPERTY);
    }

    @Test
    void stopArrayClaimingTwoBillionItems() throws IOException {
        for (long claimed : new long[] {1L << 31, Integer.MAX_VALUE - 8L, 100_000L}) {
            assertUndecodable(stopArrayClaiming(claimed), "liar");
        }
        // Under the JVM's array limit but over ours: Avro's SystemLimitException names the count.
        String message = rejectedQuickly(stopArrayClaiming(100_000L)).message();
        assertTrue(message.contains("SystemLimitException") && message.contains("100000"), message);
    }

    @Test
    void mapClaimingTwoBillionEntries() throws IOException {
        byte[] value = avro(WireSchemas.request(), e -> {
            e.writeString("liar");
            e.writeIndex(1);
            e.writeString("Hello");
            for (int i = 0; i < NULLS_BEFORE_STOP; i++) {
                e.writeIndex(0);
            }
            e.writeArrayStart();
            e.setItemCount(0); // stop: empty (writes the 0 that ends the array)
            e.writeIndex(0); // deadline_epoch_ms
            e.writeIndex(0); // timeout_ms
            e.writeLong(1L << 31); // metadata: a block claiming 2^31 entries
        });
        assertUndecodable(value, "liar");
    }

    @Test
    void messagesClaimingTwoBillionRecords() throws IOException {
        byte[] value = avro(WireSchemas.request(), e -> {
            e.writeString("liar");
            e.writeIndex(0); // prompt: null
            e.writeIndex(1); // messages: the array branch
            e.writeLong(1L << 31);
            e.writeString("user");
            e.writeString("hi");
        });
        RequestDecodeResult.Rejected rejected = rejectedQuickly(value);
        assertEquals(ErrorCode.UNDECODABLE, rejected.code(), rejected.message());
    }

    @Test
    void stringClaimingTwoGigabytes() throws IOException {
        byte[] value = avro(WireSchemas.request(), e -> {
            e.writeString("liar");
            e.writeIndex(1);
            e.writeLong(Integer.MAX_VALUE - 8L); // prompt length
            e.writeFixed(new byte[] {'a', 'b'});
        });
        assertUndecodable(value, "liar");
    }

    @Test
    void responseEventWithLyingMetadataIsUndecodable() throws IOException {
        byte[] value = avro(WireSchemas.response(), e -> {
            e.writeIndex(1);
            e.writeString("r");
            e.writeEnum(1); // TOKEN
            e.writeLong(1L);
            e.writeLong(1L << 31); // metadata
        });
        ResponseCodec responses = new ResponseCodec();
        WireDecodeException thrown = assertTimeoutPreemptively(QUICKLY,
                () -> assertThrows(WireDecodeException.class, () -> responses.decode(value)));
        assertEquals(ErrorCode.UNDECODABLE, thrown.code());
    }

    @Test
    void deeplyNestedJsonIsRefusedBeforeItIsBuilt() {
        String deep = "{\"request_id\":\"deep\",\"prompt\":\"x\",\"metadata\":{\"a\":" + "[".repeat(100_000)
                + "]".repeat(100_000) + "}}";
        RequestDecodeResult.Rejected rejected = rejectedQuickly(utf8(deep));
        assertEquals(ErrorCode.UNDECODABLE, rejected.code());
        assertTrue(rejected.message().contains("nesting") || rejected.message().contains("depth"), rejected.message());
        assertEquals("deep", rejected.requestId());
    }

    @Test
    void jsonSizeAndNumberLengthAreBounded() {
        byte[] big = utf8("{\"request_id\":\"big\",\"prompt\":\"" + "x".repeat(SchemasConfig.DEFAULT_REQUEST_MAX_BYTES) + "\"}");
        RequestDecodeResult.Rejected rejected = rejectedQuickly(big);
        assertEquals(ErrorCode.INVALID_REQUEST, rejected.code());
        assertEquals("big", rejected.requestId());

        byte[] longNumber = utf8("{\"request_id\":\"n\",\"prompt\":\"x\",\"seed\":" + "9".repeat(10_000) + "}");
        assertEquals(ErrorCode.UNDECODABLE, rejectedQuickly(longNumber).code());
    }

    /** A request "liar" with a prompt and a stop array whose first block claims {@code claimed} items. */
    private static byte[] stopArrayClaiming(long claimed) throws IOException {
        return avro(WireSchemas.request(), e -> {
            e.writeString("liar");
            e.writeIndex(1);
            e.writeString("Hello");
            for (int i = 0; i < NULLS_BEFORE_STOP; i++) {
                e.writeIndex(0);
            }
            e.writeLong(claimed);
            e.writeString("a");
        });
    }

    /** A single-object Avro value of {@code schema} whose body is what {@code fields} writes, lies included. */
    private static byte[] avro(Schema schema, Fields fields) throws IOException {
        ByteArrayOutputStream out = header(schema);
        BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
        fields.write(e);
        e.flush();
        return out.toByteArray();
    }

    @FunctionalInterface
    private interface Fields {
        void write(BinaryEncoder e) throws IOException;
    }

    private static ByteArrayOutputStream header(Schema schema) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xC3);
        out.write(0x01);
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(WireSchemas.fingerprint(schema)).array());
        return out;
    }

    /** The value is rejected quickly as UNDECODABLE, and the request id before the lie is still read. */
    private void assertUndecodable(byte[] value, String requestId) {
        RequestDecodeResult.Rejected rejected = rejectedQuickly(value);
        assertEquals(ErrorCode.UNDECODABLE, rejected.code(), rejected.message());
        assertEquals(requestId, rejected.requestId());
    }

    private RequestDecodeResult.Rejected rejectedQuickly(byte[] value) {
        RequestDecodeResult result = assertTimeoutPreemptively(QUICKLY, () -> codec.decode(value));
        return assertInstanceOf(RequestDecodeResult.Rejected.class, result, String.valueOf(result));
    }
}
