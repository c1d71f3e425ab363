package io.laminar.model.gguf;

import io.laminar.kernels.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped read-only: metadata is decoded onto the heap, tensor
 * data stays in the mapping and is handed out as slices, so a model is never copied onto the heap.
 *
 * <p>Layout (all little-endian): magic {@code "GGUF"}, u32 version, u64 tensor count, u64 metadata
 * count, the metadata key/value pairs, the tensor infos (name, u32 dims, u64 shape[dims], u32 type,
 * u64 offset), padding to {@code general.alignment} (default 32), then the tensor data, each
 * tensor at its offset from the start of the data section.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Tensors have at most this many dimensions (GGML_MAX_DIMS). */
    private static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, GgufTensor> tensors;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file, int version, GgufMetadata metadata,
                     Map<String, GgufTensor> tensors, long dataOffset) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataOffset = dataOffset;
    }

    /**
     * Maps and parses {@code path}.
     *
     * @throws GgufFormatException if the file is not GGUF, is truncated or corrupt; the message says
     *                             what was found and where
     * @throws IOException         if the file cannot be read
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            GgufFile f = parse(path, arena, file);
            return f;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new NoSuchFileException(path.toString(), null, "no such model file");
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment file) {
        Cursor c = new Cursor(path, file);
        if (file.byteSize() < 4) {
            throw new GgufFormatException(path + ": not a GGUF file (only " + file.byteSize() + " bytes)");
        }
        int magic = c.u32("magic");
        if (magic != MAGIC) {
            throw new GgufFormatException(String.format(
                    "%s: not a GGUF file (magic 0x%08x, expected 0x%08x \"GGUF\")", path, magic, MAGIC));
        }
        int version = c.u32("version");
        if (version == 1) {
            throw new GgufFormatException(path + ": GGUF version 1 is not supported (versions 2 and 3 are)");
        }
        if (version != 2 && version != 3) {
            if (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3) {
                throw new GgufFormatException(path + ": big-endian GGUF is not supported");
            }
            throw new GgufFormatException(path + ": unknown GGUF version " + Integer.toUnsignedString(version)
                    + " (versions 2 and 3 are supported)");
        }
        long tensorCount = c.u64("tensor count");
        long kvCount = c.u64("metadata count");
        // Every tensor info and key/value pair takes at least 8 bytes; larger counts are corruption.
        c.checkCount(tensorCount, 8, "tensor count");
        c.checkCount(kvCount, 8, "metadata count");

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = c.string("metadata key #" + i);
            int typeId = c.u32("type of metadata key=" + key);
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) {
                throw new GgufFormatException(path + ": metadata key=" + key + " has unknown value type " + typeId
                        + " at offset " + (c.pos - 4));
            }
            kv.put(key, c.value(key, type));
        }
        GgufMetadata metadata = new GgufMetadata(kv);
        long alignment = metadata.has(ALIGNMENT_KEY) ? metadata.getLong(ALIGNMENT_KEY) : DEFAULT_ALIGNMENT;
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
            throw new GgufFormatException(path + ": " + ALIGNMENT_KEY + "=" + alignment + " is not a power of two");
        }

        record Info(String name, long[] shape, GgmlType type, long offset, long bytes) {
        }
        Info[] infos = new Info[(int) tensorCount];
        for (int i = 0; i < tensorCount; i++) {
            String name = c.string("name of tensor #" + i);
            int dims = c.u32("dimension count of tensor " + name);
            if (dims < 1 || dims > MAX_DIMS) {
                throw new GgufFormatException(path + ": tensor " + name + " has " + dims + " dimensions (1 to "
                        + MAX_DIMS + " allowed)");
            }
            long[] shape = new long[dims];
            long elements = 1;
            for (int d = 0; d < dims; d++) {
                shape[d] = c.u64("shape of tensor " + name);
                if (shape[d] <= 0 || shape[d] > file.byteSize() * 8) {
                    throw new GgufFormatException(path + ": tensor " + name + " has impossible dimension " + shape[d]);
                }
                elements = Math.multiplyExact(elements, shape[d]);
            }
            int typeId = c.u32("type of tensor " + name);
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw new GgufFormatException(path + ": tensor " + name + " has unknown type id " + typeId);
            }
            long offset = c.u64("offset of tensor " + name);
            if (shape[0] % type.blockSize() != 0) {
                throw new GgufFormatException(path + ": tensor " + name + " of type " + type + " has rows of "
                        + shape[0] + " elements, not a multiple of its block size " + type.blockSize());
            }
            if (offset % alignment != 0) {
                throw new GgufFormatException(path + ": tensor " + name + " offset " + offset
                        + " is not aligned to " + alignment);
            }
            infos[i] = new Info(name, shape, type, offset, type.bytesFor(elements));
        }
        long dataOffset = (c.pos + alignment - 1) / alignment * alignment;

        Map<String, GgufTensor> tensors = new LinkedHashMap<>();
        for (Info info : infos) {
            long start = dataOffset + info.offset;
            if (start + info.bytes > file.byteSize() || start < dataOffset) {
                throw new GgufFormatException(String.format(
                        "%s: truncated: tensor %s (%s, %d bytes) ends at byte %d but the file has %d bytes",
                        path, info.name, info.type, info.bytes, start + info.bytes, file.byteSize()));
            }
            if (tensors.containsKey(info.name)) {
                throw new GgufFormatException(path + ": tensor " + info.name + " appears twice");
            }
            tensors.put(info.name, new GgufTensor(info.name, info.shape, info.type,
                    file.asSlice(start, info.bytes)));
        }
        return new GgufFile(path, arena, file, version, metadata, Collections.unmodifiableMap(tensors), dataOffset);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** Tensors in file order. */
    public Map<String, GgufTensor> tensors() {
        return tensors;
    }

    /** The tensor named {@code name}, or a {@link GgufFormatException} that names the file and tensor. */
    public GgufTensor tensor(String name) {
        GgufTensor t = tensors.get(name);
        if (t == null) {
            throw new GgufFormatException(path + ": tensor " + name + " is missing");
        }
        return t;
    }

    public GgufTensor findTensor(String name) {
        return tensors.get(name);
    }

    /** Byte offset of the tensor data section. */
    public long dataOffset() {
        return dataOffset;
    }

    /** The whole mapped file. */
    public MemorySegment segment() {
        return file;
    }

    /** Unmaps the file; tensor views must not be used afterwards. */
    @Override
    public void close() {
        arena.close();
    }

    /** Reads the header fields in order, turning every out-of-bounds read into a "truncated" error. */
    private static final class Cursor {
        private final Path path;
        private final MemorySegment seg;
        private long pos;

        Cursor(Path path, MemorySegment seg) {
            this.path = path;
            this.seg = seg;
        }

        private void need(long bytes, String what) {
            if (bytes < 0 || pos + bytes > seg.byteSize()) {
                throw new GgufFormatException(String.format(
                        "%s: truncated or corrupt: reading %s needs %d bytes at offset %d, the file has %d bytes",
                        path, what, bytes, pos, seg.byteSize()));
            }
        }

        void checkCount(long count, long minBytesEach, String what) {
            if (count < 0 || count > (seg.byteSize() - pos) / minBytesEach) {
                throw new GgufFormatException(path + ": corrupt: " + what + "=" + Long.toUnsignedString(count)
                        + " cannot fit in a file of " + seg.byteSize() + " bytes");
            }
        }

        int u32(String what) {
            need(4, what);
            int v = seg.get(U32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = seg.get(U64, pos);
            pos += 8;
            return v;
        }

        String string(String what) {
            long len = u64("length of " + what);
            need(len, what);
            byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        GgufValue value(String key, GgufValueType type) {
            if (type == GgufValueType.ARRAY) {
                int elemId = u32("element type of key=" + key);
                GgufValueType elem = GgufValueType.byId(elemId);
                if (elem == null) {
                    throw new GgufFormatException(path + ": metadata key=" + key + " is an array of unknown type "
                            + elemId);
                }
                long n = u64("length of key=" + key);
                checkCount(n, elem.size() > 0 ? elem.size() : 8, "length of key=" + key);
                return new GgufValue(type, elem, array(key, elem, (int) n));
            }
            return new GgufValue(type, null, scalar(key, type));
        }

        private Object array(String key, GgufValueType elem, int n) {
            String what = "key=" + key;
            switch (elem) {
                case STRING -> {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = string(what + "[" + i + "]");
                    }
                    return a;
                }
                case FLOAT32 -> {
                    need(4L * n, what);
                    float[] a = new float[n];
                    MemorySegment.copy(seg, F32, pos, a, 0, n);
                    pos += 4L * n;
                    return a;
                }
                case FLOAT64 -> {
                    double[] a = new double[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (Double) scalar(key, elem);
                    }
                    return a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (Boolean) scalar(key, elem);
                    }
                    return a;
                }
                case ARRAY -> {
                    Object[] a = new Object[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = value(key, GgufValueType.ARRAY).value();
                    }
                    return a;
                }
                default -> {
                    need((long) elem.size() * n, what);
                    long[] a = new long[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (Long) scalar(key, elem);
                    }
                    return a;
                }
            }
        }

        private Object scalar(String key, GgufValueType type) {
            String what = "key=" + key;
            if (type == GgufValueType.STRING) {
                return string(what);
            }
            need(type.size(), what);
            Object v = switch (type) {
                case UINT8 -> (long) Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, pos));
                case INT8 -> (long) seg.get(ValueLayout.JAVA_BYTE, pos);
                case UINT16 -> (long) Short.toUnsignedInt(seg.get(U16, pos));
                case INT16 -> (long) seg.get(U16, pos);
                case UINT32 -> Integer.toUnsignedLong(seg.get(U32, pos));
                case INT32 -> (long) seg.get(U32, pos);
                case UINT64, INT64 -> seg.get(U64, pos);
                case FLOAT32 -> seg.get(F32, pos);
                case FLOAT64 -> seg.get(F64, pos);
                case BOOL -> seg.get(ValueLayout.JAVA_BYTE, pos) != 0;
                default -> throw new IllegalStateException(type.toString());
            };
            pos += type.size();
            return v;
        }
    }
}
