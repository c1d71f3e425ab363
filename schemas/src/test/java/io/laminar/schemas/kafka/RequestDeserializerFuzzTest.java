package io.laminar.schemas.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laminar.schemas.ChatMessage;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.codec.RequestCodec;
import io.laminar.schemas.codec.RequestDecodeResult;
import io.laminar.schemas.codec.RequestValidator;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireFormat;
import io.laminar.schemas.codec.WireSchemas;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random and mutated records through RequestDeserializer: it never throws, never
 * hangs, and every input is either accepted (and then valid) or rejected with a code.
 */
class RequestDeserializerFuzzTest {

    private static final int INPUTS = 20_000;
    private static final long SEED = Long.getLong("laminar.fuzz.seed", 20_260_101L);

    private final RequestDeserializer deserializer = new RequestDeserializer();

    @Test
    void neverThrowsNeverHangsAlwaysAnswers() {
        deserializer.configure(Map.of(), false);
        List<byte[]> seeds = seeds();
        Random random = new Random(SEED);
        Map<ErrorCode, Integer> rejected = new EnumMap<>(ErrorCode.class);
        int[] accepted = new int[1];
        long[] slowestNanos = new long[1];
        RequestValidator validator = new RequestValidator(SchemasConfig.defaults());

        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int i = 0; i < INPUTS; i++) {
                byte[] input = input(random, seeds);
                long start = System.nanoTime();
                RequestDecodeResult result = deserializer.deserialize("laminar.requests", input);
                slowestNanos[0] = Math.max(slowestNanos[0], System.nanoTime() - start);
                assertNotNull(result, () -> "no answer for " + hex(input));
                switch (result) {
                    case RequestDecodeResult.Accepted a -> {
                        accepted[0]++;
                        assertTrue(validator.validate(a.request(), a.format()).isAccepted(), () -> hex(input));
                    }
                    case RequestDecodeResult.Rejected r -> {
                        assertNotNull(r.code());
                        assertNotNull(r.message());
                        assertNotEquals(ErrorCode.INTERNAL, r.code(), () -> r.message() + " for " + hex(input));
                        assertNotEquals(ErrorCode.UNRECOGNIZED, r.code());
                        rejected.merge(r.code(), 1, Integer::sum);
                    }
                }
            }
        }, "seed " + SEED);

        System.out.printf("fuzz seed %d: %d accepted, rejected %s, slowest %.1f ms%n", SEED, accepted[0], rejected,
                slowestNanos[0] / 1e6);
        assertTrue(slowestNanos[0] < 1_000_000_000L, "one input took " + slowestNanos[0] / 1e6 + " ms");
        // The mutations reach past the header checks into the bodies and the validator.
        assertTrue(accepted[0] > 0, "nothing accepted");
        for (ErrorCode code : List.of(ErrorCode.UNDECODABLE, ErrorCode.UNKNOWN_SCHEMA, ErrorCode.INVALID_REQUEST)) {
            assertTrue(rejected.getOrDefault(code, 0) > 0, "no " + code + " in " + rejected);
        }
    }

    @Test
    void theSameInputGivesTheSameAnswer() {
        Random random = new Random(SEED + 1);
        List<byte[]> seeds = seeds();
        RequestDeserializer other = new RequestDeserializer(new RequestCodec());
        for (int i = 0; i < 2_000; i++) {
            byte[] input = input(random, seeds);
            assertEquals(deserializer.deserialize("t", input), other.deserialize("t", input.clone()), () -> hex(input));
        }
    }

    private static List<byte[]> seeds() {
        RequestCodec codec = new RequestCodec();
        List<InferenceRequest> requests = List.of(
                InferenceRequest.newBuilder().setRequestId("r1").setPrompt("Once upon a time").setMaxTokens(20)
                        .setTemperature(0f).build(),
                InferenceRequest.newBuilder().setRequestId("chat-2").setMessages(List.of(
                        new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi ✓")))
                        .setMaxTokens(8).setStop(List.of("\n")).setMetadata(Map.of("tenant", "acme")).build(),
                InferenceRequest.newBuilder().setRequestId("full-3").setPrompt("p").setTopK(40).setTopP(0.9f)
                        .setMinP(0.05f).setRepeatPenalty(1.1f).setRepeatLastN(64).setSeed(7L)
                        .setDeadlineEpochMs(1L << 40).setTimeoutMs(5000L).build());
        List<byte[]> seeds = new ArrayList<>();
        for (InferenceRequest request : requests) {
            for (WireFormat format : WireFormat.values()) {
                seeds.add(codec.encode(request, format));
            }
        }
        seeds.add("{\"request_id\":\"r4\",\"prompt\":\"x\",\"temperature\":\"NaN\",\"max_tokens\":-1}"
                .getBytes(StandardCharsets.UTF_8));
        return seeds;
    }

    /** One fuzz input: a mutated seed (most of the time) or random bytes behind a plausible start. */
    private static byte[] input(Random random, List<byte[]> seeds) {
        int kind = random.nextInt(10);
        if (kind < 7) {
            byte[] out = seeds.get(random.nextInt(seeds.size())).clone();
            int mutations = 1 + random.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                out = mutate(random, out, seeds);
            }
            return out;
        }
        byte[] body = new byte[random.nextInt(300)];
        random.nextBytes(body);
        return switch (kind) {
            case 7 -> concat(avroHeader(), body);                  // known fingerprint, random body
            case 8 -> concat(new byte[] {'{'}, body);              // JSON-looking
            default -> body;                                       // anything
        };
    }

    private static byte[] mutate(Random random, byte[] in, List<byte[]> seeds) {
        if (in.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        int at = random.nextInt(in.length);
        return switch (random.nextInt(8)) {
            case 0 -> { // flip a bit, but mostly past the header so bodies get exercised
                byte[] out = in.clone();
                int pos = in.length > 12 && random.nextBoolean() ? 10 + random.nextInt(in.length - 10) : at;
                out[pos] ^= (byte) (1 << random.nextInt(8));
                yield out;
            }
            case 1 -> { // an interesting byte
                byte[] out = in.clone();
                byte[] interesting = {0, (byte) 0xFF, 0x7F, (byte) 0x80, 1, 2, '"', '{', '}', '[', ']', ',', ':'};
                out[at] = interesting[random.nextInt(interesting.length)];
                yield out;
            }
            case 2 -> Arrays.copyOf(in, at); // truncate
            case 3 -> { // insert random bytes
                byte[] extra = new byte[1 + random.nextInt(8)];
                random.nextBytes(extra);
                yield concat(Arrays.copyOf(in, at), extra, Arrays.copyOfRange(in, at, in.length));
            }
            case 4 -> { // insert a huge varint: a length or count of about 2^31
                byte[] huge = {(byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F};
                yield concat(Arrays.copyOf(in, at), huge, Arrays.copyOfRange(in, at, in.length));
            }
            case 5 -> { // delete a slice
                int end = Math.min(in.length, at + 1 + random.nextInt(16));
                yield concat(Arrays.copyOf(in, at), Arrays.copyOfRange(in, end, in.length));
            }
            case 6 -> { // duplicate a slice
                int end = Math.min(in.length, at + 1 + random.nextInt(32));
                yield concat(Arrays.copyOf(in, end), Arrays.copyOfRange(in, at, in.length));
            }
            default -> { // splice with another seed
                byte[] other = seeds.get(random.nextInt(seeds.size()));
                int from = random.nextInt(other.length);
                yield concat(Arrays.copyOf(in, at), Arrays.copyOfRange(other, from, other.length));
            }
        };
    }

    private static byte[] avroHeader() {
        return ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).put((byte) 0xC3).put((byte) 0x01)
                .putLong(WireSchemas.fingerprint(WireSchemas.request())).array();
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int pos = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, pos, part.length);
            pos += part.length;
        }
        return out;
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }
}
