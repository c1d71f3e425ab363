package io.laminar.model.gguf;

import io.laminar.kernels.GgmlType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file: metadata first, then tensors whose bytes are produced straight into the
 * memory-mapped output by a {@link TensorFiller}, so a multi-gigabyte model never sits on the heap.
 * The file is written to a temporary name and moved into place when complete.
 */
public final class GgufWriter {
    /** Produces a tensor's bytes into {@code out}, which has exactly the tensor's size. */
    @FunctionalInterface
    public interface TensorFiller {
        void fill(MemorySegment out);
    }

    private record PendingTensor(String name, GgmlType type, long[] shape, TensorFiller filler) {
    }

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final int alignment = GgufFile.DEFAULT_ALIGNMENT;

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, new GgufValue(GgufValueType.STRING, null, value));
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, new GgufValue(GgufValueType.UINT32, null, value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, new GgufValue(GgufValueType.FLOAT32, null, value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, new GgufValue(GgufValueType.BOOL, null, value));
    }

    public GgufWriter putStringArray(String key, String[] value) {
        return put(key, new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, value));
    }

    public GgufWriter putFloat32Array(String key, float[] value) {
        return put(key, new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, value));
    }

    public GgufWriter putInt32Array(String key, int[] value) {
        long[] longs = new long[value.length];
        for (int i = 0; i < value.length; i++) {
            longs[i] = value[i];
        }
        return put(key, new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32, longs));
    }

    /**
     * Adds a tensor.
     *
     * @param shape innermost dimension first, as GGUF stores it ({@code {cols, rows}} for a matrix)
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorFiller filler) {
        tensors.add(new PendingTensor(name, type, shape.clone(), filler));
        return this;
    }

    public void write(Path path) throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        Out out = new Out(header);
        out.u32(GgufFile.MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type().id());
            out.value(e.getValue());
        }
        long offset = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            PendingTensor t = tensors.get(i);
            out.string(t.name);
            out.u32(t.shape.length);
            for (long d : t.shape) {
                out.u64(d);
            }
            out.u32(t.type.id());
            out.u64(offset);
            offsets[i] = offset;
            offset = align(offset + t.type.bytesFor(elements(t.shape)));
        }
        long dataOffset = align(header.size());
        long total = dataOffset + offset;

        // A name of its own per writer: two processes writing the same file (a cached test model)
        // must not map and truncate one temporary file, or one could move the other's half-written
        // bytes into place.
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, path.getFileName() + ".", ".partial");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 Arena arena = Arena.ofConfined()) {
                MemorySegment file = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
                MemorySegment.copy(MemorySegment.ofArray(header.toByteArray()), 0, file, 0, header.size());
                for (int i = 0; i < tensors.size(); i++) {
                    PendingTensor t = tensors.get(i);
                    t.filler.fill(file.asSlice(dataOffset + offsets[i], t.type.bytesFor(elements(t.shape))));
                }
                file.force();
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private long align(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static final class Out {
        private final ByteArrayOutputStream os;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Out(ByteArrayOutputStream os) {
            this.os = os;
        }

        void u8(int v) {
            os.write(v);
        }

        void u16(long v) {
            scratch.clear();
            scratch.putShort((short) v);
            os.write(scratch.array(), 0, 2);
        }

        void u32(long v) {
            scratch.clear();
            scratch.putInt((int) v);
            os.write(scratch.array(), 0, 4);
        }

        void u64(long v) {
            scratch.clear();
            scratch.putLong(v);
            os.write(scratch.array(), 0, 8);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            os.write(b, 0, b.length);
        }

        void value(GgufValue v) {
            if (v.type() == GgufValueType.ARRAY) {
                array(v.elementType(), v.value());
            } else {
                scalar(v.type(), v.value());
            }
        }

        private void array(GgufValueType elem, Object value) {
            u32(elem.id());
            int n = java.lang.reflect.Array.getLength(value);
            u64(n);
            for (int i = 0; i < n; i++) {
                Object item = java.lang.reflect.Array.get(value, i);
                if (elem == GgufValueType.ARRAY) {
                    throw new IllegalArgumentException("nested arrays are not written");
                }
                scalar(elem, item);
            }
        }

        private void scalar(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> u8(((Number) v).intValue());
                case UINT16, INT16 -> u16(((Number) v).longValue());
                case UINT32, INT32 -> u32(((Number) v).longValue());
                case UINT64, INT64 -> u64(((Number) v).longValue());
                case FLOAT32 -> u32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case FLOAT64 -> u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
    }
}
