package io.laminar.model.gguf;

import io.laminar.kernels.GgmlType;
import io.laminar.model.testing.Bytes;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufFileTest {
    @TempDir
    Path tmp;

    @Test
    void readsTheRealStoriesModel() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.stories260K())) {
            assertEquals("llama", f.metadata().getString("general.architecture"));
            assertEquals(64, f.metadata().getInt("llama.embedding_length"));
            assertEquals(5, f.metadata().getInt("llama.block_count"));
            assertEquals(512, f.metadata().getStringArray("tokenizer.ggml.tokens").length);
            GgufTensor q = f.tensor("blk.0.attn_q.weight");
            assertEquals(GgmlType.F32, q.type());
            assertArrayEquals(new long[] {64, 64}, q.shape());
            assertEquals(64 * 64 * 4, q.data().byteSize());
        }
    }

    @Test
    void roundTripsMetadataAndTensors() throws IOException {
        Path p = tmp.resolve("rt.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putUInt32("llama.block_count", 3)
                .putFloat32("llama.rope.freq_base", 10000f)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putStringArray("tokenizer.ggml.tokens", new String[] {"a", "ü", "<s>"})
                .putFloat32Array("tokenizer.ggml.scores", new float[] {1f, 2f, 3f})
                .putInt32Array("tokenizer.ggml.token_type", new int[] {1, 1, 3})
                .addTensor("t0", GgmlType.F32, new long[] {4, 2},
                        out -> { for (int i = 0; i < 8; i++) out.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i); })
                .addTensor("t1", GgmlType.Q8_0, new long[] {32}, out -> out.fill((byte) 7))
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufMetadata m = f.metadata();
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals(3, m.getInt("llama.block_count"));
            assertEquals(10000f, m.getFloat("llama.rope.freq_base"));
            assertTrue(m.getBoolean("tokenizer.ggml.add_bos_token", false));
            assertArrayEquals(new String[] {"a", "ü", "<s>"}, m.getStringArray("tokenizer.ggml.tokens"));
            assertArrayEquals(new float[] {1f, 2f, 3f}, m.getFloatArray("tokenizer.ggml.scores"));
            assertArrayEquals(new int[] {1, 1, 3}, m.getIntArray("tokenizer.ggml.token_type"));
            MemorySegment t0 = f.tensor("t0").data();
            assertEquals(5f, t0.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 5));
            assertEquals(34, f.tensor("t1").data().byteSize());
            assertEquals(0, f.tensor("t1").data().address() % GgufFile.DEFAULT_ALIGNMENT);
        }
    }

    @Test
    void truncatedFileNamesTheTensorThatDoesNotFit() throws IOException {
        Path p = tmp.resolve("t.gguf");
        new GgufWriter().putString("general.architecture", "llama")
                .addTensor("big", GgmlType.F32, new long[] {1024}, out -> { })
                .write(p);
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length - 100));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("big"), e.getMessage());
    }

    @Test
    void truncatedHeaderSaysWhatWasBeingRead() throws IOException {
        Path p = tmp.resolve("h.gguf");
        new GgufWriter().putString("general.architecture", "llama").write(p);
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, 60)); // cut inside the value of general.architecture
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains("general.architecture"), e.getMessage());
    }

    @Test
    void notGgufAndCorruptCountsAreReported() throws IOException {
        Path p = tmp.resolve("x.gguf");
        Files.writeString(p, "this is not a model file at all");
        assertTrue(assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close())
                .getMessage().contains("not a GGUF file"));

        new GgufWriter().putString("general.architecture", "llama").write(p);
        byte[] b = Files.readAllBytes(p);
        b[16] = (byte) 0xff; // metadata count low byte -> hundreds of entries in a tiny file
        b[20] = (byte) 0x7f;
        Files.write(p, b);
        assertTrue(assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close())
                .getMessage().contains("metadata count"));
    }

    @Test
    void unknownTensorTypeIsNamed() throws IOException {
        Path p = tmp.resolve("u.gguf");
        new GgufWriter().addTensor("w", GgmlType.F32, new long[] {4}, out -> { }).write(p);
        byte[] b = Files.readAllBytes(p);
        // The type id is the u32 after name, dims and shape: locate it by the name's position (past the
        // 24-byte header).
        int at = Bytes.indexOf(b, "w".getBytes(), 24) + 1 + 4 + 8;
        b[at] = 99;
        Files.write(p, b);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains("unknown type id 99") && e.getMessage().contains("w"), e.getMessage());
    }
}
